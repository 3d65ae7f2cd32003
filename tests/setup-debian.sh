#!/usr/bin/env bash
# Installs what p2sgw needs to build and test, from Debian 12 packages only.
set -eu
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libmbedtls-dev libevent-dev libfyaml-dev libjansson-dev libzip-dev libcmocka-dev
      openssl gnutls-bin curl testssl.sh bsdextrautils procps socat unzip jq)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]}; run as root (or install them) first" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

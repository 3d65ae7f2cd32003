#!/usr/bin/env bash
# Sets up a Debian 12 machine for p2sgw, as root. The only script of the project that installs
# packages or fetches anything from the Debian mirror; no test does.
#
# Usage: tests/setup-debian.sh [--build | --bench]
#   (default)  everything the build, the tests, the interop guest and the Docker fixture need:
#              1. every Debian package, in one apt transaction;
#              2. the guest's qemu kernel (linux-image-*-amd64, downloaded, unpacked into
#                 /var/cache/p2sgw-guest/kernel-VERSION, never installed);
#              3. the Docker fixture's base root file systems (debootstrap bookworm, minbase and
#                 slim) as tarballs in /var/cache/p2sgw-docker.
#              The guest initramfs and the Docker images are built from these by the tests
#              themselves, without the network (ctest fixture interop.guest_image, docker.fixture).
#   --build    only what building (unit tests included) and running the gateway needs
#              (step 1, a few packages).
#   --bench    what --build needs, plus the peers of the benchmarks (tests/bench/peers.sh, not
#              part of the test suite): SoftEther VPN Server and vpncmd, nginx with the stream
#              module, what building SoftEther needs, and the source of Debian's softether-vpn
#              in /var/cache/p2sgw-bench (from unstable's deb-src: bookworm's tarball is not on
#              the mirror; the same upstream commit), for the SSTP fix peers.sh needs.
# A second run finds everything in place and returns within a second or two.
set -eu -o pipefail

mode=all
case "${1:-}" in
"") ;;
--build) mode=build ;;
--bench) mode=bench ;;
-h | --help) sed -n '2,21p' "$0"; exit 0 ;;
*) echo "setup-debian.sh: unknown argument: $1" >&2; exit 2 ;;
esac

log() { echo "setup: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
T0=$(now_ms)

# ---- 1. packages ------------------------------------------------------------------------------
# build
# build (the unit tests' cmocka too: the build configures them)
pkgs=(build-essential cmake pkg-config
      libmbedtls-dev libevent-dev libfyaml-dev libjansson-dev libzip-dev libcmocka-dev
      libssl-dev)
if [ "$mode" = all ]; then
	# fuzzing: clang 14 with libFuzzer and the sanitizer runtimes
	pkgs+=(clang libclang-rt-14-dev)
	# integration: the real clients and the tools the scripts use
	pkgs+=(openssl gnutls-bin curl testssl.sh socat jq unzip bsdextrautils procps iproute2
	       python3 ca-certificates)
	# RADIUS tests: FreeRADIUS 3.2 as the server (run from tests/radius/, never as a service),
	# radtest/radclient and eapol_test as clients
	pkgs+=(freeradius freeradius-utils eapoltest)
	# interop guest: sstpc + pppd, busybox, the qemu and UML kernels, packing tools
	pkgs+=(sstp-client ppp busybox-static qemu-system-x86 user-mode-linux slirp cpio gzip
	       xz-utils zstd)
	# Docker fixture: a real engine, compose v1, debootstrap for the base images
	pkgs+=(docker.io docker-compose debootstrap tini)
	# the report in a real browser: headless Chromium loads GET /report (integration.report)
	pkgs+=(chromium)
fi
if [ "$mode" = bench ]; then
	# the peers (never started as services: peers.sh runs them from scratch directories) and
	# what building SoftEther's vpnserver from Debian's source needs
	pkgs+=(softether-vpnserver softether-vpncmd nginx libnginx-mod-stream
	       dpkg-dev libreadline-dev libncurses-dev zlib1g-dev)
fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${pkgs[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		log "missing packages: ${missing[*]}; run this script as root"
		exit 1
	fi
	log "installing ${#missing[@]} packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	for p in "${missing[@]}"; do installed "$p" || { log "$p did not install"; exit 1; }; done
	# the RADIUS tests run their own FreeRADIUS: never leave Debian's service running or enabled
	# (its postinst calls invoke-rc.d start; policy-rc.d or a missing runlevel usually stops it)
	if [[ " ${missing[*]} " == *" freeradius "* ]]; then
		pf=/run/freeradius/freeradius.pid
		if [ -s "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null; then /etc/init.d/freeradius stop >/dev/null || true; fi
		update-rc.d freeradius disable >/dev/null 2>&1 || true
	fi
fi
[ "$mode" = build ] && { log "build packages ready ($(( $(now_ms) - T0 )) ms)"; exit 0; }
if [ "$mode" = bench ]; then
	# Debian's services of the peers stay off: the benchmark runs its own
	for svc in softether-vpnserver nginx; do
		[ -x "/etc/init.d/$svc" ] && { /etc/init.d/"$svc" stop >/dev/null 2>&1 || true; }
		update-rc.d "$svc" disable >/dev/null 2>&1 || true
	done
	BENCH_CACHE=${P2SGW_BENCH_CACHE:-/var/cache/p2sgw-bench}
	if ! ls "$BENCH_CACHE"/softether-vpn_*.dsc >/dev/null 2>&1; then
		src=/etc/apt/sources.list.d/p2sgw-deb-src-softether.sources
		if [ ! -f "$src" ]; then
			cat >"$src" <<-'EOF'
			# p2sgw: tests/setup-debian.sh --bench, for `apt-get source softether-vpn` only
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: sid
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
			EOF
			apt-get update -qq
		fi
		mkdir -p "$BENCH_CACHE"
		(cd "$BENCH_CACHE" && apt-get -o APT::Sandbox::User=root source --download-only -q softether-vpn >/dev/null)
		log "softether-vpn source in $BENCH_CACHE"
	fi
	log "bench packages ready ($(( $(now_ms) - T0 )) ms)"
	exit 0
fi

# ---- 2. guest kernel for qemu ------------------------------------------------------------------
# Debian's amd64 kernel, unpacked: vmlinux (the xz payload of vmlinuz boots in half the time
# under TCG) and only the modules the guest loads (tests/interop/build-guest.sh lists them).
GUEST_CACHE=${P2SGW_GUEST_CACHE:-/var/cache/p2sgw-guest}
read -r -a QEMU_MODULES < <(bash "$(dirname "$0")/interop/build-guest.sh" --qemu-modules)
mkdir -p "$GUEST_CACHE"
kdir=$(ls -d "$GUEST_CACHE"/kernel-*/ 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$kdir" ] || [ ! -s "${kdir%/}/vmlinux" ]; then
	t=$(now_ms)
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	if [ -z "$kpkg" ]; then
		apt-get update -qq
		kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
	fi
	[ -n "$kpkg" ] || { log "cannot resolve linux-image-amd64"; exit 1; }
	log "fetching $kpkg for the qemu guest"
	kt=$(mktemp -d "$GUEST_CACHE/.kernel.XXXXXX")
	trap 'rm -rf "$kt"' EXIT
	(cd "$kt" && apt-get -o APT::Sandbox::User=root download "$kpkg" >/dev/null) # into a root-only dir
	dpkg-deb -x "$kt"/*.deb "$kt/x"
	python3 - "$kt"/x/boot/vmlinuz-* "$kt/vmlinux" <<'PY'
import lzma, sys
d = open(sys.argv[1], 'rb').read()
o = d.find(b'\xfd7zXZ\x00')
if o < 0: sys.exit("no xz payload in " + sys.argv[1])
out = lzma.LZMADecompressor().decompress(d[o:])
if out[:4] != b'\x7fELF': sys.exit("payload is not ELF")
open(sys.argv[2], 'wb').write(out)
PY
	kver=$(ls "$kt/x/lib/modules")
	for m in "${QEMU_MODULES[@]}"; do
		f=$(cd "$kt/x" && find "lib/modules/$kver" -name "$m.ko*" | head -1)
		[ -n "$f" ] || { log "module $m not in $kpkg"; exit 1; }
		mkdir -p "$kt/$(dirname "$f")"
		mv "$kt/x/$f" "$kt/$f"
	done
	rm -rf "$kt/x" "$kt"/*.deb "$GUEST_CACHE"/kernel-*/
	mv "$kt" "$GUEST_CACHE/kernel-$kver"
	trap - EXIT
	log "guest kernel $kver ready in $GUEST_CACHE ($(( $(now_ms) - t )) ms)"
fi

# ---- 3. Docker base root file systems ----------------------------------------------------------
# debootstrap bookworm (minbase) with the apt/dpkg settings of the official images, and a slim
# variant without docs, man pages and locales; the fixture imports them as debian:bookworm and
# debian:bookworm-slim (no registry here).
DOCKER_CACHE=${P2SGW_DOCKER_CACHE:-/var/cache/p2sgw-docker}
full=$DOCKER_CACHE/bookworm-minbase.tar
slim=$DOCKER_CACHE/bookworm-slim.tar
mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1 || true)
: "${mirror:=http://deb.debian.org/debian}"

write_image_config() { # ROOTFS full|slim
	local r=$1
	rm -f "$r/etc/apt/sources.list"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources "$r/etc/apt/sources.list.d/debian.sources"
	else
		cat >"$r/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: $mirror
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb
		URIs: ${mirror}-security
		Suites: bookworm-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	cat >"$r/etc/apt/apt.conf.d/docker-clean" <<-'EOF'
	DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
	APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
	Dir::Cache::pkgcache "";
	Dir::Cache::srcpkgcache "";
	EOF
	echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
	echo 'Acquire::GzipIndexes "true";' >"$r/etc/apt/apt.conf.d/docker-gzip-indexes"
	echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
	echo 'force-unsafe-io' >"$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
		"$r"/var/log/* "$r"/tmp/* "$r"/root/.bash_history
	: >"$r/etc/resolv.conf"
	: >"$r/etc/hostname"
	if [ "$2" = slim ]; then
		cat >"$r/etc/dpkg/dpkg.cfg.d/docker" <<-'EOF'
		# slim: no docs, man pages or locales (as debian:*-slim)
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/locale/*
		path-exclude /usr/share/lintian/*
		path-exclude /usr/share/linda/*
		EOF
		find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
		find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
		rm -rf "$r"/usr/share/man/* "$r"/usr/share/groff/* "$r"/usr/share/info/* \
			"$r"/usr/share/locale/* "$r"/usr/share/lintian/* "$r"/usr/share/linda/*
	fi
}

if [ ! -s "$full" ] || [ ! -s "$slim" ]; then
	t=$(now_ms)
	mkdir -p "$DOCKER_CACHE"
	rootfs=$DOCKER_CACHE/rootfs.$$
	rm -rf "$DOCKER_CACHE"/rootfs.*
	trap 'rm -rf "$rootfs"' EXIT
	log "debootstrap --variant=minbase bookworm from $mirror"
	debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$DOCKER_CACHE/debootstrap.log" 2>&1 \
		|| { tail -20 "$DOCKER_CACHE/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
	write_image_config "$rootfs" full
	tar --numeric-owner --xattrs -C "$rootfs" -cf "$full.tmp" . && mv "$full.tmp" "$full"
	write_image_config "$rootfs" slim
	tar --numeric-owner --xattrs -C "$rootfs" -cf "$slim.tmp" . && mv "$slim.tmp" "$slim"
	rm -rf "$rootfs"
	trap - EXIT
	log "Docker base root file systems ready in $DOCKER_CACHE ($(( $(now_ms) - t )) ms)"
fi
log "ready ($(( $(now_ms) - T0 )) ms)"

#!/usr/bin/env bash
# Builds (once) the base initramfs for the interop guest: a small Linux guest (user-mode-linux,
# or Debian's amd64 kernel under qemu TCG) that runs Debian 12's real sstpc 1.0.18 + pppd 2.4.9
# against p2sgw on the host (see README.md). One image serves both kernels: it carries the
# module set of each, and /init picks by `uname -r`.
#
# Usage: build-guest.sh [--print-env] [--force] | --qemu-modules
#   Needs what tests/setup-debian.sh installs and fetches (packages, the qemu kernel); it only
#   packs, never installs or downloads.
#   Prints the path of the cached base image on stdout (or, with --print-env, shell
#   assignments GUEST_UML=... GUEST_SLIRP=... GUEST_VMLINUX=... GUEST_BASE=... GUEST_KEY=...
#   for run-guest.sh to eval). --qemu-modules prints the modules the qemu guest loads (the
#   setup keeps only those of the kernel package).
# Env:  P2SGW_GUEST_CACHE  cache directory (default /var/cache/p2sgw-guest)
#
# The image is keyed by a hash of this script and the versions of the packages it copies from,
# so a package upgrade or an edit here rebuilds it; otherwise later runs reuse it (~0.1 s).
set -euo pipefail

print_env=0 force=0 list_modules=0
for a in "$@"; do
	case "$a" in
	--print-env) print_env=1 ;;
	--qemu-modules) list_modules=1 ;;
	--force) force=1 ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "build-guest.sh: unknown argument: $a" >&2; exit 2 ;;
	esac
done

log() { echo "build-guest: $*" >&2; }

CACHE=${P2SGW_GUEST_CACHE:-/var/cache/p2sgw-guest}
KERNEL=/usr/bin/linux.uml
SLIRP=/usr/bin/slirp-fullbolt
# Packages whose files end up in the image (or run it); their versions are part of the key.
PKGS=(user-mode-linux slirp qemu-system-x86 sstp-client libsstp-api-0 ppp busybox-static iproute2 cpio
      libc6 libssl3 libevent-2.1-7 libpcap0.8 libbpf1 libelf1 libmnl0 libxtables12)
# Kernel modules, in load order.
UML_MODULES=(slhc crc-ccitt ppp_generic ppp_async ppp_synctty libarc4 ppp_mppe sch_netem)
QEMU_MODULES=(slhc ppp_generic ppp_async ppp_synctty libarc4 ppp_mppe failover net_failover virtio_ring
	virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_net sch_netem)
BINARIES=(/usr/sbin/sstpc /usr/sbin/pppd /usr/sbin/tc)
# the setup keeps only these modules of the qemu kernel package
[ "$list_modules" = 0 ] || { echo "${QEMU_MODULES[*]}"; exit 0; }

SETUP="bash tests/setup-debian.sh"

# ---- 1. what tests/setup-debian.sh installs and fetches --------------------------------------
# This script never installs or downloads anything: it only packs what is already here.
for f in "$KERNEL" "$SLIRP" /usr/bin/qemu-system-x86_64 "${BINARIES[@]}" /bin/busybox \
	/usr/bin/cpio /usr/bin/xz /usr/bin/zstd; do
	[ -x "$f" ] || { log "missing $f: run '$SETUP' (as root) first"; exit 1; }
done
# The Debian amd64 kernel for qemu, unpacked by the setup under $CACHE/kernel-<version>/.
kdir=$(ls -d "$CACHE"/kernel-*/ 2>/dev/null | sort -V | tail -1 || true)
kdir=${kdir%/}
if [ -z "$kdir" ] || [ ! -s "$kdir/vmlinux" ]; then
	log "no guest kernel in $CACHE: run '$SETUP' (as root) first"
	exit 1
fi
QEMU_KVER=$(ls "$kdir/lib/modules")
UML_KVER=$(ls /usr/lib/uml/modules | sort -V | tail -1)

# ---- 3. cache key --------------------------------------------------------------------------
versions=$(dpkg-query -W -f='${Package}=${Version}\n' "${PKGS[@]}" 2>/dev/null | sort)
key=$( { cat "$0"; echo "$versions"; echo "qemu-kernel=$QEMU_KVER"; } | sha256sum | cut -c1-16)
img="$CACHE/base-$key.cpio.gz"

emit() {
	if [ "$print_env" = 1 ]; then
		printf 'GUEST_UML=%q\nGUEST_SLIRP=%q\nGUEST_VMLINUX=%q\nGUEST_BASE=%q\nGUEST_KEY=%q\nGUEST_CACHE=%q\n' \
			"$KERNEL" "$SLIRP" "$kdir/vmlinux" "$img" "$key" "$CACHE"
	else
		echo "$img"
	fi
}

if [ "$force" = 0 ] && [ -s "$img" ]; then
	emit
	exit 0
fi

# One builder at a time (parallel ctest runs); the loser of the race reuses the winner's image.
exec 9>"$CACHE/.lock"
flock 9
if [ "$force" = 0 ] && [ -s "$img" ]; then
	emit
	exit 0
fi

t0=$(date +%s.%N)
stage=$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-guest-build.XXXXXX")
trap 'rm -rf "$stage"' EXIT
R="$stage/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc/ppp,etc/ssl/certs,dev,proc,sys,run,tmp,root,modules}
mkdir -p "$R/var/run/sstpc" "$R/var/log"
chmod 1777 "$R/tmp"

# ---- 3. busybox + applets ------------------------------------------------------------------
cp /bin/busybox "$R/bin/busybox"
while read -r applet; do
	[ -e "$R/$applet" ] || [ -L "$R/$applet" ] && continue
	mkdir -p "$R/$(dirname "$applet")"
	ln -s /bin/busybox "$R/$applet"
done < <(/bin/busybox --list-full)

# ---- 4. binaries, plugin, libraries --------------------------------------------------------
copy_file() { # copy a host file (following symlinks) to the same path in the image
	local src=$1
	mkdir -p "$R$(dirname "$src")"
	rm -f "$R$src"
	cp -L "$src" "$R$src"
}
plugin=$(dpkg-query -L sstp-client | grep '/sstp-pppd-plugin\.so$' | head -1)
legacy=$(find /usr/lib -path '*ossl-modules/legacy.so' 2>/dev/null | head -1)
[ -n "$plugin" ] && [ -n "$legacy" ] || { log "sstp-pppd-plugin.so or ossl legacy.so not found"; exit 1; }
objs=("${BINARIES[@]}" "$plugin" "$legacy")
for o in "${objs[@]}"; do copy_file "$o"; done
ldd "${objs[@]}" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | sort -u |
	while read -r lib; do copy_file "$lib"; done

# ---- 5. kernel modules: /modules/<uname -r>/{*.ko,order,net} -------------------------------
add_modules() { # kver moddir netmode modules...
	local kver=$1 moddir=$2 net=$3 m f
	shift 3
	mkdir -p "$R/modules/$kver"
	for m in "$@"; do
		f=$(find "$moddir" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -1)
		[ -n "$f" ] || { log "module $m not found under $moddir"; exit 1; }
		case "$f" in
		*.xz) xz -dc "$f" >"$R/modules/$kver/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$R/modules/$kver/$m.ko" ;;
		*) cp "$f" "$R/modules/$kver/$m.ko" ;;
		esac
	done
	printf '%s\n' "$@" >"$R/modules/$kver/order"
	echo "$net" >"$R/modules/$kver/net"
}
add_modules "$UML_KVER" "/usr/lib/uml/modules/$UML_KVER" uml "${UML_MODULES[@]}"
add_modules "$QEMU_KVER" "$kdir/lib/modules/$QEMU_KVER" qemu "${QEMU_MODULES[@]}"

# ---- 6. config files -----------------------------------------------------------------------
# sstpc drops privileges to sstpc:sstpc and chroots into /var/run/sstpc.
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
sstpc:x:101:101:sstpc:/var/run/sstpc:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
sstpc:x:101:
nogroup:x:65534:
EOF
echo 'passwd: files
group: files
hosts: files' >"$R/etc/nsswitch.conf"
echo '127.0.0.1 localhost' >"$R/etc/hosts"
echo 'guest' >"$R/etc/hostname"
chown 101:101 "$R/var/run/sstpc"
# EMPTY on purpose: Debian's default (auth, lock, crtscts, ...) breaks a pty-driven pppd.
: >"$R/etc/ppp/options"
: >"$R/etc/ppp/chap-secrets"
: >"$R/etc/ppp/pap-secrets"
mkdir -p "$R/etc/ppp/ip-up.d" "$R/etc/ppp/ip-down.d"
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

# ---- 7. /init ------------------------------------------------------------------------------
cat >"$R/init" <<'EOF'
#!/bin/sh
# p2sgw interop guest init: set up, run /test.sh, report, power off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || mount -t tmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o ptmxmode=666,gid=5,mode=620 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
exec </dev/null >/dev/console 2>&1
echo "=== GUEST INIT uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
M=/modules/$(uname -r)
for m in $(cat $M/order); do
	insmod $M/$m.ko || echo "=== GUEST WARN insmod $m failed"
done
[ -e /dev/ppp ] || mknod /dev/ppp c 108 0
ip link set lo up
ip link set eth0 up
# slirp: the guest is 10.0.2.15, the host's loopback is 10.0.2.2. Deliberately NO default
# route: the guest may reach the host's loopback and, once ppp0 is up, what is routed through
# the tunnel; a packet for any other address must not leak out through slirp.
if [ "$(cat $M/net)" = uml ]; then
	ip addr add 10.0.2.15/32 dev eth0
	ip route add 10.0.2.2/32 dev eth0
else
	ip addr add 10.0.2.15/24 dev eth0
fi
# 50 ms egress delay: avoids sstpc 1.0.18's race when the server's reply is already there.
# Full path: busybox sh would run its own tc applet otherwise.
/usr/sbin/tc qdisc add dev eth0 root netem delay 50ms || echo "=== GUEST WARN netem failed"
echo "=== TEST START uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ -f /test.sh ]; then
	sh /test.sh
	rc=$?
else
	echo "no /test.sh in the image"
	rc=127
fi
echo "=== TEST RESULT rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
EOF
chmod 755 "$R/init"

# ---- 8. pack -------------------------------------------------------------------------------
tmpimg="$CACHE/.base-$key.$$.tmp"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc) | gzip -6 >"$tmpimg"
mv -f "$tmpimg" "$img"
# Drop images of older keys.
find "$CACHE" -maxdepth 1 -name 'base-*.cpio.gz' ! -name "base-$key.cpio.gz" -delete
t1=$(date +%s.%N)
log "built $img ($(du -h "$img" | cut -f1)) in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
emit

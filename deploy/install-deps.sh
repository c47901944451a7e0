#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install every Debian 12 package darkscope needs to build, run and test,
# but only those missing.  Runs as root (apt-get), non-interactively.
set -eu
PKGS="make gcc pkg-config dpdk dpdk-dev libdpdk-dev libmaxminddb-dev libmaxminddb0 mmdb-bin
libconfig-dev libpcap-dev libjansson-dev libisal-dev libmaxmind-db-writer-perl
libjson-pp-perl tshark clang libclang-rt-14-dev python3 libtrace-tools valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing missing packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "error: not root; install as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null

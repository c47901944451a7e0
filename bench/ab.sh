#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench/ab.sh: the data path (parse + ds_set_burst) of the working tree's
# lib/ against revision REV's, in one process, pass by pass (bench/abpass.c;
# bench/README.md "Comparing two builds").  Prints each build's fastest and
# median pass and the median per-pass ratio new/base, then the same for the
# period-end flush after each pass (ds_set_flush_counts, manager work).
#
#   bench/ab.sh REV [CONF PCAP] [PASSES]
#
# Without CONF and PCAP it makes make bench's 4-sensor input (darkgen
# paper2014 at scale 0.01, its first 100000 frames).  REV's lib/ is built
# from `git archive` in a temporary directory and every global symbol of its
# libds.a renamed alt_*, so both builds link into one program.  Builds the
# working tree's build/libds.a first.  Environment: AB_CPU (1: the core the
# run is pinned to), PASSES (60).
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bench/ab.sh REV [CONF PCAP] [PASSES]" >&2; exit 2; }
REV=$1
CONF=${2:-}
PCAP=${3:-}
P=${4:-${PASSES:-60}}
W=$(mktemp -d /tmp/darkscope-ab.XXXXXX)
trap 'rm -rf "$W"' EXIT
die() { echo "ab: $*" >&2; exit 1; }

make -s build/libds.a build/darkgen >/dev/null || die "cannot build the working tree"
mkdir -p "$W/src"
git archive "$REV" Makefile lib | tar -x -C "$W/src" || die "no revision $REV"
cmp -s "$W/src/lib/parse/ds_parse.h" lib/parse/ds_parse.h ||
	echo "ab: warning: ds_parse.h differs from $REV: struct ds_pkt must be the same in both" >&2
make -s -C "$W/src" build/libds.a >/dev/null 2>&1 || die "cannot build $REV's lib/"
nm -g --defined-only "$W/src/build/libds.a" |
	awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3, "alt_" $3 }' | sort -u >"$W/syms"
objcopy --redefine-syms="$W/syms" "$W/src/build/libds.a" "$W/alt.a"
# shellcheck disable=SC2046
cc -O3 -g -std=gnu11 -march=native -fno-strict-aliasing $(for d in lib/*/; do printf -- '-I%s ' "$d"; done) \
	bench/abpass.c build/libds.a "$W/alt.a" \
	$(pkg-config --libs libmaxminddb libconfig jansson libisal) -lm -lpthread -o "$W/abpass" ||
	die "cannot link abpass"
if [ -z "$CONF" ]; then
	build/darkgen --scenario paper2014 --out "$W/gen" --scale 0.01 --quiet || die "darkgen failed"
	python3 bench/mkinput.py "$W/gen/trace.pcap" "$W" 100000 >/dev/null || die "mkinput failed"
	CONF=$W/live4.conf
	PCAP=$W/s4.pcap
fi
echo "ab: base = $REV ($(git rev-parse --short "$REV")), new = working tree"
taskset -c "${AB_CPU:-1}" "$W/abpass" "$CONF" "$PCAP" "$P"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# darkgen pcap write speed: generates paper2014 (default --scale 0.05, about
# 2.4 M packets) into a scratch directory (tmpfs /dev/shm when it exists, so
# the disk does not set the figure; DARKGEN_BENCH_DIR overrides), three runs
# each with and without the ground truth, and prints the best packets/s of
# each.  Not asserted anywhere; the target on the 2-core lab VM is >= 2 Mpps.
#
# usage: bench/darkgen.sh [SCALE] [RUNS]
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SCALE=${1:-0.05}
RUNS=${2:-3}
base=${DARKGEN_BENCH_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )}
dir=$(mktemp -d "$base/darkgen-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
[ -x "$BUILD/darkgen" ] || make --no-print-directory "$BUILD/darkgen"

best() { # $@: extra darkgen options; prints "packets pps"
	local b=0 pk=0 line pps
	for _ in $(seq "$RUNS"); do
		line=$("$BUILD/darkgen" --scenario paper2014 --scale "$SCALE" --seed 1 --out "$dir" "$@" 2>&1 |
			grep ' packets, ')
		pk=$(echo "$line" | sed -E 's/.*: ([0-9]+) packets.*/\1/')
		pps=$(echo "$line" | sed -E 's/.*in ([0-9.]+) s.*/\1/' | awk -v p="$pk" '{ printf "%d", p / $1 }')
		[ "$pps" -gt "$b" ] && b=$pps
	done
	echo "$pk $b"
}

read -r pk t_pps < <(best)
read -r _ n_pps < <(best --no-truth)
size=$(stat -c %s "$dir/trace.pcap")
echo "darkgen bench: paper2014 scale $SCALE, $pk packets, pcap $((size / 1048576)) MiB in $base, best of $RUNS"
printf "darkgen_pcap_pps_with_truth %d\n" "$t_pps"
printf "darkgen_pcap_pps_no_truth %d\n" "$n_pps"

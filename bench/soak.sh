#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Soak test (not CI): replay a capture at full rate through the DPDK pcap
# vdev (infinite_rx) on the wall clock with 1-second periods for N minutes,
# and check that
#   - resident memory is flat: VmRSS sampled every 5 s; the largest sample of
#     the second half is within SOAK_RSS_SLACK_KB (default 8192) of the
#     largest of the first half (all memory is fixed at start-up),
#   - every period's report is present (contiguous 1 s directories),
#   - totals add up: sum of packets_counted == sum of rx_packets, and the
#     drops (rx_missed + rx_nombuf + rx_errors) are reported, not hidden.
#
# usage: bench/soak.sh [MINUTES]   (default 10; env BUILD, SOAK_DIR, SOAK_PCAP)
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${1:-10}
BUILD=${BUILD:-build}
D=${SOAK_DIR:-/tmp/darkscope-soak}
rm -rf "$D"; mkdir -p "$D"
echo "soak: $MIN minute(s), work directory $D"

# Input: the first 10000 frames of a darkgen scenario (the pcap vdev keeps
# the whole file in mbufs for infinite_rx), or the fault-test frames.
if [ -n "${SOAK_PCAP:-}" ]; then
	cp "$SOAK_PCAP" "$D/in.pcap"
elif [ -x "$BUILD/darkgen" ] && "$BUILD/darkgen" --scenario paper2014 --out "$D/scn" --scale 0.01 \
		--no-truth --quiet >"$D/darkgen.log" 2>&1; then
	editcap -r "$D/scn/trace.pcap" "$D/in.pcap" 1-10000
else
	python3 tests/fuzz/frames.py pcap "$D/in.pcap" 100
fi
echo "soak: input $(capinfos -c -M "$D/in.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}') packets"
sed -e 's|^  database = .*|  database = "";|' -e 's|clock = "packet"|clock = "wall"|' \
	config/darkscope.conf >"$D/ds.conf"

"$BUILD/darkscope" --no-huge --no-pci --no-shconf -m 1024 --lcores=0@0,1@1 \
	--log-level='*:warning' --vdev=net_pcap_soak0,rx_pcap="$D/in.pcap",infinite_rx=1 \
	-- -c "$D/ds.conf" -o "$D/out" -p 1 >"$D/darkscope.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
end=$((SECONDS + MIN * 60))
: >"$D/rss.tsv"
while [ $SECONDS -lt $end ]; do
	sleep 5
	kill -0 $pid 2>/dev/null || { echo "soak: FAIL: darkscope died"; cat "$D/darkscope.log"; exit 1; }
	echo "$SECONDS $(awk '/VmRSS/ {print $2}' /proc/$pid/status)" >>"$D/rss.tsv"
done
kill -TERM $pid
rc=0; wait $pid || rc=$?
trap - EXIT
[ $rc -eq 0 ] || { echo "soak: FAIL: exit $rc"; tail "$D/darkscope.log"; exit 1; }

python3 - "$D" "${SOAK_RSS_SLACK_KB:-8192}" <<'PY'
import datetime, glob, json, os, sys
d, slack = sys.argv[1], int(sys.argv[2])
rss = [int(l.split()[1]) for l in open(d + '/rss.tsv') if l.split()[1:]]
h = len(rss) // 2
first, second = max(rss[:h] or rss), max(rss[h:] or rss)
names = sorted(n for n in os.listdir(d + '/out') if not n.startswith('.'))
ts = [datetime.datetime.strptime(n, '%Y%m%dT%H%M%SZ') for n in names]
gaps = [(a, b) for a, b in zip(ts, ts[1:]) if (b - a).total_seconds() != 1]
rx = counted = drops = fails = 0
for n in names:
    r = json.load(open(f'{d}/out/{n}/report.json'))
    c = r['capture']
    rx += c['rx_packets']; counted += c['packets_counted']
    drops += c['rx_missed'] + c['rx_nombuf'] + c['rx_errors']
    fails = max(fails, r['appliance']['report_failures'])
span = (ts[-1] - ts[0]).total_seconds() + 1 if ts else 0
print(f'soak: {len(names)} reports over {span:.0f} s, gaps {len(gaps)}, report_failures {fails}')
print(f'soak: rx_packets {rx}, packets_counted {counted}, reported drops {drops}, '
      f'difference {rx - counted}')
print(f'soak: VmRSS samples {len(rss)}: min {min(rss)} kB, max first half {first} kB, '
      f'max second half {second} kB')
ok = not gaps and fails == 0 and rx == counted and second <= first + slack and len(names) >= 2
print('soak: PASS' if ok else 'soak: FAIL')
sys.exit(0 if ok else 1)
PY

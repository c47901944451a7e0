#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# SIGINT in the middle of an offline replay with two workers (--pcap-pmd,
# the DPDK path; --pcap reads the same files in well under a second): darkscope must
# exit 0 within seconds (no worker left waiting for a set the manager would
# never hand back), write the partial period, and every packet received
# must be in exactly one report (sum of rx_packets == sum of
# packets_counted, and no period twice).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/conf.sh
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_sigint
rm -rf "$T"; mkdir -p "$T"
"$BUILD/darkgen" --scenario paper2014 --out "$T/scen" --scale 0.02 --seed 5 >/dev/null
python3 tests/pcapsplit.py "$T/scen/trace.pcap" 2 "$T/q"
test_conf "$T" -e 's|database = .*|database = "";|' -e 's|archive = .*|archive = "";|' > "$T/ds.conf"
for delay in 0.2 0.5 0.9 1.4; do
	out="$T/rep-$delay"
	"$BUILD/darkscope" --pcap-pmd "$T/q0.pcap" "$T/q1.pcap" -c "$T/ds.conf" -o "$out" -q &
	pid=$!
	sleep "$delay"
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		echo "FAIL: darkscope still running 30 s after SIGINT (delay $delay)"
		exit 1
	fi
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { echo "FAIL: exit $rc after SIGINT (delay $delay)"; exit 1; }
	python3 - "$out" "$delay" <<'PY'
import glob, json, sys
rx = counted = 0
seen = set()
for f in glob.glob(sys.argv[1] + '/*/report.json'):
    r = json.load(open(f))
    rx += r['capture']['rx_packets']
    counted += r['capture']['packets_counted']
    seen.add(r['window']['start'])
print('delay %s: %d reports, rx %d, counted %d' % (sys.argv[2], len(seen), rx, counted))
sys.exit(0 if rx == counted else 1)
PY
done
echo "it_sigint: ok"

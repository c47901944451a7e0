#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Hostile frames: a capture holding one frame of every class and every
# malformed kind (tests/fuzz/frames.py), each REPEAT times, replayed through
# darkscope --pcap.  Exit 0, and report.json counts every malformed frame
# under its reason and every frame once (rx_packets == packets_counted).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/conf.sh
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_faults_malformed
rm -rf "$T"; mkdir -p "$T"
REPEAT=5
python3 tests/fuzz/frames.py pcap "$T/all.pcap" $REPEAT
test_conf "$T" -e 's|^  database = .*|  database = "";|' >"$T/ds.conf"
"$BUILD/darkscope" --pcap "$T/all.pcap" -c "$T/ds.conf" -o "$T/out" -q
python3 - "$T/out" $REPEAT <<'PY'
import glob, json, sys
sys.path.insert(0, 'tests/fuzz')
import frames
out, rep = sys.argv[1], int(sys.argv[2])
reps = sorted(glob.glob(out + '/*/report.json'))
assert reps, 'no report'
mal, rx, counted = {}, 0, 0
for r in reps:
    c = json.load(open(r))['capture']
    for k, v in c['malformed'].items():
        mal[k] = mal.get(k, 0) + v
    rx += c['rx_packets']; counted += c['packets_counted']
    for k in ('rx_missed', 'rx_nombuf', 'rx_errors'):
        assert k in c, k
n = len(frames.frames()) * rep
print('malformed', mal, 'rx', rx, 'counted', counted)
for k in frames.MALFORMED:
    assert mal.get(k) == rep, f'{k}: {mal.get(k)} != {rep}'
assert counted == n and rx == n, f'counted {counted} rx {rx} != {n}'
PY
echo "it_faults_malformed: ok"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Automatic surge detection: with 5000/TCP not configured as watched, the
# paper2014 scenario's 5000/TCP surge of 12 February must be flagged in that
# day's report, and 5000 watched (surge = true) from then on: workers adopt
# it as soon as the manager publishes it, so the next period is watched
# from the time given in watched_since, or (in an offline replay that ran
# ahead of the manager) not at all, and every later period in full, with
# per-sensor packets that agree with the count-min sketch within its error
# bound.  No surge of 5000 before 12 February.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/conf.sh
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_surge
rm -rf "$T"; mkdir -p "$T"
"$BUILD/darkgen" --scenario paper2014 --out "$T/scen" --scale 0.02 --seed 3 >/dev/null
test_conf "$T" -e 's|watched_ports = .*|watched_ports = [ 10073 ];|' -e 's|database = .*|database = "";|' \
	-e 's|surge_min_packets = .*|surge_min_packets = 200;|' > "$T/ds.conf"
"$BUILD/darkscope" --pcap "$T"/scen/*.pcap -c "$T/ds.conf" -o "$T/rep" -q
python3 - "$T/rep" <<'PY'
import glob, json, sys
reps = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + '/*/report.json'))]
fail = []
first = None
for r in reps:
    day = r['window']['start'][:10]
    ports = [s['port'] for s in r['surges']]
    if 5000 in ports and first is None:
        first = day
    watched = {w['port']: w for w in r['watched_ports']}
    if first and day > first:
        w = watched.get(5000)
        if day == '2014-02-13' and (not w or w['watched_since']):
            continue
        if not w or not w['surge'] or w['watched_since']:
            fail.append('%s: 5000 not watched as a surge' % day)
            continue
        pk = sum(p['packets'] for p in w['per_sensor'])
        est = sum(p['packets'] for s in r['sensors'] for p in s['top_ports'] if p['port'] == 5000)
        bound = sum(s['top_ports_error_bound'] for s in r['sensors'])
        if est and not (pk <= est <= pk + bound):
            fail.append('%s: watched 5000 packets %d vs sketch %d (bound %d)' % (day, pk, est, bound))
    elif 5000 in watched:
        fail.append('%s: 5000 watched before its surge' % day)
if first != '2014-02-12':
    fail.append('first surge of 5000 on %s, expected 2014-02-12' % first)
for f in fail[:20]:
    print('FAIL', f)
print('surge: %d reports, first surge %s, %d failures' % (len(reps), first, len(fail)))
sys.exit(1 if fail else 0)
PY

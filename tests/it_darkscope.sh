#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration over the real DPDK ethdev path (pcap vdev): darkgen paper2014
# -> darkscope -> reports, checked against darkgen's ground truth.
#  1. daily periods, one worker: totals over all reports equal the packets
#     fed, every class and per-sensor SYN count exact;
#  2. one period over the whole capture, two rx queues and two workers
#     (the capture split by source like RSS): per-sensor SYN exact, unique
#     sources within 2 %, top-10 ports in ground-truth order, and every
#     planted phenomenon (tests/check_report.py); the checker's negative
#     control (check_report.py mutate: each deliberately wrong value is
#     caught); darkscope-report reads that period's archive (16283 days)
#     back;
#  3. every CSV table of those reports equals its report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/conf.sh
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_darkscope
rm -rf "$T"; mkdir -p "$T"
"$BUILD/darkgen" --scenario paper2014 --out "$T/scen" --scale 0.05 --seed 7 >/dev/null
perl tools/mkgeo.pl --schema geolite2 --out "$T/geo.mmdb" "$T/scen/sources.tsv"
test_conf "$T" -e "s|database = .*|database = \"$T/geo.mmdb\";|" > "$T/ds.conf"
pcap=$(ls "$T"/scen/*.pcap | head -n 1)

echo "-- daily periods, one worker"
"$BUILD/darkscope" --pcap "$pcap" -c "$T/ds.conf" -o "$T/daily" -q
python3 tests/check_report.py totals "$T/scen/truth.json" "$T/daily"
python3 tests/check_report.py csv "$T/daily"

echo "-- daily periods through DPDK (pcap PMD, one worker lcore)"
"$BUILD/darkscope" --pcap-pmd "$pcap" -c "$T/ds.conf" -o "$T/daily-pmd" -q
python3 tests/check_report.py totals "$T/scen/truth.json" "$T/daily-pmd"

echo "-- one period, two queues, two workers (DPDK)"
python3 tests/pcapsplit.py "$pcap" 2 "$T/q"
# one period spanning 1970 .. 2014-08-01 (a multiple of a day)
"$BUILD/darkscope" --pcap-pmd "$T/q0.pcap" "$T/q1.pcap" -c "$T/ds.conf" -o "$T/one" -a "$T/archive-one-pmd" \
	-p $((16283 * 86400)) -q
python3 tests/check_report.py totals "$T/scen/truth.json" "$T/one"
python3 tests/check_report.py full "$T/scen/truth.json" "$T/one"
python3 tests/check_report.py mutate "$T/scen/truth.json" "$T/one"
python3 tests/check_report.py csv "$T/one"

echo "-- one period, the same two files read without DPDK (merged by time)"
"$BUILD/darkscope" --pcap "$T/q0.pcap" "$T/q1.pcap" -c "$T/ds.conf" -o "$T/one-read" -a "$T/archive-one" \
	-p $((16283 * 86400)) -q
python3 tests/check_report.py totals "$T/scen/truth.json" "$T/one-read"
python3 tests/check_report.py full "$T/scen/truth.json" "$T/one-read"

echo "-- the one-period archives (DPDK and file reader) read back by darkscope-report"
# (no totals: an archive keeps the sketches, not the capture block's rx counts)
for a in one-pmd one; do
	"$BUILD/darkscope-report" "$T/archive-$a" --geoip "$T/geo.mmdb" --out "$T/$a-archive" -q
	python3 tests/check_report.py full "$T/scen/truth.json" "$T/$a-archive"
done

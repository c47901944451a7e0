#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# `make run`: generate the built-in paper2014 scenario with darkgen, build its
# GeoIP test database, run darkscope on it through the DPDK pcap vdev (one
# report per day on the packet clock) and print where the reports are and a
# short summary.  SCALE (default 0.05) sizes the scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SCALE=${SCALE:-0.05}
OUT=${OUT:-out}
SCEN="$OUT/scenario"
rm -rf "$SCEN" "$OUT/reports" "$OUT/archive" "$OUT/window"
mkdir -p "$SCEN"
echo "== darkgen: paper2014 scenario at scale $SCALE -> $SCEN"
"$BUILD/darkgen" --scenario paper2014 --out "$SCEN" --scale "$SCALE" --seed 1
pcap=$(ls "$SCEN"/*.pcap | head -n 1)
echo "== GeoIP test database (MaxMind writer, flat country_code schema) -> $SCEN/geo-flat.mmdb"
perl tools/mkgeo.pl --schema flat --out "$SCEN/geo-flat.mmdb" "$SCEN/sources.tsv"
echo "== darkscope --pcap-pmd $pcap -c config/darkscope.conf"
"$BUILD/darkscope" --pcap-pmd "$pcap" -c config/darkscope.conf -o "$OUT/reports" -a "$OUT/archive" \
	-g "$SCEN/geo-flat.mmdb"
echo "== darkscope-report: the whole window from the archive, monthly series, HTML"
"$BUILD/darkscope-report" --from 2014-01-01 --to 2014-08-01 --series month \
	--format json,csv,html --geoip "$SCEN/geo-flat.mmdb" --out "$OUT/window" "$OUT/archive"
win=$(ls -d "$OUT"/window/*/ | head -n 1)
echo
echo "== daily reports:  $OUT/reports/<day>/report.json (+ CSV tables named after the paper's tables)"
echo "== window report:  ${win}report.json, ${win}report.html, $OUT/window/series.json"
echo "== archive:        $OUT/archive/ (one snapshot per day)"
echo "== ground truth:   $SCEN/truth.json"
echo
python3 tools/summarize.py "$OUT/reports"
python3 tools/summarize.py --window "${win}report.json"

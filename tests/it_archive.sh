#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Archive acceptance: darkscope over the paper2014 pcap with daily periods
# writes one archive per day; darkscope-report over all of them must equal
# darkscope-report over the archive of one run whose single period covers
# the whole capture: identical counts and merged sketches (CM counters,
# HLL registers, bottom-K samples, fingerprint packets/sources compared
# through --dump-sketches; top-k tables and fingerprint first-seen times
# depend on the merge order and are left out) and equal reports field by
# field (compare.py, below).  Also: --format html, --series month,
# usage errors exit 2, a corrupt archive exits 1 naming the file.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_archive
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$T/compare.py" <<'PY'
#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Compare two darkscope reports (report.json) field by field, ignoring what
# legitimately differs between a merge of periods and one long period: the
# window and capture blocks, first/last-seen times, top-k eviction counts,
# the fingerprint table's singleton evictions and skipped packets (the
# burst path's source cache starts empty every period) and the order of
# equal-count backscatter victims (ties in a bounded table).
# Usage: archive_compare.py A.json B.json ; exit 0 when equal.
import json, sys

IGNORE = {"window", "capture", "generator", "source", "first_seen", "last_seen",
          "top_sources_evictions", "top_victims", "appliance", "series",
          "evictions", "skipped_packets"}

def walk(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in IGNORE:
                continue
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'B' if k not in a else 'A'}")
                continue
            walk(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} vs {len(b)} entries")
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) or isinstance(b, float):
        if abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(a))):
            out.append(f"{path}: {a} vs {b}")
    elif a != b:
        out.append(f"{path}: {a!r} vs {b!r}")

a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
diffs = []
walk(a, b, "", diffs)
for d in diffs[:40]:
    print("differs:", d)
print(f"{len(diffs)} difference(s)")
sys.exit(1 if diffs else 0)
PY

"$BUILD/darkgen" --scenario paper2014 --out "$T/gen" --scale 0.01 >/dev/null 2>&1 || fail "darkgen"
pcap=$(ls "$T"/gen/*.pcap | head -1)
mkconf() {	# $1 = name
	sed -e "s#directory = \"out/reports\";#directory = \"$T/rep-$1\";#" \
	    -e "s#archive = \".*\";#archive = \"$T/arc-$1\";#" \
	    -e "s#archive_keep_days = .*;#archive_keep_days = 0;#" -e "s#site = \".*\";#site = \"jp\";#" \
	    -e 's#database = ".*";#database = "";#' config/darkscope.conf > "$T/$1.conf"
}
mkconf day; mkconf long
"$BUILD/darkscope" --pcap "$pcap" -c "$T/day.conf" -o "$T/rep-day" -q >"$T/day.log" 2>&1 || { cat "$T/day.log"; fail "darkscope daily"; }
# 487 days: the only multiple of a day whose epoch alignment starts a period
# on 2014-01-01 (16071 days since the epoch = 3 x 11 x 487) and covers the data.
"$BUILD/darkscope" --pcap "$pcap" -c "$T/long.conf" -o "$T/rep-long" -q -p 42076800 >"$T/long.log" 2>&1 || { cat "$T/long.log"; fail "darkscope long"; }
nd=$(ls "$T/arc-day" | grep -c '\.dsa$')
nl=$(ls "$T/arc-long" | grep -c '\.dsa$')
[ "$nd" -ge 28 ] || fail "expected daily archives, got $nd"
[ "$nl" -eq 1 ] || fail "expected one long archive, got $nl"
echo "archives: $nd daily, $(du -sb "$T/arc-day" | cut -f1) bytes; 1 long"

"$BUILD/darkscope-report" "$T/arc-day" --out "$T/out-day" --dump-sketches "$T/day.dump" \
	--format json,csv,html --series month || fail "report over the daily archive"
"$BUILD/darkscope-report" "$T/arc-long" --out "$T/out-long" --dump-sketches "$T/long.dump" -q || fail "report over the long archive"
strip() { grep -v '^topk ' "$1" | sed -E 's/ first [0-9]+ last [0-9]+//'; }
diff <(strip "$T/day.dump") <(strip "$T/long.dump") > "$T/dump.diff" || { head -20 "$T/dump.diff"; fail "merged sketches differ"; }
echo "sketch dump: $(wc -l < "$T/day.dump") lines identical"
python3 "$T/compare.py" "$T"/out-day/*/report.json "$T"/out-long/*/report.json || fail "reports differ"
# The archive of the long run equals the live report of that period.
python3 "$T/compare.py" "$T"/out-long/*/report.json "$T"/rep-long/*/report.json || fail "archive report differs from the live report"
[ -s "$T"/out-day/*/report.html ] || fail "no HTML page"
grep -q '<svg' "$T"/out-day/*/report.html || fail "HTML without charts"
grep -q 'Fig. 1' "$T"/out-day/*/report.html || fail "HTML without series"
[ -s "$T/out-day/series_sensors.csv" ] || fail "no series CSV"
[ "$(grep -c ',A,' "$T/out-day/series_sensors.csv")" -eq 7 ] || fail "expected 7 monthly points for A"
python3 tests/check_report.py csv "$T/out-day" || fail "the window report's CSV tables differ from its JSON"
# series_fingerprints.csv: the per-sensor columns equal series.json, add up
# to the all-sensor packets, name the sensors in order; the Table 4/5 tuple
# (Fig. 6) is D's in every month it is listed.
python3 - "$T/out-day" <<'PY' || fail "series_fingerprints.csv per-sensor columns"
import csv, json, os, sys
d = sys.argv[1]
pts = {p["start"]: p for p in json.load(open(os.path.join(d, "series.json")))["points"]}
rows = list(csv.DictReader(open(os.path.join(d, "series_fingerprints.csv"))))
head = open(os.path.join(d, "series_fingerprints.csv")).readline().strip()
assert head == "start,seq,sport,ipid,win,packets,sources,sensor_packets,sensor_sources", head
assert rows, "no fingerprint rows"
n = {p["start"]: len(p["fingerprints"]) for p in pts.values()}
assert len(rows) == sum(n.values()), (len(rows), n)
d_months = 0
for r in rows:
    key = "%s/%s/%s/%s" % (r["seq"], r["sport"], r["ipid"], r["win"])
    fp = [f for f in pts[r["start"]]["fingerprints"] if f["key"] == key][0]
    names = [s["name"] for s in pts[r["start"]]["sensors"]]
    pk = [x.split("=") for x in r["sensor_packets"].split("|")]
    sr = [x.split("=") for x in r["sensor_sources"].split("|")]
    assert [a for a, _ in pk] == names == [a for a, _ in sr], (r, names)
    assert [int(b) for _, b in pk] == [s["packets"] for s in fp["sensors"]], (r, fp)
    assert [b for _, b in sr] == ["%.0f" % s["sources"] for s in fp["sensors"]], (r, fp)
    assert sum(int(b) for _, b in pk) == int(r["packets"]) == fp["packets"], r
    if key == "1098121216/6000/256/16384":
        per = dict((a, int(b)) for a, b in pk)
        assert max(per, key=per.get) == "D", r
        d_months += 1
assert d_months >= 1, "the Table 4 tuple is in no month"
print("series_fingerprints.csv: %d rows match series.json; the Table 4 tuple is D's in %d months" % (len(rows), d_months))
PY
# window selection: February only
"$BUILD/darkscope-report" "$T/arc-day" --from 2014-02-01 --to 2014-03-01 --out "$T/out-feb" -q || fail "window"
python3 - "$T"/out-feb/*/report.json "$T/out-day/series.json" <<'PY' || fail "February window != February series point"
import json, sys
r = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
feb = [p for p in s["points"] if p["start"].startswith("2014-02")][0]
for a, b in zip(r["sensors"], feb["sensors"]):
    assert a["syn_packets"] == b["packets"], (a["name"], a["syn_packets"], b["packets"])
PY

# errors
set +e
"$BUILD/darkscope-report" --bogus "$T/arc-day" >/dev/null 2>&1; [ $? -eq 2 ] || fail "usage error must exit 2"
"$BUILD/darkscope-report" --series week "$T/arc-day" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --series must exit 2"
f=$(ls "$T"/arc-day/*.dsa | head -3 | tail -1)
mkdir -p "$T/bad"; cp "$T"/arc-day/*.dsa "$T/bad/"
b="$T/bad/$(basename "$f")"
printf '\xff' | dd of="$b" bs=1 seek=5000 conv=notrunc 2>/dev/null
"$BUILD/darkscope-report" "$T/bad" --out "$T/out-bad" 2>"$T/bad.err"; rc=$?
[ $rc -eq 1 ] || fail "corrupt archive must exit 1 (got $rc)"
grep -q "$(basename "$f")" "$T/bad.err" || fail "error must name the file: $(cat "$T/bad.err")"
head -c 100 "$f" > "$T/trunc.dsa"
"$BUILD/darkscope-report" "$T/trunc.dsa" --out "$T/out-bad" 2>"$T/trunc.err"; rc=$?
[ $rc -eq 1 ] && grep -q trunc.dsa "$T/trunc.err" || fail "truncated archive: rc $rc, $(cat "$T/trunc.err")"
"$BUILD/darkscope-report" "$T/arc-day" "$f" --out "$T/out-bad" 2>"$T/dup.err"; rc=$?
[ $rc -eq 1 ] && grep -q "overlap in time" "$T/dup.err" || fail "a file given twice must be refused: rc $rc $(cat "$T/dup.err")"
echo "not an archive" > "$T/foreign.dsa"
"$BUILD/darkscope-report" "$T/foreign.dsa" 2>"$T/foreign.err"; rc=$?
[ $rc -eq 1 ] && grep -q "foreign.dsa: not a darkscope archive" "$T/foreign.err" || fail "foreign file: $(cat "$T/foreign.err")"
echo "it_archive: ok"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Multi-site merge acceptance: two appliances with disjoint sensor sets
# (site "east": A, B; site "west": C, D) run over the same capture; their
# archives merged by darkscope-report equal one appliance over all four
# sensors: per-sensor counts, unique sources, overlap, watched ports,
# fingerprints and the rest of the report field by field.  Left out: each
# partial appliance counts the other's packets as "outside" (global class
# counters), and the window/capture blocks.  Also: clashing sensor names
# of two sites are refused unless --site-prefix, and archives with
# different sketch parameters are refused naming the file.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_archive_merge
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BUILD/darkgen" --scenario paper2014 --out "$T/gen" --scale 0.01 >/dev/null 2>&1 || fail "darkgen"
pcap=$(ls "$T"/gen/*.pcap | head -1)
# $1 name, $2 site, $3 sensors to keep (regex on the sensor lines)
mkconf() {
	python3 - "$1" "$2" "$3" "$T" <<'PY'
import re, sys
name, site, keep, T = sys.argv[1:5]
s = open("config/darkscope.conf").read()
def sensors(m):
    lines = [l for l in m.group(1).split("\n") if "name" in l]
    lines = [l.rstrip().rstrip(",") for l in lines if re.search(r'name = "(%s)"' % keep, l)]
    return "sensors = (\n" + ",\n".join(lines) + "\n);"
s = re.sub(r"sensors = \((.*?)\n\);", sensors, s, flags=re.S)
s = s.replace('directory = "out/reports";', f'directory = "{T}/rep-{name}";')
s = re.sub(r'archive = ".*?";', f'archive = "{T}/arc-{name}";', s)
s = re.sub(r'archive_keep_days = .*?;', 'archive_keep_days = 0;', s)
s = re.sub(r'site = ".*?";', f'site = "{site}";', s)
s = re.sub(r'database = ".*";', 'database = "";', s)
open(f"{T}/{name}.conf", "w").write(s)
PY
}
mkconf all all 'A|B|C|D'; mkconf east east 'A|B'; mkconf west west 'C|D'
for n in all east west; do
	"$BUILD/darkscope" --pcap "$pcap" -c "$T/$n.conf" -o "$T/rep-$n" -q -p 42076800 >"$T/$n.log" 2>&1 ||
		{ tail "$T/$n.log"; fail "darkscope $n"; }
done
"$BUILD/darkscope-report" "$T/arc-all" --out "$T/out-all" --dump-sketches "$T/all.dump" -q || fail "report all"
"$BUILD/darkscope-report" "$T/arc-east" "$T/arc-west" --out "$T/out-merged" --dump-sketches "$T/merged.dump" -q ||
	fail "report merged"
# sketches: per-sensor lines and overlap sample must agree (global class
# lines differ by the "outside" packets; top-k order depends on evictions)
strip() { grep -E '^(sensor|bk|fp) ' "$1" | sed -E 's/ first [0-9]+ last [0-9]+//'; }
diff <(strip "$T/all.dump") <(strip "$T/merged.dump") > "$T/dump.diff" || { head -20 "$T/dump.diff"; fail "merged sketches differ"; }
echo "sketch dump: $(strip "$T/all.dump" | wc -l) lines identical"
python3 - "$T"/out-all/*/report.json "$T"/out-merged/*/report.json <<'PY' || fail "reports differ"
import json, sys
IGNORE = {"window", "capture", "generator", "source", "first_seen", "last_seen",
          "top_sources_evictions", "top_victims", "appliance", "series",
          "evictions", "skipped_packets", "outside"}
def walk(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in IGNORE: continue
            if k not in a or k not in b: out.append(f"{path}.{k}: missing"); continue
            walk(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b): out.append(f"{path}: {len(a)} vs {len(b)} entries")
        for i, (x, y) in enumerate(zip(a, b)): walk(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) or isinstance(b, float):
        if abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(a))): out.append(f"{path}: {a} vs {b}")
    elif a != b: out.append(f"{path}: {a!r} vs {b!r}")
a, b = (json.load(open(p)) for p in sys.argv[1:3])
d = []; walk(a, b, "", d)
for x in d[:40]: print("differs:", x)
print(f"{len(d)} difference(s)"); sys.exit(1 if d else 0)
PY

# clashing names: the same archive under two site names
mkdir -p "$T/clash"
cp "$T"/arc-east/*.dsa "$T/clash/"
set +e
"$BUILD/darkscope-report" "$T/arc-east" "$T/arc-all" --out "$T/out-x" -q 2>"$T/clash.err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "clashes" "$T/clash.err" || fail "clashing sensors must be refused: rc $rc $(cat "$T/clash.err")"
"$BUILD/darkscope-report" --site-prefix "$T/arc-east" "$T/arc-all" --out "$T/out-p" -q || fail "--site-prefix"
python3 -c "
import json,glob,sys
r=json.load(open(glob.glob('$T/out-p/*/report.json')[0]))
names=[s['name'] for s in r['sensors']]
assert names==['east/A','east/B','all/A','all/B','all/C','all/D'], names
" || fail "prefixed sensor names"
# different sketch parameters
sed -e 's/cm_depth = 4;/cm_depth = 3;/' -e "s#arc-west#arc-west3#" "$T/west.conf" > "$T/west3.conf"
"$BUILD/darkscope" --pcap "$pcap" -c "$T/west3.conf" -o "$T/rep-west3" -q -p 42076800 >/dev/null 2>&1 || fail "darkscope west3"
set +e
"$BUILD/darkscope-report" "$T/arc-east" "$T/arc-west3" --out "$T/out-y" -q 2>"$T/param.err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "arc-west3/.*cm_depth" "$T/param.err" || fail "different parameters: rc $rc $(cat "$T/param.err")"
echo "it_archive_merge: ok"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# darkgen acceptance: (1) the ground truth of paper2014 at scale 0.01 agrees
# with an independent pure-Python pcap reader (tests/darkgen_check.py), and
# the checker does catch a wrong count; (2) same seed -> byte-identical
# pcap, truth and sources, other seed -> different pcap; (3) sources.tsv is
# CIDR<TAB>CC, /8../24, non-overlapping, and tools/mkgeo.pl turns it into an
# MMDB that maps the sensors to their countries; (4) tshark reads the pcap
# and counts the same frames and SYNs; (5) --tx through net_pcap writes the
# same frames as the pcap output, through net_null with --rate and --loop;
# (6) a bad scenario fails with file:line.  Uses $BUILD and $DS_TEST_TMP.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/darkgen
DG=$BUILD/darkgen
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
EAL="--no-huge --no-pci --no-shconf -m 256 --log-level=lib.eal:error"

echo "== 1. truth vs independent reader (paper2014, scale 0.01)"
$DG --scenario paper2014 --scale 0.01 --seed 7 --out "$T/a"
python3 tests/darkgen_check.py "$T/a" || fail "truth.json disagrees with the pcap"
python3 - "$T/a/truth.json" "$T/bad.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["sensors"][2]["syn_packets"] += 1
json.dump(t, open(sys.argv[2], "w"))
PY
mkdir -p "$T/bad"; cp "$T/a/trace.pcap" "$T/a/sources.tsv" "$T/bad/"; cp "$T/bad.json" "$T/bad/truth.json"
if python3 tests/darkgen_check.py "$T/bad" >/dev/null; then fail "checker missed a wrong count"; fi
python3 - "$T/a/truth.json" <<'PY' || fail "paper2014 phenomena missing"
import json, sys
t = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in t["sensors"]}
assert all(s[n]["ports"].get("445", 0) == 0 for n in "C") and s["A"]["ports"]["445"] > 0
w = {x["port"]: x for x in t["watched_ports"]}
a = w[10073]["per_sensor"][0]
assert a["same_slash16_sources"] >= 10 and a["same_country_sources"] >= a["same_slash16_sources"]
assert all(x["same_slash16_sources"] == 0 for x in w[10073]["per_sensor"][1:])
assert "window_apr_jun" in w[10073] and "window_feb_mar" in w[5000]
own = {1098121216: "D", 1920532480: "C", 1610350592: "B", 185073664: "A"}
for f in t["fingerprints"]:
    ps = {x["sensor"]: x for x in f["per_sensor"]}
    assert ps[own[f["seq"]]]["unique_sources"] >= 10, f["seq"]
    assert ps[own[f["seq"]]]["packets"] > 0.6 * f["packets"], f["seq"]
assert all(x["packets"] > 0 and x["unique_sources"] > 0 for x in t["tools"])
assert all(v > 0 for v in t["noise"].values()), t["noise"]
assert sum(t["classes"].values()) == t["packets_total"]
assert len(s["A"]["daily"]) == 212 and len(s["A"]["monthly"]) == 7
PY

echo "== 2. determinism"
$DG --scenario paper2014 --scale 0.01 --seed 7 --out "$T/b" --quiet
$DG --scenario paper2014 --scale 0.01 --seed 8 --out "$T/c" --quiet
for f in trace.pcap truth.json sources.tsv; do
	cmp "$T/a/$f" "$T/b/$f" || fail "$f differs between two runs with seed 7"
done
if cmp -s "$T/a/trace.pcap" "$T/c/trace.pcap"; then fail "seed 8 gave the same pcap as seed 7"; fi

echo "== 3. sources.tsv and mkgeo.pl"
python3 - "$T/a/sources.tsv" <<'PY' || fail "sources.tsv malformed"
import ipaddress, sys
nets = []
for line in open(sys.argv[1]):
    cidr, cc = line.rstrip("\n").split("\t")
    n = ipaddress.ip_network(cidr)
    assert 8 <= n.prefixlen <= 24 and len(cc) == 2 and cc.isupper(), line
    assert not (n.is_private or n.is_reserved or n.is_loopback or n.is_multicast), line
    nets.append(n)
for i, a in enumerate(nets):
    for b in nets[i + 1:]:
        assert not a.overlaps(b), (a, b)
PY
if [ -f tools/mkgeo.pl ] && perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null; then
	perl tools/mkgeo.pl --schema geolite2 --out "$T/geo.mmdb" "$T/a/sources.tsv"
	perl tools/mkgeo.pl --schema flat --out "$T/flat.mmdb" "$T/a/sources.tsv"
	mmdblookup -f "$T/geo.mmdb" -i 11.8.16.5 country iso_code | grep -q '"JP"' || fail "geolite2 MMDB: A is not JP"
	mmdblookup -f "$T/flat.mmdb" -i 65.116.3.200 country_code | grep -q '"ID"' || fail "flat MMDB: D is not ID"
else
	echo "   (tools/mkgeo.pl or libmaxmind-db-writer-perl missing: skipped)"
fi

echo "== 4. tshark reads the same frames"
$DG --scenario smoke --seed 3 --out "$T/s" --quiet
python3 tests/darkgen_check.py "$T/s" || fail "smoke truth disagrees"
if command -v tshark >/dev/null; then
	n=$(tshark -n -r "$T/s/trace.pcap" -T fields -e frame.number 2>/dev/null | wc -l)
	want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets_total"])' "$T/s/truth.json")
	[ "$n" = "$want" ] || fail "tshark counts $n frames, truth $want"
	syn=$(tshark -n -r "$T/s/trace.pcap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.flags.reset==0 && ip.flags.mf==0 && ip.frag_offset==0 && !_ws.malformed' -T fields -e ip.src -e ip.dst -e ip.len -e frame.len 2>/dev/null |
		python3 -c '
import ipaddress, json, sys
t = json.load(open(sys.argv[1]))
nets = [ipaddress.ip_network(p) for s in t["sensors"] for p in s["prefixes"]]
bog = [ipaddress.ip_network(n) for n in ("0.0.0.0/8","10.0.0.0/8","100.64.0.0/10","127.0.0.0/8","169.254.0.0/16","172.16.0.0/12","192.168.0.0/16","224.0.0.0/4","240.0.0.0/4")]
n = 0
for line in sys.stdin:
    f = line.split()
    if len(f) != 4 or "," in line or int(f[2]) > int(f[3]) - 14: continue
    s, d = ipaddress.ip_address(f[0]), ipaddress.ip_address(f[1])
    if any(d in x for x in nets) and not any(s in b for b in bog) and s != d and int(s) & 255 not in (0, 255):
        n += 1
print(n)' "$T/s/truth.json")
	scan=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["classes"]["scan"])' "$T/s/truth.json")
	[ "$syn" = "$scan" ] || fail "tshark counts $syn scan SYNs, truth $scan"
	echo "   tshark: $n frames, $syn scan SYNs"
else
	echo "   (tshark missing: skipped)"
fi

echo "== 5. DPDK --tx"
$DG --scenario smoke --seed 3 --out "$T/tx" --quiet --tx -- $EAL --vdev=net_pcap0,tx_pcap="$T/tx.pcap"
cmp "$T/s/trace.pcap" "$T/tx/trace.pcap" || fail "--tx changed the pcap output"
python3 - "$T/s/trace.pcap" "$T/tx.pcap" <<'PY' || fail "frames sent through net_pcap differ from the pcap output"
import struct, sys
def frames(p):
    d = open(p, "rb").read(); o = 24; out = []
    while o < len(d):
        cl = struct.unpack_from("<I", d, o + 8)[0]; out.append(d[o + 16:o + 16 + cl]); o += 16 + cl
    return out
a, b = frames(sys.argv[1]), frames(sys.argv[2])
assert len(a) == len(b), (len(a), len(b))
assert a == b, "frame bytes differ"
print("   net_pcap: %d frames identical" % len(a))
PY
out=$($DG --scenario smoke --seed 3 --tx --rate 200000 --loop 2 -- $EAL --vdev=net_null0 2>&1)
echo "$out" | grep -q "tx port 0: 17[0-9]* sent, 0 dropped" || { echo "$out"; fail "net_null tx"; }

echo "== 6. a bad scenario is refused with file:line"
sed 's/("24.0.0.0\/12", "US")/("24.0.0.0\/12", "US"), ("24.1.0.0\/16", "US")/' config/scenarios/smoke.cfg >"$T/bad.cfg"
if $DG --scenario "$T/bad.cfg" --out "$T/x" 2>"$T/bad.err"; then fail "overlapping blocks accepted"; fi
grep -q "bad.cfg:[0-9]*: blocks: blocks must not overlap" "$T/bad.err" || { cat "$T/bad.err"; fail "error message"; }
echo "it_darkgen: ok"

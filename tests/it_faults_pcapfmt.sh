#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Capture formats through darkscope --pcap, which goes by the magic number,
# not the file name: classic pcap files are read by ds_pcapf, pcapng and
# stdin go through libpcap (--pcap-pmd uses libpcap too).  Microsecond pcap, pcap named .pcapng, pcapng named .pcap,
# nanosecond pcap, pcap in the other byte order, pcap on stdin, and a
# capture cut off in the middle of a record.  Every complete frame is
# counted exactly once; a truncated tail is dropped, never a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/conf.sh
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_faults_pcapfmt
rm -rf "$T"; mkdir -p "$T"
REPEAT=4
python3 tests/fuzz/frames.py pcap "$T/base.pcap" $REPEAT
N=$(python3 -c "import sys; sys.path.insert(0,'tests/fuzz'); import frames; print(len(frames.frames()) * $REPEAT)")
test_conf "$T" -e 's|^  database = .*|  database = "";|' >"$T/ds.conf"
cp "$T/base.pcap" "$T/usec.pcap"
cp "$T/base.pcap" "$T/pcap-named.pcapng"
editcap -F pcapng "$T/base.pcap" "$T/pcapng-named.pcap"
editcap -F pcapng "$T/base.pcap" "$T/real.pcapng"
editcap -F nsecpcap "$T/base.pcap" "$T/nsec.pcap"
python3 - "$T/base.pcap" "$T/big-endian.pcap" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
out = struct.pack('>IHHiIII', *struct.unpack('<IHHiIII', b[:24]))
i = 24
while i < len(b):
    sec, frac, cap, ln = struct.unpack('<IIII', b[i:i + 16])
    out += struct.pack('>IIII', sec, frac, cap, ln) + b[i + 16:i + 16 + cap]
    i += 16 + cap
open(sys.argv[2], 'wb').write(out)
PY
# truncated: the whole file minus the last 7 bytes (mid-record)
size=$(stat -c %s "$T/base.pcap")
head -c $((size - 7)) "$T/base.pcap" >"$T/truncated.pcap"
# the global header plus half a record header: no complete packet
head -c 30 "$T/base.pcap" >"$T/header-only.pcap"

counted() {	# capture file [stdin] -> packets_counted summed over reports
	local f=$1 out="$T/out-$(basename "$1")${2:+-stdin}"
	rm -rf "$out"
	if [ -n "${2:-}" ]; then
		"$BUILD/darkscope" --pcap - -c "$T/ds.conf" -o "$out" -q <"$f" >"$out.log" 2>&1
	else
		"$BUILD/darkscope" --pcap "$f" -c "$T/ds.conf" -o "$out" -q >"$out.log" 2>&1
	fi || { echo "exit $? on $f:"; cat "$out.log"; return 1; }
	python3 - "$out" <<'PY'
import glob, json, sys
t = 0
for r in glob.glob(sys.argv[1] + '/*/report.json'):
    t += json.load(open(r))['capture']['packets_counted']
print(t)
PY
}
fail=0
check() {	# file expected [stdin]
	local got
	got=$(counted "$1" "${3:-}") || { echo "FAIL $1: $got"; fail=1; return; }
	if [ "$got" != "$2" ]; then
		echo "FAIL $(basename "$1")${3:+ on stdin}: counted $got, want $2"; fail=1
	else
		echo "ok   $(basename "$1")${3:+ on stdin}: $got packets"
	fi
}
check "$T/usec.pcap" "$N"
check "$T/pcap-named.pcapng" "$N"
check "$T/pcapng-named.pcap" "$N"
check "$T/real.pcapng" "$N"
check "$T/nsec.pcap" "$N"
check "$T/big-endian.pcap" "$N"
check "$T/usec.pcap" "$N" stdin
check "$T/truncated.pcap" "$((N - 1))"
check "$T/truncated.pcap" "$((N - 1))" stdin
# ds_pcapf (file) and libpcap (stdin) give the same reports
diff -r "$T/out-usec.pcap" "$T/out-usec.pcap-stdin" >/dev/null || { echo "FAIL usec.pcap: reports differ between file and stdin"; fail=1; }
# no complete packet: darkscope writes no report and exits; it must not
# crash (exit 0 or 1).
rc=0; "$BUILD/darkscope" --pcap "$T/header-only.pcap" -c "$T/ds.conf" -o "$T/out-h" -q >"$T/h.log" 2>&1 || rc=$?
if [ $rc -gt 1 ]; then echo "FAIL header-only: exit $rc"; cat "$T/h.log"; fail=1; else echo "ok   header-only: exit $rc"; fi
# timestamps: nanosecond and microsecond files give the same period
[ "$(ls "$T/out-nsec.pcap")" = "$(ls "$T/out-usec.pcap")" ] || { echo "FAIL nsec period names differ"; fail=1; }
exit $fail

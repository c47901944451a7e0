#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Report directory faults on the live (wall clock, 1 s period) path, with
# the pcap vdev replaying a capture forever:
#   notdir:   output.directory below a regular file (root ignores
#             permissions, so this is the portable "cannot write"); the
#             file is removed mid-run.
#   diskfull: output.directory on a 64 KiB tmpfs (needs root and mount;
#             skipped with a note otherwise); grown to 16 MiB mid-run.
# Each time: the failure is logged, reports are kept in memory and retried
# each second, every period from the first to the last appears exactly
# once and complete (no partial report is ever visible: only dot-prefixed
# temporaries), and appliance.report_failures counts the failures.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/conf.sh
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_faults_output
rm -rf "$T"; mkdir -p "$T"
python3 tests/fuzz/frames.py pcap "$T/m.pcap" 20
test_conf "$T" -e 's|^  database = .*|  database = "";|' -e 's|clock = "packet"|clock = "wall"|' >"$T/ds.conf"
fail=0
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null
	mountpoint -q "$T/tiny" 2>/dev/null && umount "$T/tiny"
	return 0
}
trap cleanup EXIT

wait_for() {	# pattern log seconds
	local i
	for i in $(seq 1 $(($3 * 5))); do
		grep -q "$1" "$2" && return 0
		sleep 0.2
	done
	echo "FAIL: no '$1' in $2 after $3 s"; fail=1
	return 1
}

start() {	# out-dir log -> pid in $PID
	"$BUILD/darkscope" --no-huge --no-pci --no-shconf -m 512 --lcores=0@0,1@1 \
		--log-level='*:warning' --vdev=net_pcap_f0,rx_pcap="$T/m.pcap",infinite_rx=1 \
		-- -c "$T/ds.conf" -o "$1" -p 1 >"$2" 2>&1 &
	PID=$!
}

stop() {	# -> exit status in $RC
	kill -TERM "$PID" 2>/dev/null
	RC=0; wait "$PID" || RC=$?
	PID=
}

# Every visible directory is a complete report; periods contiguous; the
# largest report_failures seen is >= 1.
verify() {	# name out-dir log
	python3 - "$2" <<'PY' || { echo "FAIL $1"; tail -n 20 "$3"; fail=1; return; }
import glob, json, os, sys, datetime
out = sys.argv[1]
names = sorted(n for n in os.listdir(out) if not n.startswith('.'))
assert len(names) >= 3, f'only {len(names)} reports'
ts = [datetime.datetime.strptime(n, '%Y%m%dT%H%M%SZ') for n in names]
for a, b in zip(ts, ts[1:]):
    assert (b - a).total_seconds() == 1, f'gap between {a} and {b}'
fails = 0
for n in names:
    r = json.load(open(os.path.join(out, n, 'report.json')))
    fails = max(fails, r['appliance']['report_failures'])
    for f in ('table1_top_ports.csv', 'local_attacks.csv'):
        assert os.path.getsize(os.path.join(out, n, f)) > 0, n + '/' + f
assert fails >= 1, 'report_failures never counted'
left = [n for n in os.listdir(out) if n.startswith('.')]
print(f'{len(names)} contiguous complete reports, report_failures {fails}, temporaries left {left}')
PY
	grep -q "kept in memory, will retry" "$3" || { echo "FAIL $1: failure not logged"; fail=1; return; }
	[ "$RC" -eq 0 ] || { echo "FAIL $1: exit $RC"; fail=1; return; }
	echo "ok   $1"
}

# 1. parent of the output directory is a regular file
touch "$T/blocker"
start "$T/blocker/out" "$T/notdir.log"
wait_for "cannot write report" "$T/notdir.log" 30
sleep 1.5
rm -f "$T/blocker"
sleep 3
stop
verify notdir "$T/blocker/out" "$T/notdir.log"

# 2. disk full on a tiny tmpfs
mkdir -p "$T/tiny"
if mount -t tmpfs -o size=64k tmpfs "$T/tiny" 2>/dev/null; then
	start "$T/tiny/out" "$T/diskfull.log"
	wait_for "cannot write report" "$T/diskfull.log" 30
	sleep 1.5
	# while full: no visible directory may be incomplete
	for d in "$T"/tiny/out/*/; do
		[ -d "$d" ] || continue
		python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$d/report.json" ||
			{ echo "FAIL diskfull: partial report visible: $d"; fail=1; }
	done
	mount -o remount,size=16m "$T/tiny"
	sleep 3
	stop
	verify diskfull "$T/tiny/out" "$T/diskfull.log"
	# (the CSV writer reports a full disk as EIO: ds_report_csv.c maps any
	# stdio failure to -EIO; the JSON writer says ENOSPC)
	grep -m1 -E "No space left|Input/output error" "$T/diskfull.log" >/dev/null ||
		{ echo "FAIL diskfull: write error not reported"; fail=1; }
	umount "$T/tiny"
else
	echo "skip diskfull: cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)"
fi
exit $fail

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# GeoIP database faults.
#   At start: a missing, an empty and a corrupt (truncated, garbage) MMDB
#   each make darkscope exit 1 with a message naming the file.
#   On SIGHUP (live, wall clock, 1 s periods, pcap vdev replaying forever):
#   the database is corrupted, then SIGHUP: the old table is kept, the
#   failure logged and appliance.geoip_reload_failures >= 1 in a report;
#   SIGTERM exits 0.  Then a good database again: reload succeeds.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/conf.sh
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_faults_geoip
rm -rf "$T"; mkdir -p "$T"
fail=0
printf '11.8.16.0/21\tJP\n45.33.0.0/16\tUS\n' >"$T/blocks.tsv"
perl tools/mkgeo.pl --schema geolite2 --out "$T/good.mmdb" "$T/blocks.tsv" || exit 1
python3 tests/fuzz/frames.py pcap "$T/m.pcap" 20
test_conf "$T" -e "s|^  database = .*|  database = \"$T/geo.mmdb\";|" >"$T/packet.conf"
sed -e 's|clock = "packet"|clock = "wall"|' "$T/packet.conf" >"$T/wall.conf"

# --- at start ---
: >"$T/empty.mmdb"
head -c 200 "$T/good.mmdb" >"$T/truncated.mmdb"
head -c 4096 /dev/urandom >"$T/garbage.mmdb"
for db in missing empty truncated garbage; do
	rm -f "$T/geo.mmdb"
	[ $db = missing ] || cp "$T/$db.mmdb" "$T/geo.mmdb"
	msg=$("$BUILD/darkscope" --pcap "$T/m.pcap" -c "$T/packet.conf" -o "$T/out-$db" -q 2>&1)
	rc=$?
	msg=$(grep -v TELEMETRY <<<"$msg")
	if [ $rc -ne 1 ] || [[ $msg != *"$T/geo.mmdb"* ]]; then
		echo "FAIL start $db: exit $rc: $msg"; fail=1
	else
		echo "ok   start $db: $msg"
	fi
done
cp "$T/good.mmdb" "$T/geo.mmdb"
"$BUILD/darkscope" --pcap "$T/m.pcap" -c "$T/packet.conf" -o "$T/out-good" -q >"$T/good.log" 2>&1 ||
	{ echo "FAIL start good: exit $?"; cat "$T/good.log"; fail=1; }

# --- on SIGHUP ---
"$BUILD/darkscope" --no-huge --no-pci --no-shconf -m 512 --lcores=0@0,1@1 \
	--log-level='*:warning' --vdev=net_pcap_g0,rx_pcap="$T/m.pcap",infinite_rx=1 \
	-- -c "$T/wall.conf" -o "$T/out-live" -p 1 >"$T/live.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' EXIT
# wait for a log line (signal handlers are installed before the banner)
wait_for() {	# pattern seconds
	local i
	for i in $(seq 1 $(($2 * 5))); do
		grep -q "$1" "$T/live.log" && return 0
		sleep 0.2
	done
	echo "FAIL reload: no '$1' in the log after $2 s"; fail=1
	return 1
}
wait_for "reports in" 30
sleep 1
head -c 300 "$T/good.mmdb" >"$T/geo.mmdb"	# corrupt it in place
kill -HUP $pid
wait_for "reload failed" 20
sleep 2.5	# at least one period reported after the failure
cp "$T/good.mmdb" "$T/geo.mmdb"
kill -HUP $pid
wait_for "table reloaded" 20
kill -TERM $pid
rc=0; wait $pid || rc=$?
trap - EXIT
python3 - "$T/out-live" <<'PY' || { echo "FAIL reload: report check"; fail=1; }
import glob, json, sys
m = 0
reps = sorted(glob.glob(sys.argv[1] + '/*/report.json'))
for r in reps:
    m = max(m, json.load(open(r))['appliance']['geoip_reload_failures'])
print(f'{len(reps)} reports, max geoip_reload_failures {m}')
assert m >= 1
PY
grep -q "GeoIP reload failed, keeping the old table" "$T/live.log" || { echo "FAIL reload: failure not logged"; fail=1; }
grep -q "GeoIP table reloaded" "$T/live.log" || { echo "FAIL reload: good reload not logged"; fail=1; }
[ $rc -eq 0 ] || { echo "FAIL reload: exit $rc"; fail=1; }
grep -i geoip "$T/live.log"
exit $fail

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad configuration: a table of broken files (unknown key, overlapping
# prefixes, bad prefix, bad period, bad country, bad port, bad clock,
# syntax error).  darkscope must exit 2 before touching DPDK with
# "FILE:LINE:" pointing at the bad line, and say what is allowed.  Then a
# table of -p values: the bad ones (not a number, zero, not aligned to UTC
# days, longer than DS_CONF_MAX_PERIOD) exit 2 saying what is allowed; the
# longest one runs, and darkscope-report reads the archive it wrote.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=${DS_TEST_TMP:-$(mktemp -d)}/it_faults_config
rm -rf "$T"; mkdir -p "$T"
fail=0
# name | line of the error (libconfig reports a syntax error where it notices it) | expected words | line 3 of the file
cases=(
"unknown_key|3|unknown key|bogus = 1;"
"unknown_nested|3|unknown key|period = { length = 60; colour = \"red\"; };"
"overlap|3|overlap|sensors = ( { name = \"A\"; country = \"JP\"; prefixes = [ \"10.0.0.0/8\" ]; }, { name = \"B\"; country = \"US\"; prefixes = [ \"10.1.0.0/16\" ]; } );"
"bad_prefix_host_bits|3|prefix|sensors = ( { name = \"A\"; country = \"JP\"; prefixes = [ \"10.0.0.1/24\" ]; } );"
"bad_prefix_len|3|prefix|sensors = ( { name = \"A\"; country = \"JP\"; prefixes = [ \"10.0.0.0/33\" ]; } );"
"bad_prefix_text|3|prefix|sensors = ( { name = \"A\"; country = \"JP\"; prefixes = [ \"ten.0.0.0/8\" ]; } );"
"bad_period|3|allowed|period = { length = 7; };"
"period_too_long|3|4294944000|period = { length = 4295030400L; };"
"period_wrapped|3|suffix L|period = { length = 4294944000; };"
"bad_clock|3|allowed|period = { clock = \"sundial\"; };"
"bad_country|3|country|sensors = ( { name = \"A\"; country = \"XYZ\"; prefixes = [ \"10.0.0.0/24\" ]; } );"
"bad_port|3|allowed|analysis = { watched_ports = [ 70000 ]; };"
"bad_type|3|allowed|capture = { burst = \"many\"; };"
"syntax_error|4|syntax error|sensors = ( { name = \"A\" "
)
for c in "${cases[@]}"; do
	IFS='|' read -r name line words body <<<"$c"
	f="$T/$name.conf"
	{
		echo "# bad configuration: $name"
		echo "output = { directory = \"$T/out\"; };"
		echo "$body"
		[[ $body == sensors* ]] || echo 'sensors = ( { name = "Z"; country = "JP"; prefixes = [ "20.0.0.0/24" ]; } );'
	} >"$f"
	msg=$("$BUILD/darkscope" --pcap /dev/null -c "$f" -q 2>&1 </dev/null)
	rc=$?
	if [ $rc -ne 2 ] || [[ $msg != *"$f:$line:"* ]] || [[ ${msg,,} != *"${words,,}"* ]]; then
		echo "FAIL $name: exit $rc, message: $msg (want exit 2, '$f:$line:', '$words')"
		fail=1
	else
		echo "ok   $name: $msg"
	fi
done
# a missing file is exit 2 too, naming it
msg=$("$BUILD/darkscope" --pcap /dev/null -c "$T/none.conf" -q 2>&1); rc=$?
if [ $rc -ne 2 ] || [[ $msg != *"$T/none.conf"* ]]; then
	echo "FAIL missing: exit $rc, $msg"; fail=1
else
	echo "ok   missing: $msg"
fi

# -p: name | value | expected words (empty: must run)
good="$T/good.conf"
{
	echo "output = { directory = \"$T/out\"; archive = \"$T/archive\"; };"
	echo 'sensors = ( { name = "A"; country = "JP"; prefixes = [ "11.8.16.0/21" ]; } );'
} >"$good"
python3 tests/fuzz/frames.py pcap "$T/m.pcap" 1
pcases=(
"p_text|abc|not a number"
"p_empty||not a number"
"p_zero|0|1..4294944000"
"p_negative|-86400|1..4294944000"
"p_not_aligned|7|divisor of 86400"
"p_not_aligned_days|90000|multiple of 86400"
"p_too_long|4295030400|49710 days"
"p_2_32|4294967296|49710 days"
"p_longest|4294944000|"
)
for c in "${pcases[@]}"; do
	IFS='|' read -r name p words <<<"$c"
	rm -rf "$T/out" "$T/archive"
	msg=$("$BUILD/darkscope" --pcap "$T/m.pcap" -c "$good" -p "$p" -q 2>&1 </dev/null)
	rc=$?
	if [ -n "$words" ]; then
		if [ $rc -ne 2 ] || [[ $msg != *"--period $p: "* ]] || [[ $msg != *"$words"* ]]; then
			echo "FAIL $name: exit $rc, message: $msg (want exit 2, '--period $p:', '$words')"
			fail=1
		else
			echo "ok   $name: $msg"
		fi
		continue
	fi
	# what darkscope writes, darkscope-report reads
	rep=$("$BUILD/darkscope-report" "$T/archive" --out "$T/read" -q 2>&1); rrc=$?
	if [ $rc -ne 0 ] || [ "$(ls "$T/archive" 2>/dev/null | grep -c '\.dsa$')" -ne 1 ] || [ $rrc -ne 0 ]; then
		echo "FAIL $name: darkscope exit $rc ($msg), archives: $(ls "$T/archive" 2>&1), darkscope-report exit $rrc: $rep"
		fail=1
	else
		echo "ok   $name: one period of $p s, archive $(ls "$T/archive") read back"
	fi
done
exit $fail

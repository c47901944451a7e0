#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad configuration: a table of broken files (unknown key, overlapping
# prefixes, bad prefix, bad period, bad country, bad port, bad clock,
# syntax error).  darkscope must exit 2 before touching DPDK with
# "FILE:LINE:" pointing at the bad line, and say what is allowed.
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
exit $fail

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs every unit test binary (build/tests/test_*) and every integration
# script (tests/it_*.sh), prints one line per test and the closing
# "N passed, N failed" line.  Exit status 1 if anything failed.  Tests
# write under $DS_TEST_TMP only: a last check (repo_out_untouched) fails if
# anything under the repository's out/ (what `make run` wrote) changed
# meanwhile (a `make run` in the same checkout during the tests would too).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ "${SANITIZE:-}" = 1 ] && BUILD=build-san
export BUILD
own_tmp=0
[ -z "${DS_TEST_TMP:-}" ] && own_tmp=1
export DS_TEST_TMP=${DS_TEST_TMP:-$(mktemp -d /tmp/darkscope-test.XXXXXX)}
mkdir -p "$DS_TEST_TMP"
pass=0; fail=0; failed=()
run_one() {
	local name=$1; shift
	local log="$DS_TEST_TMP/$name.log" t0=$SECONDS
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1)); echo "PASS $name ($((SECONDS - t0)) s)"
	else
		fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name ($((SECONDS - t0)) s)"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
}
# out/ as a listing of path, size and modification time
out_state() { [ -d out ] && find out -printf '%P %s %T@\n' | LC_ALL=C sort; }
out_before=$(out_state)
filter=${1:-}
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t"); [[ -n "$filter" && "$n" != *$filter* ]] && continue
	run_one "$n" "$t"
done
for t in tests/it_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh); [[ -n "$filter" && "$n" != *$filter* ]] && continue
	run_one "$n" bash "$t"
done
out_after=$(out_state)
if [ "$out_before" = "$out_after" ]; then
	pass=$((pass + 1)); echo "PASS repo_out_untouched"
else
	fail=$((fail + 1)); failed+=(repo_out_untouched); echo "FAIL repo_out_untouched: a test wrote under out/"
	diff <(echo "$out_before") <(echo "$out_after") | head -n 20 | sed 's/^/    /'
fi
echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]} (logs in $DS_TEST_TMP)"
echo "$pass passed, $fail failed"
# a green run leaves nothing behind (the tests write about 2.4 GB, most of it
# archives: it_darkscope 0.9, it_archive 0.7, it_surge 0.4)
[ "$fail" -eq 0 ] && [ "$own_tmp" = 1 ] && rm -rf "$DS_TEST_TMP"
[ "$fail" -eq 0 ]

# SPDX-License-Identifier: BSD-3-Clause
# Sourced by integration scripts.  test_conf DIR [SED-ARGS...] prints
# config/darkscope.conf with its reports and archive under DIR (the
# example's out/ is what `make run` wrote: tests/run.sh fails if a test
# changes it), then with SED-ARGS applied, which may override those two.
test_conf() {
	local d=$1

	shift
	sed -e "s|directory = .*|directory = \"$d/reports\";|" -e "s|archive = .*|archive = \"$d/archive\";|" \
		"$@" config/darkscope.conf
}

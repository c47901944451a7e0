#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Render a darkscope HTML report to PNG with headless Chromium.
#   tools/render-html.sh REPORT.html OUT.png [WIDTHxHEIGHT]
# Uses /usr/bin/chromium (or chromium-browser); when missing and running as
# root it installs the Debian package "chromium" with apt-get.  No network is
# used at view time: the page is self-contained.
set -eu
in=${1:?usage: render-html.sh REPORT.html OUT.png [1280x2400]}
out=${2:?usage: render-html.sh REPORT.html OUT.png [1280x2400]}
size=${3:-1280x2400}
[ -f "$in" ] || { echo "render-html.sh: $in: no such file" >&2; exit 1; }
chrome=""
for c in /usr/bin/chromium /usr/bin/chromium-browser; do
	[ -x "$c" ] && { chrome=$c; break; }
done
if [ -z "$chrome" ]; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2
		chrome=/usr/bin/chromium
	else
		echo "render-html.sh: chromium not found; install the Debian package 'chromium'" >&2
		exit 1
	fi
fi
abs=$(cd "$(dirname "$in")" && pwd)/$(basename "$in")
case $out in /*) ;; *) out=$PWD/$out ;; esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --hide-scrollbars --screenshot="$out" \
	--window-size="${size/x/,}" "file://$abs" >/dev/null 2>&1 || true
[ -s "$out" ] || { echo "render-html.sh: chromium produced no $out" >&2; exit 1; }
echo "$out"

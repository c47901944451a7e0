#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# darkscope benchmark (issue 6); `make bench` runs it.  Prints one table and
# writes bench/results/*.json and bench/results/profile.txt.  See
# bench/README.md for what each figure means.  About 5 minutes.
#
#  a. end to end: darkscope live (wall clock, 1 s reports, every analysis on)
#     fed by the DPDK pcap vdev replaying a darkgen capture from memory
#     (infinite_rx=1), against dpdk-testpmd rxonly on the same vdev and file
#  b. data path alone: build/dpbench (parse + ds_set_burst by stage, with
#     rte_member sketch and an exact rte_hash as peers)
#  c. offline: darkscope --pcap against tracereport -p and tshark
#  d. memory: sketch bytes per sensor and per worker, VmHWM of the live runs
# each with 4 sensors (the first BENCH_FRAMES frames, and for a and b also
# the whole capture: "4w"), 256 sensors, and 256 sensors one of which is a /8.
#
# Environment: BUILD (build), BENCH_SECONDS (20, per live run), BENCH_PERIOD
# (5, report period of the live runs: Mpps = rx_packets of the full periods
# divided by their length),
# BENCH_FRAMES (100000, replayed file), BENCH_SCALE (0.01, darkgen scale of
# the offline file), BENCH_KEEP=1 keeps the work directory.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=${BENCH_SECONDS:-20}
PERIOD=${BENCH_PERIOD:-5}	# report period of the live runs (s)
N=${BENCH_FRAMES:-100000}
SCALE=${BENCH_SCALE:-0.01}
RES=bench/results
W=$(mktemp -d /tmp/darkscope-bench.XXXXXX)
mkdir -p "$RES"
t_start=$SECONDS
EAL="--no-huge --no-pci --no-shconf --log-level=*:warning"
# EAL memory (MiB) of a live run: the mbuf pool holds the preloaded file
eal_mib() { case "$1" in 4w) echo 4096 ;; *) echo 2048 ;; esac; }

cleanup() {
	[ -n "${ds_pid:-}" ] && kill -INT "$ds_pid" 2>/dev/null
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

for b in "$BUILD/darkscope" "$BUILD/darkgen" "$BUILD/dpbench"; do
	[ -x "$b" ] || die "$b missing: run 'make all $BUILD/dpbench' (or 'make bench')"
done
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (Debian package dpdk)"
have_tr=1; command -v tracereport >/dev/null || { have_tr=0; note "tracereport missing (libtrace-tools): offline peer skipped"; }
have_ts=1; command -v tshark >/dev/null || { have_ts=0; note "tshark missing: offline peer skipped"; }
have_perf=1; command -v perf >/dev/null || { have_perf=0; note "perf missing: no profile"; }

# private copies: other work in the tree may rebuild build/ while we run
mkdir -p "$W/bin"
cp "$BUILD/darkscope" "$BUILD/darkgen" "$BUILD/dpbench" "$W/bin/"
BIN=$W/bin

note "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
note "work directory $W"

# ---- inputs: darkgen capture, first N frames, 256-sensor rewrites ----------
"$BIN/darkgen" --scenario paper2014 --out "$W/gen" --scale "$SCALE" --quiet ||
	die "darkgen failed"
python3 bench/mkinput.py "$W/gen/trace.pcap" "$W" "$N" >&2 || die "mkinput failed"
# 4w: the whole capture at the 4 sensors (most sources send a few SYNs
# each, spread over the capture: the source cache's realistic case), with
# a pool for every frame
ln -sf "$W/gen/trace.pcap" "$W/s4w.pcap"
sed 's/mbufs = [0-9]*/mbufs = 524287/; s#out-live4"#out-live4w"#' "$W/live4.conf" >"$W/live4w.conf"
fsize() { stat -L -c %s "$1"; }
# frames in a classic pcap file; pcaphead IN OUT K writes its first K frames
frames_of() { python3 -c '
import struct, sys
f = open(sys.argv[1], "rb"); f.read(24); n = 0
while True:
    h = f.read(16)
    if len(h) < 16: break
    f.seek(struct.unpack("<I", h[8:12])[0], 1); n += 1
print(n)' "$1"; }
pcaphead() { python3 -c '
import struct, sys
f = open(sys.argv[1], "rb"); o = open(sys.argv[2], "wb"); o.write(f.read(24))
for _ in range(int(sys.argv[3])):
    h = f.read(16)
    if len(h) < 16: break
    o.write(h + f.read(struct.unpack("<I", h[8:12])[0]))' "$@"; }

# ---- b. data path alone ----------------------------------------------------
for k in 4 4w 256 256x8; do
	note "dpbench, $k sensors"
	"$BIN/dpbench" -r "${BENCH_PASSES:-7}" -j "$RES/dpbench-$k.json" "$W/live$k.conf" "$W/s$k.pcap" >&2 ||
		die "dpbench failed"
done
# The whole data path again in BENCH_DP_PROCS (5) more processes of 5 passes
# each, the kinds taken in turn so that each kind's processes spread over
# half a minute: the host's speed differs from one process to the next (up
# to 1.7x for the same binary, bench/README.md "Ninth round"), and one
# process samples one phase.  The table gives the fastest and the median of
# the processes beside the stage-by-stage process above.
for k in 4 4w 256 256x8; do : >"$W/dpprocs-$k"; done
for i in $(seq "${BENCH_DP_PROCS:-5}"); do
	for k in 4 4w 256 256x8; do
		DPBENCH_ONLY=ds_set_burst "$BIN/dpbench" -r 5 "$W/live$k.conf" "$W/s$k.pcap" 2>/dev/null |
			awk '/^  all/ {print $(NF - 3)}' >>"$W/dpprocs-$k"
	done
done
for k in 4 4w 256 256x8; do
	python3 -c 'import json, sys; v = [float(x) for x in open(sys.argv[1]) if x.strip()]
json.dump({"processes_cycles_min": v, "passes_each": 5}, open(sys.argv[2], "w"))' \
		"$W/dpprocs-$k" "$RES/dpbench-$k-procs.json" || die "dpbench processes"
done

# Instructions per packet of every row, 4 sensors: the host's phases move
# the cycles of a row by up to 1.7x between processes and within one, not
# its instructions.  dpbench toggles callgrind's collection around each
# timed pass and dumps a row at a time (bench/README.md "Eleventh round").
if command -v valgrind >/dev/null; then
	note "dpbench under callgrind: instructions per packet, 4 sensors"
	mkdir -p "$W/cg"
	valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$W/cg/cg.%p" \
		"$BIN/dpbench" -r 2 "$W/live4.conf" "$W/s4.pcap" >/dev/null 2>&1 || note "callgrind run failed"
	python3 - "$W/cg" "$(frames_of "$W/s4.pcap")" "$RES/dpbench-4-instr.json" <<'EOF2' || note "no instruction counts"
import glob, json, sys
d, frames, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = {}
for f in glob.glob(d + "/cg.*.*"):
    name = total = None
    for line in open(f):
        if line.startswith("desc: Trigger: Client Request: "):
            name = line[len("desc: Trigger: Client Request: "):].strip()
        elif line.startswith("totals: "):
            total = int(line.split()[1])
    if name and total is not None:
        rows[name] = round(total / (2.0 * frames), 1)
json.dump({"frames": frames, "passes": 2, "instructions_per_packet": rows}, open(out, "w"), indent=2)
EOF2
else
	note "valgrind missing: no instruction counts"
fi

# ---- a. end to end ---------------------------------------------------------
# CPU ticks (utime + stime, 1/CLK_TCK s) of the thread of PID named COMM
ticks() { local t; for t in /proc/$1/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] && awk '{print $14 + $15}' "$t/stat"; done |
	awk 'NR == 1 {v = $1} END {print v + 0}'; }
# share of the wall time [w0, w1] ns that c1 - c0 ticks were (1 if unknown)
share() { python3 -c "d = ($2 - $1) / $HZ_TCK / (($4 - $3) / 1e9); print(min(1.0, d) if d > 0 else 1.0)"; }
HZ_TCK=$(getconf CLK_TCK)
vmhwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
e2e_json="{"
for k in 4 4w 256 256x8; do
	pcap="$W/s$k.pcap"; conf="$W/live$k.conf"; out="$W/out-live$k"
	mbufs=$(sed -n 's/.*mbufs = \([0-9]*\).*/\1/p' "$conf")
	note "end to end, $k sensors: darkscope live ${T} s"
	"$BIN/darkscope" $EAL -m "$(eal_mib "$k")" --lcores=0@0,1@1 \
		--vdev=net_pcap0,rx_pcap="$pcap",infinite_rx=1 -- -c "$conf" -o "$out" -p "$PERIOD" \
		>"$W/ds$k.log" 2>&1 &
	ds_pid=$!
	# start-up (pool, preload of the file) ends with the first report
	for _ in $(seq 1 60); do
		ls "$out"/*/report.json >/dev/null 2>&1 && break
		kill -0 "$ds_pid" 2>/dev/null || break
		sleep 1
	done
	c0=$(ticks "$ds_pid" rte-worker-1); w0=$(date +%s%N)
	sleep "$T"
	c1=$(ticks "$ds_pid" rte-worker-1); w1=$(date +%s%N)
	ds_share=$(share "$c0" "$c1" "$w0" "$w1")
	hwm=$(vmhwm "$ds_pid")
	if [ "$k" = 4 ] && [ "$have_perf" = 1 ]; then
		worker=$(ls /proc/$ds_pid/task | while read -r t; do
			[ "$(cat /proc/$ds_pid/task/$t/comm)" = rte-worker-1 ] && echo "$t"; done)
		[ -n "$worker" ] && perf record -q -o "$W/perf.live.data" -t "$worker" -- sleep 4 >/dev/null 2>&1
	fi
	kill -INT "$ds_pid"; wait "$ds_pid"; ds_pid=
	ds=$(python3 bench/report.py live "$out")
	mib=$(sed -n 's/.* \([0-9.]*\) MiB of sketches per worker.*/\1/p' "$W/ds$k.log")
	note "end to end, $k sensors: dpdk-testpmd rxonly ${T} s"
	dpdk-testpmd $EAL -m "$(eal_mib "$k")" -l 0-1 --vdev=net_pcap0,rx_pcap="$pcap",infinite_rx=1 -- \
		--forward-mode=rxonly --stats-period 1 --total-num-mbufs="$mbufs" \
		>"$W/tp$k.log" 2>&1 &
	tp_pid=$!
	for _ in $(seq 1 60); do
		grep -q "Rx-pps: *[1-9]" "$W/tp$k.log" && break
		kill -0 "$tp_pid" 2>/dev/null || break
		sleep 1
	done
	c0=$(ticks "$tp_pid" rte-worker-1); w0=$(date +%s%N)
	sleep "$T"
	c1=$(ticks "$tp_pid" rte-worker-1); w1=$(date +%s%N)
	tp_share=$(share "$c0" "$c1" "$w0" "$w1")
	kill -INT "$tp_pid"; wait "$tp_pid"
	tp=$(python3 bench/report.py testpmd "$W/tp$k.log")
	[ "$e2e_json" != "{" ] && e2e_json="$e2e_json,"
	e2e_json="$e2e_json \"$k\": {\"file\": \"$(frames_of "$pcap") frames, $(fsize "$pcap") bytes\", \"darkscope\": $ds, \"testpmd\": $tp, \"darkscope_cpu_share\": $ds_share, \"testpmd_cpu_share\": $tp_share, \"vmhwm_kib\": ${hwm:-0}, \"mib_sketches_per_worker_printed\": \"${mib}\"}"
done
echo "$e2e_json }" | python3 -m json.tool >"$RES/e2e.json" || die "e2e.json"

# ---- d. memory -------------------------------------------------------------
python3 - "$RES" <<'EOF'
import json, sys
res = sys.argv[1]
e2e = json.load(open(res + "/e2e.json"))
out = {}
for k in ("4", "256", "256x8"):
    d = json.load(open("%s/dpbench-%s.json" % (res, k)))
    out[k] = {"sensors": d["sensors"], "set_bytes": d["set_bytes"],
              "worker_sketch_bytes": d["worker_sketch_bytes"],
              "set_bytes_per_sensor": d["set_bytes"] / d["sensors"],
              "vmhwm_kib": e2e.get(k, {}).get("vmhwm_kib", 0),
              "note": "VmHWM includes EAL -m 2048 touched memory and the mbuf pool holding the preloaded file"}
json.dump(out, open(res + "/memory.json", "w"), indent=2)
EOF

# ---- c. offline ------------------------------------------------------------
off="$W/gen/trace.pcap"
offn=$(frames_of "$off")
tsec() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo "$(( (t1 - t0) / 1000000 ))e-3"; }
# the fastest of BENCH_OFFLINE_RUNS (3) runs, darkscope and tracereport
# alike: the host's speed moves within seconds (dpbench too reports its
# fastest pass); the offline output directory is removed before each run
tbest() { local best= t i
	for i in $(seq "${BENCH_OFFLINE_RUNS:-3}"); do
		rm -rf "$W/out-off4"; t=$(tsec "$@"); t=${t%e-3}
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "${best}e-3"; }
note "offline: darkscope --pcap ($offn frames), daily and 31-day periods"
d_day=$(tbest "$BIN/darkscope" --pcap "$off" -c "$W/off4.conf" -q)
r_day=$(find "$W/out-off4" -name report.json | wc -l)
d_mon=$(tbest "$BIN/darkscope" --pcap "$off" -c "$W/off4.conf" -q -p 2678400)
r_mon=$(find "$W/out-off4" -name report.json | wc -l)
pcaphead "$off" "$W/tiny.pcap" 100
d_tiny=$(tbest "$BIN/darkscope" --pcap "$W/tiny.pcap" -c "$W/off4.conf" -q)
tr=0; tr_tiny=0; ts=0
if [ "$have_tr" = 1 ]; then
	note "offline: tracereport -p"
	tr=$(cd "$W" && tbest tracereport -p "pcapfile:$off")
	tr_tiny=$(cd "$W" && tbest tracereport -p "pcapfile:$W/tiny.pcap")
fi
if [ "$have_ts" = 1 ]; then
	note "offline: tshark per-port counts"
	ts=$(tsec sh -c "tshark -n -r '$off' -T fields -e tcp.dstport | sort | uniq -c > '$W/tshark.ports'")
fi
python3 - "$RES" "$offn" "$(fsize "$off")" "$r_day" "$r_mon" "$d_day" "$d_mon" "$d_tiny" "$tr" "$tr_tiny" "$ts" <<'EOF'
import json, os, sys
res, n, size, r_day, r_mon = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
d_day, d_mon, d_tiny, tr, tr_tiny, ts = map(float, sys.argv[6:])
def fig(s, tiny=None):
    f = {"seconds": s, "mpps": n / s / 1e6 if s else 0}
    if tiny is not None:
        f["startup_seconds"] = tiny
        f["mpps_after_startup"] = n / (s - tiny) / 1e6 if s > tiny else None
    return f
out = {"file": "darkgen paper2014, %d frames, %d bytes" % (n, size), "packets": n,
       "darkscope_daily": dict(fig(d_day, d_tiny), reports=r_day),
       "darkscope_monthly": dict(fig(d_mon, d_tiny), reports=r_mon)}
if tr:
    out["tracereport"] = fig(tr, tr_tiny)
if ts:
    out["tshark"] = fig(ts)
out["note"] = ("wall seconds per process including start-up, the fastest of %s runs for darkscope and "
               "tracereport alike (tshark: one run); startup_seconds = the same on a 100-frame file"
               % os.environ.get("BENCH_OFFLINE_RUNS", "3"))
json.dump(out, open(res + "/offline.json", "w"), indent=2)
EOF

# ---- profile ---------------------------------------------------------------
if [ "$have_perf" = 1 ]; then
	note "profile: perf on dpbench (all analyses, 4 sensors) and the live worker"
	DPBENCH_ONLY="ds_set_burst" perf record -q -o "$W/perf.dp.data" \
		"$BIN/dpbench" -r 10 "$W/live4.conf" "$W/s4.pcap" >/dev/null 2>&1
	{
		echo "# perf report --no-children --sort sym, top symbols"
		echo "# $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared: noisy)"
		echo; echo "## dpbench, parse + ds_set_burst, 4 sensors, $N frames"
		perf report -i "$W/perf.dp.data" --no-children --stdio --sort sym 2>/dev/null |
			grep -E '^ +[0-9]' | grep -v '\[k\]' | head -15
		if [ -f "$W/perf.live.data" ]; then
			echo; echo "## darkscope live worker lcore (rte-worker-1), 4 sensors, pcap vdev replay"
			perf report -i "$W/perf.live.data" --no-children --stdio --sort dso,sym 2>/dev/null |
				grep -E '^ +[0-9]' | head -15
			echo; echo "## the same, by library (librte_net_pcap: receiving, the PMD's copies from its preload)"
			perf report -i "$W/perf.live.data" --no-children --stdio --sort dso 2>/dev/null |
				grep -E '^ +[0-9]' | head -6
		fi
	} >"$RES/profile.txt"
fi

# ---- table -----------------------------------------------------------------
echo
python3 bench/report.py table "$RES"
echo
echo "bench: results in $RES/ ($((SECONDS - t_start)) s; 2 shared cores: figures are noisy, load now $(cut -d' ' -f1-3 /proc/loadavg))"

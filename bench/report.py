#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of bench/run.sh.

report.py live DIR            Mpps of a darkscope live run from its 1 s reports
report.py testpmd LOG         Mpps of a testpmd --stats-period 1 run
report.py table RESULTS_DIR   the summary table (stdout) and summary.json

A live run's first second with packets and the last (cut by SIGINT) are
partial and dropped; the figure is the mean of the full seconds between
(with min and max).
"""
import glob
import json
import os
import re
import sys


def stats(vals):
    if not vals:
        return {"mpps": 0.0, "min": 0.0, "max": 0.0, "seconds": 0}
    return {"mpps": sum(vals) / len(vals) / 1e6, "min": min(vals) / 1e6,
            "max": max(vals) / 1e6, "seconds": len(vals)}


def live(d):
    rx = []
    for f in sorted(glob.glob(os.path.join(d, "*", "report.json"))):
        with open(f) as fh:
            r = json.load(fh)
        secs = r.get("window", {}).get("seconds", 1) or 1
        rx.append(r.get("capture", {}).get("rx_packets", 0) / secs)
    while rx and rx[0] == 0:
        rx.pop(0)
    full = rx[1:-1]
    s = stats(full)
    s["reports"] = len(rx)
    s["per_second"] = rx
    return s


def testpmd(log):
    vals = []
    with open(log, errors="replace") as fh:
        for line in fh:
            m = re.search(r"Rx-pps:\s+(\d+)", line)
            if m:
                vals.append(int(m.group(1)))
    while vals and vals[0] == 0:
        vals.pop(0)
    s = stats(vals[1:-1] if len(vals) > 3 else vals)
    s["per_second"] = vals
    return s


def load(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def cyc(dp, name):
    for r in (dp or {}).get("results", []):
        if r["name"] == name:
            return r["cycles_min"], r["cycles_median"]
    return None, None


def table(res):
    rows = []
    e2e = load(os.path.join(res, "e2e.json")) or {}
    off = load(os.path.join(res, "offline.json")) or {}
    mem = load(os.path.join(res, "memory.json")) or {}
    kinds = (("4", "4 sensors"), ("4w", "4 sensors, whole capture"), ("256", "256 sensors"),
             ("256x8", "256 sensors, one /8"))
    dps = {k: load(os.path.join(res, "dpbench-%s.json" % k)) for k, _ in kinds}
    tsc = (dps.get("4") or {}).get("tsc_hz", 2.45e9)

    def verdict(ok, miss):
        return "met" if ok else "MISSED " + miss

    for kind, label in kinds:
        e = e2e.get(kind)
        if not e:
            continue
        dsw, tpw = e["darkscope"]["mpps"], e["testpmd"]["mpps"]
        dsh, tph = e.get("darkscope_cpu_share", 1.0) or 1.0, e.get("testpmd_cpu_share", 1.0) or 1.0
        # per worker core: packets per second of CPU time the polling lcore got
        ds, tp = dsw / dsh, tpw / tph
        ratio = ds / tp if tp else 0.0
        rows.append(("e2e Mpps/worker core, all analyses (%s, %s)" % (label, e["file"]),
                     "%.2f (wall %.2f, lcore got %.0f%% of its core)" % (ds, dsw, 100 * dsh),
                     "testpmd rxonly %.2f (wall %.2f, %.0f%%)" % (tp, tpw, 100 * tph), "%.2f" % ratio,
                     ">= 14.88 Mpps and >= 0.80",
                     verdict(ds >= 14.88 and ratio >= 0.8,
                             "by %.1fx (%.2f Mpps short; ratio %.2f)" % (14.88 / ds if ds else 0, 14.88 - ds, ratio))))
        if tp and kind == "4":
            # receiving costs darkscope's worker what testpmd's whole loop
            # costs (profile.txt: the PMD's samples); add the data-path
            # budget to testpmd's time per packet
            bound = 1.0 / (1.0 / tp + 60.0 / tsc * 1e6)
            rows.append(("  bound: testpmd's time per packet + the 60-cycle data-path budget",
                         "%.2f Mpps" % bound, "testpmd %.2f" % tp, "%.2f" % (bound / tp),
                         "-", "the 0.80 ratio needs <= %.0f cycles/pkt beyond receiving"
                         % (0.25 / tp * 1e-6 * tsc)))
    for kind, label in kinds:
        dp = dps.get(kind)
        if not dp:
            continue
        a, am = cyc(dp, "parse + ds_set_burst (all analyses)")
        m, _ = cyc(dp, "rte_member sketch (count-min)")
        h, _ = cyc(dp, "exact rte_hash per source")
        cm, _ = cyc(dp, "count-min")
        procs = (load(os.path.join(res, "dpbench-%s-procs.json" % kind)) or {}).get("processes_cycles_min", [])
        shown = "%.0f (median %.0f)" % (a, am)
        best, med = a, am
        if procs:
            ps = sorted(procs)
            med = ps[len(ps) // 2] if len(ps) % 2 else (ps[len(ps) // 2 - 1] + ps[len(ps) // 2]) / 2
            shown += "; %d more processes: fastest %.0f, median %.0f" % (len(ps), ps[0], med)
            best = min(a, ps[0])
        v = verdict(best <= 60, "by %.1fx (%.0f cycles over)" % (best / 60, best - 60))
        if best <= 60 < med:
            v += " in the fastest process only (median %.0f)" % med
        rows.append(("data path cycles/pkt, all (%s, %d frames)" % (label, dp["frames"]),
                     shown, "-", "-", "<= 60 (fastest process)", v))
        fl, flm = cyc(dp, "period-end flush of the caches (manager)")
        if fl:
            rows.append(("  + period-end cache flush, manager thread (per packet of a %d-frame period)"
                         % dp["frames"], "%.1f (median %.1f; %.1f ms per period)"
                         % (fl, flm, fl * dp["frames"] / dp.get("tsc_hz", tsc) * 1e3),
                         "-", "-", "-", "-"))
        if kind == "4":
            wi, _ = cyc(dp, "all, fingerprint buckets prefetched")
            if wi:
                rows.append(("what-if: all, fingerprint buckets prefetched (needs ds_fp_prefetch)",
                             "%.0f" % wi, "as shipped %.0f" % a, "%.2f" % (wi / a if a else 0), "-", "-"))
            # each analysis alone: cycles of its fastest pass (the host's
            # phases move them), and instructions per packet (callgrind),
            # each beside the path with no analysis in the same build
            ipp = (load(os.path.join(res, "dpbench-4-instr.json")) or {}).get("instructions_per_packet", {})
            nb, fb = "+ sensor, counters, source cache, hygiene (no analysis)", "no analysis, a new period each pass"
            base, fbase = cyc(dp, nb)[0], cyc(dp, fb)[0]
            ib, ifb = ipp.get(nb), ipp.get(fb)

            def instr(name, ref):
                i = ipp.get(name)
                if i is None or ref is None:
                    return "-"
                return "%.0f instr (%+.1f)" % (i, i - ref)
            if base:
                rows.append(("data path, no analysis (parse, sensor, counters, source cache, hygiene)",
                             "%.0f cycles, %s" % (base, instr(nb, ib)),
                             "new period each pass: %.0f cycles, %s" % (fbase or 0, instr(fb, ifb)), "-", "-",
                             "per analysis below: alone, (+) over no analysis"))
            for an, fr in (("count-min", "count-min"), ("source HLLs", "source HLLs"),
                           ("overlap samples", "overlap samples"),
                           ("tool and watched-port HLLs", "tool and watched HLLs"),
                           ("top sources", "top sources"), ("fingerprints", "fingerprints")):
                x = cyc(dp, an)[0]
                fname = "%s alone, a new period each pass" % fr
                f = cyc(dp, fname)[0]
                if not x:
                    continue
                rows.append(("  %s alone" % an, "%.0f cycles, %s" % (x, instr(an, ib)),
                             "new period: %.0f cycles, %s" % (f or 0, instr(fname, ifb)), "-", "-", "-"))
            an_all = "parse + ds_set_burst (all analyses)"
            fa = cyc(dp, "all analyses, a new period each pass")[0]
            rows.append(("  all analyses (the product's build of the path)", "%.0f cycles, %s" % (a, instr(an_all, ib)),
                         "new period: %.0f cycles, %s" % (fa or 0, instr("all analyses, a new period each pass", ifb)),
                         "-", "<= 60", "see 'data path cycles/pkt, all' above"))
            rows.append(("data path cycles/pkt, count-min alone", "%.0f" % cm,
                         "rte_member sketch %.0f" % m, "%.2f" % (m / cm if cm else 0),
                         "(peer: higher is better for us)", "-"))
            rows.append(("data path cycles/pkt, all analyses vs exact per-source",
                         "%.0f" % a, "rte_hash exact %.0f" % h, "%.2f" % (h / a if a else 0),
                         "(peer counts sources only)", "-"))
    if off:
        tr = off.get("tracereport", {}).get("seconds")
        ts = off.get("tshark", {}).get("seconds")
        for key, label in (("darkscope_daily", "daily reports"), ("darkscope_monthly", "31-day reports")):
            d = off.get(key)
            if not d or not tr:
                continue
            ratio = tr / d["seconds"]
            rows.append(("offline --pcap Mpps (%s, %s)" % (label, off["file"]),
                         "%.2f (%.3f s)" % (d["mpps"], d["seconds"]),
                         "tracereport -p %.2f (%.2f s)" % (off["packets"] / tr / 1e6, tr),
                         "%.2fx" % ratio, ">= 20x tracereport",
                         verdict(ratio >= 20, "by %.2fx (%.2fx of 20x)" % (20 / ratio, ratio))))
        d, mo = off.get("darkscope_daily"), off.get("darkscope_monthly")
        if d and mo and tr and d.get("reports", 0) > mo.get("reports", 0):
            # what a report costs: the two runs read the same packets and
            # differ in the number of periods
            per = (d["seconds"] - mo["seconds"]) / (d["reports"] - mo["reports"])
            room = (tr / 20 - mo["seconds"]) / (d["reports"] - mo["reports"])
            rows.append(("  offline cost per report (daily minus 31-day run, %d - %d reports)"
                         % (d["reports"], mo["reports"]), "%.2f ms" % (per * 1e3), "-", "-",
                         "20x daily: <= %.2f ms" % (room * 1e3) if room > 0 else "-",
                         "20x daily needs %.1fx cheaper reports" % (per / room) if room > 0
                         else "the 31-day run alone takes the 20x budget"))
        if d and ts:
            rows.append(("offline vs tshark per-port counts", "%.1f s" % d["seconds"],
                         "tshark %.1f s" % ts, "%.1fx" % (ts / d["seconds"]), "-", "-"))
    for kind in ("4", "256", "256x8"):
        mm = mem.get(kind)
        if not mm:
            continue
        rows.append(("memory, %s sensors%s" % ("256" if kind != "4" else "4", ", one /8" if kind == "256x8" else ""),
                     "%.1f MiB sketches/worker, %.0f KiB/sensor/set; VmHWM %.0f MiB"
                     % (mm["worker_sketch_bytes"] / 2**20, mm["set_bytes"] / mm["sensors"] / 1024,
                        mm.get("vmhwm_kib", 0) / 1024), "-", "-", "-", "-"))
    hdr = ("figure", "darkscope", "peer", "ratio", "target", "verdict")
    w = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(6)]
    line = lambda r: " | ".join(str(r[i]).ljust(w[i]) for i in range(6))
    print(line(hdr))
    print("-+-".join("-" * x for x in w))
    for r in rows:
        print(line(r))
    with open(os.path.join(res, "summary.json"), "w") as fh:
        json.dump({"tsc_hz": tsc, "rows": [dict(zip(hdr, r)) for r in rows]}, fh, indent=2)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cmd, arg = sys.argv[1], sys.argv[2]
    if cmd == "live":
        print(json.dumps(live(arg)))
    elif cmd == "testpmd":
        print(json.dumps(testpmd(arg)))
    elif cmd == "table":
        table(arg)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

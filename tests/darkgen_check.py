#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent check of darkgen's ground truth.

Reads DIR/trace.pcap with its own pure-Python pcap reader (struct module,
no libpcap, no darkgen code), classifies every frame from its bytes alone
(own RFC 6890 list, own header parsing), recomputes the counts and compares
them with DIR/truth.json.  Sensor prefixes come from truth.json and source
countries from DIR/sources.tsv.  Prints every mismatch; exit 1 if any.

usage: darkgen_check.py DIR
"""
import bisect
import calendar
import ipaddress
import json
import struct
import sys
import time
from collections import defaultdict

BOGONS = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
          "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
          "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
          "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"]
BOGON_NETS = [(int(n.network_address), int(n.netmask))
              for n in map(ipaddress.ip_network, BOGONS)]


def is_bogon(a):
    return any(a & m == b for b, m in BOGON_NETS)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, snap, link = struct.unpack_from("<IHHiIII", data, 0)
    assert magic == 0xa1b2c3d4, "not a little-endian microsecond pcap"
    assert link == 1, "linktype is not EN10MB"
    off = 24
    hdr = struct.Struct("<IIII")
    while off < len(data):
        sec, usec, caplen, wire = hdr.unpack_from(data, off)
        off += 16
        yield sec * 1000000 + usec, data[off:off + caplen], wire
        off += caplen


class Sensors:
    def __init__(self, truth):
        self.names = [s["name"] for s in truth["sensors"]]
        self.nets = []
        for i, s in enumerate(truth["sensors"]):
            for p in s["prefixes"]:
                n = ipaddress.ip_network(p)
                self.nets.append((int(n.network_address), int(n.netmask), i))
        self.slash16 = [{int(ipaddress.ip_network(p).network_address) >> 16
                         for p in s["prefixes"]} for s in truth["sensors"]]
        self.cc = [s["country"] for s in truth["sensors"]]

    def of(self, a):
        for b, m, i in self.nets:
            if a & m == b:
                return i
        return -1


class Geo:
    def __init__(self, path):
        rows = []
        for line in open(path):
            cidr, cc = line.rstrip("\n").split("\t")
            n = ipaddress.ip_network(cidr)
            rows.append((int(n.network_address), int(n.broadcast_address), cc))
        rows.sort()
        self.starts = [r[0] for r in rows]
        self.rows = rows

    def cc(self, a):
        i = bisect.bisect_right(self.starts, a) - 1
        if i >= 0 and a <= self.rows[i][1]:
            return self.rows[i][2]
        return "ZZ"


def classify(frame, sensors):
    """-> (class, noise kind or None, scan tuple or None)"""
    off, tags, etype = 12, 0, None
    etype = struct.unpack_from(">H", frame, off)[0]
    while etype in (0x8100, 0x88a8) and tags < 2:
        tags += 1
        off += 4
        etype = struct.unpack_from(">H", frame, off)[0]
    l3 = off + 2
    if etype == 0x86dd:
        return "ipv6", "ipv6", None
    if etype != 0x0800:
        return "nonip", "arp" if etype == 0x0806 else None, None
    avail = len(frame) - l3
    if avail < 20:
        return "malformed", "truncated", None
    vihl, _, totlen, ipid, frag, ttl, proto, _, src, dst = struct.unpack_from(
        ">BBHHHBBHII", frame, l3)
    ihl = (vihl & 15) * 4
    if ihl < 20:
        return "malformed", "bad_ihl", None
    if totlen > avail or totlen < ihl:
        return "malformed", "truncated" if len(frame) < 60 else "bad_totlen", None
    if frag & 0x3fff:
        return "fragment", "fragment", None
    sn = sensors.of(dst)
    if sn < 0:
        return "outside", "outside", None
    l4 = l3 + ihl
    if proto == 17:
        return "udp", "vlan_udp" if tags else "udp", None
    if proto == 1:
        return "icmp", "icmp", None
    if proto != 6:
        return "ipv4_other", None, None
    if totlen < ihl + 20:
        return "malformed", "truncated", None
    sport, dport, seq, _, _, flags, win = struct.unpack_from(">HHIIBBH", frame, l4)
    if flags & 0x02 and not flags & 0x14:
        if is_bogon(src):
            return "hygiene", "bogon_src", None
        if src == dst:
            return "hygiene", "src_eq_dst", None
        if src & 255 in (0, 255):
            return "hygiene", "src_net_bcast", None
        kind = {0: None, 1: "vlan_syn", 2: "qinq_syn"}[tags]
        return "scan", kind, (sn, src, dst, sport, dport, seq, ipid, win)
    if flags & 0x04 or (flags & 0x12) == 0x12:
        return "backscatter", "rst" if flags & 0x04 else "syn_ack", None
    return "tcp_other", "tcp_other", None


def ip_checksum_ok(frame):
    off = 12
    while struct.unpack_from(">H", frame, off)[0] in (0x8100, 0x88a8):
        off += 4
    l3 = off + 2
    ihl = (frame[l3] & 15) * 4
    s = sum(struct.unpack_from(">%dH" % (ihl // 2), frame, l3))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff


class Checker:
    def __init__(self, truth, sensors, geo):
        self.t = truth
        self.sn = sensors
        self.geo = geo
        self.errors = []

    def eq(self, what, got, want):
        if got != want:
            self.errors.append("%s: pcap says %r, truth.json says %r" % (what, got, want))


def day_of(ts_us, start_s):
    return (ts_us // 1000000 - start_s) // 86400


def main():
    d = sys.argv[1]
    t0 = time.time()
    truth = json.load(open(d + "/truth.json"))
    sensors = Sensors(truth)
    geo = Geo(d + "/sources.tsv")
    ck = Checker(truth, sensors, geo)
    start = calendar.timegm(time.strptime(truth["start"], "%Y-%m-%dT%H:%M:%SZ"))
    ndays = len(truth["sensors"][0]["daily"])
    nsens = len(sensors.names)
    watched = [w["port"] for w in truth["watched_ports"]]
    fps = [(f["sport"], f["seq"], f["ipid"], f["window"]) for f in truth["fingerprints"]]
    windows = {}   # port -> (key, day0, day1)
    for w in truth["watched_ports"]:
        for k, win in w.items():
            if k.startswith("window_"):
                d0 = (calendar.timegm(time.strptime(win["from"], "%Y-%m-%d")) - start) // 86400
                d1 = (calendar.timegm(time.strptime(win["to"], "%Y-%m-%d")) - start) // 86400
                windows[w["port"]] = (k, d0, d1)
    win_src = {p: defaultdict(int) for p in windows}

    total = 0
    classes = defaultdict(int)
    noise = defaultdict(int)
    syn = [0] * nsens
    ports = [defaultdict(int) for _ in range(nsens)]
    allsrc = defaultdict(int)
    ex445 = [0] * nsens
    ex445src = defaultdict(int)
    daily_pk = [[0] * ndays for _ in range(nsens)]
    daily_src = [[set() for _ in range(ndays)] for _ in range(nsens)]
    watch_pk = {p: [0] * nsens for p in watched}
    watch_src = {p: defaultdict(int) for p in watched}
    fp_pk = {f: [0] * nsens for f in fps}
    fp_src = {f: defaultdict(int) for f in fps}
    fp_ports = {f: defaultdict(int) for f in fps}
    fp_isn16 = {f: 0 for f in fps}
    tools = {k: ([0] * nsens, defaultdict(int)) for k in ("mirai", "zmap", "masscan")}
    last_ts = -1
    bad_csum = 0
    for ts, frame, wire in read_pcap(d + "/trace.pcap"):
        total += 1
        if ts < last_ts:
            ck.errors.append("timestamps decrease at frame %d" % total)
        last_ts = ts
        if wire != len(frame):
            ck.errors.append("frame %d: caplen %d != len %d" % (total, len(frame), wire))
        cls, kind, sc = classify(frame, sensors)
        classes[cls] += 1
        if kind:
            noise[kind] += 1
        if not sc:
            continue
        if not ip_checksum_ok(frame):
            bad_csum += 1
        sn, src, dst, sport, dport, seq, ipid, win = sc
        bit = 1 << sn
        day = day_of(ts, start)
        syn[sn] += 1
        ports[sn][dport] += 1
        allsrc[src] |= bit
        daily_pk[sn][day] += 1
        daily_src[sn][day].add(src)
        if dport != 445:
            ex445[sn] += 1
            ex445src[src] |= bit
        if dport in watch_pk:
            watch_pk[dport][sn] += 1
            watch_src[dport][src] |= bit
            wd = windows.get(dport)
            if wd and wd[1] <= day <= wd[2]:
                win_src[dport][src] |= bit
        f = (sport, seq, ipid, win)
        if f in fp_pk:
            fp_pk[f][sn] += 1
            fp_src[f][src] |= bit
            fp_ports[f][dport] += 1
            if seq & 0xffff == 0 and dst >> 16 == seq >> 16:
                fp_isn16[f] += 1
        for name, hit in (("mirai", seq == dst), ("zmap", ipid == 54321),
                          ("masscan", ipid == (dst ^ dport ^ seq) & 0xffff)):
            if hit:
                tools[name][0][sn] += 1
                tools[name][1][src] |= bit

    T = truth
    ck.eq("packets_total", total, T["packets_total"])
    ck.eq("scan frames with a bad IP checksum", bad_csum, 0)
    for c, v in T["classes"].items():
        ck.eq("classes.%s" % c, classes.get(c, 0), v)
    ck.eq("classes sum", sum(T["classes"].values()), T["packets_total"])
    for k, v in T["noise"].items():
        ck.eq("noise.%s" % k, noise.get(k, 0), v)

    def uniq(m, i):
        return sum(1 for v in m.values() if v >> i & 1)

    def hist(m):
        h = defaultdict(int)
        for v in m.values():
            h[bin(v).count("1")] += 1
        return {str(k): h.get(k, 0) for k in range(1, nsens + 1)}

    def countries(m, i):
        c = defaultdict(int)
        for a, v in m.items():
            if v >> i & 1:
                c[geo.cc(a)] += 1
        return sorted(({"country": k, "unique_sources": n} for k, n in c.items()),
                      key=lambda x: (-x["unique_sources"], x["country"]))

    def cc_map(lst):
        return {x["country"]: x["unique_sources"] for x in lst}

    for i, s in enumerate(T["sensors"]):
        n = s["name"]
        ck.eq(n + ".syn_packets", syn[i], s["syn_packets"])
        ck.eq(n + ".unique_sources", uniq(allsrc, i), s["unique_sources"])
        for p, v in s["ports"].items():
            ck.eq("%s.ports[%s]" % (n, p), ports[i].get(int(p), 0), v)
        top = sorted(ports[i].items(), key=lambda x: (-x[1], x[0]))[:20]
        ck.eq(n + ".top_ports", [(p, c) for p, c in top],
              [(x["port"], x["packets"]) for x in s["top_ports"]])
        ck.eq(n + ".excl_445.syn_packets", ex445[i], s["excl_445"]["syn_packets"])
        ck.eq(n + ".excl_445.unique_sources", uniq(ex445src, i), s["excl_445"]["unique_sources"])
        ck.eq(n + ".daily.packets", daily_pk[i], [x["packets"] for x in s["daily"]])
        ck.eq(n + ".daily.unique_sources", [len(x) for x in daily_src[i]],
              [x["unique_sources"] for x in s["daily"]])
        months = defaultdict(lambda: [0, set()])
        for dd in range(ndays):
            m = time.strftime("%Y-%m", time.gmtime(start + dd * 86400))
            months[m][0] += daily_pk[i][dd]
            months[m][1] |= daily_src[i][dd]
        ck.eq(n + ".monthly", [(m, v[0], len(v[1])) for m, v in sorted(months.items())],
              [(x["month"], x["packets"], x["unique_sources"]) for x in s["monthly"]])
        ck.eq(n + ".countries", cc_map(countries(allsrc, i)), cc_map(s["countries"]))
    ck.eq("overlap_all", hist(allsrc), T["overlap_all"])

    for w in T["watched_ports"]:
        p = w["port"]
        m = watch_src[p]
        ck.eq("watch %d sources" % p, len(m), w["sources"])
        ck.eq("watch %d sensors_per_source" % p, hist(m), w["sensors_per_source"])
        if p in windows:
            k = windows[p][0]
            ck.eq("watch %d %s.sources" % (p, k), len(win_src[p]), w[k]["sources"])
            ck.eq("watch %d %s.sensors_per_source" % (p, k), hist(win_src[p]),
                  w[k]["sensors_per_source"])
        for i, ps in enumerate(w["per_sensor"]):
            n = "watch %d %s" % (p, ps["sensor"])
            ck.eq(n + " packets", watch_pk[p][i], ps["packets"])
            ck.eq(n + " unique_sources", uniq(m, i), ps["unique_sources"])
            ck.eq(n + " countries", cc_map(countries(m, i)), cc_map(ps["countries"]))
            s16 = sum(1 for a, v in m.items() if v >> i & 1 and a >> 16 in sensors.slash16[i])
            ck.eq(n + " same_slash16_sources", s16, ps["same_slash16_sources"])
            scc = sum(1 for a, v in m.items() if v >> i & 1 and geo.cc(a) == sensors.cc[i])
            ck.eq(n + " same_country_sources", scc, ps["same_country_sources"])

    for f in T["fingerprints"]:
        key = (f["sport"], f["seq"], f["ipid"], f["window"])
        n = "fingerprint seq %d" % f["seq"]
        ck.eq(n + " packets", sum(fp_pk[key]), f["packets"])
        ck.eq(n + " unique_sources", len(fp_src[key]), f["unique_sources"])
        ck.eq(n + " per_sensor", [(fp_pk[key][i], uniq(fp_src[key], i)) for i in range(nsens)],
              [(x["packets"], x["unique_sources"]) for x in f["per_sensor"]])
        ck.eq(n + " ports", {str(k): v for k, v in fp_ports[key].items()}, f["ports"])
        ck.eq(n + " isn_target_slash16_packets", fp_isn16[key], f["isn_target_slash16_packets"])

    for x in T["tools"]:
        pk, m = tools[x["tool"]]
        ck.eq(x["tool"] + " packets", sum(pk), x["packets"])
        ck.eq(x["tool"] + " unique_sources", len(m), x["unique_sources"])
        ck.eq(x["tool"] + " per_sensor", [(pk[i], uniq(m, i)) for i in range(nsens)],
              [(y["packets"], y["unique_sources"]) for y in x["per_sensor"]])

    for e in ck.errors[:50]:
        print("MISMATCH", e)
    print("darkgen_check: %d frames, %d scan, %d mismatches (%.1f s)" %
          (total, classes["scan"], len(ck.errors), time.time() - t0))
    return 1 if ck.errors else 0


if __name__ == "__main__":
    sys.exit(main())

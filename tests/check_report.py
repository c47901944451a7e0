#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check darkscope reports against darkgen's ground truth (truth.json).

  check_report.py totals TRUTH REPORTDIR   sums over every period report
  check_report.py full   TRUTH REPORTDIR   one report covering the capture
  check_report.py csv    REPORTDIR         every period's CSV tables equal
                                           its report.json, headers as
                                           documented in docs/report-format.md
  check_report.py mutate TRUTH REPORTDIR   negative control: the one report
      passes `full`, and each row of MUTATIONS (a deliberately wrong value)
      makes `full` fail with the expected message

Each check is one row of a table; the script prints every failed row, the
number of checks made and exits 1 if any failed.  Tolerances, all derived
from what the report states about its sketches (docs/sketches.md):
  exact counters          equal
  HLL (hll_precision 16)  HLL_TOL = 2 % (about 5 standard errors of 0.41 %)
  bottom-K sample         BK_SIGMAS = 4 standard errors, bk_tolerance()
  count-min top ports     the report's top_ports_error_bound"""
import copy, csv, glob, json, math, os, sys

HLL_TOL = 0.02
BK_SIGMAS = 4


class Checks:
    def __init__(self):
        self.made = 0
        self.failed = []

    def __call__(self, ok, what):
        self.made += 1
        if not ok:
            self.failed.append(what)
        return ok


check = Checks()


def reports(d):
    files = sorted(glob.glob(os.path.join(d, '*', 'report.json')))
    return [json.load(open(f)) for f in files]


def by(lst, key):
    return {x[key]: x for x in lst}


def near(got, want, tol=HLL_TOL):
    return abs(got - want) <= max(tol * want, 1)


def bk_tolerance(want, n, k):
    """BK_SIGMAS standard errors of a bottom-K estimate of `want` sources
    (a property of a fraction f = want / n of n distinct sources) from a
    sample of k: docs/sketches.md gives the relative standard error
    sqrt((1 - f) / (k f) + 1 / k); the sampling term is multiplied by the
    finite-population correction (n - k) / n, since the sample holds k of
    the n sources (it vanishes when the sample holds them all, and for
    f = 1 only the 1/sqrt(k) error of the scale is left)."""
    if want <= 0 or n <= k:
        return 1
    f = want / n
    rse = math.sqrt((1 - f) / (k * f) * (n - k) / n + 1 / k)
    return BK_SIGMAS * want * rse + 1


def sampled(got, want, mode, k, n):
    """A count read off a bottom-K sample of k of n distinct sources: exact
    while the sample holds every source, else within bk_tolerance()."""
    if mode == 'exact':
        return got == want
    return abs(got - want) <= bk_tolerance(want, n, k)


def sample_mode(what, s, n, k):
    """mode, sample_size, sources and scale of a bottom-K sample s (K = k)
    that was offered n distinct sources (the truth)."""
    mode = 'exact' if n <= k else 'estimate'
    check(s['mode'] == mode, '%s mode %s, want %s (%d sources, K = %d)' % (what, s['mode'], mode, n, k))
    check(s['sample_size'] == min(n, k), '%s sample_size %d, want %d (%d sources, K = %d)' %
          (what, s['sample_size'], min(n, k), n, k))
    check(sampled(s['sources'], n, mode, k, n), '%s sources %d, truth %d (tolerance %.0f)' %
          (what, s['sources'], n, 0 if mode == 'exact' else bk_tolerance(n, n, k)))
    if 'scale' in s:
        check(abs(s['scale'] * s['sample_size'] - s['sources']) <= 1,
              '%s scale %s x sample_size %d != sources %d' % (what, s['scale'], s['sample_size'], s['sources']))


def excl_key(r):
    """truth.json's key of the series without the excluded ports."""
    ports = r['sensors'][0]['excluded_ports'] if r['sensors'] else []
    return 'excl_' + '_'.join(str(p) for p in sorted(ports))


def totals(truth, reps):
    classes = {}
    syn = {}
    excl_pk = {}
    rx = 0
    tool = {}
    key = excl_key(reps[0])
    for r in reps:
        for k, v in r['capture']['classes'].items():
            classes[k] = classes.get(k, 0) + v
        rx += r['capture']['rx_packets']
        for s in r['sensors']:
            syn[s['name']] = syn.get(s['name'], 0) + s['syn_packets']
            excl_pk[s['name']] = excl_pk.get(s['name'], 0) + s['excl']['syn_packets']
        for t in r['tools']:
            tool[t['tool']] = tool.get(t['tool'], 0) + t['packets']
            for p in t['per_sensor']:
                k = (t['tool'], p['sensor'])
                tool[k] = tool.get(k, 0) + p['packets']
    check(sum(classes.values()) == truth['packets_total'],
          'packets counted %d != packets fed %d' % (sum(classes.values()), truth['packets_total']))
    check(rx == truth['packets_total'], 'capture.rx_packets total %d != %d' % (rx, truth['packets_total']))
    for k, v in truth['classes'].items():
        check(classes.get(k) == v, 'class %s: report %s, truth %d' % (k, classes.get(k), v))
    for s in truth['sensors']:
        check(syn.get(s['name']) == s['syn_packets'],
              'sensor %s SYN %s != %d' % (s['name'], syn.get(s['name']), s['syn_packets']))
        if check(key in s, 'truth has no %s series for sensor %s' % (key, s['name'])):
            check(excl_pk.get(s['name']) == s[key]['syn_packets'], 'sensor %s excl.syn_packets %s != %s %d' %
                  (s['name'], excl_pk.get(s['name']), key, s[key]['syn_packets']))
    for t in truth['tools']:
        check(tool.get(t['tool']) == t['packets'],
              'tool %s packets %s != %d' % (t['tool'], tool.get(t['tool']), t['packets']))
        for p in t['per_sensor']:
            k = (t['tool'], p['sensor'])
            check(tool.get(k) == p['packets'], 'tool %s sensor %s packets %s != %d' %
                  (t['tool'], p['sensor'], tool.get(k), p['packets']))


def top_ports(ts, rs, err):
    """The truth's top 10 are in the report's list, each count-min count
    within [truth, truth + err], and in truth order: a report may swap two
    ports only when their truth counts differ by at most err (then the
    lower one's estimate can reach the higher one's count)."""
    want = ts['top_ports'][:10]
    got = {p['port']: i for i, p in enumerate(rs['top_ports'])}
    gotp = {p['port']: p['packets'] for p in rs['top_ports']}
    for i, a in enumerate(want):
        check(a['port'] in got, 'sensor %s: port %d of the truth top 10 missing' % (ts['name'], a['port']))
        if a['port'] in gotp:
            check(a['packets'] <= gotp[a['port']] <= a['packets'] + err,
                  'sensor %s port %d: %d packets, truth %d, bound %d' %
                  (ts['name'], a['port'], gotp[a['port']], a['packets'], err))
        for b in want[i + 1:]:
            if a['packets'] - b['packets'] > err and a['port'] in got and b['port'] in got:
                check(got[a['port']] < got[b['port']],
                      'sensor %s: port %d should rank above %d (truth %d vs %d packets, bound %d)' %
                      (ts['name'], a['port'], b['port'], a['packets'], b['packets'], err))


def excl(ts, s, key):
    """The sensor's volume without the excluded ports (Fig. 4, 5)."""
    if not check(key in ts, 'truth has no %s series for sensor %s' % (key, ts['name'])):
        return
    t, g = ts[key], s['excl']
    check(g['syn_packets'] == t['syn_packets'], 'sensor %s excl.syn_packets %d != %s %d' %
          (ts['name'], g['syn_packets'], key, t['syn_packets']))
    check(near(g['unique_sources'], t['unique_sources']), 'sensor %s excl.unique_sources %d vs %s %d' %
          (ts['name'], g['unique_sources'], key, t['unique_sources']))
    check(abs(g['packets_per_address'] - t['syn_packets'] / ts['addresses']) <= 1e-6 * max(1, g['packets_per_address']),
          'sensor %s excl.packets_per_address %s != %d / %d' %
          (ts['name'], g['packets_per_address'], t['syn_packets'], ts['addresses']))


def countries(want, got, what):
    w = {c['country']: c['unique_sources'] for c in want}
    g = {c['country']: c['unique_sources'] for c in got}
    check(w == g, '%s countries differ: truth %s report %s' % (what, sorted(w.items())[:8], sorted(g.items())[:8]))


def overlap(truth, r):
    """The all-source sensors-per-source histogram (Table 3 / 8 over every
    port) from the overlap sample, exact or within bk_tolerance()."""
    ov = r['sensor_overlap']
    want = truth['overlap_all']
    n = sum(want.values())
    k = r['sketch']['overlap_k']
    sample_mode('sensor_overlap', ov, n, k)
    check(sorted(ov['sensors_per_source']) == sorted(want), 'sensor_overlap keys %s != %s' %
          (sorted(ov['sensors_per_source']), sorted(want)))
    for key, v in sorted(want.items()):
        g = ov['sensors_per_source'].get(key, -1)
        check(sampled(g, v, ov['mode'], ov['sample_size'], n),
              'sensor_overlap sensors_per_source[%s] %d, truth %d (%s, tolerance %.0f)' %
              (key, g, v, ov['mode'], 0 if ov['mode'] == 'exact' else bk_tolerance(v, n, ov['sample_size'])))


def watched(truth, r, locals_):
    rw = by(r['watched_ports'], 'port')
    for tw in truth['watched_ports']:
        p = tw['port']
        if not check(p in rw, 'watched port %d missing' % p):
            continue
        w = rw[p]
        n = tw['sources']
        sample_mode('port %d' % p, w, n, r['sketch']['overlap_watch_k'])
        mode, k = w['mode'], w['sample_size']
        exact = mode == 'exact'
        if p in (10073, 5000):
            check(w['sensors_per_source'] == tw['sensors_per_source'],
                  'port %d sensors per source %s != %s' % (p, w['sensors_per_source'], tw['sensors_per_source']))
        rps = by(w['per_sensor'], 'sensor')
        for ts in tw['per_sensor']:
            g = rps[ts['sensor']]
            check(g['packets'] == ts['packets'], 'port %d sensor %s packets %d != %d' %
                  (p, ts['sensor'], g['packets'], ts['packets']))
            check(near(g['unique_sources'], ts['unique_sources']), 'port %d sensor %s sources %d vs %d' %
                  (p, ts['sensor'], g['unique_sources'], ts['unique_sources']))
            for key in ('same_slash16_sources', 'same_country_sources'):
                ok = sampled(g[key], ts[key], mode, k, n)
                check(ok, 'port %d sensor %s %s %d != %d' % (p, ts['sensor'], key, g[key], ts[key]))
            if exact:
                countries(ts['countries'], g['countries'], 'port %d sensor %s' % (p, ts['sensor']))
    # 10073: sources in sensor A's country hit A only (Table 2 finding)
    a = truth['sensors'][0]
    key = '10073/%s' % a['country']
    check(any(l['kind'] == 'port_country' and l['key'] == key and l['sensor'] == a['name'] for l in locals_),
          'local attack %s at %s not reported' % (key, a['name']))
    # 445: the worm never reaches C and D
    w445 = by(rw[445]['per_sensor'], 'sensor') if 445 in rw else {}
    t445 = by(by(truth['watched_ports'], 'port')[445]['per_sensor'], 'sensor')
    for s in ('C', 'D'):
        if s in w445:
            check(w445[s]['packets'] == t445[s]['packets'], '445 at %s: %d != %d' %
                  (s, w445[s]['packets'], t445[s]['packets']))
    check('C' in w445 and w445['C']['packets'] * 100 < w445['A']['packets'], '445/TCP not absent at C')


def isn_slash16(seq):
    """What the planted ISN says: its low 16 bits are zero."""
    return seq & 0xffff == 0


def fingerprints(truth, r, locals_):
    rf = {(f['sport'], f['seq'], f['ipid'], f['window']): f for f in r['fingerprints']}
    fams = [f for f in r['families'] if (f['sport'], f['ipid'], f['window']) == (6000, 256, 16384)]
    check(len(fams) == 1 and fams[0]['members_count'] == len(truth['fingerprints']),
          'family 6000/256/16384 with %d members not found: %s' % (len(truth['fingerprints']), fams))
    tseq = by(truth['fingerprints'], 'seq')
    for m in fams[0]['members'] if len(fams) == 1 else []:
        check(m['seq'] in tseq, 'family member %d was not planted' % m['seq'])
        check(m['isn_is_slash16'] == isn_slash16(m['seq']), 'family member %d isn_is_slash16 %s, planted ISN %s' %
              (m['seq'], m['isn_is_slash16'], m['isn_as_address']))
    for tf in truth['fingerprints']:
        k = (tf['sport'], tf['seq'], tf['ipid'], tf['window'])
        if not check(k in rf, 'fingerprint %s missing' % (k,)):
            continue
        f = rf[k]
        check(f['packets'] == tf['packets'], 'fingerprint %d packets %d != %d' % (k[1], f['packets'], tf['packets']))
        rps = by(f['per_sensor'], 'sensor')
        for ts in tf['per_sensor']:
            check(rps[ts['sensor']]['packets'] == ts['packets'], 'fingerprint %d sensor %s packets %d != %d' %
                  (k[1], ts['sensor'], rps[ts['sensor']]['packets'], ts['packets']))
        dom = max(tf['per_sensor'], key=lambda x: x['packets'])['sensor']
        check(f['dominant_sensor'] == dom, 'fingerprint %d dominant %s != %s' % (k[1], f['dominant_sensor'], dom))
        check(f['isn_is_slash16'] == isn_slash16(k[1]), 'fingerprint %d isn_is_slash16 %s' % (k[1], f['isn_is_slash16']))
        t16 = tf['isn_target_slash16_packets']
        check(f['isn_target_slash16_packets'] == t16, 'fingerprint %d isn_target_slash16_packets %d != %d' %
              (k[1], f['isn_target_slash16_packets'], t16))
        check(f['isn_equals_target_slash16'] == (2 * t16 > tf['packets']),
              'fingerprint %d isn_equals_target_slash16 %s, truth %d of %d packets to the ISN /16' %
              (k[1], f['isn_equals_target_slash16'], t16, tf['packets']))
        key = '%d/%d/%d/%d' % k
        check(any(l['kind'] == 'family_member' and l['key'] == key and l['sensor'] == dom for l in locals_),
              'family member %s not local to %s' % (key, dom))


def tools(truth, r):
    rt = by(r['tools'], 'tool')
    for tt in truth['tools']:
        g = rt[tt['tool']]
        check(g['packets'] == tt['packets'], 'tool %s packets %d != %d' % (tt['tool'], g['packets'], tt['packets']))
        check(near(g['unique_sources'], tt['unique_sources']), 'tool %s sources %d vs %d' %
              (tt['tool'], g['unique_sources'], tt['unique_sources']))
        gps = by(g['per_sensor'], 'sensor')
        for tp in tt['per_sensor']:
            gp = gps.get(tp['sensor'], {'packets': -1})
            check(gp['packets'] == tp['packets'], 'tool %s sensor %s packets %d != %d' %
                  (tt['tool'], tp['sensor'], gp['packets'], tp['packets']))


def full(truth, reps):
    check(len(reps) == 1, 'expected one report, got %d' % len(reps))
    r = reps[0]
    rs = by(r['sensors'], 'name')
    key = excl_key(r)
    for ts in truth['sensors']:
        s = rs[ts['name']]
        check(s['syn_packets'] == ts['syn_packets'], 'sensor %s SYN %d != %d' % (ts['name'], s['syn_packets'], ts['syn_packets']))
        check(near(s['unique_sources'], ts['unique_sources']), 'sensor %s unique sources %d vs %d' %
              (ts['name'], s['unique_sources'], ts['unique_sources']))
        excl(ts, s, key)
        top_ports(ts, s, s['top_ports_error_bound'])
        if r['sensor_overlap']['mode'] == 'exact':
            countries(ts['countries'], s['countries'], 'sensor %s' % ts['name'])
    overlap(truth, r)
    tools(truth, r)
    check(r['backscatter']['packets'] == truth['classes']['backscatter'], 'backscatter packets')
    locals_ = r['local_attacks']
    watched(truth, r, locals_)
    fingerprints(truth, r, locals_)


# ---- CSV tables against the JSON of the same period ----

# Every CSV of a period and its columns, in order (docs/report-format.md).
CSV_HEADERS = {
    'fig1_2_4_5_volume_per_address.csv': 'window_start,sensor,addresses,syn_packets,unique_sources,packets_per_address,sources_per_address,syn_packets_excl,unique_sources_excl,packets_per_address_excl,sources_per_address_excl',
    'table1_top_ports.csv': 'sensor,rank,port,packets,share',
    'table2_watched_port_countries.csv': 'port,sensor,country,unique_sources,share,same_slash16_sources,same_country_sources',
    'table2_fig3_watched_port_sensors.csv': 'window_start,port,sensor,packets,unique_sources,same_slash16_sources,same_country_sources,sources_only_here,surge,mode,watched_since',
    'table3_8_sensors_per_source.csv': 'scope,port,sensors,sources,share',
    'table4_5_6_fingerprints.csv': 'sport,seq,ipid,window,sensor,packets,unique_sources,dominant_sensor,isn_is_slash16,first_seen,last_seen,isn_as_address,isn_target_slash16_packets,isn_equals_target_slash16',
    'table6_families.csv': 'sport,ipid,window,family_packets,members_count,seq,isn_as_address,isn_is_slash16,dominant_sensor,dominant_share,member_packets,member_unique_sources,sensor,packets,unique_sources',
    'table7_fingerprint_ports.csv': 'sport,seq,ipid,window,port,packets,share',
    'backscatter.csv': 'window_start,sensor,packets,victims',
    'backscatter_top_ports.csv': 'sensor,rank,port,packets,share',
    'backscatter_top_victims.csv': 'sensor,victim,packets,country,first_seen,last_seen',
    'tools.csv': 'tool,sensor,packets,unique_sources',
    'top_sources.csv': 'sensor,source,packets,country,tools',
    'local_attacks.csv': 'kind,key,sensor,sources,sources_only_here,share_only_here,rate_of,rate_here,max_rate_elsewhere',
}


def share_c(part, whole):
    """ds_report_share(): round(part * 10000 / whole) / 100, as C rounds."""
    if whole <= 0:
        return '0.00'
    v = part * 10000.0 / whole
    return '%.2f' % ((math.floor(v) + (1 if v - math.floor(v) >= 0.5 else 0)) / 100)


def tf(v):
    return 'true' if v else 'false'


def opt(v):
    return '' if v is None else v


def csv_expected(r):
    """Rows each CSV must hold, from report r: lists of tuples in header
    order.  A str must match exactly, an int as an integer, a float within
    the CSV's printed precision."""
    ws = r['window']['start']
    e = {k: [] for k in CSV_HEADERS}
    for s in r['sensors']:
        x = s['excl']
        e['fig1_2_4_5_volume_per_address.csv'].append((
            ws, s['name'], s['addresses'], s['syn_packets'], s['unique_sources'],
            s['packets_per_address'], s['sources_per_address'], x['syn_packets'],
            x['unique_sources'], x['packets_per_address'], x['sources_per_address']))
        top = 0
        for i, p in enumerate(s['top_ports']):
            e['table1_top_ports.csv'].append((s['name'], i + 1, p['port'], p['packets'], p['share']))
            top += p['packets']
        other = max(s['syn_packets'] - top, 0)
        e['table1_top_ports.csv'].append((s['name'], len(s['top_ports']) + 1, 'other', other,
                                          share_c(other, s['syn_packets'])))
    for w in r['watched_ports']:
        for ps in w['per_sensor']:
            for c in ps['countries']:
                e['table2_watched_port_countries.csv'].append((
                    w['port'], ps['sensor'], c['country'], c['unique_sources'], c['share'],
                    ps['same_slash16_sources'], ps['same_country_sources']))
            e['table2_fig3_watched_port_sensors.csv'].append((
                ws, w['port'], ps['sensor'], ps['packets'], ps['unique_sources'],
                ps['same_slash16_sources'], ps['same_country_sources'], ps['sources_only_here'],
                tf(w['surge']), w['mode'], opt(w['watched_since'])))
    hists = [('all', -1, r['sensor_overlap']['sensors_per_source'])] + \
        [('port', w['port'], w['sensors_per_source']) for w in r['watched_ports']]
    for scope, port, h in hists:
        total = sum(h.values())
        for k, v in h.items():
            e['table3_8_sensors_per_source.csv'].append((
                scope, port, int(k), v, '%.2f' % (100.0 * v / total if total > 0 else 0.0)))
    for f in r['fingerprints']:
        key = (f['sport'], f['seq'], f['ipid'], f['window'])
        for ps in f['per_sensor']:
            e['table4_5_6_fingerprints.csv'].append(key + (
                ps['sensor'], ps['packets'], ps['unique_sources'], f['dominant_sensor'],
                tf(f['isn_is_slash16']), opt(f['first_seen']), opt(f['last_seen']),
                f['isn_as_address'], f['isn_target_slash16_packets'],
                tf(f['isn_equals_target_slash16'])))
        for p in f['top_ports']:
            e['table7_fingerprint_ports.csv'].append(key + (p['port'], p['packets'], p['share']))
    for fam in r['families']:
        for m in fam['members']:
            head = (fam['sport'], fam['ipid'], fam['window'], fam['packets'], fam['members_count'],
                    m['seq'], m['isn_as_address'], tf(m['isn_is_slash16']), m['dominant_sensor'],
                    m['dominant_share'], m['packets'], m['unique_sources'])
            for ps in m['per_sensor']:
                e['table6_families.csv'].append(head + (ps['sensor'], ps['packets'], ps['unique_sources']))
    for b in r['backscatter']['per_sensor']:
        e['backscatter.csv'].append((ws, b['sensor'], b['packets'], b['victims']))
        for i, p in enumerate(b['top_ports']):
            e['backscatter_top_ports.csv'].append((b['sensor'], i + 1, p['port'], p['packets'], p['share']))
        for v in b['top_victims']:
            e['backscatter_top_victims.csv'].append((v['sensor'], v['victim'], v['packets'], v['country'],
                                                     opt(v['first_seen']), opt(v['last_seen'])))
    for t in r['tools']:
        for ps in t['per_sensor']:
            e['tools.csv'].append((t['tool'], ps['sensor'], ps['packets'], ps['unique_sources']))
    for t in r['top_sources']:
        e['top_sources.csv'].append((t['sensor'], t['source'], t['packets'], t['country'], '|'.join(t['tools'])))
    for l in r['local_attacks']:
        e['local_attacks.csv'].append((l['kind'], l['key'], l['sensor'], l['sources'], l['sources_only_here'],
                                       l['share_only_here'], l['rate_of'], l['rate_here'], l['max_rate_elsewhere']))
    return e


def csv_value_ok(got, want):
    if isinstance(want, bool):
        return got == tf(want)
    if isinstance(want, int):
        return got == str(want)
    if isinstance(want, float):
        try:
            return abs(float(got) - want) <= 1e-6 + 1e-9 * abs(want)
        except ValueError:
            return False
    return got == want


def csv_period(d, r):
    want = csv_expected(r)
    have = sorted(f for f in os.listdir(d) if f.endswith('.csv'))
    check(have == sorted(CSV_HEADERS), '%s: CSV files %s, expected %s' % (d, have, sorted(CSV_HEADERS)))
    for name, header in CSV_HEADERS.items():
        path = os.path.join(d, name)
        if not os.path.exists(path):
            continue
        with open(path, newline='') as f:
            rows = list(csv.reader(f))
        if not check(rows and ','.join(rows[0]) == header,
                     '%s: header %s, documented %s' % (path, rows[:1], header)):
            continue
        rows = rows[1:]
        if not check(len(rows) == len(want[name]), '%s: %d rows, the JSON gives %d' %
                     (path, len(rows), len(want[name]))):
            continue
        for i, (g, w) in enumerate(zip(rows, want[name])):
            ok = len(g) == len(w) and all(csv_value_ok(a, b) for a, b in zip(g, w))
            if not check(ok, '%s row %d: %s, the JSON gives %s' % (path, i + 2, g, list(w))):
                break


def csv_all(d):
    docs = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'docs',
                             'report-format.md')).read()
    for name, header in CSV_HEADERS.items():
        check('`%s`' % name in docs and '`%s`' % header in docs,
              '%s (%s) not documented in docs/report-format.md' % (name, header))
    dirs = sorted(os.path.dirname(f) for f in glob.glob(os.path.join(d, '*', 'report.json')))
    check(dirs, 'no report in %s' % d)
    for p in dirs:
        csv_period(p, json.load(open(os.path.join(p, 'report.json'))))
    return len(dirs)


def run(fn, truth, reps):
    global check
    check = Checks()
    fn(truth, reps)
    return check


# ---- negative control: one wrong value per row, `full` must say so ----

def _sensor(r, name):
    return by(r['sensors'], 'name')[name]


def _fp(r, truth, pred):
    """The report's fingerprint whose truth entry satisfies pred."""
    seq = [t['seq'] for t in truth['fingerprints'] if pred(t)][0]
    return [f for f in r['fingerprints'] if f['seq'] == seq][0]


def _swap_ports(r, truth, apart):
    """Swap two neighbours of a sensor's top ports whose truth counts differ
    by more than the bound (apart) or by at most it (not apart)."""
    for ts in truth['sensors']:
        s = _sensor(r, ts['name'])
        tp = {p['port']: p['packets'] for p in ts['top_ports']}
        err = s['top_ports_error_bound']
        lst = s['top_ports']
        for i in range(min(len(lst), 10) - 1):
            a, b = lst[i]['port'], lst[i + 1]['port']
            if a in tp and b in tp and (tp[a] - tp[b] > err) == apart:
                lst[i], lst[i + 1] = lst[i + 1], lst[i]
                return 'sensor %s ports %d/%d (truth %d/%d, bound %d)' % (ts['name'], a, b, tp[a], tp[b], err)
    return None


def _overlap_off(r, truth):
    ov = r['sensor_overlap']
    n = sum(truth['overlap_all'].values())
    v = truth['overlap_all']['2']
    tol = 0 if ov['mode'] == 'exact' else bk_tolerance(v, n, ov['sample_size'])
    ov['sensors_per_source']['2'] = v + int(tol) + 2
    return 'sensors_per_source[2] = %d (truth %d, tolerance %.0f)' % (v + int(tol) + 2, v, tol)


def _set(obj, key, val):
    obj[key] = val
    return '%s = %r' % (key, val)


def _add(obj, key, d):
    obj[key] += d
    return '%s %+d' % (key, d)


# name, mutation (report, truth) -> description (None: not applicable to
# this capture), what the failure must say (None: must still pass)
MUTATIONS = [
    ('overlap histogram off', _overlap_off, 'sensor_overlap sensors_per_source[2]'),
    ('overlap mode', lambda r, t: _set(r['sensor_overlap'], 'mode',
                                       'exact' if r['sensor_overlap']['mode'] == 'estimate' else 'estimate'),
     'sensor_overlap mode'),
    ('overlap sample size', lambda r, t: _add(r['sensor_overlap'], 'sample_size', -1), 'sensor_overlap sample_size'),
    ('watched sample size', lambda r, t: _add(r['watched_ports'][0], 'sample_size', 1), 'sample_size'),
    ('excl packets', lambda r, t: _add(_sensor(r, 'B')['excl'], 'syn_packets', 1), 'sensor B excl.syn_packets'),
    ('excl sources', lambda r, t: _set(_sensor(r, 'C')['excl'], 'unique_sources',
                                       int(_sensor(r, 'C')['excl']['unique_sources'] * 1.05) + 2),
     'sensor C excl.unique_sources'),
    ('tool per sensor', lambda r, t: _add(by(by(r['tools'], 'tool')['zmap']['per_sensor'], 'sensor')['C'], 'packets', 1),
     'tool zmap sensor C packets'),
    ('ISN /16 not target', lambda r, t: _set(_fp(r, t, lambda f: 2 * f['isn_target_slash16_packets'] <= f['packets']),
                                             'isn_equals_target_slash16', True), 'isn_equals_target_slash16'),
    ('ISN /16 target', lambda r, t: _set(_fp(r, t, lambda f: 2 * f['isn_target_slash16_packets'] > f['packets']),
                                         'isn_equals_target_slash16', False), 'isn_equals_target_slash16'),
    ('ISN /16 packets', lambda r, t: _add(_fp(r, t, lambda f: f['isn_target_slash16_packets'] > 0),
                                          'isn_target_slash16_packets', -1), 'isn_target_slash16_packets'),
    ('family member ISN', lambda r, t: _set(r['families'][0]['members'][0], 'isn_is_slash16', False),
     'isn_is_slash16'),
    ('top ports swapped beyond the bound', lambda r, t: _swap_ports(r, t, True), 'should rank above'),
    ('top ports swapped within the bound', lambda r, t: _swap_ports(r, t, False), None),
]


def mutate(truth, reps):
    base = run(full, truth, reps)
    bad = 0
    if base.failed:
        print('mutate: the unmutated report fails %d of %d checks' % (len(base.failed), base.made))
        return 1
    for name, fn, want in MUTATIONS:
        r = copy.deepcopy(reps[0])
        what = fn(r, truth)
        if what is None:
            # the paper2014 capture has a value for every row: a row with
            # nothing to mutate is a negative control that checked nothing
            print('FAIL %-36s no such value in this capture' % name)
            bad += 1
            continue
        got = run(full, truth, [r]).failed
        ok = not got if want is None else any(want in f for f in got)
        bad += not ok
        shown = [f for f in got if want and want in f][:1] or got[:1]
        said = '; '.join(shown) + (' (+%d more)' % (len(got) - 1) if len(got) > 1 else '')
        print('%s %-36s %s: %s' % ('ok  ' if ok else 'FAIL', name, what, said or 'passes'))
    print('mutate: %d mutations, %d not caught as expected' % (len(MUTATIONS), bad))
    return 1 if bad else 0


def main(mode, truth, d=None):
    if mode == 'csv':
        n = csv_all(truth)
        for f in check.failed[:40]:
            print('FAIL', f)
        print('csv: %d periods, %d checks made, %d failed' % (n, check.made, len(check.failed)))
        return 1 if check.failed else 0
    t = json.load(open(truth))
    reps = reports(d)
    if not reps:
        print('FAIL no report in %s' % d)
        return 1
    if mode == 'mutate':
        return mutate(t, reps)
    run(totals if mode == 'totals' else full, t, reps)
    for f in check.failed:
        print('FAIL', f)
    print('%s: %d checks made, %d failed' % (mode, check.made, len(check.failed)))
    return 1 if check.failed else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:4]))

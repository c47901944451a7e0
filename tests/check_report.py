#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check darkscope reports against darkgen's ground truth (truth.json).

  check_report.py totals TRUTH REPORTDIR   sums over every period report
  check_report.py full   TRUTH REPORTDIR   one report covering the capture
  check_report.py csv    REPORTDIR         every period's CSV tables equal
                                           its report.json, headers as
                                           documented in docs/report-format.md

Each check is one row of a table; the script prints every failed row and
exits 1 if any failed."""
import csv, glob, json, math, os, sys

HLL_TOL = 0.02
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def reports(d):
    files = sorted(glob.glob(os.path.join(d, '*', 'report.json')))
    check(files, 'no report in %s' % d)
    return [json.load(open(f)) for f in files]


def by(lst, key):
    return {x[key]: x for x in lst}


def near(got, want, tol=HLL_TOL):
    return abs(got - want) <= max(tol * want, 1)


def sampled(got, want, w):
    """A count estimated from a bottom-K sample with sampling rate q is
    within 4 standard errors, sqrt(want * (1/q - 1)), of the truth."""
    if w['mode'] == 'exact':
        return got == want
    q = w['sample_size'] / max(w['sources'], 1)
    return abs(got - want) <= 4 * (want * (1 / q - 1)) ** 0.5 + 4 * want / w['sample_size'] ** 0.5 + 1


def totals(truth, reps):
    classes = {}
    syn = {}
    rx = 0
    tools = {}
    for r in reps:
        for k, v in r['capture']['classes'].items():
            classes[k] = classes.get(k, 0) + v
        rx += r['capture']['rx_packets']
        for s in r['sensors']:
            syn[s['name']] = syn.get(s['name'], 0) + s['syn_packets']
        for t in r['tools']:
            tools[t['tool']] = tools.get(t['tool'], 0) + t['packets']
    check(sum(classes.values()) == truth['packets_total'],
          'packets counted %d != packets fed %d' % (sum(classes.values()), truth['packets_total']))
    check(rx == truth['packets_total'], 'capture.rx_packets total %d != %d' % (rx, truth['packets_total']))
    for k, v in truth['classes'].items():
        check(classes.get(k) == v, 'class %s: report %s, truth %d' % (k, classes.get(k), v))
    for s in truth['sensors']:
        check(syn.get(s['name']) == s['syn_packets'],
              'sensor %s SYN %s != %d' % (s['name'], syn.get(s['name']), s['syn_packets']))
    for t in truth['tools']:
        check(tools.get(t['tool']) == t['packets'],
              'tool %s packets %s != %d' % (t['tool'], tools.get(t['tool']), t['packets']))


def top_ports(ts, rs, err):
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
            if a['share'] - b['share'] > 0.2 and a['port'] in got and b['port'] in got:
                check(got[a['port']] < got[b['port']], 'sensor %s: port %d should rank above %d' %
                      (ts['name'], a['port'], b['port']))


def countries(want, got, what):
    w = {c['country']: c['unique_sources'] for c in want}
    g = {c['country']: c['unique_sources'] for c in got}
    check(w == g, '%s countries differ: truth %s report %s' % (what, sorted(w.items())[:8], sorted(g.items())[:8]))


def watched(truth, r, locals_):
    rw = by(r['watched_ports'], 'port')
    for tw in truth['watched_ports']:
        p = tw['port']
        if not check(p in rw, 'watched port %d missing' % p):
            continue
        w = rw[p]
        exact = w['mode'] == 'exact'
        check(sampled(w['sources'], tw['sources'], w), 'port %d sources %d != %d' % (p, w['sources'], tw['sources']))
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
            for k in ('same_slash16_sources', 'same_country_sources'):
                ok = sampled(g[k], ts[k], w)
                check(ok, 'port %d sensor %s %s %d != %d' % (p, ts['sensor'], k, g[k], ts[k]))
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


def fingerprints(truth, r, locals_):
    rf = {(f['sport'], f['seq'], f['ipid'], f['window']): f for f in r['fingerprints']}
    fams = [f for f in r['families'] if (f['sport'], f['ipid'], f['window']) == (6000, 256, 16384)]
    check(len(fams) == 1 and fams[0]['members_count'] == len(truth['fingerprints']),
          'family 6000/256/16384 with %d members not found: %s' % (len(truth['fingerprints']), fams))
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
        check(f['isn_is_slash16'], 'fingerprint %d ISN not flagged as a /16' % k[1])
        key = '%d/%d/%d/%d' % k
        check(any(l['kind'] == 'family_member' and l['key'] == key and l['sensor'] == dom for l in locals_),
              'family member %s not local to %s' % (key, dom))


def full(truth, reps):
    check(len(reps) == 1, 'expected one report, got %d' % len(reps))
    r = reps[0]
    rs = by(r['sensors'], 'name')
    for ts in truth['sensors']:
        s = rs[ts['name']]
        check(s['syn_packets'] == ts['syn_packets'], 'sensor %s SYN %d != %d' % (ts['name'], s['syn_packets'], ts['syn_packets']))
        check(near(s['unique_sources'], ts['unique_sources']), 'sensor %s unique sources %d vs %d' %
              (ts['name'], s['unique_sources'], ts['unique_sources']))
        top_ports(ts, s, s['top_ports_error_bound'])
        if r['sensor_overlap']['mode'] == 'exact':
            countries(ts['countries'], s['countries'], 'sensor %s' % ts['name'])
    ov = r['sensor_overlap']
    if ov['mode'] == 'exact':
        check(ov['sensors_per_source'] == truth['overlap_all'],
              'overlap %s != %s' % (ov['sensors_per_source'], truth['overlap_all']))
    rt = by(r['tools'], 'tool')
    for tt in truth['tools']:
        g = rt[tt['tool']]
        check(g['packets'] == tt['packets'], 'tool %s packets' % tt['tool'])
        check(near(g['unique_sources'], tt['unique_sources']), 'tool %s sources %d vs %d' %
              (tt['tool'], g['unique_sources'], tt['unique_sources']))
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


def main(mode, truth, d=None):
    if mode == 'csv':
        n = csv_all(truth)
        for f in failures[:40]:
            print('FAIL', f)
        print('csv: %d periods, %d checks failed' % (n, len(failures)))
        return 1 if failures else 0
    t = json.load(open(truth))
    reps = reports(d)
    if reps:
        (totals if mode == 'totals' else full)(t, reps)
    for f in failures:
        print('FAIL', f)
    print('%s: %d checks failed' % (mode, len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:4]))

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check darkscope reports against darkgen's ground truth (truth.json).

  check_report.py totals TRUTH REPORTDIR   sums over every period report
  check_report.py full   TRUTH REPORTDIR   one report covering the capture

Each check is one row of a table; the script prints every failed row and
exits 1 if any failed."""
import glob, json, os, sys

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


def main(mode, truth, d):
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

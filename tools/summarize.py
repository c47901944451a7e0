#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print a short summary of darkscope reports.

  summarize.py REPORTDIR          totals over every period report in the
                                  directory (one sub-directory per period)
  summarize.py --window REPORT    the seed paper's tables from one report
                                  covering a whole window (darkscope-report)
"""
import collections, glob, json, os, sys


def periods(d):
    files = sorted(glob.glob(os.path.join(d, '*', 'report.json')))
    if not files:
        print('no reports in', d)
        return 1
    tot = collections.Counter()
    syn = collections.Counter()
    addr = {}
    loss = 0
    for f in files:
        r = json.load(open(f))
        c = r['capture']
        tot['packets'] += c['packets_counted']
        tot['rx'] += c['rx_packets']
        loss += c['rx_missed'] + c['rx_nombuf'] + c['rx_errors']
        for k, v in c['classes'].items():
            tot[k] += v
        for s in r['sensors']:
            syn[s['name']] += s['syn_packets']
            addr[s['name']] = s['addresses']
    print('%d period reports in %s, %s .. %s' % (len(files), d, os.path.basename(os.path.dirname(files[0])),
          os.path.basename(os.path.dirname(files[-1]))))
    print('packets counted %d (rx %d, dropped before darkscope %d); %s' % (tot['packets'], tot['rx'], loss,
          ', '.join('%s %d' % (k, tot[k]) for k in ('scan', 'backscatter', 'udp', 'icmp', 'fragment',
                                                     'malformed', 'outside', 'hygiene'))))
    return 0


def window(path):
    r = json.load(open(path))
    w = r['window']
    print('window %s .. %s (%s)' % (w['start'], w['end'], path))
    print('Fig. 1/2 and Table 1: per-address volume and top ports')
    for s in r['sensors']:
        top = ', '.join('%d %.2f%%' % (p['port'], p['share']) for p in s['top_ports'][:6])
        print('  %-3s %-2s %5d addr %10.1f pkts/addr %7.2f srcs/addr | %s' % (
            s['name'], s['country'], s['addresses'], s['packets_per_address'], s['sources_per_address'], top))
    for wp in r['watched_ports']:
        per = ', '.join('%s %d' % (p['sensor'], p['unique_sources']) for p in wp['per_sensor'])
        print('Watched %d/TCP: %d sources (%s); sensors per source %s%s' % (
            wp['port'], wp['sources'], per, wp['sensors_per_source'], ' [surge]' if wp['surge'] else ''))
        for p in wp['per_sensor']:
            if p['unique_sources']:
                cc = ', '.join('%s %d' % (c['country'], c['unique_sources']) for c in p['countries'][:5])
                print('    %s: %s; same /16 %d, same country %d' % (
                    p['sensor'], cc, p['same_slash16_sources'], p['same_country_sources']))
    print('Tables 4-6: fixed-header fingerprints (sport/ISN/IP ID/window: packets/hosts per sensor)')
    for f in r['fingerprints'][:8]:
        per = ', '.join('%s %d/%d' % (p['sensor'], p['packets'], p['unique_sources']) for p in f['per_sensor'])
        print('  %d/%d/%d/%d -> %s (%s)%s' % (f['sport'], f['seq'], f['ipid'], f['window'],
              f['dominant_sensor'], per, ' ISN=/16 %s' % f['isn_as_address'] if f['isn_is_slash16'] else ''))
    print('Tools: ' + ', '.join('%s %d packets / %d sources' % (t['tool'], t['packets'], t['unique_sources'])
                               for t in r['tools']))
    print('Local attacks:')
    for l in r['local_attacks'][:12]:
        print('  %-14s %-26s at %s: %d of %d sources only there, rate x%s' % (
            l['kind'], l['key'], l['sensor'], l['sources_only_here'], l['sources'],
            '%.0f' % l['rate_ratio'] if l['rate_ratio'] else ' inf'))
    return 0


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--window':
        sys.exit(window(sys.argv[2]))
    sys.exit(periods(sys.argv[1] if len(sys.argv) > 1 else 'out/reports'))

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print a short summary of a directory of darkscope period reports: totals,
per-sensor SYN packets and per-address rates, top ports (like the seed
paper's Table 1, summed over all periods), tools and local attacks."""
import collections, glob, json, os, sys

def main(d):
    files = sorted(glob.glob(os.path.join(d, '*', 'report.json')))
    if not files:
        print('no reports in', d); return 1
    tot = collections.Counter(); syn = collections.Counter(); ports = collections.defaultdict(collections.Counter)
    addr = {}; tools = collections.Counter(); local = collections.Counter(); loss = 0
    for f in files:
        r = json.load(open(f))
        c = r['capture']; tot['packets'] += c['packets_counted']; tot['rx'] += c['rx_packets']
        loss += c['rx_missed'] + c['rx_nombuf'] + c['rx_errors']
        for k, v in c['classes'].items(): tot[k] += v
        for s in r['sensors']:
            syn[s['name']] += s['syn_packets']; addr[s['name']] = s['addresses']
            for p in s['top_ports']: ports[s['name']][p['port']] += p['packets']
        for t in r.get('tools', []): tools[t['tool']] += t['packets']
        for l in r.get('local_attacks', []): local[(l['kind'], l['key'], l['sensor'])] += 1
    print('%d period reports, %s .. %s' % (len(files), os.path.basename(os.path.dirname(files[0])),
          os.path.basename(os.path.dirname(files[-1]))))
    print('packets counted %d (rx %d, lost before darkscope %d); classes: %s' % (tot['packets'], tot['rx'], loss,
          ', '.join('%s %d' % (k, tot[k]) for k in ('scan', 'backscatter', 'udp', 'icmp', 'fragment', 'malformed', 'outside', 'hygiene'))))
    for s in syn:
        top = ', '.join('%d (%.1f%%)' % (p, 100.0 * n / max(syn[s], 1)) for p, n in ports[s].most_common(5))
        print('  sensor %-4s %10d SYN packets %9.1f per address; top ports %s' % (s, syn[s], syn[s] / addr[s], top))
    print('tools: ' + ', '.join('%s %d packets' % kv for kv in tools.items()))
    print('local attacks (kind key sensor: periods flagged):')
    for (k, key, s), n in local.most_common(12):
        print('  %-14s %-22s %s: %d' % (k, key, s, n))
    return 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'out/reports'))

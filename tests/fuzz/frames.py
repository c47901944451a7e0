#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# frames.py: one frame of every ds_parse class and every malformed reason
# (tests/fuzz seeds and tests/it_faults_malformed.sh), and a small pcap
# writer.  Destinations are in sensor A of config/darkscope.conf.
#
#   frames.py corpus DIR            one file per frame (fuzz_parse seeds)
#   frames.py pcap FILE [REPEAT]    every frame REPEAT times (default 1),
#                                   one second apart from 2014-01-01
import os
import struct
import sys

SRC = bytes([45, 33, 7, 9])
DST = bytes([11, 8, 16, 5])


def eth(et, payload, tags=()):
    h = b'\x02\x00\x00\x00\x00\x01' + b'\x02\x00\x00\x00\x00\x02'
    for tpid, vid in tags:
        h += struct.pack('>HH', tpid, vid)
    return h + struct.pack('>H', et) + payload


def ip4(proto, l4, ver_ihl=0x45, totlen=None, frag=0, src=SRC, dst=DST):
    hl = (ver_ihl & 0xf) * 4
    opts = b'\x01' * max(0, hl - 20)
    if totlen is None:
        totlen = 20 + len(opts) + len(l4)
    h = struct.pack('>BBHHHBBH4s4s', ver_ihl, 0, totlen, 0x1234, frag, 64,
                    proto, 0, src, dst)
    return h + opts + l4


def tcp(flags, doff=5, dport=445):
    return struct.pack('>HHIIBBHHH', 40000, dport, 1, 0, doff << 4, flags,
                       1024, 0, 0) + b'\x00' * max(0, doff * 4 - 20)


def udp(dport=5000):
    return struct.pack('>HHHH', 40000, dport, 8, 0)


def icmp():
    return struct.pack('>BBH', 8, 0, 0) + b'\x00' * 4


def frames():
    f = {}
    # every class
    f['scan'] = eth(0x0800, ip4(6, tcp(0x02)))
    f['backscatter_synack'] = eth(0x0800, ip4(6, tcp(0x12)))
    f['backscatter_rst'] = eth(0x0800, ip4(6, tcp(0x04)))
    f['tcp_other'] = eth(0x0800, ip4(6, tcp(0x10)))
    f['udp'] = eth(0x0800, ip4(17, udp()))
    f['icmp'] = eth(0x0800, ip4(1, icmp()))
    f['ipv4_other'] = eth(0x0800, ip4(47, b'\x00' * 8))
    f['fragment'] = eth(0x0800, ip4(17, udp(), frag=0x2000))
    f['ipv6'] = eth(0x86dd, b'\x60' + b'\x00' * 39)
    f['nonip_arp'] = eth(0x0806, b'\x00' * 28)
    f['vlan_scan'] = eth(0x0800, ip4(6, tcp(0x02)), tags=[(0x8100, 10)])
    f['qinq_udp'] = eth(0x0800, ip4(17, udp()), tags=[(0x88a8, 10), (0x8100, 20)])
    f['ip_options_scan'] = eth(0x0800, ip4(6, tcp(0x02), ver_ihl=0x46))
    # every malformed reason
    f['mal_short_eth'] = eth(0x0800, b'')[:10]
    f['mal_short_vlan'] = eth(0x8100, b'')[:14] + b'\x00\x0a'
    f['mal_short_ip'] = eth(0x0800, ip4(6, tcp(0x02))[:12])
    f['mal_bad_version'] = eth(0x0800, ip4(6, tcp(0x02), ver_ihl=0x65))
    f['mal_bad_ihl'] = eth(0x0800, ip4(6, tcp(0x02), ver_ihl=0x44))
    f['mal_bad_totlen'] = eth(0x0800, ip4(6, tcp(0x02), totlen=400))
    f['mal_short_l4'] = eth(0x0800, ip4(6, tcp(0x02)[:12]))
    f['mal_bad_doff'] = eth(0x0800, ip4(6, tcp(0x02, doff=3)))
    return f


# reason names as ds_malformed_name() gives them
MALFORMED = ['short_eth', 'short_vlan', 'short_ip', 'bad_version', 'bad_ihl',
             'bad_totlen', 'short_l4', 'bad_doff']


def write_pcap(path, pkts, t0=1388534400, nsec=False):
    magic = 0xa1b23c4d if nsec else 0xa1b2c3d4
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', magic, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            out.write(struct.pack('<IIII', t0 + i, 0, len(p), len(p)) + p)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == 'corpus':
        os.makedirs(sys.argv[2], exist_ok=True)
        for k, v in frames().items():
            with open(os.path.join(sys.argv[2], k), 'wb') as out:
                out.write(v)
    elif len(sys.argv) >= 3 and sys.argv[1] == 'pcap':
        rep = int(sys.argv[3]) if len(sys.argv) > 3 else 1
        write_pcap(sys.argv[2], [v for _ in range(rep) for v in frames().values()])
    else:
        sys.stderr.write(__doc__ or 'usage: frames.py corpus DIR | pcap FILE [REPEAT]\n')
        sys.exit(2)


if __name__ == '__main__':
    main()

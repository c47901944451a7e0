#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Split a classic pcap into N files by a hash of the IPv4 source address,
the way RSS spreads sources over rx queues; order is kept in each file.
usage: pcapsplit.py IN.pcap N OUTPREFIX"""
import struct, sys, zlib

def main(src, n, prefix):
    n = int(n)
    f = open(src, 'rb')
    gh = f.read(24)
    outs = [open('%s%d.pcap' % (prefix, i), 'wb') for i in range(n)]
    for o in outs:
        o.write(gh)
    endian = '<' if gh[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    while True:
        rh = f.read(16)
        if len(rh) < 16:
            break
        incl = struct.unpack(endian + 'IIII', rh)[2]
        data = f.read(incl)
        off = 12
        et = data[off:off + 2] if len(data) >= 14 else b''
        while et in (b'\x81\x00', b'\x88\xa8', b'\x91\x00') and len(data) >= off + 6:
            off += 4
            et = data[off:off + 2]
        key = data[off + 14:off + 18] if et == b'\x08\x00' and len(data) >= off + 18 else b''
        outs[zlib.crc32(key) % n].write(rh + data)
    for o in outs:
        o.close()

if __name__ == '__main__':
    main(*sys.argv[1:4])

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_parse: classify one captured frame (Ethernet, 802.1Q, QinQ, IPv4,
 * TCP/UDP/ICMP) without DPDK.  Reads only [frame, frame + len): a frame that
 * ends early is DS_CLASS_MALFORMED with the reason saying where.
 *
 * Classes (exactly one per frame):
 *   SCAN        TCP with SYN set and ACK clear (RST clear too)
 *   BACKSCATTER TCP SYN+ACK, or any TCP with RST set
 *   TCP_OTHER   other TCP flag combinations (ACK, FIN, ...)
 *   UDP, ICMP   by IPv4 protocol
 *   IPV4_OTHER  other IPv4 protocols (GRE, ESP, ...)
 *   FRAGMENT    IPv4 with MF set or a fragment offset (no L4 header trusted)
 *   IPV6        EtherType 0x86dd
 *   NONIP       ARP and every other EtherType
 *   MALFORMED   truncated or inconsistent headers; see enum ds_malformed
 * Tagged frames (one 802.1Q tag, or QinQ 0x88a8/0x9100 outer + inner) are
 * classified by their payload; ds_pkt.vlans says how many tags there were.
 */
#ifndef DS_PARSE_H
#define DS_PARSE_H

#include <stdint.h>
#include <string.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

enum ds_class {
	DS_CLASS_SCAN = 0,
	DS_CLASS_BACKSCATTER,
	DS_CLASS_TCP_OTHER,
	DS_CLASS_UDP,
	DS_CLASS_ICMP,
	DS_CLASS_IPV4_OTHER,
	DS_CLASS_FRAGMENT,
	DS_CLASS_IPV6,
	DS_CLASS_NONIP,
	DS_CLASS_MALFORMED,
	DS_CLASS__N
};

enum ds_malformed {
	DS_MAL_NONE = 0,
	DS_MAL_SHORT_ETH,	/* < 14 bytes of Ethernet header */
	DS_MAL_SHORT_VLAN,	/* a tag announced but cut off */
	DS_MAL_SHORT_IP,	/* < 20 bytes of IPv4 header, or < IHL*4 */
	DS_MAL_BAD_VERSION,	/* EtherType IPv4 but version != 4 */
	DS_MAL_BAD_IHL,		/* IHL < 5 */
	DS_MAL_BAD_TOTLEN,	/* total length < IHL*4 or > bytes captured */
	DS_MAL_SHORT_L4,	/* TCP < 20, UDP < 8, ICMP < 4 bytes present */
	DS_MAL_BAD_DOFF,	/* TCP data offset < 5 or past the IP payload */
	DS_MAL__N
};

/* Fields of one frame, host byte order.  Only the fields the class implies
 * are meaningful (ports, seq, window, flags, doff: TCP; ports: UDP; ICMP
 * type in sport and code in dport).  IPv4 fields (src, dst, ipid, ttl,
 * proto, iplen) are filled whenever 20 bytes of IPv4 header were captured,
 * even if the frame is then MALFORMED; TCP fields also for BAD_DOFF. */
struct ds_pkt {
	uint32_t src;
	uint32_t dst;
	uint32_t seq;
	uint16_t sport;
	uint16_t dport;
	uint16_t ipid;
	uint16_t win;
	uint16_t iplen;		/* IPv4 total length */
	uint8_t cls;		/* enum ds_class */
	uint8_t reason;		/* enum ds_malformed, 0 unless MALFORMED */
	uint8_t tcp_flags;
	uint8_t ttl;
	uint8_t proto;
	uint8_t vlans;		/* 0, 1 or 2 tags */
	uint8_t tcp_doff;	/* TCP header length in 32-bit words */
};

_Static_assert(sizeof(struct ds_pkt) == 32, "ds_parse_fast stores a ds_pkt as two 16-byte halves");

/* Parse and classify one frame of len captured bytes into *p.  Never reads
 * outside the frame; never fails (bad input is a class). */
void ds_parse(const uint8_t *frame, uint32_t len, struct ds_pkt *p);

/* 1 when every field of a and b is equal (padding aside). */
int ds_pkt_equal(const struct ds_pkt *a, const struct ds_pkt *b);

static inline uint16_t
ds_parse_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
ds_parse_be32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return __builtin_bswap32(v);
}

/* TCP flags -> class: RST, or SYN with ACK, is backscatter; SYN a scan.
 * Index: SYN, RST, ACK as bits 0-2. */
static inline uint8_t
ds_parse_tcp_class(uint8_t fl)
{
	static const uint8_t cls[8] = {
		DS_CLASS_TCP_OTHER, DS_CLASS_SCAN, DS_CLASS_BACKSCATTER, DS_CLASS_BACKSCATTER,
		DS_CLASS_TCP_OTHER, DS_CLASS_BACKSCATTER, DS_CLASS_BACKSCATTER, DS_CLASS_BACKSCATTER,
	};

	return cls[(fl >> 1 & 3) | (fl >> 2 & 4)];
}

/* ds_parse() with the common case inline: an untagged IPv4 frame with a
 * 20-byte header, not a fragment, carrying a whole TCP header.  Gives
 * exactly what ds_parse() gives (tests/test_parse.c and the parse fuzzer
 * compare the two); anything else goes to ds_parse().
 *
 * With SSSE3 the frame's fixed offsets are checked with one masked compare
 * of bytes 12-27 (EtherType, version and IHL, fragment bits, protocol),
 * and the fields are gathered and byte-swapped into the two halves of the
 * ds_pkt by three byte shuffles of bytes 12-27, 26-41 and 38-53. */
static inline void
ds_parse_fast(const uint8_t *f, uint32_t len, struct ds_pkt *p)
{
	const uint8_t *ip = f + 14, *l4 = f + 34;
	uint32_t iplen, doff;
	uint8_t fl;

#ifdef __SSSE3__
	__m128i h, a, t, lo, hi;

	if (len < 54)
		goto slow;
	h = _mm_loadu_si128((const __m128i *)(const void *)(f + 12));
	/* bytes 12-13 0x0800, 14 0x45, 20-21 & 0x3fff zero, 23 protocol 6 */
	if (_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_and_si128(h, _mm_setr_epi8(-1, -1, -1, 0, 0, 0, 0, 0, 0x3f, -1, 0, -1, 0, 0, 0, 0)),
		    _mm_setr_epi8(0x08, 0, 0x45, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0))) != 0xffff)
		goto slow;
	iplen = ds_parse_be16(ip + 2);
	doff = l4[12] >> 4;
	if (iplen < 40 || iplen > len - 14 || doff < 5 || doff * 4 > iplen - 20)
		goto slow;
	fl = l4[13];
	a = _mm_loadu_si128((const __m128i *)(const void *)(f + 26));
	t = _mm_loadu_si128((const __m128i *)(const void *)(f + 38));
	/* src, dst, seq, sport, dport: frame bytes 26-29, 30-33, 38-41,
	 * 34-35, 36-37, each reversed */
	lo = _mm_shuffle_epi8(a, _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 15, 14, 13, 12, 9, 8, 11, 10));
	/* ipid (18-19), win (48-49), iplen (16-17), then cls, reason, tcp_flags
	 * (47), ttl (22), proto, vlans, tcp_doff, padding */
	hi = _mm_or_si128(
		_mm_shuffle_epi8(h, _mm_setr_epi8(7, 6, -1, -1, 5, 4, -1, -1, -1, 10, -1, -1, -1, -1, -1, -1)),
		_mm_shuffle_epi8(t, _mm_setr_epi8(-1, -1, 11, 10, -1, -1, -1, -1, 9, -1, -1, -1, -1, -1, -1, -1)));
	hi = _mm_or_si128(hi, _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0));
	_mm_storeu_si128((__m128i *)(void *)p, lo);
	_mm_storeu_si128((__m128i *)(void *)((uint8_t *)p + 16), hi);
	p->cls = ds_parse_tcp_class(fl);
	p->tcp_doff = (uint8_t)doff;
	return;
#else
	if (len < 54 || f[12] != 0x08 || f[13] != 0x00 || ip[0] != 0x45 || ip[9] != 6)
		goto slow;
	iplen = ds_parse_be16(ip + 2);
	doff = l4[12] >> 4;
	if (iplen < 40 || iplen > len - 14 || (ds_parse_be16(ip + 6) & 0x3fff) ||
	    doff < 5 || doff * 4 > iplen - 20)
		goto slow;
	fl = l4[13];
	*p = (struct ds_pkt){
		.src = ds_parse_be32(ip + 12),
		.dst = ds_parse_be32(ip + 16),
		.seq = ds_parse_be32(l4 + 4),
		.sport = ds_parse_be16(l4),
		.dport = ds_parse_be16(l4 + 2),
		.ipid = ds_parse_be16(ip + 4),
		.win = ds_parse_be16(l4 + 14),
		.iplen = (uint16_t)iplen,
		.cls = ds_parse_tcp_class(fl),
		.tcp_flags = fl,
		.ttl = ip[8],
		.proto = 6,
		.tcp_doff = (uint8_t)doff,
	};
	return;
#endif
slow:
	ds_parse(f, len, p);
}

/* Static lower-case names for reports ("scan", "backscatter", ...,
 * "short_eth", ...).  Out-of-range values give "invalid". */
const char *ds_class_name(unsigned cls);
const char *ds_malformed_name(unsigned reason);

/* Source-address hygiene (RFC 6890 special-purpose, .0/.255, src == dst).
 * Returns 0 when the source is usable, else a DS_HYG_* reason. */
enum ds_hygiene {
	DS_HYG_OK = 0,
	DS_HYG_SPECIAL,		/* RFC 6890 special-purpose / bogon source */
	DS_HYG_SRC_EQ_DST,
	DS_HYG_SRC_NET_BCAST,	/* source ends in .0 or .255 */
	DS_HYG__N
};
unsigned ds_hygiene(uint32_t src, uint32_t dst);
const char *ds_hygiene_name(unsigned reason);

#endif

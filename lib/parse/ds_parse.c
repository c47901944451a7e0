/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Frame parser and source hygiene for the per-packet path.  ds_parse() is
 * one straight pass: Ethernet II, at most two VLAN tags (802.1Q, or QinQ
 * with an 0x88a8 / 0x9100 / 0x8100 outer tag), then IPv4 and its L4 header.
 * Every read is preceded by a length check against the captured length, and
 * the L4 header is bounded by the IPv4 total length (frames are padded to
 * 60 bytes, so captured bytes beyond the total length are normal and
 * ignored).  Classification follows the darknet literature (Moore et al.,
 * "Inferring Internet denial-of-service activity", 2006): SYN without ACK
 * is a scan probe; SYN+ACK or RST is backscatter from a spoofed attack.
 *
 * ds_hygiene() checks the source against the RFC 6890 special-purpose
 * IPv4 registry with a 256-entry first-octet table: most octets decide at
 * once; the six octets holding smaller special blocks take one more compare.
 */
#include <stddef.h>
#include <string.h>

#include "ds_parse.h"

enum {
	ETH_HLEN = 14,
	VLAN_HLEN = 4,
	IP4_MIN_HLEN = 20,
	TCP_MIN_HLEN = 20,
	UDP_HLEN = 8,
	ICMP_MIN_HLEN = 4,
	ET_IPV4 = 0x0800,
	ET_IPV6 = 0x86dd,
	ET_VLAN = 0x8100,
	ET_QINQ = 0x88a8,
	ET_QINQ_OLD = 0x9100,
	PROTO_ICMP = 1,
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	IP4_FRAG_MASK = 0x3fff,	/* MF flag and fragment offset */
};

/* Unaligned big-endian loads. */

static inline void
set_malformed(struct ds_pkt *p, enum ds_malformed reason)
{
	p->cls = DS_CLASS_MALFORMED;
	p->reason = reason;
}

static inline int
is_outer_tag(uint16_t et)
{
	return et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD;
}

static void
parse_tcp(const uint8_t *l4, uint32_t l4len, struct ds_pkt *p)
{
	if (l4len < TCP_MIN_HLEN) {
		set_malformed(p, DS_MAL_SHORT_L4);
		return;
	}
	p->sport = ds_parse_be16(l4);
	p->dport = ds_parse_be16(l4 + 2);
	p->seq = ds_parse_be32(l4 + 4);
	p->tcp_doff = l4[12] >> 4;
	p->tcp_flags = l4[13];
	p->win = ds_parse_be16(l4 + 14);
	if (p->tcp_doff < 5 || (uint32_t)p->tcp_doff * 4 > l4len) {
		set_malformed(p, DS_MAL_BAD_DOFF);
		return;
	}
	p->cls = ds_parse_tcp_class(p->tcp_flags);
}

/* UDP: ports.  ICMP: type in sport, code in dport (as corsaro's
 * flowtuple does), so reports can key on them without another field. */
static void
parse_l4(const uint8_t *l4, uint32_t l4len, struct ds_pkt *p)
{
	switch (p->proto) {
	case PROTO_TCP:
		parse_tcp(l4, l4len, p);
		return;
	case PROTO_UDP:
		if (l4len < UDP_HLEN) {
			set_malformed(p, DS_MAL_SHORT_L4);
			return;
		}
		p->sport = ds_parse_be16(l4);
		p->dport = ds_parse_be16(l4 + 2);
		p->cls = DS_CLASS_UDP;
		return;
	case PROTO_ICMP:
		if (l4len < ICMP_MIN_HLEN) {
			set_malformed(p, DS_MAL_SHORT_L4);
			return;
		}
		p->sport = l4[0];
		p->dport = l4[1];
		p->cls = DS_CLASS_ICMP;
		return;
	default:
		p->cls = DS_CLASS_IPV4_OTHER;
	}
}

/* IPv4 header at ip with caplen captured bytes. */
static void
parse_ipv4(const uint8_t *ip, uint32_t caplen, struct ds_pkt *p)
{
	uint32_t hlen;

	if (caplen < IP4_MIN_HLEN) {
		set_malformed(p, DS_MAL_SHORT_IP);
		return;
	}
	p->iplen = ds_parse_be16(ip + 2);
	p->ipid = ds_parse_be16(ip + 4);
	p->ttl = ip[8];
	p->proto = ip[9];
	p->src = ds_parse_be32(ip + 12);
	p->dst = ds_parse_be32(ip + 16);
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4)
		set_malformed(p, DS_MAL_BAD_VERSION);
	else if (hlen < IP4_MIN_HLEN)
		set_malformed(p, DS_MAL_BAD_IHL);
	else if (hlen > caplen)
		set_malformed(p, DS_MAL_SHORT_IP);
	else if (p->iplen < hlen || p->iplen > caplen)
		set_malformed(p, DS_MAL_BAD_TOTLEN);
	else if (ds_parse_be16(ip + 6) & IP4_FRAG_MASK)
		p->cls = DS_CLASS_FRAGMENT;
	else
		parse_l4(ip + hlen, p->iplen - hlen, p);
}

void
ds_parse(const uint8_t *frame, uint32_t len, struct ds_pkt *p)
{
	uint32_t off = ETH_HLEN;
	uint16_t et;

	memset(p, 0, sizeof(*p));
	if (len < ETH_HLEN) {
		set_malformed(p, DS_MAL_SHORT_ETH);
		return;
	}
	et = ds_parse_be16(frame + 12);
	if (is_outer_tag(et)) {
		if (len < off + VLAN_HLEN) {
			set_malformed(p, DS_MAL_SHORT_VLAN);
			return;
		}
		p->vlans = 1;
		et = ds_parse_be16(frame + off + 2);
		off += VLAN_HLEN;
		if (et == ET_VLAN) {
			if (len < off + VLAN_HLEN) {
				set_malformed(p, DS_MAL_SHORT_VLAN);
				return;
			}
			p->vlans = 2;
			et = ds_parse_be16(frame + off + 2);
			off += VLAN_HLEN;
		}
	}
	if (et == ET_IPV4)
		parse_ipv4(frame + off, len - off, p);
	else
		p->cls = et == ET_IPV6 ? DS_CLASS_IPV6 : DS_CLASS_NONIP;
}

static const char *const class_names[DS_CLASS__N] = {
	[DS_CLASS_SCAN] = "scan",
	[DS_CLASS_BACKSCATTER] = "backscatter",
	[DS_CLASS_TCP_OTHER] = "tcp_other",
	[DS_CLASS_UDP] = "udp",
	[DS_CLASS_ICMP] = "icmp",
	[DS_CLASS_IPV4_OTHER] = "ipv4_other",
	[DS_CLASS_FRAGMENT] = "fragment",
	[DS_CLASS_IPV6] = "ipv6",
	[DS_CLASS_NONIP] = "nonip",
	[DS_CLASS_MALFORMED] = "malformed",
};

static const char *const malformed_names[DS_MAL__N] = {
	[DS_MAL_NONE] = "none",
	[DS_MAL_SHORT_ETH] = "short_eth",
	[DS_MAL_SHORT_VLAN] = "short_vlan",
	[DS_MAL_SHORT_IP] = "short_ip",
	[DS_MAL_BAD_VERSION] = "bad_version",
	[DS_MAL_BAD_IHL] = "bad_ihl",
	[DS_MAL_BAD_TOTLEN] = "bad_totlen",
	[DS_MAL_SHORT_L4] = "short_l4",
	[DS_MAL_BAD_DOFF] = "bad_doff",
};

static const char *const hygiene_names[DS_HYG__N] = {
	[DS_HYG_OK] = "ok",
	[DS_HYG_SPECIAL] = "special",
	[DS_HYG_SRC_EQ_DST] = "src_eq_dst",
	[DS_HYG_SRC_NET_BCAST] = "src_net_bcast",
};

const char *
ds_class_name(unsigned cls)
{
	return cls < DS_CLASS__N ? class_names[cls] : "invalid";
}

const char *
ds_malformed_name(unsigned reason)
{
	return reason < DS_MAL__N ? malformed_names[reason] : "invalid";
}

const char *
ds_hygiene_name(unsigned reason)
{
	return reason < DS_HYG__N ? hygiene_names[reason] : "invalid";
}

/* First octet: 0 = not special, 1 = whole /8 special, 2 = look closer. */
enum { OCT_OK = 0, OCT_ALL, OCT_SOME };

static const uint8_t first_octet[256] = {
	[0] = OCT_ALL,		/* 0/8 "this network" */
	[10] = OCT_ALL,		/* 10/8 private */
	[100] = OCT_SOME,	/* 100.64/10 shared address space */
	[127] = OCT_ALL,	/* 127/8 loopback */
	[169] = OCT_SOME,	/* 169.254/16 link local */
	[172] = OCT_SOME,	/* 172.16/12 private */
	[192] = OCT_SOME,	/* 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16 */
	[198] = OCT_SOME,	/* 198.18/15, 198.51.100/24 */
	[203] = OCT_SOME,	/* 203.0.113/24 */
	[224 ... 255] = OCT_ALL, /* 224/4 multicast, 240/4 reserved + broadcast */
};

static inline int
in_net(uint32_t a, uint32_t net, unsigned len)
{
	return (a >> (32 - len)) == (net >> (32 - len));
}

/* The special blocks smaller than a /8. */
static int
special_partial(uint32_t a)
{
	switch (a >> 24) {
	case 100:
		return in_net(a, 0x64400000, 10);
	case 169:
		return in_net(a, 0xa9fe0000, 16);
	case 172:
		return in_net(a, 0xac100000, 12);
	case 192:
		return in_net(a, 0xc0000000, 24) || in_net(a, 0xc0000200, 24) ||
		       in_net(a, 0xc0586300, 24) || in_net(a, 0xc0a80000, 16);
	case 198:
		return in_net(a, 0xc6120000, 15) || in_net(a, 0xc6336400, 24);
	case 203:
		return in_net(a, 0xcb007100, 24);
	}
	return 0;
}

unsigned
ds_hygiene(uint32_t src, uint32_t dst)
{
	uint8_t k = first_octet[src >> 24];
	uint8_t low = (uint8_t)src;

	if (k == OCT_ALL || (k == OCT_SOME && special_partial(src)))
		return DS_HYG_SPECIAL;
	if (src == dst)
		return DS_HYG_SRC_EQ_DST;
	if (low == 0 || low == 0xff)
		return DS_HYG_SRC_NET_BCAST;
	return DS_HYG_OK;
}

int
ds_pkt_equal(const struct ds_pkt *a, const struct ds_pkt *b)
{
	return a->src == b->src && a->dst == b->dst && a->seq == b->seq &&
	       a->sport == b->sport && a->dport == b->dport && a->ipid == b->ipid &&
	       a->win == b->win && a->iplen == b->iplen && a->cls == b->cls &&
	       a->reason == b->reason && a->tcp_flags == b->tcp_flags && a->ttl == b->ttl &&
	       a->proto == b->proto && a->vlans == b->vlans && a->tcp_doff == b->tcp_doff;
}

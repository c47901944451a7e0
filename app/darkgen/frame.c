/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen frame building: one event -> one Ethernet II frame in the caller's
 * reusable buffer (at least 128 bytes), no allocation.  IPv4 with a valid
 * header checksum, TCP with a valid checksum, padded to 60 bytes (64 on the
 * wire with the FCS), except the malformed noise, which is malformed on
 * purpose: truncated frames are runts cut inside the IP or TCP header,
 * bad_ihl has IHL 4, bad_totlen claims 1500 bytes.
 */
#include <string.h>

#include "dg.h"

#define ETH_MIN 60

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t acc)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t
fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Ethernet header with 0, 1 or 2 tags; returns the L3 offset. */
static uint32_t
eth(uint8_t *b, int tags, uint16_t type, uint16_t vid)
{
	static const uint8_t mac[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
	uint32_t off = 12;

	memcpy(b, mac, 12);
	if (tags == 2) {
		put16(b + off, 0x88a8);
		put16(b + off + 2, (uint16_t)(100 + vid % 100));
		off += 4;
	}
	if (tags >= 1) {
		put16(b + off, 0x8100);
		put16(b + off + 2, (uint16_t)(1 + vid % 4094));
		off += 4;
	}
	put16(b + off, type);
	return off + 2;
}

/* IPv4 header; returns its length.  l4len is the L4 bytes after it. */
static uint32_t
ipv4(uint8_t *b, const struct dg_event *e, uint8_t proto, uint32_t l4len,
     uint16_t frag)
{
	uint32_t hl = (e->flags & DG_F_IPOPT) ? 24 : 20;

	b[0] = (uint8_t)(0x40 | hl / 4);
	b[1] = 0;
	put16(b + 2, (uint16_t)(hl + l4len));
	put16(b + 4, e->ipid);
	put16(b + 6, frag);
	b[8] = e->ttl;
	b[9] = proto;
	put16(b + 10, 0);
	put32(b + 12, e->src);
	put32(b + 16, e->dst);
	if (hl == 24)
		put32(b + 20, 0x01010100); /* NOP NOP NOP EOL */
	put16(b + 10, fold(sum16(b, hl, 0)));
	return hl;
}

static uint32_t
pseudo(const struct dg_event *e, uint8_t proto, uint32_t len)
{
	return (e->src >> 16) + (e->src & 0xffff) + (e->dst >> 16) + (e->dst & 0xffff) +
	       proto + len;
}

/* TCP header with flags; returns its length. */
static uint32_t
tcp(uint8_t *b, const struct dg_event *e, uint8_t flags, uint32_t ack)
{
	uint32_t tl = (e->flags & DG_F_MSS) ? 24 : 20;

	put16(b, e->sport);
	put16(b + 2, e->dport);
	put32(b + 4, e->seq);
	put32(b + 8, ack);
	b[12] = (uint8_t)(tl / 4 << 4);
	b[13] = flags;
	put16(b + 14, e->win);
	put16(b + 16, 0);
	put16(b + 18, 0);
	if (tl == 24)
		put32(b + 20, 0x020405b4); /* MSS 1460 */
	put16(b + 16, fold(sum16(b, tl, pseudo(e, 6, tl))));
	return tl;
}

static uint32_t
pad(uint8_t *buf, uint32_t len)
{
	if (len < ETH_MIN) {
		memset(buf + len, 0, ETH_MIN - len);
		len = ETH_MIN;
	}
	return len;
}

static uint32_t
tcp_frame(const struct dg_event *e, uint8_t *buf, int tags, uint8_t flags, uint32_t ack)
{
	uint32_t off = eth(buf, tags, 0x0800, e->sport ^ e->ipid);
	uint32_t tl = (e->flags & DG_F_MSS) ? 24 : 20;
	uint32_t hl = ipv4(buf + off, e, 6, tl, 0);

	return pad(buf, off + hl + tcp(buf + off + hl, e, flags, ack));
}

static uint32_t
udp_frame(const struct dg_event *e, uint8_t *buf, int tags)
{
	uint32_t off = eth(buf, tags, 0x0800, e->sport ^ e->ipid);
	uint32_t hl = ipv4(buf + off, e, 17, 20, 0);
	uint8_t *u = buf + off + hl;

	put16(u, e->sport);
	put16(u + 2, e->dport);
	put16(u + 4, 20);
	put16(u + 6, 0);
	memset(u + 8, 0, 12);
	put32(u + 8, e->seq);
	put16(u + 6, fold(sum16(u, 20, pseudo(e, 17, 20))));
	return pad(buf, off + hl + 20);
}

static uint32_t
icmp_frame(const struct dg_event *e, uint8_t *buf)
{
	uint32_t off = eth(buf, 0, 0x0800, 0);
	uint32_t hl = ipv4(buf + off, e, 1, 16, 0);
	uint8_t *p = buf + off + hl;

	p[0] = 8;
	p[1] = 0;
	put16(p + 2, 0);
	put16(p + 4, e->sport);
	put16(p + 6, e->ipid);
	put32(p + 8, e->seq);
	put32(p + 12, e->dst);
	put16(p + 2, fold(sum16(p, 16, 0)));
	return pad(buf, off + hl + 16);
}

static uint32_t
ipv6_frame(const struct dg_event *e, uint8_t *buf)
{
	uint32_t off = eth(buf, 0, 0x86dd, 0);
	uint8_t *p = buf + off;

	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, 20);
	p[6] = 6;
	p[7] = 64;
	put32(p + 8, 0x2400cb00);
	put32(p + 20, e->src);
	put32(p + 24, 0x2a0206b8);
	put32(p + 36, e->dst);
	off += 40;
	put16(buf + off, e->sport);
	put16(buf + off + 2, e->dport);
	put32(buf + off + 4, e->seq);
	put32(buf + off + 8, 0);
	buf[off + 12] = 0x50;
	buf[off + 13] = 0x02;
	put16(buf + off + 14, e->win);
	put32(buf + off + 16, 0);
	return off + 20;
}

static uint32_t
arp_frame(const struct dg_event *e, uint8_t *buf)
{
	uint32_t off = eth(buf, 0, 0x0806, 0);
	uint8_t *p = buf + off;

	memset(buf, 0xff, 6);
	put16(p, 1);
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1);
	memcpy(p + 8, buf + 6, 6);
	put32(p + 14, e->src);
	memset(p + 18, 0, 6);
	put32(p + 24, e->dst);
	return pad(buf, off + 28);
}

static uint32_t
fragment_frame(const struct dg_event *e, uint8_t *buf)
{
	uint32_t off = eth(buf, 0, 0x0800, 0);
	uint16_t frag = (e->seq & 1) ? 0x2000 : 185; /* MF, or offset 1480 */
	uint32_t hl = ipv4(buf + off, e, 6, 20, frag);

	return pad(buf, off + hl + tcp(buf + off + hl, e, 0x02, 0));
}

static uint32_t
truncated_frame(const struct dg_event *e, uint8_t *buf)
{
	tcp_frame(e, buf, 0, 0x02, 0);
	return (e->seq & 1) ? 14 + 12 : 14 + 20 + 10;
}

static uint32_t
bad_ihl_frame(const struct dg_event *e, uint8_t *buf)
{
	uint32_t len = tcp_frame(e, buf, 0, 0x02, 0);

	buf[14] = (uint8_t)(0x40 | ((e->seq & 3) + 1)); /* IHL 1..4 */
	return len;
}

static uint32_t
bad_totlen_frame(const struct dg_event *e, uint8_t *buf)
{
	uint32_t len = tcp_frame(e, buf, 0, 0x02, 0);

	put16(buf + 16, 1500);
	put16(buf + 24, 0);
	put16(buf + 24, fold(sum16(buf + 14, 20, 0)));
	return len;
}

uint32_t
dg_frame_build(const struct dg_event *e, uint8_t *buf)
{
	switch (e->kind) {
	case DG_K_SYN_ACK:
		return tcp_frame(e, buf, 0, 0x12, e->seq ^ 0x5a5a5a5a);
	case DG_K_RST:
		return tcp_frame(e, buf, 0, (e->ipid & 1) ? 0x14 : 0x04, 0);
	case DG_K_TCP_OTHER:
		return tcp_frame(e, buf, 0, (e->ipid & 1) ? 0x10 : 0x11, e->seq + 1);
	case DG_K_UDP:
		return udp_frame(e, buf, 0);
	case DG_K_VLAN_UDP:
		return udp_frame(e, buf, 1);
	case DG_K_ICMP:
		return icmp_frame(e, buf);
	case DG_K_IPV6:
		return ipv6_frame(e, buf);
	case DG_K_ARP:
		return arp_frame(e, buf);
	case DG_K_VLAN_SYN:
		return tcp_frame(e, buf, 1, 0x02, 0);
	case DG_K_QINQ_SYN:
		return tcp_frame(e, buf, 2, 0x02, 0);
	case DG_K_FRAGMENT:
		return fragment_frame(e, buf);
	case DG_K_TRUNCATED:
		return truncated_frame(e, buf);
	case DG_K_BAD_IHL:
		return bad_ihl_frame(e, buf);
	case DG_K_BAD_TOTLEN:
		return bad_totlen_frame(e, buf);
	default: /* scan, hygiene and outside SYNs */
		return tcp_frame(e, buf, 0, 0x02, 0);
	}
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_parse: a table of hand-built frames covering every class and every
 * malformed reason, good beside bad.  Each frame is checked whole (class,
 * reason, fields) and then truncated at every length from 0 to full, each
 * copy in an exactly-sized malloc buffer so that a build with
 * -fsanitize=address catches any read past len.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_parse.h"
#include "ds_test.h"

enum { ET_IP = 0x0800, ET_ARP = 0x0806, ET_V6 = 0x86dd, QQ = 0x88a8,
       QQ_OLD = 0x9100, TAG = 0x8100 };
enum { FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10 };
enum { TCP = 6, UDP = 17, ICMP = 1, GRE = 47 };
#define SRC 0xc6336401u		/* 198.51.100.1 */
#define DST 0x0b080109u		/* 11.8.1.9 */

/* One frame to build and what ds_parse must say about it. */
struct fspec {
	const char *name;
	uint16_t tag[3];	/* TPIDs of up to three tags */
	uint8_t ntags;
	uint16_t et;
	uint8_t ver, ihl;	/* 0 = defaults 4 and 5 */
	uint16_t totlen;	/* 0 = header + l4len */
	uint16_t frag;		/* flags + fragment offset field */
	uint8_t proto;
	uint16_t l4len;		/* L4 bytes (header + payload) */
	uint8_t doff, flags;	/* TCP; doff 0 = 5 */
	uint16_t cap;		/* 0 = whole frame padded to 60 */
	uint8_t cls, reason;
};

#define S(...) { __VA_ARGS__ }
#define MAL(r) .cls = DS_CLASS_MALFORMED, .reason = (r)

static const struct fspec cases[] = {
	/* TCP classes by flags */
	S(.name = "syn", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN, .cls = DS_CLASS_SCAN),
	S(.name = "syn df", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN, .frag = 0x4000, .cls = DS_CLASS_SCAN),
	S(.name = "syn opts", .et = ET_IP, .proto = TCP, .l4len = 24, .doff = 6, .flags = SYN, .cls = DS_CLASS_SCAN),
	S(.name = "syn ip opts", .et = ET_IP, .ihl = 6, .proto = TCP, .l4len = 20, .flags = SYN, .cls = DS_CLASS_SCAN),
	S(.name = "synack", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN | ACK, .cls = DS_CLASS_BACKSCATTER),
	S(.name = "rst", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = RST, .cls = DS_CLASS_BACKSCATTER),
	S(.name = "rstack", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = RST | ACK, .cls = DS_CLASS_BACKSCATTER),
	S(.name = "synrst", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN | RST, .cls = DS_CLASS_BACKSCATTER),
	S(.name = "ack", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = ACK, .cls = DS_CLASS_TCP_OTHER),
	S(.name = "fin", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = FIN, .cls = DS_CLASS_TCP_OTHER),
	S(.name = "null", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = 0, .cls = DS_CLASS_TCP_OTHER),
	S(.name = "syn payload", .et = ET_IP, .proto = TCP, .l4len = 60, .flags = SYN, .cls = DS_CLASS_SCAN),
	/* other protocols */
	S(.name = "udp", .et = ET_IP, .proto = UDP, .l4len = 8, .cls = DS_CLASS_UDP),
	S(.name = "udp payload", .et = ET_IP, .proto = UDP, .l4len = 40, .cls = DS_CLASS_UDP),
	S(.name = "icmp", .et = ET_IP, .proto = ICMP, .l4len = 8, .cls = DS_CLASS_ICMP),
	S(.name = "icmp 4", .et = ET_IP, .proto = ICMP, .l4len = 4, .cls = DS_CLASS_ICMP),
	S(.name = "gre", .et = ET_IP, .proto = GRE, .l4len = 0, .cls = DS_CLASS_IPV4_OTHER),
	S(.name = "mf", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN, .frag = 0x2000, .cls = DS_CLASS_FRAGMENT),
	S(.name = "offset", .et = ET_IP, .proto = TCP, .l4len = 4, .frag = 0x0010, .cls = DS_CLASS_FRAGMENT),
	S(.name = "ipv6", .et = ET_V6, .cls = DS_CLASS_IPV6),
	S(.name = "arp", .et = ET_ARP, .cls = DS_CLASS_NONIP),
	/* tags */
	S(.name = "dot1q", .tag = { TAG }, .ntags = 1, .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN, .cls = DS_CLASS_SCAN),
	S(.name = "qinq 88a8", .tag = { QQ, TAG }, .ntags = 2, .et = ET_IP, .proto = UDP, .l4len = 8, .cls = DS_CLASS_UDP),
	S(.name = "qinq 9100", .tag = { QQ_OLD, TAG }, .ntags = 2, .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN | ACK, .cls = DS_CLASS_BACKSCATTER),
	S(.name = "qinq 8100", .tag = { TAG, TAG }, .ntags = 2, .et = ET_IP, .proto = ICMP, .l4len = 8, .cls = DS_CLASS_ICMP),
	S(.name = "dot1q ipv6", .tag = { TAG }, .ntags = 1, .et = ET_V6, .cls = DS_CLASS_IPV6),
	S(.name = "three tags", .tag = { TAG, TAG, TAG }, .ntags = 3, .et = ET_IP, .cls = DS_CLASS_NONIP),
	/* malformed, each next to its good twin above */
	S(.name = "short eth", .et = ET_IP, .proto = TCP, .l4len = 20, .cap = 13, MAL(DS_MAL_SHORT_ETH)),
	S(.name = "short vlan", .tag = { TAG }, .ntags = 1, .et = ET_IP, .cap = 16, MAL(DS_MAL_SHORT_VLAN)),
	S(.name = "short vlan2", .tag = { QQ, TAG }, .ntags = 2, .et = ET_IP, .cap = 20, MAL(DS_MAL_SHORT_VLAN)),
	S(.name = "short ip", .et = ET_IP, .proto = TCP, .l4len = 20, .cap = 14 + 19, MAL(DS_MAL_SHORT_IP)),
	S(.name = "short ip opts", .et = ET_IP, .ihl = 15, .proto = UDP, .l4len = 8, .cap = 14 + 40, MAL(DS_MAL_SHORT_IP)),
	S(.name = "bad version", .et = ET_IP, .ver = 6, .proto = TCP, .l4len = 20, .flags = SYN, MAL(DS_MAL_BAD_VERSION)),
	S(.name = "bad ihl", .et = ET_IP, .ihl = 4, .proto = TCP, .l4len = 20, .flags = SYN, MAL(DS_MAL_BAD_IHL)),
	S(.name = "totlen small", .et = ET_IP, .totlen = 19, .proto = UDP, .l4len = 8, MAL(DS_MAL_BAD_TOTLEN)),
	S(.name = "totlen big", .et = ET_IP, .totlen = 1500, .proto = UDP, .l4len = 8, MAL(DS_MAL_BAD_TOTLEN)),
	S(.name = "cut in tcp", .et = ET_IP, .proto = TCP, .l4len = 20, .flags = SYN, .cap = 14 + 20 + 19, MAL(DS_MAL_BAD_TOTLEN)),
	S(.name = "short tcp", .et = ET_IP, .proto = TCP, .l4len = 19, .flags = SYN, MAL(DS_MAL_SHORT_L4)),
	S(.name = "short udp", .et = ET_IP, .proto = UDP, .l4len = 7, MAL(DS_MAL_SHORT_L4)),
	S(.name = "short icmp", .et = ET_IP, .proto = ICMP, .l4len = 3, MAL(DS_MAL_SHORT_L4)),
	S(.name = "doff 4", .et = ET_IP, .proto = TCP, .l4len = 20, .doff = 4, .flags = SYN, MAL(DS_MAL_BAD_DOFF)),
	S(.name = "doff past", .et = ET_IP, .proto = TCP, .l4len = 20, .doff = 6, .flags = SYN, MAL(DS_MAL_BAD_DOFF)),
	S(.name = "doff 15", .et = ET_IP, .proto = TCP, .l4len = 40, .doff = 15, .flags = SYN | ACK, MAL(DS_MAL_BAD_DOFF)),
	S(.name = "qinq short tcp", .tag = { QQ, TAG }, .ntags = 2, .et = ET_IP, .proto = TCP, .l4len = 12, MAL(DS_MAL_SHORT_L4)),
};

static inline void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

static inline uint32_t
l2_len(const struct fspec *f)
{
	return 14 + 4u * f->ntags;
}

static inline uint32_t
ip_hlen(const struct fspec *f)
{
	return 4u * (f->ihl ? f->ihl : 5);
}

static inline uint32_t
ip_totlen(const struct fspec *f)
{
	return f->totlen ? f->totlen : ip_hlen(f) + f->l4len;
}

/* Fixed per-case field values, derived from the case index. */
static inline uint16_t sport_of(size_t i) { return (uint16_t)(40000 + i); }
static inline uint16_t dport_of(size_t i) { return (uint16_t)(20 + i); }
static inline uint32_t seq_of(size_t i) { return 0xdeadbe00u + (uint32_t)i; }
static inline uint16_t ipid_of(size_t i) { return (uint16_t)(54321 + i); }
static inline uint16_t win_of(size_t i) { return (uint16_t)(1024 + i); }
static inline uint8_t ttl_of(size_t i) { return (uint8_t)(200 + i); }

static void
build_l4(const struct fspec *f, size_t i, uint8_t *l4)
{
	if (f->proto == TCP) {
		put16(l4, sport_of(i));
		put16(l4 + 2, dport_of(i));
		put32(l4 + 4, seq_of(i));
		l4[12] = (uint8_t)((f->doff ? f->doff : 5) << 4);
		l4[13] = f->flags;
		put16(l4 + 14, win_of(i));
	} else if (f->proto == UDP) {
		put16(l4, sport_of(i));
		put16(l4 + 2, dport_of(i));
		put16(l4 + 4, f->l4len);
	} else if (f->proto == ICMP) {
		l4[0] = 8;	/* echo request */
		l4[1] = 3;
	}
}

/* Build case i into buf (zeroed, >= 256 bytes); returns the captured length. */
static uint32_t
build(const struct fspec *f, size_t i, uint8_t *buf)
{
	uint32_t off = 12, len, at;
	uint8_t *ip;

	memset(buf, 0, 256);
	memset(buf, 0xaa, 12);
	for (unsigned t = 0; t < f->ntags; t++, off += 4) {
		put16(buf + off, f->tag[t]);
		put16(buf + off + 2, (uint16_t)(100 + t));
	}
	put16(buf + off, f->et);
	off += 2;
	ip = buf + off;
	len = off + 40;		/* non-IPv4 payload */
	if (f->et == ET_IP) {
		ip[0] = (uint8_t)((f->ver ? f->ver : 4) << 4 | (f->ihl ? f->ihl : 5));
		put16(ip + 2, (uint16_t)ip_totlen(f));
		put16(ip + 4, ipid_of(i));
		put16(ip + 6, f->frag);
		ip[8] = ttl_of(i);
		ip[9] = f->proto;
		put32(ip + 12, SRC + (uint32_t)i);
		put32(ip + 16, DST);
		/* with IHL < 5 the L4 bytes still follow a 20-byte header */
		at = ip_hlen(f) < 20 ? 20 : ip_hlen(f);
		build_l4(f, i, ip + at);
		len = off + at + f->l4len;
	}
	if (len < 60)
		len = 60;
	return f->cap ? f->cap : len;
}

/* Expected verdict when case f is cut to cap bytes (cap <= built length). */
static void
expect_cut(const struct fspec *f, uint32_t cap, uint8_t *cls, uint8_t *reason)
{
	uint32_t l2 = l2_len(f) > 22 ? 22 : l2_len(f);
	uint32_t ipcap = cap - l2;

	*cls = DS_CLASS_MALFORMED;
	if (cap < 14) {
		*reason = DS_MAL_SHORT_ETH;
		return;
	}
	if (cap < l2) {
		*reason = DS_MAL_SHORT_VLAN;
		return;
	}
	*reason = DS_MAL_NONE;
	if (f->et == ET_IP && f->ntags <= 2) {
		if (ipcap < 20) {
			*reason = DS_MAL_SHORT_IP;
		} else if (f->reason == DS_MAL_BAD_VERSION || f->reason == DS_MAL_BAD_IHL) {
			*reason = f->reason;
		} else if (ip_hlen(f) > ipcap) {
			*reason = DS_MAL_SHORT_IP;
		} else if (ip_totlen(f) > ipcap && ip_totlen(f) >= ip_hlen(f)) {
			*reason = DS_MAL_BAD_TOTLEN;
		}
	}
	if (*reason == DS_MAL_NONE) {
		*cls = f->cls;
		*reason = f->reason;
	}
}

static void
check_fields(const struct fspec *f, size_t i, const struct ds_pkt *p)
{
	int tcp = f->proto == TCP && (p->cls <= DS_CLASS_TCP_OTHER ||
				      p->reason == DS_MAL_BAD_DOFF);

	if (p->reason == DS_MAL_SHORT_ETH || p->reason == DS_MAL_SHORT_VLAN)
		return;
	CHECK(p->vlans == (f->ntags > 2 ? 2 : f->ntags), f->name);
	if (f->et != ET_IP || p->reason == DS_MAL_SHORT_IP || f->ntags > 2)
		return;
	CHECK(p->src == SRC + i, f->name);
	CHECK(p->dst == DST, f->name);
	CHECK(p->ipid == ipid_of(i), f->name);
	CHECK(p->ttl == ttl_of(i), f->name);
	CHECK(p->proto == f->proto, f->name);
	CHECK(p->iplen == ip_totlen(f), f->name);
	if (tcp) {
		CHECK(p->sport == sport_of(i) && p->dport == dport_of(i), f->name);
		CHECK(p->seq == seq_of(i), f->name);
		CHECK(p->win == win_of(i), f->name);
		CHECK(p->tcp_flags == f->flags, f->name);
		CHECK(p->tcp_doff == (f->doff ? f->doff : 5), f->name);
	}
	if (p->cls == DS_CLASS_UDP)
		CHECK(p->sport == sport_of(i) && p->dport == dport_of(i), f->name);
	if (p->cls == DS_CLASS_ICMP)
		CHECK(p->sport == 8 && p->dport == 3, f->name);
}

/* Parse a copy of buf[0..len) in an exactly-sized heap buffer, with
 * ds_parse() and with the inline ds_parse_fast(), which must agree. */
static void
parse_copy(const uint8_t *buf, uint32_t len, struct ds_pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct ds_pkt q;

	if (copy == NULL)
		abort();
	memcpy(copy, buf, len);
	ds_parse(len ? copy : copy + 1, len, p);
	ds_parse_fast(len ? copy : copy + 1, len, &q);
	CHECK(ds_pkt_equal(p, &q), "ds_parse_fast == ds_parse");
	free(copy);
}

static void
test_case(size_t i)
{
	const struct fspec *f = &cases[i];
	uint8_t buf[256];
	uint32_t len = build(f, i, buf);
	struct ds_pkt p;
	char what[128];

	parse_copy(buf, len, &p);
	snprintf(what, sizeof(what), "%s: got %s/%s want %s/%s", f->name,
		 ds_class_name(p.cls), ds_malformed_name(p.reason),
		 ds_class_name(f->cls), ds_malformed_name(f->reason));
	CHECK(p.cls == f->cls && p.reason == f->reason, what);
	check_fields(f, i, &p);
	for (uint32_t cut = 0; cut <= len; cut++) {
		uint8_t cls, reason;

		expect_cut(f, cut, &cls, &reason);
		parse_copy(buf, cut, &p);
		snprintf(what, sizeof(what), "%s cut %u: got %s/%s want %s/%s",
			 f->name, cut, ds_class_name(p.cls),
			 ds_malformed_name(p.reason), ds_class_name(cls),
			 ds_malformed_name(reason));
		CHECK(p.cls == cls && p.reason == reason, what);
	}
}

/* Every class and every reason must be produced by some case. */
static void
test_coverage(void)
{
	unsigned seen_cls = 0, seen_reason = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		seen_cls |= 1u << cases[i].cls;
		seen_reason |= 1u << cases[i].reason;
	}
	CHECK(seen_cls == (1u << DS_CLASS__N) - 1, "every class covered");
	CHECK(seen_reason == (1u << DS_MAL__N) - 1, "every reason covered");
}

static void
test_names(void)
{
	static const char *const cls[] = { "scan", "backscatter", "tcp_other",
		"udp", "icmp", "ipv4_other", "fragment", "ipv6", "nonip", "malformed" };
	static const char *const mal[] = { "none", "short_eth", "short_vlan",
		"short_ip", "bad_version", "bad_ihl", "bad_totlen", "short_l4", "bad_doff" };

	for (unsigned i = 0; i < DS_CLASS__N; i++)
		CHECK(strcmp(ds_class_name(i), cls[i]) == 0, cls[i]);
	for (unsigned i = 0; i < DS_MAL__N; i++)
		CHECK(strcmp(ds_malformed_name(i), mal[i]) == 0, mal[i]);
	CHECK(strcmp(ds_class_name(DS_CLASS__N), "invalid") == 0, "class range");
	CHECK(strcmp(ds_malformed_name(99), "invalid") == 0, "reason range");
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_case(i);
	test_coverage();
	test_names();
	return ds_test_done("test_parse");
}

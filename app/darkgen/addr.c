/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen addresses: the RFC 6890 special-purpose list (darkgen's own copy,
 * independent of darkscope's parser on purpose), sensor and country look-ups,
 * and the map from (campaign, source index) to an address.  That map is a
 * keyed permutation of a country's host space (hosts = addresses not ending
 * in .0 or .255), applied by cycle walking, so distinct indexes of one
 * campaign and country give distinct addresses without any memory.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "dg.h"
#include "dg_rng.h"

struct bogon {
	uint32_t base;
	int len;
};

/* RFC 6890 (and its updates) IPv4 special-purpose blocks, plus multicast. */
static const struct bogon bogons[] = {
	{0x00000000, 8},   /* 0.0.0.0/8 this network */
	{0x0a000000, 8},   /* 10/8 private */
	{0x64400000, 10},  /* 100.64/10 shared */
	{0x7f000000, 8},   /* 127/8 loopback */
	{0xa9fe0000, 16},  /* 169.254/16 link local */
	{0xac100000, 12},  /* 172.16/12 private */
	{0xc0000000, 24},  /* 192.0.0/24 IETF */
	{0xc0000200, 24},  /* 192.0.2/24 TEST-NET-1 */
	{0xc0586300, 24},  /* 192.88.99/24 6to4 relay */
	{0xc0a80000, 16},  /* 192.168/16 private */
	{0xc6120000, 15},  /* 198.18/15 benchmarking */
	{0xc6336400, 24},  /* 198.51.100/24 TEST-NET-2 */
	{0xcb007100, 24},  /* 203.0.113/24 TEST-NET-3 */
	{0xe0000000, 4},   /* 224/4 multicast */
	{0xf0000000, 4},   /* 240/4 reserved, incl. broadcast */
};
#define NBOGONS (sizeof(bogons) / sizeof(bogons[0]))

/* The bogon noise draws from these (weights equal). */
static const struct bogon bogon_noise[] = {
	{0x0a000000, 8}, {0xc0a80000, 16}, {0x7f000000, 8}, {0x00000000, 8},
	{0x64400000, 10}, {0xf0000000, 4}, {0xac100000, 12}, {0xa9fe0000, 16},
};
#define NBOGON_NOISE (sizeof(bogon_noise) / sizeof(bogon_noise[0]))

static inline uint32_t
len_mask(int len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

int
dg_is_bogon(uint32_t a)
{
	for (size_t i = 0; i < NBOGONS; i++)
		if ((a & len_mask(bogons[i].len)) == bogons[i].base)
			return 1;
	return 0;
}

int
dg_bogon_overlaps(const struct dg_prefix *p)
{
	for (size_t i = 0; i < NBOGONS; i++) {
		int len = p->len < bogons[i].len ? p->len : bogons[i].len;
		if ((p->base & len_mask(len)) == (bogons[i].base & len_mask(len)))
			return 1;
	}
	return 0;
}

uint32_t
dg_bogon_addr(uint64_t r)
{
	const struct bogon *b = &bogon_noise[dg_below(r, NBOGON_NOISE)];
	uint32_t host = (uint32_t)dg_mix64(r) & ~len_mask(b->len);

	return b->base | host;
}

int
dg_sensor_of(const struct dg_scenario *s, uint32_t a)
{
	for (int i = 0; i < s->nsensors; i++)
		for (int j = 0; j < s->sensor[i].npfx; j++)
			if ((a & s->sensor[i].pfx[j].mask) == s->sensor[i].pfx[j].base)
				return i;
	return -1;
}

int
dg_country_of(const struct dg_scenario *s, uint32_t a)
{
	for (int i = 0; i < s->nblocks; i++)
		if ((a & s->block[i].p.mask) == s->block[i].p.base)
			return s->block[i].cc_idx;
	return -1;
}

/* Host number h (< hosts of p) to address, skipping .0 and .255. */
static uint32_t
host_addr(const struct dg_prefix *p, uint64_t h)
{
	if (p->len > 24)
		return p->base + 1 + (uint32_t)h;
	return p->base + (uint32_t)(h / 254) * 256 + 1 + (uint32_t)(h % 254);
}

static uint64_t
prefix_hosts(const struct dg_prefix *p)
{
	if (p->len > 24)
		return (1u << (32 - p->len)) - 2;
	return (uint64_t)(1u << (24 - p->len)) * 254;
}

uint32_t
dg_addr_in_prefix_hosts(const struct dg_prefix *p, uint64_t h)
{
	return host_addr(p, dg_below(h, prefix_hosts(p)));
}

/* Keyed permutation of [0, 2^bits): odd multiply, add, xorshift rounds. */
static inline uint64_t
perm_pow2(uint64_t x, int bits, const uint64_t *rk)
{
	uint64_t mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	int sh = bits / 2 > 0 ? bits / 2 : 1;

	for (int r = 0; r < 4; r++) {
		x = (x * (rk[r] | 1) + (rk[r] >> 17)) & mask;
		x ^= x >> sh;
	}
	return x;
}

/* Keyed permutation of [0, n) by cycle walking. */
static uint64_t
perm_n(uint64_t x, uint64_t n, uint64_t key)
{
	uint64_t k = dg_mix64(key);
	uint64_t rk[4] = {k, k * 0x9e3779b97f4a7c15ULL, dg_rotl(k, 21) ^ 0xbf58476d1ce4e5b9ULL,
			  dg_rotl(k, 43) * 0x94d049bb133111ebULL};
	int bits = 1;

	while ((1ULL << bits) < n)
		bits++;
	x %= n;
	do
		x = perm_pow2(x, bits, rk);
	while (x >= n);
	return x;
}

uint32_t
dg_country_addr(const struct dg_scenario *s, int cc, uint64_t idx, uint64_t key)
{
	const struct dg_country *c = &s->country[cc];
	uint64_t h = perm_n(idx, c->hosts, key ^ (uint64_t)cc << 56);

	for (int i = 0; i < c->nblk; i++) {
		const struct dg_block *b = &s->block[c->blk[i]];
		if (h < b->hosts)
			return host_addr(&b->p, h);
		h -= b->hosts;
	}
	return 0; /* not reached: hosts is the sum over blk */
}

uint32_t
dg_cidr_addr(const struct dg_prefix *p, uint64_t idx, uint64_t key)
{
	return host_addr(p, perm_n(idx, prefix_hosts(p), key));
}

uint32_t
dg_sensor_addr(const struct dg_sensor *sn, uint64_t r)
{
	uint64_t i = dg_below(r, sn->naddr);

	for (int j = 0; j < sn->npfx; j++) {
		uint64_t n = 1ULL << (32 - sn->pfx[j].len);
		if (i < n)
			return sn->pfx[j].base + (uint32_t)i;
		i -= n;
	}
	return sn->pfx[0].base;
}

void
dg_fmt_ip(uint32_t a, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		 a & 255);
}

/* DIR/sources.tsv: every block (sensors' home blocks too), CIDR<TAB>CC. */
int
dg_write_sources(const struct dg_scenario *s, const char *path)
{
	FILE *f = fopen(path, "w");
	char ip[16];

	if (!f)
		return -1;
	for (int i = 0; i < s->nblocks; i++) {
		const struct dg_block *b = &s->block[i];
		dg_fmt_ip(b->p.base, ip, sizeof(ip));
		fprintf(f, "%s/%d\t%s\n", ip, b->p.len, s->country[b->cc_idx].cc);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_lpm: a table of prefixes and lookups (overlaps in both insertion
 * orders, /0, /32, /25 inside /24), the error returns, and a randomized
 * cross-check against a naive linear longest match.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ds_lpm.h"
#include "ds_test.h"

static inline uint32_t
ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

struct pfx { uint32_t prefix; uint8_t len; uint16_t value; };
struct probe { uint32_t addr; uint16_t want; };

static const struct pfx table[] = {
	{ 0, 0, 1 },				/* default route */
	{ 0x0b000000, 8, 2 },			/* 11/8 */
	{ 0x0b080000, 16, 3 },			/* 11.8/16 */
	{ 0x0b080100, 24, 4 },			/* 11.8.1/24 */
	{ 0x0b080180, 25, 5 },			/* 11.8.1.128/25 */
	{ 0x0b080104, 30, 6 },			/* 11.8.1.4/30 */
	{ 0x0b080109, 32, 7 },			/* 11.8.1.9/32 */
	{ 0x0b090000, 17, 8 },			/* 11.9.0/17 */
	{ 0xffffffff, 32, 9 },			/* 255.255.255.255/32 */
	{ 0x0c000000, 7, 10 },			/* 12/7 (12, 13) */
};

static const struct probe probes[] = {
	{ 0x01020304, 1 }, { 0x0a000000, 1 }, { 0x0b000000, 2 },
	{ 0x0b07ffff, 2 }, { 0x0b080000, 3 }, { 0x0b0800ff, 3 },
	{ 0x0b080100, 4 }, { 0x0b080103, 4 }, { 0x0b080104, 6 },
	{ 0x0b080107, 6 }, { 0x0b080108, 4 }, { 0x0b080109, 7 },
	{ 0x0b08010a, 4 }, { 0x0b08017f, 4 }, { 0x0b080180, 5 },
	{ 0x0b0801ff, 5 }, { 0x0b080200, 3 }, { 0x0b08ffff, 3 },
	{ 0x0b090000, 8 }, { 0x0b097fff, 8 }, { 0x0b098000, 2 },
	{ 0xfffffffe, 1 }, { 0xffffffff, 9 }, { 0x0c000001, 10 },
	{ 0x0dffffff, 10 }, { 0x0e000000, 1 },
};

/* Build the table in forward (dir 0) or reverse (dir 1) order. */
static struct ds_lpm *
build(int dir)
{
	size_t n = sizeof(table) / sizeof(table[0]);
	struct ds_lpm *l = ds_lpm_create(16, 0);

	if (!CHECK(l != NULL, "create"))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct pfx *p = &table[dir ? n - 1 - i : i];

		CHECK(ds_lpm_add(l, p->prefix, p->len, p->value) == 0, "add");
	}
	return l;
}

static void
test_table(void)
{
	for (int dir = 0; dir < 2; dir++) {
		struct ds_lpm *l = build(dir);
		char what[64];

		if (l == NULL)
			return;
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			uint16_t got = ds_lpm_lookup(l, probes[i].addr);

			snprintf(what, sizeof(what), "dir %d addr %08x got %u want %u",
				 dir, probes[i].addr, got, probes[i].want);
			CHECK(got == probes[i].want, what);
		}
		CHECK(l->n_groups == 2, "one group per /24 with long prefixes");
		ds_lpm_freeze(l);
		CHECK(l->flat, "flattened");
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			uint16_t got = ds_lpm_lookup(l, probes[i].addr);

			snprintf(what, sizeof(what), "frozen: dir %d addr %08x got %u want %u",
				 dir, probes[i].addr, got, probes[i].want);
			CHECK(got == probes[i].want, what);
		}
		ds_lpm_freeze(l);
		CHECK(ds_lpm_lookup(l, 0x0b080109) == 7, "second freeze changes nothing");
		CHECK(ds_lpm_add(l, 0, 0, 1) == -EPERM, "add after freeze");
		ds_lpm_free(l);
	}
}

static void
test_errors(void)
{
	struct ds_lpm *l = ds_lpm_create(1, DS_LPM_DENSE);

	if (!CHECK(l != NULL, "create"))
		return;
	CHECK(ds_lpm_lookup(l, 0x01020304) == 0, "empty table");
	CHECK(ds_lpm_add(l, 0, 33, 1) == -EINVAL, "len 33");
	CHECK(ds_lpm_add(l, 0, 8, 0) == -EINVAL, "value 0");
	CHECK(ds_lpm_add(l, 0, 8, DS_LPM_MAX_VALUE + 1) == -EINVAL, "value too big");
	CHECK(ds_lpm_add(l, 0, 0, DS_LPM_MAX_VALUE) == 0, "max value");
	CHECK(ds_lpm_add(l, 0x01020300, 25, 1) == 0, "first group");
	CHECK(ds_lpm_add(l, 0x01020380, 25, 2) == 0, "same group");
	CHECK(ds_lpm_add(l, 0x01020400, 25, 3) == -ENOSPC, "second group");
	CHECK(ds_lpm_lookup(l, 0x01020401) == DS_LPM_MAX_VALUE, "failed add left no trace");
	CHECK(ds_lpm_add(l, 0x01020304, 24, 4) == 0, "host bits ignored");
	CHECK(ds_lpm_lookup(l, 0x01020301) == 1, "/25 beats later /24");
	CHECK(ds_lpm_add(l, 0x01020300, 25, 5) == 0, "replace same prefix");
	CHECK(ds_lpm_lookup(l, 0x01020301) == 5, "replaced");
	CHECK(ds_lpm_add(NULL, 0, 8, 1) == -EINVAL, "NULL table");
	CHECK(ds_lpm_bytes(l) > (1u << 25), "bytes");
	ds_lpm_free(l);
	ds_lpm_free(NULL);
	errno = 0;
	CHECK(ds_lpm_create(DS_LPM_EXT + 1, 0) == NULL && errno == EINVAL, "too many groups");
}

/* xorshift64*: deterministic test randomness. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint16_t
naive_lookup(const struct pfx *p, size_t n, uint32_t addr)
{
	int best = -1;
	uint16_t v = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t mask = p[i].len ? ~0u << (32 - p[i].len) : 0;

		/* later duplicates replace earlier ones, like the LPM */
		if ((addr & mask) == p[i].prefix && p[i].len >= best) {
			best = p[i].len;
			v = p[i].value;
		}
	}
	return v;
}

/* Random prefix clustered in a few /8s so that prefixes overlap. */
static struct pfx
random_prefix(uint16_t values)
{
	static const uint8_t lens[] = { 0, 4, 8, 12, 15, 16, 20, 23, 24, 24,
					25, 26, 28, 30, 31, 32, 32 };
	struct pfx p;
	uint32_t a = (rnd() & 0x0300ffff) | (rnd() & 0xff00) | 0x0a000000;

	p.len = lens[rnd() % sizeof(lens)];
	if (p.len == 0 && rnd() % 4)
		p.len = 10;
	p.prefix = a & (p.len ? ~0u << (32 - p.len) : 0);
	p.value = (uint16_t)(1 + rnd() % values);
	return p;
}

/* Random address biased towards the prefixes' neighbourhood. */
static uint32_t
random_addr(const struct pfx *p, size_t n)
{
	uint32_t r = rnd();

	if (r & 1)
		return rnd();
	return (p[rnd() % n].prefix & ~0xffffu) | (rnd() & 0xffff);
}

/* Random prefixes of values 1..values against a naive lookup, while the
 * table is built and once frozen (flattened or not: flat). */
static void
test_random(uint16_t values, uint32_t flat)
{
	enum { NP = 200, NA = 1000000 };
	static struct pfx p[NP];
	struct ds_lpm *l = ds_lpm_create(NP, DS_LPM_DENSE);
	unsigned bad = 0;

	if (!CHECK(l != NULL, "create"))
		return;
	for (size_t i = 0; i < NP; i++) {
		p[i] = random_prefix(values);
		CHECK(ds_lpm_add(l, p[i].prefix, p[i].len, p[i].value) == 0, "add");
	}
	for (int frozen = 0; frozen < 2; frozen++) {
		if (frozen) {
			ds_lpm_freeze(l);
			CHECK(l->flat == flat, flat ? "few values: flattened" : "many values: not flattened");
		}
		for (size_t i = 0; i < NA; i++) {
			uint32_t a = random_addr(p, NP);
			uint16_t want = naive_lookup(p, NP, a);

			if (ds_lpm_lookup(l, a) != want && bad++ < 10)
				fprintf(stderr, "values %u frozen %d: addr %08x got %u want %u\n", values,
					frozen, a, ds_lpm_lookup(l, a), want);
		}
		CHECK(bad == 0, "random cross-check");
	}
	ds_lpm_free(l);
}

/* The most groups a flattened table can have: every group of long
 * prefixes in use and the most values (16-bit group indices); one value
 * more and the table stays as it was, with the same answers. */
static void
test_full(unsigned values, uint32_t flat)
{
	struct ds_lpm *l = ds_lpm_create(DS_LPM_EXT, 0);
	uint32_t i, bad = 0;

	if (!CHECK(l != NULL, "create"))
		return;
	for (i = 0; i < DS_LPM_EXT; i++)	/* 10.0.0.0/25 ... 10.127.255.0/25 */
		bad += ds_lpm_add(l, 0x0a000000 | i << 8, 25, (uint16_t)(1 + i % values)) != 0;
	for (i = 1; i <= values; i++)		/* 20.0.1.0/24 ... */
		bad += ds_lpm_add(l, 0x14000000 | i << 8, 24, (uint16_t)i) != 0;
	CHECK(bad == 0, "every group");
	ds_lpm_freeze(l);
	CHECK(l->flat == flat, "flattened with at most 16 values");
	CHECK(!flat || l->tbl8_groups == 1 + DS_LPM_EXT + values, "all groups indexed");
	for (i = 0; i < DS_LPM_EXT; i++)
		bad += ds_lpm_lookup(l, 0x0a000001 | i << 8) != 1 + i % values ||
		       ds_lpm_lookup(l, 0x0a000081 | i << 8) != 0;
	for (i = 1; i <= values; i++)
		bad += ds_lpm_lookup(l, 0x140000ff | i << 8) != i;
	CHECK(bad == 0, "lookups after freeze");
	CHECK(ds_lpm_lookup(l, 0x0b000000) == 0 && ds_lpm_lookup(l, 0xffffffff) == 0, "no route");
	ds_lpm_free(l);
}

int
main(void)
{
	test_table();
	test_errors();
	test_random(DS_LPM_MAX_VALUE, 0);
	test_random(16, 1);
	test_full(16, 1);
	test_full(17, 0);
	return ds_test_done("test_lpm");
}

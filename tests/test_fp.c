/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_fp: the one-line bucket (three slots and a meta word) as the table's
 * users see it: a bucket evicts singletons first-in-first-out and never a
 * promoted tuple; a repeated singleton outlives single-packet ones; a
 * promoted tuple's counts are exact (the first packet's sensor, port and
 * /16 match carried over); dump + load is the identity and a dump of
 * another bucket layout loads by key; merge of a split stream equals the
 * whole.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_fp.h"
#include "ds_test.h"

#define SLOTS 64
#define N_SENSORS 3

/* n keys whose hash falls in bucket `bucket` of a SLOTS-slot table. */
static void
colliding(struct ds_fp *f, size_t bucket, struct ds_fp_key *out, unsigned n, uint32_t start)
{
	struct ds_fp_slots v = ds_fp_slots(f);
	uint32_t seq = start;
	unsigned got = 0;

	while (got < n) {
		struct ds_fp_key k = { seq++, 40000, 777, 1024 };

		if (ds_fp_bucket(v.n_buckets, ds_fp_hash(&k)) == bucket)
			out[got++] = k;
	}
}

static void
add(struct ds_fp *f, const struct ds_fp_key *k, uint32_t src, unsigned sensor, uint16_t dport,
    uint32_t dst, uint64_t ts)
{
	ds_fp_add(f, k, ds_fp_hash(k), src, sensor, dport, dst, ts);
}

struct seen {
	unsigned n;
	struct ds_fp_info info[8];	/* sensor_packets point into the live table */
};

static int
collect(const struct ds_fp_info *i, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->info[s->n++] = *i;
	return 0;
}

static const struct ds_fp_info *
promoted(const struct ds_fp *f, const struct ds_fp_key *k, struct seen *s)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	ds_fp_foreach(f, collect, s);
	for (i = 0; i < s->n; i++)
		if (s->info[i].key.seq == k->seq && s->info[i].key.sport == k->sport &&
		    s->info[i].key.ipid == k->ipid && s->info[i].key.win == k->win)
			return &s->info[i];
	return NULL;
}

/* A singleton survives two more insertions into its bucket, not three. */
static void
fifo_eviction(void)
{
	struct ds_fp *f = ds_fp_create(SLOTS, 16, N_SENSORS, 6);
	struct ds_fp_key k[5];
	struct seen s;
	unsigned i;

	colliding(f, 3, k, 5, 1);
	for (i = 0; i < 3; i++)
		add(f, &k[i], 100 + i, 0, 80, 1, 10);
	CHECK(ds_fp_evictions(f) == 0, "three ways fill without eviction");
	add(f, &k[3], 200, 0, 80, 1, 11);
	CHECK(ds_fp_evictions(f) == 1, "the fourth tuple evicts");
	add(f, &k[0], 201, 0, 80, 1, 12);	/* k[0] was evicted: a new singleton */
	CHECK(promoted(f, &k[0], &s) == NULL, "the oldest singleton went first");
	add(f, &k[2], 202, 0, 80, 1, 13);	/* k[2] is still there */
	CHECK(promoted(f, &k[2], &s) != NULL, "the youngest survived and is promoted");
	ds_fp_free(f);
}

/* A tuple repeated by its source outlives single-packet tuples; promoted
 * tuples are never evicted; a bucket of promoted tuples drops new ones. */
static void
protected_slots(void)
{
	struct ds_fp *f = ds_fp_create(SLOTS, 16, N_SENSORS, 6);
	struct ds_fp_key k[12];
	const struct ds_fp_info *in;
	struct seen s;
	unsigned i;

	colliding(f, 7, k, 12, 1000);
	add(f, &k[0], 1, 0, 80, 1, 10);
	add(f, &k[0], 1, 0, 80, 1, 10);		/* count 2, one source */
	for (i = 1; i < 8; i++)
		add(f, &k[i], 10 + i, 0, 80, 1, 10);
	add(f, &k[0], 2, 1, 81, 1, 20);
	in = promoted(f, &k[0], &s);
	CHECK(in && in->packets == 3, "the repeated singleton survived");
	CHECK(in && in->sensor_packets[0] == 2 && in->sensor_packets[1] == 1, "per sensor");
	add(f, &k[8], 20, 0, 80, 1, 30);
	add(f, &k[8], 21, 0, 80, 1, 30);
	add(f, &k[9], 22, 0, 80, 1, 30);
	add(f, &k[9], 23, 0, 80, 1, 30);
	CHECK(promoted(f, &k[0], &s) && promoted(f, &k[8], &s) && promoted(f, &k[9], &s),
	      "three promoted tuples fill the bucket");
	add(f, &k[10], 24, 0, 80, 1, 30);
	CHECK(ds_fp_dropped(f) == 1, "a fourth tuple is dropped");
	in = promoted(f, &k[0], &s);
	CHECK(in && in->packets == 3, "promoted tuples stay");
	ds_fp_free(f);
}

/* Exact counts of a promoted tuple: the first packets' sensor, port and
 * /16 match are carried into the detail at promotion. */
static void
promotion_exact(void)
{
	struct ds_fp *f = ds_fp_create(SLOTS, 16, N_SENSORS, 6);
	struct ds_fp_key k = { 0x0b080000u, 6000, 256, 16384 };
	const struct ds_fp_info *in;
	struct seen s;

	add(f, &k, 5, 2, 23, 0x0b080101u, 100);	/* /16 matches seq */
	add(f, &k, 5, 2, 23, 0x0c000000u, 101);	/* same source: counted as the first */
	CHECK(promoted(f, &k, &s) == NULL, "one source: not promoted");
	add(f, &k, 6, 1, 2323, 0x0c000000u, 150);
	add(f, &k, 7, 0, 23, 0x0b08ff00u, 200);
	in = promoted(f, &k, &s);
	CHECK(in != NULL, "promoted");
	if (!in)
		goto out;
	CHECK(in->packets == 4, "packets");
	CHECK(in->sensor_packets[0] == 1 && in->sensor_packets[1] == 1 &&
	      in->sensor_packets[2] == 2, "per-sensor packets");
	CHECK(in->slash16_match == 3, "/16 matches: the first two (as the first) and the last");
	CHECK(in->n_ports == 2 && in->ports[0] == 23 && in->port_packets[0] == 3 &&
	      in->ports[1] == 2323 && in->port_packets[1] == 1, "ports");
	CHECK(in->first_ts == 150 && in->last_ts == 200, "first seen = promotion");
	CHECK(ds_fp_sources(f, in, -1) > 2.5 && ds_fp_sources(f, in, -1) < 3.5, "3 sources");
out:
	ds_fp_free(f);
}

static struct ds_fp *
churned(uint32_t slots, uint64_t seed, unsigned npk, int part)
{
	struct ds_fp *f = ds_fp_create(slots, 64, N_SENSORS, 6);
	uint64_t x = seed;
	unsigned i;

	for (i = 0; i < npk; i++) {
		struct ds_fp_key k;
		uint32_t src;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		src = (uint32_t)(x >> 40) % 5000;
		if (i % 20 == 0)
			k = (struct ds_fp_key){ 0x12340000u + i % 7, 6000, 256, 16384 };
		else
			k = (struct ds_fp_key){ (uint32_t)(x >> 32), (uint16_t)i, (uint16_t)(i >> 16), 1024 };
		if (part >= 0 && (int)(src & 1) != part)
			continue;
		add(f, &k, src, src % N_SENSORS, (uint16_t)(x >> 20), (uint32_t)(x >> 8), 1000 + i);
	}
	return f;
}

/* Dump + load + dump is the identity; a corrupted slot record is refused. */
static void
dump_load(void)
{
	struct ds_fp *f = churned(1024, 7, 20000, -1), *g = ds_fp_create(1024, 64, N_SENSORS, 6);
	size_t len = ds_fp_dump(f, NULL, 0), len2;
	uint8_t *buf = malloc(len), *buf2 = malloc(len);

	CHECK(ds_fp_dump(f, buf, len) == len, "dump");
	CHECK(ds_fp_load(g, buf, len) == 0, "load");
	len2 = ds_fp_dump(g, buf2, len);
	CHECK(len2 == len && memcmp(buf, buf2, len) == 0, "dump of the loaded table is the same");
	CHECK(ds_fp_load(g, buf, len - 1) == -EINVAL, "truncated");
	memcpy(buf2, buf, len);
	buf2[len - 36 + 16] = N_SENSORS;		/* last slot: first_sensor */
	CHECK(ds_fp_load(g, buf2, len) == -EINVAL, "sensor out of range");
	memcpy(buf2, buf, len);
	memcpy(buf2 + len - 36, buf2 + len - 72, 36);	/* index not increasing */
	CHECK(ds_fp_load(g, buf2, len) == -EINVAL, "slot order");
	free(buf);
	free(buf2);
	ds_fp_free(f);
	ds_fp_free(g);
}

/* A dump whose slot indices are not this layout's (an older 4-slot-bucket
 * table) loads by key: each tuple lands in its bucket and merges on. */
static void
load_other_layout(void)
{
	struct ds_fp *f = ds_fp_create(SLOTS, 16, N_SENSORS, 6);
	struct ds_fp_key k = { 0x12340000u, 6000, 256, 16384 };
	uint8_t buf[48 + 36];
	uint32_t u;
	uint64_t z = 0;
	const struct ds_fp_info *in;
	struct seen s;

	memset(buf, 0, sizeof(buf));
	u = SLOTS;
	memcpy(buf, &u, 4);
	u = N_SENSORS;
	memcpy(buf + 4, &u, 4);
	u = 6;
	memcpy(buf + 8, &u, 4);
	memcpy(buf + 16, &z, 8);
	u = 1;
	memcpy(buf + 40, &u, 4);
	u = 61;				/* wherever: slot 61 of the old layout */
	memcpy(buf + 48, &u, 4);
	memcpy(buf + 52, &k.seq, 4);
	memcpy(buf + 56, &k.sport, 2);
	memcpy(buf + 58, &k.ipid, 2);
	memcpy(buf + 60, &k.win, 2);
	u = 445;
	memcpy(buf + 62, &u, 2);
	u = 1;				/* first sensor */
	memcpy(buf + 64, &u, 2);
	u = 2;				/* count */
	memcpy(buf + 68, &u, 4);
	u = 99;				/* first source */
	memcpy(buf + 72, &u, 4);
	u = 0xffffffffu;
	memcpy(buf + 76, &u, 4);
	u = 0x12345678u;		/* first dst: the /16 matches */
	memcpy(buf + 80, &u, 4);
	CHECK(ds_fp_load(f, buf, sizeof(buf)) == 0, "load");
	add(f, &k, 100, 0, 80, 0, 5);
	in = promoted(f, &k, &s);
	CHECK(in && in->packets == 3 && in->sensor_packets[1] == 2 && in->sensor_packets[0] == 1,
	      "found by key and promoted with the loaded facts");
	CHECK(in && in->slash16_match == 2 && in->ports[0] == 445, "first facts");
	ds_fp_free(f);
}

/* The stream split by source and merged gives the promoted tuples of the
 * whole stream exactly (the table is large enough to evict nothing). */
static void
merge_split(void)
{
	struct ds_fp *all = churned(1 << 18, 11, 2000, -1);
	struct ds_fp *a = churned(1 << 18, 11, 2000, 0), *b = churned(1 << 18, 11, 2000, 1);
	struct ds_fp *m = ds_fp_create(1 << 18, 64, N_SENSORS, 6);
	struct seen s1, s2;
	unsigned i, j;

	CHECK(ds_fp_merge(m, a) == 0 && ds_fp_merge(m, b) == 0, "merge");
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	ds_fp_foreach(all, collect, &s1);
	ds_fp_foreach(m, collect, &s2);
	CHECK(s1.n == 7 && s2.n == 7, "seven promoted tuples");
	for (i = 0; i < s1.n; i++)
		for (j = 0; j < s2.n; j++)
			if (s1.info[i].key.seq == s2.info[j].key.seq) {
				CHECK(s1.info[i].packets == s2.info[j].packets, "packets");
				CHECK(memcmp(s1.info[i].sensor_packets, s2.info[j].sensor_packets,
					     N_SENSORS * sizeof(uint64_t)) == 0, "per sensor");
				CHECK(s1.info[i].slash16_match == s2.info[j].slash16_match, "/16");
				CHECK(s1.info[i].last_ts == s2.info[j].last_ts, "last seen");
			}
	CHECK(ds_fp_evictions(all) == 0, "nothing evicted");
	ds_fp_free(all);
	ds_fp_free(a);
	ds_fp_free(b);
	ds_fp_free(m);
}

static void
bad_create(void)
{
	errno = 0;
	CHECK(ds_fp_create(100, 16, 1, 6) == NULL && errno == EINVAL, "slots not a power of two");
	CHECK(ds_fp_create(64, 16, 257, 6) == NULL && errno == EINVAL, "more than 256 sensors");
}

int
main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "fifo_eviction", fifo_eviction },
		{ "protected_slots", protected_slots },
		{ "promotion_exact", promotion_exact },
		{ "dump_load", dump_load },
		{ "load_other_layout", load_other_layout },
		{ "merge_split", merge_split },
		{ "bad_create", bad_create },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cases[i].fn();
	return ds_test_done("test_fp");
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_set_analyses(): a set with some analyses switched off (what dpbench
 * times as "alone" and "cumulative") must update exactly the sketches of
 * the analyses left on, each exactly as a set with all of them on does,
 * and leave the others empty; the exact counters are kept either way.  A
 * table of masks (none, each alone, all but each, all) runs one mixed
 * traffic (repeating scanners, one-packet sources, watched and excluded
 * ports, the three tools, a fixed-header family, backscatter, bogons,
 * src == dst), with the source cache on and after a churn that turns it
 * off.  Bits beyond DS_SET_AN_ALL are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_fixture.h"
#include "ds_set.h"
#include "ds_test.h"

#define WATCHED 10073
#define EXCLUDED 445
#define CHURN 131072		/* single-packet sources: the cache turns off */
#define BURST 64

struct feeder {
	struct ds_set *s;
	const struct ds_lpm *l;
	struct ds_pkt p[BURST];
	unsigned m;
	uint64_t ts;
};

static void
feed_flush(struct feeder *f)
{
	if (f->m)
		ds_set_burst(f->s, f->l, f->p, f->m, f->ts);
	f->m = 0;
	f->ts += 7000000;	/* 7 ms per burst: times move across seconds */
}

static void
put(struct feeder *f, struct ds_pkt p)
{
	f->p[f->m++] = p;
	if (f->m == BURST)
		feed_flush(f);
}

static uint32_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)*x;
}

/* A destination at sensor A (0) or D (1). */
static uint32_t
dest(unsigned sensor, uint32_t r)
{
	return sensor ? D_NET + r % 128 : A_NET + r % 2048;
}

/* The mixed traffic, the same packets in the same bursts every time. */
static void
traffic(struct ds_set *s, const struct ds_lpm *l, int churn)
{
	static const uint16_t ports[] = { 23, 22, 80, 8080, WATCHED, EXCLUDED, 5555, 3389 };
	struct feeder f = { s, l, { { 0 } }, 0, 1700000000ull * 1000000000ull };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned i, j;

	if (churn)
		for (i = 0; i < CHURN; i++)
			put(&f, ds_fixture_syn(0x6e000001u + i * 4, dest(0, i), (uint16_t)(20000 + i), 23,
				    0x9e3779b9u * i, (uint16_t)i, 1024));
	for (i = 0; i < 20000; i++) {
		uint32_t r = rnd(&x), src = 0x5b000001u + (r % 600) * 4;
		uint32_t dst = dest(r >> 30 & 1, rnd(&x));
		uint16_t port = ports[(r >> 12) % 8];
		uint16_t sport = (uint16_t)(1024 + rnd(&x) % 60000), ipid = (uint16_t)rnd(&x);
		uint32_t seq = rnd(&x);

		switch (r >> 20 & 15) {
		case 0:		/* Mirai */
			seq = dst;
			break;
		case 1:		/* legacy ZMap */
			ipid = 54321;
			break;
		case 2:		/* Masscan */
			ipid = (uint16_t)((dst ^ port ^ seq) & 0xffff);
			break;
		case 3:		/* a fixed-header family member, 40 sources */
			src = 0x7a000001u + (r % 40) * 4;
			sport = 6000, seq = 1098121216u, ipid = 256;
			break;
		}
		put(&f, ds_fixture_syn(src, dst, sport, port, seq, ipid, 1024));
		if (i % 97 == 0)	/* a one-packet source */
			put(&f, ds_fixture_syn(0x30000001u + i * 4, dst, sport, port, seq, ipid, 65535));
		if (i % 211 == 0) {	/* a bogon and a src == dst */
			put(&f, ds_fixture_syn(0xc6336401u + i % 200, dst, sport, port, seq, ipid, 1024));
			put(&f, ds_fixture_syn(dst, dst, sport, port, seq, ipid, 1024));
		}
		if (i % 53 == 0) {	/* backscatter */
			struct ds_pkt b = ds_fixture_syn(0x2d000001u + (i % 300) * 4, dst, 80, 40000,
							 seq, ipid, 0);

			b.cls = DS_CLASS_BACKSCATTER;
			b.tcp_flags = 0x12;
			put(&f, b);
		}
	}
	for (j = 0; j < 3; j++)	/* the family again, every source */
		for (i = 0; i < 40; i++)
			put(&f, ds_fixture_syn(0x7a000001u + i * 4, dest(j & 1, i * 31 + j), 6000, 23,
				    1098121216u, 256, 1024));
	feed_flush(&f);
	ds_set_flush(s);
}

/* Both sketches' bytes equal (on) or b's all zero (off). */
static int
same_or_empty(const void *a, const void *b, size_t n, int on)
{
	const uint8_t *y = b;
	size_t i;

	if (on)
		return memcmp(a, b, n) == 0;
	for (i = 0; i < n; i++)
		if (y[i])
			return 0;
	return 1;
}

static int
hlls(struct ds_hll **a, struct ds_hll **b, unsigned n, int on)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!same_or_empty(ds_hll_registers(a[i]), ds_hll_registers(b[i]),
				   (size_t)1 << ds_hll_precision(a[i]), on))
			return 0;
	return 1;
}

/* A sample's sources and sensor bits in hash order (after pruning to K:
 * the order of its table is not part of its value). */
struct sample_list {
	uint64_t *v;
	size_t n, cap;
};

static int
list_sample(uint32_t src, const uint64_t *bits, void *arg)
{
	struct sample_list *l = arg;

	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4096;
		l->v = realloc(l->v, l->cap * sizeof(l->v[0]));
	}
	l->v[l->n++] = src;
	l->v[l->n++] = bits[0];
	return 0;
}

static int
samples(struct ds_bk *a, struct ds_bk *b, int on)
{
	struct sample_list x = { 0 }, y = { 0 };
	int ok;

	ds_bk_foreach(a, list_sample, &x);
	ds_bk_foreach(b, list_sample, &y);
	ok = on ? x.n == y.n && x.n > 0 && memcmp(x.v, y.v, x.n * sizeof(x.v[0])) == 0 &&
		  ds_bk_exact(a) == ds_bk_exact(b)
		: y.n == 0;
	free(x.v);
	free(y.v);
	return ok;
}

static int
tops(const struct ds_topk *a, const struct ds_topk *b, int on)
{
	static struct ds_topk_entry x[4096], y[4096];
	unsigned n = ds_topk_top(a, x, 4096, NULL, NULL), m = ds_topk_top(b, y, 4096, NULL, NULL);

	if (!on)
		return m == 0;
	return n == m && n > 0 && memcmp(x, y, n * sizeof(x[0])) == 0;
}

static int
count_fp(const struct ds_fp_info *i, void *arg)
{
	(void)i;
	++*(unsigned *)arg;
	return 0;
}

static int
fps(const struct ds_fp *a, const struct ds_fp *b, int on)
{
	size_t n = ds_fp_dump(a, NULL, 0), m = ds_fp_dump(b, NULL, 0);
	uint8_t *x = malloc(n), *y = malloc(m);
	unsigned tuples = 0;
	int ok;

	ds_fp_dump(a, x, n);
	ds_fp_dump(b, y, m);
	ds_fp_foreach(b, count_fp, &tuples);
	ok = on ? n == m && memcmp(x, y, n) == 0 : tuples == 0;
	free(x);
	free(y);
	return ok;
}

/* The counters every mask keeps. */
static int
counters(const struct ds_set *a, const struct ds_set *b)
{
	unsigned i;

	if (memcmp(a->classes, b->classes, sizeof(a->classes)) ||
	    memcmp(a->hygiene, b->hygiene, sizeof(a->hygiene)))
		return 0;
	for (i = 0; i < a->n_sensors; i++)
		if (memcmp(&a->sensor[i], &b->sensor[i], sizeof(a->sensor[i])))
			return 0;
	return 1;
}

static const struct mcase {
	const char *name;
	unsigned mask;
} cases[] = {
	{ "none", 0 },
	{ "count-min alone", DS_SET_AN_PORTS },
	{ "source HLLs alone", DS_SET_AN_SOURCES },
	{ "overlap samples alone", DS_SET_AN_OVERLAP },
	{ "tool and watched HLLs alone", DS_SET_AN_TOOLS },
	{ "top sources alone", DS_SET_AN_TOPSRC },
	{ "fingerprints alone", DS_SET_AN_FP },
	{ "all but count-min", DS_SET_AN_ALL & ~DS_SET_AN_PORTS },
	{ "all but source HLLs", DS_SET_AN_ALL & ~DS_SET_AN_SOURCES },
	{ "all but overlap", DS_SET_AN_ALL & ~DS_SET_AN_OVERLAP },
	{ "all but tools", DS_SET_AN_ALL & ~DS_SET_AN_TOOLS },
	{ "all but top sources", DS_SET_AN_ALL & ~DS_SET_AN_TOPSRC },
	{ "all but fingerprints", DS_SET_AN_ALL & ~DS_SET_AN_FP },
	{ "overlap and tools (the watched-port bit's two users)",
	  DS_SET_AN_OVERLAP | DS_SET_AN_TOOLS },
	{ "all", DS_SET_AN_ALL },
};

static void
run_case(const struct mcase *t, struct ds_set *ref, struct ds_set *s, const struct ds_lpm *l,
	 int churn)
{
	unsigned n = s->n_sensors, m = t->mask, i;
	char what[160];

	snprintf(what, sizeof(what), "%s%s", t->name, churn ? ", cache off after a churn" : "");
	ds_set_clear(s);
	CHECK(ds_set_analyses(s, m) == 0, what);
	traffic(s, l, churn);
	CHECK(counters(ref, s), what);
	for (i = 0; i < n; i++)
		CHECK(same_or_empty(ds_cm_counters(ref->ports[i]), ds_cm_counters(s->ports[i]),
				    (size_t)ds_cm_width(ref->ports[i]) * ds_cm_depth(ref->ports[i]) * 4,
				    m & DS_SET_AN_PORTS), what);
	CHECK(same_or_empty(ref->port_scans, s->port_scans, 65536 * sizeof(s->port_scans[0]),
			    m & DS_SET_AN_PORTS), what);
	CHECK(hlls(ref->src, s->src, n, m & DS_SET_AN_SOURCES), what);
	CHECK(hlls(ref->src_excl, s->src_excl, n, m & DS_SET_AN_SOURCES), what);
	CHECK(samples(ref->overlap, s->overlap, m & DS_SET_AN_OVERLAP), what);
	CHECK(samples(ref->watch_overlap[0], s->watch_overlap[0], m & DS_SET_AN_OVERLAP), what);
	CHECK(hlls(ref->tool_src, s->tool_src, n * DS_TOOL__N, m & DS_SET_AN_TOOLS), what);
	CHECK(hlls(ref->watch_src, s->watch_src, n, m & DS_SET_AN_TOOLS), what);
	CHECK(tops(ref->top_src, s->top_src, m & DS_SET_AN_TOPSRC), what);
	CHECK(fps(ref->fp, s->fp, m & DS_SET_AN_FP), what);
	/* always kept: backscatter */
	CHECK(hlls(ref->victims, s->victims, n, 1), what);
	CHECK(tops(ref->top_victims, s->top_victims, 1), what);
}

int
main(void)
{
	struct ds_conf *c = ds_fixture_conf_ad();
	struct ds_lpm *l;
	struct ds_set *ref, *s;
	unsigned i;
	int churn;

	c->n_watched = 1;
	c->watched[0] = WATCHED;
	c->n_excluded = 1;
	c->excluded[0] = EXCLUDED;
	c->hygiene_exclude = 1;
	l = ds_set_sensor_lpm(c);
	ref = ds_set_create(c);
	s = ds_set_create(c);
	if (!l || !ref || !s)
		return 1;

	/* bad input: bits beyond the analyses; the mask is unchanged */
	CHECK(ds_set_analyses(s, DS_SET_AN_ALL + 1) == -EINVAL, "unknown bit refused");
	CHECK(ds_set_analyses(s, ~0u) == -EINVAL, "all bits refused");
	CHECK(s->analyses == DS_SET_AN_ALL, "default: every analysis");

	for (churn = 0; churn < 2; churn++) {
		ds_set_clear(ref);
		traffic(ref, l, churn);
		/* the traffic exercises every structure */
		CHECK(ds_hll_count(ref->src[0]) > 500 && ds_hll_count(ref->src[1]) > 500, "sources");
		CHECK(ds_hll_count(ref->tool_src[DS_TOOL_MASSCAN * 2]) > 100, "tools");
		CHECK(ds_hll_count(ref->watch_src[0]) > 100, "watched port");
		CHECK(ds_bk_size(ref->overlap) > 500, "overlap sample");
		CHECK(ref->hygiene[DS_HYG_SPECIAL] > 0 && ref->classes[DS_SET_HYGIENE] > 0, "hygiene");
		{
			unsigned tuples = 0;

			ds_fp_foreach(ref->fp, count_fp, &tuples);
			CHECK(tuples > 0, "fingerprints");
		}
		CHECK(ds_hll_count(ref->victims[0]) > 10, "backscatter");
		CHECK(churn == (ref->srcc_direct != 0), "cache off after the churn only");
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(&cases[i], ref, s, l, churn);
	}
	ds_set_free(s);
	ds_set_free(ref);
	ds_lpm_free(l);
	ds_conf_free(c);
	return ds_test_done("test_analyses");
}

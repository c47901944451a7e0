/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_set's fingerprint filter (ds_set.c): a source whose (source port,
 * IP ID, window) changes between its SYNs is not a fixed-header bot, so
 * its later SYNs skip the fingerprint table (fp_skipped counts them)
 * unless their triple may be a promoted tuple's.  With the source cache on
 * the filter is per (sensor, source), and a (sensor, source) entered in the
 * cache starts varying when its source's first SYNs at other sensors did;
 * with it off (many small sensors) a table keyed by the source alone.  So
 * both count per source.  A table of traffic cases, each run
 * with the cache on and with it off (a churn of single-packet sources
 * first), checks what is skipped and that fixed-header tuples keep exact
 * packet counts either way.
 */
#include <stdlib.h>
#include <string.h>

#include "ds_fixture.h"
#include "ds_set.h"
#include "ds_test.h"

#define BOGON 0xc6336400u	/* 198.51.100.0/24: special-purpose sources */
#define CHURN 131072		/* single-packet sources, more than the cache
				 * holds: the cache turns off */

/* The fixed-header tuple of the family cases. */
#define FAM_SPORT 6000
#define FAM_SEQ 1098121216u
#define FAM_IPID 256
#define FAM_WIN 16384

static struct ds_conf *
make_conf(void)
{
	struct ds_conf *c = ds_fixture_conf_ad();

	c->hygiene_exclude = 0;	/* special-purpose sources are counted */
	return c;
}

static struct ds_pkt
syn(uint32_t src, uint32_t dst, uint16_t sport, uint32_t seq, uint16_t ipid, uint16_t win)
{
	return ds_fixture_syn(src, dst, sport, 23, seq, ipid, win);
}

/* A clean source address of case source i (never .0 or .255). */
static uint32_t
source(unsigned k, unsigned i)
{
	return 0x5b000001u + (k << 16) + i * 4;
}

/* Packet n of a source varying its source port: never a repeat. */
static struct ds_pkt
varying(uint32_t src, uint32_t dst, unsigned n)
{
	return syn(src, dst, (uint16_t)(20000 + n), 0x9e3779b9u * (src + n), 54000, 1024);
}

static struct ds_pkt
family(uint32_t src, uint32_t dst)
{
	return syn(src, dst, FAM_SPORT, FAM_SEQ, FAM_IPID, FAM_WIN);
}

struct fcase {
	const char *name;
	unsigned kind;
	uint64_t skipped_on;	/* fp_skipped with the cache on */
	uint64_t skipped_off;	/* and off */
	int64_t family_packets;	/* the tuple's packets, -1: not promoted */
};

enum {
	K_FAMILY,	/* 12 sources x 5 SYNs of one fixed tuple */
	K_VARYING,	/* 40 sources x 8 SYNs at one sensor, port varying */
	K_TWO_SENSORS,	/* 10 sources x 4 varying SYNs at A, then 4 at D */
	K_PROMOTED,	/* the family, then 5 varying sources sending it too */
	K_BOGON,	/* 20 special-purpose sources x 6 varying SYNs */
	K_FIXED_TWO,	/* 12 sources x 4 SYNs of one fixed tuple at A, then 4 at D */
};

/* Packets queued for s, handed over in bursts of 64. */
struct feeder {
	struct ds_set *s;
	const struct ds_lpm *l;
	struct ds_pkt p[64];
	unsigned m;
};

static void
feed_flush(struct feeder *f)
{
	if (f->m)
		ds_set_burst(f->s, f->l, f->p, f->m, 1);
	f->m = 0;
}

static void
put(struct feeder *f, struct ds_pkt p)
{
	f->p[f->m++] = p;
	if (f->m == 64)
		feed_flush(f);
}

/* Feed the packets of case kind k to s. */
static void
feed(struct ds_set *s, const struct ds_lpm *l, unsigned k)
{
	struct feeder f = { s, l, { { 0 } }, 0 };
	unsigned i, n;

	switch (k) {
	case K_FAMILY:
	case K_PROMOTED:
		for (n = 0; n < 5; n++)
			for (i = 0; i < 12; i++)
				put(&f, family(source(k, i), (i % 3 ? A_NET : D_NET) + n));
		if (k == K_FAMILY)
			break;
		for (n = 0; n < 6; n++)	/* every other SYN is the promoted tuple */
			for (i = 0; i < 5; i++)
				put(&f, n % 2 ? family(source(k, 100 + i), A_NET + n) :
						varying(source(k, 100 + i), A_NET + n, n));
		break;
	case K_VARYING:
		for (n = 0; n < 8; n++)
			for (i = 0; i < 40; i++)
				put(&f, varying(source(k, i), (i % 2 ? A_NET : D_NET) + n, n));
		break;
	case K_TWO_SENSORS:
		for (n = 0; n < 8; n++)
			for (i = 0; i < 10; i++)
				put(&f, varying(source(k, i), (n < 4 ? A_NET : D_NET) + n, n));
		break;
	case K_FIXED_TWO:
		for (n = 0; n < 8; n++)
			for (i = 0; i < 12; i++)
				put(&f, family(source(k, i), (n < 4 ? A_NET : D_NET) + n));
		break;
	case K_BOGON:
		for (n = 0; n < 6; n++)
			for (i = 0; i < 20; i++)
				put(&f, varying(BOGON + 1 + i, A_NET + n, n));
		break;
	}
	feed_flush(&f);
}

/* CHURN sources of one SYN each, unique tuples: once the cache is full
 * every scan misses and pushes an entry out, so the set counts the next
 * ones without it. */
static void
churn(struct ds_set *s, const struct ds_lpm *l)
{
	struct feeder f = { s, l, { { 0 } }, 0 };
	unsigned i;

	for (i = 0; i < CHURN; i++)
		put(&f, varying(0x6e000001u + i * 4, A_NET + i % 64, i));
	feed_flush(&f);
}

struct fam_find {
	int64_t packets;
};

static int
fam_visit(const struct ds_fp_info *i, void *arg)
{
	struct fam_find *f = arg;

	if (i->key.seq == FAM_SEQ && i->key.sport == FAM_SPORT && i->key.ipid == FAM_IPID &&
	    i->key.win == FAM_WIN)
		f->packets = (int64_t)i->packets;
	return 0;
}

static void
run_case(const struct fcase *t, int cache_off)
{
	struct ds_conf *c = make_conf();
	struct ds_lpm *l = ds_set_sensor_lpm(c);
	struct ds_set *s = ds_set_create(c);
	struct fam_find f = { -1 };
	char what[160];
	uint64_t before, want = cache_off ? t->skipped_off : t->skipped_on;

	if (!CHECK(l && s, "create"))
		return;
	if (cache_off)
		churn(s, l);
	snprintf(what, sizeof(what), "%s: the cache is %s", t->name, cache_off ? "off" : "on");
	CHECK((s->srcc_direct != 0) == cache_off, what);
	before = s->fp_skipped;
	feed(s, l, t->kind);
	CHECK((s->srcc_direct != 0) == cache_off, what);
	ds_set_flush(s);
	snprintf(what, sizeof(what), "%s, cache %s: skipped %llu, want %llu", t->name,
		 cache_off ? "off" : "on", (unsigned long long)(s->fp_skipped - before),
		 (unsigned long long)want);
	CHECK(s->fp_skipped - before == want, what);
	ds_fp_foreach(s->fp, fam_visit, &f);
	snprintf(what, sizeof(what), "%s, cache %s: family packets %lld, want %lld", t->name,
		 cache_off ? "off" : "on", (long long)f.packets, (long long)t->family_packets);
	CHECK(f.packets == t->family_packets, what);
	ds_set_free(s);
	ds_lpm_free(l);
	ds_conf_free(c);
}

int
main(void)
{
	static const struct fcase t[] = {
		/* a fixed triple never varies: every SYN offered, exact */
		{ "fixed-header family", K_FAMILY, 0, 0, 60 },
		/* the first SYN of each source is offered, the 7 after skipped */
		{ "varying source port", K_VARYING, 40 * 7, 40 * 7, -1 },
		/* per source either way: with the cache the first SYN at D
		 * finds its source varying (its first SYN at A and this one
		 * differ) */
		{ "varying, two sensors", K_TWO_SENSORS, 10 * 7, 10 * 7, -1 },
		/* a varying source's SYNs with a promoted triple are offered:
		 * 60 + 5 x 3; its other SYNs after its first are skipped */
		{ "varying, promoted triple", K_PROMOTED, 5 * 2, 5 * 2, 75 },
		/* special-purpose sources are never filtered */
		{ "special-purpose varying", K_BOGON, 0, 0, -1 },
		/* a fixed triple at a second sensor is not taken for a change:
		 * every SYN offered, the tuple's 96 packets exact */
		{ "fixed-header, two sensors", K_FIXED_TWO, 0, 0, 96 },
	};
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		run_case(&t[i], 0);
		run_case(&t[i], 1);
	}
	return ds_test_done("test_fpfilter");
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_set: the per-period analysis state.
 *  - a table of single packets and where each must be counted (class,
 *    sensor, hygiene, tools, watched and excluded ports);
 *  - merging per-core sets equals one set over the union: identical
 *    count-min counters, HLL registers, overlap samples and fingerprints
 *    (the property the manager's merge and the archive rely on), and the
 *    scans per destination port exact in both;
 *  - a fixed-header tuple used by a few sources keeps exact per-sensor
 *    packet counts while 300,000 random-ISN SYNs churn the table;
 *  - the source cache's size: by the number of sensors, or configured.
 */
#include <stdlib.h>
#include <string.h>

#include "ds_fixture.h"
#include "ds_hash.h"
#include "ds_set.h"
#include "ds_test.h"

#define SRC 0xc6336401u		/* 198.51.100.1: documentation range = special */
#define GOOD 0x5b010203u	/* 91.1.2.3 */

static struct ds_conf *
make_conf(int hygiene_exclude)
{
	struct ds_conf *c = ds_fixture_conf_ad();

	c->n_watched = 1;
	c->watched[0] = 10073;
	c->n_excluded = 1;
	c->excluded[0] = 445;
	c->hygiene_exclude = hygiene_exclude;
	c->overlap_k = 4096;
	c->watch_k = 1024;
	return c;
}

static struct ds_pkt
syn(uint32_t src, uint32_t dst, uint16_t dport)
{
	return ds_fixture_syn(src, dst, 40000, dport, 0x12345678, 777, 1024);
}

struct pcase {
	const char *name;
	struct ds_pkt p;
	int hygiene_exclude;
	unsigned gclass;	/* global class */
	int sensor;		/* -1: counted at no sensor */
	unsigned tools;		/* DS_SET_FLAG_TOOL bits */
	int watched;		/* counted in watched slot 0 */
	int excluded;
};

static void
packet_table(void)
{
	struct ds_pkt bs = syn(GOOD, D_NET + 5, 80), frag = syn(GOOD, A_NET + 1, 80);
	struct ds_pkt mirai = syn(GOOD, A_NET + 7, 23), zmap = syn(GOOD, A_NET + 8, 80);
	struct ds_pkt mass = syn(GOOD, D_NET + 9, 3389), mal = { 0 }, v6 = { 0 };

	bs.cls = DS_CLASS_BACKSCATTER;
	frag.cls = DS_CLASS_FRAGMENT;
	mirai.seq = mirai.dst;
	zmap.ipid = 54321;
	mass.ipid = (uint16_t)((mass.dst ^ mass.dport ^ mass.seq) & 0xffff);
	mal.cls = DS_CLASS_MALFORMED;
	mal.reason = DS_MAL_BAD_IHL;
	v6.cls = DS_CLASS_IPV6;
	{
		const struct pcase t[] = {
			{ "syn at A", syn(GOOD, A_NET + 3, 80), 1, DS_CLASS_SCAN, 0, 0, 0, 0 },
			{ "syn at D", syn(GOOD, D_NET + 127, 22), 1, DS_CLASS_SCAN, 1, 0, 0, 0 },
			{ "syn below D", syn(GOOD, D_NET - 1, 22), 1, DS_SET_OUTSIDE, -1, 0, 0, 0 },
			{ "syn above D", syn(GOOD, D_NET + 128, 22), 1, DS_SET_OUTSIDE, -1, 0, 0, 0 },
			{ "watched", syn(GOOD, A_NET + 3, 10073), 1, DS_CLASS_SCAN, 0, 0, 1, 0 },
			{ "excluded", syn(GOOD, A_NET + 3, 445), 1, DS_CLASS_SCAN, 0, 0, 0, 1 },
			{ "bogon source", syn(SRC, A_NET + 3, 80), 1, DS_SET_HYGIENE, 0, 0, 0, 0 },
			{ "bogon kept", syn(SRC, A_NET + 3, 80), 0, DS_CLASS_SCAN, 0, 0, 0, 0 },
			{ "src == dst", syn(A_NET + 3, A_NET + 3, 80), 1, DS_SET_HYGIENE, 0, 0, 0, 0 },
			{ "src .255", syn(0x5b0102ffu, A_NET + 3, 80), 1, DS_SET_HYGIENE, 0, 0, 0, 0 },
			{ "backscatter", bs, 1, DS_CLASS_BACKSCATTER, 1, 0, 0, 0 },
			{ "fragment", frag, 1, DS_CLASS_FRAGMENT, 0, 0, 0, 0 },
			{ "mirai", mirai, 1, DS_CLASS_SCAN, 0, DS_SET_FLAG_TOOL(DS_TOOL_MIRAI), 0, 0 },
			{ "zmap", zmap, 1, DS_CLASS_SCAN, 0, DS_SET_FLAG_TOOL(DS_TOOL_ZMAP), 0, 0 },
			{ "masscan", mass, 1, DS_CLASS_SCAN, 1, DS_SET_FLAG_TOOL(DS_TOOL_MASSCAN), 0, 0 },
			{ "malformed", mal, 1, DS_CLASS_MALFORMED, -1, 0, 0, 0 },
			{ "ipv6", v6, 1, DS_CLASS_IPV6, -1, 0, 0, 0 },
		};
		unsigned i, k, j;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			struct ds_conf *c = make_conf(t[i].hygiene_exclude);
			struct ds_set *s = ds_set_create(c);
			struct ds_lpm *l = ds_set_sensor_lpm(c);

			if (!CHECK(s && l, t[i].name))
				continue;
			ds_set_burst(s, l, &t[i].p, 1, 1000);
			ds_set_flush(s);
			CHECK(ds_set_packets(s) == 1, t[i].name);
			CHECK(s->classes[t[i].gclass] == 1, t[i].name);
			for (k = 0; k < 2; k++) {
				const struct ds_sensor_stats *ss = &s->sensor[k];
				int here = (int)k == t[i].sensor;

				CHECK(ss->cls[t[i].gclass] == (uint64_t)here, t[i].name);
				for (j = 0; j < DS_TOOL__N; j++)
					CHECK(ss->tool_packets[j] == (here && (t[i].tools >> j & 1)), t[i].name);
				CHECK(ss->watch_packets[0] == (uint64_t)(here && t[i].watched), t[i].name);
				CHECK(ss->syn_excluded == (uint64_t)(here && t[i].excluded), t[i].name);
				if (t[i].gclass == DS_CLASS_SCAN)
					CHECK((ds_hll_count(s->src[k]) > 0.5) == here, t[i].name);
			}
			if (t[i].gclass == DS_CLASS_MALFORMED)
				CHECK(s->malformed[DS_MAL_BAD_IHL] == 1, t[i].name);
			if (t[i].gclass == DS_SET_HYGIENE)
				CHECK(ds_bk_size(s->overlap) == 0, "hygiene sources kept out of the sample");
			ds_set_free(s);
			ds_lpm_free(l);
			ds_conf_free(c);
		}
	}
}

static uint32_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)*x;
}

struct bk_rows {
	uint32_t src[8192];
	uint64_t bits[8192];
	unsigned n;
};

static int
collect(uint32_t src, const uint64_t *bits, void *arg)
{
	struct bk_rows *r = arg;

	r->src[r->n] = src;
	r->bits[r->n++] = bits[0];
	return 0;
}

struct fp_rows {
	unsigned n;
	uint64_t packets[64];
	uint32_t seq[64];
};

static int
fp_collect(const struct ds_fp_info *i, void *arg)
{
	struct fp_rows *r = arg;

	if (r->n < 64) {
		r->packets[r->n] = i->packets;
		r->seq[r->n++] = i->key.seq;
	}
	return 0;
}

/* Feed the same stream to one set and, split by source, to two; merge. */
static void
merge_equals_union(void)
{
	struct ds_conf *c = make_conf(1);
	struct ds_lpm *l = ds_set_sensor_lpm(c);
	struct ds_set *one = ds_set_create(c), *w[2] = { ds_set_create(c), ds_set_create(c) };
	struct ds_set *m = ds_set_create(c);
	static struct bk_rows r1, r2;
	static uint64_t want[65536];
	struct fp_rows f1 = { 0 }, f2 = { 0 };
	uint64_t x = 88172645463325252ull;
	unsigned i, k;

	if (!CHECK(l && one && w[0] && w[1] && m, "create"))
		return;
	for (i = 0; i < 200000; i++) {
		uint32_t src = 0x5b000001u | (rnd(&x) % 3000) << 4;	/* never .0 or .255 */
		int at_d = rnd(&x) % 4 == 0;
		struct ds_pkt p = syn(src, at_d ? D_NET + rnd(&x) % 128 : A_NET + rnd(&x) % 2048,
				      (uint16_t)(rnd(&x) % 7 == 0 ? 10073 : rnd(&x) % 2000));

		if (i % 50 == 0) {	/* a fixed-header tuple shared by many sources */
			p.sport = 6000;
			p.ipid = 256;
			p.win = 16384;
			p.seq = 1098121216;
		} else {
			/* unique tuples (i times an odd constant is a bijection
			 * mod 2^32): random ones could repeat by chance, and
			 * whether a worker still holds an accidental repeat at
			 * the merge depends on the table's bucket mapping */
			p.seq = (uint32_t)i * 2654435761u;
			p.ipid = (uint16_t)rnd(&x);
		}
		ds_set_burst(one, l, &p, 1, 1000 + i);
		ds_set_burst(w[ds_hash_u32(src) & 1], l, &p, 1, 1000 + i);
		want[p.dport]++;
	}
	ds_set_flush(one);
	CHECK(ds_set_merge(m, w[0]) == 0 && ds_set_merge(m, w[1]) == 0, "merge");
	CHECK(memcmp(m->classes, one->classes, sizeof(one->classes)) == 0, "classes");
	CHECK(memcmp(m->sensor, one->sensor, 2 * sizeof(*one->sensor)) == 0, "sensor counters");
	CHECK(memcmp(one->port_scans, want, sizeof(want)) == 0, "scans per port exact");
	CHECK(memcmp(m->port_scans, want, sizeof(want)) == 0, "scans per port exact after the merge");
	for (k = 0; k < 2; k++) {
		CHECK(memcmp(ds_cm_counters(m->ports[k]), ds_cm_counters(one->ports[k]),
			     (size_t)4 * ds_cm_width(one->ports[k]) * ds_cm_depth(one->ports[k])) == 0,
		      "count-min counters identical");
		CHECK(memcmp(ds_hll_registers(m->src[k]), ds_hll_registers(one->src[k]),
			     (size_t)1 << c->hll_p) == 0, "HLL registers identical");
		CHECK(memcmp(ds_hll_registers(m->watch_src[k]), ds_hll_registers(one->watch_src[k]),
			     (size_t)1 << c->watch_hll_p) == 0, "watched HLL registers identical");
	}
	r1.n = r2.n = 0;
	ds_bk_foreach(m->overlap, collect, &r1);
	ds_bk_foreach(one->overlap, collect, &r2);
	CHECK(r1.n == r2.n && r1.n > 0, "overlap sample sizes");
	CHECK(memcmp(r1.src, r2.src, r1.n * 4) == 0 && memcmp(r1.bits, r2.bits, r1.n * 8) == 0,
	      "overlap samples identical");
	CHECK(ds_bk_exact(one->overlap), "3000 sources < K: exact");
	ds_fp_foreach(m->fp, fp_collect, &f1);
	ds_fp_foreach(one->fp, fp_collect, &f2);
	CHECK(f1.n == 1 && f2.n == 1, "one promoted fingerprint");
	CHECK(f1.packets[0] == 4000 && f2.packets[0] == 4000, "fingerprint packets exact");
	ds_set_free(one);
	ds_set_free(w[0]);
	ds_set_free(w[1]);
	ds_set_free(m);
	ds_lpm_free(l);
	ds_conf_free(c);
}

struct fp_check {
	uint64_t at[2];
	uint64_t total;
	double sources;
	struct ds_set *s;
};

static int
fp_find(const struct ds_fp_info *i, void *arg)
{
	struct fp_check *f = arg;

	if (i->key.seq == 185073664 && i->key.sport == 6000) {
		f->at[0] = i->sensor_packets[0];
		f->at[1] = i->sensor_packets[1];
		f->total = i->packets;
		f->sources = ds_fp_sources(f->s->fp, i, -1);
	}
	return 0;
}

/* A rare fixed tuple among heavy random-ISN churn keeps exact counts. */
static void
fingerprint_under_churn(void)
{
	struct ds_conf *c = make_conf(1);
	struct ds_lpm *l = ds_set_sensor_lpm(c);
	struct ds_set *s = ds_set_create(c);
	struct fp_check f = { { 0, 0 }, 0, 0, s };
	uint64_t x = 42, want[2] = { 0, 0 };
	unsigned i, fam = 0;

	if (!CHECK(l && s, "create"))
		return;
	for (i = 0; i < 300000; i++) {
		struct ds_pkt p = syn(0x5b000001u | (rnd(&x) & 0xfffffe), A_NET + rnd(&x) % 2048, 80);

		p.seq = rnd(&x);
		if (i % 1500 == 7) {	/* 200 packets from 12 sources, mostly at A */
			unsigned at = fam % 10 == 9;

			p = syn(0x5c000101u + fam % 12, at ? D_NET + 1 : A_NET + fam % 2048, 22);
			p.sport = 6000;
			p.seq = 185073664;
			p.ipid = 256;
			p.win = 16384;
			want[at]++;
			fam++;
		}
		ds_set_burst(s, l, &p, 1, i);
	}
	ds_fp_foreach(s->fp, fp_find, &f);
	CHECK(f.total == fam, "fingerprint total exact under churn");
	CHECK(f.at[0] == want[0] && f.at[1] == want[1], "per-sensor packets exact under churn");
	CHECK(f.sources > 11.5 && f.sources < 12.5, "12 sources");
	CHECK(ds_fp_evictions(s->fp) > 0, "the table did churn");
	ds_set_free(s);
	ds_lpm_free(l);
	ds_conf_free(c);
}

/* Source cache buckets by sensors (2 MiB up to 32 sensors, doubling per
 * doubling of the sensors, 16 MiB from 256) and sketch.source_cache. */
static void
source_cache_size(void)
{
	static const struct {
		unsigned sensors;
		uint32_t configured, buckets;
	} cases[] = {
		{ 1, 0, 32768 }, { 4, 0, 32768 }, { 32, 0, 32768 }, { 33, 0, 65536 },
		{ 64, 0, 65536 }, { 65, 0, 131072 }, { 128, 0, 131072 }, { 129, 0, 262144 },
		{ 256, 0, 262144 }, { 256, 4096, 4096 }, { 4, 1u << 22, 1u << 22 },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ds_conf *c = ds_fixture_conf_ad();
		struct ds_set *s;
		char what[64];

		/* small sketches: only the cache's size is looked at */
		c->n_sensors = cases[i].sensors;
		c->srcc_buckets = cases[i].configured;
		c->hll_p = c->watch_hll_p = 8;
		c->fp_hll_p = 6;
		c->cm_width_log2 = 8;
		c->overlap_k = c->watch_k = 1024;
		c->fp_table = 1024;
		c->topsrc_log2 = 6;
		snprintf(what, sizeof(what), "%u sensors, source_cache %u", cases[i].sensors,
			 cases[i].configured);
		s = ds_set_create(c);
		if (CHECK(s != NULL, what))
			CHECK(s->srcc_mask + 1 == cases[i].buckets, what);
		ds_set_free(s);
		ds_conf_free(c);
	}
}

int
main(void)
{
	packet_table();
	source_cache_size();
	merge_equals_union();
	fingerprint_under_churn();
	return ds_test_done("test_set");
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The local-attack verdicts (docs/report-format.md, local_attacks).
 *
 * 1. ds_report_judge_local() on a table of candidates, every kind, each
 *    rule at its edge: the minimum of 10 sources (10, 9, and estimates that
 *    round either way), the share seen only at one sensor exactly at
 *    local_share and just below, the rate ratio exactly at local_rate_ratio
 *    and just below (at power-of-two sensors and at two 384-address ones,
 *    where the division rounds), other sensors with no traffic or no
 *    addresses, a judged sensor with no addresses, configured thresholds,
 *    ties, one sensor and three.  Each verdict's evidence is checked
 *    against the arithmetic of the case written out by hand.
 * 2. A report built from a ds_set (two sensors, a GeoIP database made with
 *    tools/mkgeo.pl) in which each kind the report emits -- port,
 *    port_country, fingerprint, family_member, country -- is planted once
 *    as local and once as not: exactly the planted verdicts come out, with
 *    the numbers of the traffic that was fed.
 * Needs perl with MaxMind::DB::Writer (as test_geo).
 */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ds_fixture.h"
#include "ds_geo.h"
#include "ds_report.h"
#include "ds_report_int.h"
#include "ds_set.h"
#include "ds_test.h"

#define MAXS 3

/* ---- 1. the judge ---- */

/* What each kind's caller passes besides the numbers. */
struct kind {
	const char *kind, *key, *rate_of;
	const char *extra;	/* evidence members, as JSON */
};

static const struct kind kinds[] = {
	{ "port", "10073", "packets", "{\"port\": 10073}" },
	{ "port_country", "10073/JP", "sources", "{\"port\": 10073, \"country\": \"JP\"}" },
	{ "fingerprint", "7000/305419896/4321/5840", "packets", "{\"packets\": 96, \"seq\": 305419896}" },
	{ "family_member", "6000/185073664/256/16384", "packets", "{\"packets\": 36, \"seq\": 185073664}" },
	{ "country", "VN", "sources", "{\"country\": \"VN\"}" },
};

enum { PORT, PORT_CC, FP, FAM, CC };

struct jcase {
	const char *name;
	unsigned kind;
	double share, ratio;	/* local_share, local_rate_ratio; 0: default */
	unsigned n;		/* sensors A, D, B */
	uint64_t addr[MAXS];
	double total;
	double only[MAXS];
	double amount[MAXS];	/* packets or sources, as the kind says */
	int want;		/* sensor judged local; -1: no verdict */
	double want_share;	/* share_only_here, % */
	double want_ratio;	/* rate_ratio; 0: null */
};

#define AD { 2048, 128 }	/* the fixture's sensors: /21 and /25 */
#define ADB { 2048, 128, 256 }
#define TWO384 { 384, 384 }	/* a /24 plus a /25 each */

static const struct jcase jcases[] = {
	{ "all at A, nothing elsewhere", PORT, 0, 0, 2, AD, 20, { 20, 0 }, { 400, 0 }, 0, 100, 0 },
	{ "one sensor", PORT, 0, 0, 1, { 2048 }, 10, { 10 }, { 5 }, 0, 100, 0 },
	/* the minimum of 10 sources, on the reported (rounded) count */
	{ "10 sources", CC, 0, 0, 2, AD, 10, { 10, 0 }, { 10, 0 }, 0, 100, 0 },
	{ "9 sources", CC, 0, 0, 2, AD, 9, { 9, 0 }, { 9, 0 }, -1, 0, 0 },
	{ "9.5 sources, reported as 10", FP, 0, 0, 2, AD, 9.5, { 9.5, 0 }, { 30, 0 }, 0, 100, 0 },
	{ "9.49 sources, reported as 9", FP, 0, 0, 2, AD, 9.49, { 9.49, 0 }, { 30, 0 }, -1, 0, 0 },
	{ "0 sources", PORT, 0, 0, 2, AD, 0, { 0, 0 }, { 0, 0 }, -1, 0, 0 },
	/* share seen only there, default 0.95 */
	{ "share 19/20", PORT, 0, 0, 2, AD, 20, { 19, 0 }, { 4096, 1 }, 0, 95, 256 },
	{ "share 1899/2000", PORT, 0, 0, 2, AD, 2000, { 1899, 0 }, { 40960, 1 }, -1, 0, 0 },
	{ "share 190/200", PORT_CC, 0, 0, 2, AD, 200, { 190, 0 }, { 200, 1 }, 0, 95, 12.5 },
	{ "share 189.99/200", PORT_CC, 0, 0, 2, AD, 200, { 189.99, 0 }, { 200, 1 }, -1, 0, 0 },
	{ "share 19/20 at D", FAM, 0, 0, 2, AD, 20, { 1, 19 }, { 1, 4096 }, 1, 95, 65536 },
	/* rate ratio, default 10 */
	{ "ratio 10", FAM, 0, 0, 2, AD, 20, { 19, 0 }, { 1280, 8 }, 0, 95, 10 },
	{ "ratio 1279/1280 of 10", FAM, 0, 0, 2, AD, 20, { 19, 0 }, { 1279, 8 }, -1, 0, 0 },
	{ "ratio 10, 384 addresses each", FP, 0, 0, 2, TWO384, 20, { 20, 0 }, { 70, 7 }, 0, 100, 10 },
	{ "ratio 69/70 of 10, 384 each", FP, 0, 0, 2, TWO384, 20, { 20, 0 }, { 69, 7 }, -1, 0, 0 },
	{ "ratio 10 at D", PORT, 0, 0, 2, AD, 20, { 0, 20 }, { 128, 80 }, 1, 100, 10 },
	{ "ratio 1.25", CC, 0, 0, 2, AD, 200, { 190, 0 }, { 200, 10 }, -1, 0, 0 },
	{ "rate higher elsewhere", PORT, 0, 0, 2, AD, 20, { 20, 0 }, { 20, 20 }, -1, 0, 0 },
	/* division edges: no traffic, no addresses */
	{ "D: no traffic", CC, 0, 0, 2, AD, 12, { 12, 0 }, { 12, 0 }, 0, 100, 0 },
	{ "D: no addresses, no traffic", PORT, 0, 0, 2, { 2048, 0 }, 20, { 20, 0 }, { 100, 0 }, 0, 100, 0 },
	{ "D: no addresses, traffic", PORT, 0, 0, 2, { 2048, 0 }, 20, { 20, 0 }, { 100, 5 }, 0, 100, 0 },
	{ "A: no addresses, none elsewhere", FAM, 0, 0, 2, { 0, 128 }, 20, { 20, 0 }, { 100, 0 }, 0, 100, 0 },
	{ "A: no addresses, traffic at D", FAM, 0, 0, 2, { 0, 128 }, 20, { 20, 0 }, { 100, 1 }, -1, 0, 0 },
	/* configured thresholds */
	{ "local_share 0.8: 8/10", FAM, 0.8, 0, 2, AD, 10, { 8, 0 }, { 2000, 1 }, 0, 80, 125 },
	{ "local_share 0.8: 7.99/10", FAM, 0.8, 0, 2, AD, 10, { 7.99, 0 }, { 2000, 1 }, -1, 0, 0 },
	{ "default share: 8/10", FAM, 0, 0, 2, AD, 10, { 8, 0 }, { 2000, 1 }, -1, 0, 0 },
	{ "local_rate_ratio 2.5: at", PORT, 0, 2.5, 2, AD, 20, { 20, 0 }, { 5120, 128 }, 0, 100, 2.5 },
	{ "local_rate_ratio 2.5: below", PORT, 0, 2.5, 2, AD, 20, { 20, 0 }, { 5119, 128 }, -1, 0, 0 },
	{ "default ratio: 2.5", PORT, 0, 0, 2, AD, 20, { 20, 0 }, { 5120, 128 }, -1, 0, 0 },
	{ "share 0.5, ratio 1: tie goes to A", CC, 0.5, 1, 2, AD, 20, { 10, 10 }, { 2048, 128 }, 0, 50, 1 },
	/* three sensors: the highest rate among the others */
	{ "3: highest other last", PORT, 0, 0, 3, ADB, 20, { 20, 0, 0 }, { 20480, 1, 256 }, 0, 100, 10 },
	{ "3: judged in the middle", FP, 0, 0, 3, ADB, 20, { 0, 20, 0 }, { 2048, 1280, 1 }, 1, 100, 10 },
	{ "3: one other above the bar", PORT, 0, 0, 3, ADB, 20, { 20, 0, 0 }, { 20480, 1, 257 }, -1, 0, 0 },
	{ "3: judged last", CC, 0, 0, 3, ADB, 200, { 0, 0, 190 }, { 2, 8, 200 }, 2, 95, 12.5 },
};

static const char *const names[MAXS] = { "A", "D", "B" };

static struct ds_conf *
judge_conf(const struct jcase *k)
{
	struct ds_conf *c = ds_conf_default();
	unsigned i;

	if (!c)
		return NULL;
	c->n_sensors = k->n;
	c->sensors = calloc(k->n, sizeof(*c->sensors));
	if (!c->sensors) {
		ds_conf_free(c);
		return NULL;
	}
	for (i = 0; i < k->n; i++) {
		strcpy(c->sensors[i].name, names[i]);
		c->sensors[i].addresses = k->addr[i];
	}
	if (k->share > 0)
		c->local_share = k->share;
	if (k->ratio > 0)
		c->local_ratio = k->ratio;
	return c;
}

static double
case_rate(const struct jcase *k, unsigned s)
{
	return k->addr[s] ? k->amount[s] / (double)k->addr[s] : 0;
}

static int
real_is(const json_t *v, double want)
{
	return json_is_real(v) && json_real_value(v) == want;
}

static int
str_is(const json_t *v, const char *want)
{
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static void
check_verdict(const struct jcase *k, const json_t *e)
{
	const struct kind *kd = &kinds[k->kind];
	double max_other = 0;
	json_t *extra = json_loads(kd->extra, 0, NULL);
	const char *key;
	json_t *v;
	unsigned s;

	for (s = 0; s < k->n; s++)
		if ((int)s != k->want && case_rate(k, s) > max_other)
			max_other = case_rate(k, s);
	CHECK(str_is(json_object_get(e, "kind"), kd->kind), k->name);
	CHECK(str_is(json_object_get(e, "key"), kd->key), k->name);
	CHECK(str_is(json_object_get(e, "sensor"), names[k->want]), k->name);
	CHECK(json_integer_value(json_object_get(e, "sources")) == llround(k->total), k->name);
	CHECK(json_integer_value(json_object_get(e, "sources_only_here")) == llround(k->only[k->want]), k->name);
	CHECK(real_is(json_object_get(e, "share_only_here"), k->want_share), k->name);
	CHECK(str_is(json_object_get(e, "rate_of"), kd->rate_of), k->name);
	CHECK(real_is(json_object_get(e, "rate_here"), case_rate(k, (unsigned)k->want)), k->name);
	CHECK(real_is(json_object_get(e, "max_rate_elsewhere"), max_other), k->name);
	v = json_object_get(e, "rate_ratio");
	CHECK(k->want_ratio > 0 ? real_is(v, k->want_ratio) : json_is_null(v), k->name);
	/* the ratio agrees with the two rates it is the ratio of */
	if (k->want_ratio > 0)
		CHECK(fabs(case_rate(k, (unsigned)k->want) / max_other - k->want_ratio) < 1e-12 * k->want_ratio,
		      k->name);
	json_object_foreach(extra, key, v)
		CHECK(json_equal(json_object_get(e, key), v), k->name);
	CHECK(json_object_size(e) == 10 + json_object_size(extra), k->name);
	json_decref(extra);
}

static void
test_judge(void)
{
	for (size_t i = 0; i < sizeof(jcases) / sizeof(jcases[0]); i++) {
		const struct jcase *k = &jcases[i];
		const struct kind *kd = &kinds[k->kind];
		struct ds_conf *c = judge_conf(k);
		json_t *out = json_array();
		double sources[MAXS] = { 0 };
		struct ds_report_local in = { kd->kind, kd->key, k->n, sources, k->only, k->total,
					      k->amount, kd->rate_of };

		if (!CHECK(c && out, k->name))
			continue;
		ds_report_judge_local(out, c, &in, json_loads(kd->extra, 0, NULL));
		if (CHECK(json_array_size(out) == (k->want >= 0), k->name) && k->want >= 0)
			check_verdict(k, json_array_get(out, 0));
		json_decref(out);
		ds_conf_free(c);
	}
}

/* ---- 2. each kind through a report ---- */

#define T0 1388534400ull	/* 2014-01-01, seconds */

/* Source countries of the GeoIP database. */
static const char geo_tsv[] =
	"91.0.0.0/16\tVN\n92.0.0.0/16\tMY\n93.0.0.0/16\tTH\n"
	"94.0.0.0/16\tUS\n95.0.0.0/16\tRU\n95.1.0.0/16\tKR\n";

/* Fixed-header tuples: T1, T2 and T4 one family (6000, 256, 16384), T3
 * and T5 alone. */
#define T1_SEQ 0x0b080000u	/* 11.8.0.0 */
#define T2_SEQ 0x5ffc0000u	/* 95.252.0.0 */
#define T4_SEQ 0x0a000000u	/* 10.0.0.0 */
#define T3_SEQ 0x12345678u
#define T5_SEQ 99u

/* A group of sources: n sources from src + 1, all with one header (or
 * one ISN each), source i sending pk_a SYNs to sensor A unless
 * i < skip_a, and pk_d to sensor D if i < n_d. */
struct group {
	const char *what;
	uint32_t src;
	unsigned n;
	uint16_t dport;
	uint16_t sport, ipid, win;
	uint32_t seq;		/* 0: one random ISN per source (no fingerprint) */
	unsigned pk_a;		/* SYNs per source to A */
	unsigned pk_d;		/* SYNs per source to D */
	unsigned n_d;		/* sources that send to D: the first n_d */
	unsigned skip_a;	/* the first skip_a sources send nothing to A */
};

static const struct group groups[] = {
	{ "VN: 10073 at A, family member T1", 0x5b000000u, 12, 10073, 6000, 256, 16384, T1_SEQ, 3, 0, 0, 0 },
	{ "MY: family member T2 at D", 0x5c000000u, 12, 80, 6000, 256, 16384, T2_SEQ, 0, 2, 12, 12 },
	{ "TH: fingerprint T3 at A", 0x5d000000u, 12, 23, 7000, 4321, 5840, T3_SEQ, 1, 0, 0, 0 },
	{ "US: 5000 at both", 0x5e000000u, 20, 5000, 30000, 100, 1024, 0, 1, 1, 20, 0 },
	{ "US: family member T4 split", 0x5e000100u, 12, 80, 6000, 256, 16384, T4_SEQ, 1, 1, 6, 6 },
	{ "RU: fingerprint T5 split", 0x5f000000u, 12, 80, 8000, 7, 1024, T5_SEQ, 1, 1, 6, 6 },
	/* one KR source at both, 19 at A only: 5001 local to A with share
	 * 19/20 and ratio (191/2048) / (1/128); KR and 5001/KR have the same
	 * share but ratio (20/2048) / (1/128) = 1.25 */
	{ "KR: 5001 share 19/20", 0x5f010000u, 1, 5001, 31000, 200, 1024, 0, 1, 1, 1, 0 },
	{ "KR: 5001 only at A", 0x5f010001u, 19, 5001, 31000, 200, 1024, 0, 10, 0, 0, 0 },
};

struct want {
	const char *kind, *key, *sensor;
	long sources, only;
	double share, rate_here, max_else, ratio;	/* ratio 0: null */
	const char *extra;
};

static const struct want wants[] = {
	{ "port", "10073", "A", 12, 12, 100, 36.0 / 2048, 0, 0, "{\"port\": 10073}" },
	{ "port_country", "10073/VN", "A", 12, 12, 100, 12.0 / 2048, 0, 0,
	  "{\"port\": 10073, \"country\": \"VN\"}" },
	{ "port", "5001", "A", 20, 19, 95, 191.0 / 2048, 1.0 / 128, 11.9375, "{\"port\": 5001}" },
	{ "family_member", "6000/185073664/256/16384", "A", 12, 12, 100, 36.0 / 2048, 0, 0,
	  "{\"packets\": 36, \"seq\": 185073664}" },
	{ "family_member", "6000/1610350592/256/16384", "D", 12, 12, 100, 24.0 / 128, 0, 0,
	  "{\"packets\": 24, \"seq\": 1610350592}" },
	{ "fingerprint", "7000/305419896/4321/5840", "A", 12, 12, 100, 12.0 / 2048, 0, 0,
	  "{\"packets\": 12, \"seq\": 305419896}" },
	{ "country", "VN", "A", 12, 12, 100, 12.0 / 2048, 0, 0, "{\"country\": \"VN\"}" },
	{ "country", "MY", "D", 12, 12, 100, 12.0 / 128, 0, 0, "{\"country\": \"MY\"}" },
	{ "country", "TH", "A", 12, 12, 100, 12.0 / 2048, 0, 0, "{\"country\": \"TH\"}" },
};

static void
feed(struct ds_set *s, const struct ds_lpm *l)
{
	uint64_t ts = T0 * 1000000000ull;
	unsigned g, i, j, d = 0;

	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		const struct group *k = &groups[g];

		for (i = 0; i < k->n; i++) {
			uint32_t src = k->src + 1 + i;
			uint32_t seq = k->seq ? k->seq : 0x9e3779b9u * src;
			unsigned na = i < k->skip_a ? 0 : k->pk_a, nd = i < k->n_d ? k->pk_d : 0;

			for (j = 0; j < na + nd; j++, d++) {
				uint32_t dst = j < na ? A_NET + d % 2048 : D_NET + d % 128;
				struct ds_pkt p = ds_fixture_syn(src, dst, k->sport, k->dport, seq,
								 k->ipid, k->win);

				ds_set_burst(s, l, &p, 1, ts += 1000);
			}
		}
	}
	ds_set_flush(s);
}

static const struct want *
wanted(const json_t *e)
{
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++)
		if (str_is(json_object_get(e, "kind"), wants[i].kind) &&
		    str_is(json_object_get(e, "key"), wants[i].key))
			return &wants[i];
	return NULL;
}

static void
check_report_verdicts(const json_t *locals)
{
	const size_t n_want = sizeof(wants) / sizeof(wants[0]);
	size_t i, j;
	json_t *e;

	CHECK(json_array_size(locals) == n_want, "one verdict per planted local attack");
	json_array_foreach(locals, i, e) {
		const struct want *w = wanted(e);
		json_t *extra, *v;
		const char *key;
		char what[160];

		snprintf(what, sizeof(what), "%s %s", json_string_value(json_object_get(e, "kind")) ?: "?",
			 json_string_value(json_object_get(e, "key")) ?: "?");
		if (!CHECK(w != NULL, what))	/* not planted */
			continue;
		CHECK(str_is(json_object_get(e, "sensor"), w->sensor), what);
		for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
			if (strcmp(kinds[j].kind, w->kind) == 0)
				CHECK(str_is(json_object_get(e, "rate_of"), kinds[j].rate_of), what);
		CHECK(json_integer_value(json_object_get(e, "sources")) == w->sources, what);
		CHECK(json_integer_value(json_object_get(e, "sources_only_here")) == w->only, what);
		CHECK(real_is(json_object_get(e, "share_only_here"), w->share), what);
		CHECK(real_is(json_object_get(e, "rate_here"), w->rate_here), what);
		CHECK(real_is(json_object_get(e, "max_rate_elsewhere"), w->max_else), what);
		v = json_object_get(e, "rate_ratio");
		CHECK(w->ratio > 0 ? real_is(v, w->ratio) : json_is_null(v), what);
		extra = json_loads(w->extra, 0, NULL);
		json_object_foreach(extra, key, v)
			CHECK(json_equal(json_object_get(e, key), v), what);
		json_decref(extra);
	}
}

/* tools/mkgeo.pl from the repo root, or relative to the binary. */
static int
make_geo(const char *argv0, const char *dir, char *db, size_t len)
{
	char tool[600], tmp[512], tsv[600], cmd[2048];
	FILE *f;

	snprintf(tool, sizeof(tool), "tools/mkgeo.pl");
	if (access(tool, R_OK) != 0) {
		snprintf(tmp, sizeof(tmp), "%s", argv0);
		snprintf(tool, sizeof(tool), "%s/../../tools/mkgeo.pl", dirname(tmp));
	}
	snprintf(tsv, sizeof(tsv), "%s/blocks.tsv", dir);
	snprintf(db, len, "%s/geo.mmdb", dir);
	f = fopen(tsv, "w");
	if (!f)
		return -1;
	fputs(geo_tsv, f);
	if (fclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "perl '%s' --schema geolite2 --out '%s' '%s'", tool, db, tsv);
	return system(cmd);
}

static void
test_report(const char *argv0)
{
	const char *base = getenv("DS_TEST_TMP");
	struct ds_conf *c = ds_fixture_conf_ad();
	struct ds_set *s = NULL;
	struct ds_lpm *l = NULL;
	struct ds_geo *geo = NULL;
	char dir[256], db[600], err[512], cmd[300];
	json_t *r = NULL;

	snprintf(dir, sizeof(dir), "%s/local.XXXXXX", base && *base ? base : "/tmp");
	if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp"))
		goto out;
	if (!CHECK(make_geo(argv0, dir, db, sizeof(db)) == 0, "mkgeo.pl"))
		goto out;
	geo = ds_geo_load(db, err, sizeof(err));
	if (!CHECK(geo != NULL, err))
		goto out;
	c->n_watched = 3;
	c->watched[0] = 10073;
	c->watched[1] = 5000;
	c->watched[2] = 5001;
	s = ds_set_create(c);
	l = ds_set_sensor_lpm(c);
	if (!CHECK(s && l, "set"))
		goto out;
	feed(s, l);
	{
		struct ds_report_ctx x = { .conf = c, .geo = geo, .start = (int64_t)T0,
					   .end = (int64_t)T0 + 3600, .source = "pcap" };

		r = ds_report_build(s, &x);
	}
	if (CHECK(r != NULL, "report"))
		check_report_verdicts(json_object_get(r, "local_attacks"));
out:
	json_decref(r);
	ds_geo_free(geo);
	ds_lpm_free(l);
	ds_set_free(s);
	ds_conf_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (ds_test_failures == 0 && system(cmd) != 0)	/* kept only to debug */
		fprintf(stderr, "cannot remove %s\n", dir);
}

int
main(int argc, char **argv)
{
	test_judge();
	test_report(argc > 0 ? argv[0] : "");
	return ds_test_done("test_local");
}

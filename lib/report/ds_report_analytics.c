/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The locality analyses of the seed paper, computed once per report from
 * the merged sketches: watched ports with their source countries and
 * sensor overlap (Tables 2, 3, 8), fixed-header fingerprints and their
 * families (Tables 4-7), tool labels, top sources, backscatter, and the
 * "local attack" verdicts: a port, country, fingerprint or family member is
 * local to sensor S when at least local_share of its sources were seen only
 * at S and its per-address rate at S is at least local_rate_ratio times that
 * of every other sensor.  Each verdict carries its evidence numbers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds_report_int.h"

/* Minimum distinct sources, as reported (rounded), before anything is
 * called local. */
#define LOCAL_MIN_SOURCES 10

static double
addresses(const struct ds_conf *c, unsigned s)
{
	return (double)c->sensors[s].addresses;
}

/* Per-address rate of v at sensor s; 0 at a sensor with no addresses
 * (only an archive can describe one: a config sensor has a prefix). */
static double
rate(const struct ds_conf *c, unsigned s, double v)
{
	return c->sensors[s].addresses ? v / addresses(c, s) : 0;
}

/*
 * The rule of docs/report-format.md, its >= read literally: each test is
 * written !(x >= threshold), which also turns a NaN away.  Rates are
 * compared as products (a/A > b/B as a*B > b*A) and the ratio is one
 * quotient of products, so a ratio exactly at local_rate_ratio passes:
 * rate_here / max_rate_elsewhere, rounded three times, could fall below it
 * (70 and 7 packets at two 384-address sensors gave 9.999999999999998).
 */
void
ds_report_judge_local(json_t *out, const struct ds_conf *c, const struct ds_report_local *in,
		      json_t *extra)
{
	unsigned s, best = 0;
	int m = -1;		/* other sensor with the highest rate; -1: all 0 */
	double ratio = 0;

	if (!(in->total + 0.5 >= LOCAL_MIN_SOURCES))
		goto done;
	for (s = 1; s < in->n; s++)
		if (in->only[s] > in->only[best])
			best = s;
	if (!(in->only[best] / in->total >= c->local_share))
		goto done;
	for (s = 0; s < in->n; s++) {
		if (s == best || !(rate(c, s, in->amount[s]) > 0))
			continue;
		if (m < 0 || in->amount[s] * addresses(c, (unsigned)m) >
			     in->amount[m] * addresses(c, s))
			m = (int)s;
	}
	if (m >= 0) {
		if (c->sensors[best].addresses)
			ratio = in->amount[best] * addresses(c, (unsigned)m) /
				(in->amount[m] * addresses(c, best));
		if (!(ratio >= c->local_ratio))
			goto done;
	}
	{
		json_t *e = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:s, s:f, s:f, s:o}",
			"kind", in->kind, "key", in->key, "sensor", c->sensors[best].name,
			"sources", (json_int_t)llround(in->total),
			"sources_only_here", (json_int_t)llround(in->only[best]),
			"share_only_here", ds_report_share(in->only[best], in->total),
			"rate_of", in->rate_of,
			"rate_here", rate(c, best, in->amount[best]),
			"max_rate_elsewhere", m >= 0 ? rate(c, (unsigned)m, in->amount[m]) : 0.0,
			"rate_ratio", m >= 0 ? json_real(ratio) : json_null());

		if (extra)
			json_object_update(e, extra);
		json_array_append_new(out, e);
	}
done:
	json_decref(extra);
}

/* ---- watched ports ---- */

/* Country locality over walk w: kind "country" (port < 0, all scan
 * sources) or "port_country" (sources of one watched port). */
static void
country_locals(json_t *locals, const struct ds_report_ctx *x, const struct walk *w,
	       int port, double scale)
{
	unsigned n = w->n_sensors, cidx, s;
	double *src = calloc(n * 2, sizeof(double)), *only = src + n;
	char key[32];

	if (!src || !x->geo) {
		free(src);
		return;
	}
	for (cidx = 1; cidx < w->n_cc; cidx++) {
		const char *cc = ds_geo_country(x->geo, (uint16_t)cidx);
		struct ds_report_local in;
		json_t *extra;

		if (!w->cc_all[cidx])
			continue;
		for (s = 0; s < n; s++) {
			src[s] = (double)w->cc[(size_t)s * w->n_cc + cidx] * scale;
			only[s] = (double)w->cc_only[(size_t)s * w->n_cc + cidx] * scale;
		}
		if (port >= 0) {
			snprintf(key, sizeof(key), "%d/%s", port, cc);
			extra = json_pack("{s:i, s:s}", "port", port, "country", cc);
		} else {
			snprintf(key, sizeof(key), "%s", cc);
			extra = json_pack("{s:s}", "country", cc);
		}
		in = (struct ds_report_local){ port >= 0 ? "port_country" : "country", key, n, src, only,
			(double)w->cc_all[cidx] * scale, src, "sources" };
		ds_report_judge_local(locals, x->conf, &in, extra);
	}
	free(src);
}

static json_t *
watched_port(struct ds_set *s, const struct ds_report_ctx *x, unsigned slot, json_t *locals)
{
	const struct ds_conf *c = x->conf;
	struct ds_bk *bk = s->watch_overlap[slot];
	int exact = ds_bk_exact(bk);
	double scale = ds_bk_scale(bk);
	struct walk *w = ds_report_walk(bk, x, s->n_sensors);
	unsigned n = s->n_sensors, i;
	uint16_t port = s->watch_port[slot];
	double *src, *only, *pk;
	json_t *o, *per;
	char key[8];

	if (!w)
		return NULL;
	src = calloc(n * 3, sizeof(double));
	if (!src) {
		ds_report_walk_free(w);
		return NULL;
	}
	only = src + n;
	pk = src + 2 * n;
	per = json_array();
	for (i = 0; i < n; i++) {
		double u = exact ? (double)w->per_sensor[i] : ds_hll_count(s->watch_src[slot * n + i]);
		json_t *e = json_object();

		src[i] = u;
		only[i] = (double)w->only[i] * scale;
		pk[i] = (double)s->sensor[i].watch_packets[slot];
		ds_report_put_str(e, "sensor", c->sensors[i].name);
		ds_report_put_int(e, "packets", (json_int_t)s->sensor[i].watch_packets[slot]);
		ds_report_put_int(e, "unique_sources", (json_int_t)llround(u));
		ds_report_put(e, "countries", ds_report_countries(w, x, i, scale, 0));
		ds_report_put(e, "same_slash16_sources", ds_report_jcount((double)w->slash16[i], scale));
		ds_report_put(e, "same_country_sources", ds_report_jcount((double)w->own_country[i], scale));
		ds_report_put(e, "sources_only_here", ds_report_jcount((double)w->only[i], scale));
		json_array_append_new(per, e);
	}
	o = json_pack("{s:i, s:o, s:o, s:b, s:s, s:I, s:o}",
		"port", port,
		"sources", ds_report_jcount((double)w->total, scale),
		"sensors_per_source", ds_report_hist(w, scale),
		"surge", (s->watch_surge >> slot) & 1,
		"mode", exact ? "exact" : "estimate",
		"sample_size", (json_int_t)ds_bk_size(bk),
		"per_sensor", per);
	json_object_set_new(o, "watched_since", s->watch_since[slot] ?
			    ds_report_jtime(s->watch_since[slot]) : json_null());
	snprintf(key, sizeof(key), "%u", port);
	{
		struct ds_report_local in = { "port", key, n, src, only, (double)w->total * scale, pk, "packets" };

		ds_report_judge_local(locals, x->conf, &in, json_pack("{s:i}", "port", port));
	}
	country_locals(locals, x, w, port, scale);
	free(src);
	ds_report_walk_free(w);
	return o;
}

/* ---- fingerprints ---- */

struct fp_row {
	struct ds_fp_info info;
	uint64_t *sensor_packets;
	double *sources;	/* per sensor */
	double total;
	unsigned dominant;
};

struct fp_collect {
	struct ds_set *s;
	const struct ds_conf *c;
	struct fp_row *rows;
	unsigned n, cap;
};

static int
fp_visit(const struct ds_fp_info *info, void *arg)
{
	struct fp_collect *fc = arg;
	unsigned n = fc->s->n_sensors, i;
	double total = ds_fp_sources(fc->s->fp, info, -1);
	struct fp_row *r;

	if (total + 0.5 < fc->c->fp_min_sources || fc->n == fc->cap)
		return 0;
	r = &fc->rows[fc->n];
	r->sensor_packets = calloc(n, sizeof(uint64_t));
	r->sources = calloc(n, sizeof(double));
	if (!r->sensor_packets || !r->sources) {
		free(r->sensor_packets);
		free(r->sources);
		return 0;
	}
	r->info = *info;
	memcpy(r->sensor_packets, info->sensor_packets, n * sizeof(uint64_t));
	r->info.sensor_packets = r->sensor_packets;
	r->total = total;
	r->dominant = 0;
	for (i = 0; i < n; i++) {
		r->sources[i] = r->sensor_packets[i] ? ds_fp_sources(fc->s->fp, info, (int)i) : 0;
		if (r->sensor_packets[i] > r->sensor_packets[r->dominant])
			r->dominant = i;
	}
	fc->n++;
	return 0;
}

static int
cmp_fp(const void *a, const void *b)
{
	const struct fp_row *x = a, *y = b;

	if (x->info.packets != y->info.packets)
		return x->info.packets > y->info.packets ? -1 : 1;
	return x->info.key.seq < y->info.key.seq ? -1 : x->info.key.seq > y->info.key.seq;
}

static json_t *
fp_ports(const struct fp_row *r)
{
	struct { uint16_t port; uint64_t n; } p[DS_FP_PORT_SLOTS], t;
	unsigned i, j, n = r->info.n_ports;
	json_t *a = json_array();

	for (i = 0; i < n; i++) {
		p[i].port = r->info.ports[i];
		p[i].n = r->info.port_packets[i];
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && p[j].n > p[j - 1].n; j--) {
			t = p[j];
			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		json_array_append_new(a, ds_report_port_row(json_integer(p[i].port), p[i].n, r->info.packets));
	if (r->info.other_port_packets)
		json_array_append_new(a, ds_report_port_row(json_string("other"), r->info.other_port_packets,
						  r->info.packets));
	return a;
}

static int
same_family(const struct fp_row *a, const struct fp_row *b)
{
	return a->info.key.sport == b->info.key.sport && a->info.key.ipid == b->info.key.ipid &&
	       a->info.key.win == b->info.key.win;
}

/* [ {sensor, packets, unique_sources} ] of a fingerprint, one per sensor. */
static json_t *
fp_per_sensor(const struct fp_row *r, const struct ds_conf *c, unsigned n)
{
	json_t *per = json_array();
	unsigned i;

	for (i = 0; i < n; i++)
		json_array_append_new(per, ds_report_sensor_row(c->sensors[i].name, r->sensor_packets[i],
								 r->sources[i]));
	return per;
}

static json_t *
fp_json(const struct fp_row *r, const struct ds_conf *c, unsigned n)
{
	json_t *per = fp_per_sensor(r, c, n), *o = json_object();
	uint32_t seq = r->info.key.seq;

	ds_report_put_int(o, "sport", r->info.key.sport);
	ds_report_put_int(o, "seq", seq);
	ds_report_put_int(o, "ipid", r->info.key.ipid);
	ds_report_put_int(o, "window", r->info.key.win);
	ds_report_put_int(o, "packets", (json_int_t)r->info.packets);
	ds_report_put_int(o, "unique_sources", (json_int_t)llround(r->total));
	ds_report_put(o, "per_sensor", per);
	ds_report_put(o, "top_ports", fp_ports(r));
	ds_report_put_str(o, "dominant_sensor", c->sensors[r->dominant].name);
	ds_report_put_real(o, "dominant_share", ds_report_share((double)r->sensor_packets[r->dominant],
								(double)r->info.packets));
	ds_report_put(o, "first_seen", ds_report_jtime(r->info.first_ts));
	ds_report_put(o, "last_seen", ds_report_jtime(r->info.last_ts));
	ds_report_put(o, "isn_is_slash16", json_boolean((seq & 0xffff) == 0));
	ds_report_put(o, "isn_as_address", ds_report_jaddr(seq));
	ds_report_put_int(o, "isn_target_slash16_packets", (json_int_t)r->info.slash16_match);
	ds_report_put(o, "isn_equals_target_slash16",
		      json_boolean(r->info.slash16_match * 2 > r->info.packets));
	return o;
}

/* A family member: its fingerprint's summary and, for Table 6's per-sensor
 * packets and hosts, its per_sensor rows (the same as the fingerprint's). */
static json_t *
member_json(const struct fp_row *m, const struct ds_conf *c, unsigned n)
{
	json_t *o = json_object();

	ds_report_put_int(o, "seq", m->info.key.seq);
	ds_report_put_str(o, "dominant_sensor", c->sensors[m->dominant].name);
	ds_report_put_int(o, "packets", (json_int_t)m->info.packets);
	ds_report_put_int(o, "unique_sources", (json_int_t)llround(m->total));
	ds_report_put_real(o, "dominant_share", ds_report_share((double)m->sensor_packets[m->dominant],
								(double)m->info.packets));
	ds_report_put(o, "isn_is_slash16", json_boolean((m->info.key.seq & 0xffff) == 0));
	ds_report_put(o, "isn_as_address", ds_report_jaddr(m->info.key.seq));
	ds_report_put(o, "per_sensor", fp_per_sensor(m, c, n));
	return o;
}

static void
fp_local(json_t *locals, const struct ds_report_ctx *x, const struct fp_row *r,
	 unsigned n, int in_family)
{
	double *only = calloc(n * 2, sizeof(double)), *pk = only + n, others;
	unsigned i, j;
	char key[64];

	if (!only)
		return;
	/* Seen only at i >= union - sum of the other sensors' sources. */
	for (i = 0; i < n; i++) {
		pk[i] = (double)r->sensor_packets[i];
		for (others = 0, j = 0; j < n; j++)
			if (j != i)
				others += r->sources[j];
		only[i] = r->total - others > 0 ? r->total - others : 0;
	}
	snprintf(key, sizeof(key), "%u/%u/%u/%u", r->info.key.sport, r->info.key.seq,
		 r->info.key.ipid, r->info.key.win);
	{
		struct ds_report_local in = { in_family ? "family_member" : "fingerprint", key, n,
				       r->sources, only, r->total, pk, "packets" };

		ds_report_judge_local(locals, x->conf, &in, json_pack("{s:I, s:I}", "packets",
			(json_int_t)r->info.packets, "seq", (json_int_t)r->info.key.seq));
	}
	free(only);
}

static void
fingerprints(json_t *r, struct ds_set *s, const struct ds_report_ctx *x, json_t *locals)
{
	struct fp_collect fc = { s, x->conf, NULL, 0, 4096 };
	json_t *fps = json_array(), *fams = json_array();
	unsigned i, j, n = s->n_sensors;
	char *done;

	/* not zeroed: fp_visit() writes every field of the rows it keeps
	 * (zeroing 4096 rows of 400 bytes per report was 6 % of a daily run) */
	fc.rows = malloc(fc.cap * sizeof(*fc.rows));
	done = calloc(fc.cap, 1);
	if (fc.rows && done) {
		ds_fp_foreach(s->fp, fp_visit, &fc);
		qsort(fc.rows, fc.n, sizeof(*fc.rows), cmp_fp);
	}
	for (i = 0; i < fc.n; i++)
		json_array_append_new(fps, fp_json(&fc.rows[i], x->conf, n));
	/* Families: same (sport, ipid, window), two or more ISNs. */
	for (i = 0; i < fc.n; i++) {
		json_t *members;
		uint64_t pk = 0;
		unsigned cnt = 0;

		if (done[i])
			continue;
		for (j = i; j < fc.n; j++)
			cnt += !done[j] && same_family(&fc.rows[i], &fc.rows[j]);
		if (cnt < 2) {
			fp_local(locals, x, &fc.rows[i], n, 0);
			continue;
		}
		members = json_array();
		for (j = i; j < fc.n; j++) {
			const struct fp_row *m = &fc.rows[j];

			if (done[j] || !same_family(&fc.rows[i], m))
				continue;
			done[j] = 1;
			pk += m->info.packets;
			json_array_append_new(members, member_json(m, x->conf, n));
			fp_local(locals, x, m, n, 1);
		}
		json_array_append_new(fams, json_pack("{s:i, s:i, s:i, s:I, s:i, s:o}",
			"sport", fc.rows[i].info.key.sport, "ipid", fc.rows[i].info.key.ipid,
			"window", fc.rows[i].info.key.win, "packets", (json_int_t)pk,
			"members_count", (int)cnt, "members", members));
	}
	json_object_set_new(r, "fingerprints", fps);
	json_object_set_new(r, "families", fams);
	json_object_set_new(r, "fingerprint_table", json_pack("{s:I, s:I, s:I, s:I, s:i}",
		"evictions", (json_int_t)ds_fp_evictions(s->fp),
		"dropped_packets", (json_int_t)ds_fp_dropped(s->fp),
		"skipped_packets", (json_int_t)s->fp_skipped,
		"detail_full", (json_int_t)ds_fp_detail_full(s->fp),
		"min_sources", (int)x->conf->fp_min_sources));
	for (i = 0; i < fc.n; i++) {
		free(fc.rows[i].sensor_packets);
		free(fc.rows[i].sources);
	}
	free(fc.rows);
	free(done);
}

/* ---- tools, top sources, backscatter ---- */

static json_t *
tools(struct ds_set *s, const struct ds_conf *c)
{
	struct ds_hll *u = ds_hll_create(c->watch_hll_p);
	json_t *a = json_array();
	unsigned t, i, n = s->n_sensors;

	for (t = 0; t < DS_TOOL__N && u; t++) {
		json_t *per = json_array(), *o;
		uint64_t pk = 0;

		ds_hll_clear(u);
		for (i = 0; i < n; i++) {
			struct ds_hll *h = s->tool_src[t * n + i];

			pk += s->sensor[i].tool_packets[t];
			ds_hll_merge(u, h);
			json_array_append_new(per, ds_report_sensor_row(c->sensors[i].name,
									 s->sensor[i].tool_packets[t],
									 ds_hll_count(h)));
		}
		o = json_object();
		ds_report_put_str(o, "tool", ds_set_tool_name(t));
		ds_report_put_int(o, "packets", (json_int_t)pk);
		ds_report_put_int(o, "unique_sources", (json_int_t)llround(ds_hll_count(u)));
		ds_report_put(o, "per_sensor", per);
		json_array_append_new(a, o);
	}
	ds_hll_free(u);
	return a;
}

/* An entry's sensor: keys are (sensor + 1) << 32 | address. */
static unsigned
sensor_of(const struct ds_topk_entry *e, void *arg)
{
	return (unsigned)(e->key >> 32) - 1u;
}

/* Every sensor's best `limit` entries of t, from one pass over it: sensor
 * i's at the result + i * limit, their number in got[i] (n_sensors
 * entries).  NULL without memory (or with limit 0): every list empty. */
static struct ds_topk_entry *
top_by_sensor(const struct ds_topk *t, unsigned n_sensors, unsigned limit, unsigned *got)
{
	struct ds_topk_entry *e = limit ? malloc((size_t)n_sensors * limit * sizeof(*e)) : NULL;

	memset(got, 0, n_sensors * sizeof(*got));
	if (e)
		ds_topk_top_groups(t, e, got, limit, n_sensors, sensor_of, NULL);
	return e;
}

static json_t *
tool_list(uint32_t flags)
{
	json_t *a = json_array();
	unsigned t;

	for (t = 0; t < DS_TOOL__N; t++)
		if (flags & DS_SET_FLAG_TOOL(t))
			json_array_append_new(a, json_string(ds_set_tool_name(t)));
	return a;
}

static json_t *
top_list(const struct ds_topk_entry *e, unsigned n, const struct ds_report_ctx *x,
	 unsigned sensor, const char *what, int with_tools)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < n; i++) {
		uint32_t src = (uint32_t)e[i].key;
		json_t *o = json_object();

		ds_report_put_str(o, "sensor", x->conf->sensors[sensor].name);
		ds_report_put(o, what, ds_report_jaddr(src));
		ds_report_put_int(o, "packets", (json_int_t)e[i].count);
		ds_report_put_str(o, "country", ds_report_country(x, src));
		if (with_tools)
			ds_report_put(o, "tools", tool_list(e[i].flags));
		ds_report_put(o, "first_seen", ds_report_jtime(e[i].first));
		ds_report_put(o, "last_seen", ds_report_jtime(e[i].last));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
backscatter(struct ds_set *s, const struct ds_report_ctx *x)
{
	const unsigned lim = x->conf->top_sources;
	unsigned *got = malloc(s->n_sensors * sizeof(*got)), i;
	struct ds_topk_entry *e = got ? top_by_sensor(s->top_victims, s->n_sensors, lim, got) : NULL;
	json_t *per = json_array();
	uint64_t total = 0;

	for (i = 0; i < s->n_sensors; i++) {
		uint64_t pk = s->sensor[i].cls[DS_CLASS_BACKSCATTER];

		json_t *o = json_object();

		total += pk;
		ds_report_put_str(o, "sensor", x->conf->sensors[i].name);
		ds_report_put_int(o, "packets", (json_int_t)pk);
		ds_report_put_int(o, "victims", (json_int_t)llround(ds_hll_count(s->victims[i])));
		ds_report_put(o, "top_ports", ds_report_top_ports(s->bs_ports[i], x->conf->top_ports, pk));
		ds_report_put(o, "top_victims", top_list(e ? e + (size_t)i * lim : NULL, e ? got[i] : 0,
							 x, i, "victim", 0));
		json_array_append_new(per, o);
	}
	free(e);
	free(got);
	return json_pack("{s:I, s:o}", "packets", (json_int_t)total, "per_sensor", per);
}

void
ds_report_analytics(json_t *r, struct ds_set *s, const struct ds_report_ctx *x,
		    const struct walk *all)
{
	json_t *locals = json_array(), *wp = json_array(), *top = json_array(), *sg = json_array();
	const unsigned lim = x->conf->top_sources;
	struct ds_topk_entry *e;
	unsigned i, *got;

	for (i = 0; i < s->n_watch; i++) {
		json_t *o = watched_port(s, x, i, locals);

		if (o)
			json_array_append_new(wp, o);
	}
	json_object_set_new(r, "watched_ports", wp);
	fingerprints(r, s, x, locals);
	json_object_set_new(r, "tools", tools(s, x->conf));
	got = malloc(s->n_sensors * sizeof(*got));
	e = got ? top_by_sensor(s->top_src, s->n_sensors, lim, got) : NULL;
	for (i = 0; e && i < s->n_sensors; i++) {
		json_t *t = top_list(e + (size_t)i * lim, got[i], x, i, "source", 1);

		json_array_extend(top, t);
		json_decref(t);
	}
	free(e);
	free(got);
	json_object_set_new(r, "top_sources", top);
	json_object_set_new(r, "top_sources_evictions", json_integer((json_int_t)ds_topk_evictions(s->top_src)));
	json_object_set_new(r, "backscatter", backscatter(s, x));
	country_locals(locals, x, all, -1, ds_bk_scale(s->overlap));
	json_object_set_new(r, "local_attacks", locals);
	for (i = 0; i < x->n_surges; i++)
		json_array_append_new(sg, json_pack("{s:i, s:I, s:f, s:f}",
			"port", x->surges[i].port, "packets", (json_int_t)x->surges[i].packets,
			"trailing_mean", x->surges[i].trailing_mean, "factor", x->conf->surge_factor));
	json_object_set_new(r, "surges", sg);
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Building the darkscope.report/1 document from a merged ds_set.
 *
 * Everything per packet was done by the workers; here, once per period, the
 * sketches are queried: every one of the 65,536 ports of each sensor's
 * count-min sketch (so no heap was needed on the fast path), the HLLs, and
 * the bottom-K overlap samples, whose sampled sources are looked up in the
 * compiled GeoIP table to give countries, same-/16 and same-country counts.
 * While a sample is exact (fewer distinct sources than its K) all of those
 * are exact; beyond that they are unbiased estimates and the report says so.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_report.h"
#include "ds_report_int.h"

static void
utc_format(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((!gmtime_r(&tt, &tm) || strftime(buf, len, fmt, &tm) == 0) && len)
		buf[0] = '\0';		/* out of range, or too long for buf */
}

/* n as d decimal digits at p (n < 10^d). */
static char *
put_digits(char *p, unsigned n, unsigned d)
{
	for (unsigned i = d; i-- > 0; n /= 10)
		p[i] = (char)('0' + n % 10);
	return p + d;
}

/* The last second of year 9999: later (and earlier than 1970) times go
 * through strftime. */
#define CIVIL_MAX 253402300799LL

/* UTC date and time of t (0 <= t <= CIVIL_MAX) in f[]: year, month, day,
 * hour, minute, second (civil date from days since the epoch: H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms"). */
static void
civil(int64_t t, unsigned f[6])
{
	int64_t days = t / 86400 + 719468, era = days / 146097;
	unsigned sod = (unsigned)(t % 86400), doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	f[1] = mp < 10 ? mp + 3 : mp - 9;
	f[0] = (unsigned)(yoe + era * 400) + (f[1] <= 2);
	f[2] = doy - (153 * mp + 2) / 5 + 1;
	f[3] = sod / 3600;
	f[4] = sod / 60 % 60;
	f[5] = sod % 60;
}

/* t as the fields of civil() with sep[i] after field i (sep[5] = 'Z',
 * then the NUL), as strftime would write it with fmt; times outside
 * 1970-9999 and buffers shorter than the text go to strftime.  A report
 * writes a time for every top source and fingerprint (first and last
 * seen): strftime's locale machinery was 3 % of a daily offline run. */
static void
format_time(int64_t t, const char sep[6], const char *fmt, char *buf, size_t len)
{
	static const unsigned width[6] = { 4, 2, 2, 2, 2, 2 };
	unsigned f[6];
	char *p = buf;

	if (t < 0 || t > CIVIL_MAX || len < 14 + 6 + 1) {
		utc_format(t, fmt, buf, len);
		return;
	}
	civil(t, f);
	for (unsigned i = 0; i < 6; i++) {
		p = put_digits(p, f[i], width[i]);
		if (sep[i])
			*p++ = sep[i];
	}
	*p = '\0';
}

void
ds_report_iso(int64_t t, char *buf, size_t len)
{
	format_time(t, "--T::Z", "%Y-%m-%dT%H:%M:%SZ", buf, len);
}

void
ds_report_stamp(int64_t t, char *buf, size_t len)
{
	static const char sep[6] = { 0, 0, 'T', 0, 0, 'Z' };

	format_time(t, sep, "%Y%m%dT%H%M%SZ", buf, len);
}

json_t *
ds_report_jaddr(uint32_t a)
{
	char b[16], *p = b;

	/* every source of the top lists and samples: snprintf cost more
	 * than the rest of the entry */
	for (int i = 24; i >= 0; i -= 8) {
		unsigned o = (a >> i) & 0xff;

		if (o >= 100)
			*p++ = (char)('0' + o / 100);
		if (o >= 10)
			*p++ = (char)('0' + o / 10 % 10);
		*p++ = (char)('0' + o % 10);
		*p++ = i ? '.' : '\0';
	}
	return json_stringn_nocheck(b, (size_t)(p - b - 1));
}

json_t *
ds_report_jtime(uint64_t ns)
{
	char b[32];

	if (!ns)
		return json_null();
	/* digits and separators: no UTF-8 check (a report has a time per
	 * top source and fingerprint) */
	ds_report_iso((int64_t)(ns / 1000000000u), b, sizeof(b));
	return json_stringn_nocheck(b, strlen(b));
}

double
ds_report_share(double part, double whole)
{
	return whole > 0 ? round(part * 10000.0 / whole) / 100.0 : 0.0;
}

const char *
ds_report_country(const struct ds_report_ctx *x, uint32_t addr)
{
	return x->geo ? ds_geo_country(x->geo, ds_geo_lookup(x->geo, addr)) : "--";
}

/* ---- count-min top ports ---- */

/* Top n ports of cm by querying all 65,536 ports; total = N. */
json_t *
ds_report_top_ports(const struct ds_cm *cm, unsigned n, uint64_t total)
{
	uint16_t port[1000];
	uint32_t cnt[1000];
	unsigned have = total ? ds_cm_port_top(cm, n, port, cnt) : 0, i;
	json_t *a = json_array();

	for (i = 0; i < have; i++)
		json_array_append_new(a, ds_report_port_row(json_integer(port[i]), cnt[i], total));
	return a;
}

/* {port, packets, share of total}; port is an integer or "other". */
json_t *
ds_report_port_row(json_t *port, uint64_t packets, uint64_t total)
{
	json_t *o = json_object();

	ds_report_put(o, "port", port);
	ds_report_put_int(o, "packets", (json_int_t)packets);
	ds_report_put_real(o, "share", ds_report_share((double)packets, (double)total));
	return o;
}

/* {sensor, packets, unique_sources}: a per-sensor row of a fingerprint or
 * a tool. */
json_t *
ds_report_sensor_row(const char *sensor, uint64_t packets, double sources)
{
	json_t *o = json_object();

	ds_report_put_str(o, "sensor", sensor);
	ds_report_put_int(o, "packets", (json_int_t)packets);
	ds_report_put_int(o, "unique_sources", (json_int_t)llround(sources));
	return o;
}

/* ---- bottom-K sample walks ---- */


int
ds_report_in_slash16(const struct ds_conf_sensor *sn, uint32_t src)
{
	unsigned i;

	for (i = 0; i < sn->n_prefixes; i++) {
		const struct ds_conf_prefix *p = &sn->prefixes[i];
		unsigned len = p->len < 16 ? p->len : 16;
		uint32_t mask = len ? ~0u << (32 - len) : 0;

		if ((src & mask) == (p->addr & mask))
			return 1;
	}
	return 0;
}

static int
walk_visit(uint32_t src, const uint64_t *bits, void *arg)
{
	struct walk *w = arg;
	const struct ds_conf *c = w->x->conf;
	uint16_t cidx = w->x->geo ? ds_geo_lookup(w->x->geo, src) : 0;
	const char *cc = w->x->geo ? ds_geo_country(w->x->geo, cidx) : "--";
	unsigned s, seen = 0, last = 0;

	if (cidx >= w->n_cc)
		cidx = 0;
	for (s = 0; s < w->n_sensors; s++)
		if (bits[s / 64] >> (s % 64) & 1) {
			seen++;
			last = s;
			w->per_sensor[s]++;
			w->cc[(size_t)s * w->n_cc + cidx]++;
			if (ds_report_in_slash16(&c->sensors[s], src))
				w->slash16[s]++;
			if (strcmp(cc, c->sensors[s].country) == 0)
				w->own_country[s]++;
		}
	w->cc_all[cidx]++;
	if (seen == 1) {
		w->only[last]++;
		w->cc_only[(size_t)last * w->n_cc + cidx]++;
	}
	w->hist[seen < w->n_sensors ? seen : w->n_sensors]++;
	w->total++;
	return 0;
}

void
ds_report_walk_free(struct walk *w)
{
	if (!w)
		return;
	free(w->hist);		/* every array */
	free(w);
}

/* The counters of a walk are one zeroed block, the per-country ones sized
 * by the countries the GeoIP table has (one without a table) rather than
 * DS_GEO_MAX_COUNTRIES: a report walks the overlap sample and each watched
 * port's, and zeroing, and later scanning, 1,024 countries per sensor each
 * time was 3 % of a daily offline run without a GeoIP table. */
struct walk *
ds_report_walk(struct ds_bk *bk, const struct ds_report_ctx *x, unsigned n)
{
	struct walk *w = calloc(1, sizeof(*w));
	size_t ncc = x->geo ? (size_t)ds_geo_count(x->geo) + 1 : 1;
	uint64_t *p;

	if (!w)
		return NULL;
	if (ncc > DS_GEO_MAX_COUNTRIES)
		ncc = DS_GEO_MAX_COUNTRIES;
	p = calloc((n + 1) + 4 * (size_t)n + (2 * (size_t)n + 1) * ncc, sizeof(uint64_t));
	if (!p) {
		free(w);
		return NULL;
	}
	w->x = x;
	w->n_sensors = n;
	w->n_cc = (unsigned)ncc;
	w->hist = p;
	w->per_sensor = w->hist + n + 1;
	w->only = w->per_sensor + n;
	w->slash16 = w->only + n;
	w->own_country = w->slash16 + n;
	w->cc = w->own_country + n;
	w->cc_only = w->cc + (size_t)n * ncc;
	w->cc_all = w->cc_only + (size_t)n * ncc;
	ds_bk_foreach_unordered(bk, walk_visit, w);	/* counts: any order */
	return w;
}

json_t *
ds_report_jcount(double v, double scale)
{
	return json_integer((json_int_t)llround(v * scale));
}

/* sensors_per_source {"1": n, ...} from a walk. */
json_t *
ds_report_hist(const struct walk *w, double scale)
{
	json_t *o = json_object();
	unsigned i;
	char k[8];

	for (i = 1; i <= w->n_sensors; i++) {
		snprintf(k, sizeof(k), "%u", i);
		json_object_set_new(o, k, ds_report_jcount((double)w->hist[i], scale));
	}
	return o;
}

struct cc_row {
	unsigned idx;
	uint64_t n;
};

static int
cmp_cc(const void *a, const void *b)
{
	const struct cc_row *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return (int)x->idx - (int)y->idx;
}

static json_t *
country_row(const char *cc, uint64_t n, double scale, uint64_t sources)
{
	json_t *o = json_object();

	ds_report_put_str(o, "country", cc);
	ds_report_put(o, "unique_sources", ds_report_jcount((double)n, scale));
	ds_report_put_real(o, "share", ds_report_share((double)n, (double)sources));
	return o;
}

/* countries [ {country, unique_sources, share} ] of sensor s in walk w;
 * limit 0 = all. */
json_t *
ds_report_countries(const struct walk *w, const struct ds_report_ctx *x, unsigned s,
	  double scale, unsigned limit)
{
	struct cc_row rows[DS_GEO_MAX_COUNTRIES];
	const uint64_t *cc = &w->cc[(size_t)s * w->n_cc];
	unsigned n = 0, i;
	uint64_t other = 0;
	json_t *a = json_array();

	for (i = 0; i < w->n_cc; i++)
		if (cc[i])
			rows[n++] = (struct cc_row){ i, cc[i] };
	qsort(rows, n, sizeof(rows[0]), cmp_cc);
	for (i = 0; i < n; i++) {
		if (limit && i >= limit) {
			other += rows[i].n;
			continue;
		}
		json_array_append_new(a, country_row(x->geo ? ds_geo_country(x->geo, (uint16_t)rows[i].idx)
							     : "--", rows[i].n, scale, w->per_sensor[s]));
	}
	if (other)
		json_array_append_new(a, country_row("other", other, scale, w->per_sensor[s]));
	return a;
}

static json_t *
name_counts(const uint64_t *v, unsigned n, const char *(*name)(unsigned), unsigned from)
{
	json_t *o = json_object();
	unsigned i;

	for (i = from; i < n; i++)
		ds_report_put_int(o, name(i), (json_int_t)v[i]);
	return o;
}

static const char *
class_name(unsigned c)
{
	if (c == DS_SET_OUTSIDE)
		return "outside";
	if (c == DS_SET_HYGIENE)
		return "hygiene";
	return ds_class_name(c);
}

static json_t *
capture_obj(const struct ds_set *s, const struct ds_report_ctx *x)
{
	const struct ds_capture *c = &x->capture;
	uint64_t lost = c->rx_missed + c->rx_errors + c->rx_nombuf;
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:b}",
		"rx_packets", (json_int_t)c->rx_packets,
		"rx_missed", (json_int_t)c->rx_missed,
		"rx_errors", (json_int_t)c->rx_errors,
		"rx_nombuf", (json_int_t)c->rx_nombuf,
		"worker_waits", (json_int_t)c->worker_waits,
		"packets_counted", (json_int_t)ds_set_packets(s),
		"classes", name_counts(s->classes, DS_SET__NCLASS, class_name, 0),
		"malformed", name_counts(s->malformed, DS_MAL__N, ds_malformed_name, 1),
		"hygiene", name_counts(s->hygiene, DS_HYG__N, ds_hygiene_name, 1),
		"vlan_tagged", (json_int_t)s->vlan_tagged,
		"late_packets", (json_int_t)s->late,
		"loss", lost != 0);
	if (lost)
		json_object_set_new(o, "loss_note", json_sprintf(
			"%llu packets were dropped before darkscope saw them (missed %llu, errors %llu, no mbuf %llu): every count in this report is a lower bound",
			(unsigned long long)lost, (unsigned long long)c->rx_missed,
			(unsigned long long)c->rx_errors, (unsigned long long)c->rx_nombuf));
	return o;
}

static json_t *
sketch_obj(const struct ds_set *s)
{
	const struct ds_conf *c = s->conf;
	double m = (double)(1u << c->hll_p);

	return json_pack("{s:i, s:i, s:f, s:f, s:i, s:f, s:i, s:i, s:i}",
		"cm_width", 1 << c->cm_width_log2, "cm_depth", (int)c->cm_depth,
		"cm_epsilon", M_E / (double)(1u << c->cm_width_log2),
		"cm_confidence", ds_cm_confidence(s->ports[0]),
		"hll_precision", (int)c->hll_p,
		"hll_standard_error", 1.04 / sqrt(m),
		"overlap_k", (int)c->overlap_k, "overlap_watch_k", (int)c->watch_k,
		"fingerprint_table", (int)c->fp_table);
}

static json_t *
prefixes_arr(const struct ds_conf_sensor *sn)
{
	json_t *a = json_array();
	unsigned i;
	char b[24];

	for (i = 0; i < sn->n_prefixes; i++) {
		ds_conf_format_prefix(&sn->prefixes[i], b, sizeof(b));
		json_array_append_new(a, json_string(b));
	}
	return a;
}

static double
per_addr(double v, uint64_t addresses)
{
	return addresses ? v / (double)addresses : 0.0;
}

/* Unique sources at sensor i: exact from the sample while it is exact. */
static double
sensor_sources(struct ds_set *s, const struct walk *w, unsigned i, int exact)
{
	return exact ? (double)w->per_sensor[i] : ds_hll_count(s->src[i]);
}

static json_t *
sensors_arr(struct ds_set *s, const struct ds_report_ctx *x, const struct walk *w,
	    int exact, double scale)
{
	const struct ds_conf *c = x->conf;
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < s->n_sensors; i++) {
		const struct ds_conf_sensor *sn = &c->sensors[i];
		const struct ds_sensor_stats *ss = &s->sensor[i];
		uint64_t syn = ss->cls[DS_CLASS_SCAN], excl = syn - ss->syn_excluded;
		double src = sensor_sources(s, w, i, exact);
		double src_ex = ds_hll_count(s->src_excl[i]);
		json_t *o = json_object(), *ex = json_array(), *e = json_object();
		unsigned j;

		for (j = 0; j < c->n_excluded; j++)
			json_array_append_new(ex, json_integer(c->excluded[j]));
		ds_report_put_str(o, "name", sn->name);
		ds_report_put_str(o, "country", sn->country);
		ds_report_put(o, "prefixes", prefixes_arr(sn));
		ds_report_put_int(o, "addresses", (json_int_t)sn->addresses);
		ds_report_put_int(o, "syn_packets", (json_int_t)syn);
		ds_report_put_int(o, "unique_sources", (json_int_t)llround(src));
		ds_report_put_real(o, "packets_per_address", per_addr((double)syn, sn->addresses));
		ds_report_put_real(o, "sources_per_address", per_addr(src, sn->addresses));
		ds_report_put_str(o, "unique_sources_method", exact ? "exact" : "hll");
		ds_report_put(o, "excluded_ports", ex);
		ds_report_put_int(e, "syn_packets", (json_int_t)excl);
		ds_report_put_int(e, "unique_sources", (json_int_t)llround(src_ex));
		ds_report_put_real(e, "packets_per_address", per_addr((double)excl, sn->addresses));
		ds_report_put_real(e, "sources_per_address", per_addr(src_ex, sn->addresses));
		ds_report_put(o, "excl", e);
		ds_report_put(o, "top_ports", ds_report_top_ports(s->ports[i], c->top_ports, syn));
		ds_report_put_int(o, "top_ports_error_bound",
				  (json_int_t)ceil(ds_cm_error_bound(s->ports[i])));
		ds_report_put(o, "countries", ds_report_countries(w, x, i, scale, 0));
		ds_report_put(o, "classes", name_counts(ss->cls, DS_SET__NCLASS, class_name, 0));
		ds_report_put(o, "hygiene", name_counts(ss->hygiene, DS_HYG__N, ds_hygiene_name, 1));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *
ds_report_build(struct ds_set *s, const struct ds_report_ctx *x)
{
	char start[32], end[32];
	struct walk *w;
	json_t *r;
	int exact = ds_bk_exact(s->overlap);
	double scale = ds_bk_scale(s->overlap);

	w = ds_report_walk(s->overlap, x, s->n_sensors);
	if (!w)
		return NULL;
	ds_report_iso(x->start, start, sizeof(start));
	ds_report_iso(x->end, end, sizeof(end));
	r = json_pack("{s:s, s:{s:s, s:s, s:I}, s:s, s:o, s:o}",
		"schema", DS_REPORT_SCHEMA,
		"window", "start", start, "end", end, "seconds", (json_int_t)(x->end - x->start),
		"source", x->source ? x->source : "live",
		"capture", capture_obj(s, x),
		"sketch", sketch_obj(s));
	if (!r) {
		ds_report_walk_free(w);
		return NULL;
	}
	json_object_set_new(r, "generator", json_pack("{s:s, s:s}", "name", "darkscope",
						      "version", DS_VERSION));
	json_object_set_new(r, "sensors", sensors_arr(s, x, w, exact, scale));
	json_object_set_new(r, "sensor_overlap", json_pack("{s:s, s:I, s:o, s:o, s:f}",
		"mode", exact ? "exact" : "estimate",
		"sample_size", (json_int_t)ds_bk_size(s->overlap),
		"sources", ds_report_jcount((double)w->total, scale),
		"sensors_per_source", ds_report_hist(w, scale),
		"scale", scale));
	ds_report_analytics(r, s, x, w);
	ds_report_walk_free(w);
	return r;
}


/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen ground truth: counts exactly the frames written, from the event
 * each frame was built from (the same fields the frame carries), never from
 * the scenario's parameters.  Sources are counted exactly: one u32map per
 * dimension maps a source to the bit mask of sensors it was seen at, which
 * gives per-sensor unique sources and the sensors-per-source histogram from
 * one look-up.  Daily and monthly maps are emptied when their period ends.
 * Output: truth.json (jansson, keys in the documented order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "dg.h"
#include "srcmap.h"
#include "u32map.h"

static const char *kind_names[DG_K_COUNT] = {
	"scan", "syn_ack", "rst", "udp", "icmp", "ipv6", "arp", "vlan_syn",
	"qinq_syn", "vlan_udp", "fragment", "truncated", "bad_ihl", "bad_totlen",
	"bogon_src", "src_eq_dst", "src_net_bcast", "outside", "tcp_other",
};

static const uint8_t kind_class[DG_K_COUNT] = {
	DG_C_SCAN, DG_C_BACKSCATTER, DG_C_BACKSCATTER, DG_C_UDP, DG_C_ICMP,
	DG_C_IPV6, DG_C_NONIP, DG_C_SCAN, DG_C_SCAN, DG_C_UDP, DG_C_FRAGMENT,
	DG_C_MALFORMED, DG_C_MALFORMED, DG_C_MALFORMED, DG_C_HYGIENE,
	DG_C_HYGIENE, DG_C_HYGIENE, DG_C_OUTSIDE, DG_C_TCP_OTHER,
};

static const char *class_names[DG_C_COUNT] = {
	"scan", "backscatter", "tcp_other", "udp", "icmp", "ipv4_other",
	"fragment", "ipv6", "nonip", "malformed", "outside", "hygiene",
};

static const char *tool_names[3] = {"mirai", "zmap", "masscan"};

struct per_sensor {
	uint64_t syn, excl445;
	uint32_t *ports;           /* 65536 */
	uint64_t *day_pk, *mon_pk;
	uint32_t *day_src, *mon_src;
};

struct watch_t {
	uint64_t pk[DG_MAX_SENSORS];
	struct u32map all, win;
};

struct fp_t {
	uint64_t pk[DG_MAX_SENSORS];
	uint64_t isn16_pk;         /* packets whose destination /16 is the ISN */
	struct u32map src;
	uint32_t *ports;           /* 65536 */
};

struct tool_t {
	uint64_t pk[DG_MAX_SENSORS];
	struct u32map src;
};

struct dg_truth {
	const struct dg_scenario *s;
	uint64_t total, cls[DG_C_COUNT], noise[DG_K_COUNT];
	struct per_sensor sn[DG_MAX_SENSORS];
	struct srcmap src;
	struct watch_t w[DG_MAX_WATCH];
	struct fp_t fp[DG_MAX_FP];
	struct tool_t tool[3];
	uint8_t *watch_of;         /* per port: 1 if watched */
	int nmonths;
	int *month_of;             /* per day */
	char (*mon_label)[8];
	int oom;
};

const char *
dg_kind_name(int kind)
{
	return kind >= 0 && kind < DG_K_COUNT ? kind_names[kind] : "?";
}

int
dg_kind_by_name(const char *name)
{
	for (int i = 0; i < DG_K_COUNT; i++)
		if (!strcmp(kind_names[i], name))
			return i;
	return -1;
}

int
dg_kind_class(int kind)
{
	return kind_class[kind];
}

static void
day_tm(const struct dg_scenario *s, int day, struct tm *tm)
{
	time_t t = (time_t)(s->start + (int64_t)day * 86400);
	gmtime_r(&t, tm);
}

static int
init_months(struct dg_truth *t)
{
	const struct dg_scenario *s = t->s;
	int prev = -1;

	t->month_of = calloc((size_t)s->ndays, sizeof(int));
	t->mon_label = calloc((size_t)s->ndays, sizeof(*t->mon_label));
	if (!t->month_of || !t->mon_label)
		return -ENOMEM;
	for (int d = 0; d < s->ndays; d++) {
		struct tm tm;
		day_tm(s, d, &tm);
		if (tm.tm_year * 12 + tm.tm_mon != prev) {
			prev = tm.tm_year * 12 + tm.tm_mon;
			strftime(t->mon_label[t->nmonths++], 8, "%Y-%m", &tm);
		}
		t->month_of[d] = t->nmonths - 1;
	}
	return 0;
}

static int
init_sensor(struct per_sensor *p, int ndays, int nmonths)
{
	p->ports = calloc(65536, sizeof(*p->ports));
	p->day_pk = calloc((size_t)ndays, sizeof(*p->day_pk));
	p->day_src = calloc((size_t)ndays, sizeof(*p->day_src));
	p->mon_pk = calloc((size_t)nmonths, sizeof(*p->mon_pk));
	p->mon_src = calloc((size_t)nmonths, sizeof(*p->mon_src));
	return p->ports && p->day_pk && p->day_src && p->mon_pk && p->mon_src ? 0 : -ENOMEM;
}

static int
init_maps(struct dg_truth *t)
{
	int rc = srcmap_init(&t->src, 1 << 16);

	t->watch_of = calloc(65536, 1);
	if (!t->watch_of)
		return -ENOMEM;
	for (int i = 0; i < t->s->nwatch; i++)
		t->watch_of[t->s->watch[i]] = 1;

	for (int i = 0; i < t->s->nwatch; i++)
		rc |= u32map_init(&t->w[i].all, 1 << 12) | u32map_init(&t->w[i].win, 1 << 12);
	for (int i = 0; i < t->s->nfp; i++) {
		rc |= u32map_init(&t->fp[i].src, 1 << 10);
		t->fp[i].ports = calloc(65536, sizeof(uint32_t));
		rc |= t->fp[i].ports ? 0 : -ENOMEM;
	}
	for (int i = 0; i < 3; i++)
		rc |= u32map_init(&t->tool[i].src, 1 << 12);
	return rc ? -ENOMEM : 0;
}

struct dg_truth *
dg_truth_create(const struct dg_scenario *s)
{
	struct dg_truth *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->s = s;
	if (init_months(t) || init_maps(t))
		goto fail;
	for (int i = 0; i < s->nsensors; i++)
		if (init_sensor(&t->sn[i], s->ndays, t->nmonths))
			goto fail;
	return t;
fail:
	dg_truth_free(t);
	errno = ENOMEM;
	return NULL;
}

void
dg_truth_free(struct dg_truth *t)
{
	if (!t)
		return;
	for (int i = 0; i < DG_MAX_SENSORS; i++) {
		free(t->sn[i].ports);
		free(t->sn[i].day_pk);
		free(t->sn[i].day_src);
		free(t->sn[i].mon_pk);
		free(t->sn[i].mon_src);
	}
	srcmap_free(&t->src);
	free(t->watch_of);
	for (int i = 0; i < DG_MAX_WATCH; i++) {
		u32map_free(&t->w[i].all);
		u32map_free(&t->w[i].win);
	}
	for (int i = 0; i < DG_MAX_FP; i++) {
		u32map_free(&t->fp[i].src);
		free(t->fp[i].ports);
	}
	for (int i = 0; i < 3; i++)
		u32map_free(&t->tool[i].src);
	free(t->month_of);
	free(t->mon_label);
	free(t);
}

static void
add_watch(struct dg_truth *t, const struct dg_event *e, int day, uint8_t bit)
{
	for (int i = 0; i < t->s->nwatch; i++) {
		struct watch_t *w = &t->w[i];
		if (e->dport != t->s->watch[i])
			continue;
		w->pk[e->sensor]++;
		t->oom |= u32map_or(&w->all, e->src, bit);
		if (t->s->win[i].port >= 0 && day >= t->s->win[i].day0 && day <= t->s->win[i].day1)
			t->oom |= u32map_or(&w->win, e->src, bit);
	}
}

static void
add_fp(struct dg_truth *t, const struct dg_event *e, uint8_t bit)
{
	for (int i = 0; i < t->s->nfp; i++) {
		const struct dg_fp *f = &t->s->fp[i];
		if (e->sport != f->sport || e->seq != f->seq || e->ipid != f->ipid || e->win != f->window)
			continue;
		t->fp[i].pk[e->sensor]++;
		t->fp[i].ports[e->dport]++;
		t->fp[i].isn16_pk += (f->seq & 0xffff) == 0 && (e->dst & 0xffff0000u) == f->seq;
		t->oom |= u32map_or(&t->fp[i].src, e->src, bit);
	}
}

static void
add_tools(struct dg_truth *t, const struct dg_event *e, uint8_t bit)
{
	int hit[3] = {
		e->seq == e->dst,
		e->ipid == 54321,
		e->ipid == ((e->dst ^ e->dport ^ e->seq) & 0xffff),
	};

	for (int i = 0; i < 3; i++) {
		if (!hit[i])
			continue;
		t->tool[i].pk[e->sensor]++;
		t->oom |= u32map_or(&t->tool[i].src, e->src, bit);
	}
}

void
dg_truth_prefetch(const struct dg_truth *t, const struct dg_event *e)
{
	srcmap_prefetch(&t->src, e->src);
}

static void
add_source(struct dg_truth *t, const struct dg_event *e, int day)
{
	struct per_sensor *p = &t->sn[e->sensor];
	struct srcslot *sl = srcmap_get(&t->src, e->src);
	uint8_t bit = (uint8_t)(1u << e->sensor);
	uint16_t last;

	if (!sl) {
		t->oom = -ENOMEM;
		return;
	}
	sl->mask |= bit;
	if (e->dport != 445)
		sl->ex445 |= bit;
	last = sl->last[e->sensor];
	if (last == day + 1)
		return;
	p->day_src[day]++;
	if (!last || t->month_of[last - 1] != t->month_of[day])
		p->mon_src[t->month_of[day]]++;
	sl->last[e->sensor] = (uint16_t)(day + 1);
}

void
dg_truth_add(struct dg_truth *t, const struct dg_event *e, int day)
{
	struct per_sensor *p;
	uint8_t bit;
	int c = kind_class[e->kind];

	t->total++;
	t->cls[c]++;
	t->noise[e->kind]++;
	if (c != DG_C_SCAN)
		return;
	p = &t->sn[e->sensor];
	bit = (uint8_t)(1u << e->sensor);
	p->syn++;
	p->ports[e->dport]++;
	p->day_pk[day]++;
	p->mon_pk[t->month_of[day]]++;
	p->excl445 += e->dport != 445;
	add_source(t, e, day);
	if (t->watch_of[e->dport])
		add_watch(t, e, day, bit);
	add_fp(t, e, bit);
	add_tools(t, e, bit);
}

/* Day ends need nothing: srcmap counts new sources of the day as they come. */
void
dg_truth_day_end(struct dg_truth *t, int day)
{
	(void)t;
	(void)day;
}

/* Sources seen at the sensors in bits, from the main table. */
static uint64_t
src_count(const struct srcmap *m, uint8_t bit, int ex445)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < m->cap; i++)
		n += m->slot[i].key && ((ex445 ? m->slot[i].ex445 : m->slot[i].mask) & bit);
	return n;
}

/* Copy of the main table's masks as a u32map, for the shared helpers. */
static int
src_as_map(const struct srcmap *m, struct u32map *out)
{
	uint32_t cap = 1024;

	while (cap < 2 * m->n + 2)
		cap *= 2;
	if (u32map_init(out, cap))
		return -ENOMEM;
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->slot[i].key && u32map_or(out, m->slot[i].key, m->slot[i].mask))
			return -ENOMEM;
	return 0;
}

/* ---- JSON ---- */

static json_t *
ju(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *
jpct(uint64_t part, uint64_t whole)
{
	double v = whole ? 100.0 * (double)part / (double)whole : 0.0;
	return json_real((double)(long long)(v * 10000 + 0.5) / 10000);
}

static void
date_str(const struct dg_scenario *s, int day, char *buf, size_t n, int iso)
{
	struct tm tm;

	day_tm(s, day, &tm);
	strftime(buf, n, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d", &tm);
}

struct cc_count {
	int cc;
	uint64_t n;
};

static int
cmp_cc(const void *a, const void *b)
{
	const struct cc_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->cc - y->cc;
}

/* Unique sources per country among map entries with bit set. */
static json_t *
countries_json(const struct dg_scenario *s, const struct u32map *m, uint8_t bit,
	       const char *cc_name)
{
	struct cc_count c[DG_MAX_CC + 1];
	const char *unk = "ZZ";
	json_t *a = json_array();
	int n = s->ncc + 1;

	for (int i = 0; i < n; i++)
		c[i] = (struct cc_count){i, 0};
	for (uint32_t i = 0; i < m->cap; i++) {
		int cc;
		if (!m->keys[i] || !(m->vals[i] & bit))
			continue;
		cc = dg_country_of(s, m->keys[i]);
		c[cc < 0 ? s->ncc : cc].n++;
	}
	qsort(c, (size_t)n, sizeof(c[0]), cmp_cc);
	for (int i = 0; i < n && c[i].n; i++) {
		const char *name = c[i].cc < s->ncc ? s->country[c[i].cc].cc : unk;
		json_array_append_new(a, json_pack("{s:s,s:o}", cc_name, name, "unique_sources", ju(c[i].n)));
	}
	return a;
}

static uint64_t
count_with(const struct u32map *m, uint8_t bit)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < m->cap; i++)
		n += m->keys[i] && (m->vals[i] & bit);
	return n;
}

static json_t *
spp_json(const struct u32map *m, int nsensors)
{
	uint64_t h[DG_MAX_SENSORS + 1] = {0};
	json_t *o = json_object();
	char k[4];

	for (uint32_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			h[__builtin_popcount(m->vals[i])]++;
	for (int i = 1; i <= nsensors; i++) {
		snprintf(k, sizeof(k), "%d", i);
		json_object_set_new(o, k, ju(h[i]));
	}
	return o;
}

struct port_count {
	uint32_t port;
	uint64_t n;
};

static int
cmp_port(const void *a, const void *b)
{
	const struct port_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return (int)x->port - (int)y->port;
}

/* Nonzero ports sorted by count desc, port asc; caller frees. */
static struct port_count *
sorted_ports(const uint32_t *ports, size_t *n)
{
	struct port_count *v = malloc(65536 * sizeof(*v));
	size_t k = 0;

	for (uint32_t p = 0; v && p < 65536; p++)
		if (ports[p])
			v[k++] = (struct port_count){p, ports[p]};
	if (v)
		qsort(v, k, sizeof(*v), cmp_port);
	*n = k;
	return v;
}

static int
is_watched(const struct dg_scenario *s, uint32_t port)
{
	for (int i = 0; i < s->nwatch; i++)
		if (s->watch[i] == port)
			return 1;
	return 0;
}

static json_t *
ports_json(const struct dg_scenario *s, const struct per_sensor *p)
{
	json_t *top = json_array(), *all = json_object();
	size_t n;
	struct port_count *v = sorted_ports(p->ports, &n);
	char k[8];

	for (size_t i = 0; v && i < n; i++) {
		if (i < 20)
			json_array_append_new(top, json_pack("{s:i,s:o,s:o}", "port", (int)v[i].port,
							     "packets", ju(v[i].n), "share", jpct(v[i].n, p->syn)));
		if (v[i].n * 1000 >= p->syn || is_watched(s, v[i].port)) {
			snprintf(k, sizeof(k), "%u", v[i].port);
			json_object_set_new(all, k, ju(v[i].n));
		}
	}
	for (int i = 0; i < s->nwatch; i++) {
		snprintf(k, sizeof(k), "%u", s->watch[i]);
		if (!json_object_get(all, k))
			json_object_set_new(all, k, ju(0));
	}
	free(v);
	return json_pack("{s:o,s:o}", "top_ports", top, "ports", all);
}

static json_t *
series_json(const struct dg_truth *t, const struct per_sensor *p)
{
	json_t *d = json_array(), *m = json_array();
	char buf[16];

	for (int i = 0; i < t->s->ndays; i++) {
		date_str(t->s, i, buf, sizeof(buf), 0);
		json_array_append_new(d, json_pack("{s:s,s:o,s:o}", "day", buf, "packets", ju(p->day_pk[i]),
						   "unique_sources", ju(p->day_src[i])));
	}
	for (int i = 0; i < t->nmonths; i++)
		json_array_append_new(m, json_pack("{s:s,s:o,s:o}", "month", t->mon_label[i], "packets",
						   ju(p->mon_pk[i]), "unique_sources", ju(p->mon_src[i])));
	return json_pack("{s:o,s:o}", "daily", d, "monthly", m);
}

static json_t *
prefixes_json(const struct dg_sensor *sn)
{
	json_t *a = json_array();
	char ip[16], buf[24];

	for (int j = 0; j < sn->npfx; j++) {
		dg_fmt_ip(sn->pfx[j].base, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s/%d", ip, sn->pfx[j].len);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *
sensor_json(const struct dg_truth *t, const struct u32map *all, int i)
{
	const struct dg_sensor *sn = &t->s->sensor[i];
	const struct per_sensor *p = &t->sn[i];
	uint8_t bit = (uint8_t)(1u << i);
	json_t *o = json_object(), *pj = ports_json(t->s, p), *sj = series_json(t, p);

	json_object_set_new(o, "name", json_string(sn->name));
	json_object_set_new(o, "country", json_string(sn->cc));
	json_object_set_new(o, "prefixes", prefixes_json(sn));
	json_object_set_new(o, "addresses", ju(sn->naddr));
	json_object_set_new(o, "syn_packets", ju(p->syn));
	json_object_set_new(o, "unique_sources", ju(src_count(&t->src, bit, 0)));
	json_object_set(o, "top_ports", json_object_get(pj, "top_ports"));
	json_object_set(o, "ports", json_object_get(pj, "ports"));
	json_object_set_new(o, "excl_445", json_pack("{s:o,s:o}", "syn_packets", ju(p->excl445),
						     "unique_sources", ju(src_count(&t->src, bit, 1))));
	json_object_set(o, "daily", json_object_get(sj, "daily"));
	json_object_set(o, "monthly", json_object_get(sj, "monthly"));
	json_object_set_new(o, "countries", countries_json(t->s, all, bit, "country"));
	json_decref(pj);
	json_decref(sj);
	return o;
}

static int
same_slash16(const struct dg_sensor *sn, uint32_t a)
{
	for (int j = 0; j < sn->npfx; j++)
		if ((sn->pfx[j].base >> 16) == (a >> 16))
			return 1;
	return 0;
}

static json_t *
watch_sensor_json(const struct dg_truth *t, const struct watch_t *w, int i)
{
	const struct dg_sensor *sn = &t->s->sensor[i];
	uint8_t bit = (uint8_t)(1u << i);
	uint64_t same16 = 0, samecc = 0;

	for (uint32_t k = 0; k < w->all.cap; k++) {
		uint32_t a = w->all.keys[k];
		if (!a || !(w->all.vals[k] & bit))
			continue;
		same16 += (uint64_t)same_slash16(sn, a);
		samecc += dg_country_of(t->s, a) == sn->cc_idx;
	}
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "sensor", sn->name, "packets", ju(w->pk[i]),
			 "unique_sources", ju(count_with(&w->all, bit)),
			 "countries", countries_json(t->s, &w->all, bit, "country"),
			 "same_slash16_sources", ju(same16), "same_country_sources", ju(samecc));
}

/* "window_apr_jun" for a window from April to June. */
static const char *
window_key(const struct dg_scenario *s, int i)
{
	static char key[32];
	struct tm a, b;

	day_tm(s, s->win[i].day0, &a);
	day_tm(s, s->win[i].day1, &b);
	strftime(key, 12, "window_%b", &a);
	strftime(key + 10, 6, "_%b", &b);
	for (char *c = key; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	return key;
}

static json_t *
watch_json(const struct dg_truth *t, int i)
{
	const struct watch_t *w = &t->w[i];
	json_t *o = json_object(), *ps = json_array();

	json_object_set_new(o, "port", json_integer(t->s->watch[i]));
	json_object_set_new(o, "sources", ju(w->all.n));
	json_object_set_new(o, "sensors_per_source", spp_json(&w->all, t->s->nsensors));
	if (t->s->win[i].port >= 0) {
		char a[16], b[16];
		date_str(t->s, t->s->win[i].day0, a, sizeof(a), 0);
		date_str(t->s, t->s->win[i].day1, b, sizeof(b), 0);
		json_object_set_new(o, window_key(t->s, i), json_pack("{s:s,s:s,s:o,s:o}", "from", a, "to", b,
							   "sources", ju(w->win.n), "sensors_per_source",
							   spp_json(&w->win, t->s->nsensors)));
	}
	for (int s = 0; s < t->s->nsensors; s++)
		json_array_append_new(ps, watch_sensor_json(t, w, s));
	json_object_set_new(o, "per_sensor", ps);
	return o;
}

static json_t *
per_sensor_json(const struct dg_truth *t, const uint64_t *pk, const struct u32map *m)
{
	json_t *a = json_array();

	for (int i = 0; i < t->s->nsensors; i++)
		json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "sensor", t->s->sensor[i].name,
						   "packets", ju(pk[i]), "unique_sources",
						   ju(count_with(m, (uint8_t)(1u << i)))));
	return a;
}

static uint64_t
sum_pk(const uint64_t *pk, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		s += pk[i];
	return s;
}

static json_t *
fp_json(const struct dg_truth *t, int i)
{
	const struct dg_fp *f = &t->s->fp[i];
	const struct fp_t *x = &t->fp[i];
	json_t *ports = json_object();
	size_t n;
	struct port_count *v = sorted_ports(x->ports, &n);
	char k[8];

	for (size_t j = 0; v && j < n; j++) {
		snprintf(k, sizeof(k), "%u", v[j].port);
		json_object_set_new(ports, k, ju(v[j].n));
	}
	free(v);
	return json_pack("{s:i,s:I,s:i,s:i,s:o,s:o,s:o,s:o,s:o}", "sport", f->sport, "seq",
			 (json_int_t)f->seq, "ipid", f->ipid, "window", f->window, "packets",
			 ju(sum_pk(x->pk, t->s->nsensors)), "unique_sources", ju(x->src.n),
			 "per_sensor", per_sensor_json(t, x->pk, &x->src), "ports", ports,
			 "isn_target_slash16_packets", ju(x->isn16_pk));
}

static json_t *
tool_json(const struct dg_truth *t, int i)
{
	const struct tool_t *x = &t->tool[i];

	return json_pack("{s:s,s:o,s:o,s:o}", "tool", tool_names[i], "packets",
			 ju(sum_pk(x->pk, t->s->nsensors)), "unique_sources", ju(x->src.n),
			 "per_sensor", per_sensor_json(t, x->pk, &x->src));
}

static json_t *
classes_json(const struct dg_truth *t)
{
	json_t *c = json_object();

	for (int i = 0; i < DG_C_COUNT; i++)
		json_object_set_new(c, class_names[i], ju(t->cls[i]));
	return c;
}

static json_t *
noise_json(const struct dg_truth *t)
{
	json_t *c = json_object();

	for (int i = 1; i < DG_K_COUNT; i++)
		json_object_set_new(c, kind_names[i], ju(t->noise[i]));
	return c;
}

static json_t *
truth_json(const struct dg_truth *t, const struct u32map *all)
{
	const struct dg_scenario *s = t->s;
	json_t *o = json_object(), *a;
	char start[32], end[32];

	date_str(s, 0, start, sizeof(start), 1);
	date_str(s, s->ndays, end, sizeof(end), 1);
	json_object_set_new(o, "scenario", json_string(s->name));
	json_object_set_new(o, "seed", ju(s->seed));
	json_object_set_new(o, "scale", json_real(s->scale));
	json_object_set_new(o, "start", json_string(start));
	json_object_set_new(o, "end", json_string(end));
	json_object_set_new(o, "packets_total", ju(t->total));
	json_object_set_new(o, "classes", classes_json(t));
	json_object_set_new(o, "noise", noise_json(t));
	json_object_set_new(o, "sensors", a = json_array());
	for (int i = 0; i < s->nsensors; i++)
		json_array_append_new(a, sensor_json(t, all, i));
	json_object_set_new(o, "overlap_all", spp_json(all, s->nsensors));
	json_object_set_new(o, "watched_ports", a = json_array());
	for (int i = 0; i < s->nwatch; i++)
		json_array_append_new(a, watch_json(t, i));
	json_object_set_new(o, "fingerprints", a = json_array());
	for (int i = 0; i < s->nfp; i++)
		json_array_append_new(a, fp_json(t, i));
	json_object_set_new(o, "tools", a = json_array());
	for (int i = 0; i < 3; i++)
		json_array_append_new(a, tool_json(t, i));
	return o;
}

int
dg_truth_write(struct dg_truth *t, const char *path)
{
	json_t *o;
	int rc;

	struct u32map all;

	if (t->oom || src_as_map(&t->src, &all))
		return -ENOMEM;
	o = truth_json(t, &all);
	u32map_free(&all);
	rc = json_dump_file(o, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	return rc ? -EIO : 0;
}

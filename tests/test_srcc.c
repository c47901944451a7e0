/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_set's source cache (ds_set.c, "The source cache"): ds_set_burst()
 * skips the per-source updates a (sensor, source) already had and holds its
 * top-sources packets back until eviction or ds_set_flush(); after a poor
 * hit rate it counts directly for a while.  Whatever it skips or delays,
 * the flushed set must equal a reference that updates every structure
 * packet by packet from the same packets: HLL registers byte for byte,
 * bottom-K samples entry for entry, every top-sources entry with its exact
 * count and tool flags, count-min counters (the 8-bit port counters hold
 * counts back until they wrap or a flush: ports 80 and 23, a seventh of
 * the scans each, wrap theirs many times), and every counter.  First and last times are
 * checked to the second, as the cache keeps them (ds_set.c): never later
 * than the packet's time (ns, as given to ds_set_burst), never in an
 * earlier second.
 *
 * One deterministic stream of SYN scans at three sensors, in bursts of 1 to
 * 256 packets (crossing the 64-packet chunks), in phases, a table of cases:
 *  - repeaters: 300 sources, ~50 packets each, interleaved; some live
 *    inside a sensor prefix, some carry tool labels, always or now and then;
 *  - spread: ~60,000 sources of one packet each among the repeaters, at a
 *    rate that keeps the cache on: buckets that take more than their three
 *    ways push entries with pending packets out;
 *  - churn: ~100,000 more such sources, now 85 % of the scans: the cache
 *    is full and most scans push an entry out, so the set counts directly;
 *  - repeaters again, until the set has counted its 2^20 scans directly and
 *    uses the cache again;
 *  - one source sending 75,000 packets to one sensor without a flush;
 *  - hygiene: special-purpose sources, .0/.255 sources and cached sources
 *    sending to their own address, among clean ones;
 *  - a port found surging is watched mid-stream and cached sources keep
 *    sending to it (their entries lack its watch bit), with new repeaters;
 *  - bad input beside good: packets to no sensor, fragments, backscatter
 *    from cached sources, malformed and IPv6 packets, and empty bursts.
 * The set is flushed and compared after the first phase (before direct
 * counting has made every update once), after the spread (checking that
 * it evicted), after the hygiene phase and at the
 * end.  Then the set is cleared twice and fed repeaters again, each time
 * compared with a fresh reference: after the stream (most cache buckets
 * used: ds_set_clear zeroes the cache at once) and after those few
 * repeaters (it zeroes the used buckets one by one).  The whole stream
 * runs with hygiene_exclude on and off (and once more with another seed).
 *
 * Sizes keep the reference exact: the top-sources table never has to evict
 * (checked), and the bottom-K samples hold every source (checked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_set.h"
#include "ds_test.h"

#define N_SENSORS 3
#define A_NET 0x0b081000u	/* 11.8.16.0/21, sensor 0 */
#define D_NET 0x41740380u	/* 65.116.3.128/25, sensor 1 */
#define K_NET 0x2d500000u	/* 45.80.0.0/20, sensor 2 */
#define WATCHED 10073
#define EXCLUDED 445
#define SURGE_PORT 5000		/* watched from the surge phase on */
#define HEAVY 0x5d000001u	/* 93.0.0.1: 75,000 packets at sensor 0, one phase */
#define N_REP 300		/* repeaters from the first phase on */
#define N_LATE 200		/* and repeaters first seen after direct counting */
#define N_HOME 30		/* repeaters [0, N_HOME) live inside a sensor prefix */
#define MAX_BURST 256
#define NS 1000000000ull
#define T0 (1700000000 * NS + 250000000)	/* ns of the first burst */

static const struct {
	uint32_t net;
	unsigned len;
} nets[N_SENSORS] = { { A_NET, 21 }, { D_NET, 25 }, { K_NET, 20 } };

static struct ds_conf *
make_conf(int hygiene_exclude)
{
	static const char *const names[N_SENSORS] = { "A", "D", "K" };
	struct ds_conf *c = ds_conf_default();
	unsigned i;

	if (!c)
		return NULL;
	c->n_sensors = N_SENSORS;
	c->sensors = calloc(N_SENSORS, sizeof(*c->sensors));
	if (!c->sensors) {
		ds_conf_free(c);
		return NULL;
	}
	for (i = 0; i < N_SENSORS; i++) {
		strcpy(c->sensors[i].name, names[i]);
		strcpy(c->sensors[i].country, "JP");
		c->sensors[i].n_prefixes = 1;
		c->sensors[i].prefixes[0] = (struct ds_conf_prefix){ nets[i].net, nets[i].len };
		c->sensors[i].addresses = 1u << (32 - nets[i].len);
	}
	c->n_watched = 1;
	c->watched[0] = WATCHED;
	c->n_excluded = 1;
	c->excluded[0] = EXCLUDED;
	c->hygiene_exclude = hygiene_exclude;
	/* exact samples: more than the ~161,000 sources (~34,000 watched) */
	c->overlap_k = 1u << 18;
	c->watch_k = 1u << 16;
	/* 2^18 entries (32,768 buckets of 8) for ~101,000 keys evict ~200 by
	 * chance; 2^21 for ~161,000 do not (checked) */
	c->topsrc_log2 = 21;
	c->fp_table = 1 << 14;
	c->fp_detail = 64;
	return c;
}

static uint32_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)*x;
}

/* The sensor of dst by the configured prefixes (not ds_lpm), or -1. */
static int
sensor_of(uint32_t dst)
{
	unsigned i;

	for (i = 0; i < N_SENSORS; i++)
		if (dst >> (32 - nets[i].len) == nets[i].net >> (32 - nets[i].len))
			return (int)i;
	return -1;
}

/* ---- the reference: every structure updated packet by packet ---- */

/* One (sensor, source) of a top table: exact count, times, flags. */
struct pair {
	uint64_t key;		/* (sensor + 1) << 32 | src; 0 = free */
	uint64_t count;
	uint64_t first;
	uint64_t last;
	uint32_t flags;
};

struct pmap {
	struct pair *p;
	uint32_t mask;
	unsigned n;
};

struct ref {
	int hyg_excl;
	unsigned n_watch;
	uint8_t watch_slot[65536];	/* port -> slot + 1 */
	uint64_t classes[DS_SET__NCLASS];
	uint64_t malformed[DS_MAL__N];
	uint64_t hygiene[DS_HYG__N];
	struct ds_sensor_stats sensor[N_SENSORS];
	struct ds_cm *ports[N_SENSORS], *bs_ports[N_SENSORS];
	uint64_t port_scans[65536];
	struct ds_hll *src[N_SENSORS], *src_excl[N_SENSORS], *victims[N_SENSORS];
	struct ds_hll *tool_src[DS_TOOL__N][N_SENSORS];
	struct ds_hll *watch_src[DS_CONF_MAX_WATCHED][N_SENSORS];
	struct ds_bk *overlap, *watch_overlap[DS_CONF_MAX_WATCHED];
	struct pmap top_src, top_victims;
	const struct ds_conf *conf;
	int ok;			/* every allocation succeeded */
};

/* The slot of key: its pair, or the free slot where it would go. */
static struct pair *
pmap_slot(const struct pmap *m, uint64_t key)
{
	uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & m->mask;

	while (m->p[i].key && m->p[i].key != key)
		i = (i + 1) & m->mask;
	return &m->p[i];
}

static struct pair *
pmap_find(const struct pmap *m, uint64_t key)
{
	struct pair *p = pmap_slot(m, key);

	return p->key ? p : NULL;
}

static struct pair *
pmap_get(struct pmap *m, uint64_t key)
{
	struct pair *p = pmap_slot(m, key);

	if (!p->key) {
		if (2 * (m->n + 1) > m->mask)
			return NULL;	/* full: the caller's sizes are wrong */
		p->key = key;
		m->n++;
	}
	return p;
}

static void
pmap_add(struct ref *r, struct pmap *m, unsigned sn, uint32_t src, unsigned flags,
	 uint64_t ts)
{
	struct pair *e = pmap_get(m, ((uint64_t)(sn + 1) << 32) | src);

	if (!e) {
		r->ok = 0;
		return;
	}
	if (e->count++ == 0)
		e->first = ts;
	e->last = ts;
	e->flags |= flags;
}

static void
ref_watch(struct ref *r, uint16_t port)
{
	const struct ds_conf *c = r->conf;
	unsigned slot = r->n_watch++, i;

	r->watch_slot[port] = (uint8_t)(slot + 1);
	for (i = 0; i < N_SENSORS; i++)
		if (!(r->watch_src[slot][i] = ds_hll_create(c->watch_hll_p)))
			r->ok = 0;
	if (!(r->watch_overlap[slot] = ds_bk_create(c->watch_k, N_SENSORS)))
		r->ok = 0;
}

static struct ref *
ref_create(const struct ds_conf *c)
{
	struct ref *r = calloc(1, sizeof(*r));
	unsigned i, t;

	if (!r)
		return NULL;
	r->conf = c;
	r->ok = 1;
	r->hyg_excl = c->hygiene_exclude;
	for (i = 0; i < N_SENSORS; i++) {
		r->ports[i] = ds_cm_create(c->cm_width_log2, c->cm_depth);
		r->bs_ports[i] = ds_cm_create(c->cm_width_log2, c->cm_depth);
		r->src[i] = ds_hll_create(c->hll_p);
		r->src_excl[i] = ds_hll_create(c->hll_p);
		r->victims[i] = ds_hll_create(c->hll_p);
		if (!r->ports[i] || !r->bs_ports[i] || !r->src[i] || !r->src_excl[i] ||
		    !r->victims[i])
			r->ok = 0;
		for (t = 0; t < DS_TOOL__N; t++)
			if (!(r->tool_src[t][i] = ds_hll_create(c->watch_hll_p)))
				r->ok = 0;
	}
	r->overlap = ds_bk_create(c->overlap_k, N_SENSORS);
	r->top_src.mask = (1u << 19) - 1;
	r->top_src.p = calloc(r->top_src.mask + 1, sizeof(struct pair));
	r->top_victims.mask = (1u << 12) - 1;
	r->top_victims.p = calloc(r->top_victims.mask + 1, sizeof(struct pair));
	if (!r->overlap || !r->top_src.p || !r->top_victims.p)
		r->ok = 0;
	for (i = 0; i < c->n_watched; i++)
		ref_watch(r, c->watched[i]);
	return r;
}

static void
ref_free(struct ref *r)
{
	unsigned i, t;

	if (!r)
		return;
	for (i = 0; i < N_SENSORS; i++) {
		ds_cm_free(r->ports[i]);
		ds_cm_free(r->bs_ports[i]);
		ds_hll_free(r->src[i]);
		ds_hll_free(r->src_excl[i]);
		ds_hll_free(r->victims[i]);
		for (t = 0; t < DS_TOOL__N; t++)
			ds_hll_free(r->tool_src[t][i]);
		for (t = 0; t < r->n_watch; t++)
			ds_hll_free(r->watch_src[t][i]);
	}
	for (t = 0; t < r->n_watch; t++)
		ds_bk_free(r->watch_overlap[t]);
	ds_bk_free(r->overlap);
	free(r->top_src.p);
	free(r->top_victims.p);
	free(r);
}

/* What ds_set_burst() must do with p at time ts, done the plain way. */
static void
ref_packet(struct ref *r, const struct ds_pkt *p, uint64_t ts)
{
	struct ds_sensor_stats *ss;
	unsigned h, slot, excl, tools, t;
	uint64_t hash = ds_hash_u32(p->src);
	int sn = p->cls <= DS_CLASS_FRAGMENT ? sensor_of(p->dst) : -1;

	if (p->cls == DS_CLASS_MALFORMED)
		r->malformed[p->reason]++;
	if (sn < 0) {
		r->classes[p->cls < DS_CLASS_FRAGMENT ? DS_SET_OUTSIDE : p->cls]++;
		return;
	}
	ss = &r->sensor[sn];
	if (p->cls != DS_CLASS_SCAN) {
		r->classes[p->cls]++;
		ss->cls[p->cls]++;
		if (p->cls == DS_CLASS_BACKSCATTER) {
			ds_cm_add(r->bs_ports[sn], ds_cm_port_hash(p->sport), 1);
			ds_hll_add(r->victims[sn], hash);
			pmap_add(r, &r->top_victims, (unsigned)sn, p->src, 0, ts);
		}
		return;
	}
	h = ds_hygiene(p->src, p->dst);
	if (h) {
		r->hygiene[h]++;
		ss->hygiene[h]++;
		if (r->hyg_excl) {
			r->classes[DS_SET_HYGIENE]++;
			ss->cls[DS_SET_HYGIENE]++;
			return;
		}
	}
	slot = r->watch_slot[p->dport];
	excl = p->dport == EXCLUDED;
	tools = ds_set_tool_of(p);
	r->classes[DS_CLASS_SCAN]++;
	ss->cls[DS_CLASS_SCAN]++;
	ds_cm_add(r->ports[sn], ds_cm_port_hash(p->dport), 1);
	r->port_scans[p->dport]++;
	ds_hll_add(r->src[sn], hash);
	ds_bk_add(r->overlap, p->src, hash, (unsigned)sn);
	if (excl)
		ss->syn_excluded++;
	else
		ds_hll_add(r->src_excl[sn], hash);
	for (t = 0; t < DS_TOOL__N; t++)
		if (tools & DS_SET_FLAG_TOOL(t)) {
			ss->tool_packets[t]++;
			ds_hll_add(r->tool_src[t][sn], hash);
		}
	if (slot) {
		ss->watch_packets[slot - 1]++;
		ds_hll_add(r->watch_src[slot - 1][sn], hash);
		ds_bk_add(r->watch_overlap[slot - 1], p->src, hash, (unsigned)sn);
	}
	pmap_add(r, &r->top_src, (unsigned)sn, p->src, tools, ts);
}

/* ---- the stream ---- */

enum { PH_REPEAT, PH_SPREAD, PH_CHURN, PH_HEAVY, PH_HYGIENE, PH_SURGE, PH_STRAY };

/* Tool label of a repeater: fixed, or drawn per packet (MIXED), so that
 * some cached sources show a label only after they were cached. */
enum { ST_PLAIN, ST_ZMAP, ST_MIRAI, ST_MASSCAN, ST_MIXED, ST__N };

struct gen {
	uint64_t x;
	uint32_t rep[N_REP + N_LATE];
	uint32_t churn;		/* churn sources so far */
};

static void
gen_init(struct gen *g, uint64_t seed)
{
	unsigned i;

	g->x = seed;
	g->churn = 0;
	/* home repeaters: inside a sensor prefix, low byte not 0 or 255 */
	for (i = 0; i < N_HOME; i++)
		g->rep[i] = nets[i % N_SENSORS].net + 10 + i;
	/* 91.16.0.0 and up: not special, low byte 1..250 */
	for (; i < N_REP + N_LATE; i++)
		g->rep[i] = 0x5b100000u + (i << 8) + 1 + i % 250;
}

static uint32_t
dst_at(struct gen *g, unsigned sn)
{
	return nets[sn].net + rnd(&g->x) % (1u << (32 - nets[sn].len));
}

/* A destination at a random sensor, sensor 0 twice as often. */
static uint32_t
dst_any(struct gen *g)
{
	unsigned k = rnd(&g->x) % 4;

	return dst_at(g, k == 3 ? 0 : k);
}

static uint16_t
pick_port(struct gen *g)
{
	static const uint16_t ports[] = { 80, 23, EXCLUDED, WATCHED, SURGE_PORT };
	uint32_t k = rnd(&g->x) % 7;

	return k < 5 ? ports[k] : (uint16_t)rnd(&g->x);
}

static struct ds_pkt
scan(struct gen *g, uint32_t src, uint32_t dst, uint16_t dport, unsigned style)
{
	struct ds_pkt p = { 0 };
	uint32_t k = rnd(&g->x);

	p.cls = DS_CLASS_SCAN;
	p.src = src;
	p.dst = dst;
	p.sport = (uint16_t)(1024 + k % 60000);
	p.dport = dport;
	p.seq = rnd(&g->x);
	p.ipid = (uint16_t)(k >> 16);
	p.win = (k & 1) ? 1024 : 65535;
	p.tcp_flags = 0x02;
	p.ttl = (uint8_t)(40 + (k >> 8) % 24);
	p.iplen = 40;
	if (style == ST_MIXED)	/* drawn per packet; MIXED again: ZMap and Mirai */
		style = (k >> 4) % ST__N;
	switch (style) {
	case ST_ZMAP:
		p.ipid = 54321;
		break;
	case ST_MIRAI:
		p.seq = p.dst;
		break;
	case ST_MASSCAN:
		p.ipid = (uint16_t)((p.dst ^ p.dport ^ p.seq) & 0xffff);
		break;
	case ST_MIXED:
		p.seq = p.dst;
		p.ipid = 54321;
		break;
	}
	return p;
}

/* A packet of a repeater (late: of any, else of the first N_REP). */
static struct ds_pkt
repeater(struct gen *g, uint16_t dport, int late)
{
	unsigned r = rnd(&g->x) % (late ? N_REP + N_LATE : N_REP);

	return scan(g, g->rep[r], dst_any(g), dport ? dport : pick_port(g), r % (ST__N + 2));
}

/* A source the hygiene rule rejects (src == dst aside). */
static uint32_t
bad_source(struct gen *g)
{
	uint32_t k = rnd(&g->x);

	switch (k % 5) {
	case 0:
		return 0xc6336400u | (1 + (k >> 8) % 254);	/* 198.51.100/24 */
	case 1:
		return 0x0a000000u | (k >> 8);			/* 10/8 */
	case 2:
		return 0xc0a80000u | ((k >> 8) & 0xffff);	/* 192.168/16 */
	case 3:
		return 0x5bc80000u | ((k >> 8) % 64) << 8;	/* 91.200.x.0 */
	default:
		return 0x5bc800ffu | ((k >> 8) % 64) << 8;	/* 91.200.x.255 */
	}
}

/* 48.0.0.0 and up: one new source each, low byte 1..254. */
static struct ds_pkt
churn_source(struct gen *g, uint32_t k)
{
	g->churn++;
	return scan(g, 0x30000000u + (g->churn / 254 << 8) + 1 + g->churn % 254,
		    dst_any(g), pick_port(g), k % ST__N);
}

static struct ds_pkt
next_packet(struct gen *g, unsigned kind)
{
	uint32_t k = rnd(&g->x) % 20;
	struct ds_pkt p;

	switch (kind) {
	case PH_SPREAD:	/* 60 % cached repeaters keep the cache on */
		return k < 12 ? repeater(g, 0, 0) : churn_source(g, k);
	case PH_CHURN:	/* the repeaters go on meanwhile */
		return k < 3 ? repeater(g, 0, 0) : churn_source(g, k);
	case PH_HYGIENE:
		if (k < 13)
			return repeater(g, 0, 0);
		if (k < 17)
			return scan(g, bad_source(g), dst_any(g), pick_port(g), k % ST__N);
		if (k < 19) {	/* a cached home repeater to its own address */
			uint32_t a = g->rep[rnd(&g->x) % N_HOME];

			return scan(g, a, a, pick_port(g), ST_PLAIN);
		}
		{	/* any sensor address to itself */
			uint32_t a = dst_any(g);

			return scan(g, a, a, pick_port(g), ST_ZMAP);
		}
	case PH_HEAVY:
		if (k < 5)
			return repeater(g, 0, 0);
		return scan(g, HEAVY, dst_at(g, 0), pick_port(g), k % ST__N);
	case PH_SURGE:
		return repeater(g, k < 10 ? SURGE_PORT : 0, 1);
	case PH_STRAY:
		if (k < 10)
			return repeater(g, 0, 1);
		p = repeater(g, 0, 1);
		switch (k) {
		case 10:
		case 11:	/* to no sensor: 8.8.0.0/16 */
			p.dst = 0x08080000u | (rnd(&g->x) & 0xffff);
			break;
		case 12:
		case 13:
		case 14:	/* a cached source answering: backscatter */
			p.cls = DS_CLASS_BACKSCATTER;
			p.tcp_flags = 0x12;
			p.sport = p.dport;
			break;
		case 15:	/* fragment, at a sensor */
			p.cls = DS_CLASS_FRAGMENT;
			break;
		case 16:	/* fragment, to no sensor */
			p.cls = DS_CLASS_FRAGMENT;
			p.dst = 0x08080000u | (rnd(&g->x) & 0xffff);
			break;
		case 17:
			p.cls = DS_CLASS_MALFORMED;
			p.reason = DS_MAL_BAD_DOFF;
			break;
		case 18:	/* another class at a sensor */
			p.cls = DS_CLASS_UDP;
			break;
		default:
			p.cls = DS_CLASS_IPV6;
			break;
		}
		return p;
	default:
		return repeater(g, 0, 0);
	}
}

/* ---- checks ---- */

static char what_buf[256];

static const char *
what(const char *run, const char *thing, int i)
{
	if (i >= 0)
		snprintf(what_buf, sizeof(what_buf), "%s: %s %d", run, thing, i);
	else
		snprintf(what_buf, sizeof(what_buf), "%s: %s", run, thing);
	return what_buf;
}

struct bk_rows {
	uint32_t *src;
	uint64_t *bits;
	unsigned n, cap;
};

static int
collect(uint32_t src, const uint64_t *bits, void *arg)
{
	struct bk_rows *r = arg;

	if (r->n == r->cap)
		return 1;
	r->src[r->n] = src;
	r->bits[r->n++] = bits[0];
	return 0;
}

/* Same sources with the same sensor bitmaps, in the same (hash) order. */
static void
check_bk(struct ds_bk *got, struct ds_bk *want, unsigned k, const char *run,
	 const char *thing)
{
	struct bk_rows a = { calloc(k, 4), calloc(k, 8), 0, k };
	struct bk_rows b = { calloc(k, 4), calloc(k, 8), 0, k };

	if (CHECK(a.src && a.bits && b.src && b.bits, "alloc")) {
		CHECK(ds_bk_exact(want), what(run, thing, -1));	/* the sizes are right */
		CHECK(ds_bk_foreach(got, collect, &a) == 0, what(run, thing, -1));
		ds_bk_foreach(want, collect, &b);
		CHECK(a.n == b.n, what(run, thing, -1));
		CHECK(a.n == b.n && memcmp(a.src, b.src, (size_t)a.n * 4) == 0 &&
		      memcmp(a.bits, b.bits, (size_t)a.n * 8) == 0, what(run, thing, -1));
	}
	free(a.src);
	free(a.bits);
	free(b.src);
	free(b.bits);
}

/* Time got stands for time want to the second, rounded down. */
static int
same_second(uint64_t got, uint64_t want)
{
	return got <= want && got / NS == want / NS;
}

/* Every entry of the set's table is the reference's pair, and no pair is
 * missing. */
static void
check_top(const struct ds_topk *t, const struct pmap *m, unsigned cap_log2, const char *run,
	  const char *thing)
{
	unsigned cap = 1u << cap_log2, n, i, bad = 0;
	struct ds_topk_entry *e = calloc(cap, sizeof(*e));

	if (!CHECK(e, "alloc"))
		return;
	CHECK(ds_topk_evictions(t) == 0, what(run, thing, -1));	/* exact by design */
	n = ds_topk_top(t, e, cap, NULL, NULL);
	CHECK(n == m->n, what(run, thing, -1));
	for (i = 0; i < n; i++) {
		const struct pair *p = pmap_find(m, e[i].key);

		if (p && p->count == e[i].count && same_second(e[i].first, p->first) &&
		    same_second(e[i].last, p->last) && p->flags == e[i].flags)
			continue;
		if (bad++ < 5)
			fprintf(stderr, "%s: %s key %016llx: count %llu first %llu last %llu"
				" flags %x, want %llu %llu %llu %x\n", run, thing,
				(unsigned long long)e[i].key, (unsigned long long)e[i].count,
				(unsigned long long)e[i].first, (unsigned long long)e[i].last,
				e[i].flags, (unsigned long long)(p ? p->count : 0),
				(unsigned long long)(p ? p->first : 0),
				(unsigned long long)(p ? p->last : 0), p ? p->flags : 0);
	}
	CHECK(bad == 0, what(run, thing, -1));
	free(e);
}

static int
same_hll(struct ds_hll *a, struct ds_hll *b)
{
	return ds_hll_precision(a) == ds_hll_precision(b) &&
	       memcmp(ds_hll_registers(a), ds_hll_registers(b),
		      (size_t)1 << ds_hll_precision(a)) == 0;
}

static int
same_cm(struct ds_cm *a, struct ds_cm *b)
{
	return memcmp(ds_cm_counters(a), ds_cm_counters(b),
		      (size_t)4 * ds_cm_width(a) * ds_cm_depth(a)) == 0;
}

static void
compare(struct ds_set *s, struct ref *r, const char *run)
{
	const struct ds_conf *c = s->conf;
	unsigned i, t;

	CHECK(memcmp(s->classes, r->classes, sizeof(r->classes)) == 0, what(run, "classes", -1));
	CHECK(memcmp(s->malformed, r->malformed, sizeof(r->malformed)) == 0,
	      what(run, "malformed", -1));
	CHECK(memcmp(s->hygiene, r->hygiene, sizeof(r->hygiene)) == 0, what(run, "hygiene", -1));
	CHECK(s->n_watch == r->n_watch, what(run, "watched slots", -1));
	CHECK(memcmp(s->port_scans, r->port_scans, sizeof(r->port_scans)) == 0,
	      what(run, "scans per port", -1));
	for (i = 0; i < N_SENSORS; i++) {
		const struct ds_sensor_stats *a = &s->sensor[i], *b = &r->sensor[i];

		CHECK(memcmp(a->cls, b->cls, sizeof(a->cls)) == 0, what(run, "classes at sensor", i));
		CHECK(a->syn_excluded == b->syn_excluded, what(run, "syn_excluded at sensor", i));
		CHECK(memcmp(a->tool_packets, b->tool_packets, sizeof(a->tool_packets)) == 0,
		      what(run, "tool_packets at sensor", i));
		CHECK(memcmp(a->watch_packets, b->watch_packets, sizeof(a->watch_packets)) == 0,
		      what(run, "watch_packets at sensor", i));
		CHECK(memcmp(a->hygiene, b->hygiene, sizeof(a->hygiene)) == 0,
		      what(run, "hygiene at sensor", i));
		CHECK(same_cm(s->ports[i], r->ports[i]), what(run, "port count-min at sensor", i));
		CHECK(same_cm(s->bs_ports[i], r->bs_ports[i]),
		      what(run, "backscatter port count-min at sensor", i));
		CHECK(same_hll(s->src[i], r->src[i]), what(run, "src HLL at sensor", i));
		CHECK(same_hll(s->src_excl[i], r->src_excl[i]), what(run, "src_excl HLL at sensor", i));
		CHECK(same_hll(s->victims[i], r->victims[i]), what(run, "victims HLL at sensor", i));
		for (t = 0; t < DS_TOOL__N; t++)
			CHECK(same_hll(s->tool_src[t * N_SENSORS + i], r->tool_src[t][i]),
			      what(run, ds_set_tool_name(t), i));
		for (t = 0; t < r->n_watch && t < s->n_watch; t++)
			CHECK(same_hll(s->watch_src[t * N_SENSORS + i], r->watch_src[t][i]),
			      what(run, t ? "surge port HLL at sensor" : "watched port HLL at sensor", i));
	}
	check_bk(s->overlap, r->overlap, c->overlap_k, run, "overlap sample");
	for (t = 0; t < r->n_watch && t < s->n_watch; t++)
		check_bk(s->watch_overlap[t], r->watch_overlap[t], c->watch_k, run,
			 t ? "surge port sample" : "watched port sample");
	check_top(s->top_src, &r->top_src, c->topsrc_log2, run, "top sources");
	check_top(s->top_victims, &r->top_victims, c->topsrc_log2 - 2, run, "top victims");
}

/* ---- the cases ---- */

static const struct phase {
	const char *name;
	unsigned kind;		/* PH_* */
	unsigned packets;
	int direct;		/* s->srcc_direct != 0 after the phase (-1: either) */
	int check;		/* then flush and compare with the reference */
} phases[] = {
	/* compared before direct counting has done every update once */
	{ "repeaters", PH_REPEAT, 15000, 0, 1 },
	/* 40 % one-packet sources, ~60,000, with the cache on (60 % hits):
	 * buckets that take more than their three ways push entries with
	 * pending packets out */
	{ "spread", PH_SPREAD, 150000, 0, 1 },
	/* 85 % one-packet sources: ~100,000 of them */
	{ "churn", PH_CHURN, 118000, 1, 0 },
	/* direct counting lasts 2^20 scans (SRCC_DIRECT) from the first
	 * poor window of the churn: ~940,000 of these, the rest cached */
	{ "repeaters again", PH_REPEAT, 1030000, 0, 0 },
	/* more pending packets than a 16-bit count holds */
	{ "one heavy source", PH_HEAVY, 100000, 0, 0 },
	{ "hygiene", PH_HYGIENE, 40000, 0, 1 },
	{ "surge port watched", PH_SURGE, 40000, 0, 0 },
	{ "stray packets", PH_STRAY, 20000, -1, 1 },
};

static const struct run {
	const char *name;
	int hygiene_exclude;
	uint64_t seed;
} runs[] = {
	{ "hygiene excluded", 1, 88172645463325252ull },
	{ "hygiene kept", 0, 88172645463325252ull },
	{ "hygiene kept, other seed", 0, 0x5eed5eed12345ull },
};

/* Repeaters into a cleared set (one_run). */
static const struct phase after_clear = { "repeaters after a clear", PH_REPEAT, 15000, 0, 1 };

/* Phase f's packets, in bursts of 1 to MAX_BURST, into the set and the
 * reference; *ts advances, *last is the last burst's time. */
static void
feed(struct ds_set *s, const struct ds_lpm *l, struct ref *r, struct gen *g,
     const struct phase *f, uint64_t *ts, uint64_t *last, const char *run)
{
	static struct ds_pkt buf[MAX_BURST];
	unsigned left = f->packets, i;

	while (left) {
		unsigned n = rnd(&g->x) % 8 == 0 ? 65 + rnd(&g->x) % (MAX_BURST - 64) :
						   1 + rnd(&g->x) % 64;

		if (n > left)
			n = left;
		for (i = 0; i < n; i++) {
			buf[i] = next_packet(g, f->kind);
			ref_packet(r, &buf[i], *ts);
		}
		ds_set_burst(s, l, buf, n, *ts);
		*last = *ts;
		left -= n;
		*ts += 1 + rnd(&g->x) % (NS / 10);	/* ~25 min in all */
		if (f->kind == PH_STRAY && rnd(&g->x) % 16 == 0) {
			/* bad input: an empty burst, even from the future,
			 * changes nothing */
			uint64_t before = ds_set_packets(s);

			ds_set_burst(s, l, buf, 0, *ts + (1ull << 40));
			CHECK(ds_set_packets(s) == before && s->last_ts == *last,
			      what(run, "empty burst", -1));
		}
	}
}

static void
one_run(const struct run *ru)
{
	struct ds_conf *c = make_conf(ru->hygiene_exclude);
	struct ds_lpm *l = c ? ds_set_sensor_lpm(c) : NULL;
	struct ds_set *s = c ? ds_set_create(c) : NULL;
	struct ref *r = c ? ref_create(c) : NULL;
	static struct ds_pkt buf[MAX_BURST];
	static struct gen g;
	uint64_t ts = T0, last = 0;
	unsigned ph, k;

	if (!CHECK(c && l && s && r && r->ok, what(ru->name, "create", -1)))
		goto out;
	gen_init(&g, ru->seed);
	/* bad input: an empty burst before any packet assigns no time */
	ds_set_burst(s, l, buf, 0, 7);
	CHECK(s->first_ts == 0 && s->last_ts == 0 && ds_set_packets(s) == 0,
	      what(ru->name, "empty burst on an empty set", -1));
	for (ph = 0; ph < sizeof(phases) / sizeof(phases[0]); ph++) {
		const struct phase *f = &phases[ph];
		uint64_t hits = s->srcc_hits;

		if (f->kind == PH_SURGE) {
			CHECK(ds_set_watch(s, SURGE_PORT, 1) == 0, what(ru->name, f->name, -1));
			ref_watch(r, SURGE_PORT);
		}
		feed(s, l, r, &g, f, &ts, &last, ru->name);
		CHECK(s->srcc_hits > hits, what(ru->name, f->name, -1));
		if (f->direct >= 0)
			CHECK((s->srcc_direct != 0) == f->direct, what(ru->name, f->name, -1));
		if (f->check) {
			char label[128];

			snprintf(label, sizeof(label), "%s, after %s", ru->name, f->name);
			CHECK(r->ok, what(label, "reference tables large enough", -1));
			ds_set_flush(s);
			compare(s, r, label);
			if (f->kind == PH_SPREAD)	/* pending packets written out */
				CHECK(s->srcc_victims > 1000, what(label, "cache victims", -1));
		}
	}
	CHECK(g.churn > 150000, what(ru->name, "churn sources", -1));
	CHECK(s->first_ts == T0 && s->last_ts == last, what(ru->name, "first and last times", -1));
	CHECK(s->srcc_hits > 0 && s->srcc_misses > 0, what(ru->name, "cache used", -1));
	/* a second flush has nothing left to write */
	ds_set_flush(s);
	check_top(s->top_src, &r->top_src, c->topsrc_log2, ru->name, "top sources, flushed twice");
	/* a cleared set counts from nothing: cleared after this stream (most
	 * cache buckets used: zeroed at once), then after a few repeaters
	 * (the used buckets one by one) */
	for (k = 0; k < 2; k++) {
		char label[128];

		snprintf(label, sizeof(label), "%s, cleared after %s", ru->name,
			 k ? "a few repeaters" : "the stream");
		ds_set_clear(s);
		ref_free(r);
		r = ref_create(c);
		if (!CHECK(r && r->ok, what(label, "create", -1)))
			goto out;
		ref_watch(r, SURGE_PORT);
		feed(s, l, r, &g, &after_clear, &ts, &last, ru->name);
		CHECK(s->srcc_hits > 0 && s->srcc_victims == 0, what(label, "cache used", -1));
		ds_set_flush(s);
		compare(s, r, label);
	}
out:
	ref_free(r);
	ds_set_free(s);
	ds_lpm_free(l);
	ds_conf_free(c);
}

/*
 * When the set stops probing the cache: a table of streams into a new set,
 * each source sending `syns` SYNs `gap` scans apart (sources in order,
 * then their second SYNs, ...), and whether the set counts directly at the
 * end.  A period starts with an empty cache, so its first window misses
 * every first SYN: those misses find a free way and must not turn the
 * cache off (the rule counts only misses that push an entry out).
 */
static const struct mode_case {
	const char *name;
	unsigned sources, syns;
	int direct;
} mode_cases[] = {
	/* the first 4096 scans: 3000 first SYNs, 1096 hits (27 %) */
	{ "period start, 3,000 sources x 3 SYNs", 3000, 3, 0 },
	{ "period start, 20,000 sources x 2 SYNs", 20000, 2, 0 },
	/* more pairs than the 98,304 entries: full buckets, no hit */
	{ "131,072 sources x 1 SYN", 131072, 1, 1 },
	/* each second SYN comes after 120,000 others: evicted by then */
	{ "120,000 sources x 2 SYNs, all first SYNs first", 120000, 2, 1 },
};

static void
mode_case(const struct mode_case *m)
{
	struct ds_conf *c = make_conf(0);
	struct ds_lpm *l = c ? ds_set_sensor_lpm(c) : NULL;
	struct ds_set *s = c ? ds_set_create(c) : NULL;
	static struct ds_pkt buf[64];
	struct gen g;
	unsigned n = 0, k, i;

	if (!CHECK(c && l && s, what(m->name, "create", -1)))
		goto out;
	gen_init(&g, 7);
	for (k = 0; k < m->syns; k++)
		for (i = 0; i < m->sources; i++) {
			/* 48.0.0.0 and up, low byte 1..254, at sensor i % 3 */
			buf[n++] = scan(&g, 0x30000000u + (i / 254 << 8) + 1 + i % 254,
					dst_at(&g, i % N_SENSORS), 80, ST_PLAIN);
			if (n == 64) {
				ds_set_burst(s, l, buf, n, T0);
				n = 0;
			}
		}
	ds_set_burst(s, l, buf, n, T0);
	CHECK((s->srcc_direct != 0) == m->direct, what(m->name, "counting directly", -1));
out:
	ds_set_free(s);
	ds_lpm_free(l);
	ds_conf_free(c);
}

int
main(void)
{
	unsigned i;

	for (i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]); i++)
		mode_case(&mode_cases[i]);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		one_run(&runs[i]);
	return ds_test_done("test_srcc");
}

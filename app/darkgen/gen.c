/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen generation, one UTC day at a time.
 *
 * A pool of N sources active over W days introduces its sources in index
 * order, ceil(N * (k + 1) / W) of them by day k, and gives each new source
 * one probe at every sensor of its set on the day it appears; the rest of
 * the day's packets (packets / W) go to sources drawn uniformly from those
 * introduced so far.  A source's address and sensor set are pure functions
 * of (seed, campaign, index) (addr.c), so nothing per source is stored.
 * The day's events are then shuffled and stamped with stratified,
 * nondecreasing timestamps, built and written.  Memory: one day's events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "dg_rng.h"

struct evbuf {
	struct dg_event *ev;
	size_t n, cap;
	uint64_t clean;
};

struct gen {
	const struct dg_scenario *s;
	struct dg_rng rng;
	struct evbuf eb;
	double blk_cum[DG_MAX_BLOCKS];
	int blk_idx[DG_MAX_BLOCKS];
	int nblk;
	double noise_cum[DG_K_COUNT];
};

static const uint16_t windows[] = {1024, 4128, 5840, 8192, 14600, 16384, 29200, 65535};

static struct dg_event *
push(struct evbuf *eb)
{
	if (eb->n == eb->cap) {
		size_t cap = eb->cap ? eb->cap * 2 : 65536;
		struct dg_event *ev = realloc(eb->ev, cap * sizeof(*ev));
		if (!ev)
			return NULL;
		eb->ev = ev;
		eb->cap = cap;
	}
	return &eb->ev[eb->n++];
}

static uint32_t
source_addr(const struct dg_scenario *s, const struct dg_campaign *cp, uint64_t g)
{
	uint64_t h = dg_hash3(cp->key, g, 1);

	if (cp->has_cidr)
		return dg_cidr_addr(&cp->cidr, g, cp->key);
	return dg_country_addr(s, cp->cc_idx[dg_pick(cp->cc_cum, cp->ncc, h)], g, cp->key);
}

/* Sensor set (bit mask) of overlap-mode source g. */
static unsigned
overlap_mask(const struct dg_scenario *s, const struct dg_campaign *cp, uint64_t g)
{
	uint64_t h = dg_hash3(cp->key, g, 2);
	int k = dg_pick(cp->spp_cum, s->nsensors, h) + 1;
	unsigned mask = 0;

	for (int j = 0; j < k; j++) {
		double sum = 0, u;
		int pick = -1;
		for (int i = 0; i < s->nsensors; i++)
			sum += (mask >> i & 1) ? 0 : cp->sw[i];
		if (sum <= 0)
			break;
		u = dg_unit(dg_mix64(h + (uint64_t)j + 1)) * sum;
		for (int i = 0; i < s->nsensors && pick < 0; i++) {
			double w = (mask >> i & 1) ? 0 : cp->sw[i];
			if (u < w)
				pick = i;
			u -= w;
		}
		mask |= 1u << (pick < 0 ? 0 : pick);
	}
	return mask;
}

static unsigned
pool_mask(const struct dg_scenario *s, const struct dg_campaign *cp,
	  const struct dg_pool *p, uint64_t g)
{
	return p->sensor >= 0 ? 1u << p->sensor : overlap_mask(s, cp, g);
}

static int
nth_bit(unsigned mask, uint64_t r)
{
	int n = __builtin_popcount(mask), k = (int)dg_below(r, (uint64_t)n);

	for (int i = 0; i < 32; i++)
		if ((mask >> i & 1) && k-- == 0)
			return i;
	return 0;
}

static uint32_t
target_addr(struct gen *g, const struct dg_campaign *cp, int sensor)
{
	const struct dg_sensor *sn = &g->s->sensor[sensor];
	uint32_t a = dg_sensor_addr(sn, dg_rng_next(&g->rng));

	for (int i = 0; cp->filter_low && i < 64; i++) {
		if (((a >> 16) & 255) < 128 && (a & 255) < 128)
			break;
		a = dg_sensor_addr(sn, dg_rng_next(&g->rng));
	}
	return a;
}

static inline int
masscan_match(const struct dg_event *e)
{
	return e->ipid == ((e->dst ^ e->dport ^ e->seq) & 0xffff);
}

/* Keep random fields from matching another tool's rule by accident. */
static void
fix_rules(struct dg_event *e, int tool, int seq_random, int ipid_random)
{
	for (int i = 0; i < 8; i++) {
		int bad = 0;
		if (tool != DG_TOOL_MIRAI && seq_random && e->seq == e->dst)
			e->seq++, bad = 1;
		if (tool != DG_TOOL_ZMAP && ipid_random && e->ipid == 54321)
			e->ipid++, bad = 1;
		if (tool < DG_TOOL_MASSCAN && ipid_random && masscan_match(e))
			e->ipid++, bad = 1;
		if (tool != DG_TOOL_MASSCAN && tool != DG_TOOL_MASSCAN_NEW && !ipid_random &&
		    seq_random && masscan_match(e))
			e->seq += 2, bad = 1;
		if (!bad)
			return;
	}
}

static void
tool_header(struct gen *g, struct dg_event *e, int tool)
{
	switch (tool) {
	case DG_TOOL_MIRAI:
		e->seq = e->dst;
		e->ttl = (uint8_t)(40 + dg_rng_below(&g->rng, 24));
		fix_rules(e, tool, 0, 1);
		break;
	case DG_TOOL_ZMAP:
		e->ipid = 54321;
		e->win = 65535;
		e->ttl = (uint8_t)(230 + dg_rng_below(&g->rng, 20));
		fix_rules(e, tool, 1, 0);
		break;
	case DG_TOOL_MASSCAN:
	case DG_TOOL_MASSCAN_NEW:
		if (e->seq == e->dst)
			e->seq++;
		e->ipid = (uint16_t)((e->dst ^ e->dport ^ e->seq) & 0xffff);
		if (e->ipid == 54321) {
			e->seq += e->seq + 1 == e->dst ? 2 : 1;
			e->ipid = (uint16_t)((e->dst ^ e->dport ^ e->seq) & 0xffff);
		}
		e->win = tool == DG_TOOL_MASSCAN ? 1024 : 1025;
		e->ttl = (uint8_t)(230 + dg_rng_below(&g->rng, 20));
		e->flags = tool == DG_TOOL_MASSCAN_NEW ? DG_F_MSS : 0;
		break;
	default:
		break;
	}
}

static void
random_header(struct gen *g, struct dg_event *e)
{
	uint64_t r = dg_rng_next(&g->rng);

	e->sport = (uint16_t)(1024 + dg_below(r, 64512));
	e->seq = (uint32_t)(r >> 32);
	e->ipid = (uint16_t)(dg_rng_next(&g->rng) >> 48);
	e->win = windows[(r >> 20) & 7];
	e->ttl = (uint8_t)(40 + ((r >> 24) % 90));
	e->flags = 0;
}

static int
watched(const struct dg_scenario *s, uint16_t port)
{
	for (int i = 0; i < s->nwatch; i++)
		if (s->watch[i] == port)
			return 1;
	return 0;
}

/* A random "other" port: never a watched port, so that the watched ports'
 * sources are the planted ones. */
static uint16_t
other_port(struct gen *g)
{
	uint16_t p;

	do
		p = (uint16_t)(1 + dg_rng_below(&g->rng, 65535));
	while (watched(g->s, p));
	return p;
}

static uint16_t
pick_port(struct gen *g, const struct dg_campaign *cp)
{
	uint16_t p = cp->port[dg_pick(cp->port_cum, cp->nport, dg_rng_next(&g->rng))];

	return p ? p : other_port(g);
}

static int
probe(struct gen *g, const struct dg_campaign *cp, uint32_t src, int sensor)
{
	struct dg_event *e = push(&g->eb);

	if (!e)
		return -ENOMEM;
	random_header(g, e);
	e->kind = DG_K_SCAN;
	e->sensor = (uint8_t)sensor;
	e->src = src;
	e->dst = target_addr(g, cp, sensor);
	e->dport = pick_port(g, cp);
	if (cp->sport != DG_RANDOM)
		e->sport = (uint16_t)cp->sport;
	if (cp->seq != DG_RANDOM)
		e->seq = (uint32_t)cp->seq;
	if (cp->ipid != DG_RANDOM)
		e->ipid = (uint16_t)cp->ipid;
	if (cp->window != DG_RANDOM)
		e->win = (uint16_t)cp->window;
	if (cp->ttl != DG_RANDOM)
		e->ttl = (uint8_t)cp->ttl;
	if (dg_unit(dg_rng_next(&g->rng)) < cp->ipopt_share)
		e->flags |= DG_F_IPOPT;
	if (cp->tool != DG_TOOL_NONE)
		tool_header(g, e, cp->tool);
	else
		fix_rules(e, DG_TOOL_NONE, cp->seq == DG_RANDOM, cp->ipid == DG_RANDOM);
	g->eb.clean++;
	return 0;
}

static uint64_t
introduced(const struct dg_pool *p, int k, int w)
{
	return (p->sources * (uint64_t)(k + 1) + (uint64_t)w - 1) / (uint64_t)w;
}

static int
pool_day(struct gen *g, const struct dg_campaign *cp, const struct dg_pool *p, int k)
{
	const struct dg_scenario *s = g->s;
	int w = cp->day1 - cp->day0 + 1;
	uint64_t i0 = k ? introduced(p, k - 1, w) : 0, i1 = introduced(p, k, w);
	uint64_t pk = p->packets * (uint64_t)(k + 1) / (uint64_t)w - p->packets * (uint64_t)k / (uint64_t)w;
	uint64_t done = 0;

	for (uint64_t i = i0; i < i1; i++) {
		uint64_t gi = p->first + i;
		unsigned mask = pool_mask(s, cp, p, gi);
		uint32_t src = source_addr(s, cp, gi);
		for (int b = 0; b < s->nsensors; b++)
			if ((mask >> b & 1) && probe(g, cp, src, b))
				return -ENOMEM;
		done += (uint64_t)__builtin_popcount(mask);
	}
	for (; i1 && done < pk; done++) {
		uint64_t gi = p->first + dg_rng_below(&g->rng, i1);
		unsigned mask = pool_mask(s, cp, p, gi);
		if (probe(g, cp, source_addr(s, cp, gi), nth_bit(mask, dg_rng_next(&g->rng))))
			return -ENOMEM;
	}
	return 0;
}

static int
campaigns_day(struct gen *g, int day)
{
	for (int c = 0; c < g->s->ncamp; c++) {
		const struct dg_campaign *cp = &g->s->camp[c];
		if (day < cp->day0 || day > cp->day1)
			continue;
		for (int p = 0; p < cp->npool; p++)
			if (pool_day(g, cp, &cp->pool[p], day - cp->day0))
				return -ENOMEM;
	}
	return 0;
}

static uint32_t
clean_addr(struct gen *g)
{
	int b = g->blk_idx[dg_pick(g->blk_cum, g->nblk, dg_rng_next(&g->rng))];

	return dg_addr_in_prefix_hosts(&g->s->block[b].p, dg_rng_next(&g->rng));
}

static void
noise_addrs(struct gen *g, struct dg_event *e)
{
	const struct dg_scenario *s = g->s;
	int sn = (int)dg_rng_below(&g->rng, (uint64_t)s->nsensors);

	e->sensor = (uint8_t)sn;
	e->src = clean_addr(g);
	e->dst = dg_sensor_addr(&s->sensor[sn], dg_rng_next(&g->rng));
	switch (e->kind) {
	case DG_K_BOGON_SRC:
		e->src = dg_bogon_addr(dg_rng_next(&g->rng));
		break;
	case DG_K_SRC_EQ_DST:
		e->src = e->dst;
		break;
	case DG_K_SRC_NET_BCAST:
		e->src = (e->src & ~255u) | ((e->seq & 1) ? 255 : 0);
		break;
	case DG_K_OUTSIDE:
		e->sensor = 0xff;
		e->dst = clean_addr(g);
		break;
	default:
		break;
	}
}

static const uint16_t noise_ports[] = {80, 443, 53, 123, 22, 23, 8080, 0};

static int
noise_event(struct gen *g, int kind)
{
	struct dg_event *e = push(&g->eb);
	uint16_t p;

	if (!e)
		return -ENOMEM;
	random_header(g, e);
	e->kind = (uint8_t)kind;
	noise_addrs(g, e);
	p = noise_ports[dg_rng_below(&g->rng, 8)];
	e->dport = p ? p : other_port(g);
	fix_rules(e, DG_TOOL_NONE, 1, 1);
	return 0;
}

static int
noise_day(struct gen *g, int day)
{
	double want = g->s->noise_share * (double)g->eb.clean;
	uint64_t n = (uint64_t)want;

	if (dg_unit(dg_rng_next(&g->rng)) < want - (double)n)
		n++;
	for (int k = 1; day == 0 && k < DG_K_COUNT; k++)
		if (g->s->noise_w[k] > 0 && noise_event(g, k))
			return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		if (noise_event(g, dg_pick(g->noise_cum, DG_K_COUNT, dg_rng_next(&g->rng))))
			return -ENOMEM;
	return 0;
}

static void
shuffle(struct gen *g)
{
	struct dg_event *ev = g->eb.ev;

	for (size_t i = g->eb.n; i > 1; i--) {
		size_t j = dg_rng_below(&g->rng, i);
		struct dg_event t = ev[i - 1];
		ev[i - 1] = ev[j];
		ev[j] = t;
	}
}

static int
write_day(struct gen *g, int day, struct dg_sink *sinks, int nsinks,
	  struct dg_truth *t, struct dg_gen_stats *st)
{
	uint8_t buf[128];
	uint64_t t0 = (uint64_t)(g->s->start + (int64_t)day * 86400) * 1000000ULL;
	uint64_t n = g->eb.n;

	for (uint64_t i = 0; i < n; i++) {
		const struct dg_event *e = &g->eb.ev[i];
		uint64_t lo = i * DG_DAY_US / n, hi = (i + 1) * DG_DAY_US / n;
		uint64_t ts = t0 + lo + dg_rng_below(&g->rng, hi - lo);
		uint32_t len = dg_frame_build(e, buf);

		if (t && i + 8 < n)
			dg_truth_prefetch(t, e + 8);
		for (int k = 0; k < nsinks; k++)
			if (sinks[k].emit(sinks[k].ctx, buf, len, ts))
				return -EIO;
		if (t)
			dg_truth_add(t, e, day);
		st->bytes += len;
	}
	st->packets += n;
	return 0;
}

static void
gen_init(struct gen *g, const struct dg_scenario *s)
{
	double sum = 0;

	memset(g, 0, sizeof(*g));
	g->s = s;
	for (int b = 0; b < s->nblocks; b++) {
		if (!s->block[b].draw)
			continue;
		sum += (double)s->block[b].hosts;
		g->blk_idx[g->nblk] = b;
		g->blk_cum[g->nblk++] = sum;
	}
	sum = 0;
	for (int k = 0; k < DG_K_COUNT; k++) {
		sum += k ? s->noise_w[k] : 0;
		g->noise_cum[k] = sum;
	}
}

int
dg_generate(const struct dg_scenario *s, struct dg_sink *sinks, int nsinks,
	    struct dg_truth *t, struct dg_gen_stats *st)
{
	struct gen g;
	int rc = 0;

	gen_init(&g, s);
	if (!g.nblk)
		return -EINVAL;
	for (int day = 0; day < s->ndays && !rc; day++) {
		dg_rng_seed(&g.rng, dg_hash3(s->seed, 0xda7ULL, (uint64_t)day));
		g.eb.n = 0;
		g.eb.clean = 0;
		rc = campaigns_day(&g, day);
		if (!rc)
			rc = noise_day(&g, day);
		if (rc)
			break;
		shuffle(&g);
		rc = write_day(&g, day, sinks, nsinks, t, st);
		if (t)
			dg_truth_day_end(t, day);
	}
	free(g.eb.ev);
	return rc;
}

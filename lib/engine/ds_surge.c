/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Surge detection; see ds_surge.h.  The history is a ring of H x 65,536
 * 32-bit counts plus a running sum per port, so the trailing mean costs one
 * subtraction and one addition per port per period.
 */
#include <stdlib.h>

#include "ds_mem.h"
#include "ds_surge.h"

struct ds_surge {
	const struct ds_conf *conf;
	unsigned h;		/* ring length */
	unsigned filled;	/* periods in the ring */
	unsigned pos;
	uint32_t *ring;		/* h * 65536 */
	uint64_t *sum;		/* 65536 */
};

struct ds_surge *
ds_surge_create(const struct ds_conf *c)
{
	struct ds_surge *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->conf = c;
	g->h = c->surge_history;
	g->ring = calloc((size_t)g->h * 65536, sizeof(uint32_t));
	g->sum = calloc(65536, sizeof(uint64_t));
	if (!g->ring || !g->sum) {
		ds_surge_free(g);
		return NULL;
	}
	return g;
}

void
ds_surge_free(struct ds_surge *g)
{
	if (!g)
		return;
	free(g->ring);
	free(g->sum);
	free(g);
}

/* The port's count of this period into the ring: a surge event when it
 * beats the trailing mean (v > factor * (sum / filled), without a
 * division per port). */
static inline void
surge_port(struct ds_surge *g, const struct ds_set *s, uint32_t *slot, unsigned port,
	   struct ds_surge_event *ev, unsigned max, unsigned *n, int wrapped)
{
	const struct ds_conf *c = g->conf;
	/* the period's scans to the port at all sensors, exact */
	uint64_t v = s->port_scans[port];
	uint32_t nv = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;

	if (v >= c->surge_min_packets && g->filled && *n < max &&
	    (double)v * g->filled > c->surge_factor * (double)g->sum[port] &&
	    !s->watch_slot[port]) {
		ev[*n].port = (uint16_t)port;
		ev[*n].packets = v;
		ev[*n].trailing_mean = (double)g->sum[port] / g->filled;
		(*n)++;
	}
	if (wrapped) {
		g->sum[port] -= slot[port];
		slot[port] = nv;
	} else if (nv) {
		slot[port] = nv;	/* a slot not yet written holds zeros */
	}
	if (nv)
		g->sum[port] += nv;
}

/* Ports per idle test.  About 1,000 of the 8,192 groups of 8 are busy
 * in a period of the benchmark once the ring has wrapped (its 24 periods
 * hold scans to a few thousand ports, spread over the range), and 16 or
 * more ports a test left nearly as many groups busy, each then walked port
 * by port: 8 took the fewest instructions. */
#define GROUP 8

/* Whether the GROUP ports at scans/slot have neither scans this period
 * nor (wrapped) counts in the slot they overwrite.  A plain loop compiled
 * to a scalar load and OR per port and slot entry. */
static inline int
group_idle(const uint64_t *scans, const uint32_t *slot, int wrapped)
{
	return ds_mem_is_zero(scans, GROUP * sizeof(*scans)) &&
	       (!wrapped || ds_mem_is_zero(slot, GROUP * sizeof(*slot)));
}

unsigned
ds_surge_update(struct ds_surge *g, const struct ds_set *s,
		struct ds_surge_event *ev, unsigned max)
{
	uint32_t *slot = &g->ring[(size_t)g->pos * 65536];
	const uint64_t *scans = s->port_scans;
	/* until the ring wraps, the slot overwritten was never written: its
	 * pages are neither read nor, for ports without scans, written */
	const int wrapped = g->filled == g->h;
	unsigned base, port, n = 0;

	for (base = 0; base < 65536; base += GROUP) {
		/* A port with no scan this period and none in the slot it
		 * overwrites keeps its sum and cannot surge: a darknet's day
		 * has scans to about 500 of the 65,536 ports, so most groups
		 * are skipped after one vector test, and most ports of the
		 * others after one test each. */
		if (group_idle(scans + base, slot + base, wrapped))
			continue;
		for (port = base; port < base + GROUP; port++)
			if (scans[port] || (wrapped && slot[port]))
				surge_port(g, s, slot, port, ev, max, &n, wrapped);
	}
	if (g->filled < g->h)
		g->filled++;
	g->pos = (g->pos + 1) % g->h;
	return n;
}

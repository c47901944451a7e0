/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_surge against a plain reference: each case feeds per-port scan
 * totals period by period (port_scans of a set) and compares the surge
 * events with those of a full per-port history kept here (trailing mean
 * over the last surge_history periods, counts saturated at 2^32 - 1, the
 * first period never surging, watched ports left out, at most max events).
 * Histories shorter than the run make the ring wrap, so a port scanned
 * once and then silent must leave its trailing sum when its slot comes
 * round again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_conf.h"
#include "ds_set.h"
#include "ds_surge.h"
#include "ds_test.h"

#define PERIODS 24
#define MAXP 6

struct series {
	uint16_t port;
	uint64_t v[PERIODS];	/* scans per period */
};

struct scase {
	const char *name;
	unsigned history;
	double factor;
	uint64_t min;
	unsigned max;		/* events per period */
	uint16_t watched;	/* 0 = none */
	struct series p[MAXP];
};

static const struct scase cases[] = {
	{ "steady port, one spike; a port out of nothing", 3, 2.0, 10, 16, 0, {
		{ 100, { 50, 50, 50, 50, 50, 200, 50, 50, 50, 50 } },
		{ 200, { 0, 0, 0, 30, 0, 0, 0, 0, 9, 0, 0, 11 } },
		{ 201, { 0, 0, 10 } },
	} },
	{ "once, then silent: the ring wraps past it", 3, 2.0, 10, 16, 0, {
		{ 300, { 100, 0, 0, 0, 0, 15 } },
		{ 301, { 100, 0, 15 } },
		{ 302, { 0, 100, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 15 } },
	} },
	{ "history 1, every period", 1, 1.5, 1, 16, 0, {
		{ 1, { 1, 2, 3, 4, 5, 4, 3, 2, 1, 9, 9, 9, 20, 30, 45, 68, 100 } },
		{ 7, { 5, 0, 5, 0, 5, 0, 5, 0, 5, 0, 5 } },
		{ 8, { 0, 5, 0, 5, 0, 5, 0, 5, 0, 5, 0, 5 } },
		{ 65535, { 3, 3, 3, 3, 3, 7, 7, 7, 7, 7, 16, 16 } },
	} },
	{ "counts past 32 bits saturate", 4, 1.2, 1, 16, 0, {
		{ 443, { 5000000000ull, 5000000000ull, 5000000000ull, 6000000000ull, 10,
			 5000000000ull } },
		{ 444, { 4294967295ull, 4294967296ull, 1, 4294967295ull } },
	} },
	{ "a watched port never surges", 2, 2.0, 10, 16, 10073, {
		{ 10073, { 0, 0, 0, 1000, 0, 0, 5000 } },
		{ 10074, { 0, 0, 0, 1000, 0, 0, 5000 } },
	} },
	{ "at most max events a period, lowest ports first", 24, 2.0, 10, 2, 0, {
		{ 9, { 0, 0, 50, 0, 0, 0, 500 } },
		{ 10, { 0, 0, 50, 0, 0, 0, 500 } },
		{ 11, { 0, 0, 50, 0, 0, 0, 500 } },
		{ 4096, { 0, 0, 50, 0, 0, 0, 500 } },
	} },
};

/* The reference verdict for port series k of c at period t. */
static int
ref_surge(const struct scase *c, const struct series *k, unsigned t)
{
	unsigned from = t > c->history ? t - c->history : 0, filled = t - from, i;
	uint64_t v = k->v[t], sum = 0;

	for (i = from; i < t; i++)
		sum += k->v[i] > UINT32_MAX ? UINT32_MAX : k->v[i];
	return filled && v >= c->min && (double)v * filled > c->factor * (double)sum &&
	       k->port != c->watched;
}

int
main(void)
{
	struct ds_conf *c = ds_conf_default();
	unsigned i;

	if (!CHECK(c != NULL, "default config"))
		return ds_test_done("test_surge");
	c->sensors = calloc(1, sizeof(*c->sensors));
	c->n_sensors = 1;
	c->sensors[0].n_prefixes = 1;
	c->sensors[0].prefixes[0].addr = 0x0b081000;
	c->sensors[0].prefixes[0].len = 21;
	c->sensors[0].addresses = 2048;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *k = &cases[i];
		struct ds_surge_event ev[16];
		struct ds_set *s;
		struct ds_surge *g;
		unsigned t, j, bad = 0;

		c->surge_history = k->history;
		c->surge_factor = k->factor;
		c->surge_min_packets = k->min;
		s = ds_set_create(c);
		g = ds_surge_create(c);
		if (!CHECK(s && g, k->name)) {
			ds_set_free(s);
			ds_surge_free(g);
			continue;
		}
		if (k->watched)
			ds_set_watch(s, k->watched, 0);
		for (t = 0; t < PERIODS; t++) {
			unsigned n, want = 0, e;

			memset(s->port_scans, 0, 65536 * sizeof(*s->port_scans));
			for (j = 0; j < MAXP && k->p[j].port; j++)
				s->port_scans[k->p[j].port] = k->p[j].v[t];
			n = ds_surge_update(g, s, ev, k->max);
			/* the expected events, by port (series are in port order) */
			for (j = 0, e = 0; j < MAXP && k->p[j].port; j++) {
				if (!ref_surge(k, &k->p[j], t) || want == k->max)
					continue;
				want++;
				if (e < n && ev[e].port == k->p[j].port &&
				    ev[e].packets == k->p[j].v[t])
					e++;
				else
					bad++;
			}
			bad += n != want;
		}
		CHECK(bad == 0, k->name);
		ds_surge_free(g);
		ds_set_free(s);
	}
	ds_conf_free(c);
	return ds_test_done("test_surge");
}

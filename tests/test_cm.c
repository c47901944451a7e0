/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_cm: argument checks, the count-min guarantees on a Zipf-like stream
 * (never under, overcount > e N / width for at most an e^-depth fraction
 * of keys plus slack), merge of per-core sketches == sketch of the union
 * (bit-identical counters), mismatched merges rejected.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_cm.h"
#include "ds_hash.h"
#include "ds_test.h"

static void
test_create(void)
{
	static const struct { unsigned wl, depth; int ok; const char *what; } cases[] = {
		{ 10, 0, 0, "depth 0" },
		{ 10, 9, 0, "depth > DS_CM_MAX_DEPTH" },
		{ 3, 2, 0, "width_log2 < 4" },
		{ 25, 2, 0, "width_log2 > 24" },
		{ 16, 5, 0, "depth * width_log2 = 80 > 64" },
		{ 0, 0, 0, "all zero" },
		{ 4, 1, 1, "smallest" },
		{ 8, 8, 1, "depth * width_log2 = 64" },
		{ 24, 1, 1, "widest (64 MB)" },
		{ 16, 4, 1, "typical" },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ds_cm *cm;

		errno = 0;
		cm = ds_cm_create(cases[i].wl, cases[i].depth);
		if (!cases[i].ok) {
			CHECK(cm == NULL && errno == EINVAL, cases[i].what);
			continue;
		}
		CHECK(cm != NULL, cases[i].what);
		if (cm == NULL)
			continue;
		CHECK(ds_cm_width(cm) == 1u << cases[i].wl, "width");
		CHECK(ds_cm_depth(cm) == cases[i].depth, "depth");
		CHECK(((uintptr_t)ds_cm_counters(cm) & 63) == 0, "counters 64-byte aligned");
		CHECK(ds_cm_bytes(cm) >= (uint64_t)4 * cases[i].depth << cases[i].wl, "bytes");
		CHECK(ds_cm_total(cm) == 0 && ds_cm_query(cm, 12345) == 0, "starts empty");
		/* The top row index uses the hash's top bits: no overflow. */
		ds_cm_add(cm, UINT64_MAX, 3);
		CHECK(ds_cm_query(cm, UINT64_MAX) == 3, "all-ones hash");
		ds_cm_free(cm);
	}
	ds_cm_free(NULL);
}

/* Zipf-like stream: key r (1..nkeys) occurs floor(c / r) + 1 times. */
static void
test_bounds(void)
{
	static const struct { unsigned wl, depth; } cases[] = {
		{ 10, 4 }, { 12, 3 }, { 8, 8 }, { 14, 2 },
	};
	const uint32_t nkeys = 50000;
	uint32_t *truth = malloc(nkeys * sizeof(*truth));
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ds_cm *cm = ds_cm_create(cases[i].wl, cases[i].depth);
		uint64_t n = 0;
		uint32_t r, under = 0, over = 0;
		double bound, allowed;

		for (r = 1; r <= nkeys; r++) {
			truth[r - 1] = 200000 / r + 1;
			n += truth[r - 1];
		}
		/* Interleave the keys as a stream would (unit adds + bulk). */
		for (r = 1; r <= nkeys; r++) {
			uint64_t h = ds_hash_u32(r);
			uint32_t c = truth[r - 1];

			ds_cm_add(cm, h, 1);
			if (c > 1)
				ds_cm_add(cm, h, c - 1);
		}
		CHECK(ds_cm_total(cm) == n, "total = N");
		bound = ds_cm_error_bound(cm);
		CHECK(fabs(bound - M_E * (double)n / ds_cm_width(cm)) < 1e-6, "e N / width");
		CHECK(fabs(ds_cm_confidence(cm) - (1 - exp(-(double)cases[i].depth))) < 1e-12,
		      "confidence 1 - e^-depth");
		for (r = 1; r <= nkeys; r++) {
			uint32_t est = ds_cm_query(cm, ds_hash_u32(r));

			under += est < truth[r - 1];
			over += est > truth[r - 1] + bound;
		}
		/* Per key P(error > bound) <= e^-depth; allow 5 sigma of a
		 * binomial on top of that. */
		allowed = nkeys * exp(-(double)cases[i].depth);
		allowed += 5 * sqrt(allowed) + 1;
		printf("cm width 2^%u depth %u: N %llu bound %.1f, %u of %u keys over "
		       "truth + bound (allowed %.0f)\n", cases[i].wl, cases[i].depth,
		       (unsigned long long)n, bound, over, nkeys, allowed);
		CHECK(under == 0, "count-min never undercounts");
		CHECK(over <= allowed, "overcount beyond e N / width for <= e^-depth of keys");
		ds_cm_clear(cm);
		CHECK(ds_cm_total(cm) == 0 && ds_cm_query(cm, ds_hash_u32(1)) == 0, "clear");
		ds_cm_free(cm);
	}
	free(truth);
}

static void
test_merge(void)
{
	enum { CORES = 4 };
	struct ds_cm *core[CORES], *all = ds_cm_create(12, 4), *other;
	size_t words = (size_t)4 << 12;
	uint32_t i;

	for (i = 0; i < CORES; i++)
		core[i] = ds_cm_create(12, 4);
	for (i = 0; i < 400000; i++) {
		uint32_t key = (uint32_t)(ds_hash_u64(i, 7) % 5000) * (i % 7 + 1);
		uint64_t h = ds_hash_u32(key);

		ds_cm_add(core[ds_hash_u64(i, 99) % CORES], h, 1);
		ds_cm_add(all, h, 1);
	}
	for (i = 1; i < CORES; i++)
		CHECK(ds_cm_merge(core[0], core[i]) == 0, "merge");
	CHECK(ds_cm_total(core[0]) == ds_cm_total(all), "merged total");
	CHECK(memcmp(ds_cm_counters(core[0]), ds_cm_counters(all),
		     words * sizeof(uint32_t)) == 0,
	      "merged counters bit-identical to the union's");

	other = ds_cm_create(11, 4);
	CHECK(ds_cm_merge(all, other) == -EINVAL, "merge of different widths");
	ds_cm_free(other);
	other = ds_cm_create(12, 3);
	CHECK(ds_cm_merge(all, other) == -EINVAL, "merge of different depths");
	ds_cm_free(other);
	CHECK(ds_cm_merge(all, NULL) == -EINVAL, "merge with NULL");
	CHECK(memcmp(ds_cm_counters(core[0]), ds_cm_counters(all),
		     words * sizeof(uint32_t)) == 0, "failed merges change nothing");

	for (i = 0; i < CORES; i++)
		ds_cm_free(core[i]);
	ds_cm_free(all);
}

static void
test_port_hash(void)
{
	uint32_t p, same = 0;

	for (p = 1; p < 65536; p++)
		same += ds_cm_port_hash((uint16_t)p) == ds_cm_port_hash((uint16_t)(p - 1));
	CHECK(same == 0, "port hash separates neighbouring ports");
}

/* ds_cm_port_top(n) == the n largest of all ports' estimates (ties:
 * lower port first; zeros left out), for n = 0, 1, 10, 1000, 5000 (capped
 * at 1000); est = ds_cm_port_counts()'s output. */
static void
check_port_top(const struct ds_cm *cm, const uint32_t *est, const char *what)
{
	static const unsigned ns[] = { 0, 1, 10, 1000, 5000 };
	uint16_t port[1000];
	uint32_t cnt[1000];
	unsigned k;

	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		unsigned want = ns[k] > 1000 ? 1000 : ns[k], got, j, bad = 0, nonzero = 0;
		uint32_t p;

		got = ds_cm_port_top(cm, ns[k], port, cnt);
		for (p = 0; p < DS_CM_PORTS; p++)
			nonzero += est[p] != 0;
		if (nonzero < want)
			want = nonzero;
		CHECK(got == want, what);
		for (j = 0; j < got && j < want; j++) {
			/* port[j] is the j-th in (count desc, port asc) order: its
			 * count is right, and exactly j ports rank above it */
			unsigned above = 0;

			bad += cnt[j] != est[port[j]];
			for (p = 0; p < DS_CM_PORTS; p++)
				above += est[p] > cnt[j] || (est[p] == cnt[j] && p < port[j]);
			bad += above != j;
		}
		CHECK(bad == 0, what);
	}
}

/* ds_cm_port_counts() == ds_cm_query() of every port, for every shape and
 * fill: empty, one port, sparse, every port, counters saturated by
 * collisions (narrow sketch); widths up to 2^16 go through the bucket
 * index, wider ones through the plain loop. */
static void
test_port_counts(void)
{
	static const struct { unsigned wl, depth, ports, step; const char *what; } cases[] = {
		{ 12, 4, 0, 1, "empty sketch" },
		{ 12, 4, 1, 1, "one port" },
		{ 12, 4, 300, 211, "sparse, default shape" },
		{ 16, 4, 65536, 1, "every port, wide" },
		{ 4, 1, 2000, 7, "depth 1, narrow: collisions everywhere" },
		{ 8, 8, 5000, 13, "depth 8 (64 hash bits)" },
		{ 10, 3, 65536, 3, "every port, narrow" },
		{ 18, 3, 20000, 3, "wider than the ports' bucket index (2^16): plain loop" },
	};
	uint32_t *out = malloc(DS_CM_PORTS * sizeof(*out));
	uint64_t *acc = malloc(DS_CM_PORTS * sizeof(*acc));
	unsigned i, p;

	CHECK(out != NULL && acc != NULL, "scratch");
	if (!out || !acc) {
		free(out);
		free(acc);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ds_cm *cm = ds_cm_create(cases[i].wl, cases[i].depth);
		unsigned bad = 0;

		if (!cm) {
			CHECK(0, cases[i].what);
			continue;
		}
		for (p = 0; p < cases[i].ports; p++) {
			uint16_t port = (uint16_t)(p * cases[i].step);

			ds_cm_add(cm, ds_cm_port_hash(port), 1 + p % 5);
		}
		memset(out, 0xa5, DS_CM_PORTS * sizeof(*out));
		ds_cm_port_counts(cm, out);
		for (p = 0; p < DS_CM_PORTS; p++)
			bad += out[p] != ds_cm_query(cm, ds_cm_port_hash((uint16_t)p));
		CHECK(bad == 0, cases[i].what);
		check_port_top(cm, out, cases[i].what);
		/* the accumulating form adds the same estimates to what is there */
		for (p = 0; p < DS_CM_PORTS; p++)
			acc[p] = (uint64_t)p * 3;
		ds_cm_port_counts_add(cm, acc);
		for (p = 0, bad = 0; p < DS_CM_PORTS; p++)
			bad += acc[p] != (uint64_t)p * 3 + out[p];
		CHECK(bad == 0, cases[i].what);
		ds_cm_free(cm);
	}
	free(out);
	free(acc);
}

int
main(void)
{
	test_create();
	test_bounds();
	test_merge();
	test_port_hash();
	test_port_counts();
	return ds_test_done("test_cm");
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_bk: argument checks; exact mode gives the exact per-sensor-count
 * histogram; past K the sample is exactly the K smallest hashes with
 * complete bitmaps, visited in increasing hash order; Horvitz-Thompson
 * estimates of "sources seen at exactly j sensors" within 5 standard
 * errors; merge of two halves == sample of the union; merge commutes.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_bk.h"
#include "ds_hash.h"
#include "ds_test.h"

#define NS 4			/* sensors in the estimation tests */

/* Sensors at which source s is seen: 1 sensor for 50 %, 2 for 25 %,
 * 3 for 15 %, 4 for 10 % of sources, chosen independently of its hash. */
static unsigned
sensors_of(uint32_t s, unsigned out[NS])
{
	uint64_t r = ds_hash_u64(s, 0x5eed);
	unsigned pct = (unsigned)(r % 100), n, i, first;

	n = pct < 50 ? 1 : pct < 75 ? 2 : pct < 90 ? 3 : 4;
	first = (unsigned)((r >> 32) % NS);
	for (i = 0; i < n; i++)
		out[i] = (first + i) % NS;
	return n;
}

struct hist {
	uint64_t count[NS + 1];
	uint64_t visited;
	uint64_t last_hash;
	int ordered;
	int bits_ok;
};

static int
hist_visit(uint32_t src, const uint64_t *bits, void *arg)
{
	struct hist *h = arg;
	unsigned sens[NS], n = sensors_of(src, sens), i;
	uint64_t want = 0, hash = ds_hash_u32(src);

	for (i = 0; i < n; i++)
		want |= 1ULL << sens[i];
	h->bits_ok &= bits[0] == want;
	h->count[__builtin_popcountll(bits[0])]++;
	if (h->visited && hash < h->last_hash)
		h->ordered = 0;
	h->last_hash = hash;
	h->visited++;
	return 0;
}

static void
offer(struct ds_bk *b, uint32_t first, uint32_t n, uint32_t stride)
{
	uint32_t i, s;
	unsigned sens[NS], k, ns;

	for (i = 0; i < n; i++) {
		s = first + i * stride;
		ns = sensors_of(s, sens);
		for (k = 0; k < ns; k++) {
			ds_bk_add(b, s, ds_hash_u32(s), sens[k]);
			ds_bk_add(b, s, ds_hash_u32(s), sens[k]);	/* repeats */
		}
	}
}

static void
test_create(void)
{
	static const struct { uint32_t k; unsigned ns; int ok; } cases[] = {
		{ 0, 4, 0 }, { 15, 4, 0 }, { 16, 0, 0 }, { 16, 257, 0 },
		{ 16, 1, 1 }, { 64, 64, 1 }, { 100, 65, 1 }, { 1000, 256, 1 },
	};
	struct ds_bk *a, *b;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		a = ds_bk_create(cases[i].k, cases[i].ns);
		if (cases[i].ok) {
			CHECK(a != NULL, "valid arguments accepted");
			CHECK(a && ds_bk_k(a) == cases[i].k, "k");
			CHECK(a && ds_bk_exact(a) && ds_bk_size(a) == 0 &&
			      ds_bk_scale(a) == 1.0, "starts empty and exact");
			CHECK(a && ds_bk_bytes(a) > (uint64_t)cases[i].k * 16, "bytes");
		} else {
			CHECK(a == NULL && errno == EINVAL, "bad arguments: NULL/EINVAL");
		}
		ds_bk_free(a);
	}
	a = ds_bk_create(64, 4);
	b = ds_bk_create(32, 4);
	CHECK(ds_bk_merge(a, b) == -EINVAL, "merge of different k");
	ds_bk_free(b);
	b = ds_bk_create(64, 5);
	CHECK(ds_bk_merge(a, b) == -EINVAL, "merge of different n_sensors");
	CHECK(ds_bk_merge(a, NULL) == -EINVAL, "merge with NULL");
	CHECK(ds_bk_merge(a, a) == -EINVAL, "merge with itself");
	ds_bk_add(a, 7, ds_hash_u32(7), 4);
	CHECK(ds_bk_size(a) == 0, "sensor >= n_sensors ignored");
	ds_bk_free(a);
	ds_bk_free(b);
	ds_bk_free(NULL);
}

/* Wide bitmaps: 256 sensors, bits in every word. */
static int
wide_visit(uint32_t src, const uint64_t *bits, void *arg)
{
	int *ok = arg;
	unsigned w;

	for (w = 0; w < 4; w++)
		*ok &= bits[w] == ((1ULL << (src % 64)) | (1ULL << ((src + w) % 64)));
	return 0;
}

static void
test_exact(void)
{
	static const uint32_t ns[] = { 1, 500, 1023, 1024 };
	struct ds_bk *b = ds_bk_create(1024, NS);
	unsigned i, sens[NS];
	int ok = 1;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct hist h = { .ordered = 1, .bits_ok = 1 };
		uint64_t want[NS + 1] = { 0 };
		uint32_t s;

		ds_bk_clear(b);
		offer(b, 1000, ns[i], 3);
		for (s = 0; s < ns[i]; s++)
			want[sensors_of(1000 + 3 * s, sens)]++;
		CHECK(ds_bk_exact(b), "exact while <= K sources");
		CHECK(ds_bk_size(b) == ns[i], "size = number of sources");
		CHECK(ds_bk_scale(b) == 1.0, "scale 1.0 when exact");
		CHECK(ds_bk_foreach(b, hist_visit, &h) == 0, "foreach");
		CHECK(memcmp(h.count, want, sizeof(want)) == 0,
		      "exact per-sensor-count histogram");
		CHECK(h.ordered && h.bits_ok, "increasing hash order, exact bitmaps");
	}
	offer(b, 1000 + 3 * 1024, 1, 3);	/* K + 1 sources */
	CHECK(ds_bk_size(b) == 1024 && !ds_bk_exact(b), "K + 1 sources: no longer exact");
	ds_bk_clear(b);
	CHECK(ds_bk_exact(b) && ds_bk_size(b) == 0, "clear restores exact mode");
	ds_bk_free(b);

	b = ds_bk_create(16, 256);
	for (i = 0; i < 16; i++) {
		unsigned w;

		for (w = 0; w < 4; w++) {
			ds_bk_add(b, i, ds_hash_u32(i), w * 64 + i % 64);
			ds_bk_add(b, i, ds_hash_u32(i), w * 64 + (i + w) % 64);
		}
	}
	ds_bk_foreach(b, wide_visit, &ok);
	CHECK(ok, "256-sensor bitmaps across 4 words");
	ds_bk_free(b);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct collect {
	uint64_t *hashes;
	uint32_t *src;
	uint64_t *bits;
	uint32_t n;
};

static int
collect_visit(uint32_t src, const uint64_t *bits, void *arg)
{
	struct collect *c = arg;

	c->hashes[c->n] = ds_hash_u32(src);
	c->src[c->n] = src;
	c->bits[c->n] = bits[0];
	c->n++;
	return 0;
}

static int
stop_visit(uint32_t src, const uint64_t *bits, void *arg)
{
	return ++*(int *)arg == 3 ? 42 : 0;
}

static void
collect(struct ds_bk *b, struct collect *c, uint32_t k)
{
	c->hashes = calloc(k, sizeof(uint64_t));
	c->src = calloc(k, sizeof(uint32_t));
	c->bits = calloc(k, sizeof(uint64_t));
	c->n = 0;
	ds_bk_foreach(b, collect_visit, c);
}

static int
same(const struct collect *a, const struct collect *b)
{
	return a->n == b->n &&
	       !memcmp(a->src, b->src, a->n * sizeof(uint32_t)) &&
	       !memcmp(a->bits, b->bits, a->n * sizeof(uint64_t));
}

static void
uncollect(struct collect *c)
{
	free(c->hashes);
	free(c->src);
	free(c->bits);
}

static int
cmp_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The unordered visit of b gives the same (source, bitmap) pairs as the
 * ordered one collected in c: both sorted by source and compared. */
static void
same_unordered(struct ds_bk *b, const struct collect *c, uint32_t k)
{
	struct collect u = { calloc(k, sizeof(uint64_t)), calloc(k, sizeof(uint32_t)),
			     calloc(k, sizeof(uint64_t)), 0 };
	uint64_t *x = calloc(2 * (size_t)k, sizeof(uint64_t));
	uint64_t *y = calloc(2 * (size_t)k, sizeof(uint64_t));
	uint32_t i;

	if (!CHECK(u.hashes && u.src && u.bits && x && y, "alloc"))
		goto out;
	ds_bk_foreach_unordered(b, collect_visit, &u);
	CHECK(u.n == c->n, "unordered foreach visits every sampled source");
	for (i = 0; i < c->n && i < u.n; i++) {
		x[2 * i] = c->src[i];
		x[2 * i + 1] = c->bits[i];
		y[2 * i] = u.src[i];
		y[2 * i + 1] = u.bits[i];
	}
	qsort(x, c->n, 2 * sizeof(uint64_t), cmp_pair);
	qsort(y, c->n, 2 * sizeof(uint64_t), cmp_pair);
	CHECK(memcmp(x, y, 2 * (size_t)c->n * sizeof(uint64_t)) == 0,
	      "unordered foreach: the same sources and bitmaps");
out:
	free(x);
	free(y);
	uncollect(&u);
}

/* Past K: the sample is exactly the K smallest hashes. */
static void
test_bottom_k(void)
{
	const uint32_t k = 1000, n = 20000;
	struct ds_bk *b = ds_bk_create(k, NS);
	uint64_t *all = malloc(n * sizeof(uint64_t));
	struct hist h = { .ordered = 1, .bits_ok = 1 };
	struct collect c;
	uint32_t i;
	int calls = 0;

	offer(b, 77, n, 13);
	for (i = 0; i < n; i++)
		all[i] = ds_hash_u32(77 + i * 13);
	qsort(all, n, sizeof(uint64_t), cmp_u64);
	CHECK(ds_bk_size(b) == k && !ds_bk_exact(b), "pruned to K");
	collect(b, &c, k);
	CHECK(c.n == k && memcmp(c.hashes, all, k * sizeof(uint64_t)) == 0,
	      "sample = the K smallest hashes, in increasing order");
	ds_bk_foreach(b, hist_visit, &h);
	CHECK(h.bits_ok, "sampled bitmaps complete");
	CHECK(ds_bk_foreach(b, stop_visit, &calls) == 42 && calls == 3,
	      "foreach stops on non-zero");
	same_unordered(b, &c, k);
	calls = 0;
	CHECK(ds_bk_foreach_unordered(b, stop_visit, &calls) == 42 && calls == 3,
	      "unordered foreach stops on non-zero");
	uncollect(&c);
	free(all);
	ds_bk_free(b);
}

/* 10 K sources: HT estimates of the per-sensor-count histogram. */
static void
test_estimate(void)
{
	const uint32_t k = 65536, n = 10 * k;
	const double frac[NS + 1] = { 0, 0.50, 0.25, 0.15, 0.10 };
	struct ds_bk *b = ds_bk_create(k, NS);
	struct hist h = { .ordered = 1, .bits_ok = 1 };
	uint64_t truth[NS + 1] = { 0 };
	unsigned sens[NS], j;
	double scale, nhat, tol;
	uint32_t s;

	offer(b, 5, n, 1);
	for (s = 0; s < n; s++)
		truth[sensors_of(5 + s, sens)]++;
	scale = ds_bk_scale(b);
	nhat = scale * ds_bk_size(b);
	tol = 5 / sqrt(k);
	printf("bk K %u: %u sources, estimate %.0f (error %+.2f %%, 5 sigma %.2f %%)\n",
	       k, n, nhat, 100 * (nhat - n) / n, 100 * tol);
	CHECK(fabs(nhat - n) / n <= tol, "distinct count within 5 standard errors");
	ds_bk_foreach(b, hist_visit, &h);
	CHECK(h.ordered && h.bits_ok, "order and bitmaps");
	for (j = 1; j <= NS; j++) {
		double est = h.count[j] * scale, err = (est - truth[j]) / truth[j];

		/* rel. std. error of a HT count: ~sqrt((1-f)/(K f) + 1/K) */
		tol = 5 * sqrt((1 - frac[j]) / (k * frac[j]) + 1.0 / k);
		printf("bk sources at exactly %u sensors: true %llu, estimate %.0f "
		       "(error %+.2f %%, 5 sigma %.2f %%)\n", j,
		       (unsigned long long)truth[j], est, 100 * err, 100 * tol);
		CHECK(fabs(err) <= tol, "per-sensor-count estimate within 5 sigma");
	}
	ds_bk_free(b);
}

static void
test_merge(void)
{
	const uint32_t k = 2048, n = 30000;
	struct ds_bk *a1 = ds_bk_create(k, NS), *b1 = ds_bk_create(k, NS);
	struct ds_bk *a2 = ds_bk_create(k, NS), *b2 = ds_bk_create(k, NS);
	struct ds_bk *u = ds_bk_create(k, NS), *e1, *e2;
	struct collect cu, c1, c2, cx;
	unsigned sens[NS], m, ns;
	uint32_t s;

	/* Halves overlap: source s goes to a at its even sensor slots and
	 * to b at the odd ones; a third of the sources only to a. */
	for (s = 0; s < n; s++) {
		uint32_t src = 0x0a000000u + s * 7;

		ns = sensors_of(src, sens);
		for (m = 0; m < ns; m++) {
			struct ds_bk *x = (m % 2 == 0 || s % 3 == 0) ? a1 : b1;
			struct ds_bk *y = (m % 2 == 0 || s % 3 == 0) ? a2 : b2;

			ds_bk_add(x, src, ds_hash_u32(src), sens[m]);
			ds_bk_add(y, src, ds_hash_u32(src), sens[m]);
			ds_bk_add(u, src, ds_hash_u32(src), sens[m]);
		}
	}
	CHECK(ds_bk_merge(a1, b1) == 0, "merge a <- b");
	CHECK(ds_bk_merge(b2, a2) == 0, "merge b <- a");
	collect(u, &cu, k);
	collect(a1, &c1, k);
	collect(b2, &c2, k);
	CHECK(cu.n == k, "union sample full");
	CHECK(same(&c1, &cu), "merge of halves == sample of the union");
	CHECK(same(&c1, &c2), "merge commutes");
	CHECK(ds_bk_scale(a1) == ds_bk_scale(u), "same scale");

	/* Exact samples merge exactly. */
	e1 = ds_bk_create(k, NS);
	e2 = ds_bk_create(k, NS);
	offer(e1, 1, 300, 2);
	offer(e2, 2, 300, 2);
	offer(e2, 1, 100, 2);
	CHECK(ds_bk_merge(e1, e2) == 0 && ds_bk_exact(e1) && ds_bk_size(e1) == 600,
	      "exact + exact = exact union");
	collect(e1, &cx, k);
	uncollect(&cx);

	uncollect(&cu);
	uncollect(&c1);
	uncollect(&c2);
	ds_bk_free(a1);
	ds_bk_free(b1);
	ds_bk_free(a2);
	ds_bk_free(b2);
	ds_bk_free(u);
	ds_bk_free(e1);
	ds_bk_free(e2);
}

/* Reference for test_reference: every source offered, its full bitmap. */
struct ref {
	uint32_t src;
	uint64_t hash;
	uint64_t bits[DS_BK_MAX_SENSORS / 64];
};

static int
ref_cmp(const void *x, const void *y)
{
	const struct ref *a = x, *c = y;

	return a->hash < c->hash ? -1 : a->hash > c->hash;
}

struct ref_walk {
	const struct ref *r;
	uint32_t i, n, nwords;
	int ok;
};

static int
ref_visit(uint32_t src, const uint64_t *bits, void *arg)
{
	struct ref_walk *w = arg;

	if (w->i >= w->n || w->r[w->i].src != src ||
	    memcmp(w->r[w->i].bits, bits, w->nwords * 8) != 0)
		w->ok = 0;
	w->i++;
	return 0;
}

/* The sample is the K smallest hashes of a reference with full bitmaps,
 * through index growth, prunes, dump/load and merge_map, for bitmaps of one
 * word and of several; a dump with a repeated source is refused. */
static void
test_reference(void)
{
	static const struct { uint32_t k, nsrc; unsigned ns; } cases[] = {
		{ 16, 10, 3 }, { 64, 60, 64 }, { 64, 5000, 64 }, { 100, 90, 65 },
		{ 128, 3000, 200 }, { 1024, 700, 1 }, { 1024, 20000, 7 },
		{ 4096, 4000, 256 },
	};
	unsigned c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t k = cases[c].k, nsrc = cases[c].nsrc, i, j;
		unsigned ns = cases[c].ns, nw = (ns + 63) / 64;
		struct ds_bk *b = ds_bk_create(k, ns), *l = ds_bk_create(k, ns);
		struct ds_bk *m = ds_bk_create(k, ns);
		struct ref *r = calloc(nsrc, sizeof(*r));
		uint16_t *map = calloc(ns, sizeof(*map));
		struct ref_walk w;
		size_t need, need2;
		uint8_t *buf, *buf2;

		for (i = 0; i < nsrc; i++) {
			r[i].src = 0xc0000000u + i * 2654435761u % 0x3fffffffu;
			r[i].hash = ds_hash_u32(r[i].src);
		}
		/* sources in rounds, each offered at 1..4 sensors, repeats */
		for (j = 0; j < 4; j++)
			for (i = 0; i < nsrc; i++) {
				unsigned sn = (unsigned)(ds_hash_u64(i * 4 + j, 9) % ns);

				if (j > 0 && (i + j) % 3 == 0)
					continue;
				r[i].bits[sn / 64] |= 1ULL << (sn % 64);
				ds_bk_add(b, r[i].src, r[i].hash, sn);
				ds_bk_add(b, r[i].src, r[i].hash, sn);
			}
		qsort(r, nsrc, sizeof(*r), ref_cmp);
		w = (struct ref_walk){ r, 0, nsrc < k ? nsrc : k, nw, 1 };
		ds_bk_foreach(b, ref_visit, &w);
		CHECK(w.ok && w.i == w.n, "sample = K smallest of the reference, full bitmaps");
		CHECK(ds_bk_exact(b) == (nsrc <= k), "exact while <= K sources");

		need = ds_bk_dump(b, NULL, 0);
		buf = malloc(need);
		buf2 = malloc(need);
		CHECK(ds_bk_dump(b, buf, need) == need, "dump");
		CHECK(ds_bk_load(l, buf, need) == 0, "load");
		need2 = ds_bk_dump(l, buf2, need);
		CHECK(need2 == need && memcmp(buf, buf2, need) == 0, "dump(load(dump)) == dump");
		w.i = 0;
		ds_bk_foreach(l, ref_visit, &w);
		CHECK(w.ok && w.i == w.n, "loaded sample visits the same");

		for (i = 0; i < ns; i++)
			map[i] = (uint16_t)i;
		CHECK(ds_bk_merge_map(m, l, map) == 0, "merge_map identity");
		w.i = 0;
		ds_bk_foreach(m, ref_visit, &w);
		CHECK(w.ok && w.i == w.n, "merge_map identity keeps the sample");

		if (need > 28 + 2 * (12 + (size_t)nw * 8)) {
			/* the second entry's source and hash made a copy of the
			 * first's: refused */
			memcpy(buf + 28 + 12 + nw * 8, buf + 28, 12);
			CHECK(ds_bk_load(l, buf, need) == -EINVAL && ds_bk_size(l) == 0,
			      "repeated source refused");
		}
		free(buf);
		free(buf2);
		free(r);
		free(map);
		ds_bk_free(b);
		ds_bk_free(l);
		ds_bk_free(m);
	}
}

int
main(void)
{
	test_create();
	test_exact();
	test_bottom_k();
	test_estimate();
	test_merge();
	test_reference();
	return ds_test_done("test_bk");
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_bk: coordinated bottom-K sample of distinct sources with per-source
 * sensor bitmaps (E. Cohen and H. Kaplan, "Summarizing data using bottom-k
 * sketches", PODC 2007; the distinct-count estimate (K-1)/u_K is the
 * K-th-minimum-value estimator of Bar-Yossef et al., RANDOM 2002, and
 * Giroire, "Order statistics and estimating cardinalities of massive data
 * sets", 2009).
 *
 * Storage, all allocated at creation (64-byte aligned), nothing after:
 *   - up to cap = 2K entries in dense arrays: hash[] and src[];
 *   - an open-addressing index of 64-byte lines of 4 slots
 *     {src[4], entry + 1 [4] (0 = free), bitmap[4]}, up to next_pow2(4K)
 *     slots; a source's home line is hash & (lines - 1), and a line that is
 *     full sends the search to the next one (linear probing by lines;
 *     nothing is ever deleted from an index, only rebuilt).  The line holds
 *     the sources, compared 4 at a time, so a probe reads one line and not
 *     the entry arrays; with at most 64 sensors (one bitmap word) it holds
 *     the bitmaps too, so offering a source reads and writes that one line;
 *   - with more sensors, nwords = ceil(n_sensors / 64) bitmap words per
 *     entry in bits[];
 *   - one scratch array of cap words: quickselect, the (hash, entry) pairs
 *     of the sorted visit (after pruning to K, so 2 words each fit), and
 *     the bitmaps while the index is rebuilt.
 * The index starts at DS_BK_MIN_SLOTS slots and doubles whenever it would
 * be more than half full, so a small sample probes a small, cache-resident
 * index, and the load factor never exceeds 1/2.
 *
 * The sample is keyed by source: a source always comes with the same hash
 * (ds_hash_u32()), so probes compare sources only.
 *
 * Invariant: every entry has hash < threshold, and every source ever
 * offered with hash < threshold is in the table with its full bitmap.
 * threshold starts at UINT64_MAX (exact mode).  When the table reaches 2K
 * entries (or a query needs the sample at size K) it is pruned: the
 * (K+1)-th smallest hash becomes the new threshold (quickselect over a
 * scratch copy of the hashes), entries at or above it are dropped and the
 * index is rebuilt.  Thresholds only decrease, so a source that ends in the
 * final K smallest was never refused and its bitmap is complete; a source
 * refused (hash >= threshold) has at least K smaller hashes before it.
 * Amortised over the K insertions between prunes the cost is O(1).
 *
 * Merge inserts the other sample's entries below the common threshold
 * min(t_dst, t_src), ORs bitmaps of equal sources, and prunes, so merging
 * per-core samples yields the sample of the union: the same K sources with
 * the same bitmaps.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "ds_bk.h"
#include "ds_mem.h"

struct ds_bk_pair {
	uint64_t hash;
	uint32_t idx;
	uint32_t pad;
};

#define DS_BK_WAYS 4

struct ds_bk_line {
	uint32_t src[DS_BK_WAYS];
	uint32_t ent[DS_BK_WAYS];	/* entry index + 1, 0 = free */
	uint64_t bits[DS_BK_WAYS];	/* the bitmaps when nwords == 1 */
} __attribute__((aligned(64)));

struct ds_bk {
	uint32_t k;
	uint32_t cap;		/* 2K entries */
	uint32_t n;		/* entries in use */
	uint32_t nwords;	/* bitmap words per entry */
	uint32_t n_sensors;
	uint32_t line_mask;	/* index lines in use - 1 (grows up to line_max) */
	uint32_t line_max;	/* index lines allocated - 1 */
	bool exact;		/* never pruned since the last clear */
	uint64_t threshold;	/* keep hash < threshold */
	uint64_t *hash;		/* cap */
	uint32_t *src;		/* cap */
	uint64_t *bits;		/* cap * nwords when nwords > 1, else NULL */
	struct ds_bk_line *line;	/* line_max + 1 */
	uint64_t *sel;		/* cap: scratch (see above) */
	uint64_t *seen;		/* DS_BK_SEEN: recently offered (src, sensor) */
	uint64_t bytes;
};

/*
 * "Recently offered" filter in front of the table: a direct-mapped array of
 * (src << 32 | sensor + 1) tags, indexed by hash bits and the sensor.  A
 * pair found there was offered since the last clear, so offering it again
 * changes nothing: either the source is in the table with the sensor's bit
 * already set, or its hash is >= the threshold (refused then, or dropped by
 * a prune since; thresholds only fall).  Merges only add bits and lower the
 * threshold, so they keep that true; clear (and load, which clears first)
 * empties the filter.  Darknet sources repeat a lot, so most offers stop
 * here, in a 32 KiB array, instead of probing the multi-MiB table.  Not
 * part of the sample's value (not dumped).
 */
#define DS_BK_SEEN 4096u

/* The index starts this small (16 KiB). */
#define DS_BK_MIN_SLOTS 1024u

static inline uint32_t
ds_bk_seen_idx(uint64_t hash, unsigned sensor)
{
	return ((uint32_t)(hash >> 32) + sensor * 0x9e3779b1u) & (DS_BK_SEEN - 1);
}

static void *
ds_bk_alloc(size_t bytes, uint64_t *total)
{
	void *p;

	bytes = (bytes + 63) & ~(size_t)63;
	p = ds_mem_table_lazy(bytes ? bytes : 64);	/* pages fill with the sample */
	if (p != NULL)
		*total += bytes;
	return p;
}

/* Free the sample and all its arrays; NULL is a no-op. */
void
ds_bk_free(struct ds_bk *b)
{
	if (b == NULL)
		return;
	free(b->hash);
	free(b->src);
	free(b->bits);
	free(b->line);
	free(b->sel);
	free(b->seen);
	free(b);
}

/* A sample of K sources with n_sensors-bit bitmaps.  k >= 16 and
 * k <= 2^28; n_sensors 1..DS_BK_MAX_SENSORS.  NULL with errno EINVAL or
 * ENOMEM.  Memory is fixed here: about 2K * 12 + next_pow2(4K) * 16 bytes,
 * plus 2K * 8 * nwords with more than 64 sensors (ds_bk_bytes()). */
struct ds_bk *
ds_bk_create(uint32_t k, unsigned n_sensors)
{
	struct ds_bk *b;
	uint64_t total = 0;
	size_t nslots;

	if (k < 16 || k > (1u << 28) || n_sensors < 1 ||
	    n_sensors > DS_BK_MAX_SENSORS) {
		errno = EINVAL;
		return NULL;
	}
	b = ds_bk_alloc(sizeof(*b), &total);
	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b->k = k;
	b->cap = 2 * k;
	b->n_sensors = n_sensors;
	b->nwords = (n_sensors + 63) / 64;
	nslots = 1;
	while (nslots < (size_t)4 * k)
		nslots <<= 1;
	b->line_max = (uint32_t)(nslots / DS_BK_WAYS - 1);
	b->line_mask = (uint32_t)((nslots < DS_BK_MIN_SLOTS ? nslots : DS_BK_MIN_SLOTS) /
				  DS_BK_WAYS - 1);
	b->hash = ds_bk_alloc((size_t)b->cap * sizeof(uint64_t), &total);
	b->src = ds_bk_alloc((size_t)b->cap * sizeof(uint32_t), &total);
	if (b->nwords > 1)
		b->bits = ds_bk_alloc((size_t)b->cap * b->nwords * sizeof(uint64_t), &total);
	b->line = ds_bk_alloc(nslots / DS_BK_WAYS * sizeof(struct ds_bk_line), &total);
	b->sel = ds_bk_alloc((size_t)b->cap * sizeof(uint64_t), &total);
	b->seen = ds_bk_alloc(DS_BK_SEEN * sizeof(uint64_t), &total);
	if (!b->hash || !b->src || (b->nwords > 1 && !b->bits) || !b->line || !b->sel ||
	    !b->seen) {
		ds_bk_free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->bytes = total;
	b->exact = true;
	b->threshold = UINT64_MAX;
	return b;
}

/* Forget every source; the threshold returns to UINT64_MAX (exact). */
void
ds_bk_clear(struct ds_bk *b)
{
	memset(b->line, 0, ((size_t)b->line_mask + 1) * sizeof(struct ds_bk_line));
	if (b->line_mask > DS_BK_MIN_SLOTS / DS_BK_WAYS - 1)
		b->line_mask = DS_BK_MIN_SLOTS / DS_BK_WAYS - 1;
	memset(b->seen, 0, DS_BK_SEEN * sizeof(uint64_t));
	b->n = 0;
	b->exact = true;
	b->threshold = UINT64_MAX;
}

/* Bits 0-3: the slots of line l holding src; bits 4-7: its free slots. */
static inline unsigned
ds_bk_match(const struct ds_bk_line *l, uint32_t src)
{
#ifdef __SSE2__
	__m128i s = _mm_load_si128((const __m128i *)l->src);
	__m128i e = _mm_load_si128((const __m128i *)l->ent);
	__m128i fr = _mm_cmpeq_epi32(e, _mm_setzero_si128());
	__m128i eq = _mm_andnot_si128(fr, _mm_cmpeq_epi32(s, _mm_set1_epi32((int)src)));

	return (unsigned)_mm_movemask_ps(_mm_castsi128_ps(eq)) |
	       (unsigned)_mm_movemask_ps(_mm_castsi128_ps(fr)) << 4;
#else
	unsigned i, m = 0;

	for (i = 0; i < DS_BK_WAYS; i++)
		m |= (unsigned)(l->ent[i] != 0 && l->src[i] == src) << i |
		     (unsigned)(l->ent[i] == 0) << (i + 4);
	return m;
#endif
}

/* The bitmap of the entry in slot w of line l. */
static inline uint64_t *
ds_bk_line_bits(struct ds_bk *b, struct ds_bk_line *l, unsigned w)
{
	if (b->nwords == 1)
		return &l->bits[w];
	return &b->bits[(size_t)(l->ent[w] - 1) * b->nwords];
}

/* Put entry e (not in the index) in the first free slot from its home
 * line; the index has room.  Its slot's inline bitmap is set to bits. */
static inline void
ds_bk_place(struct ds_bk *b, uint32_t e, uint64_t bits)
{
	uint32_t i = (uint32_t)b->hash[e] & b->line_mask;
	unsigned m;

	while ((m = ds_bk_match(&b->line[i], 0) >> 4) == 0)	/* free slots */
		i = (i + 1) & b->line_mask;
	m = (unsigned)__builtin_ctz(m);
	b->line[i].src[m] = b->src[e];
	b->line[i].ent[m] = e + 1;
	b->line[i].bits[m] = bits;
}

/* Rebuild the index with lines (a power of 2 <= line_max + 1) lines from
 * the entries; with one bitmap word, their bitmaps are in sel[]. */
static void
ds_bk_reindex(struct ds_bk *b, size_t lines)
{
	uint32_t i;

	memset(b->line, 0, ((size_t)b->line_mask + 1) * sizeof(struct ds_bk_line));
	b->line_mask = (uint32_t)(lines - 1);
	for (i = 0; i < b->n; i++)
		ds_bk_place(b, i, b->nwords == 1 ? b->sel[i] : 0);
}

/* With one bitmap word: copy the bitmaps from the index to sel[]. */
static void
ds_bk_stash_bits(struct ds_bk *b)
{
	size_t i;
	unsigned w;

	if (b->nwords == 1)
		for (i = 0; i <= b->line_mask; i++)
			for (w = 0; w < DS_BK_WAYS; w++)
				if (b->line[i].ent[w] != 0)
					b->sel[b->line[i].ent[w] - 1] = b->line[i].bits[w];
}

/* Bitmap of src (whose hash is hash), inserting src with an empty bitmap
 * if absent; the table must have room (n < cap). */
static inline uint64_t *
ds_bk_find_or_insert(struct ds_bk *b, uint32_t src, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & b->line_mask, e;
	struct ds_bk_line *l;
	unsigned m;

	for (;;) {
		l = &b->line[i];
		m = ds_bk_match(l, src);
		if (__builtin_expect((m & 0xf) != 0, 1))
			return ds_bk_line_bits(b, l, (unsigned)__builtin_ctz(m));
		if (m != 0)
			break;		/* a free slot: src is absent */
		i = (i + 1) & b->line_mask;
	}
	e = b->n++;
	b->hash[e] = hash;
	b->src[e] = src;
	if (b->nwords > 1)
		memset(&b->bits[(size_t)e * b->nwords], 0, b->nwords * sizeof(uint64_t));
	if (__builtin_expect(2 * (size_t)b->n > ((size_t)b->line_mask + 1) * DS_BK_WAYS, 0) &&
	    b->line_mask < b->line_max) {
		/* more than half full: double the index (rebuilds it) */
		ds_bk_stash_bits(b);	/* e is not in the index yet */
		b->sel[e] = 0;
		ds_bk_reindex(b, ((size_t)b->line_mask + 1) * 2);
		i = (uint32_t)hash & b->line_mask;
		while ((m = ds_bk_match(&b->line[i], src) & 0xf) == 0)
			i = (i + 1) & b->line_mask;
		return ds_bk_line_bits(b, &b->line[i], (unsigned)__builtin_ctz(m));
	}
	m = (unsigned)__builtin_ctz(m >> 4);
	l->src[m] = src;
	l->ent[m] = e + 1;
	l->bits[m] = 0;
	return ds_bk_line_bits(b, l, m);
}

/* The bitmap of entry e (not on the per-packet path). */
static const uint64_t *
ds_bk_entry_bits(const struct ds_bk *b, uint32_t e)
{
	uint32_t i = (uint32_t)b->hash[e] & b->line_mask;
	unsigned w;

	if (b->nwords > 1)
		return &b->bits[(size_t)e * b->nwords];
	for (;; i = (i + 1) & b->line_mask)
		for (w = 0; w < DS_BK_WAYS; w++)
			if (b->line[i].ent[w] == e + 1)
				return &b->line[i].bits[w];
}

/* Hoare-partition quickselect: a[nth] becomes the nth smallest (0-based). */
static uint64_t
ds_bk_select(uint64_t *a, uint32_t n, uint32_t nth)
{
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		uint64_t x = a[lo], y = a[mid], z = a[hi], piv, t;

		/* median of three */
		piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		while (i <= j) {
			while (a[i] < piv)
				i++;
			while (a[j] > piv)
				j--;
			if (i <= j) {
				t = a[i]; a[i] = a[j]; a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (nth <= j)
			hi = j;
		else if (nth >= i)
			lo = i;
		else
			return a[nth];
	}
	return a[nth];
}

/* Drop entries with hash >= threshold, compact, rebuild the index. */
static void
ds_bk_rebuild(struct ds_bk *b)
{
	uint32_t i, n = 0, w = b->nwords;

	ds_bk_stash_bits(b);
	for (i = 0; i < b->n; i++) {
		if (b->hash[i] >= b->threshold)
			continue;
		if (n != i) {
			b->hash[n] = b->hash[i];
			b->src[n] = b->src[i];
			if (w == 1)
				b->sel[n] = b->sel[i];
			else
				memcpy(&b->bits[(size_t)n * w], &b->bits[(size_t)i * w],
				       w * sizeof(uint64_t));
		}
		n++;
	}
	b->n = n;
	ds_bk_reindex(b, (size_t)b->line_mask + 1);
}

/* Keep the K smallest hashes: threshold = (K+1)-th smallest. */
static void
ds_bk_prune(struct ds_bk *b)
{
	if (b->n <= b->k)
		return;
	memcpy(b->sel, b->hash, (size_t)b->n * sizeof(uint64_t));
	b->threshold = ds_bk_select(b->sel, b->n, b->k);
	b->exact = false;
	ds_bk_rebuild(b);
}

/* ds_bk_add() past its home line: probe on, or insert, then prune when
 * full.  Kept out of line so that the common path needs few registers. */
static void __attribute__((noinline))
ds_bk_add_slow(struct ds_bk *b, uint32_t src, uint64_t hash, unsigned sensor)
{
	ds_bk_find_or_insert(b, src, hash)[sensor / 64] |= 1ULL << (sensor % 64);
	if (b->n == b->cap)
		ds_bk_prune(b);
}

/* Offer src (hash = ds_hash_u32(src)) seen at sensor.  Sensors >=
 * n_sensors are ignored.  No allocation; amortised O(1). */
void
ds_bk_add(struct ds_bk *b, uint32_t src, uint64_t hash, unsigned sensor)
{
	uint64_t tag = (uint64_t)src << 32 | (sensor + 1), *seen;
	struct ds_bk_line *l;
	unsigned m;

	if (hash >= b->threshold || sensor >= b->n_sensors)
		return;
	seen = &b->seen[ds_bk_seen_idx(hash, sensor)];
	if (*seen == tag)
		return;		/* offered since the last clear: a no-op */
	*seen = tag;
	/* the common case: src is in its home line */
	l = &b->line[(uint32_t)hash & b->line_mask];
	m = ds_bk_match(l, src) & 0xf;
	if (__builtin_expect(m != 0, 1)) {
		ds_bk_line_bits(b, l, (unsigned)__builtin_ctz(m))[sensor / 64] |=
			1ULL << (sensor % 64);
		return;
	}
	ds_bk_add_slow(b, src, hash, sensor);
}

/* dst = union(dst, src) pruned to dst's K (src is not changed).  0, or
 * -EINVAL when a pointer is NULL, dst == src, or k or n_sensors differ. */
int
ds_bk_merge(struct ds_bk *dst, const struct ds_bk *src)
{
	uint32_t i, w;

	if (dst == NULL || src == NULL || dst == src || dst->k != src->k ||
	    dst->n_sensors != src->n_sensors)
		return -EINVAL;
	w = dst->nwords;
	if (src->threshold < dst->threshold) {
		dst->threshold = src->threshold;
		ds_bk_rebuild(dst);
	}
	dst->exact = dst->exact && src->exact;
	for (i = 0; i < src->n; i++) {
		uint64_t h = src->hash[i], *db;
		const uint64_t *sb;
		uint32_t j;

		if (h >= dst->threshold)
			continue;
		sb = ds_bk_entry_bits(src, i);
		db = ds_bk_find_or_insert(dst, src->src[i], h);
		for (j = 0; j < w; j++)
			db[j] |= sb[j];
		if (dst->n == dst->cap)
			ds_bk_prune(dst);
	}
	return 0;
}

/* true while the sample (at size K) holds every source offered since the
 * last clear: never pruned and at most K sources. */
bool
ds_bk_exact(const struct ds_bk *b)
{
	return b->exact && b->n <= b->k;
}

/* Prune to K, then the number of sampled sources (<= K; K once more than K
 * distinct sources were offered). */
uint32_t
ds_bk_size(struct ds_bk *b)
{
	ds_bk_prune(b);
	return b->n;
}

/* K as given to ds_bk_create(). */
uint32_t
ds_bk_k(const struct ds_bk *b)
{
	return b->k;
}

/* Horvitz-Thompson factor after pruning to K: 1.0 when exact; else
 * n_hat / K with n_hat = (K - 1) / u_K, u_K = (K-th smallest hash + 1) /
 * 2^64, i.e. each sampled source stands for n_hat / K sources. */
double
ds_bk_scale(struct ds_bk *b)
{
	uint64_t max = 0;
	uint32_t i;
	double u;

	ds_bk_prune(b);
	if (b->exact || b->n == 0)
		return 1.0;
	for (i = 0; i < b->n; i++)
		if (b->hash[i] > max)
			max = b->hash[i];
	u = ((double)max + 1.0) / 18446744073709551616.0;
	return ((double)(b->k - 1) / u) / (double)b->k;
}

static inline int
ds_bk_pair_less(const struct ds_bk_pair *a, const struct ds_bk_pair *c)
{
	return a->hash < c->hash || (a->hash == c->hash && a->idx < c->idx);
}

static void
ds_bk_sift(struct ds_bk_pair *a, uint32_t root, uint32_t n)
{
	for (;;) {
		uint32_t c = 2 * root + 1;
		struct ds_bk_pair t;

		if (c >= n)
			return;
		if (c + 1 < n && ds_bk_pair_less(&a[c], &a[c + 1]))
			c++;
		if (!ds_bk_pair_less(&a[root], &a[c]))
			return;
		t = a[root]; a[root] = a[c]; a[c] = t;
		root = c;
	}
}

/* Heapsort by hash: in place, no allocation. */
static void
ds_bk_sort(struct ds_bk_pair *a, uint32_t n)
{
	uint32_t i;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		ds_bk_sift(a, i, n);
	for (i = n - 1; i > 0; i--) {
		struct ds_bk_pair t = a[0];

		a[0] = a[i]; a[i] = t;
		ds_bk_sift(a, 0, i);
	}
}

/* Prune to K, then call fn(src, bits, arg) per sampled source in
 * increasing hash order; bits (ceil(n_sensors/64) words) is owned by the
 * sample and valid during the call only.  fn must not modify b.  Returns
 * the first non-zero value fn returns, else 0. */
int
ds_bk_foreach(struct ds_bk *b, ds_bk_visit_fn fn, void *arg)
{
	/* the sorted pairs share the scratch array: after pruning n <= K and
	 * K 16-byte pairs fill the 2K words exactly */
	struct ds_bk_pair *order = (struct ds_bk_pair *)b->sel;
	uint32_t i;
	int rc;

	ds_bk_prune(b);
	for (i = 0; i < b->n; i++) {
		order[i].hash = b->hash[i];
		order[i].idx = i;
	}
	ds_bk_sort(order, b->n);
	for (i = 0; i < b->n; i++) {
		uint32_t e = order[i].idx;

		rc = fn(b->src[e], ds_bk_entry_bits(b, e), arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ds_bk_foreach_unordered(struct ds_bk *b, ds_bk_visit_fn fn, void *arg)
{
	uint32_t i;
	int rc;

	ds_bk_prune(b);
	for (i = 0; i < b->n; i++) {
		rc = fn(b->src[i], ds_bk_entry_bits(b, i), arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Memory held by the sample, fixed at creation. */
uint64_t
ds_bk_bytes(const struct ds_bk *b)
{
	return b->bytes;
}

/* ---- archive serialization (docs/archive-format.md) ---- */

#define DS_BK_HDR 28

size_t
ds_bk_dump(const struct ds_bk *b, void *buf, size_t len)
{
	size_t esz = 12 + (size_t)b->nwords * 8;
	size_t need = DS_BK_HDR + (size_t)b->n * esz, off;
	uint8_t *p = buf;
	uint32_t u, i;

	if (buf == NULL || len < need)
		return need;
	memcpy(p, &b->k, 4);
	memcpy(p + 4, &b->n_sensors, 4);
	u = b->exact;
	memcpy(p + 8, &u, 4);
	memcpy(p + 12, &b->threshold, 8);
	memcpy(p + 20, &b->n, 4);
	u = 0;
	memcpy(p + 24, &u, 4);
	off = DS_BK_HDR;
	for (i = 0; i < b->n; i++, off += esz) {
		memcpy(p + off, &b->src[i], 4);
		memcpy(p + off + 4, &b->hash[i], 8);
		memcpy(p + off + 12, ds_bk_entry_bits(b, i), (size_t)b->nwords * 8);
	}
	return need;
}

int
ds_bk_load(struct ds_bk *b, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t k, ns, exact, n, i, j;
	uint64_t thr, h, *bits;
	size_t esz = 12 + (size_t)b->nwords * 8, off;

	ds_bk_clear(b);
	if (buf == NULL || len < DS_BK_HDR)
		return -EINVAL;
	memcpy(&k, p, 4);
	memcpy(&ns, p + 4, 4);
	memcpy(&exact, p + 8, 4);
	memcpy(&thr, p + 12, 8);
	memcpy(&n, p + 20, 4);
	if (k != b->k || ns != b->n_sensors || exact > 1 || n >= b->cap ||
	    len != DS_BK_HDR + (size_t)n * esz || (exact && thr != UINT64_MAX))
		return -EINVAL;
	b->threshold = thr;
	b->exact = exact;
	off = DS_BK_HDR;
	for (i = 0; i < n; i++, off += esz) {
		uint32_t src;

		memcpy(&src, p + off, 4);
		memcpy(&h, p + off + 4, 8);
		if (h >= thr)
			goto bad;
		bits = ds_bk_find_or_insert(b, src, h);
		if (b->n != i + 1)	/* duplicate source */
			goto bad;
		memcpy(bits, p + off + 12, (size_t)b->nwords * 8);
		/* bits beyond n_sensors must be zero */
		if (b->n_sensors % 64 && bits[b->nwords - 1] >> (b->n_sensors % 64))
			goto bad;
		for (j = 0; j < b->nwords; j++)
			if (bits[j])
				break;
		if (j == b->nwords)	/* a sampled source is seen somewhere */
			goto bad;
	}
	return 0;
bad:
	ds_bk_clear(b);
	return -EINVAL;
}

int
ds_bk_merge_map(struct ds_bk *dst, const struct ds_bk *src, const uint16_t *map)
{
	uint32_t i, s;

	if (dst == NULL || src == NULL || dst == src || map == NULL || dst->k != src->k)
		return -EINVAL;
	for (s = 0; s < src->n_sensors; s++)
		if (map[s] >= dst->n_sensors && map[s] != DS_BK_DROP)
			return -EINVAL;
	if (src->threshold < dst->threshold) {
		dst->threshold = src->threshold;
		ds_bk_rebuild(dst);
	}
	dst->exact = dst->exact && src->exact;
	for (i = 0; i < src->n; i++) {
		uint64_t h = src->hash[i];
		const uint64_t *sb = ds_bk_entry_bits(src, i);
		uint64_t *db;

		if (h >= dst->threshold)
			continue;
		for (s = 0; s < src->n_sensors; s++)
			if ((sb[s / 64] >> (s % 64) & 1) && map[s] != DS_BK_DROP)
				break;
		if (s == src->n_sensors)
			continue;	/* seen only at dropped sensors */
		db = ds_bk_find_or_insert(dst, src->src[i], h);
		for (s = 0; s < src->n_sensors; s++)
			if ((sb[s / 64] >> (s % 64) & 1) && map[s] != DS_BK_DROP)
				db[map[s] / 64] |= 1ULL << (map[s] % 64);
		if (dst->n == dst->cap)
			ds_bk_prune(dst);
	}
	return 0;
}

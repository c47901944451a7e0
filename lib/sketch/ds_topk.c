/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_topk: bounded heavy-hitter table, the "heavy part" of Elastic Sketch
 * (T. Yang et al., "Elastic Sketch: adaptive and fast network-wide
 * measurements", SIGCOMM 2018) without the negative vote, laid out like a
 * set-associative cache.
 *
 * capacity = 2^c entries in 2^(c-3) buckets of 8 slots, 256 bytes each
 * (4 cache lines, the bucket array 256-byte aligned so a bucket never
 * straddles a page):
 *   line 0     the 8 keys;
 *   lines 1-2  8 cells {count | flags << 56, last}, two slots per 16 bytes;
 *   line 3     the 8 first timestamps.
 * A key already present (the common case for a heavy hitter) reads the key
 * line and updates one cell: 2 lines.  A new key reads the key line and, in
 * a full bucket, the 8 cells to choose a victim, then writes its key, its
 * cell and its first timestamp: 4 lines, where the structure-of-arrays
 * layout of five lines (key, count, first, last, flags) touched 5.  A
 * count takes 56 bits (at 10^8 packets a second it would take 22 years to
 * overflow) and the flags the top 8 (the documented 8 flag bits; higher bits
 * given to ds_topk_add are ignored).  The slot is found by comparing all 8
 * keys at once (no early exit, so the compiler vectorises the compare and
 * the loop has no data-dependent branch).
 *
 * The bucket is chosen by hash & (buckets - 1).  A new key in a full bucket
 * replaces the entry with the smallest count (ties: the least recently
 * seen, then the lowest slot, so a key that has just arrived is not the
 * first to go), and the eviction is counted: counts of keys never evicted
 * are exact, which is what a report should state beside the list.  Key 0
 * marks a free slot.
 *
 * Merge (equal capacities only, so an entry's bucket is the same in both
 * tables without storing its hash) adds counts of equal keys, ORs flags and
 * widens the first/last interval; a key missing from dst takes a free slot
 * or replaces dst's smallest entry if its count is larger (otherwise it is
 * dropped); both cases count as evictions.  The query sorts with a bounded
 * heap inside the caller's array: no allocation after creation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif

#include "ds_topk.h"
#include "ds_mem.h"

#define DS_TOPK_WAYS 8
#define DS_TOPK_FLAG_SHIFT 56
#define DS_TOPK_COUNT_MAX ((1ULL << DS_TOPK_FLAG_SHIFT) - 1)

struct ds_topk_cell {
	uint64_t cf;			/* count | flags << DS_TOPK_FLAG_SHIFT */
	uint64_t last;
};

struct ds_topk_bucket {
	uint64_t key[DS_TOPK_WAYS];		/* cache line 0 */
	struct ds_topk_cell c[DS_TOPK_WAYS];	/* cache lines 1, 2 */
	uint64_t first[DS_TOPK_WAYS];		/* cache line 3 */
} __attribute__((aligned(64)));

struct ds_topk {
	uint32_t capacity_log2;
	uint32_t bucket_mask;
	uint64_t evictions;
	struct ds_topk_bucket *b;
	void *mem;			/* what ds_mem_table() returned */
};

_Static_assert(sizeof(struct ds_topk_bucket) == DS_TOPK_BUCKET_BYTES, "ds_topk.h bucket size");

static inline uint64_t
ds_topk_count(uint64_t cf)
{
	return cf & DS_TOPK_COUNT_MAX;
}

static inline uint32_t
ds_topk_flags(uint64_t cf)
{
	return (uint32_t)(cf >> DS_TOPK_FLAG_SHIFT);
}

static inline uint64_t
ds_topk_cf(uint64_t count, uint32_t flags)
{
	return count | (uint64_t)(flags & 0xff) << DS_TOPK_FLAG_SHIFT;
}

struct ds_topk_buckets
ds_topk_buckets(const struct ds_topk *t)
{
	struct ds_topk_buckets v = { (const uint8_t *)t->b, t->bucket_mask };

	return v;
}

static inline size_t
ds_topk_nbuckets(const struct ds_topk *t)
{
	return (size_t)t->bucket_mask + 1;
}

/* A table of 2^capacity_log2 entries (3..24), empty.  NULL with errno
 * EINVAL or ENOMEM.  Free with ds_topk_free(). */
struct ds_topk *
ds_topk_create(unsigned capacity_log2)
{
	struct ds_topk *t;
	size_t nb, bytes;

	if (capacity_log2 < 3 || capacity_log2 > 24) {
		errno = EINVAL;
		return NULL;
	}
	t = aligned_alloc(64, 64);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	nb = (size_t)1 << (capacity_log2 - 3);
	bytes = nb * sizeof(struct ds_topk_bucket);
	t->capacity_log2 = capacity_log2;
	t->bucket_mask = (uint32_t)(nb - 1);
	t->evictions = 0;
	/* ds_mem_table() aligns to 64 bytes (2 MiB for large tables): round
	 * up to the bucket size so that a bucket stays inside one page */
	t->mem = ds_mem_table(bytes + DS_TOPK_BUCKET_BYTES - 64);
	if (t->mem == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->b = (struct ds_topk_bucket *)(((uintptr_t)t->mem + DS_TOPK_BUCKET_BYTES - 1) &
					 ~(uintptr_t)(DS_TOPK_BUCKET_BYTES - 1));
	return t;
}

/* Free the table; NULL is a no-op. */
void
ds_topk_free(struct ds_topk *t)
{
	if (t == NULL)
		return;
	free(t->mem);
	free(t);
}

/* Bits 0-7: the slot holding key; bits 8-15: the free slots. */
static inline unsigned
ds_topk_match(const struct ds_topk_bucket *bk, uint64_t key)
{
#ifdef __AVX2__
	__m256i k = _mm256_set1_epi64x((long long)key), z = _mm256_setzero_si256();
	__m256i lo = _mm256_load_si256((const __m256i *)&bk->key[0]);
	__m256i hi = _mm256_load_si256((const __m256i *)&bk->key[4]);

	return (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(lo, k))) |
	       (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(hi, k))) << 4 |
	       (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(lo, z))) << 8 |
	       (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(hi, z))) << 12;
#else
	unsigned i, m = 0;

	for (i = 0; i < DS_TOPK_WAYS; i++)
		m |= (unsigned)(bk->key[i] == key) << i |
		     (unsigned)(bk->key[i] == 0) << (i + 8);
	return m;
#endif
}

/* Victim order of slot c: count, then last (smaller goes first). */
static inline unsigned __int128
ds_topk_rank(const struct ds_topk_cell *c)
{
	return (unsigned __int128)ds_topk_count(c->cf) << 64 | c->last;
}

/* The lower-ranked of slots i < j (i on a tie). */
static inline unsigned
ds_topk_lower(unsigned i, unsigned __int128 *ri, unsigned j, unsigned __int128 rj)
{
	int lt = rj < *ri;

	*ri = lt ? rj : *ri;
	return lt ? j : i;
}

/* Slot to replace in a full bucket: smallest count, then oldest last, then
 * lowest slot: a scan with conditional moves (no data-dependent branch). */
static inline unsigned
ds_topk_victim(const struct ds_topk_bucket *bk)
{
	unsigned __int128 rv = ds_topk_rank(&bk->c[0]);
	unsigned v = 0, i;

	for (i = 1; i < DS_TOPK_WAYS; i++)
		v = ds_topk_lower(v, &rv, i, ds_topk_rank(&bk->c[i]));
	return v;
}

static inline void
ds_topk_set(struct ds_topk_bucket *bk, unsigned i, uint64_t key,
	    uint64_t count, uint32_t flags, uint64_t first, uint64_t last)
{
	bk->key[i] = key;
	bk->c[i].cf = ds_topk_cf(count, flags);
	bk->c[i].last = last;
	bk->first[i] = first;
}

/* ds_topk_add() for a key not in bucket bk (free slots in free): a free
 * slot, else the victim.  Kept out of line so that a hit needs no stack
 * frame. */
static void __attribute__((noinline))
ds_topk_insert(struct ds_topk *t, struct ds_topk_bucket *bk, unsigned free,
	       uint64_t key, uint32_t flags, uint64_t ts)
{
	unsigned i;

	if (free != 0) {
		i = (unsigned)__builtin_ctz(free);
	} else {
		i = ds_topk_victim(bk);
		t->evictions++;
	}
	ds_topk_set(bk, i, key, 1, flags, ts, ts);
}

/* Count one occurrence of key at time ts with flags (bits 0-7) OR-ed in.
 * Key 0 is ignored.  No allocation. */
void
ds_topk_add(struct ds_topk *t, uint64_t key, uint64_t hash, uint32_t flags,
	    uint64_t ts)
{
	struct ds_topk_bucket *bk = &t->b[hash & t->bucket_mask];
	unsigned m;

	if (__builtin_expect(key == 0, 0))
		return;
	m = ds_topk_match(bk, key);
	if ((m & 0xff) != 0) {
		struct ds_topk_cell *c = &bk->c[__builtin_ctz(m)];

		/* + 1 unless the 56-bit count is full */
		c->cf = (c->cf + (ds_topk_count(~c->cf) != 0)) | ds_topk_cf(0, flags);
		c->last = ts;
		return;
	}
	ds_topk_insert(t, bk, m >> 8, key, flags, ts);
}

/* Add src's entry (count, flags, first, last) into dst's slot j. */
static inline void
ds_topk_fold(struct ds_topk_bucket *d, unsigned j, uint64_t count,
	     uint32_t flags, uint64_t first, uint64_t last)
{
	uint64_t c = ds_topk_count(d->c[j].cf);

	c = count > DS_TOPK_COUNT_MAX - c ? DS_TOPK_COUNT_MAX : c + count;
	d->c[j].cf = ds_topk_cf(c, ds_topk_flags(d->c[j].cf) | flags);
	if (first < d->first[j])
		d->first[j] = first;
	if (last > d->c[j].last)
		d->c[j].last = last;
}

/* Add an entry (count, flags, first, last) for key to bucket bk: folded
 * into key's slot, else a free slot, else the victim's (an eviction); with
 * keep_larger, an entry that does not beat the victim's count is dropped
 * instead (ds_topk_merge()'s rule). */
static void
ds_topk_put(struct ds_topk *t, struct ds_topk_bucket *bk, uint64_t key, uint64_t count,
	    uint32_t flags, uint64_t first, uint64_t last, int keep_larger)
{
	unsigned m = ds_topk_match(bk, key), i;

	if ((m & 0xff) != 0) {
		ds_topk_fold(bk, (unsigned)__builtin_ctz(m), count, flags, first, last);
		return;
	}
	if ((m >> 8) != 0) {
		i = (unsigned)__builtin_ctz(m >> 8);
	} else {
		t->evictions++;
		i = ds_topk_victim(bk);
		if (keep_larger && ds_topk_count(bk->c[i].cf) >= count)
			return;		/* incoming entry dropped */
	}
	ds_topk_set(bk, i, key, count, flags, first, last);
}

void
ds_topk_add_n(struct ds_topk *t, uint64_t key, uint64_t hash, uint64_t count,
	      uint32_t flags, uint64_t first, uint64_t last)
{
	if (key == 0 || count == 0)
		return;
	if (count > DS_TOPK_COUNT_MAX)
		count = DS_TOPK_COUNT_MAX;
	ds_topk_put(t, &t->b[hash & t->bucket_mask], key, count, flags, first, last, 0);
}

/* Merge one entry into bucket d of dst, by ds_topk_merge()'s rule. */
static void
ds_topk_merge_one(struct ds_topk *dst, struct ds_topk_bucket *d, uint64_t key,
		  uint64_t count, uint32_t flags, uint64_t first, uint64_t last)
{
	ds_topk_put(dst, d, key, count, flags, first, last, 1);
}

/* dst += src (src unchanged): see the file comment for the rule.  0, or
 * -EINVAL when a pointer is NULL, dst == src or the capacities differ. */
int
ds_topk_merge(struct ds_topk *dst, const struct ds_topk *src)
{
	size_t b;
	unsigned i;

	if (dst == NULL || src == NULL || dst == src ||
	    dst->capacity_log2 != src->capacity_log2)
		return -EINVAL;
	for (b = 0; b < ds_topk_nbuckets(src); b++) {
		const struct ds_topk_bucket *s = &src->b[b];

		for (i = 0; i < DS_TOPK_WAYS; i++)
			if (s->key[i] != 0)
				ds_topk_merge_one(dst, &dst->b[b], s->key[i],
						  ds_topk_count(s->c[i].cf),
						  ds_topk_flags(s->c[i].cf),
						  s->first[i], s->c[i].last);
	}
	dst->evictions += src->evictions;
	return 0;
}

/* Empty the table and zero the eviction count. */
void
ds_topk_clear(struct ds_topk *t)
{
	ds_mem_zero(t->b, ds_topk_nbuckets(t) * sizeof(struct ds_topk_bucket));
	t->evictions = 0;
}

/* a ranks below c: smaller count, or equal count and larger key. */
static inline int
ds_topk_worse(const struct ds_topk_entry *a, const struct ds_topk_entry *c)
{
	return a->count < c->count || (a->count == c->count && a->key > c->key);
}

/* Restore the heap (worst entry at the root) below root. */
static void
ds_topk_sift(struct ds_topk_entry *h, unsigned root, unsigned n)
{
	for (;;) {
		unsigned c = 2 * root + 1;
		struct ds_topk_entry t;

		if (c >= n)
			return;
		if (c + 1 < n && ds_topk_worse(&h[c + 1], &h[c]))
			c++;
		if (!ds_topk_worse(&h[c], &h[root]))
			return;
		t = h[root]; h[root] = h[c]; h[c] = t;
		root = c;
	}
}

/* Slot i of bucket bk as an entry. */
static inline void
ds_topk_get(const struct ds_topk_bucket *bk, unsigned i, struct ds_topk_entry *e)
{
	e->key = bk->key[i];
	e->count = ds_topk_count(bk->c[i].cf);
	e->first = bk->first[i];
	e->last = bk->c[i].last;
	e->flags = ds_topk_flags(bk->c[i].cf);
}

/* Offer e to the heap h (worst entry at the root) of *used <= n entries. */
static inline void
heap_offer(struct ds_topk_entry *h, unsigned *used, unsigned n, const struct ds_topk_entry *e)
{
	if (*used < n) {
		unsigned c = (*used)++;

		/* sift up */
		h[c] = *e;
		while (c > 0 && ds_topk_worse(&h[c], &h[(c - 1) / 2])) {
			struct ds_topk_entry x = h[c];

			h[c] = h[(c - 1) / 2];
			h[(c - 1) / 2] = x;
			c = (c - 1) / 2;
		}
	} else if (ds_topk_worse(&h[0], e)) {
		h[0] = *e;
		ds_topk_sift(h, 0, *used);
	}
}

/* Heapsort: move the worst to the end each time -> best first. */
static void
heap_sort(struct ds_topk_entry *h, unsigned used)
{
	unsigned i;

	for (i = used; i > 1; i--) {
		struct ds_topk_entry x = h[0];

		h[0] = h[i - 1];
		h[i - 1] = x;
		ds_topk_sift(h, 0, i - 1);
	}
}

/* ds_topk_top()'s filter as a grouping: group 0 is kept, 1 left out. */
struct top_filter {
	ds_topk_filter_fn filter;
	void *arg;
};

static unsigned
top_filter_group(const struct ds_topk_entry *e, void *arg)
{
	const struct top_filter *f = arg;

	return f->filter == NULL || f->filter(e, f->arg) != 0 ? 0 : 1;
}

/* Copy up to n entries with the largest counts into out (caller-owned, n
 * entries), sorted by count descending, ties by key ascending; only
 * entries with filter(e, arg) != 0 when filter is not NULL.  Returns the
 * number copied (0 when out is NULL or n is 0).  O(capacity log n), no
 * allocation. */
unsigned
ds_topk_top(const struct ds_topk *t, struct ds_topk_entry *out, unsigned n,
	    ds_topk_filter_fn filter, void *arg)
{
	struct top_filter f = { filter, arg };
	unsigned got;

	ds_topk_top_groups(t, out, &got, n, 1, top_filter_group, &f);
	return got;
}

void
ds_topk_top_groups(const struct ds_topk *t, struct ds_topk_entry *out, unsigned *got,
		   unsigned n, unsigned n_groups, ds_topk_group_fn group, void *arg)
{
	unsigned i, g;
	size_t b;

	for (g = 0; g < n_groups; g++)
		got[g] = 0;
	if (t == NULL || out == NULL || n == 0)
		return;
	for (b = 0; b < ds_topk_nbuckets(t); b++)
		for (i = 0; i < DS_TOPK_WAYS; i++) {
			struct ds_topk_entry e;

			if (t->b[b].key[i] == 0)
				continue;
			ds_topk_get(&t->b[b], i, &e);
			g = group(&e, arg);
			if (g < n_groups)
				heap_offer(out + (size_t)g * n, &got[g], n, &e);
		}
	for (g = 0; g < n_groups; g++)
		heap_sort(out + (size_t)g * n, got[g]);
}

/* Entries replaced (or merged entries dropped) since the last clear. */
uint64_t
ds_topk_evictions(const struct ds_topk *t)
{
	return t->evictions;
}

/* Memory held by the table. */
uint64_t
ds_topk_bytes(const struct ds_topk *t)
{
	return 64 + ds_topk_nbuckets(t) * sizeof(struct ds_topk_bucket);
}

/* ---- archive serialization (docs/archive-format.md) ---- */

#define DS_TOPK_ESZ 40

size_t
ds_topk_dump(const struct ds_topk *t, void *buf, size_t len)
{
	size_t nb = ds_topk_nbuckets(t), b, need, off = 16;
	uint8_t *p = buf;
	uint32_t n = 0, i, u;

	for (b = 0; b < nb; b++)
		for (i = 0; i < DS_TOPK_WAYS; i++)
			n += t->b[b].key[i] != 0;
	need = 16 + (size_t)n * DS_TOPK_ESZ;
	if (buf == NULL || len < need)
		return need;
	memcpy(p, &t->capacity_log2, 4);
	memcpy(p + 4, &n, 4);
	memcpy(p + 8, &t->evictions, 8);
	for (b = 0; b < nb; b++)
		for (i = 0; i < DS_TOPK_WAYS; i++) {
			struct ds_topk_entry e;

			if (t->b[b].key[i] == 0)
				continue;
			ds_topk_get(&t->b[b], i, &e);
			u = (uint32_t)(b * DS_TOPK_WAYS + i);
			memcpy(p + off, &u, 4);
			memcpy(p + off + 4, &e.flags, 4);
			memcpy(p + off + 8, &e.key, 8);
			memcpy(p + off + 16, &e.count, 8);
			memcpy(p + off + 24, &e.first, 8);
			memcpy(p + off + 32, &e.last, 8);
			off += DS_TOPK_ESZ;
		}
	return need;
}

int
ds_topk_load(struct ds_topk *t, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t cap, n, i, slot, prev = 0;
	size_t off = 16;

	ds_topk_clear(t);
	if (buf == NULL || len < 16)
		return -EINVAL;
	memcpy(&cap, p, 4);
	memcpy(&n, p + 4, 4);
	if (cap != t->capacity_log2 || n > (1u << cap) ||
	    len != 16 + (size_t)n * DS_TOPK_ESZ)
		return -EINVAL;
	memcpy(&t->evictions, p + 8, 8);
	for (i = 0; i < n; i++, off += DS_TOPK_ESZ) {
		struct ds_topk_entry e;

		memcpy(&slot, p + off, 4);
		/* strictly increasing slots: in range, each at most once */
		if (slot >= (1u << cap) || (i > 0 && slot <= prev))
			goto bad;
		prev = slot;
		memcpy(&e.flags, p + off + 4, 4);
		memcpy(&e.key, p + off + 8, 8);
		memcpy(&e.count, p + off + 16, 8);
		memcpy(&e.first, p + off + 24, 8);
		memcpy(&e.last, p + off + 32, 8);
		/* the table holds 8 flag bits and 56-bit counts */
		if (e.key == 0 || e.flags > 0xff || e.count > DS_TOPK_COUNT_MAX)
			goto bad;
		ds_topk_set(&t->b[slot / DS_TOPK_WAYS], slot % DS_TOPK_WAYS, e.key,
			    e.count, e.flags, e.first, e.last);
	}
	return 0;
bad:
	ds_topk_clear(t);
	return -EINVAL;
}

int
ds_topk_merge_map(struct ds_topk *dst, const struct ds_topk *src,
		  ds_topk_rekey_fn rekey, void *arg)
{
	size_t b;
	unsigned i;

	if (dst == NULL || src == NULL || dst == src || rekey == NULL)
		return -EINVAL;
	for (b = 0; b < ds_topk_nbuckets(src); b++) {
		const struct ds_topk_bucket *s = &src->b[b];

		for (i = 0; i < DS_TOPK_WAYS; i++) {
			uint64_t h = 0, k;

			if (s->key[i] == 0)
				continue;
			k = rekey(s->key[i], &h, arg);
			if (k == 0)
				continue;
			ds_topk_merge_one(dst, &dst->b[h & dst->bucket_mask], k,
					  ds_topk_count(s->c[i].cf),
					  ds_topk_flags(s->c[i].cf),
					  s->first[i], s->c[i].last);
		}
	}
	dst->evictions += src->evictions;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_topk: bounded heavy-hitter table, the "heavy part" of Elastic Sketch
 * (T. Yang et al., "Elastic Sketch: adaptive and fast network-wide
 * measurements", SIGCOMM 2018) without the negative vote, laid out like a
 * set-associative cache.
 *
 * capacity = 2^c entries in 2^(c-3) buckets of 8 slots.  A bucket keeps the
 * 8 keys in its first cache line and the 8 counts in the second, then
 * first/last timestamps and flags, so the common case (key present, or a
 * free slot) reads one line of keys and writes one line of counts.  The
 * bucket is chosen by hash & (buckets - 1).  A new key in a full bucket
 * replaces the entry with the smallest count (ties: the least recently
 * seen, so a key that has just arrived is not the first to go), and the
 * eviction is counted: counts of keys never evicted are exact, which is
 * what a report should state beside the list.  Key 0 marks a free slot.
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

#include "ds_topk.h"
#include "ds_mem.h"

#define DS_TOPK_WAYS 8

struct ds_topk_bucket {
	uint64_t key[DS_TOPK_WAYS];	/* cache line 0 */
	uint64_t count[DS_TOPK_WAYS];	/* cache line 1 */
	uint64_t first[DS_TOPK_WAYS];
	uint64_t last[DS_TOPK_WAYS];
	uint32_t flags[DS_TOPK_WAYS];
} __attribute__((aligned(64)));

struct ds_topk {
	uint32_t capacity_log2;
	uint32_t bucket_mask;
	uint64_t evictions;
	struct ds_topk_bucket *b;
};

_Static_assert(sizeof(struct ds_topk_bucket) == DS_TOPK_BUCKET_BYTES, "ds_topk.h bucket size");

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
	t->b = ds_mem_table(bytes);
	if (t->b == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

/* Free the table; NULL is a no-op. */
void
ds_topk_free(struct ds_topk *t)
{
	if (t == NULL)
		return;
	free(t->b);
	free(t);
}

/* Slot to replace in a full bucket: smallest count, then oldest last. */
static inline unsigned
ds_topk_victim(const struct ds_topk_bucket *bk)
{
	unsigned i, v = 0;

	for (i = 1; i < DS_TOPK_WAYS; i++)
		if (bk->count[i] < bk->count[v] ||
		    (bk->count[i] == bk->count[v] && bk->last[i] < bk->last[v]))
			v = i;
	return v;
}

static inline void
ds_topk_set(struct ds_topk_bucket *bk, unsigned i, uint64_t key,
	    uint64_t count, uint32_t flags, uint64_t first, uint64_t last)
{
	bk->key[i] = key;
	bk->count[i] = count;
	bk->flags[i] = flags;
	bk->first[i] = first;
	bk->last[i] = last;
}

/* Count one occurrence of key at time ts with flags OR-ed in.  Key 0 is
 * ignored.  No allocation. */
void
ds_topk_add(struct ds_topk *t, uint64_t key, uint64_t hash, uint32_t flags,
	    uint64_t ts)
{
	struct ds_topk_bucket *bk = &t->b[hash & t->bucket_mask];
	unsigned i, free_slot = DS_TOPK_WAYS;

	if (key == 0)
		return;
	for (i = 0; i < DS_TOPK_WAYS; i++) {
		if (bk->key[i] == key) {
			bk->count[i]++;
			bk->flags[i] |= flags;
			bk->last[i] = ts;
			return;
		}
		if (bk->key[i] == 0 && free_slot == DS_TOPK_WAYS)
			free_slot = i;
	}
	if (free_slot == DS_TOPK_WAYS) {
		free_slot = ds_topk_victim(bk);
		t->evictions++;
	}
	ds_topk_set(bk, free_slot, key, 1, flags, ts, ts);
}

/* dst += src (src unchanged): see the file comment for the rule.  0, or
 * -EINVAL when a pointer is NULL, dst == src or the capacities differ. */
int
ds_topk_merge(struct ds_topk *dst, const struct ds_topk *src)
{
	size_t b;
	unsigned i, j;

	if (dst == NULL || src == NULL || dst == src ||
	    dst->capacity_log2 != src->capacity_log2)
		return -EINVAL;
	for (b = 0; b < ds_topk_nbuckets(src); b++) {
		const struct ds_topk_bucket *s = &src->b[b];
		struct ds_topk_bucket *d = &dst->b[b];

		for (i = 0; i < DS_TOPK_WAYS; i++) {
			unsigned slot = DS_TOPK_WAYS;

			if (s->key[i] == 0)
				continue;
			for (j = 0; j < DS_TOPK_WAYS; j++) {
				if (d->key[j] == s->key[i]) {
					d->count[j] += s->count[i];
					d->flags[j] |= s->flags[i];
					if (s->first[i] < d->first[j])
						d->first[j] = s->first[i];
					if (s->last[i] > d->last[j])
						d->last[j] = s->last[i];
					break;
				}
				if (d->key[j] == 0 && slot == DS_TOPK_WAYS)
					slot = j;
			}
			if (j < DS_TOPK_WAYS)
				continue;
			if (slot == DS_TOPK_WAYS) {
				dst->evictions++;
				slot = ds_topk_victim(d);
				if (d->count[slot] >= s->count[i])
					continue;	/* incoming entry dropped */
			}
			ds_topk_set(d, slot, s->key[i], s->count[i], s->flags[i],
				    s->first[i], s->last[i]);
		}
	}
	dst->evictions += src->evictions;
	return 0;
}

/* Empty the table and zero the eviction count. */
void
ds_topk_clear(struct ds_topk *t)
{
	memset(t->b, 0, ds_topk_nbuckets(t) * sizeof(struct ds_topk_bucket));
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

/* Copy up to n entries with the largest counts into out (caller-owned, n
 * entries), sorted by count descending, ties by key ascending; only
 * entries with filter(e, arg) != 0 when filter is not NULL.  Returns the
 * number copied (0 when out is NULL or n is 0).  O(capacity log n), no
 * allocation. */
unsigned
ds_topk_top(const struct ds_topk *t, struct ds_topk_entry *out, unsigned n,
	    ds_topk_filter_fn filter, void *arg)
{
	unsigned used = 0, i;
	size_t b;

	if (t == NULL || out == NULL || n == 0)
		return 0;
	for (b = 0; b < ds_topk_nbuckets(t); b++) {
		const struct ds_topk_bucket *bk = &t->b[b];

		for (i = 0; i < DS_TOPK_WAYS; i++) {
			struct ds_topk_entry e;

			if (bk->key[i] == 0)
				continue;
			e.key = bk->key[i];
			e.count = bk->count[i];
			e.first = bk->first[i];
			e.last = bk->last[i];
			e.flags = bk->flags[i];
			if (filter != NULL && filter(&e, arg) == 0)
				continue;
			if (used < n) {
				unsigned c = used++;

				/* sift up */
				out[c] = e;
				while (c > 0 && ds_topk_worse(&out[c], &out[(c - 1) / 2])) {
					struct ds_topk_entry x = out[c];

					out[c] = out[(c - 1) / 2];
					out[(c - 1) / 2] = x;
					c = (c - 1) / 2;
				}
			} else if (ds_topk_worse(&out[0], &e)) {
				out[0] = e;
				ds_topk_sift(out, 0, used);
			}
		}
	}
	/* Heapsort: move the worst to the end each time -> best first. */
	for (i = used; i > 1; i--) {
		struct ds_topk_entry x = out[0];

		out[0] = out[i - 1];
		out[i - 1] = x;
		ds_topk_sift(out, 0, i - 1);
	}
	return used;
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
			const struct ds_topk_bucket *bk = &t->b[b];

			if (bk->key[i] == 0)
				continue;
			u = (uint32_t)(b * DS_TOPK_WAYS + i);
			memcpy(p + off, &u, 4);
			memcpy(p + off + 4, &bk->flags[i], 4);
			memcpy(p + off + 8, &bk->key[i], 8);
			memcpy(p + off + 16, &bk->count[i], 8);
			memcpy(p + off + 24, &bk->first[i], 8);
			memcpy(p + off + 32, &bk->last[i], 8);
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
		struct ds_topk_bucket *bk;
		unsigned w;

		memcpy(&slot, p + off, 4);
		/* strictly increasing slots: in range, each at most once */
		if (slot >= (1u << cap) || (i > 0 && slot <= prev))
			goto bad;
		prev = slot;
		bk = &t->b[slot / DS_TOPK_WAYS];
		w = slot % DS_TOPK_WAYS;
		memcpy(&bk->flags[w], p + off + 4, 4);
		memcpy(&bk->key[w], p + off + 8, 8);
		memcpy(&bk->count[w], p + off + 16, 8);
		memcpy(&bk->first[w], p + off + 24, 8);
		memcpy(&bk->last[w], p + off + 32, 8);
		if (bk->key[w] == 0)
			goto bad;
	}
	return 0;
bad:
	ds_topk_clear(t);
	return -EINVAL;
}

/* Merge one entry into its bucket of dst, by ds_topk_merge()'s rule. */
static void
ds_topk_merge_one(struct ds_topk *dst, uint64_t hash, uint64_t key,
		  uint64_t count, uint32_t flags, uint64_t first, uint64_t last)
{
	struct ds_topk_bucket *d = &dst->b[hash & dst->bucket_mask];
	unsigned j, slot = DS_TOPK_WAYS;

	for (j = 0; j < DS_TOPK_WAYS; j++) {
		if (d->key[j] == key) {
			d->count[j] += count;
			d->flags[j] |= flags;
			if (first < d->first[j])
				d->first[j] = first;
			if (last > d->last[j])
				d->last[j] = last;
			return;
		}
		if (d->key[j] == 0 && slot == DS_TOPK_WAYS)
			slot = j;
	}
	if (slot == DS_TOPK_WAYS) {
		dst->evictions++;
		slot = ds_topk_victim(d);
		if (d->count[slot] >= count)
			return;
	}
	ds_topk_set(d, slot, key, count, flags, first, last);
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
			ds_topk_merge_one(dst, h, k, s->count[i], s->flags[i],
					  s->first[i], s->last[i]);
		}
	}
	dst->evictions += src->evictions;
	return 0;
}

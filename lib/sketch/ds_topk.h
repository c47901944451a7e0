/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_topk: bounded heavy-hitter table over 64-bit keys (top sources per
 * sensor).  Set-associative buckets of 8 slots; a key already present is
 * counted exactly; a new key takes a free slot, or replaces the bucket's
 * smallest entry (its count is lost, as in the heavy part of Elastic Sketch,
 * Yang et al. SIGCOMM 2018, without the vote).  No heap, no allocation per
 * packet: one hash, one 64-byte bucket of keys.  Each entry also ORs 8 flag
 * bits (tool labels, bits 0-7 of flags; higher bits are ignored) and keeps
 * first/last timestamps.  Counts are 56-bit, saturating at 2^56 - 1.
 * Merge adds counts of equal keys and keeps the largest entries.
 */
#ifndef DS_TOPK_H
#define DS_TOPK_H

#include <stddef.h>
#include <stdint.h>

struct ds_topk;

struct ds_topk_entry {
	uint64_t key;
	uint64_t count;
	uint64_t first;		/* timestamps as given to ds_topk_add */
	uint64_t last;
	uint32_t flags;
};

/* capacity = 2^capacity_log2 entries (3..24).  NULL + errno on error. */
struct ds_topk *ds_topk_create(unsigned capacity_log2);
void ds_topk_free(struct ds_topk *t);

/* Count one occurrence of key (hash = any good 64-bit hash of key; key 0 is
 * reserved and ignored). */
void ds_topk_add(struct ds_topk *t, uint64_t key, uint64_t hash,
		 uint32_t flags, uint64_t ts);
/* Count occurrences of key seen between first and last, by the same rule
 * as that many ds_topk_add() calls in a row (a new key takes a free slot
 * or the victim's, with its count).  count 0 is ignored. */
void ds_topk_add_n(struct ds_topk *t, uint64_t key, uint64_t hash, uint64_t count,
		   uint32_t flags, uint64_t first, uint64_t last);

/* Warming the bucket ds_topk_add() will use, from a separate pass before
 * the adds: ds_topk_buckets() gives the bucket array (fixed for t's life)
 * and its mask; ds_topk_touch() loads the bucket's key line (a load, not a
 * prefetch: a software prefetch that misses the TLB may be dropped; the
 * bucket is in one page) and prefetches its two lines of counts and last
 * timestamps, which a hit updates and a full bucket compares to choose a
 * victim.  Returns a value to be ignored. */
#define DS_TOPK_BUCKET_BYTES 256
struct ds_topk_buckets {
	const uint8_t *base;
	uint32_t mask;
};
struct ds_topk_buckets ds_topk_buckets(const struct ds_topk *t);

static inline uint64_t
ds_topk_touch(struct ds_topk_buckets v, uint64_t hash)
{
	const uint8_t *b = v.base + (size_t)(hash & v.mask) * DS_TOPK_BUCKET_BYTES;

	__builtin_prefetch(b + 64, 1);
	__builtin_prefetch(b + 128, 1);
	return *(const volatile uint64_t *)b;
}

/* The same as prefetches only: for a loop that must not wait on the load
 * (a batch warmed while the next is gathered). */
static inline void
ds_topk_prefetch(struct ds_topk_buckets v, uint64_t hash)
{
	const uint8_t *b = v.base + (size_t)(hash & v.mask) * DS_TOPK_BUCKET_BYTES;

	__builtin_prefetch(b, 1);
	__builtin_prefetch(b + 64, 1);
	__builtin_prefetch(b + 128, 1);
	__builtin_prefetch(b + 192, 1);
}

/* dst += src (src unchanged).  Equal keys add counts, OR flags, widen
 * first/last; a key missing from dst takes a free slot or replaces dst's
 * smallest entry in that bucket if its count is larger, else it is dropped
 * (both count as evictions).  0, or -EINVAL when a pointer is NULL,
 * dst == src, or the capacities differ (buckets must line up). */
int ds_topk_merge(struct ds_topk *dst, const struct ds_topk *src);
void ds_topk_clear(struct ds_topk *t);

/* Copy up to n entries with the largest counts into out, sorted by count
 * descending (ties: smaller key first).  Returns the number copied.  When
 * filter is not NULL only entries for which filter(entry, arg) != 0 count. */
typedef int (*ds_topk_filter_fn)(const struct ds_topk_entry *e, void *arg);
unsigned ds_topk_top(const struct ds_topk *t, struct ds_topk_entry *out,
		     unsigned n, ds_topk_filter_fn filter, void *arg);

/* ds_topk_top() for n_groups groups at once, in one pass over the table
 * (a report's per-sensor lists: one pass instead of one per sensor).
 * group(entry, arg) names an entry's group; n_groups or more leaves it
 * out.  Group g's best n entries go to out + g * n, sorted as by
 * ds_topk_top(), and their number to got[g] (got has n_groups entries,
 * all set; out n_groups * n). */
typedef unsigned (*ds_topk_group_fn)(const struct ds_topk_entry *e, void *arg);
void ds_topk_top_groups(const struct ds_topk *t, struct ds_topk_entry *out, unsigned *got,
			unsigned n, unsigned n_groups, ds_topk_group_fn group, void *arg);

/* Entries evicted since the last clear (a key's count is exact only if it
 * was never evicted: report this figure beside the list). */
uint64_t ds_topk_evictions(const struct ds_topk *t);
uint64_t ds_topk_bytes(const struct ds_topk *t);


/* Serialization for the archive (docs/archive-format.md).  ds_topk_dump()
 * writes into buf when len is large enough and returns the size it needs
 * either way: capacity_log2 (u32), n (u32), evictions (u64), then n
 * occupied slots {slot u32, flags u32, key, count, first, last u64}. */
size_t ds_topk_dump(const struct ds_topk *t, void *buf, size_t len);
/* Replace t's content by a dump of a table of equal capacity.  -EINVAL on
 * any inconsistency (t is then left cleared), including flags above 0xff
 * or a count of 2^56 or more; never reads outside buf. */
int ds_topk_load(struct ds_topk *t, const void *buf, size_t len);
/* dst += src where src's keys are renamed: rekey(key, &hash, arg) returns
 * the key in dst (0 = drop) and sets its hash (as given to ds_topk_add).
 * Capacities may differ.  0 or -EINVAL. */
typedef uint64_t (*ds_topk_rekey_fn)(uint64_t key, uint64_t *hash, void *arg);
int ds_topk_merge_map(struct ds_topk *dst, const struct ds_topk *src,
		      ds_topk_rekey_fn rekey, void *arg);

#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_topk: bounded heavy-hitter table over 64-bit keys (top sources per
 * sensor).  Set-associative buckets of 8 slots; a key already present is
 * counted exactly; a new key takes a free slot, or replaces the bucket's
 * smallest entry (its count is lost, as in the heavy part of Elastic Sketch,
 * Yang et al. SIGCOMM 2018, without the vote).  No heap, no allocation per
 * packet: one hash, one 64-byte bucket of keys.  Each entry also ORs 8 flag
 * bits (tool labels) and keeps first/last timestamps.
 * Merge adds counts of equal keys and keeps the largest entries.
 */
#ifndef DS_TOPK_H
#define DS_TOPK_H

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

/* Entries evicted since the last clear (a key's count is exact only if it
 * was never evicted: report this figure beside the list). */
uint64_t ds_topk_evictions(const struct ds_topk *t);
uint64_t ds_topk_bytes(const struct ds_topk *t);

#endif

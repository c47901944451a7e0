/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_bk: coordinated bottom-K sample of distinct IPv4 sources, each with the
 * bitmap of sensors it was seen at (Cohen & Kaplan, "Summarizing data using
 * bottom-k sketches", PODC 2007).  A source is kept iff its hash is among the
 * K smallest seen; every appliance and core hashes with ds_hash_u32(), so
 * samples are coordinated and merge by union keeping the K smallest hashes
 * and OR-ing the bitmaps of equal sources.
 *
 * While at most K distinct sources were offered, the sample is exact (every
 * source, its full bitmap).  Beyond that ds_bk_scale() gives the
 * Horvitz-Thompson factor (distinct-count estimate (K-1)/u_K divided by K)
 * that turns a count of sampled sources with some property into an unbiased
 * estimate over all sources.
 *
 * Per-packet cost: one compare against the current threshold and, for kept
 * hashes, a look in a small filter of recent (source, sensor) pairs, then
 * one 64-byte line of an open-addressing index that holds 4 sources (and
 * their bitmaps with at most 64 sensors).  The table holds up to 2K
 * entries; when full it is pruned to the K smallest (selection, no heap),
 * so the amortised cost is O(1) and memory is fixed at creation.  The
 * sample is keyed by source: a source must always be offered with the same
 * hash.
 */
#ifndef DS_BK_H
#define DS_BK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_BK_MAX_SENSORS 256

struct ds_bk;

/* k >= 16; n_sensors 1..DS_BK_MAX_SENSORS (bitmap words = ceil(n/64)).
 * NULL with errno EINVAL or ENOMEM. */
struct ds_bk *ds_bk_create(uint32_t k, unsigned n_sensors);
void ds_bk_free(struct ds_bk *b);

/* Offer source src (hash = ds_hash_u32(src), the same for every offer of
 * src) seen at sensor; a sensor >= n_sensors is ignored.  No allocation. */
void ds_bk_add(struct ds_bk *b, uint32_t src, uint64_t hash, unsigned sensor);

/* dst = union(dst, src) pruned to dst's K.  -EINVAL when k or n_sensors
 * differ. */
int ds_bk_merge(struct ds_bk *dst, const struct ds_bk *src);
void ds_bk_clear(struct ds_bk *b);

/* true while the sample holds every source offered since the last clear. */
bool ds_bk_exact(const struct ds_bk *b);
/* Number of sources in the sample after pruning to K (<= K). */
uint32_t ds_bk_size(struct ds_bk *b);
uint32_t ds_bk_k(const struct ds_bk *b);
/* Factor by which counts over the sample estimate counts over all sources:
 * 1.0 when exact. */
double ds_bk_scale(struct ds_bk *b);

/* Visit each sampled source (after pruning to K) in increasing hash order;
 * bits has ceil(n_sensors/64) words.  Stops early when fn returns non-zero
 * and returns that value. */
typedef int (*ds_bk_visit_fn)(uint32_t src, const uint64_t *bits, void *arg);
int ds_bk_foreach(struct ds_bk *b, ds_bk_visit_fn fn, void *arg);
/* The same visits in no particular order, without sorting: for callers
 * that only count (report aggregates). */
int ds_bk_foreach_unordered(struct ds_bk *b, ds_bk_visit_fn fn, void *arg);

uint64_t ds_bk_bytes(const struct ds_bk *b);


/* Serialization for the archive (docs/archive-format.md).  ds_bk_dump()
 * writes the sample into buf when len is large enough and returns the size
 * it needs either way.  Little-endian: k, n_sensors (u32), exact (u32),
 * threshold (u64), n (u32), then n entries {src u32, hash u64,
 * ceil(n_sensors/64) bitmap words u64}. */
size_t ds_bk_dump(const struct ds_bk *b, void *buf, size_t len);
/* Replace b's content by a dump of a sample with the same k and n_sensors.
 * Every count and value is validated: -EINVAL on any inconsistency (b is
 * then left cleared), never reads outside buf[0..len). */
int ds_bk_load(struct ds_bk *b, const void *buf, size_t len);
/* Like ds_bk_merge() for samples with different sensor sets: src's sensor
 * i becomes dst's sensor map[i] (< dst's n_sensors, or DS_BK_DROP: its
 * bits are dropped, and sources seen only there).  Same k required.
 * 0 or -EINVAL. */
#define DS_BK_DROP 0xffffu
int ds_bk_merge_map(struct ds_bk *dst, const struct ds_bk *src, const uint16_t *map);

#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_cm: count-min sketch (Cormode & Muthukrishnan 2005) with 32-bit
 * counters, power-of-two width and depth <= DS_CM_MAX_DEPTH.  Row i's index
 * is bits [i*log2(width), (i+1)*log2(width)) of the key's one 64-bit hash,
 * so depth * log2(width) must be <= 64.  Estimates never undercount; with
 * probability >= 1 - e^-depth they overcount by at most e * N / width.
 * Merge is element-wise addition (sketches of equal shape only).
 */
#ifndef DS_CM_H
#define DS_CM_H

#include <stdint.h>

#include "ds_hash.h"

#define DS_CM_MAX_DEPTH 8

struct ds_cm {			/* fields are internal; use the functions */
	uint32_t width_log2;
	uint32_t depth;
	uint32_t mask;
	uint32_t pad;
	uint64_t total;		/* sum of all added counts (N) */
	uint32_t *rows;		/* depth * width counters, cache-aligned */
};

/* Returns NULL with errno EINVAL (depth 0 or > max, width_log2 outside 4..24,
 * depth * width_log2 > 64) or ENOMEM. */
struct ds_cm *ds_cm_create(unsigned width_log2, unsigned depth);
void ds_cm_free(struct ds_cm *cm);

/* Make *cm a sketch over caller-owned counters rows (depth * 2^width_log2
 * zeroed uint32_t, 64-byte aligned), e.g. carved from one large table.  Not
 * passed to ds_cm_free(); the caller frees rows.  0 or -EINVAL. */
int ds_cm_init(struct ds_cm *cm, unsigned width_log2, unsigned depth, uint32_t *rows);

static inline void
ds_cm_add(struct ds_cm *cm, uint64_t hash, uint32_t count)
{
	uint32_t *row = cm->rows;
	unsigned i;

	for (i = 0; i < cm->depth; i++, row += cm->mask + 1) {
		row[hash & cm->mask] += count;
		hash >>= cm->width_log2;
	}
	cm->total += count;
}

static inline uint32_t
ds_cm_query(const struct ds_cm *cm, uint64_t hash)
{
	const uint32_t *row = cm->rows;
	uint32_t best = UINT32_MAX;
	unsigned i;

	for (i = 0; i < cm->depth; i++, row += cm->mask + 1) {
		uint32_t v = row[hash & cm->mask];
		best = v < best ? v : best;
		hash >>= cm->width_log2;
	}
	return best;
}

/* Prefetch the counter lines a later ds_cm_add(hash) touches. */
static inline void
ds_cm_prefetch(const struct ds_cm *cm, uint64_t hash)
{
	const uint32_t *row = cm->rows;
	unsigned i;

	for (i = 0; i < cm->depth; i++, row += cm->mask + 1) {
		__builtin_prefetch(&row[hash & cm->mask], 1);
		hash >>= cm->width_log2;
	}
}

/* dst += src.  Returns 0 or -EINVAL when the shapes differ. */
/* Estimates of all 65,536 ports keyed by ds_cm_port_hash(): out[p] =
 * ds_cm_query(cm, ds_cm_port_hash(p)), computed row by row from a table of
 * the port hashes built once per process (thread-safe), so a report's
 * all-ports query costs a few streaming passes instead of 65,536 hashes
 * and depth * 65,536 scattered reads.  out holds 65,536 counts. */
#define DS_CM_PORTS 65536
void ds_cm_port_counts(const struct ds_cm *cm, uint32_t *out);
/* acc[p] += ds_cm_port_counts()'s out[p] for every port, touching only the
 * ports with a non-zero estimate (a sum over sensors without a 256 KiB
 * scratch array and a pass over it per sensor). */
void ds_cm_port_counts_add(const struct ds_cm *cm, uint64_t *acc);

/* The n (<= 1000) ports with the largest estimates, largest first (ties:
 * lower port first), leaving out ports estimated 0: what sorting
 * ds_cm_port_counts()'s output gives, but a port whose first-row counter
 * (an upper bound of its estimate) cannot beat the n-th best so far costs
 * one read.  Returns how many were written to ports[] and counts[]. */
unsigned ds_cm_port_top(const struct ds_cm *cm, unsigned n, uint16_t *ports,
			uint32_t *counts);

int ds_cm_merge(struct ds_cm *dst, const struct ds_cm *src);
void ds_cm_clear(struct ds_cm *cm);
uint64_t ds_cm_total(const struct ds_cm *cm);
/* Error bound of every estimate: e * N / width (absolute count), holding
 * with probability 1 - e^-depth (ds_cm_confidence). */
double ds_cm_error_bound(const struct ds_cm *cm);
double ds_cm_confidence(const struct ds_cm *cm);
unsigned ds_cm_width(const struct ds_cm *cm);
unsigned ds_cm_depth(const struct ds_cm *cm);
uint64_t ds_cm_bytes(const struct ds_cm *cm);
/* Raw counters (depth * width), for the archive. */
uint32_t *ds_cm_counters(struct ds_cm *cm);

/* Hash of a 16-bit port for ds_cm_add / ds_cm_query. */
static inline uint64_t
ds_cm_port_hash(uint16_t port)
{
	return ds_hash_fmix64(port + 0x9e3779b97f4a7c15ULL);
}

#endif

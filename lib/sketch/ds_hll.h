/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_hll: HyperLogLog (Flajolet et al. 2007) over 64-bit hashes, one byte
 * per register, precision p = 4..18 (m = 2^p registers).  The register rule
 * is postgresql-hll's (citusdata): idx = h & (m - 1),
 * value = ctz(h >> p) + 1, capped at 2^regwidth - 1 = 63, with h =
 * ds_hash_u32(addr).  So ds_hll_export_pg() writes the FULL form that
 * PostgreSQL's hll_union_agg() merges with its own.
 *
 * Cardinality uses Ertl's improved estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017): unbiased from 0 to beyond
 * 10^9 without empirical bias tables.  Merge = register-wise max.
 */
#ifndef DS_HLL_H
#define DS_HLL_H

#include <stddef.h>
#include <stdint.h>

#define DS_HLL_MIN_P 4
#define DS_HLL_MAX_P 18

struct ds_hll {			/* fields are internal; use the functions */
	uint32_t p;
	uint32_t m;
	uint8_t *reg;		/* m registers */
};

/* NULL with errno EINVAL (p out of range) or ENOMEM. */
struct ds_hll *ds_hll_create(unsigned p);
void ds_hll_free(struct ds_hll *h);

/* Make *h a sketch of precision p over caller-owned registers reg (2^p
 * zeroed bytes), e.g. carved from one large table so that many sketches
 * share huge pages.  Such a sketch is not passed to ds_hll_free(); the
 * caller frees reg.  0 or -EINVAL (p out of range, NULL argument). */
int ds_hll_init(struct ds_hll *h, unsigned p, uint8_t *reg);

static inline void
ds_hll_add(struct ds_hll *h, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash & (h->m - 1));
	uint64_t w = hash >> h->p;
	/* postgresql-hll compressed_add(): w == 0 gives 0, not 64 - p + 1. */
	uint8_t v = w ? (uint8_t)(__builtin_ctzll(w) + 1) : 0;

	if (v > 63)
		v = 63;
	if (v > h->reg[idx])
		h->reg[idx] = v;
}

static inline void
ds_hll_prefetch(const struct ds_hll *h, uint64_t hash)
{
	__builtin_prefetch(&h->reg[hash & (h->m - 1)], 1);
}

double ds_hll_count(const struct ds_hll *h);
/* dst = max(dst, src).  0, or -EINVAL when precisions differ. */
int ds_hll_merge(struct ds_hll *dst, const struct ds_hll *src);
void ds_hll_clear(struct ds_hll *h);
unsigned ds_hll_precision(const struct ds_hll *h);
uint64_t ds_hll_bytes(const struct ds_hll *h);
uint8_t *ds_hll_registers(struct ds_hll *h);	/* m bytes, for the archive */

/* postgresql-hll FULL form, regwidth 6: 3-byte header
 * {0x14, (5 << 5) | p, 0x00} then m 6-bit registers packed big-endian.
 * Writes at most len bytes; returns the size needed (3 + ceil(6m/8)). */
size_t ds_hll_export_pg(const struct ds_hll *h, uint8_t *out, size_t len);

#endif

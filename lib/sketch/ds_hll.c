/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_hll: HyperLogLog distinct counter (P. Flajolet, E. Fusy, O. Gandouet,
 * F. Meunier, "HyperLogLog: the analysis of a near-optimal cardinality
 * estimation algorithm", AofA 2007) with the register rule and storage
 * format of postgresql-hll (citusdata), so a sketch exported with
 * ds_hll_export_pg() can be merged by PostgreSQL's hll_union_agg().
 *
 * Registers: m = 2^p bytes.  A 64-bit hash h (MurmurHash3_x64_128, seed 0,
 * first 64 bits; ds_hash_u32()) selects register h & (m - 1) and offers
 * the value ctz(h >> p) + 1, or 0 when h >> p == 0 (postgresql-hll's
 * compressed_add() rule), capped at 2^regwidth - 1 = 63.  With p >= 4 the
 * largest reachable value is 64 - p <= 60, so the cap never binds and the
 * registers are exactly those of Ertl's model with q = 64 - p.
 *
 * Estimation: O. Ertl, "New cardinality estimation algorithms for
 * HyperLogLog sketches", arXiv:1702.01284 (2017), the "improved raw
 * estimator" (Algorithm 6): from the histogram C[0..q+1] of register
 * values,
 *     z = m * tau(1 - C[q+1]/m);  for k = q..1: z = (z + C[k]) / 2;
 *     z += m * sigma(C[0]/m);     n = alpha_inf * m^2 / z,
 * alpha_inf = 1 / (2 ln 2).  sigma() takes over from linear counting at
 * small n and tau() corrects the saturated top end, so the estimate is
 * unbiased over the whole range with no empirical bias tables and no
 * switching thresholds (standard error about 1.04 / sqrt(m)).
 *
 * Export: the FULL form, byte 0 = version 1 << 4 | type 4, byte 1 =
 * (regwidth - 1) << 5 | log2m, byte 2 = sparseon << 6 | expthresh (both 0,
 * as hll_add_agg(x, p, 6, 0, 0)), then the m registers as 6-bit fields,
 * register 0 in the most significant bits of byte 3, big-endian bit order,
 * the last byte padded with zero bits.  A self-test of that packing (as in
 * Redis' PFSELFTEST) lives in tests/test_hll.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hll.h"
#include "ds_mem.h"

#define DS_HLL_REGWIDTH 6

/* Allocate a sketch of 2^p zero registers.  NULL with errno EINVAL (p
 * outside DS_HLL_MIN_P..DS_HLL_MAX_P) or ENOMEM.  Free with ds_hll_free(). */
struct ds_hll *
ds_hll_create(unsigned p)
{
	struct ds_hll *h;
	size_t m;

	if (p < DS_HLL_MIN_P || p > DS_HLL_MAX_P) {
		errno = EINVAL;
		return NULL;
	}
	m = (size_t)1 << p;
	h = aligned_alloc(64, 64);
	if (h == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	h->p = p;
	h->m = (uint32_t)m;
	h->reg = aligned_alloc(64, m < 64 ? 64 : m);
	if (h->reg == NULL) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	memset(h->reg, 0, m);
	return h;
}

/* Free the sketch and its registers; NULL is a no-op. */
int
ds_hll_init(struct ds_hll *h, unsigned p, uint8_t *reg)
{
	if (h == NULL || reg == NULL || p < DS_HLL_MIN_P || p > DS_HLL_MAX_P)
		return -EINVAL;
	h->p = p;
	h->m = 1u << p;
	h->reg = reg;
	return 0;
}

void
ds_hll_free(struct ds_hll *h)
{
	if (h == NULL)
		return;
	free(h->reg);
	free(h);
}

/* Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for x in [0, 1). */
static double
ds_hll_sigma(double x)
{
	double y = 1.0, z = x, zp;

	if (x == 1.0)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

/* Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3. */
static double
ds_hll_tau(double x)
{
	double y = 1.0, z, zp;

	if (x == 0.0 || x == 1.0)
		return 0.0;
	z = 1.0 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1.0 - x) * (1.0 - x) * y;
	} while (z != zp);
	return z / 3.0;
}

/* Estimated number of distinct hashes added (Ertl's improved raw
 * estimator); 0.0 for an empty sketch. */
double
ds_hll_count(const struct ds_hll *h)
{
	/* four histograms, so that runs of equal registers do not wait for
	 * each other's increments; all-zero 32-byte blocks (most of them in
	 * a sparse HLL) counted whole */
	uint32_t part[4][64] = { { 0 } }, hist[64];
	const unsigned q = 64 - h->p;	/* values 0..q+1 (q + 1 <= 61) */
	const double m = (double)h->m;
	const uint8_t *r = h->reg;
	double z;
	uint32_t i, j;
	int k;

	for (i = 0; i < h->m; i += 32) {
		uint64_t w[4];

		if (h->m - i < 32) {
			for (j = i; j < h->m; j++)
				part[0][r[j] > q + 1 ? q + 1 : r[j]]++;
			break;
		}
		memcpy(w, r + i, sizeof(w));
		if ((w[0] | w[1] | w[2] | w[3]) == 0) {
			part[0][0] += 32;
			continue;
		}
		for (j = 0; j < 32; j += 4) {
			unsigned a = r[i + j], b = r[i + j + 1], c = r[i + j + 2], d = r[i + j + 3];

			part[0][a > q + 1 ? q + 1 : a]++;
			part[1][b > q + 1 ? q + 1 : b]++;
			part[2][c > q + 1 ? q + 1 : c]++;
			part[3][d > q + 1 ? q + 1 : d]++;
		}
	}
	for (k = 0; k < 64; k++)
		hist[k] = part[0][k] + part[1][k] + part[2][k] + part[3][k];
	if (hist[0] == h->m)
		return 0.0;
	z = m * ds_hll_tau(1.0 - (double)hist[q + 1] / m);
	for (k = (int)q; k >= 1; k--)
		z = 0.5 * (z + hist[k]);
	z += m * ds_hll_sigma((double)hist[0] / m);
	return (m * m / (2.0 * M_LN2)) / z;
}

/* dst = register-wise max(dst, src).  0, or -EINVAL when a pointer is NULL
 * or the precisions differ. */
int
ds_hll_merge(struct ds_hll *dst, const struct ds_hll *src)
{
	uint8_t *d;
	const uint8_t *s;
	uint32_t i, m;

	if (dst == NULL || src == NULL || dst->p != src->p)
		return -EINVAL;
	d = dst->reg;
	s = src->reg;
	m = dst->m;
	for (i = 0; i < m; i++)	/* unconditional store: vectorised */
		d[i] = s[i] > d[i] ? s[i] : d[i];
	return 0;
}

/* Zero every register. */
void
ds_hll_clear(struct ds_hll *h)
{
	ds_mem_zero(h->reg, h->m);
}

/* p, log2 of the register count. */
unsigned
ds_hll_precision(const struct ds_hll *h)
{
	return h->p;
}

/* Memory held: struct + m register bytes. */
uint64_t
ds_hll_bytes(const struct ds_hll *h)
{
	return 64 + (uint64_t)(h->m < 64 ? 64 : h->m);
}

/* The m registers, one byte each, index order; owned by the sketch. */
uint8_t *
ds_hll_registers(struct ds_hll *h)
{
	return h->reg;
}

/* Write the postgresql-hll FULL form (see the file comment) into out, at
 * most len bytes (out may be NULL when len is 0).  Returns the size of the
 * whole form, 3 + ceil(6 m / 8); the output is complete only when that is
 * <= len.  Register values above 63 cannot occur (cap in ds_hll_add). */
size_t
ds_hll_export_pg(const struct ds_hll *h, uint8_t *out, size_t len)
{
	const size_t need = 3 + ((size_t)h->m * DS_HLL_REGWIDTH + 7) / 8;
	size_t bit, byte;
	uint32_t i;

	if (len < need) {
		/* Partial request: build nothing rather than a torn form. */
		return need;
	}
	out[0] = 0x14;
	out[1] = (uint8_t)(((DS_HLL_REGWIDTH - 1) << 5) | h->p);
	out[2] = 0x00;
	memset(out + 3, 0, need - 3);
	for (i = 0, bit = 0; i < h->m; i++, bit += DS_HLL_REGWIDTH) {
		/* 6 bits starting at bit offset `bit` from the MSB of out[3]. */
		uint32_t v = h->reg[i] & 0x3f;
		unsigned shift;

		byte = 3 + bit / 8;
		shift = (unsigned)(bit % 8);	/* 0, 2, 4 or 6 */
		if (shift <= 2) {
			out[byte] |= (uint8_t)(v << (2 - shift));
		} else {
			out[byte] |= (uint8_t)(v >> (shift - 2));
			out[byte + 1] |= (uint8_t)(v << (10 - shift));
		}
	}
	return need;
}

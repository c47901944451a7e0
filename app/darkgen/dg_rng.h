/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen randomness: xoshiro256** (Blackman and Vigna) for the per-day
 * streams, seeded through splitmix64, and a stateless mixer for everything
 * that must be a pure function of (seed, campaign, source index), such as a
 * source's address and its sensor set.  Same seed, same bytes.
 */
#ifndef DG_RNG_H
#define DG_RNG_H

#include <stdint.h>

struct dg_rng {
	uint64_t s[4];
};

static inline uint64_t
dg_mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
dg_hash3(uint64_t a, uint64_t b, uint64_t c)
{
	return dg_mix64(dg_mix64(dg_mix64(a) ^ b) ^ c);
}

static inline void
dg_rng_seed(struct dg_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		seed = dg_mix64(seed);
		r->s[i] = seed;
	}
}

static inline uint64_t
dg_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
dg_rng_next(struct dg_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = dg_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = dg_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift, bias < 2^-32). */
static inline uint64_t
dg_below(uint64_t h, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)h * n) >> 64);
}

static inline uint64_t
dg_rng_below(struct dg_rng *r, uint64_t n)
{
	return dg_below(dg_rng_next(r), n);
}

/* Uniform double in [0, 1). */
static inline double
dg_unit(uint64_t h)
{
	return (double)(h >> 11) * 0x1.0p-53;
}

/* Index of the first cumulative weight above u*total. */
static inline int
dg_pick(const double *cum, int n, uint64_t h)
{
	double u = dg_unit(h) * cum[n - 1];
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (cum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

#endif

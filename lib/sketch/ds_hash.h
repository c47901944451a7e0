/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_hash: the hashes every sketch shares.  One 64-bit hash per key, split
 * into row indexes by the sketches, so each packet is hashed once per key.
 *
 * ds_hash_u32() is MurmurHash3_x64_128 (Appleby) of the key's 4 little-endian
 * bytes with seed 0, first 64 bits: the hash postgresql-hll's
 * hll_hash_integer() uses, so source HLLs export to PostgreSQL unchanged and
 * bottom-K samples from different appliances are coordinated.
 */
#ifndef DS_HASH_H
#define DS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* MurmurHash3_x64_128(data, len, seed), low 64 bits of the result. */
uint64_t ds_hash64(const void *data, size_t len, uint32_t seed);

static inline uint64_t
ds_hash_rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t
ds_hash_fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* MurmurHash3_x64_128 of a 4-byte little-endian key, seed 0, low 64 bits;
 * equal to ds_hash64(&le_key, 4, 0), specialised for the fast path. */
static inline uint64_t
ds_hash_u32(uint32_t key)
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	uint64_t h1 = 0, h2 = 0, k1 = key;

	k1 *= c1;
	k1 = ds_hash_rotl64(k1, 31);
	k1 *= c2;
	h1 ^= k1;
	h1 ^= 4;
	h2 ^= 4;
	h1 += h2;
	h2 += h1;
	h1 = ds_hash_fmix64(h1);
	h2 = ds_hash_fmix64(h2);
	h1 += h2;
	return h1;
}

/* A cheap independent 64-bit hash of a 64-bit key (fmix64 of key ^ seed). */
static inline uint64_t
ds_hash_u64(uint64_t key, uint64_t seed)
{
	return ds_hash_fmix64(key ^ seed);
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_hash: MurmurHash3_x64_128 (Austin Appleby, SMHasher, public domain
 * algorithm), returning the first 64 bits (h1) of the 128-bit result.
 *
 * This is the hash postgresql-hll (citusdata) applies in hll_hash_*() with
 * seed 0 and whose first 64 bits feed its registers, so HLLs built here
 * export to PostgreSQL and bottom-K samples taken on different appliances
 * are coordinated.  Blocks and the tail are read byte-wise as little-endian
 * words, so the result does not depend on the host's byte order or on the
 * alignment of data.  The fast-path specialisation for 4-byte keys,
 * ds_hash_u32(), lives inline in ds_hash.h and is tested against this one.
 */
#include "ds_hash.h"

static inline uint64_t
ds_hash_load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* MurmurHash3_x64_128(data, len, seed), low 64 bits.  data may be NULL
 * only when len is 0. */
uint64_t
ds_hash64(const void *data, size_t len, uint32_t seed)
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	const uint8_t *p = data, *tail;
	size_t nblocks = len / 16, i;
	uint64_t h1 = seed, h2 = seed, k1, k2;

	for (i = 0; i < nblocks; i++) {
		k1 = ds_hash_load_le64(p + i * 16);
		k2 = ds_hash_load_le64(p + i * 16 + 8);

		k1 *= c1;
		k1 = ds_hash_rotl64(k1, 31);
		k1 *= c2;
		h1 ^= k1;
		h1 = ds_hash_rotl64(h1, 27);
		h1 += h2;
		h1 = h1 * 5 + 0x52dce729;

		k2 *= c2;
		k2 = ds_hash_rotl64(k2, 33);
		k2 *= c1;
		h2 ^= k2;
		h2 = ds_hash_rotl64(h2, 31);
		h2 += h1;
		h2 = h2 * 5 + 0x38495ab5;
	}

	tail = p + nblocks * 16;
	k1 = 0;
	k2 = 0;
	switch (len & 15) {
	case 15: k2 ^= (uint64_t)tail[14] << 48; /* fall through */
	case 14: k2 ^= (uint64_t)tail[13] << 40; /* fall through */
	case 13: k2 ^= (uint64_t)tail[12] << 32; /* fall through */
	case 12: k2 ^= (uint64_t)tail[11] << 24; /* fall through */
	case 11: k2 ^= (uint64_t)tail[10] << 16; /* fall through */
	case 10: k2 ^= (uint64_t)tail[9] << 8;	 /* fall through */
	case 9:
		k2 ^= (uint64_t)tail[8];
		k2 *= c2;
		k2 = ds_hash_rotl64(k2, 33);
		k2 *= c1;
		h2 ^= k2;
		/* fall through */
	case 8: k1 ^= (uint64_t)tail[7] << 56; /* fall through */
	case 7: k1 ^= (uint64_t)tail[6] << 48; /* fall through */
	case 6: k1 ^= (uint64_t)tail[5] << 40; /* fall through */
	case 5: k1 ^= (uint64_t)tail[4] << 32; /* fall through */
	case 4: k1 ^= (uint64_t)tail[3] << 24; /* fall through */
	case 3: k1 ^= (uint64_t)tail[2] << 16; /* fall through */
	case 2: k1 ^= (uint64_t)tail[1] << 8;  /* fall through */
	case 1:
		k1 ^= (uint64_t)tail[0];
		k1 *= c1;
		k1 = ds_hash_rotl64(k1, 31);
		k1 *= c2;
		h1 ^= k1;
	}

	h1 ^= (uint64_t)len;
	h2 ^= (uint64_t)len;
	h1 += h2;
	h2 += h1;
	h1 = ds_hash_fmix64(h1);
	h2 = ds_hash_fmix64(h2);
	h1 += h2;
	return h1;
}

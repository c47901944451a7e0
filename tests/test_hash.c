/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_hash: ds_hash64() against a reference MurmurHash3_x64_128 written
 * here from Appleby's public algorithm (full 128-bit output), which itself
 * must reproduce SMHasher's verification value 0x6384BA69; ds_hash_u32()
 * against ds_hash64(&le32, 4, 0); and a table of fixed cases.
 */
#include <stdint.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_test.h"

static uint64_t
ref_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
ref_fmix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* Appleby's MurmurHash3_x64_128 (x86-64 is little-endian: memcpy reads). */
static void
ref_murmur3_128(const void *key, int len, uint32_t seed, uint64_t out[2])
{
	const uint8_t *data = key;
	const int nblocks = len / 16;
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	uint64_t h1 = seed, h2 = seed, k1, k2;
	const uint8_t *tail;
	int i;

	for (i = 0; i < nblocks; i++) {
		memcpy(&k1, data + i * 16, 8);
		memcpy(&k2, data + i * 16 + 8, 8);
		k1 *= c1; k1 = ref_rotl(k1, 31); k1 *= c2; h1 ^= k1;
		h1 = ref_rotl(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
		k2 *= c2; k2 = ref_rotl(k2, 33); k2 *= c1; h2 ^= k2;
		h2 = ref_rotl(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
	}
	tail = data + nblocks * 16;
	k1 = k2 = 0;
	for (i = (len & 15) - 1; i >= 8; i--)
		k2 ^= (uint64_t)tail[i] << ((i - 8) * 8);
	if ((len & 15) > 8) {
		k2 *= c2; k2 = ref_rotl(k2, 33); k2 *= c1; h2 ^= k2;
	}
	for (i = ((len & 15) > 8 ? 8 : (len & 15)) - 1; i >= 0; i--)
		k1 ^= (uint64_t)tail[i] << (i * 8);
	if (len & 15) {
		k1 *= c1; k1 = ref_rotl(k1, 31); k1 *= c2; h1 ^= k1;
	}
	h1 ^= (uint64_t)len; h2 ^= (uint64_t)len;
	h1 += h2; h2 += h1;
	h1 = ref_fmix(h1); h2 = ref_fmix(h2);
	h1 += h2; h2 += h1;
	out[0] = h1;
	out[1] = h2;
}

/* SMHasher VerificationTest: hash {}, {0}, {0,1}, ... with seed 256 - i,
 * then hash the 256 concatenated results with seed 0. */
static uint32_t
smhasher_verification(void)
{
	uint8_t key[256], hashes[256 * 16];
	uint64_t h[2];
	int i;

	for (i = 0; i < 256; i++) {
		key[i] = (uint8_t)i;
		ref_murmur3_128(key, i, 256 - i, h);
		memcpy(hashes + i * 16, h, 16);
	}
	ref_murmur3_128(hashes, 256 * 16, 0, h);
	return (uint32_t)h[0];
}

struct hash_case {
	const char *what;
	const char *data;
	size_t len;
	uint32_t seed;
	uint64_t want;		/* 0 = compare with the reference only */
};

static const struct hash_case cases[] = {
	{ "empty input, seed 0 is all zero", "", 0, 0, 0 },
	{ "1 byte tail", "a", 1, 0, 0 },
	{ "8 byte tail", "abcdefgh", 8, 0, 0 },
	{ "9 byte tail", "abcdefghi", 9, 0, 0 },
	{ "15 byte tail", "abcdefghijklmno", 15, 0, 0 },
	{ "one block", "abcdefghijklmnop", 16, 0, 0 },
	{ "block + tail, seed", "The quick brown fox jumps over the lazy dog", 43, 42, 0 },
	{ "max seed", "darkscope", 9, UINT32_MAX, 0 },
};

int
main(void)
{
	uint8_t buf[300], le[4];
	uint64_t ref[2];
	uint32_t i, len, x;
	int bad;

	CHECK(smhasher_verification() == 0x6384BA69u,
	      "reference implementation matches SMHasher's MurmurHash3_x64_128 value");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hash_case *c = &cases[i];

		ref_murmur3_128(c->data, (int)c->len, c->seed, ref);
		CHECK(ds_hash64(c->data, c->len, c->seed) == ref[0], c->what);
		if (c->want)
			CHECK(ds_hash64(c->data, c->len, c->seed) == c->want, c->what);
	}
	CHECK(ds_hash64(NULL, 0, 0) == 0, "empty input with seed 0 hashes to 0");

	/* Every length 0..299, several seeds, unaligned start. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	bad = 0;
	for (len = 0; len < sizeof(buf) - 1; len++) {
		uint32_t seeds[] = { 0, 1, 0x9747b28c, UINT32_MAX };
		unsigned s;

		for (s = 0; s < 4; s++) {
			ref_murmur3_128(buf + 1, (int)len, seeds[s], ref);
			bad += ds_hash64(buf + 1, len, seeds[s]) != ref[0];
		}
	}
	CHECK(bad == 0, "ds_hash64 equals reference for lengths 0..298, 4 seeds");

	/* ds_hash_u32(k) == ds_hash64(&le32(k), 4, 0). */
	bad = 0;
	for (i = 0, x = 0; i < 2000000; i++, x += 2147) {
		le[0] = (uint8_t)x; le[1] = (uint8_t)(x >> 8);
		le[2] = (uint8_t)(x >> 16); le[3] = (uint8_t)(x >> 24);
		bad += ds_hash_u32(x) != ds_hash64(le, 4, 0);
	}
	{
		uint32_t edge[] = { 0, 1, 0x7fffffff, 0x80000000u, UINT32_MAX };

		for (i = 0; i < 5; i++) {
			x = edge[i];
			le[0] = (uint8_t)x; le[1] = (uint8_t)(x >> 8);
			le[2] = (uint8_t)(x >> 16); le[3] = (uint8_t)(x >> 24);
			bad += ds_hash_u32(x) != ds_hash64(le, 4, 0);
		}
	}
	CHECK(bad == 0, "ds_hash_u32(k) == ds_hash64(le32(k), 4, 0)");

	/* ds_hash_u64 is fmix64(key ^ seed) and separates nearby keys. */
	CHECK(ds_hash_u64(1, 0) != ds_hash_u64(2, 0), "ds_hash_u64 separates keys");
	CHECK(ds_hash_u64(5, 3) == ds_hash_fmix64(5 ^ 3), "ds_hash_u64 definition");

	return ds_test_done("test_hash");
}

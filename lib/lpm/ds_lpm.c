/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DIR-24-8 longest-prefix match (Gupta, Lin, McKeown, INFOCOM 1998; the
 * layout of DPDK's rte_lpm).  tbl24 holds, for every /24, either the value of
 * the longest prefix of length <= 24 covering it, or DS_LPM_EXT | g pointing
 * at a 256-entry group g in tbl8 for /24s that contain longer prefixes.
 *
 * Build-time depth arrays (depth24, depth8) remember the prefix length that
 * wrote each entry, so an add only overwrites entries written by a prefix
 * that is not longer: the result is independent of insertion order.  A /N,
 * N <= 24, covers 2^(24-N) tbl24 entries; where an entry is already a group
 * the add descends into the group's 256 entries instead.  A /N, N > 24,
 * turns its /24 into a group (seeded with the entry's old value and depth)
 * and fills 2^(32-N) group entries.  ds_lpm_freeze() drops the depth arrays
 * once the table is complete, and flattens a table of few values (the
 * sensors of a small telescope): every tbl24 entry becomes a group index,
 * a /24 without longer prefixes pointing at a group shared by all /24s of
 * its value (group 0: no route).  Lookups are then
 * tbl8[tbl24[a >> 8] << 8 | (a & 0xff)], with no select between the two
 * kinds of entry.  A shared group is 512 bytes, and a lookup reads the
 * line of it its address's last byte selects: with many values (GeoIP
 * countries, 256 sensors) those lines are one more cache miss per lookup
 * (measured: 9 % slower with 256 sensors), so only tables of at most
 * FLAT_VALUES values, whose shared groups stay in L1, are flattened.
 * Group indices fit in 16 bits: 1 + 2^15 groups of long prefixes +
 * FLAT_VALUES values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ds_lpm.h"

#define TBL24_N (1u << 24)
#define GROUP_N 256u
#define CHUNK24 2048u		/* tbl24 entries per 4 KiB (a dirty24 bit) */
#define FLAT_VALUES 16u		/* flattened tables: at most 8 KiB of shared groups */
#define DIRTY_WORDS (TBL24_N / CHUNK24 / 64)
#define MAX_GROUPS (DS_LPM_EXT)	/* group index must fit in 15 bits */

/*
 * Tables come zeroed from anonymous mappings: pages nobody writes stay
 * unbacked (a sparse sensor table or a small GeoIP database touches a few
 * of tbl24's 32 MiB), and tbl24 asks for transparent huge pages, as the
 * fast path's destination lookup hits it once per packet.
 */
static void *
tbl_alloc(size_t bytes, int huge)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(p, bytes, MADV_HUGEPAGE);	/* a hint */
#else
	(void)huge;
#endif
	return p;
}

static void
tbl_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

struct ds_lpm *
ds_lpm_create(uint32_t max_groups, unsigned flags)
{
	struct ds_lpm *l;

	if (max_groups > MAX_GROUPS) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->max_groups = max_groups;
	l->tbl8_groups = max_groups ? max_groups : 1;	/* lookups read group 0 */
	l->tbl24 = tbl_alloc(TBL24_N * sizeof(*l->tbl24), (flags & DS_LPM_DENSE) != 0);
	l->depth24 = tbl_alloc(TBL24_N * sizeof(*l->depth24), 0);
	l->tbl8 = tbl_alloc((size_t)l->tbl8_groups * GROUP_N * sizeof(*l->tbl8), 0);
	l->dirty24 = calloc(DIRTY_WORDS, sizeof(*l->dirty24));
	if (max_groups)
		l->depth8 = tbl_alloc((size_t)max_groups * GROUP_N * sizeof(*l->depth8), 0);
	if (!l->tbl24 || !l->depth24 || !l->tbl8 || !l->dirty24 || (max_groups && !l->depth8)) {
		ds_lpm_free(l);
		errno = ENOMEM;
		return NULL;
	}
	return l;
}

void
ds_lpm_free(struct ds_lpm *l)
{
	if (l == NULL)
		return;
	tbl_free(l->tbl24, TBL24_N * sizeof(*l->tbl24));
	tbl_free(l->tbl8, (size_t)l->tbl8_groups * GROUP_N * sizeof(*l->tbl8));
	tbl_free(l->depth24, TBL24_N * sizeof(*l->depth24));
	tbl_free(l->depth8, (size_t)l->max_groups * GROUP_N * sizeof(*l->depth8));
	free(l->dirty24);
	free(l);
}

/* tbl24 entries [first, first + n) may now be nonzero. */
static void
mark_dirty(struct ds_lpm *l, uint32_t first, uint32_t n)
{
	for (uint32_t c = first / CHUNK24; c <= (first + n - 1) / CHUNK24; c++)
		l->dirty24[c / 64] |= 1ull << (c % 64);
}

/* Write value into n entries of a group from first where no longer prefix
 * already owns the entry. */
static void
group_fill(struct ds_lpm *l, uint32_t group, uint32_t first, uint32_t n,
	   uint8_t len, uint16_t value)
{
	uint32_t base = group * GROUP_N + first;

	for (uint32_t i = base; i < base + n; i++) {
		if (l->depth8[i] <= len) {
			l->tbl8[i] = value;
			l->depth8[i] = len;
		}
	}
}

/* Add a prefix of length <= 24: 2^(24-len) tbl24 entries. */
static void
add_short(struct ds_lpm *l, uint32_t prefix, uint8_t len, uint16_t value)
{
	uint32_t first = len ? prefix >> 8 : 0;
	uint32_t n = 1u << (24 - len);

	mark_dirty(l, first, n);
	for (uint32_t i = first; i < first + n; i++) {
		uint16_t e = l->tbl24[i];

		if (e & DS_LPM_EXT) {
			group_fill(l, e & ~DS_LPM_EXT, 0, GROUP_N, len, value);
		} else if (l->depth24[i] <= len) {
			l->tbl24[i] = value;
			l->depth24[i] = len;
		}
	}
}

/* Turn tbl24 entry i into a group seeded with its value; returns the group
 * index or -ENOSPC. */
static int
group_get(struct ds_lpm *l, uint32_t i)
{
	uint16_t e = l->tbl24[i];
	uint32_t g;

	if (e & DS_LPM_EXT)
		return e & ~DS_LPM_EXT;
	if (l->n_groups >= l->max_groups)
		return -ENOSPC;
	g = l->n_groups++;
	for (uint32_t j = 0; j < GROUP_N; j++) {
		l->tbl8[g * GROUP_N + j] = e;
		l->depth8[g * GROUP_N + j] = l->depth24[i];
	}
	l->tbl24[i] = (uint16_t)(DS_LPM_EXT | g);
	mark_dirty(l, i, 1);
	return (int)g;
}

/* Add a prefix longer than /24 into its /24's group. */
static int
add_long(struct ds_lpm *l, uint32_t prefix, uint8_t len, uint16_t value)
{
	int g = group_get(l, prefix >> 8);

	if (g < 0)
		return g;
	group_fill(l, (uint32_t)g, prefix & 0xff, 1u << (32 - len), len, value);
	return 0;
}

int
ds_lpm_add(struct ds_lpm *l, uint32_t prefix, uint8_t len, uint16_t value)
{
	if (l == NULL || len > 32 || value == 0 || value > DS_LPM_MAX_VALUE)
		return -EINVAL;
	if (l->depth24 == NULL)
		return -EPERM;	/* frozen */
	prefix &= len ? ~0u << (32 - len) : 0;
	if (len <= 24) {
		add_short(l, prefix, len, value);
		return 0;
	}
	return add_long(l, prefix, len, value);
}

/* Call f(l, i, arg) for every tbl24 entry of a dirty chunk until it
 * returns nonzero; returns that. */
static int
each_dirty(struct ds_lpm *l, int (*f)(struct ds_lpm *, uint32_t, void *), void *arg)
{
	for (uint32_t k = 0; k < DIRTY_WORDS; k++)
		for (uint64_t u = l->dirty24[k]; u; u &= u - 1) {
			uint32_t c = k * 64 + (uint32_t)__builtin_ctzll(u);

			for (uint32_t i = c * CHUNK24; i < (c + 1) * CHUNK24; i++)
				if (f(l, i, arg))
					return 1;
		}
	return 0;
}

struct flat {
	uint16_t *grp;		/* value -> its shared group, 0 = none yet */
	uint32_t n;		/* groups so far */
};

/* A group for entry i's value if it has none yet; nonzero once there are
 * too many values to flatten. */
static int
flat_count(struct ds_lpm *l, uint32_t i, void *arg)
{
	struct flat *f = arg;
	uint16_t e = l->tbl24[i];

	if (e && !(e & DS_LPM_EXT) && !f->grp[e])
		f->grp[e] = (uint16_t)f->n++;
	return f->n - 1 - l->n_groups > FLAT_VALUES;
}

static int
flat_point(struct ds_lpm *l, uint32_t i, void *arg)
{
	const struct flat *f = arg;
	uint16_t e = l->tbl24[i];

	l->tbl24[i] = e & DS_LPM_EXT ? (uint16_t)(1 + (e & ~DS_LPM_EXT)) : f->grp[e];
	return 0;
}

/* Group 0 all zeros, then the groups of long prefixes, then one group per
 * value found in tbl24; tbl24 entries become group indices.  Tables with
 * more than FLAT_VALUES values are left as they are. */
static void
flatten(struct ds_lpm *l)
{
	struct flat f = { calloc(DS_LPM_MAX_VALUE + 1, sizeof(*f.grp)), 1 + l->n_groups };
	uint16_t *t8;

	if (f.grp == NULL)
		return;
	if (each_dirty(l, flat_count, &f)) {
		free(f.grp);
		return;
	}
	t8 = tbl_alloc((size_t)f.n * GROUP_N * sizeof(*t8), 0);
	if (t8 == NULL) {
		free(f.grp);
		return;
	}
	memcpy(t8 + GROUP_N, l->tbl8, (size_t)l->n_groups * GROUP_N * sizeof(*t8));
	for (uint32_t v = 1; v <= DS_LPM_MAX_VALUE; v++)
		for (uint32_t j = 0; f.grp[v] && j < GROUP_N; j++)
			t8[(size_t)f.grp[v] * GROUP_N + j] = (uint16_t)v;
	each_dirty(l, flat_point, &f);
	tbl_free(l->tbl8, (size_t)l->tbl8_groups * GROUP_N * sizeof(*l->tbl8));
	l->tbl8 = t8;
	l->tbl8_groups = f.n;
	l->flat = 1;
	free(f.grp);
}

void
ds_lpm_freeze(struct ds_lpm *l)
{
	if (l->dirty24 == NULL)
		return;		/* frozen already */
	flatten(l);
	tbl_free(l->depth24, TBL24_N * sizeof(*l->depth24));
	tbl_free(l->depth8, (size_t)l->max_groups * GROUP_N * sizeof(*l->depth8));
	free(l->dirty24);
	l->depth24 = NULL;
	l->depth8 = NULL;
	l->dirty24 = NULL;
}

uint64_t
ds_lpm_bytes(const struct ds_lpm *l)
{
	uint64_t b = sizeof(*l) + (uint64_t)TBL24_N * sizeof(*l->tbl24) +
		     (uint64_t)l->tbl8_groups * GROUP_N * sizeof(*l->tbl8);

	if (l->depth24)
		b += TBL24_N + (uint64_t)l->max_groups * GROUP_N + DIRTY_WORDS * 8;
	return b;
}

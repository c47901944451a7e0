/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_lpm: IPv4 longest-prefix match to a 15-bit value, DIR-24-8 layout as in
 * DPDK's rte_lpm (Gupta, Lin, McKeown, "Routing lookups in hardware at
 * memory access speeds", INFOCOM 1998): one 2^24-entry table indexed by the
 * top 24 bits, and 256-entry groups for prefixes longer than /24.  Built
 * once, then read-only: lookups are one (rarely two) loads, no locks.
 * Used for destination -> sensor and for source -> country.
 */
#ifndef DS_LPM_H
#define DS_LPM_H

#include <stdint.h>

#define DS_LPM_MAX_VALUE 0x7fff
#define DS_LPM_EXT 0x8000u

struct ds_lpm {			/* read-only after build; fields are internal */
	uint16_t *tbl24;	/* value, 0 = no route, or EXT | group; once
				 * flat: the group of the /24 */
	uint16_t *tbl8;		/* groups of 256 */
	uint32_t n_groups;
	uint32_t max_groups;
	uint32_t tbl8_groups;	/* allocated: max_groups, at least 1 */
	uint32_t flat;		/* frozen: every /24 has a group (see
				 * ds_lpm_freeze) */
	uint8_t *depth24;	/* build-time only: prefix length per entry */
	uint8_t *depth8;
	uint64_t *dirty24;	/* build-time only: a bit per 4 KiB of tbl24
				 * that holds a nonzero entry */
};

/* Create an empty table with max_groups groups: one per distinct /24 that
 * holds prefixes longer than /24 (at most 0x8000).  flags: DS_LPM_DENSE for
 * a table whose /24 entries are mostly written and looked up at random (a
 * GeoIP table): its 32 MiB /24 array asks for 2 MiB pages (fewer TLB
 * misses).  Without it (a few sensor prefixes) 4 KiB pages: a prefix then
 * costs the pages it writes, not a 2 MiB page each to zero at start-up.
 * Returns NULL and sets errno (ENOMEM, EINVAL). */
#define DS_LPM_DENSE 1u
struct ds_lpm *ds_lpm_create(uint32_t max_groups, unsigned flags);
void ds_lpm_free(struct ds_lpm *l);

/* Add prefix/len -> value (1..DS_LPM_MAX_VALUE).  Host bits of prefix are
 * ignored.  Longer prefixes win regardless of insertion order; re-adding the
 * same prefix replaces its value.  Returns 0, -EINVAL (len > 32, value out
 * of range), -ENOSPC (out of groups), -EPERM (table frozen). */
int ds_lpm_add(struct ds_lpm *l, uint32_t prefix, uint8_t len, uint16_t value);

/* Free the build-time depth arrays (a quarter of the memory) once every
 * prefix is in; later ds_lpm_add() calls return -EPERM.  Optional.  In a
 * table of at most 16 distinct values (a telescope's sensors) it also
 * makes lookups shorter: every /24 then points at a group, those without
 * longer prefixes at a shared group holding their value 256 times, so a
 * lookup is two loads and no select.  (Tables of more values, or whose
 * flat table cannot be allocated, keep the two kinds of entry.) */
void ds_lpm_freeze(struct ds_lpm *l);

/* ds_lpm_lookup() of a flattened table (l->flat): for a caller that
 * looks up many addresses and tested l->flat once. */
static inline uint16_t
ds_lpm_lookup_flat(const struct ds_lpm *l, uint32_t addr)
{
	return l->tbl8[(uint32_t)l->tbl24[addr >> 8] << 8 | (addr & 0xff)];
}

/* Value of the longest matching prefix, or 0 when none matches. */
static inline uint16_t
ds_lpm_lookup(const struct ds_lpm *l, uint32_t addr)
{
	uint32_t v, ext, i, w;

	if (l->flat)
		return ds_lpm_lookup_flat(l, addr);
	v = l->tbl24[addr >> 8];
	ext = v >> 15;
	/* no branch on whether the /24 has a group (sensors of both kinds
	 * interleave at random): without one, entry 0 of group 0 (always
	 * allocated) is read and not used */
	i = (((v & ~DS_LPM_EXT) << 8) | (addr & 0xff)) & (0u - ext);
	w = l->tbl8[i];
	return (uint16_t)((w & (0u - ext)) | (v & (ext - 1u)));
}

/* Bytes held by the table (for the memory report). */
uint64_t ds_lpm_bytes(const struct ds_lpm *l);

#endif

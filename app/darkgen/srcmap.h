/* SPDX-License-Identifier: BSD-3-Clause
 *
 * srcmap: the ground truth's main per-source table, one 16-byte slot per
 * distinct scan source holding everything the per-sensor counters need, so
 * a packet costs one probe: the sensors the source was seen at (all ports
 * and ports other than 445) and, per sensor, the last day it was seen.
 * Frames arrive in day order, so "last day != today" means a new source of
 * the day, and "last day in an earlier month" a new source of the month.
 * Open addressing, linear probing, grows at 50 % load; key 0 is empty.
 */
#ifndef DG_SRCMAP_H
#define DG_SRCMAP_H

#include <stdint.h>

#include "dg.h"

struct srcslot {
	uint32_t key;
	uint8_t mask;                      /* sensors, all ports */
	uint8_t ex445;                     /* sensors, ports other than 445 */
	uint16_t last[DG_MAX_SENSORS];     /* last day seen + 1, 0 = never */
};

struct srcmap {
	struct srcslot *slot;
	uint32_t cap, n;
};

/* 0 or -ENOMEM. */
int srcmap_init(struct srcmap *m, uint32_t cap);
void srcmap_free(struct srcmap *m);
/* The slot of key, inserted zeroed if new; NULL when out of memory.  The
 * pointer is valid until the next call. */
struct srcslot *srcmap_get(struct srcmap *m, uint32_t key);

static inline void
srcmap_prefetch(const struct srcmap *m, uint32_t key)
{
	__builtin_prefetch(&m->slot[(uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ULL) >> 32) &
				    (m->cap - 1)]);
}

#endif

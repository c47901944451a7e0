/* SPDX-License-Identifier: BSD-3-Clause
 *
 * An exact set of IPv4 sources with a small value each (the bit mask of the
 * sensors a source was seen at): open addressing, linear probing, grows at
 * 50 % load.  Key 0 (0.0.0.0) marks an empty slot; it is a bogon and never
 * a counted source.  Memory 10 bytes x capacity.
 */
#ifndef DG_U32MAP_H
#define DG_U32MAP_H

#include <stdint.h>

struct u32map {
	uint32_t *keys;
	uint8_t *vals;
	uint32_t cap;   /* power of two */
	uint32_t n;
};

/* 0 or -ENOMEM. */
int u32map_init(struct u32map *m, uint32_t cap);
void u32map_free(struct u32map *m);
/* Ors bits into key's value, inserting it; 0 or -ENOMEM. */
int u32map_or(struct u32map *m, uint32_t key, uint8_t bits);
/* Value of key, 0 if absent. */
uint8_t u32map_get(const struct u32map *m, uint32_t key);
/* Empties the set, keeping its capacity. */
void u32map_clear(struct u32map *m);

#endif

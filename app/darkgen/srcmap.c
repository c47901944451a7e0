/* SPDX-License-Identifier: BSD-3-Clause
 *
 * srcmap: see srcmap.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "srcmap.h"

static inline uint32_t
slot_of(uint32_t key, uint32_t cap)
{
	return (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

int
srcmap_init(struct srcmap *m, uint32_t cap)
{
	m->slot = calloc(cap, sizeof(*m->slot));
	m->cap = cap;
	m->n = 0;
	return m->slot ? 0 : -ENOMEM;
}

void
srcmap_free(struct srcmap *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = m->n = 0;
}

static int
grow(struct srcmap *m)
{
	struct srcmap g;

	if (srcmap_init(&g, m->cap * 2))
		return -ENOMEM;
	for (uint32_t i = 0; i < m->cap; i++) {
		uint32_t j;
		if (!m->slot[i].key)
			continue;
		j = slot_of(m->slot[i].key, g.cap);
		while (g.slot[j].key)
			j = (j + 1) & (g.cap - 1);
		g.slot[j] = m->slot[i];
	}
	g.n = m->n;
	srcmap_free(m);
	*m = g;
	return 0;
}

struct srcslot *
srcmap_get(struct srcmap *m, uint32_t key)
{
	uint32_t i = slot_of(key, m->cap);

	while (m->slot[i].key) {
		if (m->slot[i].key == key)
			return &m->slot[i];
		i = (i + 1) & (m->cap - 1);
	}
	if (2 * (m->n + 1) > m->cap) {
		if (grow(m))
			return NULL;
		return srcmap_get(m, key);
	}
	m->slot[i].key = key;
	m->n++;
	return &m->slot[i];
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * u32map: see u32map.h.  The slot is the high bits of a multiplicative
 * (Fibonacci) hash of the key, which spreads neighbouring addresses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "u32map.h"

static inline uint32_t
slot(uint32_t key, uint32_t cap)
{
	return (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

int
u32map_init(struct u32map *m, uint32_t cap)
{
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	m->cap = cap;
	m->n = 0;
	if (!m->keys || !m->vals) {
		u32map_free(m);
		return -ENOMEM;
	}
	return 0;
}

void
u32map_free(struct u32map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

static int
grow(struct u32map *m)
{
	struct u32map g;

	if (u32map_init(&g, m->cap * 2))
		return -ENOMEM;
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			u32map_or(&g, m->keys[i], m->vals[i]);
	u32map_free(m);
	*m = g;
	return 0;
}

int
u32map_or(struct u32map *m, uint32_t key, uint8_t bits)
{
	uint32_t i = slot(key, m->cap);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		if (2 * (m->n + 1) > m->cap) {
			if (grow(m))
				return -ENOMEM;
			return u32map_or(m, key, bits);
		}
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] |= bits;
	return 0;
}

uint8_t
u32map_get(const struct u32map *m, uint32_t key)
{
	uint32_t i = slot(key, m->cap);

	while (m->keys[i]) {
		if (m->keys[i] == key)
			return m->vals[i];
		i = (i + 1) & (m->cap - 1);
	}
	return 0;
}

void
u32map_clear(struct u32map *m)
{
	if (!m->n)
		return;
	memset(m->keys, 0, m->cap * sizeof(*m->keys));
	memset(m->vals, 0, m->cap * sizeof(*m->vals));
	m->n = 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_mem: see ds_mem.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ds_mem.h"

#define HUGE_2M ((size_t)2 << 20)

static int prefault = 1;

void
ds_mem_set_prefault(int on)
{
	prefault = on != 0;
}

/*
 * Zero [p, p + bytes) without touching it where the kernel can do it
 * lazily: MADV_DONTNEED on a private anonymous mapping (malloc's heap and
 * its mmapped chunks both are) drops the pages, and the next touch maps a
 * zeroed one.  The partial pages at either end, which may share a page
 * with allocator data, are cleared with memset.
 */
static void
zero_lazily(uint8_t *p, size_t bytes)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *a = (uint8_t *)(((uintptr_t)p + pg - 1) & ~(uintptr_t)(pg - 1));
	uint8_t *b = (uint8_t *)((uintptr_t)(p + bytes) & ~(uintptr_t)(pg - 1));

	if (b <= a || madvise(a, (size_t)(b - a), MADV_DONTNEED) != 0) {
		memset(p, 0, bytes);
		return;
	}
	memset(p, 0, (size_t)(a - p));
	memset(b, 0, (size_t)(p + bytes - b));
}

void *
ds_mem_table(size_t bytes)
{
	size_t align = bytes >= HUGE_2M ? HUGE_2M : 64;
	void *p = NULL;
	int rc;

	if (bytes == 0)
		bytes = 64;
	bytes = (bytes + align - 1) & ~(align - 1);
	rc = posix_memalign(&p, align, bytes);
	if (rc != 0) {
		errno = rc;
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	if (align == HUGE_2M)
		madvise(p, bytes, MADV_HUGEPAGE);	/* a hint: failure is harmless */
#endif
	if (prefault)
		memset(p, 0, bytes);
	else
		zero_lazily(p, bytes);
	return p;
}

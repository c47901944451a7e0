/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Table memory; see ds_mem.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ds_mem.h"

#define HUGE_2M ((size_t)2 << 20)

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
	memset(p, 0, bytes);
	return p;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_mem: see ds_mem.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

static void *
table(size_t bytes, int lazy)
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
	if (lazy)
		zero_lazily(p, bytes);
	else
		memset(p, 0, bytes);
	return p;
}

void *
ds_mem_table(size_t bytes)
{
	return table(bytes, !prefault);
}

void *
ds_mem_table_lazy(size_t bytes)
{
	return table(bytes, 1);
}

/* /proc/self/pagemap: one 64-bit entry per virtual page. */
#define PM_PRESENT	(1ull << 63)
#define PM_SWAPPED	(1ull << 62)
#define PM_BATCH	512		/* entries per read: 2 MiB of 4 KiB pages */
#define ZERO_MIN_PAGES	16		/* smaller blocks: memset */

static int pagemap_fd = -1;
static pthread_once_t pagemap_once = PTHREAD_ONCE_INIT;

static void
pagemap_open(void)
{
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

/* Whether [p, p + len) holds only zeros, stopping at the first 256 bytes
 * that do not.  A page that was only read is the kernel's shared zero
 * page: writing it would copy it (for a huge page, allocate and zero 2
 * MiB), so it is read first.  A daily offline run reads about 1 MiB of
 * such pages at each clear: testing 64-bit words every 64 bytes took four
 * times the instructions of ds_mem_is_zero() over 256. */
static int
all_zero(const uint8_t *p, size_t len)
{
	size_t i;
	uint8_t tail = 0;

	for (i = 0; i + 256 <= len; i += 256)
		if (!ds_mem_is_zero(p + i, 256))
			return 0;
	for (; i < len; i++)
		tail |= p[i];
	return tail == 0;
}

void
ds_mem_zero(void *p, size_t bytes)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *const lo = p, *const hi = lo + bytes;
	uint64_t ent[PM_BATCH];
	uintptr_t v, last;

	if (prefault || bytes < ZERO_MIN_PAGES * pg) {
		memset(p, 0, bytes);
		return;
	}
	pthread_once(&pagemap_once, pagemap_open);
	if (pagemap_fd < 0) {
		memset(p, 0, bytes);
		return;
	}
	last = ((uintptr_t)hi - 1) / pg;
	for (v = (uintptr_t)lo / pg; v <= last;) {
		size_t n = last - v + 1 < PM_BATCH ? last - v + 1 : PM_BATCH, i;

		if (pread(pagemap_fd, ent, n * sizeof(ent[0]), (off_t)(v * sizeof(ent[0]))) !=
		    (ssize_t)(n * sizeof(ent[0]))) {
			uint8_t *a = (uint8_t *)(v * pg) > lo ? (uint8_t *)(v * pg) : lo;

			memset(a, 0, (size_t)(hi - a));	/* cannot tell: zero the rest */
			return;
		}
		for (i = 0; i < n; i++, v++) {
			uint8_t *a = (uint8_t *)(v * pg), *b = a + pg;

			if (!(ent[i] & (PM_PRESENT | PM_SWAPPED)))
				continue;	/* never touched: reads as zero */
			a = a > lo ? a : lo;
			b = b < hi ? b : hi;
			if (!all_zero(a, (size_t)(b - a)))
				memset(a, 0, (size_t)(b - a));
		}
	}
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_mem: ds_mem_table() blocks read as zero, with prefaulting on and
 * off; ds_mem_zero() zeroes exactly [p, p + bytes) whatever the pages hold
 * (written, only read, never touched; ranges that start and end inside a
 * page; blocks below the size where it asks the pagemap), and with
 * prefaulting off leaves never-touched pages untouched (still absent from
 * /proc/self/pagemap afterwards); ds_mem_table_lazy() blocks read as zero
 * and have no page present until touched, with prefaulting on or off.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_mem.h"
#include "ds_test.h"

#define PAGES 96

/* What a case does to each page of a PAGES-page block before the zeroing:
 * W write, L write its last byte only (the zero test must read the whole
 * page), R read only, - nothing. */
struct mcase {
	const char *name;
	int prefault;
	const char *touch;	/* one letter per page, repeated */
	size_t from, to;	/* zeroed range: [from, PAGES * page - to) */
};

static const struct mcase cases[] = {
	{ "prefault, all written", 1, "W", 0, 0 },
	{ "lazy, all written", 0, "W", 0, 0 },
	{ "lazy, every third page written", 0, "W--", 0, 0 },
	{ "lazy, written, read, untouched", 0, "WR-", 0, 0 },
	{ "lazy, nothing touched", 0, "-", 0, 0 },
	{ "lazy, range inside pages at both ends", 0, "W-W", 100, 333 },
	{ "lazy, only the last byte of pages written", 0, "L-R", 0, 0 },
	{ "lazy, last bytes, range inside pages at both ends", 0, "L", 100, 333 },
	{ "lazy, small range (memset)", 0, "W", 4096 * 40 + 7, 4096 * 50 },
	{ "prefault, range inside pages", 1, "WR", 1, 4095 },
};

/* 1 if the page at p is present or swapped, 0 if not, -1 unknown. */
static int
page_mapped(const void *p)
{
	static int fd = -2;
	uint64_t e;
	long pg = sysconf(_SC_PAGESIZE);

	if (fd == -2)
		fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / (uintptr_t)pg * sizeof(e))) !=
	    (ssize_t)sizeof(e))
		return -1;
	return (e >> 62) != 0;
}

int
main(void)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * pg;
	unsigned i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mcase *c = &cases[i];
		size_t tl = strlen(c->touch), end = len - c->to, bad = 0, sum = 0, j;
		uint8_t *m, *b;

		ds_mem_set_prefault(c->prefault);
		m = ds_mem_table(len + pg);	/* cache-line aligned: b is the first page in it */
		if (!CHECK(m != NULL, c->name))
			continue;
		b = (uint8_t *)(((uintptr_t)m + pg - 1) & ~(uintptr_t)(pg - 1));
		/* (only the pages the case touches are read: a read maps a page) */
		for (k = 0; k < PAGES; k++) {
			char t = c->touch[k % tl];

			for (j = 0; t != '-' && j < pg; j++)
				sum += b[k * pg + j];
			if (t == 'W')
				memset(b + k * pg, 0x5a, pg);
			if (t == 'L')
				b[k * pg + pg - 1] = 0x5a;
		}
		CHECK(sum == 0, "a new table reads as zero");
		ds_mem_zero(b + c->from, end - c->from);
		if (!c->prefault && end - c->from >= 16 * pg) {
			/* never-touched pages wholly inside the range stay absent */
			for (k = 0; k < PAGES; k++) {
				size_t a = k * pg;

				if (c->touch[k % tl] == '-' && a >= c->from && a + pg <= end)
					bad += page_mapped(b + a) == 1;
			}
			CHECK(bad == 0, c->name);
		}
		for (j = 0, bad = 0; j < len; j++) {
			int inside = j >= c->from && j < end;
			char t = c->touch[(j / pg) % tl];
			int written = t == 'W' || (t == 'L' && j % pg == pg - 1);

			bad += inside ? b[j] != 0 : b[j] != (written ? 0x5a : 0);
		}
		CHECK(bad == 0, c->name);
		free(m);
	}
	/* ds_mem_table_lazy(): never prefaulted, whatever the setting; the
	 * same block from ds_mem_table() with prefaulting on is all present
	 * (the check can tell them apart) */
	for (k = 0; k < 3; k++) {
		const int lazy = k < 2;
		size_t present = 0, unknown = 0, sum = 0, j;
		uint8_t *m, *b;

		ds_mem_set_prefault(k != 0);
		m = lazy ? ds_mem_table_lazy(len + pg) : ds_mem_table(len + pg);
		if (!CHECK(m != NULL, "lazy table"))
			continue;
		b = (uint8_t *)(((uintptr_t)m + pg - 1) & ~(uintptr_t)(pg - 1));
		for (i = 0; i < PAGES - 1; i++) {
			int v = page_mapped(b + (size_t)i * pg);

			present += v == 1;
			unknown += v < 0;
		}
		CHECK(unknown == 0, "/proc/self/pagemap readable");
		if (!unknown)
			CHECK(lazy ? present == 0 : present == PAGES - 1,
			      lazy ? "a lazy table's pages are absent until touched" :
				     "a prefaulted table's pages are present");
		for (j = 0; j < len; j++)
			sum += b[j];
		CHECK(sum == 0, "a lazy table reads as zero");
		free(m);
	}
	ds_mem_set_prefault(1);
	return ds_test_done("test_mem");
}

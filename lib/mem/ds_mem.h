/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_mem: memory for the large sketch tables.  Tables of 2 MiB or more are
 * 2 MiB aligned and marked MADV_HUGEPAGE, so that with transparent huge
 * pages in "madvise" mode (Debian's default) a random probe into an 8 MiB
 * fingerprint table costs one TLB entry per 2 MiB instead of one per 4 KiB:
 * on a VM a TLB miss is what makes a prefetch arrive too late.  Smaller
 * blocks are cache-line aligned.  Memory is zeroed; free with free().
 *
 * By default every page is written at allocation (prefault), so a worker
 * never takes a page fault on its first packets, when a stall of a 2 MiB
 * zeroing would cost receive-ring entries.  A process that reads files
 * instead of a NIC (darkscope --pcap, darkscope-report) turns prefaulting
 * off: blocks are then zeroed lazily by the kernel, and pages a run never
 * touches cost nothing, which is most of a short run's start-up.
 */
#ifndef DS_MEM_H
#define DS_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Zeroed block of bytes (>= 1), as described above.  NULL + errno. */
void *ds_mem_table(size_t bytes);

/* The same, but never prefaulted: for tables that fill as a run goes on
 * and are touched once per new key, not per packet (the bottom-K samples:
 * a watched port with a few hundred sources uses a few of its sample's
 * pages).  A worker then takes a page fault (a 4 KiB or, for blocks of 2
 * MiB or more, a 2 MiB zeroing) the first time an entry lands on a page,
 * and only the pages used are resident. */
void *ds_mem_table_lazy(size_t bytes);

/* Process-wide: 1 (default) = write every page at allocation, 0 = let
 * the kernel zero pages on first touch.  Set once, before allocating. */
void ds_mem_set_prefault(int on);

/* memset(p, 0, bytes) for clearing a table between periods.  With
 * prefaulting off, the pages of a block of 16 pages or more that the
 * process never touched (neither present nor swapped out, as
 * /proc/self/pagemap says) are left alone: they read as zero already, and
 * writing them would cost a page fault and a zeroing each.  A process
 * reading files with 256 sensors used to touch all of a 241 MiB set at
 * its first clear.  Without a readable pagemap this is memset. */
void ds_mem_zero(void *p, size_t bytes);

/* Whether the n bytes at p, n a multiple of 32, are all zero: 256-bit
 * loads ORed together and one test at the end.  For the scans of mostly
 * empty tables (a clear's pages, a period's per-port counts, a sketch's
 * first row), where a loop testing word by word compiled to a load, an OR
 * and a branch per word. */
static inline int
ds_mem_is_zero(const void *p, size_t n)
{
	typedef uint64_t v4 __attribute__((vector_size(32)));
	const uint8_t *b = p;
	v4 acc = { 0 }, v;
	size_t i;

	for (i = 0; i < n; i += sizeof(v)) {
		memcpy(&v, b + i, sizeof(v));
		acc |= v;
	}
	return (acc[0] | acc[1] | acc[2] | acc[3]) == 0;
}

#endif

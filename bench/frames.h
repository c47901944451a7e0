/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The replayed frames of the data-path benchmarks (dpbench, abpass): a
 * classic pcap file loaded into one buffer, BENCH_SLOT bytes per frame, and
 * the per-pass variation of TCP sequence numbers.
 *
 * Replaying one file pass after pass would show the fingerprint table the
 * same (sport, seq, ipid, window) tuples every pass, so from the second
 * pass on nearly every lookup would hit: darknet traffic is the opposite,
 * nearly every SYN a tuple never seen before.  So each pass XORs the upper
 * 16 bits of every untagged IPv4 TCP frame's sequence number with a value
 * of its own (outside the timed region).  Tuples stay distinct within a
 * pass, shared tuples stay shared, Masscan's label (which uses the low 16
 * bits) holds, and Mirai frames (seq == destination) are left alone.
 */
#ifndef BENCH_FRAMES_H
#define BENCH_FRAMES_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"

#define BENCH_SLOT 64		/* bytes kept per frame (60-byte frames) */

struct bench_frames {
	uint8_t *frames;	/* n frames of BENCH_SLOT bytes */
	uint32_t *lens;		/* bytes kept of each */
	unsigned n;
	uint64_t file_bytes;
	uint16_t *seq_off;	/* offset of the sequence number, 0 = left alone */
	uint32_t *seq_orig;	/* its value in the file */
};

/* Where each untagged IPv4 TCP frame's sequence number is. */
static inline int
bench_frames_find_seqs(struct bench_frames *b)
{
	b->seq_off = calloc(b->n, sizeof(*b->seq_off));
	b->seq_orig = calloc(b->n, sizeof(*b->seq_orig));
	if (!b->seq_off || !b->seq_orig)
		return -ENOMEM;
	for (unsigned i = 0; i < b->n; i++) {
		const uint8_t *f = b->frames + (size_t)i * BENCH_SLOT;
		unsigned ihl, off;
		uint32_t seq, dst;

		if (b->lens[i] < 34 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 ||
		    f[23] != 6)
			continue;
		ihl = (f[14] & 15u) * 4;
		off = 14 + ihl + 4;
		if (ihl < 20 || off + 4 > b->lens[i])
			continue;
		memcpy(&seq, f + off, 4);
		memcpy(&dst, f + 30, 4);
		if (seq == dst)
			continue;	/* Mirai */
		b->seq_off[i] = (uint16_t)off;
		b->seq_orig[i] = seq;
	}
	return 0;
}

/* Load a classic pcap file (either byte order); 0 or -errno. */
static inline int
bench_frames_load(struct bench_frames *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	static uint8_t buf[65536];
	unsigned cap = 1 << 16;
	int swap, rc = -EINVAL;

	memset(b, 0, sizeof(*b));
	if (!f)
		return -errno;
	if (fread(gh, 1, 24, f) != 24 || !(gh[0] == 0xd4 || gh[0] == 0x4d || gh[0] == 0xa1))
		goto out;
	swap = gh[0] == 0xa1;
	b->frames = malloc((size_t)cap * BENCH_SLOT);
	b->lens = malloc(cap * sizeof(*b->lens));
	while (b->frames && b->lens && fread(rh, 1, 16, f) == 16) {
		uint32_t incl, keep;

		memcpy(&incl, rh + 8, 4);
		incl = swap ? __builtin_bswap32(incl) : incl;
		if (incl > sizeof(buf) || fread(buf, 1, incl, f) != incl)
			goto out;
		if (b->n == cap) {
			cap *= 2;
			b->frames = realloc(b->frames, (size_t)cap * BENCH_SLOT);
			b->lens = realloc(b->lens, cap * sizeof(*b->lens));
			if (!b->frames || !b->lens)
				break;
		}
		keep = incl < BENCH_SLOT ? incl : BENCH_SLOT;
		memcpy(b->frames + (size_t)b->n * BENCH_SLOT, buf, keep);
		b->lens[b->n++] = keep;
	}
	b->file_bytes = (uint64_t)ftell(f);
	rc = !b->frames || !b->lens ? -ENOMEM : b->n ? bench_frames_find_seqs(b) : -EINVAL;
out:
	fclose(f);
	return rc;
}

/* The sequence numbers of pass number pass (network byte order: the
 * first two bytes are the upper 16 bits). */
static inline void
bench_frames_vary(struct bench_frames *b, unsigned pass)
{
	uint32_t x = (uint32_t)(ds_hash_u32(pass) & 0xffff);

	for (unsigned i = 0; i < b->n; i++) {
		uint8_t *q = b->frames + (size_t)i * BENCH_SLOT + b->seq_off[i];

		if (!b->seq_off[i])
			continue;
		memcpy(q, &b->seq_orig[i], 4);
		q[0] ^= (uint8_t)(x >> 8);
		q[1] ^= (uint8_t)x;
	}
}

#endif

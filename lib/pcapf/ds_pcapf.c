/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_pcapf: see ds_pcapf.h.  The format is that of pcap-savefile(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds_pcapf.h"

#define FILE_HDR	24
#define REC_HDR		16
#define MAGIC_USEC	0xa1b2c3d4u
#define MAGIC_NSEC	0xa1b23c4du
#define LINKTYPE_ETHERNET 1u
#define LINKTYPE_MASK	0x03ffffffu	/* the upper bits carry FCS details */
#define MAX_CAPLEN	262144u		/* libpcap's limit for Ethernet */

struct ds_pcapf {
	const uint8_t *pos, *end;
	void *map;		/* the mapping, NULL for a memory image */
	size_t map_len;
	uint32_t snapshot;	/* longer captures are cut to this */
	uint32_t ts_mul;	/* 1000 (microseconds) or 1 */
	int swapped;
	char err[128];
};

static inline uint32_t
rd32(const uint8_t *p, int swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap32(v) : v;
}

static inline uint16_t
rd16(const uint8_t *p, int swapped)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap16(v) : v;
}

/* A time stamp field as libpcap 1.10 reads it: signed in a file of the
 * host's byte order, unsigned in the other (its byte swap yields an
 * unsigned int).  Only fields past 2038 or a fraction past 2^31 differ. */
static inline int64_t
ts_field(const uint8_t *p, int swapped)
{
	uint32_t v = rd32(p, swapped);

	return swapped ? (int64_t)v : (int64_t)(int32_t)v;
}

/* 0 when the file header h is one this reader takes, with f set up. */
static int
take_header(struct ds_pcapf *f, const uint8_t *h)
{
	uint32_t magic = rd32(h, 0), snap, link;

	f->swapped = magic == __builtin_bswap32(MAGIC_USEC) ||
		     magic == __builtin_bswap32(MAGIC_NSEC);
	magic = rd32(h, f->swapped);
	if (magic != MAGIC_USEC && magic != MAGIC_NSEC)
		return -1;
	if (rd16(h + 4, f->swapped) != 2 || rd16(h + 6, f->swapped) != 4)
		return -1;	/* 2.3 and older may swap the two lengths */
	snap = rd32(h + 16, f->swapped);
	link = rd32(h + 20, f->swapped);
	if ((link & LINKTYPE_MASK) != LINKTYPE_ETHERNET)
		return -1;
	f->snapshot = snap == 0 || snap > MAX_CAPLEN ? MAX_CAPLEN : snap;
	f->ts_mul = magic == MAGIC_NSEC ? 1 : 1000;
	return 0;
}

struct ds_pcapf *
ds_pcapf_open_mem(const void *buf, size_t len)
{
	struct ds_pcapf *f;

	if (len < FILE_HDR) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if (take_header(f, buf) != 0) {
		free(f);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	f->pos = (const uint8_t *)buf + FILE_HDR;
	f->end = (const uint8_t *)buf + len;
	return f;
}

struct ds_pcapf *
ds_pcapf_open(const char *path)
{
	uint8_t h[FILE_HDR];
	struct ds_pcapf *f, probe;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < FILE_HDR ||
	    pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || take_header(&probe, h) != 0) {
		close(fd);
		errno = EPROTONOSUPPORT;	/* libpcap says what is wrong */
		return NULL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (map == MAP_FAILED) {
		errno = e;
		return NULL;
	}
	f = ds_pcapf_open_mem(map, (size_t)st.st_size);
	if (!f) {
		e = errno;
		munmap(map, (size_t)st.st_size);
		errno = e;
		return NULL;
	}
	/* read once, front to back: read ahead, drop behind */
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	f->map = map;
	f->map_len = (size_t)st.st_size;
	return f;
}

/* End the file with an error. */
static int
damaged(struct ds_pcapf *f)
{
	f->pos = f->end;
	return -1;
}

int
ds_pcapf_next(struct ds_pcapf *f, const uint8_t **data, uint32_t *caplen, uint64_t *ts_ns)
{
	size_t left = (size_t)(f->end - f->pos);
	int64_t sec, frac;
	uint32_t cap;

	if (left < REC_HDR) {
		if (left == 0)
			return 0;
		snprintf(f->err, sizeof(f->err),
			 "truncated dump file; tried to read %u header bytes, only got %zu",
			 REC_HDR, left);
		return damaged(f);
	}
	sec = ts_field(f->pos, f->swapped);
	frac = ts_field(f->pos + 4, f->swapped);
	cap = rd32(f->pos + 8, f->swapped);
	if (cap > MAX_CAPLEN) {
		snprintf(f->err, sizeof(f->err),
			 "invalid packet capture length %u, bigger than snaplen of %u", cap,
			 f->snapshot);
		return damaged(f);
	}
	if (left - REC_HDR < cap) {
		snprintf(f->err, sizeof(f->err),
			 "truncated dump file; tried to read %u captured bytes, only got %zu", cap,
			 left - REC_HDR);
		return damaged(f);
	}
	*data = f->pos + REC_HDR;
	*caplen = cap < f->snapshot ? cap : f->snapshot;
	*ts_ns = (uint64_t)(sec * 1000000000 + frac * f->ts_mul);
	f->pos += REC_HDR + cap;
	return 1;
}

const char *
ds_pcapf_error(const struct ds_pcapf *f)
{
	return f->err;
}

void
ds_pcapf_close(struct ds_pcapf *f)
{
	if (!f)
		return;
	if (f->map)
		munmap(f->map, f->map_len);
	free(f);
}

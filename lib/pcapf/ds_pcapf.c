/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_pcapf: see ds_pcapf.h.  The format is that of pcap-savefile(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
/* A file is read into one buffer that holds the largest record: 256 KiB,
 * one read(2) per about 3,400 bench frames, and small enough to stay in
 * L2 while the frames in it are parsed. */
#define BUF_BYTES	(REC_HDR + MAX_CAPLEN)

struct ds_pcapf {
	const uint8_t *pos, *end;	/* unread bytes */
	uint8_t *buf;			/* a file's buffer, NULL for a memory image */
	int fd;				/* the file, -1 for a memory image */
	int eof;			/* the file has no more bytes */
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
	f->fd = -1;
	f->pos = (const uint8_t *)buf + FILE_HDR;
	f->end = (const uint8_t *)buf + len;
	return f;
}

struct ds_pcapf *
ds_pcapf_open(const char *path)
{
	uint8_t h[FILE_HDR];
	struct ds_pcapf *f;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f || (f->buf = malloc(BUF_BYTES)) == NULL) {
		e = errno;
		free(f);
		close(fd);
		errno = e;
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    read(fd, h, sizeof(h)) != (ssize_t)sizeof(h) || take_header(f, h) != 0) {
		free(f->buf);
		free(f);
		close(fd);
		errno = EPROTONOSUPPORT;	/* libpcap says what is wrong */
		return NULL;
	}
	/* read once, front to back */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	f->fd = fd;
	f->pos = f->end = f->buf;
	return f;
}

/* At least need bytes unread, or all the file has left.  0, or -1 after
 * a read error (in err). */
static int
fill(struct ds_pcapf *f, size_t need)
{
	size_t left = (size_t)(f->end - f->pos);

	if (f->fd < 0 || f->eof || left >= need)
		return 0;
	memmove(f->buf, f->pos, left);
	f->pos = f->buf;
	while (left < need && !f->eof) {
		ssize_t got = read(f->fd, f->buf + left, BUF_BYTES - left);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(f->err, sizeof(f->err), "error reading dump file: %s",
				 strerror(errno));
			f->end = f->buf + left;
			return -1;
		}
		f->eof = got == 0;
		left += (size_t)got;
	}
	f->end = f->buf + left;
	return 0;
}

/* End the file with an error: nothing more is read from it. */
static int
damaged(struct ds_pcapf *f)
{
	f->pos = f->end;
	f->eof = 1;
	return -1;
}

int
ds_pcapf_next(struct ds_pcapf *f, const uint8_t **data, uint32_t *caplen, uint64_t *ts_ns)
{
	size_t left;
	int64_t sec, frac;
	uint32_t cap;

	if (fill(f, REC_HDR) != 0)
		return damaged(f);
	left = (size_t)(f->end - f->pos);
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
	if (fill(f, REC_HDR + cap) != 0)
		return damaged(f);
	left = (size_t)(f->end - f->pos);
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
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	free(f);
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_pcapf against libpcap: each case builds a capture file image (header
 * fields, records, a cut tail), and where ds_pcapf takes it both readers
 * must give the same frames (bytes, capture length, nanosecond time stamp)
 * and end the same way (end of file, or a damaged record).  Files the
 * reader must leave to libpcap (pcapng, pcap 2.3, other link types, the
 * patched format) are declined at open.  Then the same through a real
 * file; a file larger than the read buffer that is cut short while it is
 * read (it ends with a damaged record, as under libpcap, no signal); and
 * paths that are not regular files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "ds_pcapf.h"
#include "ds_test.h"

#define USEC 0xa1b2c3d4u
#define NSEC 0xa1b23c4du
#define KUZ  0xa1b2cd34u
#define NG   0x0a0d0d0au

struct rec {
	uint32_t sec, frac, cap;
	uint32_t present;	/* data bytes in the file; 0 = cap */
};

struct fcase {
	const char *name;
	uint32_t magic;
	uint16_t major, minor;	/* 0.0 = 2.4 */
	uint32_t snap, link;	/* snap 0 is written as 65535 unless snap0 */
	int snap0, swap;	/* snaplen field 0; other byte order */
	unsigned nrec;
	struct rec r[3];
	unsigned cut;		/* bytes removed from the end */
	int take;		/* ds_pcapf takes it */
	unsigned frames;	/* frames read */
	int damaged;		/* and then a damaged record */
};

static const struct fcase cases[] = {
	{ "usec", USEC, 0, 0, 0, 1, 0, 0, 3,
	  { { 1388534400, 1, 60, 0 }, { 1388534401, 999999, 100, 0 }, { 1388534402, 0, 1514, 0 } },
	  0, 1, 3, 0 },
	{ "usec, other byte order", USEC, 0, 0, 0, 1, 0, 1, 3,
	  { { 1388534400, 1, 60, 0 }, { 1388534401, 999999, 100, 0 }, { 1388534402, 0, 1514, 0 } },
	  0, 1, 3, 0 },
	{ "nsec", NSEC, 0, 0, 0, 1, 0, 0, 2,
	  { { 1388534400, 999999999, 60, 0 }, { 1388534400, 5, 64, 0 } }, 0, 1, 2, 0 },
	{ "nsec, other byte order", NSEC, 0, 0, 0, 1, 0, 1, 2,
	  { { 1388534400, 999999999, 60, 0 }, { 1388534400, 5, 64, 0 } }, 0, 1, 2, 0 },
	{ "header only", USEC, 0, 0, 0, 1, 0, 0, 0, { { 0 } }, 0, 1, 0, 0 },
	{ "half a record header", USEC, 0, 0, 0, 1, 0, 0, 1, { { 1, 2, 60, 0 } }, 60 + 10, 1, 0, 1 },
	{ "cut in the last frame", USEC, 0, 0, 0, 1, 0, 0, 3,
	  { { 1, 0, 60, 0 }, { 2, 0, 60, 0 }, { 3, 0, 60, 0 } }, 7, 1, 2, 1 },
	{ "cut at a record boundary", USEC, 0, 0, 0, 1, 0, 0, 3,
	  { { 1, 0, 60, 0 }, { 2, 0, 60, 0 }, { 3, 0, 60, 0 } }, 16 + 60, 1, 2, 0 },
	{ "longer than the snapshot length", USEC, 0, 0, 64, 1, 0, 0, 2,
	  { { 1, 0, 100, 0 }, { 2, 0, 60, 0 } }, 0, 1, 2, 0 },
	{ "snapshot length 0", USEC, 0, 0, 0, 1, 1, 0, 1, { { 1, 0, 9000, 0 } }, 0, 1, 1, 0 },
	{ "capture length over 262144", USEC, 0, 0, 0, 1, 0, 0, 2,
	  { { 1, 0, 60, 0 }, { 2, 0, 300000, 0 } }, 0, 1, 1, 1 },
	{ "cut in the part past the snapshot length", USEC, 0, 0, 64, 1, 0, 0, 1,
	  { { 1, 0, 100, 80 } }, 0, 1, 0, 1 },
	{ "FCS bits in the link type", USEC, 0, 0, 0, 0x10000001u, 0, 0, 1, { { 1, 0, 64, 0 } },
	  0, 1, 1, 0 },
	{ "time stamp fields at their limits", USEC, 0, 0, 0, 1, 0, 0, 2,
	  { { 0xffffffffu, 999999, 60, 0 }, { 0x7fffffffu, 0xffffffffu, 60, 0 } }, 0, 1, 2, 0 },
	{ "the same, other byte order", USEC, 0, 0, 0, 1, 0, 1, 2,
	  { { 0xffffffffu, 999999, 60, 0 }, { 0x7fffffffu, 0xffffffffu, 60, 0 } }, 0, 1, 2, 0 },
	{ "nsec fields at their limits", NSEC, 0, 0, 0, 1, 0, 0, 2,
	  { { 0x80000000u, 0x800000c3u, 60, 0 }, { 0, 0xffffffffu, 60, 0 } }, 0, 1, 2, 0 },
	{ "the same, other byte order", NSEC, 0, 0, 0, 1, 0, 1, 2,
	  { { 0x80000000u, 0x800000c3u, 60, 0 }, { 0, 0xffffffffu, 60, 0 } }, 0, 1, 2, 0 },
	/* left to libpcap */
	{ "pcapng", NG, 0, 0, 0, 1, 0, 0, 1, { { 1, 0, 60, 0 } }, 0, 0, 0, 0 },
	{ "pcap 2.3 (lengths may be swapped)", USEC, 2, 3, 0, 1, 0, 0, 1, { { 1, 0, 60, 0 } },
	  0, 0, 0, 0 },
	{ "pcap 2.2", USEC, 2, 2, 0, 1, 0, 0, 1, { { 1, 0, 60, 0 } }, 0, 0, 0, 0 },
	{ "link type raw IP", USEC, 0, 0, 0, 101, 0, 0, 1, { { 1, 0, 60, 0 } }, 0, 0, 0, 0 },
	{ "patched (Kuznetzov) format", KUZ, 0, 0, 0, 1, 0, 0, 1, { { 1, 0, 60, 0 } }, 0, 0, 0, 0 },
	{ "not a capture", 0x464c457fu, 0, 0, 0, 1, 0, 0, 0, { { 0 } }, 0, 0, 0, 0 },
	{ "shorter than a file header", USEC, 0, 0, 0, 1, 0, 0, 0, { { 0 } }, 5, 0, 0, 0 },
};

static void
put32(uint8_t **p, uint32_t v, int swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	memcpy(*p, &v, 4);
	*p += 4;
}

static void
put16(uint8_t **p, uint16_t v, int swap)
{
	if (swap)
		v = __builtin_bswap16(v);
	memcpy(*p, &v, 2);
	*p += 2;
}

/* The file image of k (malloc'd, *len bytes). */
static uint8_t *
build(const struct fcase *k, size_t *len)
{
	size_t n = 24;
	uint8_t *buf, *p;
	unsigned i, j;

	for (i = 0; i < k->nrec; i++)
		n += 16 + (k->r[i].present ? k->r[i].present : k->r[i].cap);
	buf = calloc(1, n);
	if (!buf)
		return NULL;
	p = buf;
	put32(&p, k->magic, k->swap);
	put16(&p, k->major ? k->major : 2, k->swap);
	put16(&p, k->major ? k->minor : 4, k->swap);
	put32(&p, 0, k->swap);
	put32(&p, 0, k->swap);
	put32(&p, k->snap0 ? 0 : k->snap ? k->snap : 65535, k->swap);
	put32(&p, k->link, k->swap);
	for (i = 0; i < k->nrec; i++) {
		uint32_t present = k->r[i].present ? k->r[i].present : k->r[i].cap;

		put32(&p, k->r[i].sec, k->swap);
		put32(&p, k->r[i].frac, k->swap);
		put32(&p, k->r[i].cap, k->swap);
		put32(&p, k->r[i].cap, k->swap);
		for (j = 0; j < present; j++)
			*p++ = (uint8_t)(i * 7 + j);
	}
	*len = n - (k->cut < n ? k->cut : n);
	return buf;
}

/* Both readers over the image; 0 when they agree with each other and k. */
static void
compare(const struct fcase *k, struct ds_pcapf *f, const uint8_t *buf, size_t len)
{
	char err[PCAP_ERRBUF_SIZE];
	FILE *mf = fmemopen((void *)buf, len, "rb");
	pcap_t *pc = mf ? pcap_fopen_offline_with_tstamp_precision(mf, PCAP_TSTAMP_PRECISION_NANO, err)
			: NULL;
	unsigned frames = 0;
	int a, b;

	if (!CHECK(pc != NULL, k->name)) {
		if (mf)
			fclose(mf);
		return;
	}
	CHECK(pcap_datalink(pc) == DLT_EN10MB, k->name);
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		const uint8_t *data;
		uint32_t caplen;
		uint64_t ts;

		a = ds_pcapf_next(f, &data, &caplen, &ts);
		b = pcap_next_ex(pc, &h, &d);
		if (!CHECK(a == (b == 1 ? 1 : b == PCAP_ERROR_BREAK ? 0 : -1), k->name))
			break;
		if (a != 1)
			break;
		frames++;
		CHECK(caplen == h->caplen, k->name);
		CHECK(ts == (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec, k->name);
		CHECK(caplen == h->caplen && memcmp(data, d, caplen) == 0, k->name);
	}
	CHECK(frames == k->frames, k->name);
	CHECK((a < 0) == k->damaged, k->name);
	CHECK((a < 0) == (ds_pcapf_error(f)[0] != '\0'), k->name);
	/* the end is sticky */
	{
		const uint8_t *data;
		uint32_t caplen;
		uint64_t ts;

		CHECK(ds_pcapf_next(f, &data, &caplen, &ts) == 0, k->name);
	}
	pcap_close(pc);
}

int
main(void)
{
	char tmpl[] = "/tmp/test_pcapf.XXXXXX", path[256];
	const char *dir = mkdtemp(tmpl);
	struct ds_pcapf *f;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *k = &cases[i];
		size_t len = 0;
		uint8_t *buf = build(k, &len);

		if (!CHECK(buf != NULL, k->name))
			continue;
		errno = 0;
		f = ds_pcapf_open_mem(buf, len);
		CHECK((f != NULL) == k->take, k->name);
		if (!f) {
			CHECK(errno == EPROTONOSUPPORT, k->name);
		} else {
			compare(k, f, buf, len);
			ds_pcapf_close(f);
		}
		/* the same through a file */
		if (dir) {
			FILE *w;

			snprintf(path, sizeof(path), "%s/%u.pcap", dir, i);
			w = fopen(path, "wb");
			if (CHECK(w != NULL, path)) {
				CHECK(fwrite(buf, 1, len, w) == len, path);
				fclose(w);
				errno = 0;
				f = ds_pcapf_open(path);
				CHECK((f != NULL) == k->take, k->name);
				if (f) {
					compare(k, f, buf, len);
					ds_pcapf_close(f);
				} else {
					CHECK(errno == EPROTONOSUPPORT, k->name);
				}
				unlink(path);
			}
		}
		free(buf);
	}

	/* a 2 MB file (8 read buffers) cut to 1 MB + 100 bytes after the
	 * first record: the records before the cut, then a damaged one */
	if (dir) {
		enum { RECS = 2000, LEN = 1000 };
		uint8_t rec[16 + LEN];
		FILE *w;

		snprintf(path, sizeof(path), "%s/shrinks.pcap", dir);
		w = fopen(path, "wb");
		if (CHECK(w != NULL, path)) {
			const uint32_t hdr[6] = { USEC, 2 | 4u << 16, 0, 0, 65535, 1 };
			const uint8_t *data;
			uint32_t caplen, k;
			uint64_t ts;
			unsigned got = 0;
			int rc;

			fwrite(hdr, 1, sizeof(hdr), w);
			for (k = 0; k < RECS; k++) {
				const uint32_t rh[4] = { 1388534400 + k, 0, LEN, LEN };

				memcpy(rec, rh, sizeof(rh));
				memset(rec + 16, (int)(k & 0xff), LEN);
				fwrite(rec, 1, sizeof(rec), w);
			}
			fclose(w);
			f = ds_pcapf_open(path);
			if (CHECK(f != NULL, "shrinks: open")) {
				rc = ds_pcapf_next(f, &data, &caplen, &ts);
				CHECK(rc == 1 && caplen == LEN, "shrinks: first record");
				CHECK(truncate(path, 24 + (off_t)(1000 * sizeof(rec)) + 100) == 0, path);
				while ((rc = ds_pcapf_next(f, &data, &caplen, &ts)) == 1) {
					got++;
					if (data[0] != (uint8_t)(got & 0xff) || data[LEN - 1] != data[0])
						break;
				}
				CHECK(rc == -1 && got + 1 == 1000, "shrinks: records before the cut, then damaged");
				ds_pcapf_close(f);
			}
			unlink(path);
		}
	}

	/* paths that are not regular files */
	if (CHECK(dir != NULL, "mkdtemp")) {
		errno = 0;
		CHECK(ds_pcapf_open(dir) == NULL && errno == EPROTONOSUPPORT, "a directory");
		snprintf(path, sizeof(path), "%s/absent.pcap", dir);
		errno = 0;
		CHECK(ds_pcapf_open(path) == NULL && errno == ENOENT, "a missing file");
		snprintf(path, sizeof(path), "%s/empty.pcap", dir);
		fclose(fopen(path, "wb"));
		errno = 0;
		CHECK(ds_pcapf_open(path) == NULL && errno == EPROTONOSUPPORT, "an empty file");
		unlink(path);
		rmdir(dir);
	}
	errno = 0;
	CHECK(ds_pcapf_open("/dev/null") == NULL && errno == EPROTONOSUPPORT, "a device");
	ds_pcapf_close(NULL);
	return ds_test_done("test_pcapf");
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer harness for the archive reader: the input is written to a
 * temporary file and read with ds_archive_read (conf NULL: the reader
 * builds the configuration from the file).  Must return a set or an error
 * beginning with the path; a set must survive being re-encoded.
 *
 * The first input byte is a mode: odd = repair the file length and every
 * CRC32C (header and sections, docs/archive-format.md) before reading, so
 * that mutations get past the checksums into the section parsers; even =
 * the bytes as they are.  Seeds carry the mode byte.
 *
 * Built with -DFUZZ_MKSEED it is instead a seed writer:
 *   fuzz_archive_seed DIR   writes small valid archives into DIR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_archive.h"
#include "ds_parse.h"

#ifndef FUZZ_MKSEED
#include <isa-l/crc.h>

#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


enum { HDR = 64, SEC_HDR = 24 };

static uint32_t
crc32c(const uint8_t *p, size_t n)
{
	return crc32_iscsi((unsigned char *)p, (int)n, 0xffffffffu) ^ 0xffffffffu;
}

/* Make lengths and checksums consistent (as far as the layout allows). */
static void
repair(uint8_t *p, size_t len)
{
	uint64_t flen = len, slen;
	uint32_t crc, nsec, i;
	size_t off = HDR;

	if (len < HDR)
		return;
	memcpy(p + 40, &flen, 8);
	memcpy(&nsec, p + 32, 4);
	for (i = 0; i < nsec && i < 64 && len - off >= SEC_HDR; i++) {
		memcpy(&slen, p + off + 8, 8);
		off += SEC_HDR;
		if (slen > len - off)
			break;
		crc = crc32c(p + off, (size_t)slen);
		memcpy(p + off - SEC_HDR + 16, &crc, 4);
		off += (size_t)slen;
	}
	crc = crc32c(p, 60);
	memcpy(p + 60, &crc, 4);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_set *s;
	char err[700];
	int64_t start, end;
	const char *path;
	uint8_t *copy = malloc(size > 1 ? size - 1 : 1);

	if (!copy)
		abort();
	if (size > 1) {
		memcpy(copy, data + 1, size - 1);
		if (data[0] & 1)
			repair(copy, size - 1);
	}
	path = fuzz_write_input("archive", "dsa", copy, size > 1 ? size - 1 : 0);
	free(copy);
	err[0] = '\0';
	s = ds_archive_read(path, NULL, &start, &end, err, sizeof(err));
	if (s) {
		uint8_t *buf = NULL;
		size_t len = 0;

		(void)ds_set_packets(s);
		if (ds_archive_encode(s, start, end, NULL, &buf, &len) == 0)
			free(buf);
		ds_archive_free(s);
	} else if (strncmp(err, path, strlen(path)) != 0) {
		fprintf(stderr, "error message does not begin with the path: '%s'\n", err);
		abort();
	}
	return 0;
}
#else
#include "ds_lpm.h"

/* Small sketches so that seeds stay small. */
static struct ds_conf *
seed_conf(unsigned n_sensors)
{
	struct ds_conf *c = ds_conf_default();
	unsigned i;

	c->sensors = calloc(n_sensors, sizeof(*c->sensors));
	c->n_sensors = n_sensors;
	for (i = 0; i < n_sensors; i++) {
		snprintf(c->sensors[i].name, sizeof(c->sensors[i].name), "S%u", i);
		snprintf(c->sensors[i].country, sizeof(c->sensors[i].country), "JP");
		c->sensors[i].n_prefixes = 1;
		c->sensors[i].prefixes[0].addr = 0x0b000000u + (i << 8);
		c->sensors[i].prefixes[0].len = 24;
		c->sensors[i].addresses = 256;
	}
	/* the smallest values ds_conf accepts */
	c->cm_width_log2 = 8;
	c->cm_depth = 1;
	c->hll_p = 8;
	c->watch_hll_p = 8;
	c->overlap_k = 1024;
	c->watch_k = 1024;
	c->fp_table = 1024;
	c->fp_detail = 16;
	c->fp_hll_p = 6;
	c->topsrc_log2 = 6;
	c->n_watched = 1;
	c->watched[0] = 445;
	return c;
}

int
main(int argc, char **argv)
{
	unsigned k;

	if (argc != 2)
		return 2;
	for (k = 0; k < 3; k++) {
		struct ds_conf *c = seed_conf(k + 1);
		struct ds_set *s = ds_set_create(c);
		struct ds_lpm *l = ds_set_sensor_lpm(c);
		struct ds_pkt p[16];
		char err[600];
		unsigned i;

		if (!s || !l) {
			fprintf(stderr, "seed %u: cannot create the set\n", k);
			return 1;
		}
		for (i = 0; i < 16 * k; i++) {
			struct ds_pkt *q = &p[i % 16];

			memset(q, 0, sizeof(*q));
			q->src = 0x2d210000u + i * 977;
			q->dst = 0x0b000000u + (i % (k + 1)) * 256 + i;
			q->cls = i % 3 ? DS_CLASS_SCAN : DS_CLASS_UDP;
			q->proto = q->cls == DS_CLASS_UDP ? 17 : 6;
			q->dport = i % 2 ? 445 : 23;
			q->sport = 40000;
			q->tcp_flags = 2;
			q->ttl = 64;
			q->iplen = 40;
			if (i % 16 == 15)
				ds_set_burst(s, l, p, 16, 1388534400ull * 1000000000ull);
		}
		ds_set_flush(s);
		s->period = 1388534400 / 3600;
		if (ds_archive_write(s, 1388534400 + 3600 * (int64_t)k,
				     1388534400 + 3600 * (int64_t)(k + 1), argv[1], 0, err, sizeof(err)) != 0) {
			fprintf(stderr, "seed %u: %s\n", k, err);
			return 1;
		}
		ds_set_free(s);
		ds_lpm_free(l);
		/* (c is freed last: the set points at it) */
		ds_conf_free(c);
	}
	return 0;
}
#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_archive: a set written and read back is byte-for-byte the same
 * (re-encoding is the identity) with and without a configuration; every
 * single-byte flip and every truncation is refused with an error; foreign
 * files are refused; payloads changed behind a recomputed CRC (what a
 * fuzzer finds) never crash; a file error names the file; merging two
 * appliances with disjoint sensors through a sensor map equals one set
 * over both; decoding into a reused set; daily roll-up merges periods and
 * removes them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "ds_archive.h"
#include "ds_test.h"

static struct ds_conf *
mkconf(const char *const *names, unsigned n, const char *const *prefixes)
{
	struct ds_conf *c = ds_conf_default();
	unsigned i;

	c->n_sensors = n;
	c->sensors = calloc(n, sizeof(*c->sensors));
	for (i = 0; i < n; i++) {
		snprintf(c->sensors[i].name, DS_CONF_NAME_LEN, "%s", names[i]);
		memcpy(c->sensors[i].country, "JP", 3);
		c->sensors[i].n_prefixes = 1;
		ds_conf_parse_prefix(prefixes[i], &c->sensors[i].prefixes[0]);
		c->sensors[i].addresses = 1ull << (32 - c->sensors[i].prefixes[0].len);
	}
	c->cm_width_log2 = 8;
	c->hll_p = 10;
	c->watch_hll_p = 8;
	c->overlap_k = 256;
	c->watch_k = 64;
	c->fp_table = 1024;
	c->fp_detail = 64;
	c->fp_hll_p = 6;
	c->topsrc_log2 = 8;
	c->n_watched = 2;
	c->watched[0] = 445;
	c->watched[1] = 23;
	c->n_excluded = 1;
	c->excluded[0] = 445;
	return c;
}

/* Deterministic traffic to sensors 10.0.0.0/24 (A) and 10.0.1.0/24 (B):
 * scans (some with a shared fingerprint) and backscatter. */
static void
feed(struct ds_set *s, const struct ds_lpm *lpm, uint32_t seed, unsigned npk, int only)
{
	static const uint16_t ports[] = { 23, 445, 80, 22, 5000, 10073 };
	struct ds_pkt p[64];
	uint32_t x = seed * 2654435761u + 1;
	unsigned i, n = 0;

	for (i = 0; i < npk; i++) {
		unsigned sensor;

		x = x * 1664525u + 1013904223u;
		sensor = (x >> 7) & 1;
		if (only >= 0 && (int)sensor != only)
			continue;
		memset(&p[n], 0, sizeof(p[n]));
		p[n].src = 0x01000000u + (x >> 12) % 3000;
		p[n].dst = 0x0a000000u | sensor << 8 | (x >> 3 & 0xff);
		p[n].dport = ports[(x >> 20) % 6];
		p[n].sport = (x >> 5) & 1 ? 6000 : (uint16_t)(x >> 16);
		p[n].seq = (x >> 5) & 1 ? 0x12340000u : x;
		p[n].ipid = 256;
		p[n].win = 16384;
		p[n].ttl = 50;
		p[n].proto = 6;
		p[n].iplen = 40;
		p[n].cls = (x >> 9) % 10 == 0 ? DS_CLASS_BACKSCATTER : DS_CLASS_SCAN;
		p[n].tcp_flags = p[n].cls == DS_CLASS_SCAN ? 0x02 : 0x12;
		if (++n == 64) {
			ds_set_burst(s, lpm, p, n, 1388534400ull * 1000000000ull + i * 1000000ull);
			n = 0;
		}
	}
	if (n)
		ds_set_burst(s, lpm, p, n, 1388534400ull * 1000000000ull + npk * 1000000ull);
	ds_set_flush(s);
}

static const char *const names2[] = { "A", "B" };
static const char *const pfx2[] = { "10.0.0.0/24", "10.0.1.0/24" };

static uint32_t
crc32c(const uint8_t *p, size_t n)
{
	return crc32_iscsi((unsigned char *)p, (int)n, 0xffffffffu) ^ 0xffffffffu;
}

static void
test_roundtrip_and_corruption(void)
{
	struct ds_conf *c = mkconf(names2, 2, pfx2);
	struct ds_lpm *lpm = ds_set_sensor_lpm(c);
	struct ds_set *s = ds_set_create(c), *r, *r2;
	uint8_t *buf, *buf2, *bad;
	size_t len, len2, i, off;
	int64_t st, en;
	char err[512], site[DS_CONF_NAME_LEN];
	unsigned refused = 0, tried = 0;

	CHECK(lpm && s, "set");
	feed(s, lpm, 1, 20000, -1);
	CHECK(ds_set_packets(s) > 0, "traffic counted");
	CHECK(ds_archive_encode(s, 1388534400, 1388620800, "tokyo", &buf, &len) == 0, "encode");

	r = ds_archive_decode(buf, len, NULL, &st, &en, site, err, sizeof(err));
	CHECK(r != NULL, err);
	if (!r)
		return;
	CHECK(st == 1388534400 && en == 1388620800, "window");
	CHECK(strcmp(site, "tokyo") == 0, "site");
	CHECK(r->n_sensors == 2 && strcmp(r->conf->sensors[1].name, "B") == 0, "sensors");
	CHECK(r->n_watch == 2 && r->watch_port[0] == 445, "watched ports");
	CHECK(ds_set_packets(r) == ds_set_packets(s), "packets");
	CHECK(ds_archive_encode(r, 1388534400, 1388620800, "tokyo", &buf2, &len2) == 0, "re-encode");
	CHECK(len2 == len && memcmp(buf, buf2, len) == 0, "re-encoding is the identity");
	free(buf2);
	r2 = ds_archive_decode(buf, len, c, NULL, NULL, NULL, err, sizeof(err));
	CHECK(r2 != NULL, "decode with the matching configuration");
	ds_set_free(r2);
	ds_archive_free(r);

	/* every single-byte flip (sampled) and every truncation is refused */
	bad = malloc(len);
	for (i = 0; i < len; i += (i < 4096 ? 1 : 97)) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x5a;
		r = ds_archive_decode(bad, len, NULL, NULL, NULL, NULL, err, sizeof(err));
		tried++;
		refused += r == NULL;
		ds_archive_free(r);
	}
	CHECK(refused == tried, "every flipped byte is refused (CRC32C)");
	refused = tried = 0;
	for (i = 0; i < len; i += (i < 4096 ? 1 : 211)) {
		r = ds_archive_decode(buf, i, NULL, NULL, NULL, NULL, err, sizeof(err));
		tried++;
		refused += r == NULL;
		ds_archive_free(r);
	}
	CHECK(refused == tried, "every truncation is refused");
	r = ds_archive_decode("hello, world, this is not an archive at all. padding padding padding..", 70,
			      NULL, NULL, NULL, NULL, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "not a darkscope archive"), "foreign bytes");

	/* payload changed behind a recomputed CRC: may load, must not crash */
	off = 64;
	while (off + 24 <= len) {
		uint64_t slen;
		unsigned k;

		memcpy(&slen, buf + off + 8, 8);
		for (k = 0; k < 200 && slen; k++) {
			size_t at = off + 24 + (size_t)((k * 2654435761u) % slen);
			uint32_t cr;

			memcpy(bad, buf, len);
			bad[at] ^= (uint8_t)(1u << (k % 8)) | 0x80;
			cr = crc32c(bad + off + 24, slen);
			memcpy(bad + off + 16, &cr, 4);
			r = ds_archive_decode(bad, len, NULL, NULL, NULL, NULL, err, sizeof(err));
			if (r) {	/* exercise what a report would do */
				ds_set_packets(r);
				ds_bk_size(r->overlap);
			}
			ds_archive_free(r);
		}
		off += 24 + slen;
	}
	CHECK(off == len, "sections walk to the end");
	free(bad);

	/* a file error names the file */
	r = ds_archive_read("/nonexistent/x.dsa", NULL, NULL, NULL, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "/nonexistent/x.dsa"), "error names the file");
	free(buf);
	ds_set_free(s);
	ds_lpm_free(lpm);
	ds_conf_free(c);
}

/* Two appliances with one sensor each, merged via a map == one over both. */
static void
test_merge_map(void)
{
	static const char *const na[] = { "A" }, *const nb[] = { "B" };
	static const char *const pa[] = { "10.0.0.0/24" }, *const pb[] = { "10.0.1.0/24" };
	struct ds_conf *c2 = mkconf(names2, 2, pfx2), *ca = mkconf(na, 1, pa), *cb = mkconf(nb, 1, pb);
	struct ds_lpm *l2 = ds_set_sensor_lpm(c2), *la = ds_set_sensor_lpm(ca), *lb = ds_set_sensor_lpm(cb);
	struct ds_set *all = ds_set_create(c2), *a = ds_set_create(ca), *b = ds_set_create(cb);
	struct ds_set *m = ds_set_create(c2);
	uint16_t ma[1] = { 0 }, mb[1] = { 1 };
	unsigned i;

	feed(all, l2, 7, 30000, -1);
	feed(a, la, 7, 30000, 0);
	feed(b, lb, 7, 30000, 1);
	CHECK(ds_archive_merge(m, a, ma) == 0 && ds_archive_merge(m, b, mb) == 0, "merge with maps");
	CHECK(ds_archive_merge(m, a, NULL) == -EINVAL, "identity map needs equal sensor counts");
	for (i = 0; i < 2; i++) {
		CHECK(memcmp(&m->sensor[i], &all->sensor[i], sizeof(all->sensor[i])) == 0, "sensor counters");
		CHECK(memcmp(ds_hll_registers(m->src[i]), ds_hll_registers(all->src[i]), 1u << c2->hll_p) == 0,
		      "source HLL");
		CHECK(memcmp(ds_cm_counters(m->ports[i]), ds_cm_counters(all->ports[i]),
			     (size_t)ds_cm_width(all->ports[i]) * ds_cm_depth(all->ports[i]) * 4) == 0, "port CM");
	}
	CHECK(ds_bk_size(m->overlap) == ds_bk_size(all->overlap), "overlap sample size");
	CHECK(ds_bk_scale(m->overlap) == ds_bk_scale(all->overlap), "overlap scale");
	ds_set_free(all); ds_set_free(a); ds_set_free(b); ds_set_free(m);
	ds_lpm_free(l2); ds_lpm_free(la); ds_lpm_free(lb);
	ds_conf_free(c2); ds_conf_free(ca); ds_conf_free(cb);
}

static void
test_rollup(void)
{
	struct ds_conf *c = mkconf(names2, 2, pfx2);
	struct ds_lpm *lpm = ds_set_sensor_lpm(c);
	struct ds_set *s = ds_set_create(c), *d;
	char dir[] = "/tmp/ds-archive-test.XXXXXX", err[512], path[256];
	int64_t day = 1388534400, st, en;
	uint64_t total = 0;
	unsigned h;
	int rc;

	CHECK(mkdtemp(dir) != NULL, "tmpdir");
	for (h = 0; h < 24; h += 6) {
		ds_set_clear(s);
		feed(s, lpm, h + 3, 2000, -1);
		total += ds_set_packets(s);
		/* half the parts as a batch run writes them, without fsync */
		CHECK(ds_archive_write(s, day + h * 3600, day + (h + 6) * 3600, dir,
				       h % 12 ? DS_ARCHIVE_NOSYNC : 0, err, sizeof(err)) == 0, err);
	}
	{	/* decoding into a reused set gives the same set */
		struct ds_set *ru = NULL, *first;

		snprintf(path, sizeof(path), "%s/20140101T000000Z-20140101T060000Z.dsa", dir);
		CHECK(ds_archive_read_reuse(path, &ru, &st, &en, err, sizeof(err)) == 0, err);
		first = ru;
		snprintf(path, sizeof(path), "%s/20140101T180000Z-20140102T000000Z.dsa", dir);
		CHECK(ds_archive_read_reuse(path, &ru, &st, &en, err, sizeof(err)) == 0, err);
		CHECK(ru == first && ds_set_packets(ru) == ds_set_packets(s), "reused set holds the last file");
		CHECK(ds_archive_read_reuse("/nonexistent.dsa", &ru, NULL, NULL, err, sizeof(err)) == -EINVAL &&
		      ru == first, "failed read keeps the set");
		ds_archive_free(ru);
	}
	rc = ds_archive_rollup(dir, 7, day + 6 * 86400, err, sizeof(err));
	CHECK(rc == 0, "nothing rolled up inside retention");
	rc = ds_archive_rollup(dir, 7, day + 9 * 86400, err, sizeof(err));
	CHECK(rc == 1, "one daily file");
	snprintf(path, sizeof(path), "%s/20140101T000000Z-20140102T000000Z.dsa", dir);
	d = ds_archive_read(path, NULL, &st, &en, err, sizeof(err));
	CHECK(d && st == day && en == day + 86400, err);
	CHECK(d && ds_set_packets(d) == total, "daily file holds every period");
	ds_archive_free(d);
	snprintf(path, sizeof(path), "%s/20140101T000000Z-20140101T060000Z.dsa", dir);
	CHECK(access(path, F_OK) != 0, "period files removed");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK(system(path) == 0, "cleanup");
	ds_set_free(s);
	ds_lpm_free(lpm);
	ds_conf_free(c);
}

int
main(void)
{
	test_roundtrip_and_corruption();
	test_merge_map();
	test_rollup();
	return ds_test_done("test_archive");
}

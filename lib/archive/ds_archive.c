/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Sketch archive: encode, decode, write, merge with sensor remapping and
 * daily roll-up; see ds_archive.h and docs/archive-format.md for the byte
 * layout.  Encoding builds the file in memory (a few MiB per period) and
 * writes it once; decoding first checks the header and every section's
 * length and CRC32C, then the parameters against hard bounds and the
 * section sizes they imply, and only then allocates the set, so the memory
 * a file can make us allocate is bounded.  Opaque sketches serialise
 * themselves (ds_bk_dump, ds_topk_dump, ds_fp_dump) and validate on load.
 * All integers are little-endian.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "ds_archive.h"
#include "ds_fs.h"
#include "ds_hash.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ds_archive writes host byte order and assumes little-endian"
#endif

#define HDR_SIZE 64
#define SEC_HDR 24

enum {
	SEC_PARAMS = 1, SEC_SENSORS, SEC_WATCH, SEC_COUNTERS, SEC_CM, SEC_HLL,
	SEC_BK, SEC_TOPK, SEC_FP, SEC__N = SEC_FP
};

static const char *const sec_names[SEC__N + 1] = {
	"?", "params", "sensors", "watch", "counters", "cm", "hll", "bk", "topk", "fp"
};

/* Hard bounds on what a file may ask us to allocate.  The fuzzing build
 * (the macro OSS-Fuzz defines) takes smaller ones: the code paths are the
 * same, but a mutated header can no longer make every input allocate and
 * walk tens of megabytes, which held fuzz_archive to a few hundred
 * executions per second. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MAX_K (1u << 12)
#define MAX_FP_TABLE (1u << 12)
#define MAX_FP_DETAIL (1u << 8)
#define MAX_TOPK_LOG2 12
#else
#define MAX_K (1u << 20)
#define MAX_FP_TABLE (1u << 20)
#define MAX_FP_DETAIL (1u << 16)
#define MAX_TOPK_LOG2 20
#endif

static uint32_t
crc32c(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t c = 0xffffffffu;

	while (n > 0) {
		int chunk = n > (1u << 30) ? (1 << 30) : (int)n;

		c = crc32_iscsi((unsigned char *)b, chunk, c);
		b += chunk;
		n -= (size_t)chunk;
	}
	return c ^ 0xffffffffu;
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- writer ---- */

struct wb {
	uint8_t *p;
	size_t n, cap;
	int oom;
};

static void *
wb_reserve(struct wb *w, size_t n)
{
	if (w->oom)
		return NULL;
	if (w->n + n > w->cap) {
		size_t cap = w->cap ? w->cap : 1 << 16;
		uint8_t *q;

		while (cap < w->n + n)
			cap *= 2;
		q = realloc(w->p, cap);
		if (!q) {
			w->oom = 1;
			return NULL;
		}
		w->p = q;
		w->cap = cap;
	}
	w->n += n;
	return w->p + w->n - n;
}

static void
wb_put(struct wb *w, const void *v, size_t n)
{
	void *d = wb_reserve(w, n);

	if (d && n)
		memcpy(d, v, n);
}

static void wb_u16(struct wb *w, uint16_t v) { wb_put(w, &v, 2); }
static void wb_u32(struct wb *w, uint32_t v) { wb_put(w, &v, 4); }
static void wb_u64(struct wb *w, uint64_t v) { wb_put(w, &v, 8); }
static void wb_f64(struct wb *w, double v) { wb_put(w, &v, 8); }

static size_t
sec_begin(struct wb *w, uint32_t type)
{
	size_t at = w->n;

	wb_u32(w, type);
	wb_u32(w, 0);
	wb_u64(w, 0);
	wb_u32(w, 0);
	wb_u32(w, 0);
	return at;
}

static void
sec_end(struct wb *w, size_t at)
{
	uint64_t len;
	uint32_t crc;

	if (w->oom)
		return;
	len = w->n - at - SEC_HDR;
	crc = crc32c(w->p + at + SEC_HDR, len);
	memcpy(w->p + at + 8, &len, 8);
	memcpy(w->p + at + 16, &crc, 4);
}

/* Blob of an opaque sketch: u64 length, then the dump. */
typedef size_t (*dump_fn)(const void *obj, void *buf, size_t len);

static void
wb_blob(struct wb *w, dump_fn fn, const void *obj)
{
	size_t n = fn(obj, NULL, 0);
	void *d;

	wb_u64(w, n);
	d = wb_reserve(w, n);
	if (d)
		fn(obj, d, n);
}

static size_t bk_dump(const void *o, void *b, size_t l) { return ds_bk_dump(o, b, l); }
static size_t topk_dump(const void *o, void *b, size_t l) { return ds_topk_dump(o, b, l); }
static size_t fp_dump(const void *o, void *b, size_t l) { return ds_fp_dump(o, b, l); }

static void
put_stats(struct wb *w, const struct ds_sensor_stats *st)
{
	wb_put(w, st->cls, sizeof(st->cls));
	wb_u64(w, st->syn_excluded);
	wb_put(w, st->tool_packets, sizeof(st->tool_packets));
	wb_put(w, st->watch_packets, sizeof(st->watch_packets));
	wb_put(w, st->hygiene, sizeof(st->hygiene));
}

int
ds_archive_encode(const struct ds_set *s, int64_t start, int64_t end,
		  const char *site, uint8_t **out, size_t *outlen)
{
	const struct ds_conf *c = s->conf;
	unsigned n = s->n_sensors, i, j;
	struct wb w = { 0 };
	char name[DS_CONF_NAME_LEN] = "";
	uint8_t *h;
	size_t at;
	uint32_t crc;

	h = wb_reserve(&w, HDR_SIZE);
	if (h)
		memset(h, 0, HDR_SIZE);
	if (site)
		snprintf(name, sizeof(name), "%s", site);

	at = sec_begin(&w, SEC_PARAMS);
	wb_u32(&w, n);
	wb_u32(&w, DS_SET__NCLASS);
	wb_u32(&w, DS_MAL__N);
	wb_u32(&w, DS_HYG__N);
	wb_u32(&w, DS_TOOL__N);
	wb_u32(&w, DS_CONF_MAX_WATCHED);
	wb_u32(&w, c->cm_width_log2);
	wb_u32(&w, c->cm_depth);
	wb_u32(&w, c->hll_p);
	wb_u32(&w, c->watch_hll_p);
	wb_u32(&w, c->overlap_k);
	wb_u32(&w, c->watch_k);
	wb_u32(&w, c->fp_table);
	wb_u32(&w, c->fp_detail);
	wb_u32(&w, c->fp_hll_p);
	wb_u32(&w, c->topsrc_log2);
	wb_u32(&w, c->fp_min_sources);
	wb_u32(&w, c->top_ports);
	wb_u32(&w, c->top_sources);
	wb_u32(&w, c->period);
	wb_f64(&w, c->local_share);
	wb_f64(&w, c->local_ratio);
	wb_u32(&w, c->hygiene_exclude);
	wb_u32(&w, c->n_excluded);
	for (i = 0; i < DS_CONF_MAX_EXCLUDED; i++)
		wb_u16(&w, i < c->n_excluded ? c->excluded[i] : 0);
	wb_put(&w, name, sizeof(name));
	sec_end(&w, at);

	at = sec_begin(&w, SEC_SENSORS);
	for (i = 0; i < n; i++) {
		const struct ds_conf_sensor *sn = &c->sensors[i];
		char cc[4] = { 0 };

		wb_put(&w, sn->name, DS_CONF_NAME_LEN);
		memcpy(cc, sn->country, 2);
		wb_put(&w, cc, 4);
		wb_u32(&w, sn->n_prefixes);
		for (j = 0; j < sn->n_prefixes; j++) {
			wb_u32(&w, sn->prefixes[j].addr);
			wb_u32(&w, sn->prefixes[j].len);
		}
	}
	sec_end(&w, at);

	at = sec_begin(&w, SEC_WATCH);
	wb_u32(&w, s->n_watch);
	wb_u32(&w, s->watch_surge);
	for (i = 0; i < s->n_watch; i++)
		wb_u16(&w, s->watch_port[i]);
	sec_end(&w, at);

	at = sec_begin(&w, SEC_COUNTERS);
	wb_u64(&w, (uint64_t)s->period);
	wb_u64(&w, s->first_ts);
	wb_u64(&w, s->last_ts);
	wb_u64(&w, s->late);
	wb_put(&w, s->classes, sizeof(s->classes));
	wb_put(&w, s->malformed, sizeof(s->malformed));
	wb_put(&w, s->hygiene, sizeof(s->hygiene));
	wb_u64(&w, s->vlan_tagged);
	for (i = 0; i < n; i++)
		put_stats(&w, &s->sensor[i]);
	wb_u64(&w, s->fp_skipped);	/* appended: older archives end before it */
	sec_end(&w, at);

	at = sec_begin(&w, SEC_CM);
	for (i = 0; i < 2 * n; i++) {
		struct ds_cm *cm = i < n ? s->ports[i] : s->bs_ports[i - n];

		wb_u64(&w, ds_cm_total(cm));
		wb_put(&w, ds_cm_counters(cm), (size_t)ds_cm_width(cm) * ds_cm_depth(cm) * 4);
	}
	sec_end(&w, at);

	at = sec_begin(&w, SEC_HLL);
	for (i = 0; i < n; i++)
		wb_put(&w, ds_hll_registers(s->src[i]), (size_t)1 << c->hll_p);
	for (i = 0; i < n; i++)
		wb_put(&w, ds_hll_registers(s->src_excl[i]), (size_t)1 << c->hll_p);
	for (i = 0; i < n; i++)
		wb_put(&w, ds_hll_registers(s->victims[i]), (size_t)1 << c->hll_p);
	for (i = 0; i < n * DS_TOOL__N; i++)
		wb_put(&w, ds_hll_registers(s->tool_src[i]), (size_t)1 << c->watch_hll_p);
	for (i = 0; i < n * s->n_watch; i++)
		wb_put(&w, ds_hll_registers(s->watch_src[i]), (size_t)1 << c->watch_hll_p);
	sec_end(&w, at);

	at = sec_begin(&w, SEC_BK);
	wb_blob(&w, bk_dump, s->overlap);
	for (i = 0; i < s->n_watch; i++)
		wb_blob(&w, bk_dump, s->watch_overlap[i]);
	sec_end(&w, at);

	at = sec_begin(&w, SEC_TOPK);
	wb_blob(&w, topk_dump, s->top_src);
	wb_blob(&w, topk_dump, s->top_victims);
	sec_end(&w, at);

	at = sec_begin(&w, SEC_FP);
	wb_blob(&w, fp_dump, s->fp);
	sec_end(&w, at);

	if (w.oom) {
		free(w.p);
		return -ENOMEM;
	}
	h = w.p;
	memcpy(h, DS_ARCHIVE_MAGIC, 8);
	i = DS_ARCHIVE_VERSION;
	memcpy(h + 8, &i, 4);
	i = HDR_SIZE;
	memcpy(h + 12, &i, 4);
	memcpy(h + 16, &start, 8);
	memcpy(h + 24, &end, 8);
	i = SEC__N;
	memcpy(h + 32, &i, 4);
	/* 36..59 reserved, zero; file length at 40 */
	{
		uint64_t total = w.n;

		memcpy(h + 40, &total, 8);
	}
	crc = crc32c(h, 60);
	memcpy(h + 60, &crc, 4);
	*out = w.p;
	*outlen = w.n;
	return 0;
}

/* ---- reader ---- */

struct rb {
	const uint8_t *p;
	size_t n, off;
	int bad;
};

static const void *
rb_get(struct rb *r, size_t n)
{
	const void *v;

	if (r->bad || n > r->n - r->off) {
		r->bad = 1;
		return NULL;
	}
	v = r->p + r->off;
	r->off += n;
	return v;
}

static void
rb_copy(struct rb *r, void *dst, size_t n)
{
	const void *v = rb_get(r, n);

	if (v)
		memcpy(dst, v, n);
	else
		memset(dst, 0, n);
}

static uint16_t rb_u16(struct rb *r) { uint16_t v; rb_copy(r, &v, 2); return v; }
static uint32_t rb_u32(struct rb *r) { uint32_t v; rb_copy(r, &v, 4); return v; }
static uint64_t rb_u64(struct rb *r) { uint64_t v; rb_copy(r, &v, 8); return v; }
static double rb_f64(struct rb *r) { double v; rb_copy(r, &v, 8); return v; }

typedef int (*load_fn)(void *obj, const void *buf, size_t len);
static int bk_load(void *o, const void *b, size_t l) { return ds_bk_load(o, b, l); }
static int topk_load(void *o, const void *b, size_t l) { return ds_topk_load(o, b, l); }
static int fp_load(void *o, const void *b, size_t l) { return ds_fp_load(o, b, l); }

static int
rb_blob(struct rb *r, load_fn fn, void *obj)
{
	uint64_t n = rb_u64(r);
	const void *v;

	if (r->bad || n > r->n - r->off)
		return -EINVAL;
	v = rb_get(r, (size_t)n);
	return v ? fn(obj, v, (size_t)n) : -EINVAL;
}

static int
check_range(const char *what, uint64_t v, uint64_t lo, uint64_t hi, char *err, size_t errlen)
{
	if (v >= lo && v <= hi)
		return 0;
	seterr(err, errlen, "parameter %s = %llu out of range %llu..%llu", what,
	       (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi);
	return -EINVAL;
}

int
ds_archive_compatible(const struct ds_conf *a, const struct ds_conf *b, char *err, size_t errlen)
{
#define SAME(f) do { if (a->f != b->f) { \
		seterr(err, errlen, "sketch parameter %s differs (%llu vs %llu)", #f, \
		       (unsigned long long)a->f, (unsigned long long)b->f); \
		return -EINVAL; } } while (0)
	SAME(cm_width_log2);
	SAME(cm_depth);
	SAME(hll_p);
	SAME(watch_hll_p);
	SAME(overlap_k);
	SAME(watch_k);
	SAME(fp_hll_p);
	SAME(topsrc_log2);
#undef SAME
	return 0;
}

static int
same_sensors(const struct ds_conf *a, const struct ds_conf *b, char *err, size_t errlen)
{
	unsigned i;

	if (a->n_sensors != b->n_sensors) {
		seterr(err, errlen, "archive has %u sensors, the configuration %u",
		       b->n_sensors, a->n_sensors);
		return -EINVAL;
	}
	for (i = 0; i < a->n_sensors; i++)
		if (strcmp(a->sensors[i].name, b->sensors[i].name) != 0) {
			seterr(err, errlen, "sensor %u is '%s' in the archive, '%s' in the configuration",
			       i, b->sensors[i].name, a->sensors[i].name);
			return -EINVAL;
		}
	return 0;
}

/* The shape-defining parameters must also match exactly for loading. */
static int
same_shape(const struct ds_conf *a, const struct ds_conf *b, char *err, size_t errlen)
{
	if (ds_archive_compatible(a, b, err, errlen))
		return -EINVAL;
	if (a->fp_table != b->fp_table || a->fp_detail != b->fp_detail) {
		seterr(err, errlen, "fingerprint table parameters differ");
		return -EINVAL;
	}
	return same_sensors(a, b, err, errlen);
}

static int
parse_params(struct rb *r, struct ds_conf *c, char *site, char *err, size_t errlen)
{
	uint32_t ncls, nmal, nhyg, ntool, nwat, v, i;
	char name[DS_CONF_NAME_LEN];

	c->n_sensors = rb_u32(r);
	ncls = rb_u32(r);
	nmal = rb_u32(r);
	nhyg = rb_u32(r);
	ntool = rb_u32(r);
	nwat = rb_u32(r);
	c->cm_width_log2 = rb_u32(r);
	c->cm_depth = rb_u32(r);
	c->hll_p = rb_u32(r);
	c->watch_hll_p = rb_u32(r);
	c->overlap_k = rb_u32(r);
	c->watch_k = rb_u32(r);
	c->fp_table = rb_u32(r);
	c->fp_detail = rb_u32(r);
	c->fp_hll_p = rb_u32(r);
	c->topsrc_log2 = rb_u32(r);
	c->fp_min_sources = rb_u32(r);
	c->top_ports = rb_u32(r);
	c->top_sources = rb_u32(r);
	c->period = rb_u32(r);
	c->local_share = rb_f64(r);
	c->local_ratio = rb_f64(r);
	c->hygiene_exclude = rb_u32(r) != 0;
	c->n_excluded = rb_u32(r);
	for (i = 0; i < DS_CONF_MAX_EXCLUDED; i++) {
		v = rb_u16(r);
		if (i < DS_CONF_MAX_EXCLUDED)
			c->excluded[i] = (uint16_t)v;
	}
	rb_copy(r, name, sizeof(name));
	if (r->bad || r->off != r->n) {
		seterr(err, errlen, "section params has the wrong length");
		return -EINVAL;
	}
	if (ncls != DS_SET__NCLASS || nmal != DS_MAL__N || nhyg != DS_HYG__N ||
	    ntool != DS_TOOL__N || nwat != DS_CONF_MAX_WATCHED) {
		seterr(err, errlen, "counter layout (%u classes, %u malformed, %u hygiene, %u tools, %u watch slots) is not this build's",
		       ncls, nmal, nhyg, ntool, nwat);
		return -EINVAL;
	}
	if (name[DS_CONF_NAME_LEN - 1] != 0) {
		seterr(err, errlen, "site name is not terminated");
		return -EINVAL;
	}
	if (site)
		memcpy(site, name, DS_CONF_NAME_LEN);
	memcpy(c->site, name, DS_CONF_NAME_LEN);
	if (check_range("n_sensors", c->n_sensors, 1, DS_BK_MAX_SENSORS, err, errlen) ||
	    check_range("cm_width_log2", c->cm_width_log2, 4, 20, err, errlen) ||
	    check_range("cm_depth", c->cm_depth, 1, DS_CM_MAX_DEPTH, err, errlen) ||
	    check_range("cm_depth*cm_width_log2", (uint64_t)c->cm_depth * c->cm_width_log2, 1, 64, err, errlen) ||
	    check_range("hll_p", c->hll_p, DS_HLL_MIN_P, DS_HLL_MAX_P, err, errlen) ||
	    check_range("watch_hll_p", c->watch_hll_p, DS_HLL_MIN_P, DS_HLL_MAX_P, err, errlen) ||
	    check_range("overlap_k", c->overlap_k, 16, MAX_K, err, errlen) ||
	    check_range("watch_k", c->watch_k, 16, MAX_K, err, errlen) ||
	    check_range("fp_table", c->fp_table, 64, MAX_FP_TABLE, err, errlen) ||
	    check_range("fp_detail", c->fp_detail, 1, MAX_FP_DETAIL, err, errlen) ||
	    check_range("fp_hll_p", c->fp_hll_p, DS_HLL_MIN_P, 16, err, errlen) ||
	    check_range("topsrc_log2", c->topsrc_log2, 3, MAX_TOPK_LOG2, err, errlen) ||
	    check_range("n_excluded", c->n_excluded, 0, DS_CONF_MAX_EXCLUDED, err, errlen) ||
	    /* any period a darkscope ever wrote: the field is 32 bits, and
	     * ds_conf_check_period() allows up to DS_CONF_MAX_PERIOD */
	    check_range("period", c->period, 1, UINT32_MAX, err, errlen))
		return -EINVAL;
	if (c->fp_table & (c->fp_table - 1)) {
		seterr(err, errlen, "parameter fp_table = %u is not a power of two", c->fp_table);
		return -EINVAL;
	}
	if (!(c->local_share >= 0 && c->local_share <= 1) || !(c->local_ratio >= 0 && c->local_ratio < 1e9)) {
		seterr(err, errlen, "parameters local_share/local_ratio out of range");
		return -EINVAL;
	}
	if (c->top_ports > 1000)
		c->top_ports = 1000;
	if (c->top_sources > 1000)
		c->top_sources = 1000;
	return 0;
}

static int
parse_sensors(struct rb *r, struct ds_conf *c, char *err, size_t errlen)
{
	unsigned i, j, k;

	c->sensors = calloc(c->n_sensors, sizeof(*c->sensors));
	if (!c->sensors) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < c->n_sensors; i++) {
		struct ds_conf_sensor *s = &c->sensors[i];
		char cc[4];

		rb_copy(r, s->name, DS_CONF_NAME_LEN);
		rb_copy(r, cc, 4);
		s->n_prefixes = rb_u32(r);
		if (r->bad)
			break;
		if (s->name[0] == 0 || s->name[DS_CONF_NAME_LEN - 1] != 0 ||
		    s->n_prefixes > DS_CONF_MAX_PREFIXES || cc[2] || cc[3]) {
			seterr(err, errlen, "sensor %u: bad name, country or prefix count", i);
			return -EINVAL;
		}
		memcpy(s->country, cc, 3);
		for (j = 0; j < s->n_prefixes; j++) {
			uint32_t a = rb_u32(r), l = rb_u32(r);

			if (l > 32 || (l < 32 && (a & (0xffffffffu >> l)))) {
				seterr(err, errlen, "sensor %u: bad prefix", i);
				return -EINVAL;
			}
			s->prefixes[j].addr = a;
			s->prefixes[j].len = (uint8_t)l;
			s->addresses += 1ull << (32 - l);
		}
		for (k = 0; k < i; k++)
			if (strcmp(c->sensors[k].name, s->name) == 0) {
				seterr(err, errlen, "sensor name '%s' appears twice", s->name);
				return -EINVAL;
			}
	}
	if (r->bad || r->off != r->n) {
		seterr(err, errlen, "section sensors has the wrong length");
		return -EINVAL;
	}
	return 0;
}

static void
get_stats(struct rb *r, struct ds_sensor_stats *st)
{
	rb_copy(r, st->cls, sizeof(st->cls));
	st->syn_excluded = rb_u64(r);
	rb_copy(r, st->tool_packets, sizeof(st->tool_packets));
	rb_copy(r, st->watch_packets, sizeof(st->watch_packets));
	rb_copy(r, st->hygiene, sizeof(st->hygiene));
}

static struct ds_set *
decode(const void *buf, size_t len, const struct ds_conf *conf, int64_t *startp,
       int64_t *endp, char *site, struct ds_conf **meta, struct ds_set *into,
       char *err, size_t errlen)
{
	const uint8_t *p = buf;
	struct rb sec[SEC__N + 1];
	struct ds_conf *own = NULL;
	struct ds_set *s = NULL;
	uint32_t v, crc, nsec, i, n, nw, watch_surge;
	uint64_t flen, cm_bytes, hll_bytes, counters_bytes;
	int64_t start, end;
	size_t off;
	uint16_t wports[DS_CONF_MAX_WATCHED];
	const struct ds_conf *c;

	if (!buf || len < HDR_SIZE || memcmp(p, DS_ARCHIVE_MAGIC, 8) != 0) {
		seterr(err, errlen, "not a darkscope archive (no '%s' magic)", DS_ARCHIVE_MAGIC);
		return NULL;
	}
	memcpy(&v, p + 8, 4);
	if (v != DS_ARCHIVE_VERSION) {
		seterr(err, errlen, "archive version %u, this build reads version %u", v, DS_ARCHIVE_VERSION);
		return NULL;
	}
	memcpy(&crc, p + 60, 4);
	if (crc != crc32c(p, 60)) {
		seterr(err, errlen, "header CRC32C mismatch (corrupt file)");
		return NULL;
	}
	memcpy(&v, p + 12, 4);
	memcpy(&start, p + 16, 8);
	memcpy(&end, p + 24, 8);
	memcpy(&nsec, p + 32, 4);
	memcpy(&flen, p + 40, 8);
	if (v != HDR_SIZE || nsec != SEC__N) {
		seterr(err, errlen, "header size %u / %u sections unexpected", v, nsec);
		return NULL;
	}
	if (flen != len) {
		seterr(err, errlen, "file is %zu bytes, header says %llu (truncated?)", len,
		       (unsigned long long)flen);
		return NULL;
	}
	if (end <= start) {
		seterr(err, errlen, "empty or reversed window");
		return NULL;
	}
	off = HDR_SIZE;
	for (i = 1; i <= SEC__N; i++) {
		uint32_t type;
		uint64_t slen;

		if (len - off < SEC_HDR) {
			seterr(err, errlen, "truncated before section %s", sec_names[i]);
			return NULL;
		}
		memcpy(&type, p + off, 4);
		memcpy(&slen, p + off + 8, 8);
		memcpy(&crc, p + off + 16, 4);
		{
			uint32_t flags, pad;

			memcpy(&flags, p + off + 4, 4);
			memcpy(&pad, p + off + 20, 4);
			if (flags || pad) {
				seterr(err, errlen, "section %s: reserved header fields not zero", sec_names[i]);
				return NULL;
			}
		}
		if (type != i) {
			seterr(err, errlen, "section %u has type %u, expected %s", i, type, sec_names[i]);
			return NULL;
		}
		off += SEC_HDR;
		if (slen > len - off) {
			seterr(err, errlen, "section %s length %llu runs past the end of the file",
			       sec_names[i], (unsigned long long)slen);
			return NULL;
		}
		if (crc32c(p + off, (size_t)slen) != crc) {
			seterr(err, errlen, "section %s CRC32C mismatch (corrupt file)", sec_names[i]);
			return NULL;
		}
		sec[i].p = p + off;
		sec[i].n = (size_t)slen;
		sec[i].off = 0;
		sec[i].bad = 0;
		off += (size_t)slen;
	}
	if (off != len) {
		seterr(err, errlen, "%zu bytes of trailing garbage", len - off);
		return NULL;
	}

	own = ds_conf_default();
	if (!own) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	own->sensors = NULL;
	if (parse_params(&sec[SEC_PARAMS], own, site, err, errlen) ||
	    parse_sensors(&sec[SEC_SENSORS], own, err, errlen))
		goto fail;
	n = own->n_sensors;

	/* watched ports */
	nw = rb_u32(&sec[SEC_WATCH]);
	watch_surge = rb_u32(&sec[SEC_WATCH]);
	if (nw > DS_CONF_MAX_WATCHED || sec[SEC_WATCH].n != 8 + 2 * (size_t)nw ||
	    (nw < 32 && (watch_surge >> nw))) {
		seterr(err, errlen, "section watch is inconsistent");
		goto fail;
	}
	for (i = 0; i < nw; i++) {
		uint32_t j;

		wports[i] = rb_u16(&sec[SEC_WATCH]);
		for (j = 0; j < i; j++)
			if (wports[j] == wports[i]) {
				seterr(err, errlen, "watched port %u appears twice", wports[i]);
				goto fail;
			}
	}

	/* sizes implied by the parameters, before allocating anything */
	cm_bytes = 2ull * n * (8 + ((4ull << own->cm_width_log2) * own->cm_depth));
	hll_bytes = 3ull * n * (1ull << own->hll_p) +
		    (uint64_t)n * (DS_TOOL__N + nw) * (1ull << own->watch_hll_p);
	counters_bytes = 8 * (4 + DS_SET__NCLASS + DS_MAL__N + DS_HYG__N + 1) +
			 (size_t)n * sizeof(struct ds_sensor_stats);
	if (sec[SEC_CM].n != cm_bytes || sec[SEC_HLL].n != hll_bytes ||
	    (sec[SEC_COUNTERS].n != counters_bytes && sec[SEC_COUNTERS].n != counters_bytes + 8)) {
		seterr(err, errlen, "section sizes do not match the sketch parameters");
		goto fail;
	}

	if (meta) {	/* ds_archive_peek: parameters and sensors only */
		if (startp)
			*startp = start;
		if (endp)
			*endp = end;
		*meta = own;
		return NULL;
	}
	if (into && same_shape(into->conf, own, NULL, 0) == 0) {
		s = into;	/* every loaded field below is overwritten */
		c = conf = into->conf;
	} else if (conf) {
		if (same_shape(conf, own, err, errlen))
			goto fail;
		c = conf;
	} else {
		c = own;
	}
	if (!s)
		s = ds_set_create(c);
	if (!s) {
		seterr(err, errlen, "cannot allocate the sketch set: %s", strerror(errno));
		goto fail;
	}
	/* the set starts with conf's watched ports: replace by the archive's */
	s->n_watch = 0;
	s->watch_surge = 0;
	memset(s->watch_slot, 0, sizeof(s->watch_slot));
	for (i = 0; i < nw; i++)
		ds_set_watch(s, wports[i], (int)(watch_surge >> i & 1));

	{
		struct rb *r = &sec[SEC_COUNTERS];

		s->period = (int64_t)rb_u64(r);
		s->first_ts = rb_u64(r);
		s->last_ts = rb_u64(r);
		s->late = rb_u64(r);
		rb_copy(r, s->classes, sizeof(s->classes));
		rb_copy(r, s->malformed, sizeof(s->malformed));
		rb_copy(r, s->hygiene, sizeof(s->hygiene));
		s->vlan_tagged = rb_u64(r);
		for (i = 0; i < n; i++)
			get_stats(r, &s->sensor[i]);
		s->fp_skipped = r->n - r->off >= 8 ? rb_u64(r) : 0;
	}
	{
		struct rb *r = &sec[SEC_CM];

		for (i = 0; i < 2 * n; i++) {
			struct ds_cm *cm = i < n ? s->ports[i] : s->bs_ports[i - n];

			cm->total = rb_u64(r);
			rb_copy(r, ds_cm_counters(cm), (size_t)ds_cm_width(cm) * ds_cm_depth(cm) * 4);
		}
	}
	{
		struct rb *r = &sec[SEC_HLL];

		for (i = 0; i < n; i++)
			rb_copy(r, ds_hll_registers(s->src[i]), (size_t)1 << c->hll_p);
		for (i = 0; i < n; i++)
			rb_copy(r, ds_hll_registers(s->src_excl[i]), (size_t)1 << c->hll_p);
		for (i = 0; i < n; i++)
			rb_copy(r, ds_hll_registers(s->victims[i]), (size_t)1 << c->hll_p);
		for (i = 0; i < n * DS_TOOL__N; i++)
			rb_copy(r, ds_hll_registers(s->tool_src[i]), (size_t)1 << c->watch_hll_p);
		for (i = 0; i < n * nw; i++)
			rb_copy(r, ds_hll_registers(s->watch_src[i]), (size_t)1 << c->watch_hll_p);
	}
	if (rb_blob(&sec[SEC_BK], bk_load, s->overlap)) {
		seterr(err, errlen, "section bk: bad overlap sample");
		goto fail;
	}
	for (i = 0; i < nw; i++)
		if (rb_blob(&sec[SEC_BK], bk_load, s->watch_overlap[i])) {
			seterr(err, errlen, "section bk: bad sample of watched port %u", wports[i]);
			goto fail;
		}
	if (sec[SEC_BK].off != sec[SEC_BK].n) {
		seterr(err, errlen, "section bk has the wrong length");
		goto fail;
	}
	if (rb_blob(&sec[SEC_TOPK], topk_load, s->top_src) ||
	    rb_blob(&sec[SEC_TOPK], topk_load, s->top_victims) ||
	    sec[SEC_TOPK].off != sec[SEC_TOPK].n) {
		seterr(err, errlen, "section topk is inconsistent");
		goto fail;
	}
	if (rb_blob(&sec[SEC_FP], fp_load, s->fp) || sec[SEC_FP].off != sec[SEC_FP].n) {
		seterr(err, errlen, "section fp is inconsistent");
		goto fail;
	}
	for (i = SEC_COUNTERS; i <= SEC_HLL; i++)
		if (sec[i].bad || sec[i].off != sec[i].n) {
			seterr(err, errlen, "section %s has the wrong length", sec_names[i]);
			goto fail;
		}
	if (conf)
		ds_conf_free(own);
	if (startp)
		*startp = start;
	if (endp)
		*endp = end;
	return s;
fail:
	if (s != into)
		ds_set_free(s);
	ds_conf_free(own);
	return NULL;
}

struct ds_set *
ds_archive_decode(const void *buf, size_t len, const struct ds_conf *conf,
		  int64_t *startp, int64_t *endp, char *site, char *err, size_t errlen)
{
	return decode(buf, len, conf, startp, endp, site, NULL, NULL, err, errlen);
}

void
ds_archive_free(struct ds_set *s)
{
	struct ds_conf *c;

	if (!s)
		return;
	c = (struct ds_conf *)s->conf;
	ds_set_free(s);
	ds_conf_free(c);
}

/* ---- files ---- */

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
write_file(const char *dir, const char *name, const uint8_t *buf, size_t len,
	   unsigned flags, char *err, size_t errlen)
{
	char tmp[DS_CONF_PATH_LEN + 64], path[DS_CONF_PATH_LEN + 64];
	int fd, rc;

	if ((rc = ds_fs_mkdirs(dir)) != 0) {
		seterr(err, errlen, "%s: cannot create the archive directory: %s", dir, strerror(-rc));
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		seterr(err, errlen, "%s: cannot create: %s", tmp, strerror(-rc));
		return rc;
	}
	rc = fchmod(fd, 0644) != 0 ? -errno : 0;
	if (!rc)
		rc = write_all(fd, buf, len);
	if (!rc && !(flags & DS_ARCHIVE_NOSYNC) && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!(flags & DS_ARCHIVE_NOSYNC))
		ds_fs_fsync(dir);
	return 0;
}

static void
archive_name(int64_t start, int64_t end, char *buf, size_t len)
{
	char a[32], b[32];

	{
		time_t t = (time_t)start;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(a, sizeof(a), "%Y%m%dT%H%M%SZ", &tm);
		t = (time_t)end;
		gmtime_r(&t, &tm);
		strftime(b, sizeof(b), "%Y%m%dT%H%M%SZ", &tm);
	}
	snprintf(buf, len, "%s-%s%s", a, b, DS_ARCHIVE_SUFFIX);
}

int
ds_archive_write(const struct ds_set *s, int64_t start, int64_t end,
		 const char *dir, unsigned flags, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	char name[96];
	int rc;

	rc = ds_archive_encode(s, start, end, s->conf->site, &buf, &len);
	if (rc) {
		seterr(err, errlen, "%s: out of memory encoding the archive", dir);
		return rc;
	}
	archive_name(start, end, name, sizeof(name));
	rc = write_file(dir, name, buf, len, flags, err, errlen);
	free(buf);
	return rc;
}

static struct ds_set *
read_file(const char *path, const struct ds_conf *conf, int64_t *start, int64_t *end,
	  char *site, struct ds_conf **meta, struct ds_set *into, char *err, size_t errlen)
{
	struct ds_set *s = NULL;
	struct stat st;
	uint8_t *buf = NULL;
	char msg[400];
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		seterr(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		seterr(err, errlen, "%s: short read", path);
		free(buf);
		return NULL;
	}
	msg[0] = 0;
	s = decode(buf, got, conf, start, end, site, meta, into, msg, sizeof(msg));
	if (!s && !(meta && *meta))
		seterr(err, errlen, "%s: %s", path, msg);
	free(buf);
	return s;
}

struct ds_set *
ds_archive_read_site(const char *path, const struct ds_conf *conf, int64_t *start,
		     int64_t *end, char *site, char *err, size_t errlen)
{
	return read_file(path, conf, start, end, site, NULL, NULL, err, errlen);
}

int
ds_archive_read_reuse(const char *path, struct ds_set **reuse, int64_t *start,
		      int64_t *end, char *err, size_t errlen)
{
	struct ds_set *s = read_file(path, NULL, start, end, NULL, NULL, *reuse, err, errlen);

	if (!s)
		return -EINVAL;
	if (s != *reuse) {
		ds_archive_free(*reuse);
		*reuse = s;
	}
	return 0;
}

struct ds_conf *
ds_archive_peek(const char *path, int64_t *start, int64_t *end, char *site,
		char *err, size_t errlen)
{
	struct ds_conf *c = NULL;

	read_file(path, NULL, start, end, site, &c, NULL, err, errlen);
	return c;
}

struct ds_set *
ds_archive_read(const char *path, const struct ds_conf *conf, int64_t *start,
		int64_t *end, char *err, size_t errlen)
{
	return ds_archive_read_site(path, conf, start, end, NULL, err, errlen);
}

/* ---- merge with a sensor map ---- */

struct rekey_arg {
	const uint16_t *map;
	unsigned n;
};

static uint64_t
rekey(uint64_t key, uint64_t *hash, void *arg)
{
	const struct rekey_arg *a = arg;
	uint32_t sn = (uint32_t)(key >> 32), src = (uint32_t)key;
	unsigned d;

	if (sn == 0 || sn > a->n || a->map[sn - 1] == DS_ARCHIVE_DROP)
		return 0;
	d = a->map[sn - 1];
	*hash = ds_hash_u32(src) ^ d;
	return ((uint64_t)(d + 1) << 32) | src;
}

int
ds_archive_merge(struct ds_set *d, const struct ds_set *s, const uint16_t *map)
{
	uint16_t ident[DS_BK_MAX_SENSORS];
	unsigned n = s->n_sensors, i, j, k, t;
	unsigned slot_of[DS_CONF_MAX_WATCHED];
	struct rekey_arg ra;
	int rc;

	if (ds_archive_compatible(d->conf, s->conf, NULL, 0))
		return -EINVAL;
	if (!map) {
		if (d->n_sensors != n)
			return -EINVAL;
		for (i = 0; i < n; i++)
			ident[i] = (uint16_t)i;
		map = ident;
	}
	for (i = 0; i < n; i++)
		if (map[i] >= d->n_sensors && map[i] != DS_ARCHIVE_DROP)
			return -EINVAL;
	for (j = 0; j < s->n_watch; j++) {
		uint16_t port = s->watch_port[j];

		if (!d->watch_slot[port]) {
			rc = ds_set_watch(d, port, (int)(s->watch_surge >> j & 1));
			if (rc)
				return rc;
		}
		slot_of[j] = d->watch_slot[port] - 1u;
	}
	if (s->first_ts && (!d->first_ts || s->first_ts < d->first_ts))
		d->first_ts = s->first_ts;
	if (s->last_ts > d->last_ts)
		d->last_ts = s->last_ts;
	if (d->period < 0)
		d->period = s->period;
	d->late += s->late;
	for (k = 0; k < DS_SET__NCLASS; k++)
		d->classes[k] += s->classes[k];
	for (k = 0; k < DS_MAL__N; k++)
		d->malformed[k] += s->malformed[k];
	for (k = 0; k < DS_HYG__N; k++)
		d->hygiene[k] += s->hygiene[k];
	d->vlan_tagged += s->vlan_tagged;
	d->fp_skipped += s->fp_skipped;
	for (i = 0; i < n; i++) {
		const struct ds_sensor_stats *a = &s->sensor[i];
		struct ds_sensor_stats *b;
		unsigned m = map[i];

		if (m == DS_ARCHIVE_DROP)
			continue;	/* global counters keep its packets */
		b = &d->sensor[m];

		for (k = 0; k < DS_SET__NCLASS; k++)
			b->cls[k] += a->cls[k];
		b->syn_excluded += a->syn_excluded;
		for (k = 0; k < DS_TOOL__N; k++)
			b->tool_packets[k] += a->tool_packets[k];
		for (j = 0; j < s->n_watch; j++)
			b->watch_packets[slot_of[j]] += a->watch_packets[j];
		for (k = 0; k < DS_HYG__N; k++)
			b->hygiene[k] += a->hygiene[k];
		if ((rc = ds_cm_merge(d->ports[m], s->ports[i])) ||
		    (rc = ds_cm_merge(d->bs_ports[m], s->bs_ports[i])) ||
		    (rc = ds_hll_merge(d->src[m], s->src[i])) ||
		    (rc = ds_hll_merge(d->src_excl[m], s->src_excl[i])) ||
		    (rc = ds_hll_merge(d->victims[m], s->victims[i])))
			return rc;
		for (t = 0; t < DS_TOOL__N; t++)
			if ((rc = ds_hll_merge(d->tool_src[t * d->n_sensors + m],
					       s->tool_src[t * n + i])))
				return rc;
		for (j = 0; j < s->n_watch; j++)
			if ((rc = ds_hll_merge(d->watch_src[slot_of[j] * d->n_sensors + m],
					       s->watch_src[j * n + i])))
				return rc;
	}
	if ((rc = ds_bk_merge_map(d->overlap, s->overlap, map)))
		return rc;
	for (j = 0; j < s->n_watch; j++)
		if ((rc = ds_bk_merge_map(d->watch_overlap[slot_of[j]], s->watch_overlap[j], map)))
			return rc;
	ra.map = map;
	ra.n = n;
	if ((rc = ds_topk_merge_map(d->top_src, s->top_src, rekey, &ra)) ||
	    (rc = ds_topk_merge_map(d->top_victims, s->top_victims, rekey, &ra)))
		return rc;
	return ds_fp_merge_map(d->fp, s->fp, map);
}

/* ---- names and roll-up ---- */

static int
parse_stamp(const char *s, int64_t *t)
{
	struct tm tm = { 0 };
	const char *e = strptime(s, "%Y%m%dT%H%M%SZ", &tm);

	if (!e || e - s != 16)
		return -EINVAL;
	*t = (int64_t)timegm(&tm);
	return 0;
}

int
ds_archive_parse_name(const char *name, int64_t *start, int64_t *end)
{
	size_t l = strlen(name);

	if (l != 33 + strlen(DS_ARCHIVE_SUFFIX) || name[16] != '-' ||
	    strcmp(name + 33, DS_ARCHIVE_SUFFIX) != 0)
		return -EINVAL;
	if (parse_stamp(name, start) || parse_stamp(name + 17, end) || *end <= *start)
		return -EINVAL;
	return 0;
}

struct rfile {
	char name[64];
	int64_t start, end;
};

static int
rfile_cmp(const void *a, const void *b)
{
	const struct rfile *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int
ds_archive_rollup(const char *dir, unsigned keep_days, int64_t now, char *err, size_t errlen)
{
	struct rfile *f = NULL;
	size_t nf = 0, cap = 0, i, j;
	struct dirent *de;
	int64_t limit = now - (int64_t)keep_days * 86400;
	DIR *d;
	int written = 0, rc = 0;

	if (keep_days == 0)
		return 0;
	d = opendir(dir);
	if (!d) {
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		struct rfile r;

		if (ds_archive_parse_name(de->d_name, &r.start, &r.end))
			continue;
		if (r.end - r.start >= 86400 || r.end > limit ||
		    r.start / 86400 != (r.end - 1) / 86400)
			continue;
		memcpy(r.name, de->d_name, strlen(de->d_name) + 1);	/* 37 bytes, checked */
		if (nf == cap) {
			struct rfile *q = realloc(f, (cap = cap ? 2 * cap : 64) * sizeof(*f));

			if (!q) {
				rc = -ENOMEM;
				break;
			}
			f = q;
		}
		f[nf++] = r;
	}
	closedir(d);
	if (rc) {
		free(f);
		seterr(err, errlen, "%s: out of memory", dir);
		return rc;
	}
	if (nf)
		qsort(f, nf, sizeof(*f), rfile_cmp);
	for (i = 0; i < nf; i = j) {
		int64_t day = f[i].start / 86400 * 86400;
		char path[DS_CONF_PATH_LEN + 80], dname[96];
		struct ds_set *acc = NULL;
		size_t k;
		int bad = 0;

		for (j = i; j < nf && f[j].start / 86400 * 86400 == day; j++)
			;
		if (day + 86400 > limit)
			continue;	/* the day is not entirely past retention */
		archive_name(day, day + 86400, dname, sizeof(dname));
		snprintf(path, sizeof(path), "%s/%s", dir, dname);
		acc = ds_archive_read(path, NULL, NULL, NULL, err, errlen);	/* earlier roll-up */
		for (k = i; k < j && !bad; k++) {
			struct ds_set *s;

			snprintf(path, sizeof(path), "%s/%s", dir, f[k].name);
			s = ds_archive_read(path, acc ? acc->conf : NULL, NULL, NULL, err, errlen);
			if (!s) {
				bad = 1;
				break;
			}
			if (!acc) {
				acc = s;
				continue;
			}
			if (ds_archive_merge(acc, s, NULL)) {
				seterr(err, errlen, "%s: cannot merge into the daily file", path);
				bad = 1;
			}
			ds_set_free(s);
		}
		/* the merged day is fsynced before its parts go, however the
		 * parts were written */
		if (!bad && acc && (rc = ds_archive_write(acc, day, day + 86400, dir, 0, err, errlen)) == 0) {
			for (k = i; k < j; k++) {
				snprintf(path, sizeof(path), "%s/%s", dir, f[k].name);
				unlink(path);
			}
			written++;
		} else {
			rc = rc ? rc : -EINVAL;
		}
		ds_archive_free(acc);
		if (rc)
			break;
	}
	free(f);
	return rc ? rc : written;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fixed-header fingerprint table; see ds_fp.h for the design.  Slots are
 * 32 bytes, four to a bucket (two cache lines); details live in a pool
 * allocated at creation, so memory is fixed and nothing is allocated per
 * packet.  Per-sensor source HLLs of a detail are raw register arrays read
 * through a struct ds_hll view, so counting uses the sketch library's
 * estimator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ds_bk.h"
#include "ds_fp.h"
#include "ds_mem.h"
#include "ds_hash.h"
#include "ds_hll.h"

#define BUCKET 4
#define NO_DETAIL 0xffffffffu

struct slot {
	uint32_t seq;
	uint16_t sport;
	uint16_t ipid;
	uint16_t win;
	uint16_t first_dport;
	uint16_t first_sensor;
	uint16_t cursor;	/* slot 0 of a bucket only: next victim */
	uint32_t count;		/* 0 = free slot */
	uint32_t first_src;
	uint32_t detail;	/* pool index or NO_DETAIL */
	uint32_t first_dst;
};

struct detail {
	uint64_t first_ts;
	uint64_t last_ts;
	uint64_t slash16_match;
	uint64_t other_port_packets;
	uint16_t ports[DS_FP_PORT_SLOTS];
	uint64_t port_packets[DS_FP_PORT_SLOTS];
	unsigned n_ports;
};

struct ds_fp {
	uint32_t mask;		/* bucket mask */
	uint32_t n_detail;
	uint32_t used_detail;
	unsigned n_sensors;
	unsigned hll_p;
	struct slot *slots;
	struct detail *details;
	uint64_t *sensor_packets;	/* n_detail * n_sensors */
	uint8_t *regs;			/* n_detail * n_sensors * 2^p */
	uint8_t *scratch;		/* 2^p, for unions */
	uint64_t evictions;
	uint64_t dropped;
	uint64_t detail_full;
};

_Static_assert(BUCKET * sizeof(struct slot) == DS_FP_BUCKET_BYTES, "ds_fp.h bucket size");

struct ds_fp_slots
ds_fp_slots(const struct ds_fp *f)
{
	struct ds_fp_slots v = { (const uint8_t *)f->slots, f->mask };

	return v;
}

static void *
zalloc(size_t n)
{
	return ds_mem_table(n ? n : 64);
}

struct ds_fp *
ds_fp_create(uint32_t table_slots, uint32_t detail, unsigned n_sensors, unsigned hll_p)
{
	struct ds_fp *f;

	if (table_slots < 64 || (table_slots & (table_slots - 1)) || detail == 0 ||
	    n_sensors == 0 || hll_p < DS_HLL_MIN_P || hll_p > 16) {
		errno = EINVAL;
		return NULL;
	}
	f = zalloc(sizeof(*f));
	if (!f)
		goto nomem;
	f->mask = table_slots / BUCKET - 1;
	f->n_detail = detail;
	f->n_sensors = n_sensors;
	f->hll_p = hll_p;
	f->slots = zalloc((size_t)table_slots * sizeof(struct slot));
	f->details = zalloc((size_t)detail * sizeof(struct detail));
	f->sensor_packets = zalloc((size_t)detail * n_sensors * sizeof(uint64_t));
	f->regs = zalloc((size_t)detail * n_sensors << hll_p);
	f->scratch = zalloc((size_t)1 << hll_p);
	if (!f->slots || !f->details || !f->sensor_packets || !f->regs || !f->scratch)
		goto nomem;
	ds_fp_clear(f);
	return f;
nomem:
	ds_fp_free(f);
	errno = ENOMEM;
	return NULL;
}

void
ds_fp_free(struct ds_fp *f)
{
	if (!f)
		return;
	free(f->slots);
	free(f->details);
	free(f->sensor_packets);
	free(f->regs);
	free(f->scratch);
	free(f);
}

void
ds_fp_clear(struct ds_fp *f)
{
	memset(f->slots, 0, (size_t)(f->mask + 1) * BUCKET * sizeof(struct slot));
	memset(f->details, 0, (size_t)f->used_detail * sizeof(struct detail));
	memset(f->sensor_packets, 0, (size_t)f->used_detail * f->n_sensors * sizeof(uint64_t));
	memset(f->regs, 0, (size_t)f->used_detail * f->n_sensors << f->hll_p);
	f->used_detail = 0;
	f->evictions = f->dropped = f->detail_full = 0;
}

static inline uint8_t *
detail_regs(const struct ds_fp *f, uint32_t d, unsigned sensor)
{
	return f->regs + (((size_t)d * f->n_sensors + sensor) << f->hll_p);
}

static inline void
reg_add(uint8_t *reg, unsigned p, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash & ((1u << p) - 1));
	uint64_t w = hash >> p;
	uint8_t v = w ? (uint8_t)(__builtin_ctzll(w) + 1) : (uint8_t)(64 - p + 1);

	if (v > 63)
		v = 63;
	if (v > reg[idx])
		reg[idx] = v;
}

static void
detail_port(struct detail *d, uint16_t port, uint64_t n)
{
	unsigned i;

	for (i = 0; i < d->n_ports; i++)
		if (d->ports[i] == port) {
			d->port_packets[i] += n;
			return;
		}
	if (d->n_ports < DS_FP_PORT_SLOTS) {
		d->ports[d->n_ports] = port;
		d->port_packets[d->n_ports++] = n;
		return;
	}
	d->other_port_packets += n;
}

static inline int
slash16_match(uint32_t seq, uint32_t dst)
{
	return (seq & 0xffff) == 0 && (dst & 0xffff0000u) == seq;
}

/* Count n packets of one source at one sensor into detail d. */
static void
detail_add(struct ds_fp *f, uint32_t d, uint32_t seq, uint64_t src_hash,
	   unsigned sensor, uint16_t dport, uint32_t dst, uint64_t ts, uint64_t n)
{
	struct detail *dt = &f->details[d];

	f->sensor_packets[(size_t)d * f->n_sensors + sensor] += n;
	reg_add(detail_regs(f, d, sensor), f->hll_p, src_hash);
	detail_port(dt, dport, n);
	if (slash16_match(seq, dst))
		dt->slash16_match += n;
	if (!dt->first_ts || ts < dt->first_ts)
		dt->first_ts = ts;
	if (ts > dt->last_ts)
		dt->last_ts = ts;
}

static uint32_t
detail_alloc(struct ds_fp *f)
{
	if (f->used_detail == f->n_detail) {
		f->detail_full++;
		return NO_DETAIL;
	}
	return f->used_detail++;
}

/* Promote slot s: its first packet's facts become the detail's start. */
static int
promote(struct ds_fp *f, struct slot *s, uint64_t ts)
{
	uint32_t d = detail_alloc(f);

	if (d == NO_DETAIL)
		return -1;
	s->detail = d;
	detail_add(f, d, s->seq, ds_hash_u32(s->first_src), s->first_sensor, s->first_dport,
		   s->first_dst, ts, s->count);
	return 0;
}

/* Find k's slot; with insert, make room for it: a free slot, else the
 * bucket's smallest entry without detail, ties broken round-robin so the
 * bucket evicts first-in-first-out (a singleton survives four insertions
 * into its bucket, whatever its position). */
static struct slot *
lookup(struct ds_fp *f, const struct ds_fp_key *k, uint64_t hash, int insert)
{
	struct slot *b = &f->slots[(size_t)(hash & f->mask) * BUCKET];
	struct slot *victim = NULL;
	unsigned i, start;

	for (i = 0; i < BUCKET; i++) {
		struct slot *s = &b[i];

		if (s->count && s->seq == k->seq && s->sport == k->sport &&
		    s->ipid == k->ipid && s->win == k->win)
			return s;
	}
	if (!insert)
		return NULL;
	start = b[0].cursor % BUCKET;
	for (i = 0; i < BUCKET; i++) {
		struct slot *s = &b[(start + i) % BUCKET];

		if (!s->count) {
			victim = s;
			break;
		}
		if (s->detail == NO_DETAIL && (!victim || s->count < victim->count))
			victim = s;
	}
	if (!victim)
		return NULL;
	if (victim->count)
		f->evictions++;
	b[0].cursor = (uint16_t)((victim - b + 1) % BUCKET);
	i = b[0].cursor;
	memset(victim, 0, sizeof(*victim));
	b[0].cursor = (uint16_t)i;
	victim->seq = k->seq;
	victim->sport = k->sport;
	victim->ipid = k->ipid;
	victim->win = k->win;
	victim->detail = NO_DETAIL;
	return victim;
}

void
ds_fp_add(struct ds_fp *f, const struct ds_fp_key *k, uint64_t hash,
	  uint32_t src, uint64_t src_hash, unsigned sensor, uint16_t dport,
	  uint32_t dst, uint64_t ts)
{
	struct slot *s = lookup(f, k, hash, 1);

	if (!s) {
		f->dropped++;
		return;
	}
	if (s->count == 0) {
		s->first_src = src;
		s->first_sensor = (uint16_t)sensor;
		s->first_dport = dport;
		s->first_dst = dst;
	} else if (s->detail == NO_DETAIL && src != s->first_src) {
		promote(f, s, ts);
	}
	s->count++;
	if (s->detail != NO_DETAIL)
		detail_add(f, s->detail, k->seq, src_hash, sensor, dport, dst, ts, 1);
}


int
ds_fp_foreach(const struct ds_fp *f, ds_fp_visit_fn fn, void *arg)
{
	size_t i, n = (size_t)(f->mask + 1) * BUCKET;
	struct ds_fp_info info;
	int rc;

	for (i = 0; i < n; i++) {
		const struct slot *s = &f->slots[i];
		const struct detail *d;

		if (!s->count || s->detail == NO_DETAIL)
			continue;
		d = &f->details[s->detail];
		memset(&info, 0, sizeof(info));
		info.key.seq = s->seq;
		info.key.sport = s->sport;
		info.key.ipid = s->ipid;
		info.key.win = s->win;
		info.packets = s->count;
		info.sensor_packets = &f->sensor_packets[(size_t)s->detail * f->n_sensors];
		info.first_ts = d->first_ts;
		info.last_ts = d->last_ts;
		info.slash16_match = d->slash16_match;
		info.n_ports = d->n_ports;
		memcpy(info.ports, d->ports, sizeof(d->ports));
		memcpy(info.port_packets, d->port_packets, sizeof(d->port_packets));
		info.other_port_packets = d->other_port_packets;
		rc = fn(&info, arg);
		if (rc)
			return rc;
	}
	return 0;
}

double
ds_fp_sources(const struct ds_fp *f, const struct ds_fp_info *info, int sensor)
{
	size_t d = (size_t)(info->sensor_packets - f->sensor_packets) / f->n_sensors;
	size_t m = (size_t)1 << f->hll_p, j;
	struct ds_hll view = { f->hll_p, (uint32_t)m, NULL };
	unsigned i;

	if (sensor >= 0) {
		view.reg = detail_regs(f, (uint32_t)d, (unsigned)sensor);
		return ds_hll_count(&view);
	}
	memset(f->scratch, 0, m);
	for (i = 0; i < f->n_sensors; i++) {
		const uint8_t *r = detail_regs(f, (uint32_t)d, i);

		for (j = 0; j < m; j++)
			if (r[j] > f->scratch[j])
				f->scratch[j] = r[j];
	}
	view.reg = f->scratch;
	return ds_hll_count(&view);
}

uint64_t ds_fp_evictions(const struct ds_fp *f) { return f->evictions; }
uint64_t ds_fp_dropped(const struct ds_fp *f) { return f->dropped; }
uint64_t ds_fp_detail_full(const struct ds_fp *f) { return f->detail_full; }

uint64_t
ds_fp_bytes(const struct ds_fp *f)
{
	return (uint64_t)(f->mask + 1) * BUCKET * sizeof(struct slot) +
	       (uint64_t)f->n_detail * (sizeof(struct detail) +
					f->n_sensors * (sizeof(uint64_t) + ((size_t)1 << f->hll_p)));
}

/* ---- archive serialization (docs/archive-format.md) ---- */

#define FP_HDR 48
#define FP_DETAIL_FIXED (4 * 8 + 8 + DS_FP_PORT_SLOTS * 2 + DS_FP_PORT_SLOTS * 8)
#define FP_SLOT_SZ 36

static size_t
fp_detail_size(const struct ds_fp *f)
{
	return FP_DETAIL_FIXED + (size_t)f->n_sensors * 8 + ((size_t)f->n_sensors << f->hll_p);
}

size_t
ds_fp_dump(const struct ds_fp *f, void *buf, size_t len)
{
	size_t nslots = (size_t)(f->mask + 1) * BUCKET, i, need, off;
	uint32_t used = 0, u;
	uint8_t *p = buf;

	for (i = 0; i < nslots; i++)
		used += f->slots[i].count != 0;
	need = FP_HDR + f->used_detail * fp_detail_size(f) + (size_t)used * FP_SLOT_SZ;
	if (buf == NULL || len < need)
		return need;
	memset(p, 0, FP_HDR);
	u = (uint32_t)nslots;
	memcpy(p, &u, 4);
	u = f->n_sensors;
	memcpy(p + 4, &u, 4);
	u = f->hll_p;
	memcpy(p + 8, &u, 4);
	memcpy(p + 12, &f->used_detail, 4);
	memcpy(p + 16, &f->evictions, 8);
	memcpy(p + 24, &f->dropped, 8);
	memcpy(p + 32, &f->detail_full, 8);
	memcpy(p + 40, &used, 4);
	off = FP_HDR;
	for (i = 0; i < f->used_detail; i++) {
		const struct detail *d = &f->details[i];

		memcpy(p + off, &d->first_ts, 8);
		memcpy(p + off + 8, &d->last_ts, 8);
		memcpy(p + off + 16, &d->slash16_match, 8);
		memcpy(p + off + 24, &d->other_port_packets, 8);
		u = d->n_ports;
		memcpy(p + off + 32, &u, 4);
		memset(p + off + 36, 0, 4);
		memcpy(p + off + 40, d->ports, DS_FP_PORT_SLOTS * 2);
		memcpy(p + off + 40 + DS_FP_PORT_SLOTS * 2, d->port_packets, DS_FP_PORT_SLOTS * 8);
		off += FP_DETAIL_FIXED;
		memcpy(p + off, &f->sensor_packets[i * f->n_sensors], (size_t)f->n_sensors * 8);
		off += (size_t)f->n_sensors * 8;
		memcpy(p + off, detail_regs(f, (uint32_t)i, 0), (size_t)f->n_sensors << f->hll_p);
		off += (size_t)f->n_sensors << f->hll_p;
	}
	for (i = 0; i < nslots; i++) {
		const struct slot *s = &f->slots[i];

		if (!s->count)
			continue;
		u = (uint32_t)i;
		memcpy(p + off, &u, 4);
		memcpy(p + off + 4, &s->seq, 4);
		memcpy(p + off + 8, &s->sport, 2);
		memcpy(p + off + 10, &s->ipid, 2);
		memcpy(p + off + 12, &s->win, 2);
		memcpy(p + off + 14, &s->first_dport, 2);
		memcpy(p + off + 16, &s->first_sensor, 2);
		memset(p + off + 18, 0, 2);
		memcpy(p + off + 20, &s->count, 4);
		memcpy(p + off + 24, &s->first_src, 4);
		memcpy(p + off + 28, &s->detail, 4);
		memcpy(p + off + 32, &s->first_dst, 4);
		off += FP_SLOT_SZ;
	}
	return need;
}

int
ds_fp_load(struct ds_fp *f, const void *buf, size_t len)
{
	size_t nslots = (size_t)(f->mask + 1) * BUCKET, i, off, dsz;
	const uint8_t *p = buf;
	uint32_t ns, ns2, p2, used_d, used, idx, prev = 0;
	uint8_t *seen = NULL;

	ds_fp_clear(f);
	if (buf == NULL || len < FP_HDR)
		return -EINVAL;
	memcpy(&ns, p, 4);
	memcpy(&ns2, p + 4, 4);
	memcpy(&p2, p + 8, 4);
	memcpy(&used_d, p + 12, 4);
	memcpy(&used, p + 40, 4);
	dsz = fp_detail_size(f);
	if (ns != nslots || ns2 != f->n_sensors || p2 != f->hll_p ||
	    used_d > f->n_detail || used > nslots ||
	    len != FP_HDR + (size_t)used_d * dsz + (size_t)used * FP_SLOT_SZ)
		return -EINVAL;
	memcpy(&f->evictions, p + 16, 8);
	memcpy(&f->dropped, p + 24, 8);
	memcpy(&f->detail_full, p + 32, 8);
	off = FP_HDR;
	f->used_detail = used_d;
	for (i = 0; i < used_d; i++) {
		struct detail *d = &f->details[i];
		uint32_t np;

		memcpy(&d->first_ts, p + off, 8);
		memcpy(&d->last_ts, p + off + 8, 8);
		memcpy(&d->slash16_match, p + off + 16, 8);
		memcpy(&d->other_port_packets, p + off + 24, 8);
		memcpy(&np, p + off + 32, 4);
		if (np > DS_FP_PORT_SLOTS)
			goto bad;
		d->n_ports = np;
		memcpy(d->ports, p + off + 40, DS_FP_PORT_SLOTS * 2);
		memcpy(d->port_packets, p + off + 40 + DS_FP_PORT_SLOTS * 2, DS_FP_PORT_SLOTS * 8);
		off += FP_DETAIL_FIXED;
		memcpy(&f->sensor_packets[i * f->n_sensors], p + off, (size_t)f->n_sensors * 8);
		off += (size_t)f->n_sensors * 8;
		memcpy(detail_regs(f, (uint32_t)i, 0), p + off, (size_t)f->n_sensors << f->hll_p);
		off += (size_t)f->n_sensors << f->hll_p;
	}
	seen = calloc(used_d + 1, 1);
	if (!seen)
		goto bad;
	for (i = 0; i < used; i++, off += FP_SLOT_SZ) {
		struct slot *s;

		memcpy(&idx, p + off, 4);
		if (idx >= nslots || (i > 0 && idx <= prev))
			goto bad;
		prev = idx;
		s = &f->slots[idx];
		memcpy(&s->seq, p + off + 4, 4);
		memcpy(&s->sport, p + off + 8, 2);
		memcpy(&s->ipid, p + off + 10, 2);
		memcpy(&s->win, p + off + 12, 2);
		memcpy(&s->first_dport, p + off + 14, 2);
		memcpy(&s->first_sensor, p + off + 16, 2);
		memcpy(&s->count, p + off + 20, 4);
		memcpy(&s->first_src, p + off + 24, 4);
		memcpy(&s->detail, p + off + 28, 4);
		memcpy(&s->first_dst, p + off + 32, 4);
		if (s->first_sensor >= f->n_sensors || s->count == 0)
			goto bad;
		if (s->detail != NO_DETAIL) {
			if (s->detail >= used_d || seen[s->detail])
				goto bad;
			seen[s->detail] = 1;
		}
	}
	free(seen);
	return 0;
bad:
	free(seen);
	ds_fp_clear(f);
	return -EINVAL;
}

static void
detail_merge_map(struct ds_fp *dst, uint32_t dd, const struct ds_fp *src, uint32_t sd,
		 const uint16_t *map)
{
	const struct detail *s = &src->details[sd];
	struct detail *d = &dst->details[dd];
	size_t m = (size_t)1 << dst->hll_p;
	unsigned i, j;

	for (i = 0; i < src->n_sensors; i++) {
		uint8_t *r;
		const uint8_t *q = detail_regs(src, sd, i);

		if (map[i] == DS_FP_DROP)
			continue;
		r = detail_regs(dst, dd, map[i]);

		dst->sensor_packets[(size_t)dd * dst->n_sensors + map[i]] +=
			src->sensor_packets[(size_t)sd * src->n_sensors + i];
		for (j = 0; j < m; j++)
			if (q[j] > r[j])
				r[j] = q[j];
	}
	for (i = 0; i < s->n_ports; i++)
		detail_port(d, s->ports[i], s->port_packets[i]);
	d->other_port_packets += s->other_port_packets;
	d->slash16_match += s->slash16_match;
	if (s->first_ts && (!d->first_ts || s->first_ts < d->first_ts))
		d->first_ts = s->first_ts;
	if (s->last_ts > d->last_ts)
		d->last_ts = s->last_ts;
}

static void
merge_slot_map(struct ds_fp *dst, const struct ds_fp *src, const struct slot *ss,
	       const uint16_t *map)
{
	struct ds_fp_key k = { ss->seq, ss->sport, ss->ipid, ss->win };
	struct slot *ds = lookup(dst, &k, ds_fp_hash(&k), 1);
	uint64_t ts = ss->detail != NO_DETAIL ? src->details[ss->detail].first_ts : 0;
	uint16_t fs = map[ss->first_sensor];

	if (fs == DS_FP_DROP) {
		if (ss->detail == NO_DETAIL)
			return;		/* a singleton of a dropped sensor */
		fs = 0;
	}
	if (!ds) {
		dst->dropped += ss->count;
		return;
	}
	if (ds->count == 0) {
		ds->first_src = ss->first_src;
		ds->first_sensor = fs;
		ds->first_dport = ss->first_dport;
		ds->first_dst = ss->first_dst;
		if (ss->detail != NO_DETAIL)
			ds->detail = detail_alloc(dst);
	} else if (ds->detail == NO_DETAIL &&
		   (ss->detail != NO_DETAIL || ss->first_src != ds->first_src)) {
		promote(dst, ds, ts);
	}
	ds->count += ss->count;
	if (ds->detail == NO_DETAIL)
		return;
	if (ss->detail != NO_DETAIL)
		detail_merge_map(dst, ds->detail, src, ss->detail, map);
	else
		detail_add(dst, ds->detail, ss->seq, ds_hash_u32(ss->first_src),
			   fs, ss->first_dport, ss->first_dst, ts, ss->count);
}

int
ds_fp_merge_map(struct ds_fp *dst, const struct ds_fp *src, const uint16_t *map)
{
	size_t i, n = (size_t)(src->mask + 1) * BUCKET;

	if (dst == NULL || src == NULL || dst == src || map == NULL || dst->hll_p != src->hll_p)
		return -EINVAL;
	for (i = 0; i < src->n_sensors; i++)
		if (map[i] >= dst->n_sensors && map[i] != DS_FP_DROP)
			return -EINVAL;
	for (i = 0; i < n; i++)
		if (src->slots[i].count && src->slots[i].detail != NO_DETAIL)
			merge_slot_map(dst, src, &src->slots[i], map);
	for (i = 0; i < n; i++)
		if (src->slots[i].count && src->slots[i].detail == NO_DETAIL)
			merge_slot_map(dst, src, &src->slots[i], map);
	dst->evictions += src->evictions;
	dst->dropped += src->dropped;
	dst->detail_full += src->detail_full;
	return 0;
}

int
ds_fp_merge(struct ds_fp *dst, const struct ds_fp *src)
{
	uint16_t map[DS_BK_MAX_SENSORS];
	unsigned i;

	if (dst == NULL || src == NULL || dst->n_sensors != src->n_sensors ||
	    src->n_sensors > DS_BK_MAX_SENSORS)
		return -EINVAL;
	for (i = 0; i < src->n_sensors; i++)
		map[i] = (uint16_t)i;
	return ds_fp_merge_map(dst, src, map);
}

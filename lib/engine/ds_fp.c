/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fixed-header fingerprint table; see ds_fp.h for the design.  A bucket is
 * one 64-byte cache line: a meta word (eviction cursor; per singleton way
 * the first packet's /16-match bit and sensor) and three 20-byte slots
 * (key, first port, count, first source or detail index), so the common
 * case, a new random tuple evicting the oldest singleton, reads and writes
 * one line with no branch that depends on the data.  ceil(slots / 3) buckets: the configured slot count is
 * the capacity, in two thirds of the memory of 32-byte slots.  A promoted
 * tuple's count (64 bits) and first-packet facts move to its detail
 * record.  Details live in a
 * pool allocated at creation, so memory is fixed and nothing is allocated
 * per packet.  Per-sensor source HLLs of a detail are raw register arrays
 * read through a struct ds_hll view, so counting uses the sketch library's
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

#define WAYS 3			/* slots per bucket */
#define NO_DETAIL 0xffffffffu
#define PROMOTED 0xffffffffu	/* slot count of a tuple with a detail */
#define MAX_SINGLE 0xfffffffeu	/* a singleton's count saturates here */
#define MAX_SENSORS 256		/* a slot's first sensor is one byte of meta */

/* 20 bytes.  A promoted slot keeps its key; its count and first packet's
 * facts move to the detail record, ref names that record and count says
 * PROMOTED (so the victim choice reads counts alone). */
struct slot {
	uint32_t seq;
	uint16_t sport;
	uint16_t ipid;
	uint16_t win;
	uint16_t first_dport;
	uint32_t count;		/* 0 = free slot, PROMOTED, or 1..MAX_SINGLE */
	uint32_t ref;		/* first source; the detail index once promoted */
};

/* One cache line: a meta word and three slots.  meta bits 0-1 are the
 * eviction cursor (next way to try), then 9 bits per singleton way (see
 * way_*; zero for a free or promoted way). */
struct bucket {
	uint32_t meta;
	struct slot s[WAYS];
};

_Static_assert(sizeof(struct bucket) == DS_FP_BUCKET_BYTES, "ds_fp.h bucket size");

#define META_CURSOR 3u
#define WAY_MATCH 1u		/* the first packet's dst /16 == seq */
#define WAY_SENSOR_SHIFT 1	/* the first packet's sensor, 8 bits */
#define WAY_BITS 9
#define WAY_MASK ((1u << WAY_BITS) - 1)

static inline uint32_t
way_get(uint32_t meta, unsigned w)
{
	return (meta >> (2 + WAY_BITS * w)) & WAY_MASK;
}

static inline uint32_t
way_put(uint32_t meta, unsigned w, uint32_t v)
{
	unsigned sh = 2 + WAY_BITS * w;

	return (meta & ~(WAY_MASK << sh)) | v << sh;
}

struct detail {
	uint64_t packets;	/* the tuple's, since it entered the table */
	uint64_t first_ts;
	uint64_t last_ts;
	uint64_t slash16_match;
	uint64_t other_port_packets;
	uint16_t ports[DS_FP_PORT_SLOTS];
	uint64_t port_packets[DS_FP_PORT_SLOTS];
	unsigned n_ports;
	/* the slot's first packet, kept for dumps and merges */
	uint32_t first_src;
	uint16_t first_dport;
	uint8_t first_sensor;
	uint8_t first_match;
};

#define PROMOTED_TAGS (1u << 16)	/* bits of the promoted-triple filter */

struct ds_fp {
	uint32_t table_slots;	/* as configured (the dump header's figure) */
	uint32_t n_buckets;
	uint32_t n_detail;
	uint32_t used_detail;
	unsigned n_sensors;
	unsigned hll_p;
	struct bucket *buckets;
	struct detail *details;
	uint64_t *sensor_packets;	/* n_detail * n_sensors */
	uint8_t *regs;			/* n_detail * n_sensors * 2^p */
	uint8_t *scratch;		/* 2^p, for unions */
	uint64_t *promoted;		/* triple tags of promoted tuples */
	uint64_t *dirty;		/* bit per bucket written since the clear */
	uint64_t evictions;
	uint64_t dropped;
	uint64_t detail_full;
};

/* A slot as dumps and merges see it, whatever its state. */
struct entry {
	struct ds_fp_key key;
	uint64_t count;
	uint32_t first_src;
	uint32_t detail;	/* NO_DETAIL: a singleton */
	uint16_t first_dport;
	uint16_t first_sensor;
	int first_match;
};

/*
 * Which buckets were written since the last clear: clearing, merging,
 * dumping and listing a table visit only those, so their cost follows the
 * tuples a period saw rather than the table's size (5 MiB at default).
 */
static size_t
dirty_bytes(const struct ds_fp *f)
{
	return ((size_t)f->n_buckets + 63) / 64 * 8;
}

static inline void
mark_dirty(struct ds_fp *f, const struct bucket *b)
{
	size_t i = (size_t)(b - f->buckets);

	f->dirty[i / 64] |= 1ULL << (i % 64);
}

/* The first written bucket at or after i, or n_buckets. */
static size_t
next_dirty(const struct ds_fp *f, size_t i)
{
	size_t w = i / 64, nw = ((size_t)f->n_buckets + 63) / 64;
	uint64_t m;

	if (i >= f->n_buckets)
		return f->n_buckets;
	m = f->dirty[w] & (~0ULL << (i % 64));
	while (!m) {
		if (++w == nw)
			return f->n_buckets;
		m = f->dirty[w];
	}
	return w * 64 + (size_t)__builtin_ctzll(m);
}

struct ds_fp_slots
ds_fp_slots(const struct ds_fp *f)
{
	struct ds_fp_slots v = { (const uint8_t *)f->buckets, f->n_buckets, f->promoted };

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
	    n_sensors == 0 || n_sensors > MAX_SENSORS || hll_p < DS_HLL_MIN_P || hll_p > 16) {
		errno = EINVAL;
		return NULL;
	}
	f = zalloc(sizeof(*f));
	if (!f)
		goto nomem;
	f->table_slots = table_slots;
	f->n_buckets = (table_slots + WAYS - 1) / WAYS;
	f->n_detail = detail;
	f->n_sensors = n_sensors;
	f->hll_p = hll_p;
	f->buckets = zalloc((size_t)f->n_buckets * sizeof(struct bucket));
	f->details = zalloc((size_t)detail * sizeof(struct detail));
	f->sensor_packets = zalloc((size_t)detail * n_sensors * sizeof(uint64_t));
	f->regs = zalloc((size_t)detail * n_sensors << hll_p);
	f->scratch = zalloc((size_t)1 << hll_p);
	f->promoted = zalloc(PROMOTED_TAGS / 8);
	f->dirty = zalloc(dirty_bytes(f));
	if (!f->buckets || !f->details || !f->sensor_packets || !f->regs || !f->scratch ||
	    !f->promoted || !f->dirty)
		goto nomem;
	return f;		/* zeroed: already clear */
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
	free(f->buckets);
	free(f->details);
	free(f->sensor_packets);
	free(f->regs);
	free(f->scratch);
	free(f->promoted);
	free(f->dirty);
	free(f);
}

void
ds_fp_clear(struct ds_fp *f)
{
	size_t i;

	for (i = next_dirty(f, 0); i < f->n_buckets; i = next_dirty(f, i + 1))
		memset(&f->buckets[i], 0, sizeof(struct bucket));
	memset(f->dirty, 0, dirty_bytes(f));
	memset(f->details, 0, (size_t)f->used_detail * sizeof(struct detail));
	memset(f->sensor_packets, 0, (size_t)f->used_detail * f->n_sensors * sizeof(uint64_t));
	memset(f->regs, 0, (size_t)f->used_detail * f->n_sensors << f->hll_p);
	f->used_detail = 0;
	f->evictions = f->dropped = f->detail_full = 0;
	memset(f->promoted, 0, PROMOTED_TAGS / 8);
}

static inline struct bucket *
bucket_of(const struct ds_fp *f, uint64_t hash)
{
	return &f->buckets[ds_fp_bucket(f->n_buckets, hash)];
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

/* Count n packets of one source at one sensor into detail d; match: their
 * destination's /16 equals the tuple's seq. */
static void
detail_add(struct ds_fp *f, uint32_t d, uint64_t src_hash, unsigned sensor,
	   uint16_t dport, int match, uint64_t ts, uint64_t n)
{
	struct detail *dt = &f->details[d];

	f->sensor_packets[(size_t)d * f->n_sensors + sensor] += n;
	reg_add(detail_regs(f, d, sensor), f->hll_p, src_hash);
	detail_port(dt, dport, n);
	if (match)
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

/* Way w of b, a singleton, gets detail d: its first packet's facts move
 * there. */
static void
attach(struct ds_fp *f, struct bucket *b, unsigned w, uint32_t d)
{
	struct slot *s = &b->s[w];
	struct detail *dt = &f->details[d];
	uint32_t m = way_get(b->meta, w), tag;

	dt->first_src = s->ref;
	dt->first_dport = s->first_dport;
	dt->first_sensor = (uint8_t)(m >> WAY_SENSOR_SHIFT);
	dt->first_match = (m & WAY_MATCH) != 0;
	dt->packets = s->count;
	s->count = PROMOTED;
	s->ref = d;
	b->meta = way_put(b->meta, w, 0);
	tag = ds_fp_triple_tag(s->sport, s->ipid, s->win);
	f->promoted[tag / 64] |= 1ULL << (tag % 64);
}

static inline int
way_promoted(const struct bucket *b, unsigned w)
{
	return b->s[w].count == PROMOTED;
}

/* Add n packets to way w's count, wherever it is kept. */
static void
add_count(struct ds_fp *f, struct bucket *b, unsigned w, uint64_t n)
{
	struct slot *s = &b->s[w];

	if (way_promoted(b, w))
		f->details[s->ref].packets += n;
	else
		s->count = s->count + n < MAX_SINGLE ? (uint32_t)(s->count + n) : MAX_SINGLE;
}

/* Promote way w of b: its first packet's facts become the detail's start. */
static int
promote(struct ds_fp *f, struct bucket *b, unsigned w, uint64_t ts)
{
	uint32_t d = detail_alloc(f);
	const struct detail *dt;

	if (d == NO_DETAIL)
		return -1;
	attach(f, b, w, d);
	dt = &f->details[d];
	detail_add(f, d, ds_hash_u32(dt->first_src), dt->first_sensor, dt->first_dport,
		   dt->first_match, ts, dt->packets);
	return 0;
}

/* The way holding k, or -1.  The key's first 8 bytes are compared as one
 * word (the slot's layout, so any byte order), and the three ways without
 * a branch each: which way holds a repeated tuple is not predictable.  A
 * free way is all zero, so its count is checked only on a key match. */
static inline uint64_t
key_lo(const struct ds_fp_key *k)
{
	struct slot t = { k->seq, k->sport, k->ipid, 0, 0, 0, 0 };
	uint64_t lo;

	memcpy(&lo, &t, 8);
	return lo;
}

static inline int
find_lo(const struct bucket *b, const struct ds_fp_key *k, uint64_t lo)
{
	uint64_t x;
	unsigned w, m = 0;

	for (w = 0; w < WAYS; w++) {
		memcpy(&x, &b->s[w], 8);
		m |= (unsigned)((x == lo) & (b->s[w].win == k->win)) << w;
	}
	if (__builtin_expect(m == 0, 1))
		return -1;
	w = (unsigned)__builtin_ctz(m);
	if (__builtin_expect(b->s[w].count != 0, 1))
		return (int)w;
	for (w = 0; w < WAYS; w++)	/* the all-zero key matched a free way */
		if (!b->s[w].count)
			m &= ~(1u << w);
	return m ? __builtin_ctz(m) : -1;
}

static inline int
find(const struct bucket *b, const struct ds_fp_key *k)
{
	return find_lo(b, k, key_lo(k));
}

/* The way a new tuple takes in b: a free way, else the smallest singleton,
 * ties broken round-robin from the cursor so the bucket evicts first-in-
 * first-out (a singleton survives three insertions into its bucket, in any
 * way).  Branch-free: each way's count (0: free, PROMOTED: never) and its
 * (rank after the cursor, way) nibble are packed in one word and the
 * smallest wins.  Returns that word: way = low 2 bits, NONE and above when
 * all ways are promoted, >= 16 when the way is not free. */
#define NONE ((uint64_t)PROMOTED << 4)

static inline uint64_t
pick(const struct bucket *b, uint32_t meta)
{
	/* nibble of way w after cursor c: rank << 2 | w, at bit 12c + 4w */
	const uint64_t nib = 0xa50ull | 0x618ull << 12 | 0x294ull << 24;
	uint32_t n = (uint32_t)(nib >> (12 * (meta & META_CURSOR)));
	uint64_t best = UINT64_MAX;
	unsigned w;

	for (w = 0; w < WAYS; w++) {
		uint64_t key = (uint64_t)b->s[w].count << 4 | ((n >> 4 * w) & 15);

		best = key < best ? key : best;
	}
	return best;
}

static inline uint32_t
cursor_after(unsigned w)
{
	return w + 1 < WAYS ? w + 1 : 0;
}

static inline void
put_slot(struct slot *s, const struct ds_fp_key *k, uint16_t dport, uint32_t count,
	 uint32_t ref)
{
	struct slot t = { k->seq, k->sport, k->ipid, k->win, dport, count, ref };

	*s = t;
}

/* Make room for a new tuple in b (see pick()), counting an eviction;
 * clears the way's meta bits. */
static inline int
make_room(struct ds_fp *f, struct bucket *b)
{
	uint32_t meta = b->meta;
	uint64_t best = pick(b, meta);
	unsigned v = (unsigned)(best & 3);

	if (best >= NONE)
		return -1;
	f->evictions += best >= 16;
	b->meta = (way_put(meta, v, 0) & ~META_CURSOR) | cursor_after(v);
	return (int)v;
}

/* Fill way w (just made room for) with a singleton. */
static inline void
fill(struct bucket *b, unsigned w, const struct ds_fp_key *k, uint32_t src,
     unsigned sensor, uint16_t dport, int match, uint32_t count)
{
	put_slot(&b->s[w], k, dport, count, src);
	b->meta |= ((uint32_t)sensor << WAY_SENSOR_SHIFT | (match ? WAY_MATCH : 0))
		   << (2 + WAY_BITS * w);
}

static void
entry_get(const struct ds_fp *f, const struct bucket *b, unsigned w, struct entry *e)
{
	const struct slot *s = &b->s[w];
	uint32_t m = way_get(b->meta, w);

	e->key.seq = s->seq;
	e->key.sport = s->sport;
	e->key.ipid = s->ipid;
	e->key.win = s->win;
	e->count = s->count;
	if (way_promoted(b, w)) {
		const struct detail *dt = &f->details[s->ref];

		e->count = dt->packets;
		e->detail = s->ref;
		e->first_src = dt->first_src;
		e->first_dport = dt->first_dport;
		e->first_sensor = dt->first_sensor;
		e->first_match = dt->first_match;
	} else {
		e->detail = NO_DETAIL;
		e->first_src = s->ref;
		e->first_dport = s->first_dport;
		e->first_sensor = (uint16_t)(m >> WAY_SENSOR_SHIFT);
		e->first_match = (m & WAY_MATCH) != 0;
	}
}

/* ds_fp_add() of a tuple in way w that is promoted or comes from a new
 * source: out of line, so that the common paths need no stack frame. */
static __attribute__((noinline)) void
add_more(struct ds_fp *f, struct bucket *b, unsigned w, const struct ds_fp_key *k,
	 uint32_t src, unsigned sensor, uint16_t dport, uint32_t dst, uint64_t ts)
{
	struct slot *s = &b->s[w];

	if (!way_promoted(b, w) && promote(f, b, w, ts) < 0) {
		add_count(f, b, w, 1);
		return;
	}
	f->details[s->ref].packets++;
	detail_add(f, s->ref, ds_hash_u32(src), sensor, dport, slash16_match(k->seq, dst), ts, 1);
}

void
ds_fp_add(struct ds_fp *f, const struct ds_fp_key *k, uint64_t hash,
	  uint32_t src, unsigned sensor, uint16_t dport, uint32_t dst, uint64_t ts)
{
	struct bucket *b = bucket_of(f, hash);
	uint32_t meta = b->meta;
	uint64_t lo = key_lo(k), best;
	int w = find_lo(b, k, lo);
	struct slot *s;
	unsigned v;

	if (__builtin_expect(w >= 0, 0)) {
		uint32_t c;

		s = &b->s[w];
		c = s->count;
		if (c != PROMOTED && src == s->ref)	/* a singleton repeated by its source */
			s->count = c + (c < MAX_SINGLE);
		else
			add_more(f, b, (unsigned)w, k, src, sensor, dport, dst, ts);
		return;
	}
	/* the common case: a new tuple, most often evicting a singleton; no
	 * branch depends on the data */
	best = pick(b, meta);
	if (__builtin_expect(best >= NONE, 0)) {
		f->dropped++;
		return;
	}
	v = (unsigned)(best & 3);
	f->evictions += best >= 16;
	mark_dirty(f, b);
	s = &b->s[v];
	memcpy(s, &lo, 8);
	s->win = k->win;
	s->first_dport = dport;
	s->count = 1;
	s->ref = src;
	meta = way_put(meta, v, (uint32_t)sensor << WAY_SENSOR_SHIFT |
		       (slash16_match(k->seq, dst) ? WAY_MATCH : 0));
	b->meta = (meta & ~META_CURSOR) | cursor_after(v);
}


int
ds_fp_foreach(const struct ds_fp *f, ds_fp_visit_fn fn, void *arg)
{
	struct ds_fp_info info;
	size_t i;
	unsigned w;
	int rc;

	for (i = next_dirty(f, 0); i < f->n_buckets; i = next_dirty(f, i + 1)) {
		const struct bucket *b = &f->buckets[i];

		for (w = 0; w < WAYS; w++) {
			const struct slot *s = &b->s[w];
			const struct detail *d;

			if (!way_promoted(b, w))
				continue;
			d = &f->details[s->ref];
			memset(&info, 0, sizeof(info));
			info.key.seq = s->seq;
			info.key.sport = s->sport;
			info.key.ipid = s->ipid;
			info.key.win = s->win;
			info.packets = d->packets;
			info.sensor_packets = &f->sensor_packets[(size_t)s->ref * f->n_sensors];
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
	return (uint64_t)f->n_buckets * sizeof(struct bucket) +
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
	size_t i, need, off;
	uint32_t used = 0, u;
	uint8_t *p = buf;
	unsigned w;

	for (i = next_dirty(f, 0); i < f->n_buckets; i = next_dirty(f, i + 1))
		for (w = 0; w < WAYS; w++)
			used += f->buckets[i].s[w].count != 0;
	need = FP_HDR + f->used_detail * fp_detail_size(f) + (size_t)used * FP_SLOT_SZ;
	if (buf == NULL || len < need)
		return need;
	memset(p, 0, FP_HDR);
	memcpy(p, &f->table_slots, 4);
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
	for (i = next_dirty(f, 0); i < f->n_buckets; i = next_dirty(f, i + 1))
		for (w = 0; w < WAYS; w++) {
			struct entry e;
			uint32_t dst, cnt;

			if (!f->buckets[i].s[w].count)
				continue;
			entry_get(f, &f->buckets[i], w, &e);
			/* only whether dst's /16 matched seq is kept: seq does, ~seq never */
			dst = e.first_match ? e.key.seq : ~e.key.seq;
			/* a u32 count: saturated (the table counts promoted tuples in 64 bits) */
			cnt = e.count < 0xffffffffu ? (uint32_t)e.count : 0xffffffffu;
			u = (uint32_t)(i * WAYS + w);
			memcpy(p + off, &u, 4);
			memcpy(p + off + 20, &cnt, 4);
			memcpy(p + off + 4, &e.key.seq, 4);
			memcpy(p + off + 8, &e.key.sport, 2);
			memcpy(p + off + 10, &e.key.ipid, 2);
			memcpy(p + off + 12, &e.key.win, 2);
			memcpy(p + off + 14, &e.first_dport, 2);
			memcpy(p + off + 16, &e.first_sensor, 2);
			memset(p + off + 18, 0, 2);
			memcpy(p + off + 24, &e.first_src, 4);
			memcpy(p + off + 28, &e.detail, 4);
			memcpy(p + off + 32, &dst, 4);
			off += FP_SLOT_SZ;
		}
	return need;
}

/* Put a loaded entry in its bucket: at the dumped position idx when that
 * is in the key's bucket and free (a dump of this layout), else wherever
 * make_room() says (a dump of another layout).  -1 when e is already there
 * or, promoted, finds no room. */
static int
load_place(struct ds_fp *f, const struct entry *e, uint32_t idx)
{
	size_t bi = ds_fp_bucket(f->n_buckets, ds_fp_hash(&e->key));
	struct bucket *b = &f->buckets[bi];
	int w;

	if (find(b, &e->key) >= 0)
		return -1;
	if (idx / WAYS == bi && !b->s[idx % WAYS].count) {
		w = (int)(idx % WAYS);
		b->meta = way_put(b->meta, (unsigned)w, 0);
	} else {
		w = make_room(f, b);
		if (w < 0 && e->detail == NO_DETAIL) {
			f->dropped += e->count;		/* all ways promoted */
			return 0;
		}
		if (w < 0)
			return -1;
	}
	fill(b, (unsigned)w, &e->key, e->first_src, e->first_sensor, e->first_dport,
	     e->first_match, e->count < MAX_SINGLE ? (uint32_t)e->count : MAX_SINGLE);
	mark_dirty(f, b);
	if (e->detail != NO_DETAIL) {
		attach(f, b, (unsigned)w, e->detail);
		f->details[e->detail].packets = e->count;
	}
	return 0;
}

int
ds_fp_load(struct ds_fp *f, const void *buf, size_t len)
{
	size_t cap = (size_t)f->n_buckets * WAYS, i, off, slots_off, dsz;
	const uint8_t *p = buf;
	uint32_t ns, ns2, p2, used_d, used, idx, prev = 0, dst, cnt;
	uint8_t *seen = NULL;
	unsigned pass;

	ds_fp_clear(f);
	if (buf == NULL || len < FP_HDR)
		return -EINVAL;
	memcpy(&ns, p, 4);
	memcpy(&ns2, p + 4, 4);
	memcpy(&p2, p + 8, 4);
	memcpy(&used_d, p + 12, 4);
	memcpy(&used, p + 40, 4);
	dsz = fp_detail_size(f);
	if (cap < ns)
		cap = ns;
	if (ns != f->table_slots || ns2 != f->n_sensors || p2 != f->hll_p ||
	    used_d > f->n_detail || used > cap ||
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
	/* promoted tuples first, so that no singleton takes their room */
	slots_off = off;
	for (pass = 0; pass < 2; pass++)
		for (i = 0, off = slots_off; i < used; i++, off += FP_SLOT_SZ) {
			struct entry e;

			memcpy(&idx, p + off, 4);
			if (idx >= cap || (i > 0 && idx <= prev))
				goto bad;
			prev = idx;
			memcpy(&e.key.seq, p + off + 4, 4);
			memcpy(&e.key.sport, p + off + 8, 2);
			memcpy(&e.key.ipid, p + off + 10, 2);
			memcpy(&e.key.win, p + off + 12, 2);
			memcpy(&e.first_dport, p + off + 14, 2);
			memcpy(&e.first_sensor, p + off + 16, 2);
			memcpy(&cnt, p + off + 20, 4);
			e.count = cnt;
			memcpy(&e.first_src, p + off + 24, 4);
			memcpy(&e.detail, p + off + 28, 4);
			memcpy(&dst, p + off + 32, 4);
			e.first_match = slash16_match(e.key.seq, dst);
			if (e.first_sensor >= f->n_sensors || e.count == 0)
				goto bad;
			if (e.detail != NO_DETAIL && e.detail >= used_d)
				goto bad;
			if ((e.detail != NO_DETAIL) != (pass == 0))
				continue;
			if (e.detail != NO_DETAIL) {
				if (seen[e.detail])
					goto bad;
				seen[e.detail] = 1;
			}
			if (load_place(f, &e, idx) < 0)
				goto bad;
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
merge_entry_map(struct ds_fp *dst, const struct ds_fp *src, const struct entry *se,
		const uint16_t *map)
{
	struct bucket *b = bucket_of(dst, ds_fp_hash(&se->key));
	uint64_t ts = se->detail != NO_DETAIL ? src->details[se->detail].first_ts : 0;
	uint16_t fs = map[se->first_sensor];
	struct slot *ds;
	int w;

	if (fs == DS_FP_DROP) {
		if (se->detail == NO_DETAIL)
			return;		/* a singleton of a dropped sensor */
		fs = 0;
	}
	w = find(b, &se->key);
	if (w < 0) {
		uint32_t d;

		w = make_room(dst, b);
		if (w < 0) {
			dst->dropped += se->count;
			return;
		}
		mark_dirty(dst, b);
		fill(b, (unsigned)w, &se->key, se->first_src, fs, se->first_dport,
		     se->first_match, 0);
		if (se->detail != NO_DETAIL && (d = detail_alloc(dst)) != NO_DETAIL)
			attach(dst, b, (unsigned)w, d);
	} else if (!way_promoted(b, (unsigned)w) &&
		   (se->detail != NO_DETAIL || se->first_src != b->s[w].ref)) {
		promote(dst, b, (unsigned)w, ts);
	}
	add_count(dst, b, (unsigned)w, se->count);
	if (!way_promoted(b, (unsigned)w))
		return;
	ds = &b->s[w];
	if (se->detail != NO_DETAIL)
		detail_merge_map(dst, ds->ref, src, se->detail, map);
	else
		detail_add(dst, ds->ref, ds_hash_u32(se->first_src), fs, se->first_dport,
			   se->first_match, ts, se->count);
}

int
ds_fp_merge_map(struct ds_fp *dst, const struct ds_fp *src, const uint16_t *map)
{
	unsigned pass, w;
	size_t i;

	if (dst == NULL || src == NULL || dst == src || map == NULL || dst->hll_p != src->hll_p)
		return -EINVAL;
	for (i = 0; i < src->n_sensors; i++)
		if (map[i] >= dst->n_sensors && map[i] != DS_FP_DROP)
			return -EINVAL;
	/* promoted tuples first (as the dst may have to evict for them) */
	for (pass = 0; pass < 2; pass++)
		for (i = next_dirty(src, 0); i < src->n_buckets; i = next_dirty(src, i + 1))
			for (w = 0; w < WAYS; w++) {
				const struct bucket *b = &src->buckets[i];
				struct entry e;

				if (!b->s[w].count || way_promoted(b, w) != (pass == 0))
					continue;
				entry_get(src, b, w, &e);
				merge_entry_map(dst, src, &e, map);
			}
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

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The per-period analysis state and its burst update; see ds_set.h.
 *
 * A burst is processed in two stages, as the fastest sketch systems do
 * (FIELD-NOTES: parse all, hash all, prefetch all, update all): the first
 * stage resolves each packet's sensor and hashes its source and port once,
 * and prefetches the count-min and HLL lines the second stage will write;
 * the second stage only adds.  Every sketch index comes from those two
 * hashes.  Nothing here locks or uses atomics: a set has one writer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE4_1__)
#include <smmintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ds_hash.h"
#include "ds_mem.h"
#include "ds_set.h"

/*
 * The source cache.  Most per-source updates are idempotent within a set:
 * adding a source to an HLL or offering it to a bottom-K sample a second
 * time changes nothing.  Darknet sources send many packets each (a scanner
 * sweeping a sensor sends one per address), so the burst path remembers, per
 * (sensor, source), which of those updates it already made in this set and
 * skips them; the one additive per-source structure, the top-sources table,
 * gets the packets of a remembered source as one pending count (with the
 * times of the first and last) written on eviction or by ds_set_flush(), so
 * that a source enters the table with all its packets at once (times kept to
 * the second).  Three-way buckets of one cache line; a new entry goes to
 * way 0 and pushes the others down, the last one out.  Sources with
 * a hygiene finding are never remembered (their counters are per packet).
 *
 * When most sources are not in the cache (many sensors and few packets per
 * sensor and source) probing it costs more than it saves: after a window of
 * SRCC_WINDOW scans in which fewer scans hit than missed and pushed an
 * entry out (and those were at least an eighth of the window: a few
 * collisions while the cache fills are no sign of thrashing), the set
 * counts the next SRCC_DIRECT scans without it (every
 * per-source update, as if each were new), then tries again.  Misses into
 * a bucket with a free way do not count: a cache that is still filling (a
 * new set: every period starts cold) misses every first SYN of a (sensor,
 * source) whatever comes next, and counting those turned the cache off at
 * the start of most periods of the paper2014 capture (hit rates of 17-49 %
 * in the first window, over 90 % later in the period).  Entries stay valid
 * meanwhile: what they say was done was done, and their pending packets
 * are still pending.
 *
 * The cache also keeps the fingerprint table free of what cannot be a
 * fixed-header fingerprint.  A bot running a hard-coded template sends the
 * same (source port, IP ID, window) in every SYN (its family members differ
 * only in the ISN); ZMap, Masscan, Mirai and OS stacks change the source
 * port or the IP ID from one SYN to the next.  Once a (sensor, source) has
 * changed its triple, its SYNs are not offered to the fingerprint table,
 * unless the triple may belong to a tuple the table has promoted (a 2^16-bit
 * filter; see ds_fp_triple_promoted), and fp_skipped counts them.  A
 * (sensor, source) entered in the cache starts so when its source's first
 * SYNs at other sensors had different triples (the per-source table below,
 * which the cache's insertions keep).  Every SYN of a source with a fixed
 * triple is offered, and so is the first SYN of every source.
 */
#define SRCC_BUCKETS 32768		/* 2 MiB per set, up to 32 sensors */
#define SRCC_WINDOW 4096		/* scans per hit-rate measurement */
#define SRCC_DIRECT 1048576		/* scans without the cache after a poor one */
#define FLUSH_BATCH 32			/* flush: entries written out per batch */

#define SRCC_WAYS 3

/*
 * While the cache is off (many small sensors: a (sensor, source) rarely
 * repeats, but a source does, at other sensors) the fingerprint filter
 * runs on a table keyed by the source alone: a direct-mapped entry {source,
 * triple tag of its last SYN, varies} per source.  A clean source whose
 * triple changed between two of its SYNs, at any sensors, has its SYNs not
 * offered to the fingerprint table (unless the triple may be a promoted
 * tuple's), as the cache does per (sensor, source).  Every SYN of a source
 * with a fixed triple is offered, and so is its first SYN in the table.
 * While the cache is on, its insertions (the first SYN of each (sensor,
 * source)) keep the same table, so a source that changed its triple from
 * one sensor to the next enters the cache at the next as varying: with 256
 * /24 sensors each pair sends a SYN or two, and without this the first SYN
 * of every pair was offered (bench replay: 0.74x the cycles per pass).
 */
#define SRCV_BITS 14			/* 16384 entries, 128 KiB per set */

static inline uint32_t
srcv_index(uint64_t src_hash)
{
	return (uint32_t)(src_hash >> (64 - SRCV_BITS));
}

/* A bucket: three entries of 21 bytes in one 64-byte line, field by field
 * (way w's fields are x[w]), so the three sources are one 16-byte load
 * and the three sensors one 8-byte load when the ways are compared. */
struct ds_set_srcc {
	uint32_t src[SRCC_WAYS];
	uint16_t sensor1[SRCC_WAYS];	/* sensor + 1; 0 = empty */
	uint16_t watch[SRCC_WAYS];	/* bit i: watched slot i has the source */
	uint16_t pending[SRCC_WAYS];	/* packets not yet in top_src */
	uint16_t triple[SRCC_WAYS];	/* ds_fp_triple_tag() of its last SYN */
	uint8_t done[SRCC_WAYS];	/* DONE_*, and the pending packets' tools */
	uint8_t pad;
	uint32_t first[SRCC_WAYS];	/* seconds of the first and last pending */
	uint32_t last[SRCC_WAYS];
};

_Static_assert(sizeof(struct ds_set_srcc) == 64, "a source-cache bucket is one line");

/* What top_src needs of an entry written out (a victim of an insertion). */
struct srcc_entry {
	uint32_t src, first, last;
	uint16_t sensor1, pending;
	uint8_t done;
};

enum {
	DONE_EXCL = 1 << 0,		/* in src_excl */
	DONE_TOOL0 = 1 << 1,		/* << t: in tool_src of tool t */
	DONE_VARIES = 1 << 4,		/* its SYNs' (sport, IP ID, window) vary */
	PENDING_TOOL0 = 1 << 5,		/* << t: a pending packet had tool t */
};

/* What a packet still has to do in the per-source pass. */
enum {
	NEED_NEW = 1 << 0,		/* overlap sample; src HLL if the port is
					 * excluded (else NEED_EXCL's src_excl) */
	NEED_EXCL = 1 << 1,		/* src_excl */
	NEED_TOOL0 = 1 << 2,		/* << t: tool_src of tool t */
	NEED_WATCH = 1 << 5,		/* watch HLL and sample of its slot */
	NEED_VICTIM = 1 << 6,		/* flush the entry it evicted */
	NEED_TOPK = 1 << 7,		/* top sources + 1 (not cached) */
};

/*
 * Port counters.  Scan packets per (sensor, destination port) are counted
 * exactly, one 8-bit counter each (64 KiB per sensor), and added to the
 * sensor's count-min sketch in 256s when a counter wraps and as one count
 * per port when the set is flushed.  Count-min is linear, so the sketch
 * ends up exactly as if every packet had been added, but a scan touches
 * one byte (a line its first stage prefetched) instead of the sketch's
 * four rows, with no tag to compare and nothing to evict: destination
 * ports are skewed, so the lines of the busy ports stay in L1 and L2.
 * Counters are port-major, the sensors of a port side by side (n_sensors
 * rounded up to a power of two): a busy port is one line for up to 64
 * sensors, not one line per sensor 64 KiB apart.
 */
#define PCOUNT_WRAP 256u

static inline uint32_t
pcount_index(const struct ds_set *s, uint16_t port, unsigned sensor)
{
	return (uint32_t)port << s->pcount_shift | sensor;
}

static inline size_t
pcount_bytes(const struct ds_set *s)
{
	return (size_t)65536 << s->pcount_shift;
}

/* n scans to the (sensor, port) of counter i into the sensor's count-min
 * sketch and the exact per-port totals. */
static inline void
pcount_move(struct ds_set *s, size_t i, uint32_t n)
{
	uint16_t port = (uint16_t)(i >> s->pcount_shift);

	ds_cm_add(s->ports[i & ((1u << s->pcount_shift) - 1)], ds_cm_port_hash(port), n);
	s->port_scans[port] += n;
}

/* Another scan to the (sensor, port) of counter i. */
static inline void
pcount_add(struct ds_set *s, uint32_t i)
{
	if (__builtin_expect(++s->pcount[i] == 0, 0))
		pcount_move(s, i, PCOUNT_WRAP);
}

/* Whether port may be watched or excluded: a bit per port modulo
 * DS_SET_SPECIAL_BITS (512 bytes, always in L1), so a set bit still needs
 * watch_slot[] and excluded[] to say which ports it stands for. */
static inline int
port_special(const struct ds_set *s, uint16_t port)
{
	unsigned b = port % DS_SET_SPECIAL_BITS;

	return (int)((s->port_special[b / 64] >> (b % 64)) & 1);
}

static inline void
mark_special(struct ds_set *s, uint16_t port)
{
	unsigned b = port % DS_SET_SPECIAL_BITS;

	s->port_special[b / 64] |= 1ULL << (b % 64);
}

static const char *const tool_names[DS_TOOL__N] = { "mirai", "zmap", "masscan" };

const char *
ds_set_tool_name(unsigned tool)
{
	return tool < DS_TOOL__N ? tool_names[tool] : "invalid";
}

/* n HLLs of precision p whose registers are one table (huge pages when it
 * is large: 256 sensors' source HLLs are 48 MiB). */
static struct ds_hll **
hll_array(unsigned n, unsigned p)
{
	struct ds_hll **a = calloc(n, sizeof(*a) + sizeof(struct ds_hll));
	struct ds_hll *h = (struct ds_hll *)(a + n);
	uint8_t *reg = ds_mem_table((size_t)n << p);
	unsigned i;

	if (!a || !reg) {
		free(a);
		free(reg);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		a[i] = &h[i];
		ds_hll_init(a[i], p, reg + ((size_t)i << p));
	}
	return a;
}

static void
hll_array_free(struct ds_hll **a, unsigned n)
{
	if (!a)
		return;
	if (n)
		free(ds_hll_registers(a[0]));
	free(a);
}

/* n count-min sketches whose counters are one table, as hll_array. */
static struct ds_cm **
cm_array(unsigned n, unsigned w, unsigned d)
{
	struct ds_cm **a = calloc(n, sizeof(*a) + sizeof(struct ds_cm));
	struct ds_cm *cm = (struct ds_cm *)(a + n);
	size_t per = (size_t)d << w;
	uint32_t *rows = ds_mem_table(n * per * sizeof(uint32_t));
	unsigned i;

	if (!a || !rows) {
		free(a);
		free(rows);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		a[i] = &cm[i];
		if (ds_cm_init(a[i], w, d, rows + i * per) != 0) {
			free(a);
			free(rows);
			return NULL;
		}
	}
	return a;
}

static void
cm_array_free(struct ds_cm **a, unsigned n)
{
	if (!a)
		return;
	if (n)
		free(ds_cm_counters(a[0]));
	free(a);
}

/*
 * Buckets of the source cache: sketch.source_cache, else 2 MiB grown with
 * the sensors beyond 32 (ds_conf_pair_scale_log2: 16 MiB from 129).  The
 * cache pays off only while a period's (sensor, source) pairs fit in it
 * (else it thrashes and counts directly, above): the bench replay at 256
 * sensors (77,001 pairs per 100,000 frames) thrashed 2 MiB; with 16 MiB its
 * data path took 0.55x the cycles per pass and end to end ran 1.8x faster
 * (bench/README.md "Tenth round").  With 4 sensors
 * a larger table only spreads the same entries over more pages: 16 MiB
 * took 1.06-1.08x the cycles per pass.
 */
static uint32_t
srcc_buckets(const struct ds_conf *c)
{
	if (c->srcc_buckets)
		return c->srcc_buckets;
	return SRCC_BUCKETS << ds_conf_pair_scale_log2(c->n_sensors);
}

/* Fingerprint detail records cost n_sensors HLLs each: keep them <= 64 MiB. */
static uint32_t
fp_detail_budget(const struct ds_conf *c)
{
	uint64_t per = (uint64_t)c->n_sensors * ((1u << c->fp_hll_p) + 8) + 200;
	uint64_t max = (64ull << 20) / per;

	return (uint32_t)(c->fp_detail < max ? c->fp_detail : (max < 16 ? 16 : max));
}

struct ds_set *
ds_set_create(const struct ds_conf *c)
{
	struct ds_set *s;
	unsigned n = c->n_sensors, i;

	if (n == 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->conf = c;
	s->n_sensors = n;
	s->period = -1;
	s->analyses = DS_SET_AN_ALL;
	s->sensor = calloc(n, sizeof(*s->sensor));
	s->ports = cm_array(n, c->cm_width_log2, c->cm_depth);
	s->bs_ports = cm_array(n, c->cm_width_log2, c->cm_depth);
	s->src = hll_array(n, c->hll_p);
	s->src_excl = hll_array(n, c->hll_p);
	s->victims = hll_array(n, c->hll_p);
	s->tool_src = hll_array(n * DS_TOOL__N, c->watch_hll_p);
	s->watch_src = hll_array(n * DS_CONF_MAX_WATCHED, c->watch_hll_p);
	s->overlap = ds_bk_create(c->overlap_k, n);
	s->watch_overlap = calloc(DS_CONF_MAX_WATCHED, sizeof(*s->watch_overlap));
	s->top_src = ds_topk_create(c->topsrc_log2);
	s->top_victims = ds_topk_create(c->topsrc_log2 > 2 ? c->topsrc_log2 - 2 : 3);
	s->fp = ds_fp_create(c->fp_table, fp_detail_budget(c), n, c->fp_hll_p);
	if (!s->sensor || !s->ports || !s->bs_ports || !s->src || !s->src_excl ||
	    !s->victims || !s->tool_src || !s->watch_src || !s->overlap ||
	    !s->watch_overlap || !s->top_src || !s->top_victims || !s->fp)
		goto fail;
	s->srcc_mask = srcc_buckets(c) - 1;
	s->srcc = ds_mem_table(((size_t)s->srcc_mask + 1) * sizeof(*s->srcc));
	s->srcc_used = calloc((s->srcc_mask + 1) / 64, sizeof(*s->srcc_used));
	while ((1u << s->pcount_shift) < n)
		s->pcount_shift++;
	s->pcount = ds_mem_table(pcount_bytes(s));
	s->srcv = ds_mem_table(((size_t)1 << SRCV_BITS) * sizeof(*s->srcv));
	s->port_scans = calloc(65536, sizeof(*s->port_scans));
	s->src_fold = calloc(n, 1);
	s->scan_tools = calloc((size_t)n * DS_SET_TOOL_SETS, sizeof(*s->scan_tools));
	if (!s->srcc || !s->srcc_used || !s->pcount || !s->srcv || !s->port_scans || !s->src_fold || !s->scan_tools)
		goto fail;
	s->fp_slots = ds_fp_slots(s->fp);
	s->top_src_b = ds_topk_buckets(s->top_src);
	s->top_victims_b = ds_topk_buckets(s->top_victims);
	for (i = 0; i < DS_CONF_MAX_WATCHED; i++)
		if (!(s->watch_overlap[i] = ds_bk_create(c->watch_k, n)))
			goto fail;
	for (i = 0; i < c->n_watched; i++)
		ds_set_watch(s, c->watched[i], 0);
	for (i = 0; i < c->n_excluded; i++) {
		s->excluded[c->excluded[i]] = 1;
		mark_special(s, c->excluded[i]);
	}
	return s;
fail:
	ds_set_free(s);
	errno = ENOMEM;
	return NULL;
}

void
ds_set_free(struct ds_set *s)
{
	unsigned n, i;

	if (!s)
		return;
	n = s->n_sensors;
	free(s->sensor);
	cm_array_free(s->ports, n);
	cm_array_free(s->bs_ports, n);
	hll_array_free(s->src, n);
	hll_array_free(s->src_excl, n);
	hll_array_free(s->victims, n);
	hll_array_free(s->tool_src, n * DS_TOOL__N);
	hll_array_free(s->watch_src, n * DS_CONF_MAX_WATCHED);
	ds_bk_free(s->overlap);
	if (s->watch_overlap)
		for (i = 0; i < DS_CONF_MAX_WATCHED; i++)
			ds_bk_free(s->watch_overlap[i]);
	free(s->watch_overlap);
	ds_topk_free(s->top_src);
	ds_topk_free(s->top_victims);
	ds_fp_free(s->fp);
	free(s->srcc);
	free(s->srcc_used);
	free(s->pcount);
	free(s->srcv);
	free(s->port_scans);
	free(s->src_fold);
	free(s->scan_tools);
	free(s);
}

/* The bucket of the lowest set bit u of word i of srcc_used. */
static inline struct ds_set_srcc *
srcc_used_bucket(struct ds_set *s, uint32_t i, uint64_t u)
{
	return &s->srcc[i * 64 + (unsigned)__builtin_ctzll(u)];
}

/* Empty the source cache: the buckets used since the last clear (all of
 * them at once when most were). */
static void
srcc_clear(struct ds_set *s)
{
	const uint32_t words = s->srcc_mask / 64 + 1;
	uint32_t i, used = 0;
	uint64_t u;

	for (i = 0; i < words; i++)
		used += (uint32_t)__builtin_popcountll(s->srcc_used[i]);
	if (used > (s->srcc_mask + 1) / 4) {
		ds_mem_zero(s->srcc, (s->srcc_mask + 1) * sizeof(*s->srcc));
	} else {
		for (i = 0; i < words; i++)
			for (u = s->srcc_used[i]; u; u &= u - 1)
				memset(srcc_used_bucket(s, i, u), 0, sizeof(*s->srcc));
	}
	memset(s->srcc_used, 0, words * sizeof(*s->srcc_used));
}

void
ds_set_clear(struct ds_set *s)
{
	unsigned n = s->n_sensors, i;

	s->period = -1;
	s->first_ts = s->last_ts = s->late = 0;
	memset(s->watch_since, 0, sizeof(s->watch_since));
	memset(s->classes, 0, sizeof(s->classes));
	memset(s->malformed, 0, sizeof(s->malformed));
	memset(s->hygiene, 0, sizeof(s->hygiene));
	s->vlan_tagged = 0;
	memset(s->sensor, 0, n * sizeof(*s->sensor));
	for (i = 0; i < n; i++) {
		ds_cm_clear(s->ports[i]);
		ds_cm_clear(s->bs_ports[i]);
		ds_hll_clear(s->src[i]);
		ds_hll_clear(s->src_excl[i]);
		ds_hll_clear(s->victims[i]);
	}
	for (i = 0; i < n * DS_TOOL__N; i++)
		ds_hll_clear(s->tool_src[i]);
	for (i = 0; i < n * s->n_watch; i++)
		ds_hll_clear(s->watch_src[i]);
	ds_bk_clear(s->overlap);
	for (i = 0; i < s->n_watch; i++)
		ds_bk_clear(s->watch_overlap[i]);
	ds_topk_clear(s->top_src);
	ds_topk_clear(s->top_victims);
	ds_fp_clear(s->fp);
	srcc_clear(s);
	if (s->pcount_dirty)	/* else ds_set_flush() zeroed them */
		ds_mem_zero(s->pcount, pcount_bytes(s));
	s->pcount_dirty = 0;
	ds_mem_zero(s->srcv, ((size_t)1 << SRCV_BITS) * sizeof(*s->srcv));
	ds_mem_zero(s->port_scans, 65536 * sizeof(*s->port_scans));
	memset(s->src_fold, 0, n);
	memset(s->scan_tools, 0, (size_t)n * DS_SET_TOOL_SETS * sizeof(*s->scan_tools));
	s->srcc_hits = s->srcc_misses = s->srcc_victims = s->fp_skipped = 0;
	s->srcc_win_hits = s->srcc_win_scans = s->srcc_win_evict = s->srcc_direct = 0;
}

int
ds_set_analyses(struct ds_set *s, unsigned mask)
{
	if (mask & ~(unsigned)DS_SET_AN_ALL)
		return -EINVAL;
	s->analyses = mask;
	return 0;
}

int
ds_set_watch(struct ds_set *s, uint16_t port, int surge)
{
	if (s->watch_slot[port])
		return -EEXIST;
	if (s->n_watch == DS_CONF_MAX_WATCHED)
		return -ENOSPC;
	s->watch_port[s->n_watch] = port;
	mark_special(s, port);
	if (surge)
		s->watch_surge |= 1u << s->n_watch;
	s->watch_slot[port] = (uint8_t)++s->n_watch;
	return 0;
}

void
ds_set_copy_watch(struct ds_set *dst, const struct ds_set *src)
{
	unsigned i;

	for (i = 0; i < dst->n_watch; i++)
		dst->watch_slot[dst->watch_port[i]] = 0;
	for (i = 0; i < src->n_watch; i++) {
		dst->watch_port[i] = src->watch_port[i];
		dst->watch_slot[src->watch_port[i]] = (uint8_t)(i + 1);
		mark_special(dst, src->watch_port[i]);
	}
	dst->n_watch = src->n_watch;
	dst->watch_surge = src->watch_surge;
	memcpy(dst->watch_since, src->watch_since, sizeof(dst->watch_since));
}

void
ds_set_adopt_watch(struct ds_set *dst, const struct ds_set *src, unsigned n, uint64_t now)
{
	unsigned i;

	for (i = dst->n_watch; i < n && i < DS_CONF_MAX_WATCHED; i++) {
		dst->watch_port[i] = src->watch_port[i];
		dst->watch_since[i] = now;
		dst->watch_surge |= src->watch_surge & (1u << i);
		dst->watch_slot[src->watch_port[i]] = (uint8_t)(i + 1);
		mark_special(dst, src->watch_port[i]);
		dst->n_watch = i + 1;
	}
}

struct ds_lpm *
ds_set_sensor_lpm(const struct ds_conf *c)
{
	unsigned i, j, long_prefixes = 0;
	struct ds_lpm *l;

	for (i = 0; i < c->n_sensors; i++)
		for (j = 0; j < c->sensors[i].n_prefixes; j++)
			long_prefixes += c->sensors[i].prefixes[j].len > 24;
	l = ds_lpm_create(long_prefixes + 1, 0);
	if (!l)
		return NULL;
	for (i = 0; i < c->n_sensors; i++)
		for (j = 0; j < c->sensors[i].n_prefixes; j++)
			if (ds_lpm_add(l, c->sensors[i].prefixes[j].addr,
				       c->sensors[i].prefixes[j].len, (uint16_t)(i + 1)) != 0) {
				ds_lpm_free(l);
				errno = EINVAL;
				return NULL;
			}
	ds_lpm_freeze(l);
	return l;
}

static inline uint32_t
srcc_bucket(const struct ds_set *s, uint32_t src, unsigned sensor)
{
	uint64_t h = ((uint64_t)src << 16 | sensor) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 40) & s->srcc_mask;
}

#define NS_PER_S 1000000000ULL

/* The entry's key hash in top_src. */
static inline uint64_t
srcc_entry_hash(const struct srcc_entry *e)
{
	return ds_hash_u32(e->src) ^ (e->sensor1 - 1u);
}

/* The entry's pending packets into top_src.  Its times are whole seconds,
 * rounded down: never later than the packets', and kept inside the set's
 * first packet time. */
static void
srcc_write_entry(struct ds_set *s, const struct srcc_entry *e, uint64_t hash)
{
	uint64_t first = e->first * NS_PER_S, last = e->last * NS_PER_S;

	if (!(s->analyses & DS_SET_AN_TOPSRC))
		return;
	first = first > s->first_ts ? first : s->first_ts;
	last = last > first ? last : first;
	ds_topk_add_n(s->top_src, ((uint64_t)e->sensor1 << 32) | e->src, hash, e->pending,
		      (unsigned)e->done / PENDING_TOOL0, first, last);
}

static void
srcc_flush_entry(struct ds_set *s, const struct srcc_entry *e)
{
	srcc_write_entry(s, e, srcc_entry_hash(e));
}

static inline struct srcc_entry
srcc_get(const struct ds_set_srcc *b, unsigned w)
{
	struct srcc_entry e = { b->src[w], b->first[w], b->last[w], b->sensor1[w],
				b->pending[w], b->done[w] };

	return e;
}

/* Way w's entry, its pending packets taken out (it keeps its done bits). */
static inline struct srcc_entry
srcc_take(struct ds_set_srcc *b, unsigned w)
{
	struct srcc_entry e = srcc_get(b, w);

	b->pending[w] = 0;
	b->done[w] &= PENDING_TOOL0 - 1;
	return e;
}

/* Way w's pending packets into top_src. */
static void
srcc_flush_way(struct ds_set *s, struct ds_set_srcc *b, unsigned w)
{
	struct srcc_entry e = srcc_take(b, w);

	srcc_flush_entry(s, &e);
}

/* The scan packets counted per (sensor, tool set) into the sensors'
 * scan and per-tool counters. */
static void
fold_scan_tools(struct ds_set *s)
{
	unsigned i, m, t;

	for (i = 0; i < s->n_sensors; i++) {
		struct ds_sensor_stats *ss = &s->sensor[i];
		uint64_t *c = &s->scan_tools[(size_t)i * DS_SET_TOOL_SETS];

		for (m = 0; m < DS_SET_TOOL_SETS; m++) {
			ss->cls[DS_CLASS_SCAN] += c[m];
			for (t = 0; t < DS_TOOL__N; t++)
				ss->tool_packets[t] += (m >> t & 1) ? c[m] : 0;
			c[m] = 0;
		}
	}
}

/* Every port counter into its sensor's count-min sketch, zeroed.  Most
 * lines of counters are zero (ports nobody scanned): a line is one OR of
 * eight words, and a word's nonzero counters are found by their bits.
 * They are moved in batches whose count-min lines are prefetched first:
 * with many sensors the next counter is another sensor's sketch, and
 * each of its rows a miss. */
static void
pcount_flush(struct ds_set *s)
{
	const size_t n = pcount_bytes(s);
	const uint32_t smask = (1u << s->pcount_shift) - 1;
	uint32_t idx[FLUSH_BATCH], cnt[FLUSH_BATCH];
	uint8_t *c = s->pcount;
	size_t i, j;
	unsigned k, m = 0;

	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		       "a word's lowest set byte is its first counter");
	if (!s->pcount_dirty)
		return;
	for (i = 0; i < n; i += 64) {
		uint64_t w[8], any = 0;

		memcpy(w, c + i, sizeof(w));
		for (j = 0; j < 8; j++)
			any |= w[j];
		if (!any)
			continue;
		memset(c + i, 0, sizeof(w));
		for (j = 0; j < 8; j++)
			while (w[j]) {
				unsigned sh = (unsigned)__builtin_ctzll(w[j]) & ~7u;

				idx[m] = (uint32_t)(i + j * 8 + sh / 8);
				cnt[m] = (uint32_t)(w[j] >> sh) & 0xff;
				ds_cm_prefetch(s->ports[idx[m] & smask],
					       ds_cm_port_hash((uint16_t)(idx[m] >> s->pcount_shift)));
				w[j] &= ~(0xffull << sh);
				if (++m == FLUSH_BATCH) {
					for (k = 0; k < m; k++)
						pcount_move(s, idx[k], cnt[k]);
					m = 0;
				}
			}
	}
	for (k = 0; k < m; k++)
		pcount_move(s, idx[k], cnt[k]);
	s->pcount_dirty = 0;
}

void
ds_set_flush_counts(struct ds_set *s)
{
	struct srcc_entry batch[FLUSH_BATCH];
	uint64_t u, hash[FLUSH_BATCH];
	uint32_t i;
	unsigned w, k, n = 0;

	fold_scan_tools(s);

	/* the entries with pending packets in batches: their top-sources
	 * buckets warmed first (with many sensors a period leaves tens of
	 * thousands, each a miss in a table of megabytes), then written in
	 * the order they were found */
	for (i = 0; i <= s->srcc_mask / 64; i++)
		for (u = s->srcc_used[i]; u; u &= u - 1) {
			struct ds_set_srcc *b = srcc_used_bucket(s, i, u);

			for (w = 0; w < SRCC_WAYS; w++) {
				if (!b->pending[w])
					continue;
				batch[n] = srcc_take(b, w);
				hash[n] = srcc_entry_hash(&batch[n]);
				ds_topk_prefetch(s->top_src_b, hash[n]);
				if (++n == FLUSH_BATCH) {
					for (k = 0; k < n; k++)
						srcc_write_entry(s, &batch[k], hash[k]);
					n = 0;
				}
			}
		}
	for (k = 0; k < n; k++)
		srcc_write_entry(s, &batch[k], hash[k]);
	pcount_flush(s);
}

void
ds_set_flush(struct ds_set *s)
{
	unsigned i;

	ds_set_flush_counts(s);
	for (i = 0; i < s->n_sensors; i++)
		if (s->src_fold[i]) {
			ds_hll_merge(s->src[i], s->src_excl[i]);
			s->src_fold[i] = 0;
		}
}

/* Stage-one result for one packet. */
struct stage {
	uint64_t src_hash;
	uint64_t fp_hash;	/* ds_fp_hash(), scans only */
	int32_t sensor;		/* -1: none */
	uint16_t cls;		/* global class */
	uint16_t tools;		/* ds_set_tool_of(), scans only */
	uint32_t bucket;	/* source cache bucket, scans only */
	uint32_t hyg;		/* ds_hygiene(), scans counted directly only */
	uint32_t fp_skip;	/* not offered to the fingerprint table */
	uint32_t pcount;	/* pcount_index(), scans only */
	uint32_t triple;	/* ds_fp_triple_tag(), scans only */
	uint32_t fast;		/* a scan at a sensor to a port neither watched
				 * nor excluded, with the cache on */
};

static inline void
count_backscatter(struct ds_set *s, const struct ds_pkt *p, const struct stage *st)
{
	unsigned sn = (unsigned)st->sensor;

	ds_cm_add(s->bs_ports[sn], ds_cm_port_hash(p->sport), 1);
	ds_hll_add(s->victims[sn], st->src_hash);
}

static inline void
stage_one(struct ds_set *s, const struct ds_lpm *lpm, const struct ds_pkt *p,
	  struct stage *st, int direct, int flat, unsigned an)
{
	st->cls = p->cls;
	st->fast = 0;
	if (p->cls > DS_CLASS_FRAGMENT) {
		st->sensor = -1;
		return;
	}
	st->sensor = (int32_t)(flat ? ds_lpm_lookup_flat(lpm, p->dst) : ds_lpm_lookup(lpm, p->dst)) - 1;
	if (st->sensor < 0) {
		if (p->cls != DS_CLASS_FRAGMENT)
			st->cls = DS_SET_OUTSIDE;
		return;
	}
	if (p->cls == DS_CLASS_BACKSCATTER) {
		st->src_hash = ds_hash_u32(p->src);
		ds_hll_prefetch(s->victims[st->sensor], st->src_hash);
		return;
	}
	if (p->cls != DS_CLASS_SCAN)
		return;
	if (direct) {
		int excl = port_special(s, p->dport) && s->excluded[p->dport];

		st->hyg = ds_hygiene(p->src, p->dst);
		st->src_hash = ds_hash_u32(p->src);
		ds_hll_prefetch(excl ? s->src[st->sensor] : s->src_excl[st->sensor], st->src_hash);
		__builtin_prefetch(&s->srcv[srcv_index(st->src_hash)], 1);
	} else {
		st->fast = !port_special(s, p->dport);
		st->bucket = srcc_bucket(s, p->src, (unsigned)st->sensor);
		__builtin_prefetch(&s->srcc[st->bucket], 1);
	}
	/* what the fingerprint filter reads in the count pass */
	st->triple = ds_fp_triple_tag(p->sport, p->ipid, p->win);
	if (an & DS_SET_AN_FP)
		__builtin_prefetch(ds_fp_triple_word(s->fp_slots, st->triple));
	st->pcount = pcount_index(s, p->dport, (unsigned)st->sensor);
	if (an & DS_SET_AN_PORTS)
		__builtin_prefetch(&s->pcount[st->pcount], 1);
	st->tools = (uint16_t)ds_set_tool_of(p);
	st->fp_skip = !(an & DS_SET_AN_FP);
}

/* 1 if x is zero, else 0, in arithmetic (compilers turn comparisons into
 * branches here, and which way matches is random). */
static inline unsigned
srcc_zero32(uint32_t x)
{
	return ((x | (0u - x)) >> 31) ^ 1u;
}

/* The way of a scan's (sensor, source) in its bucket, or -1.  No branch
 * on which way matches (that is random; whether one does is not). */
static inline int
srcc_find(struct ds_set *s, const struct ds_pkt *p, const struct stage *st)
{
	const struct ds_set_srcc *b = &s->srcc[st->bucket];
	uint32_t sensor1 = (uint32_t)st->sensor + 1u;
	unsigned m;

#if defined(__SSE4_1__)
	{
		/* src[0..2] against the source, sensor1[0..2] widened to 32
		 * bits against the sensor, both in one mask; lane 3 (sensor1[0..1]
		 * and watch[0]) masked */
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)b->src);
		__m128i c = _mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)(const void *)b->sensor1));
		__m128i e = _mm_and_si128(_mm_cmpeq_epi32(a, _mm_set1_epi32((int)p->src)),
					  _mm_cmpeq_epi32(c, _mm_set1_epi32((int)sensor1)));

		m = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(e)) & 7u;
	}
#elif defined(__SSE2__)
	{
		/* src[0..2] (and sensor1[0..1]) against the source; sensor1[0..2]
		 * (and watch[0]) against the sensor; lanes beyond way 2 masked */
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)b->src);
		__m128i c = _mm_loadl_epi64((const __m128i *)(const void *)b->sensor1);
		unsigned ms = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(
			_mm_cmpeq_epi32(a, _mm_set1_epi32((int)p->src))));
		unsigned mc = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi16(c, _mm_set1_epi16((short)sensor1)));

		m = ms & ((mc & 1) | (mc >> 1 & 2) | (mc >> 2 & 4));
	}
#else
	m = srcc_zero32((b->src[0] ^ p->src) | (b->sensor1[0] ^ sensor1)) |
	    srcc_zero32((b->src[1] ^ p->src) | (b->sensor1[1] ^ sensor1)) << 1 |
	    srcc_zero32((b->src[2] ^ p->src) | (b->sensor1[2] ^ sensor1)) << 2;
#endif
	_Static_assert(SRCC_WAYS == 3, "srcc_find compares three ways");
	if (!m)
		return -1;
	return (int)(m >> 1);	/* a (sensor, source) is in one way: m is 1, 2 or 4 */
}

/* Whether a scan of a source whose headers vary skips the fingerprint
 * table: unless its triple may belong to a promoted tuple.  Every scan
 * skips it while the fingerprint analysis is off (an). */
static inline uint32_t
skips_fp(const struct ds_set *s, unsigned varies, unsigned tag, unsigned an)
{
	if (!(an & DS_SET_AN_FP))
		return 1;
	return varies && !ds_fp_triple_promoted(s->fp_slots, tag);
}

/* The NEED_* bits whose updates belong to analyses in an (DS_SET_AN_*). */
static inline unsigned
need_mask(unsigned an)
{
	return ((an & (DS_SET_AN_SOURCES | DS_SET_AN_OVERLAP)) ? NEED_NEW : 0) |
	       ((an & DS_SET_AN_SOURCES) ? NEED_EXCL : 0) |
	       ((an & DS_SET_AN_TOOLS) ? ((1u << DS_TOOL__N) - 1) * NEED_TOOL0 : 0) |
	       ((an & (DS_SET_AN_TOOLS | DS_SET_AN_OVERLAP)) ? NEED_WATCH : 0) |
	       ((an & DS_SET_AN_TOPSRC) ? NEED_VICTIM | NEED_TOPK : 0);
}

/* Another scan of cached way w of b: what the per-source pass still has
 * to do for it (NEED_*, of those in nm = need_mask(an)), and in
 * st->fp_skip whether it skips the fingerprint table (see the source
 * cache comment: its triple changed since an earlier SYN, and is not one
 * a promoted tuple may have).  The entry records every update as done
 * whatever an says: an analysis switched off stays off for the set. */
static inline unsigned
srcc_hit(struct ds_set *s, struct ds_set_srcc *b, unsigned w, struct stage *st, unsigned slot,
	 unsigned excl, uint32_t sec, unsigned an, unsigned nm)
{
	unsigned tools = st->tools, tag = st->triple, want, miss, need, done;

	/* the DONE_ bits of src_excl and the tools sit one below their
	 * NEED_ bits: what is wanted and not done, shifted, is what to do */
	_Static_assert(DONE_EXCL << 1 == NEED_EXCL && DONE_TOOL0 << 1 == NEED_TOOL0,
		       "DONE_ and NEED_ bits line up");
	if (__builtin_expect(b->pending[w] == UINT16_MAX, 0))
		srcc_flush_way(s, b, w);
	if (b->pending[w]++ == 0)
		b->first[w] = sec;
	b->last[w] = sec;
	want = (excl ? 0 : DONE_EXCL) | tools * DONE_TOOL0;
	done = b->done[w];
	miss = want & ~done;
	done |= miss | tools * PENDING_TOOL0 | (tag != b->triple[w] ? DONE_VARIES : 0);
	b->done[w] = (uint8_t)done;
	b->triple[w] = (uint16_t)tag;
	st->fp_skip = skips_fp(s, done & DONE_VARIES, tag, an);
	need = miss << 1;
	if (slot && !(b->watch[w] & (1u << (slot - 1)))) {
		b->watch[w] |= (uint16_t)(1u << (slot - 1));
		need |= NEED_WATCH;
	}
	if (an != DS_SET_AN_ALL)
		need &= nm;
	if (need)
		st->src_hash = ds_hash_u32(b->src[w]);
	return need;
}

/* Whether the scan's source has changed its triple between two SYNs
 * recorded in its srcv entry (see SRCV_BITS), this one included: the
 * entry is looked up and rewritten. */
static inline int
srcv_varies(struct ds_set *s, const struct ds_pkt *p, const struct stage *st)
{
	uint64_t *e = &s->srcv[srcv_index(st->src_hash)], old = *e;
	uint64_t same = (old >> 32) == p->src;
	uint64_t varies = same & ((old & 1) | (((old >> 16) & 0xffff) != st->triple));

	*e = (uint64_t)p->src << 32 | (uint64_t)st->triple << 16 | varies;
	return (int)varies;
}

/* Whether a clean scan counted without the cache skips the fingerprint
 * table. */
static inline int
srcv_fp_skip(struct ds_set *s, const struct ds_pkt *p, const struct stage *st, unsigned an)
{
	return (int)skips_fp(s, (unsigned)srcv_varies(s, p, st), st->triple, an);
}

/* A clean source not in the cache: enter it in way 0 (the others move
 * down one way; a last-way entry with pending packets is copied to
 * *victim and NEED_VICTIM set) and return every per-source update (of
 * those in nm = need_mask(an)).  The
 * entry starts with its headers varying when the source's srcv entry says
 * they did between its first SYNs at other sensors (or before an
 * eviction): then this SYN too skips the fingerprint table unless its
 * triple may be promoted. */
static inline unsigned
srcc_insert(struct ds_set *s, const struct ds_pkt *p, struct stage *st, unsigned slot,
	    unsigned excl, uint64_t ts, struct srcc_entry *victim, unsigned an, unsigned nm)
{
	struct ds_set_srcc *b = &s->srcc[st->bucket];
	unsigned tools = st->tools, need = NEED_NEW, w;
	int varies;

	s->srcc_misses++;
	s->srcc_win_evict += b->sensor1[SRCC_WAYS - 1] != 0;
	s->srcc_used[st->bucket / 64] |= 1ull << (st->bucket % 64);
	st->src_hash = ds_hash_u32(p->src);
	varies = srcv_varies(s, p, st);
	st->fp_skip = skips_fp(s, (unsigned)varies, st->triple, an);
	if (b->pending[SRCC_WAYS - 1]) {
		s->srcc_victims++;
		*victim = srcc_get(b, SRCC_WAYS - 1);
		need |= NEED_VICTIM;
	}
	for (w = SRCC_WAYS - 1; w > 0; w--) {
		b->src[w] = b->src[w - 1];
		b->sensor1[w] = b->sensor1[w - 1];
		b->watch[w] = b->watch[w - 1];
		b->pending[w] = b->pending[w - 1];
		b->triple[w] = b->triple[w - 1];
		b->done[w] = b->done[w - 1];
		b->first[w] = b->first[w - 1];
		b->last[w] = b->last[w - 1];
	}
	b->src[0] = p->src;
	b->sensor1[0] = (uint16_t)(st->sensor + 1);
	b->pending[0] = 1;
	b->first[0] = b->last[0] = (uint32_t)(ts / NS_PER_S);
	b->triple[0] = (uint16_t)st->triple;
	b->done[0] = (uint8_t)((excl ? 0 : DONE_EXCL) | tools * DONE_TOOL0 | tools * PENDING_TOOL0 |
			       (varies ? DONE_VARIES : 0));
	b->watch[0] = (uint16_t)(slot ? 1u << (slot - 1) : 0);
	need |= (excl ? 0 : NEED_EXCL) | tools * NEED_TOOL0 | (slot ? NEED_WATCH : 0);
	return an == DS_SET_AN_ALL ? need : need & nm;
}

/*
 * The per-source HLL updates of one scan (need: NEED_*); the samples and
 * the top-sources table have passes of their own.  A scan adds its source
 * to one of the two source HLLs: to src_excl when its port is not
 * excluded, else (a new source) to src.  ds_set_flush() then folds
 * src_excl into src (register-wise max), which gives src exactly the
 * registers of adding every source to it, with one HLL line per packet
 * instead of two.
 */
static inline void
per_source_hlls(struct ds_set *s, const struct ds_pkt *p, const struct stage *st,
		unsigned need, unsigned an)
{
	unsigned sn = (unsigned)st->sensor, n = s->n_sensors, t;

	if ((an & DS_SET_AN_SOURCES) && (need & (NEED_NEW | NEED_EXCL)) == NEED_NEW)
		ds_hll_add(s->src[sn], st->src_hash);
	if (need & NEED_EXCL) {
		ds_hll_add(s->src_excl[sn], st->src_hash);
		s->src_fold[sn] = 1;
	}
	for (t = 0; t < DS_TOOL__N; t++)
		if (need & (NEED_TOOL0 << t))
			ds_hll_add(s->tool_src[t * n + sn], st->src_hash);
	if ((an & DS_SET_AN_TOOLS) && (need & NEED_WATCH))
		ds_hll_add(s->watch_src[(s->watch_slot[p->dport] - 1u) * n + sn], st->src_hash);
}

/* Warm the top-sources bucket a new source will write. */
static inline void
per_source_prefetch(struct ds_set *s, const struct stage *st, unsigned need)
{
	if (need & NEED_TOPK)
		s->touch += ds_topk_touch(s->top_src_b, st->src_hash ^ (unsigned)st->sensor);
}

/*
 * A burst is processed in chunks of 64 packets, in passes: stage one
 * (sensor, hashes, prefetches); the counters, count-min and the source
 * cache; the per-source updates the cache could not skip, with their own
 * prefetch pass; the backscatter tables; the fingerprint table.  Each
 * structure still sees its packets in arrival order, and the structures
 * are independent of one another, so the result is that of updating them
 * packet by packet; but back-to-back updates of one large table let the
 * CPU overlap their cache misses instead of serialising one miss per
 * packet behind all the other work.
 */
static inline __attribute__((always_inline)) void
burst(struct ds_set *s, const struct ds_lpm *lpm, const struct ds_pkt *pkts, unsigned n,
      uint64_t ts, const unsigned an)
{
	struct stage st[64];
	struct srcc_entry victim[64];
	uint8_t fp[64], bs[64], work[64], need[64];
	const int hyg_excl = s->conf->hygiene_exclude;
	const int flat = lpm->flat != 0;
	const uint32_t sec = (uint32_t)(ts / NS_PER_S);
	const unsigned nm = need_mask(an);	/* the NEED_* bits an keeps */
	unsigned i, base;

	if (n == 0)
		return;
	if (!s->first_ts || ts < s->first_ts)
		s->first_ts = ts;
	if (ts > s->last_ts)
		s->last_ts = ts;
	for (base = 0; base < n; base += 64) {
		unsigned m = n - base < 64 ? n - base : 64, ns = 0, nb = 0, nw = 0, nf = 0, j;
		const struct ds_pkt *p = pkts + base;
		const int direct = s->srcc_direct != 0;
		unsigned hit = 0, skipped = 0, vlans = 0, fast = 0;

		for (i = 0; i < m; i++)
			stage_one(s, lpm, &p[i], &st[i], direct, flat, an);
		for (i = 0; i < m; i++) {
			const struct ds_pkt *q = &p[i];
			struct stage *t = &st[i];
			struct ds_sensor_stats *ss;
			struct ds_set_srcc *b = NULL;
			unsigned slot = 0, excl = 0, k;
			int w = -1;

			vlans += q->vlans != 0;
			if (__builtin_expect(t->fast, 1)) {
				/* the common case: a cached (sensor, source) */
				b = &s->srcc[t->bucket];
				w = srcc_find(s, q, t);
				if (__builtin_expect(w >= 0, 1) &&
				    __builtin_expect(q->src != q->dst, 1)) {
					k = srcc_hit(s, b, (unsigned)w, t, 0, 0, sec, an, nm);
					/* counted as below, without the watched
					 * and excluded ports' counters; a hit
					 * with nothing more to do is one count
					 * (fast), a scan, a hit and skipped */
					if (an & DS_SET_AN_PORTS)
						pcount_add(s, t->pcount);
					s->scan_tools[(unsigned)t->sensor * DS_SET_TOOL_SETS + t->tools]++;
					if (__builtin_expect(t->fp_skip && !k, 1)) {
						fast++;
						continue;
					}
					hit++;
					ns++;
					goto offer;
				}
				ss = &s->sensor[t->sensor];
				goto scan;
			}
			if (t->cls == DS_CLASS_MALFORMED)
				s->malformed[q->reason]++;
			if (t->sensor < 0) {
				s->classes[t->cls]++;
				continue;
			}
			ss = &s->sensor[t->sensor];
			if (t->cls == DS_CLASS_BACKSCATTER) {
				s->classes[t->cls]++;
				ss->cls[t->cls]++;
				count_backscatter(s, q, t);
				bs[nb++] = (uint8_t)i;
				continue;
			}
			if (t->cls != DS_CLASS_SCAN) {
				s->classes[t->cls]++;
				ss->cls[t->cls]++;
				continue;
			}
			if (port_special(s, q->dport)) {
				slot = s->watch_slot[q->dport];
				excl = s->excluded[q->dport];
			}
			if (!direct) {
				b = &s->srcc[t->bucket];
				w = srcc_find(s, q, t);
			}
scan:
			if (w < 0 || __builtin_expect(q->src == q->dst, 0)) {
				/* not in the cache (or src == dst): hygiene first */
				unsigned h = direct ? t->hyg : ds_hygiene(q->src, q->dst);

				if (h) {
					s->hygiene[h]++;
					ss->hygiene[h]++;
					if (hyg_excl) {
						s->classes[DS_SET_HYGIENE]++;
						ss->cls[DS_SET_HYGIENE]++;
						continue;
					}
				}
				if (h || direct) {
					/* every per-source update, not cached */
					if (!direct)
						t->src_hash = ds_hash_u32(q->src);
					else if (!h)
						t->fp_skip = (uint32_t)srcv_fp_skip(s, q, t, an);
					k = NEED_NEW | NEED_TOPK | (excl ? 0 : NEED_EXCL) |
					    t->tools * NEED_TOOL0 | (slot ? NEED_WATCH : 0);
					if (an != DS_SET_AN_ALL)
						k &= nm;
					goto counted;
				}
			}
			if (w >= 0) {
				hit++;
				k = srcc_hit(s, b, (unsigned)w, t, slot, excl, sec, an, nm);
			} else {
				k = srcc_insert(s, q, t, slot, excl, ts, &victim[nw], an, nm);
			}
counted:
			if (an & DS_SET_AN_PORTS)
				pcount_add(s, t->pcount);
			if (excl)
				s->sensor[t->sensor].syn_excluded++;
			if (slot)
				s->sensor[t->sensor].watch_packets[slot - 1]++;
			s->scan_tools[(unsigned)t->sensor * DS_SET_TOOL_SETS + t->tools]++;
			ns++;
offer:
			if (t->fp_skip) {
				skipped++;
			} else {
				struct ds_fp_key fk = { q->seq, q->sport, q->ipid, q->win };

				t->fp_hash = ds_fp_hash(&fk);
				ds_fp_prefetch(s->fp_slots, t->fp_hash);
				fp[nf++] = (uint8_t)i;
			}
			if (k) {
				per_source_hlls(s, q, t, k, an);
				work[nw] = (uint8_t)i;
				need[nw++] = (uint8_t)k;
			}
		}
		ns += fast;
		hit += fast;
		skipped += fast;
		s->classes[DS_CLASS_SCAN] += ns;
		s->pcount_dirty |= ns != 0;
		s->vlan_tagged += vlans;
		s->fp_skipped += skipped;
		s->srcc_hits += hit;
		if (direct) {
			s->srcc_direct = s->srcc_direct > ns ? s->srcc_direct - ns : 0;
		} else {
			s->srcc_win_scans += ns;
			s->srcc_win_hits += hit;
			if (s->srcc_win_scans >= SRCC_WINDOW) {
				/* fewer hits than misses that found the bucket
				 * full, and those an eighth of the window: the
				 * cache thrashes, probing costs more than it
				 * saves */
				if (s->srcc_win_hits < s->srcc_win_evict &&
				    s->srcc_win_evict >= SRCC_WINDOW / 8)
					s->srcc_direct = SRCC_DIRECT;
				s->srcc_win_scans = s->srcc_win_hits = s->srcc_win_evict = 0;
			}
		}
		for (j = 0; j < nw; j++)
			per_source_prefetch(s, &st[work[j]], need[j]);
		for (j = 0; j < nb; j++) {
			const struct stage *t = &st[bs[j]];

			s->touch += ds_topk_touch(s->top_victims_b, t->src_hash ^ (unsigned)t->sensor);
		}
		for (j = 0; j < nf; j++)
			s->touch += ds_fp_touch(s->fp_slots, st[fp[j]].fp_hash);
		for (j = 0; j < nw && (an & DS_SET_AN_OVERLAP); j++) {
			const struct ds_pkt *q = &p[work[j]];
			const struct stage *t = &st[work[j]];

			if (need[j] & NEED_NEW)
				ds_bk_add(s->overlap, q->src, t->src_hash, (unsigned)t->sensor);
			if (need[j] & NEED_WATCH)
				ds_bk_add(s->watch_overlap[s->watch_slot[q->dport] - 1], q->src,
					  t->src_hash, (unsigned)t->sensor);
		}
		for (j = 0; j < nw; j++) {
			const struct ds_pkt *q = &p[work[j]];
			const struct stage *t = &st[work[j]];
			unsigned sn = (unsigned)t->sensor;

			if (need[j] & NEED_TOPK)
				ds_topk_add(s->top_src, ((uint64_t)(sn + 1) << 32) | q->src,
					    t->src_hash ^ sn, t->tools, ts);
			if (need[j] & NEED_VICTIM)
				srcc_flush_entry(s, &victim[j]);
		}
		for (j = 0; j < nb; j++) {
			const struct ds_pkt *q = &p[bs[j]];
			const struct stage *t = &st[bs[j]];
			unsigned sn = (unsigned)t->sensor;

			ds_topk_add(s->top_victims, ((uint64_t)(sn + 1) << 32) | q->src,
				    t->src_hash ^ sn, 0, ts);
		}
		for (j = 0; j < nf; j++) {
			const struct ds_pkt *q = &p[fp[j]];
			const struct stage *t = &st[fp[j]];
			struct ds_fp_key fk = { q->seq, q->sport, q->ipid, q->win };

			ds_fp_add(s->fp, &fk, t->fp_hash, q->src, (unsigned)t->sensor, q->dport, q->dst, ts);
		}
	}
}

void
ds_set_burst(struct ds_set *s, const struct ds_lpm *lpm, const struct ds_pkt *pkts,
	     unsigned n, uint64_t ts)
{
	/* one copy of the burst path per case: with every analysis on (the
	 * product) it is compiled with the mask a constant, as if there were
	 * no mask */
	if (__builtin_expect(s->analyses == DS_SET_AN_ALL, 1))
		burst(s, lpm, pkts, n, ts, DS_SET_AN_ALL);
	else
		burst(s, lpm, pkts, n, ts, s->analyses);
}

static int
merge_hlls(struct ds_hll **d, struct ds_hll *const *sr, unsigned n)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = ds_hll_merge(d[i], sr[i]);
	return rc;
}

int
ds_set_merge(struct ds_set *d, struct ds_set *s)
{
	unsigned n = d->n_sensors, i, j;
	int rc = 0;

	if (s->n_sensors != n || d == s)
		return -EINVAL;
	ds_set_flush_counts(s);	/* src_excl is folded into d->src below */
	if (s->first_ts && (!d->first_ts || s->first_ts < d->first_ts))
		d->first_ts = s->first_ts;
	if (s->last_ts > d->last_ts)
		d->last_ts = s->last_ts;
	d->late += s->late;
	for (i = 0; i < DS_SET__NCLASS; i++)
		d->classes[i] += s->classes[i];
	for (i = 0; i < DS_MAL__N; i++)
		d->malformed[i] += s->malformed[i];
	for (i = 0; i < DS_HYG__N; i++)
		d->hygiene[i] += s->hygiene[i];
	d->vlan_tagged += s->vlan_tagged;
	d->fp_skipped += s->fp_skipped;
	if (s->n_watch > d->n_watch)
		ds_set_adopt_watch(d, s, s->n_watch, 0);
	for (i = 0; i < s->n_watch; i++)
		if (s->watch_since[i] > d->watch_since[i])
			d->watch_since[i] = s->watch_since[i];
	for (i = 0; i < 65536; i++)
		d->port_scans[i] += s->port_scans[i];
	for (i = 0; i < n; i++) {
		struct ds_sensor_stats *a = &d->sensor[i];
		const struct ds_sensor_stats *b = &s->sensor[i];

		for (j = 0; j < DS_SET__NCLASS; j++)
			a->cls[j] += b->cls[j];
		a->syn_excluded += b->syn_excluded;
		for (j = 0; j < DS_TOOL__N; j++)
			a->tool_packets[j] += b->tool_packets[j];
		for (j = 0; j < DS_CONF_MAX_WATCHED; j++)
			a->watch_packets[j] += b->watch_packets[j];
		for (j = 0; j < DS_HYG__N; j++)
			a->hygiene[j] += b->hygiene[j];
		if ((rc = ds_cm_merge(d->ports[i], s->ports[i])) ||
		    (rc = ds_cm_merge(d->bs_ports[i], s->bs_ports[i])))
			return rc;
	}
	if ((rc = merge_hlls(d->src, s->src, n)) ||
	    (rc = merge_hlls(d->src, s->src_excl, n)) ||
	    (rc = merge_hlls(d->src_excl, s->src_excl, n)) ||
	    (rc = merge_hlls(d->victims, s->victims, n)) ||
	    (rc = merge_hlls(d->tool_src, s->tool_src, n * DS_TOOL__N)) ||
	    (rc = merge_hlls(d->watch_src, s->watch_src, n * s->n_watch)) ||
	    (rc = ds_bk_merge(d->overlap, s->overlap)) ||
	    (rc = ds_topk_merge(d->top_src, s->top_src)) ||
	    (rc = ds_topk_merge(d->top_victims, s->top_victims)) ||
	    (rc = ds_fp_merge(d->fp, s->fp)))
		return rc;
	for (i = 0; i < s->n_watch && !rc; i++)
		rc = ds_bk_merge(d->watch_overlap[i], s->watch_overlap[i]);
	return rc;
}

uint64_t
ds_set_packets(const struct ds_set *s)
{
	uint64_t t = 0;
	unsigned i;

	for (i = 0; i < DS_SET__NCLASS; i++)
		t += s->classes[i];
	return t;
}

uint64_t
ds_set_bytes(const struct ds_set *s)
{
	uint64_t b = sizeof(*s);
	unsigned n = s->n_sensors, i;

	for (i = 0; i < n; i++)
		b += ds_cm_bytes(s->ports[i]) + ds_cm_bytes(s->bs_ports[i]) +
		     ds_hll_bytes(s->src[i]) + ds_hll_bytes(s->src_excl[i]) +
		     ds_hll_bytes(s->victims[i]);
	for (i = 0; i < n * DS_TOOL__N; i++)
		b += ds_hll_bytes(s->tool_src[i]);
	for (i = 0; i < n * DS_CONF_MAX_WATCHED; i++)
		b += ds_hll_bytes(s->watch_src[i]);
	b += ds_bk_bytes(s->overlap);
	for (i = 0; i < DS_CONF_MAX_WATCHED; i++)
		b += ds_bk_bytes(s->watch_overlap[i]);
	b += ds_topk_bytes(s->top_src) + ds_topk_bytes(s->top_victims) + ds_fp_bytes(s->fp);
	b += (uint64_t)(s->srcc_mask + 1) * sizeof(*s->srcc) + (s->srcc_mask + 1) / 8 + pcount_bytes(s) +
	     ((uint64_t)1 << SRCV_BITS) * sizeof(*s->srcv) + 65536 * sizeof(*s->port_scans);
	b += (uint64_t)n * DS_SET_TOOL_SETS * sizeof(*s->scan_tools);
	return b + n * sizeof(*s->sensor);
}

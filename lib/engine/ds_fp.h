/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_fp: fixed-header fingerprints.  Finds SYN header tuples (source port,
 * ISN, IP ID, window) that many distinct sources share, the signature of a
 * botnet whose bots all run one hard-coded packet template (the seed paper's
 * Tables 4-7), in bounded memory and with no heap work per packet.
 *
 * Two levels.  A set-associative table (3-slot buckets, one cache line
 * each, so a packet costs one line) counts every tuple; a new tuple takes
 * a free slot or evicts the bucket's smallest entry that has no detail.  The first packet's source, sensor and port are kept in the
 * slot; when a second, different source sends the same tuple the slot is
 * promoted: a detail record from a fixed pool (per-sensor packets and
 * unique-source HLLs, destination ports, first/last seen, /16 matches)
 * starts with the first packet's facts and counts everything after, so the
 * per-sensor packet counts of a promoted tuple are exact unless its slot is
 * evicted, which only happens to tuples seen from one source.  Random-ISN
 * scanners produce singleton tuples that never reach the pool.
 */
#ifndef DS_FP_H
#define DS_FP_H

#include <stddef.h>
#include <stdint.h>

#include "ds_hash.h"

#define DS_FP_PORT_SLOTS 16

struct ds_fp;

struct ds_fp_key {
	uint32_t seq;
	uint16_t sport;
	uint16_t ipid;
	uint16_t win;
};

/* A promoted tuple as the report sees it. */
struct ds_fp_info {
	struct ds_fp_key key;
	uint64_t packets;
	const uint64_t *sensor_packets;	/* n_sensors */
	uint64_t first_ts;		/* ns since epoch */
	uint64_t last_ts;
	uint64_t slash16_match;		/* packets whose dst /16 == seq */
	uint16_t ports[DS_FP_PORT_SLOTS];	/* destination ports seen first */
	uint64_t port_packets[DS_FP_PORT_SLOTS];
	unsigned n_ports;
	uint64_t other_port_packets;	/* ports that found no slot */
};

/* table_slots: power of two >= 64; detail: pool size; hll_p: precision of
 * the per-sensor source HLLs.  NULL + errno on error. */
struct ds_fp *ds_fp_create(uint32_t table_slots, uint32_t detail,
			   unsigned n_sensors, unsigned hll_p);
void ds_fp_free(struct ds_fp *f);

/* Count one SYN.  hash = ds_fp_hash(key).  The source's hash (for the
 * promoted tuples' HLLs) is computed only when it is needed. */
void ds_fp_add(struct ds_fp *f, const struct ds_fp_key *k, uint64_t hash,
	       uint32_t src, unsigned sensor, uint16_t dport, uint32_t dst, uint64_t ts);

static inline uint64_t
ds_fp_hash(const struct ds_fp_key *k)
{
	uint64_t x = ((uint64_t)k->seq << 32) ^ ((uint64_t)k->sport << 16) ^ k->ipid;

	x ^= (uint64_t)k->win * 0x9e3779b97f4a7c15ULL;
	return ds_hash_fmix64(x);
}

/* Prefetching the bucket ds_fp_add() will read: ds_fp_slots() gives the
 * bucket array (fixed for f's life) and its size; ds_fp_prefetch() touches
 * the bucket of hash = ds_fp_hash(key): one 64-byte cache line. */
#define DS_FP_BUCKET_BYTES 64
struct ds_fp_slots {
	const uint8_t *base;
	uint32_t n_buckets;
	const uint64_t *promoted;	/* 2^16 bits: see ds_fp_triple_promoted */
};
struct ds_fp_slots ds_fp_slots(const struct ds_fp *f);

/* A 16-bit tag of a tuple's fixed part (source port, IP ID, window), the
 * part a fixed-header family shares.  The table keeps one bit per tag, set
 * when a tuple with that tag is promoted: ds_fp_triple_promoted() says
 * whether a packet's triple may belong to a promoted tuple (false
 * positives at about the rate tags collide, no false negatives). */
static inline uint32_t
ds_fp_triple_tag(uint16_t sport, uint16_t ipid, uint16_t win)
{
	uint64_t x = (uint64_t)sport << 32 | (uint64_t)ipid << 16 | win;

	return (uint32_t)((x * 0x9e3779b97f4a7c15ULL) >> 48);
}

static inline int
ds_fp_triple_promoted(struct ds_fp_slots v, uint32_t tag)
{
	return (int)((v.promoted[tag >> 6] >> (tag & 63)) & 1);
}

/* The filter word ds_fp_triple_promoted() reads (to prefetch it). */
static inline const uint64_t *
ds_fp_triple_word(struct ds_fp_slots v, uint32_t tag)
{
	return &v.promoted[tag >> 6];
}

/* Bucket of a tuple hash: 32 of its bits (12-43) scaled to [0, n_buckets)
 * by a multiply, so the bucket count need not be a power of two. */
static inline size_t
ds_fp_bucket(uint32_t n_buckets, uint64_t hash)
{
	return (size_t)(((uint64_t)(uint32_t)(hash >> 12) * n_buckets) >> 32);
}

static inline void
ds_fp_prefetch(struct ds_fp_slots v, uint64_t hash)
{
	__builtin_prefetch(v.base + ds_fp_bucket(v.n_buckets, hash) * DS_FP_BUCKET_BYTES, 1);
}

/* The same as a load (a software prefetch that misses the TLB may be
 * dropped, a load is not): from a separate pass before the adds, so the
 * misses overlap.  Returns a value to be ignored. */
static inline uint32_t
ds_fp_touch(struct ds_fp_slots v, uint64_t hash)
{
	const uint8_t *b = v.base + ds_fp_bucket(v.n_buckets, hash) * DS_FP_BUCKET_BYTES;

	return *(const volatile uint32_t *)b;
}

/* dst += src (same shape).  0 or -EINVAL. */
int ds_fp_merge(struct ds_fp *dst, const struct ds_fp *src);
void ds_fp_clear(struct ds_fp *f);

/* Visit promoted tuples; info is valid during the call only.  Estimates of
 * unique sources come from ds_fp_sources(). */
typedef int (*ds_fp_visit_fn)(const struct ds_fp_info *info, void *arg);
int ds_fp_foreach(const struct ds_fp *f, ds_fp_visit_fn fn, void *arg);

/* Unique sources of the tuple being visited, at one sensor or (sensor < 0)
 * at all sensors (HLL union). */
double ds_fp_sources(const struct ds_fp *f, const struct ds_fp_info *info, int sensor);

/* Health figures for the report. */
uint64_t ds_fp_evictions(const struct ds_fp *f);	/* singleton tuples displaced */
uint64_t ds_fp_dropped(const struct ds_fp *f);	/* packets of tuples that found no slot */
uint64_t ds_fp_detail_full(const struct ds_fp *f);	/* promotions refused: pool full */
uint64_t ds_fp_bytes(const struct ds_fp *f);


/* Serialization for the archive (docs/archive-format.md).  ds_fp_dump()
 * writes into buf when len is large enough and returns the size it needs
 * either way: a 48-byte header, the used detail records (with per-sensor
 * packets and HLL registers), then the occupied slots. */
size_t ds_fp_dump(const struct ds_fp *f, void *buf, size_t len);
/* Replace f's content by a dump of a table of the same shape (slots,
 * n_sensors, hll_p; detail pool at least as large).  -EINVAL on any
 * inconsistency (f is then left cleared); never reads outside buf. */
int ds_fp_load(struct ds_fp *f, const void *buf, size_t len);
/* dst += src where src's sensor i is dst's sensor map[i] (DS_FP_DROP:
 * not counted per sensor; tuple totals still include it); table sizes and
 * sensor counts may differ, hll_p must agree.  0 or -EINVAL. */
#define DS_FP_DROP 0xffffu
int ds_fp_merge_map(struct ds_fp *dst, const struct ds_fp *src, const uint16_t *map);

#endif

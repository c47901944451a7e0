/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_set: everything darkscope learns about one period on one core, the
 * "sketch set".  A worker owns two sets and flips between them at period
 * boundaries; the manager merges the retired sets of all workers into one
 * and hands that to the report.  All memory is allocated by ds_set_create()
 * from the configuration; processing a burst allocates nothing.
 *
 * Per packet: the class (ds_parse), the destination sensor (ds_lpm), and for
 * a clean SYN at a sensor: exact counters, count-min over the destination
 * port, HyperLogLog over the source (all ports, and without the excluded
 * ports), per-watched-port counters, HLLs and bottom-K overlap samples, tool
 * labels (Mirai, legacy ZMap, Masscan) with their HLLs, the top-sources
 * table and the fixed-header fingerprint table.  Backscatter gets its own
 * counters, victim HLL, port sketch and top-victims table.
 *
 * The struct is public so that the report can read it; only ds_set_*()
 * functions write it.
 */
#ifndef DS_SET_H
#define DS_SET_H

#include <stdint.h>

#include "ds_bk.h"
#include "ds_cm.h"
#include "ds_conf.h"
#include "ds_fp.h"
#include "ds_hll.h"
#include "ds_lpm.h"
#include "ds_parse.h"
#include "ds_topk.h"

/* Global classes: the parser's, plus two the engine decides. */
enum {
	DS_SET_OUTSIDE = DS_CLASS__N,	/* well-formed IPv4 to no sensor */
	DS_SET_HYGIENE,			/* SYN to a sensor from a bad source */
	DS_SET__NCLASS
};

enum ds_tool { DS_TOOL_MIRAI = 0, DS_TOOL_ZMAP, DS_TOOL_MASSCAN, DS_TOOL__N };

/* Flag bits kept with top sources. */
#define DS_SET_FLAG_TOOL(t) (1u << (t))

struct ds_sensor_stats {
	uint64_t cls[DS_SET__NCLASS];	/* per class at this sensor */
	uint64_t syn_excluded;		/* scan packets to excluded ports */
	uint64_t tool_packets[DS_TOOL__N];
	uint64_t watch_packets[DS_CONF_MAX_WATCHED];
	uint64_t hygiene[DS_HYG__N];
};

#define DS_SET_SPECIAL_BITS 4096
#define DS_SET_TOOL_SETS (1u << DS_TOOL__N)	/* sets of tool flags */

struct ds_set {
	const struct ds_conf *conf;
	unsigned n_sensors;
	int64_t period;			/* period index, -1 while unassigned */
	uint64_t first_ts;		/* ns, first and last packet counted */
	uint64_t last_ts;
	uint64_t late;			/* packets older than the period start */

	uint64_t classes[DS_SET__NCLASS];
	uint64_t malformed[DS_MAL__N];
	uint64_t hygiene[DS_HYG__N];
	uint64_t vlan_tagged;

	struct ds_sensor_stats *sensor;	/* n_sensors */
	struct ds_cm **ports;		/* per sensor: scan dst ports */
	uint64_t *port_scans;		/* [port]: scan packets at all sensors,
					 * exact (ds_set_flush; merged; not in
					 * archives, which keep the count-min) */
	struct ds_cm **bs_ports;	/* per sensor: backscatter src ports */
	struct ds_hll **src;		/* per sensor: scan sources */
	struct ds_hll **src_excl;	/* per sensor: sources without excluded ports */
	struct ds_hll **victims;	/* per sensor: backscatter sources */
	struct ds_hll **tool_src;	/* [tool * n_sensors + sensor] */
	struct ds_hll **watch_src;	/* [slot * n_sensors + sensor] */
	struct ds_bk *overlap;		/* all scan sources */
	struct ds_bk **watch_overlap;	/* per watched slot */
	struct ds_topk *top_src;	/* key (sensor + 1) << 32 | src */
	struct ds_topk *top_victims;	/* key (sensor + 1) << 32 | src */
	struct ds_fp *fp;
	/* Transient, not part of the set's value: bucket arrays of the big
	 * tables for the burst's warming pass, and its (ignored) result. */
	struct ds_fp_slots fp_slots;
	struct ds_topk_buckets top_src_b, top_victims_b;
	uint64_t touch;
	/* Source cache of the burst path (ds_set.c): which per-source
	 * updates a (sensor, source) already had in this set, and its
	 * top-sources packets not yet in top_src (see ds_set_flush). */
	struct ds_set_srcc *srcc;
	uint32_t srcc_mask;		/* buckets - 1 */
	uint64_t *srcc_used;		/* bit per bucket: had an entry since
					 * the last clear (flush and clear
					 * visit only these) */
	uint64_t srcc_hits, srcc_misses;
	uint64_t srcc_victims;		/* entries with pending packets pushed out */
	uint64_t fp_skipped;		/* scans not offered to fp (ds_set.c) */
	/* Port counters of the burst path: scan packets per (sensor, port)
	 * not yet added to the count-min sketches, [port << pcount_shift |
	 * sensor] (see ds_set.c and ds_set_flush). */
	uint8_t *pcount;
	unsigned pcount_shift;		/* log2 of n_sensors rounded up */
	int pcount_dirty;		/* a counter may be nonzero */
	/* Fingerprint filter while the cache is off: per source, src << 32 |
	 * triple tag << 16 | varies (see ds_set.c, SRCV_BITS). */
	uint64_t *srcv;
	uint8_t *src_fold;		/* per sensor: src_excl to fold into src */
	uint64_t *scan_tools;		/* [sensor * DS_SET_TOOL_SETS + tool flags]:
					 * scan packets not yet in the sensor's cls
					 * and tool_packets (see ds_set_flush) */
	uint64_t port_special[DS_SET_SPECIAL_BITS / 64];	/* bit port % DS_SET_SPECIAL_BITS:
					 * a watched or excluded port */
	uint32_t srcc_win_hits, srcc_win_scans;	/* current measurement */
	uint32_t srcc_win_evict;	/* its misses that pushed an entry out */
	uint32_t srcc_direct;		/* scans left to count without it */
	unsigned analyses;		/* DS_SET_AN_* the burst updates */

	/* Watched ports in this set: slot i watches watch_port[i]. */
	unsigned n_watch;
	uint16_t watch_port[DS_CONF_MAX_WATCHED];
	uint32_t watch_surge;		/* bit i: slot i came from surge detection */
	uint64_t watch_since[DS_CONF_MAX_WATCHED];	/* ns; counting began
					 * mid-period (0: whole period) */
	uint8_t watch_slot[65536];	/* port -> slot + 1, 0 = not watched */
	uint8_t excluded[65536];	/* port -> 1 if excluded */
};

/* The analyses a set's burst path updates; all, unless ds_set_analyses()
 * switches some off.  That is for measurement: dpbench times this very
 * path with each analysis on alone and cumulatively.  An analysis switched
 * off leaves its sketches empty (and a report of the set shows them so);
 * the exact counters (classes, sensors, hygiene, tool and watched-port
 * packets), the source cache and backscatter are always kept. */
enum ds_set_analysis {
	DS_SET_AN_PORTS = 1 << 0,	/* count-min over destination ports */
	DS_SET_AN_SOURCES = 1 << 1,	/* source HLLs, all ports and without
					 * the excluded ones */
	DS_SET_AN_OVERLAP = 1 << 2,	/* bottom-K samples, all and watched */
	DS_SET_AN_TOOLS = 1 << 3,	/* tool and watched-port source HLLs */
	DS_SET_AN_TOPSRC = 1 << 4,	/* top-sources table */
	DS_SET_AN_FP = 1 << 5,		/* fingerprint table */
	DS_SET_AN_ALL = (1 << 6) - 1
};

/* Allocate a set for conf (which must outlive it).  NULL + errno. */
struct ds_set *ds_set_create(const struct ds_conf *conf);
void ds_set_free(struct ds_set *s);

/* Zero every counter and sketch; keeps the watched-port table and the
 * analyses. */
void ds_set_clear(struct ds_set *s);

/* Update only the analyses in mask (DS_SET_AN_*) from now on; call on a
 * new or cleared set.  -EINVAL for bits beyond DS_SET_AN_ALL. */
int ds_set_analyses(struct ds_set *s, unsigned mask);

/* Watch port (slot appended) from now on; surge marks its origin.
 * 0, -EEXIST (already watched) or -ENOSPC. */
int ds_set_watch(struct ds_set *s, uint16_t port, int surge);
/* Start watching, from time now (ns), the slots [dst->n_watch, n) that src
 * watches: how a worker adopts a port the manager found surging without
 * waiting for its next set.  src's slots below n must not change. */
void ds_set_adopt_watch(struct ds_set *dst, const struct ds_set *src, unsigned n,
			uint64_t now);
/* Make dst watch exactly what src watches (slots in the same order). */
void ds_set_copy_watch(struct ds_set *dst, const struct ds_set *src);

/* Count n parsed packets received at time ts (ns since the epoch).
 * Packets of a (sensor, source) already seen in this set are counted in
 * the top-sources table only when the set is flushed (ds_set_flush); the
 * first and last times they give an entry there are whole seconds, rounded
 * down (not before the set's first packet). */
void ds_set_burst(struct ds_set *s, const struct ds_lpm *sensors,
		  const struct ds_pkt *pkts, unsigned n, uint64_t ts);

/* Write the packets the burst path holds back into the top-sources table
 * and the count-min sketches, and complete the source HLLs: the burst path
 * adds a source to src_excl or to src, not both, and src gets src_excl's
 * sources here (a pass over the sensors' registers).  Call before reading
 * those or dumping a set that ds_set_burst() wrote.  ds_set_merge() needs
 * neither: it writes the held-back packets and merges src_excl into dst's
 * src as well. */
void ds_set_flush(struct ds_set *s);
/* The part of ds_set_flush() whose work follows the packets (the held-back
 * counts), without the pass over the HLL registers. */
void ds_set_flush_counts(struct ds_set *s);

/* dst += src (src's held-back counts are written first).  Both from the same conf.  Watched
 * slots are append-only and in the same order everywhere, so when src
 * watches more ports than dst, dst takes src's table first (a window over
 * several periods keeps a port that started to be watched during it).
 * 0 or -EINVAL. */
int ds_set_merge(struct ds_set *dst, struct ds_set *src);

/* Total packets counted (sum of classes). */
uint64_t ds_set_packets(const struct ds_set *s);

/* Bytes of sketch memory, total and per sensor (for the memory report). */
uint64_t ds_set_bytes(const struct ds_set *s);

/* Build the destination -> sensor table for conf (value = index + 1). */
struct ds_lpm *ds_set_sensor_lpm(const struct ds_conf *conf);

static inline unsigned
ds_set_tool_of(const struct ds_pkt *p)
{
	unsigned t = 0;

	if (p->seq == p->dst)
		t |= DS_SET_FLAG_TOOL(DS_TOOL_MIRAI);
	if (p->ipid == 54321)
		t |= DS_SET_FLAG_TOOL(DS_TOOL_ZMAP);
	if (p->ipid == ((p->dst ^ p->dport ^ p->seq) & 0xffff))
		t |= DS_SET_FLAG_TOOL(DS_TOOL_MASSCAN);
	return t;
}

const char *ds_set_tool_name(unsigned tool);

#endif

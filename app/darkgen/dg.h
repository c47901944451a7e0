/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen: the scenario generator's shared types.
 *
 * A scenario (scenario.c, loaded from a libconfig file) is a list of sensors,
 * a list of country source blocks and a list of campaigns.  gen.c walks the
 * date range one UTC day at a time: every campaign appends that day's probes
 * to an event array, noise is added, the array is shuffled and stamped with
 * nondecreasing times, then each event is built into a frame (frame.c),
 * handed to the sinks (pcap file, DPDK port) and to the ground truth
 * (truth.c), which counts what was written, never what was asked for.
 * Memory is one day's events plus the exact source sets of the truth.
 */
#ifndef DG_H
#define DG_H

#include <stdint.h>
#include <stddef.h>

#define DG_MAX_SENSORS 4
#define DG_MAX_PREFIX 8
#define DG_MAX_CC 64
#define DG_MAX_BLOCKS 256
#define DG_MAX_CAMPAIGNS 64
#define DG_MAX_PORTS 64
#define DG_MAX_WATCH 8
#define DG_MAX_FP 8
#define DG_DAY_US 86400000000ULL

/* Event kinds: 0 is a clean scan SYN, the rest are the noise kinds. */
enum dg_kind {
	DG_K_SCAN = 0,
	DG_K_SYN_ACK, DG_K_RST, DG_K_UDP, DG_K_ICMP, DG_K_IPV6, DG_K_ARP,
	DG_K_VLAN_SYN, DG_K_QINQ_SYN, DG_K_VLAN_UDP, DG_K_FRAGMENT,
	DG_K_TRUNCATED, DG_K_BAD_IHL, DG_K_BAD_TOTLEN, DG_K_BOGON_SRC,
	DG_K_SRC_EQ_DST, DG_K_SRC_NET_BCAST, DG_K_OUTSIDE, DG_K_TCP_OTHER,
	DG_K_COUNT
};

/* Frame classes of truth.json "classes", every frame in exactly one. */
enum dg_class {
	DG_C_SCAN = 0, DG_C_BACKSCATTER, DG_C_TCP_OTHER, DG_C_UDP, DG_C_ICMP,
	DG_C_IPV4_OTHER, DG_C_FRAGMENT, DG_C_IPV6, DG_C_NONIP, DG_C_MALFORMED,
	DG_C_OUTSIDE, DG_C_HYGIENE, DG_C_COUNT
};

enum dg_tool { DG_TOOL_NONE = 0, DG_TOOL_MIRAI, DG_TOOL_ZMAP, DG_TOOL_MASSCAN,
	       DG_TOOL_MASSCAN_NEW };

/* Header field modes of a campaign. */
#define DG_RANDOM (-1LL)

/* Event flags. */
#define DG_F_IPOPT 0x01 /* 4 bytes of IP options (IHL 6) */
#define DG_F_MSS 0x02   /* TCP MSS option (doff 6) */

struct dg_prefix {
	uint32_t base;
	uint32_t mask;
	int len;
};

struct dg_sensor {
	char name[16];
	char cc[3];
	int cc_idx;
	struct dg_prefix pfx[DG_MAX_PREFIX];
	int npfx;
	uint32_t naddr;
};

struct dg_block {
	struct dg_prefix p;
	int cc_idx;
	int draw;
	uint64_t hosts;   /* addresses not ending in .0 or .255 */
};

struct dg_country {
	char cc[3];
	uint64_t hosts;          /* draw-able hosts over its blocks */
	int nblk;
	int blk[16];             /* indexes into scenario blocks */
};

/* One pool of sources: a split-mode target or the whole overlap campaign. */
struct dg_pool {
	int sensor;              /* -1: overlap mode, sensors per source */
	uint64_t sources;
	uint64_t packets;
	uint64_t first;          /* first source index of the pool */
};

struct dg_campaign {
	char name[32];
	uint64_t key;
	int day0, day1;          /* active days, relative to scenario start */
	int ncc;
	int cc_idx[DG_MAX_CC];
	double cc_cum[DG_MAX_CC];
	int has_cidr;
	struct dg_prefix cidr;
	int npool;
	struct dg_pool pool[DG_MAX_SENSORS];
	double spp_cum[DG_MAX_SENSORS];   /* P(k sensors), cumulative */
	double sw[DG_MAX_SENSORS];        /* sensor weights */
	int nport;
	uint16_t port[DG_MAX_PORTS];      /* 0: random "other" port */
	double port_cum[DG_MAX_PORTS];
	long long sport, seq, ipid, window, ttl;
	int tool;
	int filter_low;                   /* 2nd and 4th octet < 128 only */
	double ipopt_share;
};

struct dg_fp {
	uint16_t sport, ipid, window;
	uint32_t seq;
};

struct dg_window {
	int port;
	int day0, day1;
};

struct dg_scenario {
	char name[64];
	int64_t start;           /* unix seconds of the first day 00:00 UTC */
	int ndays;
	int nsensors;
	struct dg_sensor sensor[DG_MAX_SENSORS];
	int nblocks;
	struct dg_block block[DG_MAX_BLOCKS];
	int ncc;
	struct dg_country country[DG_MAX_CC];
	int ncamp;
	struct dg_campaign camp[DG_MAX_CAMPAIGNS];
	int nwatch;
	uint16_t watch[DG_MAX_WATCH];
	struct dg_window win[DG_MAX_WATCH];
	int nfp;
	struct dg_fp fp[DG_MAX_FP];
	double noise_share;
	double noise_w[DG_K_COUNT];
	double scale;
	uint64_t seed;
};

/* One probe or noise frame, before it is built; 24 bytes. */
struct dg_event {
	uint32_t src, dst, seq;
	uint16_t sport, dport, ipid, win;
	uint8_t kind, ttl, sensor, flags;
};

/* scenario.c */
int dg_scenario_load(struct dg_scenario *s, const char *path, double scale,
		     uint64_t seed, const char *start, const char *end);
int dg_parse_date(const char *str, int64_t *out);
int dg_parse_cidr(const char *str, struct dg_prefix *p);

/* addr.c */
int dg_is_bogon(uint32_t a);
int dg_bogon_overlaps(const struct dg_prefix *p);
int dg_sensor_of(const struct dg_scenario *s, uint32_t a);
int dg_country_of(const struct dg_scenario *s, uint32_t a);
uint32_t dg_addr_in_prefix_hosts(const struct dg_prefix *p, uint64_t h);
uint32_t dg_country_addr(const struct dg_scenario *s, int cc, uint64_t idx,
			 uint64_t key);
uint32_t dg_cidr_addr(const struct dg_prefix *p, uint64_t idx, uint64_t key);
uint32_t dg_sensor_addr(const struct dg_sensor *sn, uint64_t r);
uint32_t dg_bogon_addr(uint64_t r);
int dg_write_sources(const struct dg_scenario *s, const char *path);
void dg_fmt_ip(uint32_t a, char *buf, size_t n);

/* frame.c */
uint32_t dg_frame_build(const struct dg_event *e, uint8_t *buf);

/* truth.c */
struct dg_truth;
struct dg_truth *dg_truth_create(const struct dg_scenario *s);
void dg_truth_free(struct dg_truth *t);
void dg_truth_add(struct dg_truth *t, const struct dg_event *e, int day);
/* Warms the cache for a later dg_truth_add() of e. */
void dg_truth_prefetch(const struct dg_truth *t, const struct dg_event *e);
void dg_truth_day_end(struct dg_truth *t, int day);
int dg_truth_write(struct dg_truth *t, const char *path);
int dg_kind_class(int kind);
const char *dg_kind_name(int kind);
int dg_kind_by_name(const char *name);

/* sink: where built frames go (pcap file, DPDK port) */
struct dg_sink {
	int (*emit)(void *ctx, const uint8_t *frame, uint32_t len, uint64_t ts_us);
	void *ctx;
};

/* gen.c */
struct dg_gen_stats {
	uint64_t packets;
	uint64_t bytes;
};
int dg_generate(const struct dg_scenario *s, struct dg_sink *sinks, int nsinks,
		struct dg_truth *t, struct dg_gen_stats *st);

/* tx.c */
struct dg_tx;
struct dg_tx *dg_tx_open(int argc, char **argv, int port, double rate);
int dg_tx_emit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t ts_us);
void dg_tx_close(struct dg_tx *tx, uint64_t *sent, uint64_t *dropped);

#endif

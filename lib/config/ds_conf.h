/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_conf: darkscope's configuration, read with libconfig and validated in
 * one place.  One function per key, defaults as named constants; every error
 * says where (file:line, which libconfig gives), which key, what is wrong and
 * what is allowed.  The result is a plain read-only struct that the app and
 * the engine share; nothing here touches DPDK.
 */
#ifndef DS_CONF_H
#define DS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_CONF_MAX_SENSORS 256
#define DS_CONF_MAX_PREFIXES 64
#define DS_CONF_MAX_PORTS 16
#define DS_CONF_MAX_WATCHED 16	/* configured + surge-detected */
#define DS_CONF_MAX_EXCLUDED 16
#define DS_CONF_NAME_LEN 32
#define DS_CONF_PATH_LEN 512

/* The longest period: the largest multiple of a day whose seconds fit the
 * archive's 32-bit period field (lib/archive), 49,710 days (136 years), so
 * one period can cover a whole capture from the epoch on and its archive
 * still reads back. */
#define DS_CONF_MAX_PERIOD (49710u * 86400u)

/* Defaults (named so docs and code agree). */
#define DS_CONF_DEF_PERIOD 3600
#define DS_CONF_DEF_CM_WIDTH 4096
#define DS_CONF_DEF_CM_DEPTH 4
#define DS_CONF_DEF_HLL_P 16
#define DS_CONF_DEF_WATCH_HLL_P 12
#define DS_CONF_DEF_OVERLAP_K 65536
#define DS_CONF_DEF_WATCH_K 65536
#define DS_CONF_DEF_FP_MIN_SOURCES 10
#define DS_CONF_DEF_FP_TABLE 262144
#define DS_CONF_DEF_FP_DETAIL 1024
#define DS_CONF_DEF_FP_HLL_P 10
#define DS_CONF_DEF_TOPSRC_LOG2 14
#define DS_CONF_DEF_TOP_PORTS 10
#define DS_CONF_DEF_TOP_SOURCES 20
#define DS_CONF_DEF_SURGE_FACTOR 10.0
#define DS_CONF_DEF_SURGE_MIN 1000
#define DS_CONF_DEF_SURGE_HISTORY 24
#define DS_CONF_DEF_LOCAL_SHARE 0.95
#define DS_CONF_DEF_LOCAL_RATIO 10.0
#define DS_CONF_DEF_BURST 64
#define DS_CONF_DEF_RXD 1024
#define DS_CONF_DEF_MBUFS 16383
#define DS_CONF_DEF_ARCHIVE_KEEP_DAYS 7

struct ds_conf_prefix {
	uint32_t addr;		/* host order, host bits zero */
	uint8_t len;
};

struct ds_conf_sensor {
	char name[DS_CONF_NAME_LEN];
	char country[3];	/* ISO 3166 alpha-2, upper case */
	unsigned n_prefixes;
	struct ds_conf_prefix prefixes[DS_CONF_MAX_PREFIXES];
	uint64_t addresses;	/* sum of prefix sizes */
};

struct ds_conf_port {
	char devargs[DS_CONF_PATH_LEN];	/* vdev devargs or PCI address */
	unsigned queues;		/* rx queues = workers on this port */
};

enum ds_clock { DS_CLOCK_WALL = 0, DS_CLOCK_PACKET = 1 };

enum ds_format {
	DS_FMT_JSON = 1u << 0,
	DS_FMT_CSV = 1u << 1,
	DS_FMT_HTML = 1u << 2,
};

struct ds_conf {
	char path[DS_CONF_PATH_LEN];

	unsigned n_sensors;
	struct ds_conf_sensor *sensors;	/* n_sensors entries */

	unsigned n_ports;
	struct ds_conf_port ports[DS_CONF_MAX_PORTS];
	unsigned burst;
	unsigned rx_descriptors;
	unsigned mbufs;

	uint32_t period;	/* seconds, divides a day or a multiple of it */
	enum ds_clock clock;

	char out_dir[DS_CONF_PATH_LEN];
	unsigned formats;	/* enum ds_format bits */
	char archive_dir[DS_CONF_PATH_LEN];	/* "" = no archive */

	char geoip[DS_CONF_PATH_LEN];	/* "" = no country data */

	unsigned n_watched;
	uint16_t watched[DS_CONF_MAX_WATCHED];
	unsigned n_excluded;
	uint16_t excluded[DS_CONF_MAX_EXCLUDED];

	/* sketches */
	unsigned cm_width_log2;
	unsigned cm_depth;
	unsigned hll_p;
	unsigned watch_hll_p;
	uint32_t overlap_k;
	uint32_t watch_k;
	unsigned fp_min_sources;
	uint32_t fp_table;
	uint32_t fp_detail;
	unsigned fp_hll_p;
	unsigned topsrc_log2;		/* by default grown with the sensors:
					 * ds_conf_pair_scale_log2() */
	uint32_t srcc_buckets;		/* source cache (ds_set.c); 0: by the
					 * number of sensors */

	/* analyses */
	unsigned top_ports;
	unsigned top_sources;
	double surge_factor;
	uint64_t surge_min_packets;
	unsigned surge_history;
	double local_share;
	double local_ratio;
	bool hygiene_exclude;

	/* archive (issue 5) */
	unsigned archive_keep_days;	/* per-period files kept, then daily; 0 = never roll up */
	char site[DS_CONF_NAME_LEN];	/* site name stored in archives, "" = none */
};

/* Load and validate path.  Returns NULL and writes
 * "file:line: key: what is wrong; allowed: ..." into err on any error
 * (unknown key, bad type or value, overlapping sensor prefixes, ...). */
struct ds_conf *ds_conf_load(const char *path, char *err, size_t errlen);

/* A configuration with every default and no sensors (tests, tools). */
struct ds_conf *ds_conf_default(void);

void ds_conf_free(struct ds_conf *c);

/* Whether secs is a period length darkscope accepts, from period.length or
 * -p: 1..DS_CONF_MAX_PERIOD seconds, and a divisor of 86400 or a multiple
 * of it (periods start at multiples of the length since the epoch, so they
 * align to UTC days).  0, or -EINVAL with "what is wrong; allowed: ..."
 * (no file, line or key) in why. */
int ds_conf_check_period(long long secs, char *why, size_t len);

/* log2 of how many times the tables whose entries are (sensor, source)
 * pairs grow by default for n sensors: 0 up to 32 sensors, one more per
 * doubling, at most 3 (from 129).  A source sweeping the space meets every
 * sensor, so such pairs grow with the sensors.  ds_conf_load() sizes
 * top_sources_table by it unless the file gives one; ds_set sizes its
 * source cache by it. */
static inline unsigned
ds_conf_pair_scale_log2(unsigned n_sensors)
{
	unsigned l = 0;

	while (l < 3 && (32u << l) < n_sensors)
		l++;
	return l;
}

/* Parse "a.b.c.d/len" (host bits must be zero).  0 or -EINVAL. */
int ds_conf_parse_prefix(const char *s, struct ds_conf_prefix *out);

/* Format a prefix as "a.b.c.d/len" into buf (>= 19 bytes). */
void ds_conf_format_prefix(const struct ds_conf_prefix *p, char *buf, size_t len);

#endif

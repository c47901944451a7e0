/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_report: turns one merged ds_set into the darkscope.report/1 document
 * (docs/report-format.md) and writes it, with the CSV tables named after
 * the seed paper's tables, atomically: every file of a period goes into a
 * hidden temporary directory that is fsynced and renamed into place, so a
 * reader sees a whole period or nothing.  The live appliance and
 * darkscope-report use the same code.  Uses jansson for JSON.
 */
#ifndef DS_REPORT_H
#define DS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ds_conf.h"
#include "ds_geo.h"
#include "ds_set.h"

#define DS_REPORT_SCHEMA "darkscope.report/1"

struct ds_capture {
	uint64_t rx_packets;	/* from rte_eth_stats, summed over ports */
	uint64_t rx_missed;
	uint64_t rx_errors;
	uint64_t rx_nombuf;
	uint64_t worker_waits;	/* period ends at which a worker waited for
				 * the manager to hand back a set */
};

struct ds_surge_event {
	uint16_t port;
	uint64_t packets;
	double trailing_mean;
};

struct ds_report_ctx {
	const struct ds_conf *conf;
	const struct ds_geo *geo;	/* NULL: countries "--" */
	int64_t start;			/* window, seconds since the epoch */
	int64_t end;
	struct ds_capture capture;
	const struct ds_surge_event *surges;	/* detected this period */
	unsigned n_surges;
	const char *source;		/* "live", "pcap", "archive" */
};

/* Build the report of set s.  Returns a new reference or NULL (ENOMEM). */
json_t *ds_report_build(struct ds_set *s, const struct ds_report_ctx *ctx);

/* ds_report_write() flags */
#define DS_REPORT_NOSYNC 1u	/* no fsync: the caller syncs a batch at its end */

/* Write report (and, per formats, the CSV tables and HTML page) into
 * dir/<name>/ atomically.  name is e.g. "20140401T000000Z".  Each file,
 * the new directory and dir are fsynced unless flags has
 * DS_REPORT_NOSYNC; the rename makes the period visible whole either way.
 * Returns 0 or -errno with a message in err. */
int ds_report_write(json_t *report, const char *dir, const char *name,
		    unsigned formats, unsigned flags, char *err, size_t errlen);

/* "YYYY-MM-DDTHH:MM:SSZ" and "YYYYMMDDTHHMMSSZ" forms of t. */
void ds_report_iso(int64_t t, char *buf, size_t len);
void ds_report_stamp(int64_t t, char *buf, size_t len);

/* Write the CSV tables of report into dir (no atomicity; used by
 * ds_report_write inside its temporary directory). */
int ds_report_write_csv(json_t *report, const char *dir);

/* Write a self-contained HTML page for report (or a list of reports, a
 * JSON array, for series) to path.  0 or -errno. */
int ds_report_write_html(json_t *report, const char *path);

#endif

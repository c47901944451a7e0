/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Internal to lib/report: helpers shared by the report's source files.
 */
#ifndef DS_REPORT_INT_H
#define DS_REPORT_INT_H

#include "ds_report.h"

struct walk {
	const struct ds_report_ctx *x;
	unsigned n_sensors;
	uint64_t *hist;		/* sensors-per-source histogram, n + 1 */
	uint64_t *per_sensor;	/* sampled sources per sensor */
	uint64_t *only;		/* sampled sources seen only at sensor */
	uint64_t *slash16;	/* per sensor: source in the sensor's /16 */
	uint64_t *own_country;	/* per sensor: source in the sensor's country */
	uint64_t *cc;		/* [sensor * DS_GEO_MAX_COUNTRIES + country] */
	uint64_t *cc_only;	/* same, seen only at that sensor */
	uint64_t *cc_all;	/* per country: distinct sources */
	uint64_t total;
};

struct walk *ds_report_walk(struct ds_bk *bk, const struct ds_report_ctx *x, unsigned n);
void ds_report_walk_free(struct walk *w);
json_t *ds_report_jaddr(uint32_t a);
json_t *ds_report_jtime(uint64_t ns);
double ds_report_share(double part, double whole);
json_t *ds_report_jcount(double v, double scale);
const char *ds_report_country(const struct ds_report_ctx *x, uint32_t a);
json_t *ds_report_top_ports(const struct ds_cm *cm, unsigned n, uint64_t total);
json_t *ds_report_hist(const struct walk *w, double scale);
json_t *ds_report_countries(const struct walk *w, const struct ds_report_ctx *x, unsigned s,
			    double scale, unsigned limit);
int ds_report_in_slash16(const struct ds_conf_sensor *sn, uint32_t src);

/* Adds watched_ports, fingerprints, families, tools, top_sources,
 * backscatter, local_attacks and surges to report r. */
void ds_report_analytics(json_t *r, struct ds_set *s, const struct ds_report_ctx *x,
			 const struct walk *all);

#endif

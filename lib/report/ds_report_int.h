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
	unsigned n_cc;		/* country indices: 0 (unknown) .. ds_geo_count() */
	uint64_t *hist;		/* sensors-per-source histogram, n + 1 */
	uint64_t *per_sensor;	/* sampled sources per sensor */
	uint64_t *only;		/* sampled sources seen only at sensor */
	uint64_t *slash16;	/* per sensor: source in the sensor's /16 */
	uint64_t *own_country;	/* per sensor: source in the sensor's country */
	uint64_t *cc;		/* [sensor * n_cc + country] */
	uint64_t *cc_only;	/* same, seen only at that sensor */
	uint64_t *cc_all;	/* per country: distinct sources */
	uint64_t total;
};

/*
 * Members of the objects built per list entry (a top source, a country,
 * a port, a sensor).  json_pack() scans its format and strlen()s and
 * UTF-8-checks every key at each call: for the hundreds of entries of a
 * report that was a tenth of building it.  These set literal (ASCII) keys
 * directly; an object keeps insertion order, so the members are set in
 * the order of the document.  String values are still checked.
 */
static inline void
ds_report_put(json_t *o, const char *key, json_t *v)
{
	json_object_set_new_nocheck(o, key, v);
}

static inline void
ds_report_put_int(json_t *o, const char *key, json_int_t v)
{
	json_object_set_new_nocheck(o, key, json_integer(v));
}

static inline void
ds_report_put_real(json_t *o, const char *key, double v)
{
	json_object_set_new_nocheck(o, key, json_real(v));
}

static inline void
ds_report_put_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new_nocheck(o, key, json_string(v));
}

struct walk *ds_report_walk(struct ds_bk *bk, const struct ds_report_ctx *x, unsigned n);
void ds_report_walk_free(struct walk *w);
json_t *ds_report_jaddr(uint32_t a);
json_t *ds_report_jtime(uint64_t ns);
double ds_report_share(double part, double whole);
json_t *ds_report_jcount(double v, double scale);
const char *ds_report_country(const struct ds_report_ctx *x, uint32_t a);
json_t *ds_report_top_ports(const struct ds_cm *cm, unsigned n, uint64_t total);
json_t *ds_report_port_row(json_t *port, uint64_t packets, uint64_t total);
json_t *ds_report_sensor_row(const char *sensor, uint64_t packets, double sources);
json_t *ds_report_hist(const struct walk *w, double scale);
json_t *ds_report_countries(const struct walk *w, const struct ds_report_ctx *x, unsigned s,
			    double scale, unsigned limit);
int ds_report_in_slash16(const struct ds_conf_sensor *sn, uint32_t src);

/* One candidate of local_attacks (docs/report-format.md): per-sensor
 * arrays of n entries, owned by the caller. */
struct ds_report_local {
	const char *kind;		/* "port", "port_country", "fingerprint", ... */
	const char *key;
	unsigned n;			/* sensors */
	const double *sources;		/* per sensor */
	const double *only;		/* per sensor: seen only there */
	double total;			/* distinct sources over all sensors */
	const double *amount;		/* per sensor: packets (or sources) */
	const char *rate_of;		/* "packets" or "sources" */
};

/* The local-attack verdict on in under c's local_share and
 * local_rate_ratio: appends one entry to array out when a sensor
 * qualifies, with extra's members (the evidence) merged in.  Takes the
 * reference to extra (NULL allowed) in every case. */
void ds_report_judge_local(json_t *out, const struct ds_conf *c, const struct ds_report_local *in,
			   json_t *extra);

/* Adds watched_ports, fingerprints, families, tools, top_sources,
 * backscatter, local_attacks and surges to report r. */
void ds_report_analytics(json_t *r, struct ds_set *s, const struct ds_report_ctx *x,
			 const struct walk *all);

#endif

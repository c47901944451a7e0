/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Series for darkscope-report --series (Fig. 1-6 of the seed paper: per
 * sensor packets and unique sources per address, with and without the
 * excluded ports, per watched port and per fingerprint, at all sensors and
 * at each) and the canonical sketch dump.  Each bucket is summarised from
 * its merged set: unique sources are the HLL estimates of the bucket
 * (never sums over days).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <isa-l/crc.h>

#include "ds_report.h"
#include "series.h"

struct series {
	int kind;
	json_t *points;
};

struct series *
series_new(int kind)
{
	struct series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kind = kind;
	s->points = json_array();
	return s;
}

void
series_free(struct series *s)
{
	if (!s)
		return;
	json_decref(s->points);
	free(s);
}

int64_t
series_bucket(int kind, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (kind == SERIES_DAY)
		return t - ((t % 86400) + 86400) % 86400;
	gmtime_r(&tt, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return timegm(&tm);
}

int64_t
series_bucket_end(int kind, int64_t start)
{
	time_t tt = (time_t)start;
	struct tm tm;

	if (kind == SERIES_DAY)
		return start + 86400;
	gmtime_r(&tt, &tm);
	tm.tm_mon++;
	return timegm(&tm);
}

static double
per_addr(double v, uint64_t a)
{
	return a ? v / (double)a : 0.0;
}

struct fp_arg {
	struct ds_set *set;
	json_t *arr;
};

static int
fp_visit(const struct ds_fp_info *in, void *arg)
{
	struct fp_arg *a = arg;
	double src = ds_fp_sources(a->set->fp, in, -1);
	json_t *per;
	unsigned i;
	char key[64];

	if (src < a->set->conf->fp_min_sources)
		return 0;
	snprintf(key, sizeof(key), "%u/%u/%u/%u", in->key.seq, in->key.sport,
		 in->key.ipid, in->key.win);
	/* per sensor (Fig. 6 is drawn per sensor): the archive keeps each
	 * tuple's packets and source HLL per sensor */
	per = json_array();
	for (i = 0; i < a->set->n_sensors; i++)
		json_array_append_new(per, json_pack("{s:s, s:I, s:f}",
			"name", a->set->conf->sensors[i].name,
			"packets", (json_int_t)in->sensor_packets[i],
			"sources", in->sensor_packets[i] ? ds_fp_sources(a->set->fp, in, (int)i) : 0.0));
	json_array_append_new(a->arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:o}",
		"key", key, "seq", (json_int_t)in->key.seq, "sport", (json_int_t)in->key.sport,
		"ipid", (json_int_t)in->key.ipid, "win", (json_int_t)in->key.win,
		"packets", (json_int_t)in->packets, "sources", src, "sensors", per));
	return 0;
}

/* A fingerprint point's per-sensor values as name=value|name=value, in
 * sensor order (configured names never hold '=', '|' or ','; a site name
 * given for --site-prefix must not either). */
static void
fp_sensor_list(FILE *f, json_t *o, const char *what)
{
	size_t i;
	json_t *q;

	json_array_foreach(json_object_get(o, "sensors"), i, q) {
		json_t *v = json_object_get(q, what);

		fprintf(f, "%s%s=", i ? "|" : "", json_string_value(json_object_get(q, "name")));
		if (json_is_integer(v))
			fprintf(f, "%lld", (long long)json_integer_value(v));
		else
			fprintf(f, "%.0f", json_real_value(v));
	}
}

void
series_add(struct series *s, struct ds_set *set, int64_t start, int64_t end)
{
	const struct ds_conf *c = set->conf;
	json_t *p, *sens = json_array(), *ports = json_array(), *fps = json_array();
	char a[32], b[32];
	struct fp_arg fa = { set, fps };
	unsigned i, j;

	ds_report_iso(start, a, sizeof(a));
	ds_report_iso(end, b, sizeof(b));
	for (i = 0; i < set->n_sensors; i++) {
		const struct ds_sensor_stats *st = &set->sensor[i];
		uint64_t syn = st->cls[DS_CLASS_SCAN], ex = syn - st->syn_excluded;
		double src = ds_hll_count(set->src[i]), srx = ds_hll_count(set->src_excl[i]);
		uint64_t ad = c->sensors[i].addresses;

		json_array_append_new(sens, json_pack("{s:s, s:s, s:I, s:f, s:f, s:f, s:I, s:f, s:f, s:f}",
			"name", c->sensors[i].name, "country", c->sensors[i].country,
			"packets", (json_int_t)syn, "sources", src,
			"packets_per_address", per_addr((double)syn, ad),
			"sources_per_address", per_addr(src, ad),
			"excl_packets", (json_int_t)ex, "excl_sources", srx,
			"excl_packets_per_address", per_addr((double)ex, ad),
			"excl_sources_per_address", per_addr(srx, ad)));
	}
	for (j = 0; j < set->n_watch; j++) {
		json_t *ps = json_array();

		for (i = 0; i < set->n_sensors; i++)
			json_array_append_new(ps, json_pack("{s:s, s:I, s:f}",
				"name", c->sensors[i].name,
				"packets", (json_int_t)set->sensor[i].watch_packets[j],
				"sources", ds_hll_count(set->watch_src[j * set->n_sensors + i])));
		json_array_append_new(ports, json_pack("{s:i, s:o}", "port", (int)set->watch_port[j],
						       "sensors", ps));
	}
	ds_fp_foreach(set->fp, fp_visit, &fa);
	p = json_pack("{s:s, s:s, s:o, s:o, s:o}", "start", a, "end", b,
		      "sensors", sens, "watched_ports", ports, "fingerprints", fps);
	json_array_append_new(s->points, p);
}

json_t *
series_json(struct series *s)
{
	return json_pack("{s:s, s:O}", "bucket", s->kind == SERIES_DAY ? "day" : "month",
			 "points", s->points);
}

int
series_write_csv(struct series *s, const char *dir)
{
	char path[4096];
	FILE *fs, *fp, *ff;
	size_t i, j, k;
	json_t *pt, *o;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/series_sensors.csv", dir);
	fs = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/series_ports.csv", dir);
	fp = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/series_fingerprints.csv", dir);
	ff = fopen(path, "w");
	if (!fs || !fp || !ff) {
		rc = -errno;
		goto out;
	}
	fprintf(fs, "start,sensor,country,packets,sources,packets_per_address,sources_per_address,excl_packets,excl_sources,excl_packets_per_address,excl_sources_per_address\n");
	fprintf(fp, "start,port,sensor,packets,sources\n");
	fprintf(ff, "start,seq,sport,ipid,win,packets,sources,sensor_packets,sensor_sources\n");
	json_array_foreach(s->points, i, pt) {
		const char *st = json_string_value(json_object_get(pt, "start"));

		json_array_foreach(json_object_get(pt, "sensors"), j, o)
			fprintf(fs, "%s,%s,%s,%lld,%.0f,%.6g,%.6g,%lld,%.0f,%.6g,%.6g\n", st,
				json_string_value(json_object_get(o, "name")),
				json_string_value(json_object_get(o, "country")),
				json_integer_value(json_object_get(o, "packets")),
				json_real_value(json_object_get(o, "sources")),
				json_real_value(json_object_get(o, "packets_per_address")),
				json_real_value(json_object_get(o, "sources_per_address")),
				json_integer_value(json_object_get(o, "excl_packets")),
				json_real_value(json_object_get(o, "excl_sources")),
				json_real_value(json_object_get(o, "excl_packets_per_address")),
				json_real_value(json_object_get(o, "excl_sources_per_address")));
		json_array_foreach(json_object_get(pt, "watched_ports"), j, o) {
			json_t *q;

			json_array_foreach(json_object_get(o, "sensors"), k, q)
				fprintf(fp, "%s,%lld,%s,%lld,%.0f\n", st,
					json_integer_value(json_object_get(o, "port")),
					json_string_value(json_object_get(q, "name")),
					json_integer_value(json_object_get(q, "packets")),
					json_real_value(json_object_get(q, "sources")));
		}
		json_array_foreach(json_object_get(pt, "fingerprints"), j, o) {
			fprintf(ff, "%s,%lld,%lld,%lld,%lld,%lld,%.0f,", st,
				json_integer_value(json_object_get(o, "seq")),
				json_integer_value(json_object_get(o, "sport")),
				json_integer_value(json_object_get(o, "ipid")),
				json_integer_value(json_object_get(o, "win")),
				json_integer_value(json_object_get(o, "packets")),
				json_real_value(json_object_get(o, "sources")));
			fp_sensor_list(ff, o, "packets");
			fputc(',', ff);
			fp_sensor_list(ff, o, "sources");
			fputc('\n', ff);
		}
	}
	snprintf(path, sizeof(path), "%s/series.json", dir);
	{
		json_t *j2 = series_json(s);

		if (json_dump_file(j2, path, JSON_INDENT(1)) != 0)
			rc = -EIO;
		json_decref(j2);
	}
out:
	if (fs && fclose(fs) != 0 && !rc) rc = -EIO;
	if (fp && fclose(fp) != 0 && !rc) rc = -EIO;
	if (ff && fclose(ff) != 0 && !rc) rc = -EIO;
	return rc;
}

/* ---- canonical dump ---- */

static uint32_t
crc(const void *p, size_t n)
{
	return crc32_iscsi((unsigned char *)p, (int)n, 0xffffffffu) ^ 0xffffffffu;
}

static int
bk_line(uint32_t src, const uint64_t *bits, void *arg)
{
	fprintf(arg, "bk %u %llx\n", src, (unsigned long long)bits[0]);
	return 0;
}

static int
fp_line(const struct ds_fp_info *in, void *arg)
{
	void **a = arg;
	struct ds_set *s = a[1];
	unsigned i;

	fprintf(a[0], "fp %u/%u/%u/%u packets %llu s16 %llu first %llu last %llu sources %.3f per-sensor",
		in->key.seq, in->key.sport, in->key.ipid, in->key.win,
		(unsigned long long)in->packets, (unsigned long long)in->slash16_match,
		(unsigned long long)in->first_ts, (unsigned long long)in->last_ts,
		ds_fp_sources(s->fp, in, -1));
	for (i = 0; i < s->n_sensors; i++)
		fprintf(a[0], " %llu", (unsigned long long)in->sensor_packets[i]);
	fprintf(a[0], "\n");
	return 0;
}

int
series_dump_sketches(struct ds_set *s, const char *path)
{
	char tmp[4200], cmd[8500];
	struct ds_topk_entry *e;
	unsigned i, j, n;
	FILE *f;
	void *fa[2];

	snprintf(tmp, sizeof(tmp), "%s.unsorted", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (i = 0; i < DS_SET__NCLASS; i++)
		fprintf(f, "class %u %llu\n", i, (unsigned long long)s->classes[i]);
	for (i = 0; i < s->n_sensors; i++) {
		const struct ds_sensor_stats *st = &s->sensor[i];
		const char *nm = s->conf->sensors[i].name;

		for (j = 0; j < DS_SET__NCLASS; j++)
			fprintf(f, "sensor %s class %u %llu\n", nm, j, (unsigned long long)st->cls[j]);
		fprintf(f, "sensor %s syn_excluded %llu\n", nm, (unsigned long long)st->syn_excluded);
		for (j = 0; j < DS_TOOL__N; j++)
			fprintf(f, "sensor %s tool %u %llu hll %08x\n", nm, j,
				(unsigned long long)st->tool_packets[j],
				crc(ds_hll_registers(s->tool_src[j * s->n_sensors + i]), 1u << s->conf->watch_hll_p));
		for (j = 0; j < s->n_watch; j++)
			fprintf(f, "sensor %s watch %u %llu hll %08x\n", nm, s->watch_port[j],
				(unsigned long long)st->watch_packets[j],
				crc(ds_hll_registers(s->watch_src[j * s->n_sensors + i]), 1u << s->conf->watch_hll_p));
		fprintf(f, "sensor %s cm ports %08x total %llu\n", nm,
			crc(ds_cm_counters(s->ports[i]), (size_t)ds_cm_width(s->ports[i]) * ds_cm_depth(s->ports[i]) * 4),
			(unsigned long long)ds_cm_total(s->ports[i]));
		fprintf(f, "sensor %s cm bs_ports %08x total %llu\n", nm,
			crc(ds_cm_counters(s->bs_ports[i]), (size_t)ds_cm_width(s->bs_ports[i]) * ds_cm_depth(s->bs_ports[i]) * 4),
			(unsigned long long)ds_cm_total(s->bs_ports[i]));
		fprintf(f, "sensor %s hll src %08x excl %08x victims %08x\n", nm,
			crc(ds_hll_registers(s->src[i]), 1u << s->conf->hll_p),
			crc(ds_hll_registers(s->src_excl[i]), 1u << s->conf->hll_p),
			crc(ds_hll_registers(s->victims[i]), 1u << s->conf->hll_p));
	}
	fprintf(f, "bk size %u exact %d scale %.6f\n", ds_bk_size(s->overlap),
		(int)ds_bk_exact(s->overlap), ds_bk_scale(s->overlap));
	ds_bk_foreach(s->overlap, bk_line, f);
	for (j = 0; j < s->n_watch; j++)
		fprintf(f, "bk watch %u size %u\n", s->watch_port[j], ds_bk_size(s->watch_overlap[j]));
	n = 1u << s->conf->topsrc_log2;
	e = calloc(n, sizeof(*e));
	if (e) {
		unsigned m = ds_topk_top(s->top_src, e, n, NULL, NULL);

		for (i = 0; i < m; i++)
			fprintf(f, "topk %llx count %llu flags %x first %llu last %llu\n",
				(unsigned long long)e[i].key, (unsigned long long)e[i].count, e[i].flags,
				(unsigned long long)e[i].first, (unsigned long long)e[i].last);
		free(e);
	}
	fa[0] = f;
	fa[1] = s;
	ds_fp_foreach(s->fp, fp_line, fa);
	if (fclose(f) != 0)
		return -EIO;
	snprintf(cmd, sizeof(cmd), "LC_ALL=C sort '%s' > '%s' && rm -f '%s'", tmp, path, tmp);
	return system(cmd) == 0 ? 0 : -EIO;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The report's tables as CSV files named after the seed paper's tables and
 * figures, derived from the JSON document (so the live path and
 * darkscope-report write identical tables).  RFC 4180: comma separated, a
 * header line, fields without commas or quotes (ours are numbers, names and
 * addresses).  A list that is empty in the JSON gives a header-only file.
 * Columns are only ever added at the end of a row (docs/report-format.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ds_report_int.h"

static FILE *
csv_open(const char *dir, const char *name, const char *header)
{
	char p[1100];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f)
		fprintf(f, "%s\n", header);
	return f;
}

/* Close f; -errno of the first failure (ENOSPC on a full disk), else 0. */
static int
csv_close(FILE *f)
{
	int bad = ferror(f), err = errno;

	if (fflush(f) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	return bad ? -(err ? err : EIO) : 0;
}

/* Close each of the n files of f that opened: rc, or else the first
 * failure of csv_close(). */
static int
csv_close_all(FILE *const *f, unsigned n, int rc)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		int e = f[i] ? csv_close(f[i]) : 0;

		if (!rc)
			rc = e;
	}
	return rc;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long
num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static double
real(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static const char *
flag(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k)) ? "true" : "false";
}

static const char *
window_start(json_t *r)
{
	return str(json_object_get(r, "window"), "start");
}

static int
volume(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "fig1_2_4_5_volume_per_address.csv",
		"window_start,sensor,addresses,syn_packets,unique_sources,packets_per_address,sources_per_address,syn_packets_excl,unique_sources_excl,packets_per_address_excl,sources_per_address_excl");
	const char *ws = window_start(r);
	size_t i;
	json_t *s;

	if (!f)
		return -errno;
	json_array_foreach(json_object_get(r, "sensors"), i, s) {
		json_t *e = json_object_get(s, "excl");

		fprintf(f, "%s,%s,%lld,%lld,%lld,%.6f,%.6f,%lld,%lld,%.6f,%.6f\n", ws, str(s, "name"),
			num(s, "addresses"), num(s, "syn_packets"), num(s, "unique_sources"),
			real(s, "packets_per_address"), real(s, "sources_per_address"),
			num(e, "syn_packets"), num(e, "unique_sources"),
			real(e, "packets_per_address"), real(e, "sources_per_address"));
	}
	return csv_close(f);
}

/* Table 1: each sensor's top ports, then its "other" row (the paper's
 * last row): syn_packets minus the top ports' packets, floored at 0 (the
 * count-min estimates count high, so this is a lower bound), ranked after
 * the last top port. */
static int
table1(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "table1_top_ports.csv", "sensor,rank,port,packets,share");
	size_t i, j;
	json_t *s, *p;

	if (!f)
		return -errno;
	json_array_foreach(json_object_get(r, "sensors"), i, s) {
		json_t *top = json_object_get(s, "top_ports");
		long long syn = num(s, "syn_packets"), sum = 0, other;

		json_array_foreach(top, j, p) {
			fprintf(f, "%s,%zu,%lld,%lld,%.2f\n", str(s, "name"), j + 1, num(p, "port"),
				num(p, "packets"), real(p, "share"));
			sum += num(p, "packets");
		}
		other = syn > sum ? syn - sum : 0;
		fprintf(f, "%s,%zu,other,%lld,%.2f\n", str(s, "name"), json_array_size(top) + 1, other,
			ds_report_share((double)other, (double)syn));
	}
	return csv_close(f);
}

static int
table2(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "table2_watched_port_countries.csv",
			   "port,sensor,country,unique_sources,share,same_slash16_sources,same_country_sources");
	size_t i, j, k;
	json_t *w, *ps, *c;

	if (!f)
		return -errno;
	json_array_foreach(json_object_get(r, "watched_ports"), i, w)
		json_array_foreach(json_object_get(w, "per_sensor"), j, ps)
			json_array_foreach(json_object_get(ps, "countries"), k, c)
				fprintf(f, "%lld,%s,%s,%lld,%.2f,%lld,%lld\n", num(w, "port"),
					str(ps, "sensor"), str(c, "country"), num(c, "unique_sources"),
					real(c, "share"), num(ps, "same_slash16_sources"),
					num(ps, "same_country_sources"));
	return csv_close(f);
}

/* Table 2's per-sensor totals and Fig. 3: one row per watched port and
 * sensor (table2_watched_port_countries.csv has rows only for countries
 * seen, so a sensor without sources of a port is missing there). */
static int
watched_sensors(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "table2_fig3_watched_port_sensors.csv",
		"window_start,port,sensor,packets,unique_sources,same_slash16_sources,same_country_sources,sources_only_here,surge,mode,watched_since");
	size_t i, j;
	json_t *w, *ps;

	if (!f)
		return -errno;
	json_array_foreach(json_object_get(r, "watched_ports"), i, w)
		json_array_foreach(json_object_get(w, "per_sensor"), j, ps)
			fprintf(f, "%s,%lld,%s,%lld,%lld,%lld,%lld,%lld,%s,%s,%s\n", window_start(r),
				num(w, "port"), str(ps, "sensor"), num(ps, "packets"),
				num(ps, "unique_sources"), num(ps, "same_slash16_sources"),
				num(ps, "same_country_sources"), num(ps, "sources_only_here"),
				flag(w, "surge"), str(w, "mode"), str(w, "watched_since"));
	return csv_close(f);
}

static void
hist_rows(FILE *f, const char *scope, long long port, json_t *h)
{
	const char *k;
	json_t *v;
	double total = 0;

	json_object_foreach(h, k, v)
		total += (double)json_integer_value(v);
	json_object_foreach(h, k, v)
		fprintf(f, "%s,%lld,%s,%lld,%.2f\n", scope, port, k, (long long)json_integer_value(v),
			total > 0 ? 100.0 * (double)json_integer_value(v) / total : 0.0);
}

static int
table3(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "table3_8_sensors_per_source.csv", "scope,port,sensors,sources,share");
	size_t i;
	json_t *w;

	if (!f)
		return -errno;
	hist_rows(f, "all", -1, json_object_get(json_object_get(r, "sensor_overlap"), "sensors_per_source"));
	json_array_foreach(json_object_get(r, "watched_ports"), i, w)
		hist_rows(f, "port", num(w, "port"), json_object_get(w, "sensors_per_source"));
	return csv_close(f);
}

static int
table4_7(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "table4_5_6_fingerprints.csv",
			   "sport,seq,ipid,window,sensor,packets,unique_sources,dominant_sensor,isn_is_slash16,first_seen,last_seen,isn_as_address,isn_target_slash16_packets,isn_equals_target_slash16");
	FILE *g = csv_open(dir, "table7_fingerprint_ports.csv", "sport,seq,ipid,window,port,packets,share");
	size_t i, j;
	json_t *fp, *x;
	int rc, ret;

	if (!f || !g) {
		rc = -errno;
		if (f)
			fclose(f);
		if (g)
			fclose(g);
		return rc;
	}
	json_array_foreach(json_object_get(r, "fingerprints"), i, fp) {
		json_array_foreach(json_object_get(fp, "per_sensor"), j, x)
			fprintf(f, "%lld,%lld,%lld,%lld,%s,%lld,%lld,%s,%s,%s,%s,%s,%lld,%s\n",
				num(fp, "sport"), num(fp, "seq"), num(fp, "ipid"), num(fp, "window"),
				str(x, "sensor"), num(x, "packets"), num(x, "unique_sources"),
				str(fp, "dominant_sensor"), flag(fp, "isn_is_slash16"),
				str(fp, "first_seen"), str(fp, "last_seen"), str(fp, "isn_as_address"),
				num(fp, "isn_target_slash16_packets"),
				flag(fp, "isn_equals_target_slash16"));
		json_array_foreach(json_object_get(fp, "top_ports"), j, x) {
			json_t *port = json_object_get(x, "port");

			fprintf(g, "%lld,%lld,%lld,%lld,", num(fp, "sport"), num(fp, "seq"),
				num(fp, "ipid"), num(fp, "window"));
			if (json_is_string(port))
				fprintf(g, "%s", json_string_value(port));
			else
				fprintf(g, "%lld", (long long)json_integer_value(port));
			fprintf(g, ",%lld,%.2f\n", num(x, "packets"), real(x, "share"));
		}
	}
	rc = csv_close(f);
	ret = csv_close(g);
	return rc ? rc : ret;
}

/* Table 6: one row per family member and sensor.  A member without
 * per_sensor rows (not written by this version) still gets one row, with
 * the three per-sensor fields empty. */
static int
table6(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "table6_families.csv",
		"sport,ipid,window,family_packets,members_count,seq,isn_as_address,isn_is_slash16,dominant_sensor,dominant_share,member_packets,member_unique_sources,sensor,packets,unique_sources");
	size_t i, j, k;
	json_t *fam, *m, *x;

	if (!f)
		return -errno;
	json_array_foreach(json_object_get(r, "families"), i, fam)
		json_array_foreach(json_object_get(fam, "members"), j, m) {
			json_t *per = json_object_get(m, "per_sensor");
			char head[512];

			snprintf(head, sizeof(head), "%lld,%lld,%lld,%lld,%lld,%lld,%s,%s,%s,%.2f,%lld,%lld",
				 num(fam, "sport"), num(fam, "ipid"), num(fam, "window"),
				 num(fam, "packets"), num(fam, "members_count"), num(m, "seq"),
				 str(m, "isn_as_address"), flag(m, "isn_is_slash16"),
				 str(m, "dominant_sensor"), real(m, "dominant_share"), num(m, "packets"),
				 num(m, "unique_sources"));
			if (!json_array_size(per))
				fprintf(f, "%s,,,\n", head);
			json_array_foreach(per, k, x)
				fprintf(f, "%s,%s,%lld,%lld\n", head, str(x, "sensor"), num(x, "packets"),
					num(x, "unique_sources"));
		}
	return csv_close(f);
}

/* backscatter: per sensor totals, source ports and top victims. */
static int
backscatter(json_t *r, const char *dir)
{
	FILE *b = csv_open(dir, "backscatter.csv", "window_start,sensor,packets,victims");
	FILE *p = csv_open(dir, "backscatter_top_ports.csv", "sensor,rank,port,packets,share");
	FILE *v = csv_open(dir, "backscatter_top_victims.csv",
			   "sensor,victim,packets,country,first_seen,last_seen");
	size_t i, j;
	json_t *s, *x;
	int rc = 0;

	if (!b || !p || !v) {
		rc = -errno;
		goto out;
	}
	json_array_foreach(json_object_get(json_object_get(r, "backscatter"), "per_sensor"), i, s) {
		fprintf(b, "%s,%s,%lld,%lld\n", window_start(r), str(s, "sensor"), num(s, "packets"),
			num(s, "victims"));
		json_array_foreach(json_object_get(s, "top_ports"), j, x)
			fprintf(p, "%s,%zu,%lld,%lld,%.2f\n", str(s, "sensor"), j + 1, num(x, "port"),
				num(x, "packets"), real(x, "share"));
		json_array_foreach(json_object_get(s, "top_victims"), j, x)
			fprintf(v, "%s,%s,%lld,%s,%s,%s\n", str(x, "sensor"), str(x, "victim"),
				num(x, "packets"), str(x, "country"), str(x, "first_seen"),
				str(x, "last_seen"));
	}
out:
	{
		FILE *const all[] = { b, p, v };

		return csv_close_all(all, 3, rc);
	}
}

static int
tools_top_local(json_t *r, const char *dir)
{
	FILE *t = csv_open(dir, "tools.csv", "tool,sensor,packets,unique_sources");
	FILE *s = csv_open(dir, "top_sources.csv", "sensor,source,packets,country,tools");
	FILE *l = csv_open(dir, "local_attacks.csv",
			   "kind,key,sensor,sources,sources_only_here,share_only_here,rate_of,rate_here,max_rate_elsewhere");
	size_t i, j;
	json_t *x, *y;
	int rc = 0;

	if (!t || !s || !l) {
		rc = -errno;
		goto out;
	}
	json_array_foreach(json_object_get(r, "tools"), i, x)
		json_array_foreach(json_object_get(x, "per_sensor"), j, y)
			fprintf(t, "%s,%s,%lld,%lld\n", str(x, "tool"), str(y, "sensor"),
				num(y, "packets"), num(y, "unique_sources"));
	json_array_foreach(json_object_get(r, "top_sources"), i, x) {
		fprintf(s, "%s,%s,%lld,%s,", str(x, "sensor"), str(x, "source"), num(x, "packets"),
			str(x, "country"));
		json_array_foreach(json_object_get(x, "tools"), j, y)
			fprintf(s, "%s%s", j ? "|" : "", json_string_value(y));
		fputc('\n', s);
	}
	json_array_foreach(json_object_get(r, "local_attacks"), i, x)
		fprintf(l, "%s,%s,%s,%lld,%lld,%.2f,%s,%.6f,%.6f\n", str(x, "kind"), str(x, "key"),
			str(x, "sensor"), num(x, "sources"), num(x, "sources_only_here"),
			real(x, "share_only_here"), str(x, "rate_of"), real(x, "rate_here"),
			real(x, "max_rate_elsewhere"));
out:
	{
		FILE *const all[] = { t, s, l };

		return csv_close_all(all, 3, rc);
	}
}

int
ds_report_write_csv(json_t *r, const char *dir)
{
	int rc;

	if ((rc = volume(r, dir)) || (rc = table1(r, dir)) || (rc = table2(r, dir)) ||
	    (rc = watched_sensors(r, dir)) || (rc = table3(r, dir)) || (rc = table4_7(r, dir)) ||
	    (rc = table6(r, dir)) || (rc = backscatter(r, dir)) || (rc = tools_top_local(r, dir)))
		return rc;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The report's tables as CSV files named after the seed paper's tables and
 * figures, derived from the JSON document (so the live path and
 * darkscope-report write identical tables).  RFC 4180: comma separated, a
 * header line, fields without commas or quotes (ours are numbers, names and
 * addresses).
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

static int
volume(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "fig1_2_4_5_volume_per_address.csv",
		"window_start,sensor,addresses,syn_packets,unique_sources,packets_per_address,sources_per_address,syn_packets_excl,unique_sources_excl,packets_per_address_excl,sources_per_address_excl");
	const char *ws = str(json_object_get(r, "window"), "start");
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

static int
table1(json_t *r, const char *dir)
{
	FILE *f = csv_open(dir, "table1_top_ports.csv", "sensor,rank,port,packets,share");
	size_t i, j;
	json_t *s, *p;

	if (!f)
		return -errno;
	json_array_foreach(json_object_get(r, "sensors"), i, s)
		json_array_foreach(json_object_get(s, "top_ports"), j, p)
			fprintf(f, "%s,%zu,%lld,%lld,%.2f\n", str(s, "name"), j + 1, num(p, "port"),
				num(p, "packets"), real(p, "share"));
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
			   "sport,seq,ipid,window,sensor,packets,unique_sources,dominant_sensor,isn_is_slash16");
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
			fprintf(f, "%lld,%lld,%lld,%lld,%s,%lld,%lld,%s,%s\n", num(fp, "sport"),
				num(fp, "seq"), num(fp, "ipid"), num(fp, "window"), str(x, "sensor"),
				num(x, "packets"), num(x, "unique_sources"), str(fp, "dominant_sensor"),
				json_is_true(json_object_get(fp, "isn_is_slash16")) ? "true" : "false");
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
		int a = t ? csv_close(t) : 0, b = s ? csv_close(s) : 0, c = l ? csv_close(l) : 0;

		if (!rc)
			rc = a ? a : b ? b : c;
	}
	return rc;
}

int
ds_report_write_csv(json_t *r, const char *dir)
{
	int rc;

	if ((rc = volume(r, dir)) || (rc = table1(r, dir)) || (rc = table2(r, dir)) ||
	    (rc = table3(r, dir)) || (rc = table4_7(r, dir)) || (rc = tools_top_local(r, dir)))
		return rc;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The CSV tables (ds_report_write_csv) against the JSON report they are
 * written from.  A set fed a known traffic (sensors A and D of
 * ds_fixture.h: a fixed-header family with one ISN per sensor, scans of a
 * few ports including the watched 10073, backscatter) gives a report whose
 * new tables must carry its values: Table 1's "other" row per sensor,
 * the per-sensor watched-port rows (Table 2 totals, Fig. 3), the
 * fingerprints' first/last seen and ISN flags, the families (Table 6) and
 * backscatter, each also checked against the packets fed.  Then a table of
 * edited reports for the corners: no family (a header-only file), a
 * member without per_sensor, a fingerprint never seen (null times), top
 * ports that count more than the sensor's SYNs (count-min counts high:
 * "other" floors at 0), a sensor without SYNs, no backscatter object, and
 * a directory that does not exist (-ENOENT).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_fixture.h"
#include "ds_lpm.h"
#include "ds_report.h"
#include "ds_set.h"
#include "ds_test.h"

#define WATCHED 10073
#define SEQ_A 185073664u	/* the paper's Table 6 ISNs: 11.8.0.0 */
#define SEQ_D 1098121216u	/* 65.116.0.0 */
#define T0 1388534400ull	/* 2014-01-01 */

/* ---- reading a CSV file back ---- */

struct file {
	char *buf;
	char *line[4096];
	unsigned n;		/* lines, the header included */
};

static int
file_read(struct file *f, const char *dir, const char *name)
{
	char p[512];
	FILE *in;
	long len;
	char *s;

	memset(f, 0, sizeof(*f));
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	in = fopen(p, "r");
	if (!in)
		return -1;
	fseek(in, 0, SEEK_END);
	len = ftell(in);
	rewind(in);
	f->buf = calloc(1, (size_t)len + 1);
	if (fread(f->buf, 1, (size_t)len, in) != (size_t)len)
		len = 0;
	fclose(in);
	for (s = f->buf; *s && f->n < 4096; f->n++) {
		char *e = strchr(s, '\n');

		f->line[f->n] = s;
		if (!e)
			break;
		*e = '\0';
		s = e + 1;
	}
	return 0;
}

static void
file_free(struct file *f)
{
	free(f->buf);
	f->buf = NULL;
}

/* Does file name hold exactly header then the n lines of want? */
static int
file_is(const char *dir, const char *name, const char *header, const char *const *want,
	unsigned n)
{
	struct file f;
	unsigned i;
	int ok;

	if (file_read(&f, dir, name) != 0)
		return 0;
	ok = f.n == n + 1 && strcmp(f.line[0], header) == 0;
	for (i = 0; ok && i < n; i++)
		ok = strcmp(f.line[i + 1], want[i]) == 0;
	if (!ok) {
		fprintf(stderr, "%s: %u lines, expected %u:\n", name, f.n, n + 1);
		for (i = 0; i < f.n && i < 12; i++)
			fprintf(stderr, "  got  %s\n", f.line[i]);
		for (i = 0; i < n; i++)
			fprintf(stderr, "  want %s\n", want[i]);
	}
	file_free(&f);
	return ok;
}

/* ---- the report of a known traffic ---- */

struct feeder {
	struct ds_set *s;
	const struct ds_lpm *l;
	struct ds_pkt p[32];
	unsigned m;
	uint64_t ts;
};

static void
put(struct feeder *f, struct ds_pkt p)
{
	f->p[f->m++] = p;
	if (f->m == 32) {
		ds_set_burst(f->s, f->l, f->p, f->m, f->ts);
		f->m = 0;
		f->ts += 1000000000ull;
	}
}

static uint32_t
dest(unsigned sensor, unsigned i)
{
	return sensor ? D_NET + i % 128 : A_NET + i % 2048;
}

/* Family member SEQ_A: 12 sources x 2 SYNs at A; SEQ_D: 15 sources x 3
 * at D and one at A.  Scans: 300 SYNs to 23 and 40 to 10073 at A, 90 to
 * 22 at D; 5 backscatter replies at each sensor. */
static void
traffic(struct ds_set *s, const struct ds_lpm *l)
{
	struct feeder f = { s, l, { { 0 } }, 0, T0 * 1000000000ull };
	unsigned i, j;

	for (j = 0; j < 2; j++)
		for (i = 0; i < 12; i++)
			put(&f, ds_fixture_syn(0x7a000001u + i * 4, dest(0, i * 7 + j), 6000, 1433,
					       SEQ_A, 256, 16384));
	for (j = 0; j < 3; j++)
		for (i = 0; i < 15; i++)
			put(&f, ds_fixture_syn(0x7b000001u + i * 4, dest(1, i * 5 + j), 6000, 22,
					       SEQ_D, 256, 16384));
	put(&f, ds_fixture_syn(0x7b000001u, dest(0, 3), 6000, 22, SEQ_D, 256, 16384));
	for (i = 0; i < 300; i++)
		put(&f, ds_fixture_syn(0x5b000001u + (i % 50) * 4, dest(0, i), 40000, 23, i * 7919u,
				       (uint16_t)i, 1024));
	for (i = 0; i < 40; i++)
		put(&f, ds_fixture_syn(0x5c000001u + (i % 8) * 4, dest(0, i), 41000, WATCHED,
				       i * 104729u, (uint16_t)(i * 3), 2048));
	for (i = 0; i < 90; i++)
		put(&f, ds_fixture_syn(0x5d000001u + (i % 30) * 4, dest(1, i), 42000, 22, i * 15485863u,
				       (uint16_t)(i * 5), 4096));
	for (i = 0; i < 10; i++) {
		struct ds_pkt b = ds_fixture_syn(0x2d000001u + i * 4, dest(i & 1, i), 80, 40000 + i,
						 i, (uint16_t)i, 0);

		b.cls = DS_CLASS_BACKSCATTER;
		b.tcp_flags = 0x12;
		put(&f, b);
	}
	if (f.m)
		ds_set_burst(s, l, f.p, f.m, f.ts);
	ds_set_flush(s);
}

static json_t *
path(json_t *r, const char *a, size_t i, const char *b)
{
	return json_object_get(json_array_get(json_object_get(r, a), i), b);
}

static long long
inum(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *
istr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static const char *const H1 = "sensor,rank,port,packets,share";
static const char *const H2S = "window_start,port,sensor,packets,unique_sources,same_slash16_sources,same_country_sources,sources_only_here,surge,mode,watched_since";
static const char *const H456 = "sport,seq,ipid,window,sensor,packets,unique_sources,dominant_sensor,isn_is_slash16,first_seen,last_seen,isn_as_address,isn_target_slash16_packets,isn_equals_target_slash16";
static const char *const H6 = "sport,ipid,window,family_packets,members_count,seq,isn_as_address,isn_is_slash16,dominant_sensor,dominant_share,member_packets,member_unique_sources,sensor,packets,unique_sources";
static const char *const HB = "window_start,sensor,packets,victims";
static const char *const HBP = "sensor,rank,port,packets,share";
static const char *const HBV = "sensor,victim,packets,country,first_seen,last_seen";

/* The report's new tables, each line built from the JSON, and the
 * numbers the traffic fixes. */
static void
check_real(json_t *r, const char *dir)
{
	static char want[64][400];
	const char *w[64];
	unsigned n, i, j, k;
	json_t *fam, *m, *x;

	for (i = 0; i < 64; i++)
		w[i] = want[i];

	/* Table 1: the sensors' top ports, then "other" */
	for (n = 0, i = 0; i < 2; i++) {
		json_t *s = json_array_get(json_object_get(r, "sensors"), i);
		long long sum = 0;

		json_array_foreach(json_object_get(s, "top_ports"), j, x) {
			snprintf(want[n++], sizeof(want[0]), "%s,%u,%lld,%lld,%.2f", istr(s, "name"), j + 1,
				 inum(x, "port"), inum(x, "packets"),
				 json_real_value(json_object_get(x, "share")));
			sum += inum(x, "packets");
		}
		CHECK(inum(s, "syn_packets") == (i ? 135 : 365), "SYNs per sensor");
		snprintf(want[n++], sizeof(want[0]), "%s,%zu,other,%lld,%.2f", istr(s, "name"),
			 json_array_size(json_object_get(s, "top_ports")) + 1,
			 inum(s, "syn_packets") - sum,
			 round((double)(inum(s, "syn_packets") - sum) * 10000.0 /
			       (double)inum(s, "syn_packets")) / 100.0);
	}
	CHECK(file_is(dir, "table1_top_ports.csv", H1, w, n), "table 1 with other rows");
	/* every port of the traffic is in the top 10: nothing is left over */
	CHECK(strstr(want[n - 1], ",other,0,0.00") != NULL, "D: other is 0");

	/* watched port per sensor */
	for (n = 0, i = 0; i < 2; i++) {
		json_t *ps = json_array_get(path(r, "watched_ports", 0, "per_sensor"), i);

		snprintf(want[n++], sizeof(want[0]), "2014-01-01T00:00:00Z,%d,%s,%lld,%lld,%lld,%lld,%lld,false,exact,",
			 WATCHED, istr(ps, "sensor"), inum(ps, "packets"), inum(ps, "unique_sources"),
			 inum(ps, "same_slash16_sources"), inum(ps, "same_country_sources"),
			 inum(ps, "sources_only_here"));
	}
	CHECK(file_is(dir, "table2_fig3_watched_port_sensors.csv", H2S, w, n), "watched port sensors");
	CHECK(strcmp(want[0], "2014-01-01T00:00:00Z,10073,A,40,8,0,0,8,false,exact,") == 0, want[0]);
	CHECK(strcmp(want[1], "2014-01-01T00:00:00Z,10073,D,0,0,0,0,0,false,exact,") == 0, want[1]);

	/* fingerprints, with first/last seen and the ISN flags */
	CHECK(json_array_size(json_object_get(r, "fingerprints")) == 2, "two fingerprints");
	n = 0;
	json_array_foreach(json_object_get(r, "fingerprints"), i, m)
		json_array_foreach(json_object_get(m, "per_sensor"), j, x)
			snprintf(want[n++], sizeof(want[0]), "6000,%lld,256,16384,%s,%lld,%lld,%s,true,%s,%s,%s,%lld,%s",
				 inum(m, "seq"), istr(x, "sensor"), inum(x, "packets"),
				 inum(x, "unique_sources"), istr(m, "dominant_sensor"),
				 istr(m, "first_seen"), istr(m, "last_seen"), istr(m, "isn_as_address"),
				 inum(m, "isn_target_slash16_packets"),
				 json_is_true(json_object_get(m, "isn_equals_target_slash16")) ? "true" : "false");
	CHECK(file_is(dir, "table4_5_6_fingerprints.csv", H456, w, n), "fingerprints");
	CHECK(strncmp(want[2], "6000,185073664,256,16384,A,24,12,A,true,2014-01-01T00:00:", 57) == 0, want[2]);

	/* families: one, two members, each per sensor */
	fam = json_array_get(json_object_get(r, "families"), 0);
	CHECK(json_array_size(json_object_get(r, "families")) == 1 && inum(fam, "members_count") == 2,
	      "one family of two");
	n = 0;
	json_array_foreach(json_object_get(fam, "members"), j, m)
		json_array_foreach(json_object_get(m, "per_sensor"), k, x)
			snprintf(want[n++], sizeof(want[0]), "6000,256,16384,%lld,2,%lld,%s,true,%s,%.2f,%lld,%lld,%s,%lld,%lld",
				 inum(fam, "packets"), inum(m, "seq"), istr(m, "isn_as_address"),
				 istr(m, "dominant_sensor"),
				 json_real_value(json_object_get(m, "dominant_share")), inum(m, "packets"),
				 inum(m, "unique_sources"), istr(x, "sensor"), inum(x, "packets"),
				 inum(x, "unique_sources"));
	CHECK(n == 4, "two members x two sensors");
	CHECK(file_is(dir, "table6_families.csv", H6, w, n), "families");
	CHECK(strcmp(want[0], "6000,256,16384,70,2,1098121216,65.116.0.0,true,D,97.83,46,15,A,1,1") == 0, want[0]);
	CHECK(strcmp(want[1], "6000,256,16384,70,2,1098121216,65.116.0.0,true,D,97.83,46,15,D,45,15") == 0, want[1]);
	CHECK(strcmp(want[2], "6000,256,16384,70,2,185073664,11.8.0.0,true,A,100.00,24,12,A,24,12") == 0, want[2]);

	/* backscatter */
	for (n = 0, i = 0; i < 2; i++) {
		json_t *b = json_array_get(json_object_get(json_object_get(r, "backscatter"), "per_sensor"), i);

		snprintf(want[n++], sizeof(want[0]), "2014-01-01T00:00:00Z,%s,%lld,%lld", istr(b, "sensor"),
			 inum(b, "packets"), inum(b, "victims"));
		CHECK(inum(b, "packets") == 5, "5 replies per sensor");
	}
	CHECK(file_is(dir, "backscatter.csv", HB, w, n), "backscatter");
	for (n = 0, i = 0; i < 2; i++) {
		json_t *b = json_array_get(json_object_get(json_object_get(r, "backscatter"), "per_sensor"), i);

		json_array_foreach(json_object_get(b, "top_ports"), j, x)
			snprintf(want[n++], sizeof(want[0]), "%s,%u,%lld,%lld,%.2f", istr(b, "sensor"), j + 1,
				 inum(x, "port"), inum(x, "packets"),
				 json_real_value(json_object_get(x, "share")));
	}
	CHECK(n == 2 && strcmp(want[0], "A,1,80,5,100.00") == 0, want[0]);
	CHECK(file_is(dir, "backscatter_top_ports.csv", HBP, w, n), "backscatter ports");
	for (n = 0, i = 0; i < 2; i++) {
		json_t *b = json_array_get(json_object_get(json_object_get(r, "backscatter"), "per_sensor"), i);

		json_array_foreach(json_object_get(b, "top_victims"), j, x)
			snprintf(want[n++], sizeof(want[0]), "%s,%s,%lld,%s,%s,%s", istr(x, "sensor"),
				 istr(x, "victim"), inum(x, "packets"), istr(x, "country"),
				 istr(x, "first_seen"), istr(x, "last_seen"));
	}
	CHECK(n == 10, "ten victims");
	CHECK(file_is(dir, "backscatter_top_victims.csv", HBV, w, n), "backscatter victims");
}

/* ---- edited reports ---- */

struct edit_case {
	const char *name;
	void (*edit)(json_t *r);
	const char *file;
	const char *want[4];	/* the file's lines after the header */
	unsigned n;
};

static void
no_family(json_t *r)
{
	json_array_clear(json_object_get(r, "families"));
}

static void
member_without_sensors(json_t *r)
{
	json_t *fam = json_array_get(json_object_get(r, "families"), 0);

	json_array_remove(json_object_get(fam, "members"), 0);
	json_object_del(json_array_get(json_object_get(fam, "members"), 0), "per_sensor");
}

static void
fp_never_seen(json_t *r)
{
	json_t *fps = json_object_get(r, "fingerprints");

	json_array_remove(fps, 0);
	json_object_set_new(json_array_get(fps, 0), "first_seen", json_null());
	json_object_set_new(json_array_get(fps, 0), "last_seen", json_null());
}

/* D's top ports count 3 more than its SYNs (count-min counts high); A has
 * no SYN and no top port. */
static void
cm_overcount(json_t *r)
{
	json_t *a = json_array_get(json_object_get(r, "sensors"), 0);
	json_t *d = json_array_get(json_object_get(r, "sensors"), 1);

	json_object_set_new(a, "syn_packets", json_integer(0));
	json_array_clear(json_object_get(a, "top_ports"));
	json_object_set_new(d, "syn_packets", json_integer(132));
}

static void
no_backscatter(json_t *r)
{
	json_object_del(r, "backscatter");
}

static void
no_watched_port(json_t *r)
{
	json_array_clear(json_object_get(r, "watched_ports"));
}

static const struct edit_case edits[] = {
	{ "no family: header only", no_family, "table6_families.csv", { NULL }, 0 },
	{ "member without per_sensor: one row, sensor fields empty", member_without_sensors,
	  "table6_families.csv",
	  { "6000,256,16384,70,2,185073664,11.8.0.0,true,A,100.00,24,12,,," }, 1 },
	{ "never seen: empty times", fp_never_seen, "table4_5_6_fingerprints.csv",
	  { "6000,185073664,256,16384,A,24,12,A,true,,,11.8.0.0,24,true",
	    "6000,185073664,256,16384,D,0,0,A,true,,,11.8.0.0,24,true" }, 2 },
	{ "top ports above the SYNs: other 0; no SYN: other alone", cm_overcount,
	  "table1_top_ports.csv",
	  { "A,1,other,0,0.00", "D,1,22,135,100.00", "D,2,other,0,0.00" }, 3 },
	{ "no backscatter object: header only", no_backscatter, "backscatter.csv", { NULL }, 0 },
	{ "no backscatter object: no port", no_backscatter, "backscatter_top_ports.csv", { NULL }, 0 },
	{ "no watched port: header only", no_watched_port, "table2_fig3_watched_port_sensors.csv",
	  { NULL }, 0 },
};

static const char *
header_of(const char *file)
{
	if (strcmp(file, "table6_families.csv") == 0)
		return H6;
	if (strcmp(file, "table4_5_6_fingerprints.csv") == 0)
		return H456;
	if (strcmp(file, "table1_top_ports.csv") == 0)
		return H1;
	if (strcmp(file, "backscatter.csv") == 0)
		return HB;
	if (strcmp(file, "backscatter_top_ports.csv") == 0)
		return HBP;
	return H2S;
}

int
main(void)
{
	struct ds_conf *c = ds_fixture_conf_ad();
	struct ds_report_ctx x = { .conf = c, .start = (int64_t)T0, .end = (int64_t)T0 + 86400,
				   .source = "pcap" };
	struct ds_lpm *l;
	struct ds_set *s;
	char tmpl[] = "/tmp/test_report_csv.XXXXXX", cmd[128];
	const char *dir = mkdtemp(tmpl);
	json_t *r;
	unsigned i;

	c->n_watched = 1;
	c->watched[0] = WATCHED;
	c->fp_min_sources = 10;
	s = ds_set_create(c);
	l = ds_set_sensor_lpm(c);
	if (!CHECK(dir && s && l, "set up"))
		return ds_test_done("test_report_csv");
	traffic(s, l);
	r = ds_report_build(s, &x);
	if (!CHECK(r != NULL, "report"))
		return ds_test_done("test_report_csv");
	CHECK(ds_report_write_csv(r, dir) == 0, "write");
	check_real(r, dir);

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const struct edit_case *k = &edits[i];
		json_t *e = json_deep_copy(r);

		k->edit(e);
		CHECK(ds_report_write_csv(e, dir) == 0, k->name);
		CHECK(file_is(dir, k->file, header_of(k->file), k->want, k->n), k->name);
		json_decref(e);
	}
	CHECK(ds_report_write_csv(r, "/nonexistent/test_report_csv") == -ENOENT, "no directory: -ENOENT");

	json_decref(r);
	ds_set_free(s);
	ds_lpm_free(l);
	ds_conf_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return ds_test_done("test_report_csv");
}

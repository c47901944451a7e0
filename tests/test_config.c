/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_conf: a table of configuration texts, good beside bad.  Each bad one
 * must be refused with "file:line: key: ..." naming the right line and key
 * and saying what is allowed; each good one must load with the values
 * given (and defaults for the rest).  The shipped example config must load.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_conf.h"
#include "ds_test.h"

#define SENSORS "sensors = ( { name = \"A\"; country = \"jp\"; prefixes = [ \"11.8.16.0/21\" ]; },\n" \
		"            { name = \"B\"; prefixes = [ \"95.52.7.0/24\", \"95.52.9.128/25\" ]; } );\n"

struct ccase {
	const char *name;
	const char *text;
	int line;		/* 0 = must load; -1 = error without a line; else its line */
	const char *key;	/* expected in the message */
	const char *hint;	/* expected in the message */
};

static const struct ccase cases[] = {
	{ "minimal", SENSORS, 0, NULL, NULL },
	{ "full groups", SENSORS "period = { length = 300; clock = \"packet\"; };\n"
	  "output = { directory = \"/tmp/x\"; formats = [ \"json\", \"csv\" ]; };\n"
	  "analysis = { watched_ports = [ 10073, 5000 ]; exclude_ports = [ 445 ]; surge_factor = 5; };\n"
	  "sketch = { cm_width = 8192; cm_depth = 4; hll_precision = 12; };\n", 0, NULL, NULL },
	{ "syntax error", SENSORS "period = { length = ; };\n", 3, "syntax error", NULL },
	{ "unknown top key", SENSORS "\nperiods = { length = 60; };\n", 4, "periods", "allowed keys" },
	{ "unknown nested key", SENSORS "period = {\n  lenght = 60; };\n", 4, "lenght", "length" },
	{ "no sensors", "period = { length = 60; };\n", -1, "sensors", "missing" },
	{ "bad prefix", "sensors = ( { name = \"A\"; prefixes = [ \"11.8.16.1/21\" ]; } );\n", 1,
	  "prefixes", "host bits zero" },
	{ "bad prefix len", "sensors = ( { name = \"A\";\n prefixes = [ \"11.8.16.0/33\" ]; } );\n", 2,
	  "prefixes", "0..32" },
	{ "overlap", "sensors = ( { name = \"A\"; prefixes = [ \"11.8.0.0/16\" ]; },\n"
	  "  { name = \"B\"; prefixes = [ \"11.8.9.0/24\" ]; } );\n", 2, "prefixes", "overlaps" },
	{ "overlap same sensor", "sensors = ( { name = \"A\"; prefixes = [ \"11.8.0.0/16\", \"11.8.0.0/17\" ]; } );\n",
	  1, "prefixes", "overlaps" },
	{ "duplicate name", "sensors = ( { name = \"A\"; prefixes = [ \"1.0.0.0/24\" ]; },\n"
	  "  { name = \"A\"; prefixes = [ \"2.0.0.0/24\" ]; } );\n", 2, "name", "unique" },
	{ "bad country", "sensors = ( { name = \"A\"; country = \"JPN\"; prefixes = [ \"1.0.0.0/24\" ]; } );\n",
	  1, "country", "alpha-2" },
	{ "bad name char", "sensors = ( { name = \"A B\"; prefixes = [ \"1.0.0.0/24\" ]; } );\n", 1,
	  "name", "allowed" },
	{ "period not aligned", SENSORS "period = { length = 7; };\n", 3, "length", "divisor of 86400" },
	{ "period 487 days", SENSORS "period = { length = 42076800; };\n", 0, NULL, NULL },
	{ "period longest", SENSORS "period = { length = 4294944000L; };\n", 0, NULL, NULL },
	{ "period too long", SENSORS "period = { length = 4295030400L; };\n", 3, "length", "1..4294944000" },
	{ "period over 2^31 without L", SENSORS "period = { length = 4294944000; };\n", 3, "length", "suffix L" },
	{ "period zero", SENSORS "period = { length = 0; };\n", 3, "length", "1..4294944000" },
	{ "period type", SENSORS "period = { length = \"60\"; };\n", 3, "length", "integer" },
	{ "bad clock", SENSORS "period = { clock = \"tsc\"; };\n", 3, "clock", "\"wall\" or \"packet\"" },
	{ "bad format", SENSORS "output = { formats = [ \"json\", \"xml\" ]; };\n", 3, "formats", "\"csv\"" },
	{ "json required", SENSORS "output = { formats = [ \"csv\" ]; };\n", 3, "formats", "required" },
	{ "port range", SENSORS "analysis = { watched_ports = [ 70000 ]; };\n", 3, "watched_ports", "0..65535" },
	{ "port twice", SENSORS "analysis = { exclude_ports = [ 445, 445 ]; };\n", 3, "exclude_ports", "twice" },
	{ "cm width pow2", SENSORS "sketch = { cm_width = 5000; };\n", 3, "cm_width", "power of two" },
	{ "cm bits", SENSORS "sketch = {\n cm_width = 65536;\n cm_depth = 8; };\n", 5, "cm_depth", "at most 64" },
	{ "hll range", SENSORS "sketch = { hll_precision = 30; };\n", 3, "hll_precision", "8..18" },
	{ "source cache", SENSORS "sketch = { source_cache = 65536; };\n", 0, NULL, NULL },
	{ "source cache pow2", SENSORS "sketch = { source_cache = 50000; };\n", 3, "source_cache", "power of two" },
	{ "source cache small", SENSORS "sketch = { source_cache = 1024; };\n", 3, "source_cache", "4096" },
	{ "source cache large", SENSORS "sketch = { source_cache = 8388608; };\n", 3, "source_cache", "4194304" },
	{ "share range", SENSORS "analysis = { local_share = 1.5; };\n", 3, "local_share", "0.5..1" },
	{ "bool type", SENSORS "analysis = { hygiene_exclude = 1; };\n", 3, "hygiene_exclude", "true or false" },
	{ "port no devargs", SENSORS "capture = { ports = ( { queues = 2; } ); };\n", 3, "devargs", "vdev" },
	{ "queues range", SENSORS "capture = { ports = ( { devargs = \"net_null0\"; queues = 100; } ); };\n",
	  3, "queues", "1..64" },
};

static char *
write_tmp(const char *text)
{
	const char *dir = getenv("DS_TEST_TMP") ? getenv("DS_TEST_TMP") : "/tmp";
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/test_config.%d.conf", dir, (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static void
run_case(const struct ccase *c)
{
	char err[800], want[600];
	char *path = write_tmp(c->text);
	struct ds_conf *conf;

	if (!CHECK(path, c->name))
		return;
	conf = ds_conf_load(path, err, sizeof(err));
	if (c->line == 0) {
		if (CHECK(conf != NULL, c->name) == 0)
			fprintf(stderr, "  %s: %s\n", c->name, err);
		ds_conf_free(conf);
		unlink(path);
		return;
	}
	CHECK(conf == NULL, c->name);
	ds_conf_free(conf);
	if (c->line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", path, c->line);
	else
		snprintf(want, sizeof(want), "%s: ", path);
	if (!CHECK(strncmp(err, want, strlen(want)) == 0, c->name) ||
	    !CHECK(strstr(err, c->key) != NULL, c->name) ||
	    !CHECK(!c->hint || strstr(err, c->hint) != NULL, c->name))
		fprintf(stderr, "  %s: got \"%s\", wanted \"%s\" with %s / %s\n", c->name, err, want,
			c->key, c->hint ? c->hint : "-");
	unlink(path);
}

static void
check_values(void)
{
	char err[800];
	char *path = write_tmp(SENSORS "period = { length = 300; clock = \"packet\"; };\n"
			       "analysis = { watched_ports = [ 10073, 5000 ]; exclude_ports = [ 445 ]; };\n"
			       "sketch = { cm_width = 8192; source_cache = 131072; };\n");
	struct ds_conf *c = ds_conf_load(path, err, sizeof(err));

	if (!CHECK(c != NULL, err))
		return;
	CHECK(c->n_sensors == 2, "two sensors");
	CHECK(strcmp(c->sensors[0].country, "JP") == 0, "country upper-cased");
	CHECK(strcmp(c->sensors[1].country, "--") == 0, "no country = --");
	CHECK(c->sensors[0].addresses == 2048, "A addresses");
	CHECK(c->sensors[1].addresses == 384, "B addresses /24 + /25");
	CHECK(c->period == 300 && c->clock == DS_CLOCK_PACKET, "period");
	CHECK(c->n_watched == 2 && c->watched[0] == 10073 && c->watched[1] == 5000, "watched");
	CHECK(c->n_excluded == 1 && c->excluded[0] == 445, "excluded");
	CHECK(c->cm_width_log2 == 13, "cm width 8192");
	CHECK(c->srcc_buckets == 131072, "source cache 131072");
	CHECK(c->cm_depth == DS_CONF_DEF_CM_DEPTH && c->hll_p == DS_CONF_DEF_HLL_P, "defaults");
	CHECK(c->overlap_k == DS_CONF_DEF_OVERLAP_K && c->hygiene_exclude, "defaults 2");
	/* the overlap analysis is exact up to at least 65,536 sources by
	 * default, for all sources and for each watched port alike */
	CHECK(c->overlap_k >= 65536 && c->watch_k >= 65536, "overlap K defaults >= 65536");
	ds_conf_free(c);
	unlink(path);
}

static void
check_missing_file(void)
{
	char err[800];

	CHECK(ds_conf_load("/nonexistent/darkscope.conf", err, sizeof(err)) == NULL, "missing file");
	CHECK(strstr(err, "/nonexistent/darkscope.conf") == err, "message starts with the path");
}

static void
check_example(void)
{
	char err[800];
	struct ds_conf *c = ds_conf_load("config/darkscope.conf", err, sizeof(err));

	if (!c)
		c = ds_conf_load("../config/darkscope.conf", err, sizeof(err));
	if (CHECK(c != NULL, err))
		CHECK(c->n_sensors == 4 && c->n_watched == 3, "example config");
	ds_conf_free(c);
}

static void
check_prefix_parser(void)
{
	static const struct { const char *s; int ok; uint32_t addr; uint8_t len; } t[] = {
		{ "0.0.0.0/0", 1, 0, 0 }, { "11.8.16.0/21", 1, 0x0b081000, 21 },
		{ "255.255.255.255/32", 1, 0xffffffff, 32 }, { "1.2.3.4", 0, 0, 0 },
		{ "1.2.3.4/", 0, 0, 0 }, { "1.2.3/24", 0, 0, 0 }, { "1.2.3.0/24x", 0, 0, 0 },
		{ "1.2.3.1/24", 0, 0, 0 }, { "", 0, 0, 0 }, { "1.2.3.0/-1", 0, 0, 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ds_conf_prefix p;
		int rc = ds_conf_parse_prefix(t[i].s, &p);

		CHECK((rc == 0) == t[i].ok, t[i].s);
		if (t[i].ok && rc == 0)
			CHECK(p.addr == t[i].addr && p.len == t[i].len, t[i].s);
	}
}

/* Tables of (sensor, source) pairs grow with the sensors by default:
 * top_sources_table 16384 up to 32 sensors, x2 per doubling, x8 from 129;
 * a value in the file is kept. */
/* ds_conf_check_period(): the rule period.length and darkscope -p share. */
static void
check_period_rule(void)
{
	static const struct { long long secs; int ok; const char *hint; } t[] = {
		{ 1, 1, NULL }, { 60, 1, NULL }, { 3600, 1, NULL }, { 86400, 1, NULL },
		{ 31 * 86400, 1, NULL }, { 16283ll * 86400, 1, NULL },
		{ DS_CONF_MAX_PERIOD, 1, NULL },
		{ 0, 0, "out of range" }, { -86400, 0, "out of range" }, { 7, 0, "align" },
		{ 86401, 0, "align" }, { 90000, 0, "align" },
		{ DS_CONF_MAX_PERIOD + 86400ll, 0, "49710 days" }, { 1ll << 32, 0, "out of range" },
		{ 1ll << 40, 0, "out of range" },
	};
	char why[200], what[64];
	unsigned i;

	CHECK(DS_CONF_MAX_PERIOD % 86400 == 0 && DS_CONF_MAX_PERIOD + 86400ull > UINT32_MAX,
	      "the longest period is the last multiple of a day in 32 bits");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		why[0] = 0;
		rc = ds_conf_check_period(t[i].secs, why, sizeof(why));
		snprintf(what, sizeof(what), "period %lld s", t[i].secs);
		if (!CHECK(t[i].ok ? rc == 0 : rc == -EINVAL, what) ||
		    !CHECK(t[i].ok || strstr(why, t[i].hint), what))
			fprintf(stderr, "  %s: rc %d, \"%s\"\n", what, rc, why);
	}
}

static void
check_pair_scale(void)
{
	static const struct {
		unsigned sensors;
		const char *sketch;	/* "" = none */
		unsigned topsrc_log2;
	} scale_cases[] = {
		{ 1, "", 14 }, { 32, "", 14 }, { 33, "", 15 }, { 64, "", 15 }, { 65, "", 16 },
		{ 128, "", 16 }, { 129, "", 17 }, { 256, "", 17 },
		{ 256, "sketch = { top_sources_table = 16384; };\n", 14 },
		{ 4, "sketch = { top_sources_table = 65536; };\n", 16 },
	};
	static char text[64 * 1024];
	unsigned i, j;

	for (i = 0; i < sizeof(scale_cases) / sizeof(scale_cases[0]); i++) {
		size_t n = (size_t)snprintf(text, sizeof(text), "sensors = (");
		struct ds_conf *c;
		char err[800], what[64], *path;

		for (j = 0; j < scale_cases[i].sensors; j++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "%s{ name = \"S%u\"; prefixes = [ \"57.%u.3.0/24\" ]; }",
					      j ? ", " : "", j, j);
		snprintf(text + n, sizeof(text) - n, " );\n%s", scale_cases[i].sketch);
		snprintf(what, sizeof(what), "%u sensors %s", scale_cases[i].sensors,
			 scale_cases[i].sketch[0] ? "(given)" : "(default)");
		path = write_tmp(text);
		if (!CHECK(path, what))
			continue;
		c = ds_conf_load(path, err, sizeof(err));
		if (CHECK(c != NULL, err)) {
			CHECK(c->n_sensors == scale_cases[i].sensors, what);
			if (!CHECK(c->topsrc_log2 == scale_cases[i].topsrc_log2, what))
				fprintf(stderr, "  %s: top_sources_table 2^%u\n", what, c->topsrc_log2);
		}
		ds_conf_free(c);
		unlink(path);
	}
}

int
main(void)
{
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	check_values();
	check_missing_file();
	check_example();
	check_prefix_parser();
	check_pair_scale();
	check_period_rule();
	return ds_test_done("test_config");
}

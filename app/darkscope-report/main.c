/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkscope-report: the report of any window, from sketch archives
 * (lib/archive) of one or several appliances.  Archives are read twice:
 * a first pass collects the sensors (the union over all sites, named
 * "site/name" with --site-prefix) and checks that sketch parameters agree;
 * the second merges the periods inside [--from, --to) into one set of the
 * union configuration (ds_archive_merge() with a sensor index map), so
 * only two sets are in memory however many files there are.  The report is
 * the live path's: ds_report_build() + ds_report_write().  --series day or
 * month adds per-bucket series (packets and unique sources per sensor, per
 * watched port and per fingerprint) as JSON and CSV, and the HTML page
 * draws them.
 *
 * Exit status: 0 ok, 1 a bad or unreadable file (named), 2 usage.
 *
 * Everything allocated is held in one struct run and freed by run_free()
 * whatever way run() returns, so error paths simply return their status.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "ds_mem.h"
#include "ds_archive.h"
#include "ds_geo.h"
#include "ds_report.h"
#include "series.h"

struct file {
	char *path;
	int64_t start, end;
	char site[DS_CONF_NAME_LEN];
	uint64_t sensors[DS_CONF_MAX_SENSORS / 64];	/* union sensors it holds */
};

/* Union configuration: sensors of every file (kept ones), shape of the first. */
struct unionc {
	struct ds_conf *conf;
	char sites[DS_CONF_MAX_SENSORS][DS_CONF_NAME_LEN];	/* site of each union sensor */
};

/* Everything one run allocates; run_free() releases it on every exit path. */
struct run {
	struct file *files;
	size_t n_files, cap_files;
	struct unionc u;
	struct ds_conf *peek;		/* pass 1: parameters of the file being scanned */
	struct ds_set *scratch;		/* pass 2: the file being merged */
	struct ds_geo *geo;
	struct ds_set *acc, *bucket;
	struct series *ser;
	json_t *report;
};

static void
run_free(struct run *x)
{
	size_t k;

	json_decref(x->report);
	series_free(x->ser);
	ds_set_free(x->bucket);
	ds_set_free(x->acc);	/* the sets point at u.conf: free them first */
	ds_archive_free(x->scratch);
	ds_geo_free(x->geo);
	ds_conf_free(x->peek);
	ds_conf_free(x->u.conf);
	for (k = 0; k < x->n_files; k++)
		free(x->files[k].path);
	free(x->files);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: darkscope-report [options] ARCHIVE|DIR...\n"
"  --from T, --to T     window [from, to): YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or epoch seconds\n"
"  --sensors A,B        only these sensors (names after site prefixing)\n"
"  --site-prefix[=S]    name sensors SITE/NAME (SITE: S, else the archive's site name)\n"
"  --out DIR            output directory (default: report)\n"
"  --format F[,F]       json, csv, html (default json,csv)\n"
"  --series day|month   add per-day or per-month series\n"
"  --geoip FILE         GeoIP database for country tables\n"
"  --dump-sketches FILE write a canonical text dump of the merged sketches\n"
"  -q                   quiet\n");
}

static int
parse_time(const char *s, int64_t *t)
{
	struct tm tm = { 0 };
	const char *e;
	char *end;
	long long v;

	if ((e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) && !*e) {
		*t = timegm(&tm);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%d", &tm)) && !*e) {
		*t = timegm(&tm);
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!errno && *s && !*end) {
		*t = v;
		return 0;
	}
	return -EINVAL;
}

static int
add_file(struct run *x, const char *path)
{
	struct file *f;

	if (x->n_files == x->cap_files) {
		size_t cap = x->cap_files ? 2 * x->cap_files : 64;
		struct file *q = realloc(x->files, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		x->files = q;
		x->cap_files = cap;
	}
	f = &x->files[x->n_files];
	memset(f, 0, sizeof(*f));
	if (!(f->path = strdup(path)))
		return -ENOMEM;
	x->n_files++;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_input(struct run *x, const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;
	DIR *d;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "darkscope-report: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (add_file(x, path)) {
			fprintf(stderr, "darkscope-report: out of memory\n");
			return 1;
		}
		return 0;
	}
	if (!(d = opendir(path))) {
		fprintf(stderr, "darkscope-report: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char **q, *p;

		if (de->d_name[0] == '.' || l < 4 || strcmp(de->d_name + l - 4, DS_ARCHIVE_SUFFIX))
			continue;
		if (asprintf(&p, "%s/%s", path, de->d_name) < 0) {
			rc = 1;
			break;
		}
		if (!(q = realloc(names, (n + 1) * sizeof(*names)))) {
			free(p);
			rc = 1;
			break;
		}
		names = q;
		names[n++] = p;
	}
	closedir(d);
	if (n && !rc)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if (!rc && add_file(x, names[i]))
			rc = 1;
		free(names[i]);
	}
	free(names);
	if (rc)
		fprintf(stderr, "darkscope-report: out of memory\n");
	return rc;
}

static int
file_cmp(const void *a, const void *b)
{
	const struct file *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int
in_list(const char *list, const char *name)
{
	const char *p = list;
	size_t l = strlen(name);

	if (!list)
		return 1;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == l && strncmp(p, name, n) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static void
sensor_name(const struct file *f, const char *name, int prefix, const char *forced,
	    char *out, size_t len)
{
	const char *site = forced && *forced ? forced : f->site;

	if (prefix && site[0])
		snprintf(out, len, "%s/%s", site, name);
	else
		snprintf(out, len, "%s", name);
}

/* The whole program; every return leaves its allocations in x. */
static int
run(struct run *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "sensors", required_argument, NULL, 's' },
		{ "site-prefix", optional_argument, NULL, 'P' },
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "series", required_argument, NULL, 'S' },
		{ "geoip", required_argument, NULL, 'g' },
		{ "dump-sketches", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t from = INT64_MIN, to = INT64_MAX, wstart = INT64_MAX, wend = INT64_MIN;
	const char *sensors = NULL, *out = "report", *geo_path = NULL, *dump = NULL;
	const char *forced_site = NULL;
	unsigned formats = DS_FMT_JSON | DS_FMT_CSV;
	int prefix = 0, quiet = 0, series = SERIES_NONE, opt, i;
	struct unionc *u = &x->u;
	struct file *files;
	struct ds_set *acc, *bucket = NULL;
	struct series *ser = NULL;
	char err[1024], name[32];
	size_t k, n_files, used = 0;
	json_t *r;

	while ((opt = getopt_long(argc, argv, "qho:", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
		case 't':
			if (parse_time(optarg, opt == 'f' ? &from : &to)) {
				fprintf(stderr, "darkscope-report: --%s '%s': not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or epoch seconds)\n",
					opt == 'f' ? "from" : "to", optarg);
				return 2;
			}
			break;
		case 's': sensors = optarg; break;
		case 'P': prefix = 1; forced_site = optarg; break;
		case 'o': out = optarg; break;
		case 'g': geo_path = optarg; break;
		case 'D': dump = optarg; break;
		case 'q': quiet = 1; break;
		case 'F':
			formats = 0;
			if (in_list(optarg, "json")) formats |= DS_FMT_JSON;
			if (in_list(optarg, "csv")) formats |= DS_FMT_CSV;
			if (in_list(optarg, "html")) formats |= DS_FMT_HTML;
			if (!formats) {
				fprintf(stderr, "darkscope-report: --format '%s': allowed json, csv, html\n", optarg);
				return 2;
			}
			formats |= DS_FMT_JSON;
			break;
		case 'S':
			if (strcmp(optarg, "day") == 0)
				series = SERIES_DAY;
			else if (strcmp(optarg, "month") == 0)
				series = SERIES_MONTH;
			else {
				fprintf(stderr, "darkscope-report: --series '%s': allowed day or month\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (from >= to) {
		fprintf(stderr, "darkscope-report: --from must be before --to\n");
		return 2;
	}
	for (i = optind; i < argc; i++)
		if (add_input(x, argv[i]))
			return 1;
	files = x->files;
	n_files = x->n_files;
	if (n_files == 0) {
		fprintf(stderr, "darkscope-report: no archive files (*%s) in the inputs\n", DS_ARCHIVE_SUFFIX);
		return 1;
	}

	/* Pass 1: window, sites, sensor union, compatible parameters. */
	for (k = 0; k < n_files; k++) {
		struct file *f = &files[k];
		struct ds_conf *sc;
		unsigned j, m;

		sc = x->peek = ds_archive_peek(f->path, &f->start, &f->end, f->site, err, sizeof(err));
		if (!sc) {
			fprintf(stderr, "darkscope-report: %s\n", err);
			return 1;
		}
		if (f->start < from || f->end > to) {
			f->start = INT64_MIN;	/* outside the window */
			ds_conf_free(sc);
			x->peek = NULL;
			continue;
		}
		if (!u->conf) {
			if (!(u->conf = ds_conf_default())) {
				fprintf(stderr, "darkscope-report: out of memory\n");
				return 1;
			}
			*u->conf = *sc;
			u->conf->n_sensors = 0;
			u->conf->sensors = calloc(DS_CONF_MAX_SENSORS, sizeof(*u->conf->sensors));
			u->conf->n_watched = 0;
			u->conf->site[0] = 0;
			if (!u->conf->sensors) {
				fprintf(stderr, "darkscope-report: out of memory\n");
				return 1;
			}
		} else if (ds_archive_compatible(u->conf, sc, err, sizeof(err))) {
			fprintf(stderr, "darkscope-report: %s: cannot merge with %s: %s\n", f->path, files[0].path, err);
			return 1;
		}
		for (j = 0; j < sc->n_sensors; j++) {
			char nm[2 * DS_CONF_NAME_LEN + 2];

			sensor_name(f, sc->sensors[j].name, prefix, forced_site, nm, sizeof(nm));
			if (strlen(nm) >= DS_CONF_NAME_LEN) {
				fprintf(stderr, "darkscope-report: %s: sensor name '%s' is too long (max %d)\n",
					f->path, nm, DS_CONF_NAME_LEN - 1);
				return 1;
			}
			if (!in_list(sensors, nm))
				continue;
			for (m = 0; m < u->conf->n_sensors; m++)
				if (strcmp(u->conf->sensors[m].name, nm) == 0)
					break;
			if (m < u->conf->n_sensors) {
				if (strcmp(u->sites[m], f->site) != 0) {
					fprintf(stderr, "darkscope-report: %s: sensor '%s' of site '%s' clashes with the sensor of that name of site '%s'; use --site-prefix\n",
						f->path, nm, f->site, u->sites[m]);
					return 1;
				}
				f->sensors[m / 64] |= 1ull << (m % 64);
				continue;
			}
			if (u->conf->n_sensors == DS_CONF_MAX_SENSORS) {
				fprintf(stderr, "darkscope-report: more than %d sensors\n", DS_CONF_MAX_SENSORS);
				return 1;
			}
			u->conf->sensors[m] = sc->sensors[j];
			snprintf(u->conf->sensors[m].name, DS_CONF_NAME_LEN, "%s", nm);
			snprintf(u->sites[m], DS_CONF_NAME_LEN, "%s", f->site);
			f->sensors[m / 64] |= 1ull << (m % 64);
			u->conf->n_sensors++;
		}
		if (f->start < wstart)
			wstart = f->start;
		if (f->end > wend)
			wend = f->end;
		used++;
		ds_conf_free(sc);
		x->peek = NULL;
	}
	if (!used || !u->conf || u->conf->n_sensors == 0) {
		fprintf(stderr, "darkscope-report: no archived period (with the chosen sensors) lies inside the window\n");
		return 1;
	}
	if (geo_path && !(x->geo = ds_geo_load(geo_path, err, sizeof(err)))) {
		fprintf(stderr, "darkscope-report: %s\n", err);
		return 1;
	}
	qsort(files, n_files, sizeof(*files), file_cmp);
	/* The same sensor twice in overlapping windows would be counted twice:
	 * a file given twice, or a daily roll-up beside its period files. */
	for (k = 0; k < n_files; k++) {
		size_t j2;

		if (files[k].start == INT64_MIN)
			continue;
		for (j2 = k + 1; j2 < n_files && files[j2].start < files[k].end; j2++) {
			unsigned w;

			if (files[j2].start == INT64_MIN)
				continue;
			for (w = 0; w < DS_CONF_MAX_SENSORS / 64; w++)
				if (files[k].sensors[w] & files[j2].sensors[w])
					break;
			if (w < DS_CONF_MAX_SENSORS / 64) {
				fprintf(stderr, "darkscope-report: %s and %s overlap in time for the same sensor (a file given twice, or a daily roll-up beside its period files)\n",
					files[k].path, files[j2].path);
				return 1;
			}
		}
	}
	acc = x->acc = ds_set_create(u->conf);
	if (series != SERIES_NONE) {
		bucket = x->bucket = ds_set_create(u->conf);
		ser = x->ser = series_new(series);
	}
	if (!acc || (series != SERIES_NONE && (!bucket || !ser))) {
		fprintf(stderr, "darkscope-report: out of memory\n");
		return 1;
	}
	acc->n_watch = 0;
	memset(acc->watch_slot, 0, sizeof(acc->watch_slot));
	if (bucket) {
		bucket->n_watch = 0;
		memset(bucket->watch_slot, 0, sizeof(bucket->watch_slot));
	}

	/* Pass 2: merge. */
	{
		int64_t bstart = INT64_MIN, bend = 0;
		int have = 0;
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (k = 0; k < n_files; k++) {
			struct file *f = &files[k];
			uint16_t map[DS_CONF_MAX_SENSORS];
			struct ds_set *s;
			unsigned j, m;

			if (f->start == INT64_MIN)
				continue;
			if (ds_archive_read_reuse(f->path, &x->scratch, NULL, NULL, err, sizeof(err)) == 0)
				s = x->scratch;
			else
				s = NULL;
			if (!s) {
				fprintf(stderr, "darkscope-report: %s\n", err);
				return 1;
			}
			for (j = 0; j < s->n_sensors; j++) {
				char nm[2 * DS_CONF_NAME_LEN + 2];

				sensor_name(f, s->conf->sensors[j].name, prefix, forced_site, nm, sizeof(nm));
				map[j] = DS_ARCHIVE_DROP;
				for (m = 0; m < u->conf->n_sensors; m++)
					if (strcmp(u->conf->sensors[m].name, nm) == 0)
						map[j] = (uint16_t)m;
			}
			if (ds_archive_merge(acc, s, map)) {
				fprintf(stderr, "darkscope-report: %s: cannot merge (sketch parameters or too many watched ports)\n", f->path);
				return 1;
			}
			if (bucket) {
				int64_t b0 = series_bucket(series, f->start);

				if (have && b0 != bstart) {
					series_add(ser, bucket, bstart, bend);
					ds_set_clear(bucket);
				}
				if (!have || b0 != bstart) {
					bstart = b0;
					bend = series_bucket_end(series, b0);
					have = 1;
				}
				if (ds_archive_merge(bucket, s, map)) {
					fprintf(stderr, "darkscope-report: %s: cannot merge\n", f->path);
					return 1;
				}
			}
		}
		ds_archive_free(x->scratch);
		x->scratch = NULL;
		if (bucket && have)
			series_add(ser, bucket, bstart, bend);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!quiet)
			fprintf(stderr, "darkscope-report: merged %zu archive(s), %u sensor(s), in %.3f s\n",
				used, u->conf->n_sensors,
				(double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	if (dump && series_dump_sketches(acc, dump) != 0) {
		fprintf(stderr, "darkscope-report: %s: cannot write the sketch dump\n", dump);
		return 1;
	}
	{
		struct ds_report_ctx rx = { 0 };

		rx.conf = u->conf;
		rx.geo = x->geo;
		rx.start = from != INT64_MIN ? from : wstart;
		rx.end = to != INT64_MAX ? to : wend;
		rx.source = "archive";
		r = x->report = ds_report_build(acc, &rx);
		if (!r) {
			fprintf(stderr, "darkscope-report: out of memory building the report\n");
			return 1;
		}
		ds_report_stamp(rx.start, name, sizeof(name));
	}
	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "darkscope-report: %s: %s\n", out, strerror(errno));
		return 1;
	}
	if (ser) {
		json_object_set_new(r, "series", series_json(ser));
		if (series_write_csv(ser, out) != 0) {
			fprintf(stderr, "darkscope-report: %s: cannot write the series files\n", out);
			return 1;
		}
	}
	if (ds_report_write(r, out, name, formats, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "darkscope-report: %s\n", err);
		return 1;
	}
	if (!quiet)
		fprintf(stderr, "darkscope-report: wrote %s/%s/\n", out, name);
	return 0;
}

int
main(int argc, char **argv)
{
	struct run x = { 0 };
	int rc;

	ds_mem_set_prefault(0);	/* archives in, reports out: no fast path */
	rc = run(&x, argc, argv);

	run_free(&x);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkscope: DPDK darknet telescope.  Command line in DPDK's convention,
 *   darkscope [EAL options] -- -c FILE [options]
 * plus an offline shortcut that builds the EAL arguments itself,
 *   darkscope --pcap FILE... -c FILE [options]
 * which replays the files through the DPDK pcap vdev (one rx queue and one
 * worker per file) as fast as it can on the packet clock, writes the last
 * partial period at end of input and exits 0.
 *
 * Start-up order: configuration (exit 2 on any error, before EAL), EAL,
 * GeoIP table, sensor table, sketch sets (all memory fixed here), ports,
 * workers; then the main lcore runs the manager until a signal or the end
 * of input.  Shutdown: stop workers, wait for lcores, flush the last
 * reports, stop and close ports, rte_eal_cleanup().
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "darkscope.h"
#include "ds_mem.h"

volatile sig_atomic_t ds_force_quit;
volatile sig_atomic_t ds_reload_geo;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		ds_reload_geo = 1;
	else
		ds_force_quit = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: darkscope [EAL options] -- -c FILE [options]\n"
"       darkscope --pcap FILE... -c FILE [options]\n"
"       darkscope --pcap-pmd FILE... -c FILE [options]\n"
"\n"
"DPDK darknet telescope: classifies unsolicited traffic, keeps per-core\n"
"sketches and writes periodic locality reports (darkscope.report/1).\n"
"\n"
"options:\n"
"  -c, --config FILE   configuration (libconfig; see config/darkscope.conf)\n"
"  -o, --out DIR       report directory (overrides output.directory)\n"
"  -g, --geoip FILE    GeoIP MMDB (overrides geoip.database)\n"
"  -a, --archive DIR   sketch archive directory (overrides output.archive)\n"
"  -p, --period SEC    period length (overrides period.length, same rule: a\n"
"                      divisor of 86400 or a multiple of it, <= 49710 days)\n"
"      --pcap FILE...  offline: read capture files (pcap, pcapng; Ethernet;\n"
"                      - is standard input) on one thread, frames of all\n"
"                      files in timestamp order, on the packet clock, and\n"
"                      exit at end of input; no DPDK (no EAL options)\n"
"      --pcap-pmd FILE...  the same through DPDK: the pcap vdev, one rx\n"
"                      queue and worker lcore per file; sets EAL options\n"
"                      itself (--no-huge --no-pci --no-shconf)\n"
"  -q, --quiet         no summary at exit\n"
"  -h, --help          this text\n"
"  -V, --version       version\n"
"\n"
"signals: SIGINT/SIGTERM write the partial period and exit; SIGHUP reloads\n"
"the GeoIP database (the old one is kept if the new one fails).\n"
"exit status: 0 ok, 1 runtime failure, 2 bad command line or configuration.\n");
}

struct opts {
	const char *config;
	const char *out;
	const char *geoip;
	const char *archive;
	long long period;
	int quiet;
	const char **pcaps;
	int n_pcaps;
	int pmd;		/* --pcap-pmd: through the DPDK pcap vdev */
};

static int
parse_app_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "geoip", required_argument, NULL, 'g' },
		{ "archive", required_argument, NULL, 'a' },
		{ "period", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;
	char *end;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:g:a:p:qhV", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'o': o->out = optarg; break;
		case 'g': o->geoip = optarg; break;
		case 'a': o->archive = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'p': {
			char why[200];

			errno = 0;
			o->period = strtoll(optarg, &end, 10);
			if (*end || end == optarg || errno) {
				fprintf(stderr, "darkscope: --period %s: not a number of seconds\n", optarg);
				return -1;
			}
			/* the same rule as period.length */
			if (ds_conf_check_period(o->period, why, sizeof(why))) {
				fprintf(stderr, "darkscope: --period %s: %s\n", optarg, why);
				return -1;
			}
			break;
		}
		case 'h': usage(stdout); exit(0);
		case 'V': printf("darkscope %s (DPDK %s)\n", DS_VERSION, rte_version()); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "darkscope: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->config) {
		fprintf(stderr, "darkscope: no configuration: give -c FILE (see --help)\n");
		return -1;
	}
	return 0;
}

static int
is_pcap_opt(const char *a)
{
	return strcmp(a, "--pcap") == 0 || strcmp(a, "--pcap-pmd") == 0;
}

/* Split "--pcap F1 F2 ... other" (or --pcap-pmd) out of argv; the rest
 * goes to getopt. */
static int
split_pcap(int argc, char **argv, struct opts *o, char **rest, int *n_rest)
{
	int i, n = 0;

	rest[n++] = argv[0];
	for (i = 1; i < argc; i++) {
		if (is_pcap_opt(argv[i])) {
			o->pmd |= strcmp(argv[i], "--pcap-pmd") == 0;
			while (i + 1 < argc && (argv[i + 1][0] != '-' || strcmp(argv[i + 1], "-") == 0))
				o->pcaps[o->n_pcaps++] = argv[++i];
			continue;
		}
		rest[n++] = argv[i];
	}
	*n_rest = n;
	if (o->n_pcaps == 0) {
		fprintf(stderr, "darkscope: --pcap needs at least one file\n");
		return -1;
	}
	for (i = 0; i < o->n_pcaps; i++) {
		if (strcmp(o->pcaps[i], "-") == 0) {
			if (!o->pmd)
				continue;	/* standard input */
			fprintf(stderr, "darkscope: --pcap-pmd reads files, not standard input\n");
			return -1;
		}
		if (access(o->pcaps[i], R_OK) != 0) {
			fprintf(stderr, "darkscope: %s: %s\n", o->pcaps[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* EAL arguments for --pcap: one pcap vdev, one rx queue per file. */
static int
pcap_eal_args(const struct opts *o, char **eal, char *buf, size_t len)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = 0, i;
	size_t off;
	char *lc, *vd;

	if (cpus < 1)
		cpus = 1;
	eal[n++] = "darkscope";
	eal[n++] = "--no-huge";
	eal[n++] = "--no-pci";
	eal[n++] = "--no-shconf";
	eal[n++] = "-m";
	eal[n++] = "1024";
	eal[n++] = "--log-level=*:warning";
	eal[n++] = "--no-telemetry";
	lc = buf;
	off = (size_t)snprintf(lc, len, "--lcores=0@0");
	for (i = 1; i <= o->n_pcaps; i++)
		off += (size_t)snprintf(lc + off, len - off, ",%d@%ld", i, i % cpus);
	vd = lc + off + 1;
	off = (size_t)snprintf(vd, len - off - 1, "--vdev=net_pcap_ds0");
	for (i = 0; i < o->n_pcaps; i++)
		off += (size_t)snprintf(vd + off, len - (size_t)(vd - buf) - off, ",rx_pcap=%s", o->pcaps[i]);
	if ((size_t)(vd - buf) + off >= len - 1)
		return -1;
	eal[n++] = lc;
	eal[n++] = vd;
	return n;
}

static void
apply_overrides(struct ds_conf *c, const struct opts *o)
{
	if (o->out)
		snprintf(c->out_dir, sizeof(c->out_dir), "%s", o->out);
	if (o->geoip)
		snprintf(c->geoip, sizeof(c->geoip), "%s", o->geoip);
	if (o->archive)
		snprintf(c->archive_dir, sizeof(c->archive_dir), "%s", o->archive);
	if (o->period)
		c->period = (uint32_t)o->period;
	if (o->n_pcaps) {
		c->n_ports = 1;
		snprintf(c->ports[0].devargs, sizeof(c->ports[0].devargs), "net_pcap_ds0");
		c->ports[0].queues = (unsigned)o->n_pcaps;
		c->clock = DS_CLOCK_PACKET;
	}
}

static int
setup_sets(struct ds_app *app)
{
	unsigned i, k;

	app->acc = ds_set_create(app->conf);
	app->watch = ds_set_create(app->conf);
	app->sensor_syn = calloc(app->conf->n_sensors, sizeof(uint64_t));
	if (!app->acc || !app->watch || !app->sensor_syn)
		return -ENOMEM;
	app->watch_published = app->watch->n_watch;
	for (i = 0; i < app->n_workers; i++) {
		struct ds_worker *w = &app->workers[i];

		for (k = 0; k < 2; k++)
			if (!(w->set[k] = ds_set_create(app->conf)))
				return -ENOMEM;
		w->cur = 0;
		w->state[0] = DS_SET_OWNED;
		w->state[1] = DS_SET_FREE;
		w->period = app->target;
		w->set[0]->period = app->target;
	}
	return 0;
}

/* Signals, GeoIP and the sensor table: what both input paths need. */
static int
prepare(struct ds_app *app)
{
	char err[700];

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (app->conf->geoip[0]) {
		app->geo = ds_geo_load(app->conf->geoip, err, sizeof(err));
		if (!app->geo) {
			fprintf(stderr, "darkscope: GeoIP: %s\n", err);
			return -1;
		}
	}
	app->sensors = ds_set_sensor_lpm(app->conf);
	if (!app->sensors) {
		fprintf(stderr, "darkscope: cannot build the sensor table\n");
		return -1;
	}
	app->first_period = app->last_period = DS_PERIOD_NONE;
	app->target = app->conf->clock == DS_CLOCK_WALL ?
		ds_period_of(app->conf, (uint64_t)time(NULL) * 1000000000ull) : DS_PERIOD_NONE;
	return 0;
}

static void
banner(const struct ds_app *app)
{
	fprintf(stderr, "darkscope %s: %u sensor(s), %u worker(s), %u s periods on the %s clock, %.1f MiB of sketches per worker, reports in %s/\n",
		DS_VERSION, app->conf->n_sensors, app->n_workers, app->conf->period,
		app->conf->clock == DS_CLOCK_WALL ? "wall" : "packet",
		2.0 * (double)ds_set_bytes(app->acc) / 1048576.0, app->conf->out_dir);
}

static void
summary(const struct ds_app *app)
{
	const struct ds_conf *c = app->conf;
	char a[32] = "-", b[32] = "-";
	uint64_t waits;
	unsigned i;

	if (app->first_period != DS_PERIOD_NONE) {
		ds_report_iso(app->first_period * (int64_t)c->period, a, sizeof(a));
		ds_report_iso((app->last_period + 1) * (int64_t)c->period, b, sizeof(b));
	}
	printf("darkscope: %llu reports in %s/ (one directory per %u s period, %s .. %s)\n",
	       (unsigned long long)app->reports_written, c->out_dir, c->period, a, b);
	printf("darkscope: %llu packets counted by %u worker(s); %llu report write failures\n",
	       (unsigned long long)app->packets_reported, app->n_workers,
	       (unsigned long long)app->report_failures);
	for (i = 0, waits = 0; i < app->n_workers; i++)
		waits += app->workers[i].waits;
	if (waits)
		printf("darkscope: workers waited %llu time(s) at a period's end for the manager to hand back a set (receiving stops meanwhile: a NIC misses packets; longer periods or fewer sensors help)\n",
		       (unsigned long long)waits);
	for (i = 0; i < c->n_sensors; i++)
		printf("  sensor %-10s %-2s %8llu addresses %12llu SYN packets (%.1f per address)\n",
		       c->sensors[i].name, c->sensors[i].country,
		       (unsigned long long)c->sensors[i].addresses,
		       (unsigned long long)app->sensor_syn[i],
		       (double)app->sensor_syn[i] / (double)c->sensors[i].addresses);
}

/* Exit status: 0 when reports were written (or nothing failed). */
static int
exit_status(const struct ds_app *app, int rc)
{
	return rc == 0 && app->reports_written > 0 ? 0 : (rc == 0 && app->report_failures == 0 ? 0 : 1);
}

/* darkscope --pcap: the files through reader.c, no EAL. */
static int
read_files(struct ds_app *app, const struct opts *o)
{
	int rc;

	app->n_workers = 1;
	if (prepare(app) != 0 || setup_sets(app) != 0)
		return 1;
	if (!o->quiet)
		banner(app);
	rc = ds_reader_run(app, o->pcaps, (unsigned)o->n_pcaps);
	if (rc == -1)
		return 1;	/* no file could be read (said why) */
	if (!o->quiet)
		summary(app);
	return exit_status(app, rc);
}

int
main(int argc, char **argv)
{
	static struct ds_app app;
	struct opts o = { 0 };
	char err[700], eal_buf[8192];
	char *rest[argc + 1], *eal[16];	/* no heap: nothing to leak on exit */
	const char *pcaps[argc + 1];
	int n_rest = 0, rc, i, eal_argc;
	unsigned w;

	o.pcaps = pcaps;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("darkscope %s (%s)\n", DS_VERSION, rte_version());
			return 0;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	for (i = 1; i < argc && !is_pcap_opt(argv[i]); i++)
		;
	if (i < argc) {
		/* offline shortcut: everything is an application option */
		if (split_pcap(argc, argv, &o, rest, &n_rest) != 0 ||
		    parse_app_args(n_rest, rest, &o) != 0)
			return 2;
		eal_argc = o.pmd ? pcap_eal_args(&o, eal, eal_buf, sizeof(eal_buf)) : 0;
		if (eal_argc < 0) {
			fprintf(stderr, "darkscope: too many or too long --pcap paths\n");
			return 2;
		}
		app.offline = 1;
		ds_mem_set_prefault(0);	/* file input: no receive ring to overrun */
	} else {
		eal_argc = -1;
	}
	if (eal_argc < 0) {
		/* DPDK convention: EAL options, then -- and ours */
		for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
			;
		rest[0] = argv[0];
		n_rest = 1;
		for (int j = i + 1; j < argc; j++)
			rest[n_rest++] = argv[j];
		if (parse_app_args(n_rest, rest, &o) != 0)
			return 2;
	}
	app.conf = ds_conf_load(o.config, err, sizeof(err));
	if (!app.conf) {
		fprintf(stderr, "darkscope: %s\n", err);
		return 2;
	}
	apply_overrides(app.conf, &o);
	if (app.offline && !o.pmd)
		return read_files(&app, &o);

	rc = eal_argc >= 0 ? rte_eal_init(eal_argc, eal) : rte_eal_init(i, argv);
	if (rc < 0) {
		fprintf(stderr, "darkscope: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (prepare(&app) != 0 || ds_ports_init(&app) != 0 || setup_sets(&app) != 0) {
		ds_ports_close(&app);
		rte_eal_cleanup();
		return 1;
	}
	if (!o.quiet)
		banner(&app);
	for (w = 0; w < app.n_workers; w++)
		rte_eal_remote_launch(ds_worker_main, &app.workers[w], app.workers[w].lcore);
	rc = ds_manager_run(&app);
	ds_ports_close(&app);
	if (!o.quiet)
		summary(&app);
	rte_eal_cleanup();
	return exit_status(&app, rc);
}

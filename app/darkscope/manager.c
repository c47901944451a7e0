/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Management lcore: keeps the clock, tells workers when a period ends,
 * merges every worker's retired set of a period (count-min by addition,
 * HLL by register max, samples by union), writes the report atomically,
 * clears the sets and hands them back.  It also runs surge detection over
 * the merged port sketches, reloads the GeoIP table on SIGHUP (only this
 * lcore reads it, so a pointer swap is enough: workers never touch it), and
 * retries reports that could not be written, keeping them in memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "darkscope.h"
#include "ds_archive.h"
#include "ds_fs.h"
#include "ds_surge.h"

#define PENDING_MAX 64
#define MAX_EMPTY_GAP 100000	/* periods of silence written one by one */

struct pending {
	json_t *report;
	char name[32];
};

struct mgr {
	struct ds_app *app;
	int64_t next;			/* next period to report, NONE until known */
	struct ds_capture last_stats;
	struct pending pending[PENDING_MAX];
	unsigned n_pending;
	struct ds_surge *surge;
	uint64_t last_retry_tsc;
	int acc_clean;			/* app->acc holds nothing since its clear */
	struct ds_set *swapped;		/* clean set given to a worker slot by collect */
	int inline_steps;		/* the worker's thread runs the steps (reader.c) */
	unsigned archived;		/* archives written */
};

static uint64_t
wall_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Live, each report and archive is fsynced as it is written.  Reading
 * files, a run is a batch that can be repeated: its reports and archives
 * are synced once at the end (ds_manager_close), which for daily reports
 * of a long capture is most of the wall time otherwise (three fsyncs per
 * report). */
static int
batch(const struct mgr *g)
{
	return g->app->offline;
}

static unsigned
write_flags(const struct mgr *g)
{
	return batch(g) ? DS_REPORT_NOSYNC : 0;
}

/* syncfs() of the file system holding dir, saying so when it fails. */
static void
sync_dir(const char *dir)
{
	int rc = ds_fs_syncfs(dir);

	if (rc != 0)
		fprintf(stderr, "darkscope: %s: sync failed: %s\n", dir, strerror(-rc));
}

static void
retry_pending(struct mgr *g)
{
	const struct ds_conf *c = g->app->conf;
	char err[600];

	while (g->n_pending) {
		struct pending *p = &g->pending[0];

		if (ds_report_write(p->report, c->out_dir, p->name, c->formats, write_flags(g), err,
				    sizeof(err)) != 0) {
			fprintf(stderr, "darkscope: report %s still not written (%s); kept in memory, will retry\n",
				p->name, err);
			return;
		}
		json_decref(p->report);
		memmove(&g->pending[0], &g->pending[1], --g->n_pending * sizeof(g->pending[0]));
		g->app->reports_written++;
	}
}

static void
capture_delta(struct mgr *g, struct ds_capture *d)
{
	struct ds_capture now;

	ds_ports_stats(g->app, &now);
	d->rx_packets = now.rx_packets - g->last_stats.rx_packets;
	d->rx_missed = now.rx_missed - g->last_stats.rx_missed;
	d->rx_errors = now.rx_errors - g->last_stats.rx_errors;
	d->rx_nombuf = now.rx_nombuf - g->last_stats.rx_nombuf;
	d->worker_waits = now.worker_waits - g->last_stats.worker_waits;
	g->last_stats = now;
}

/* Merge every retired set of period p into acc; acc reports exactly what
 * the merged sets watched. */
static void
collect(struct mgr *g, int64_t p)
{
	struct ds_app *app = g->app;
	struct ds_worker *one_w = NULL;
	unsigned i, k, one_k = 0, n = 0;
	int first = 1;

	for (i = 0; i < app->n_workers; i++)
		for (k = 0; k < 2; k++)
			if (__atomic_load_n(&app->workers[i].state[k], __ATOMIC_ACQUIRE) ==
			    DS_SET_RETIRED && app->workers[i].set[k]->period == p) {
				one_w = &app->workers[i];
				one_k = k;
				n++;
			}
	g->swapped = NULL;
	if (n == 1 && g->acc_clean) {
		/* one set (one worker): it becomes the accumulator and the
		 * clean accumulator takes its slot, instead of a merge that
		 * would read all of it and write all of the accumulator */
		struct ds_set *s = one_w->set[one_k];

		ds_set_flush(s);
		one_w->set[one_k] = app->acc;
		app->acc = s;
		g->swapped = one_w->set[one_k];
		g->acc_clean = 0;
		return;
	}
	g->acc_clean = 0;
	for (i = 0; i < app->n_workers; i++) {
		struct ds_worker *w = &app->workers[i];

		for (k = 0; k < 2; k++) {
			struct ds_set *s = w->set[k];

			if (__atomic_load_n(&w->state[k], __ATOMIC_ACQUIRE) != DS_SET_RETIRED ||
			    s->period != p)
				continue;
			if (first) {
				ds_set_copy_watch(app->acc, s);
				first = 0;
			}
			if (ds_set_merge(app->acc, s) != 0)
				fprintf(stderr, "darkscope: internal error: merge of worker %u failed\n", i);
		}
	}
}

/* Clear the retired sets of period p (and unassigned ones) and hand them
 * back with the current watched-port table: a port found surging in p is
 * watched from the first period a worker starts after this. */
static void
release(struct mgr *g, int64_t p)
{
	struct ds_app *app = g->app;
	unsigned i, k;

	for (i = 0; i < app->n_workers; i++) {
		struct ds_worker *w = &app->workers[i];

		for (k = 0; k < 2; k++) {
			struct ds_set *s = w->set[k];

			if (__atomic_load_n(&w->state[k], __ATOMIC_ACQUIRE) != DS_SET_RETIRED ||
			    (s->period != p && s->period != DS_PERIOD_NONE))
				continue;
			if (s != g->swapped)	/* that one is clean already */
				ds_set_clear(s);
			ds_set_copy_watch(s, app->watch);
			__atomic_store_n(&w->state[k], DS_SET_FREE, __ATOMIC_RELEASE);
		}
	}
}

/*
 * With the steps run on the worker's own thread, the set collect() gave
 * the worker has not been written yet: it goes back to the accumulator and
 * the worker gets its own set back, cleared.  A run then writes one set's
 * pages, not two in turn, and every page first written is a page fault
 * and a zeroing: the 31-day bench run peaks at 27 MB resident instead of
 * 43 MB.
 */
static void
swap_back(struct mgr *g)
{
	struct ds_app *app = g->app;
	unsigned i, k;

	for (i = 0; g->swapped && i < app->n_workers; i++)
		for (k = 0; k < 2; k++) {
			struct ds_worker *w = &app->workers[i];

			if (w->set[k] != g->swapped || w->state[k] != DS_SET_FREE)
				continue;
			w->set[k] = app->acc;
			app->acc = g->swapped;
			ds_set_copy_watch(w->set[k], app->watch);
			g->swapped = NULL;
			return;
		}
}

static void
report(struct mgr *g, int64_t p, int final)
{
	struct ds_app *app = g->app;
	const struct ds_conf *c = app->conf;
	struct ds_surge_event ev[DS_CONF_MAX_WATCHED];
	struct ds_report_ctx x = { 0 };
	char name[32], err[600];
	unsigned n_ev, i;
	json_t *r;

	collect(g, p);
	n_ev = ds_surge_update(g->surge, app->acc, ev, DS_CONF_MAX_WATCHED);
	for (i = 0; i < n_ev; i++)
		if (ds_set_watch(app->watch, ev[i].port, 1) == 0)
			fprintf(stderr, "darkscope: surge on port %u (%llu packets, trailing mean %.1f): watched from now on\n",
				ev[i].port, (unsigned long long)ev[i].packets, ev[i].trailing_mean);
	__atomic_store_n(&app->watch_published, app->watch->n_watch, __ATOMIC_RELEASE);
	release(g, p);
	x.conf = c;
	x.geo = app->geo;
	x.start = p * (int64_t)c->period;
	x.end = x.start + (int64_t)c->period;
	x.surges = ev;
	x.n_surges = n_ev;
	x.source = app->offline ? "pcap" : "live";
	capture_delta(g, &x.capture);
	if (c->clock == DS_CLOCK_PACKET && !final) {
		/* On the packet clock the ports' counters run ahead of the
		 * periods; the final report carries the remainder. */
		uint64_t counted = ds_set_packets(app->acc);

		if (x.capture.rx_packets > counted) {
			g->last_stats.rx_packets -= x.capture.rx_packets - counted;
			x.capture.rx_packets = counted;
		}
	}
	if (c->archive_dir[0]) {
		int64_t now = app->offline ? x.end : (int64_t)time(NULL);
		int rc;

		if (ds_archive_write(app->acc, x.start, x.end, c->archive_dir,
				     batch(g) ? DS_ARCHIVE_NOSYNC : 0, err, sizeof(err))) {
			fprintf(stderr, "darkscope: archive of period %lld not written: %s\n", (long long)p, err);
		} else {
			g->archived++;
			if ((rc = ds_archive_rollup(c->archive_dir, c->archive_keep_days, now, err,
						    sizeof(err))) < 0)
				fprintf(stderr, "darkscope: archive roll-up failed: %s\n", err);
		}
	}
	r = ds_report_build(app->acc, &x);
	app->packets_reported += ds_set_packets(app->acc);
	for (i = 0; i < app->acc->n_sensors; i++)
		app->sensor_syn[i] += app->acc->sensor[i].cls[DS_CLASS_SCAN];
	if (app->first_period == DS_PERIOD_NONE)
		app->first_period = p;
	app->last_period = p;
	ds_set_clear(app->acc);
	g->acc_clean = 1;
	if (g->inline_steps)
		swap_back(g);
	if (!r) {
		fprintf(stderr, "darkscope: out of memory building the report of period %lld\n", (long long)p);
		app->report_failures++;
		return;
	}
	json_object_set_new(r, "appliance", json_pack("{s:I, s:I, s:I}",
		"report_failures", (json_int_t)app->report_failures,
		"geoip_reload_failures", (json_int_t)app->geo_reload_failures,
		"workers", (json_int_t)app->n_workers));
	ds_report_stamp(x.start, name, sizeof(name));
	retry_pending(g);
	if (g->n_pending == 0 &&
	    ds_report_write(r, c->out_dir, name, c->formats, write_flags(g), err, sizeof(err)) == 0) {
		app->reports_written++;
		json_decref(r);
		return;
	}
	app->report_failures++;
	if (g->n_pending == 0)
		fprintf(stderr, "darkscope: cannot write report %s: %s; kept in memory, will retry\n", name, err);
	if (g->n_pending == PENDING_MAX) {
		fprintf(stderr, "darkscope: %u reports pending; dropping the oldest (%s)\n",
			PENDING_MAX, g->pending[0].name);
		json_decref(g->pending[0].report);
		memmove(&g->pending[0], &g->pending[1], --g->n_pending * sizeof(g->pending[0]));
	}
	g->pending[g->n_pending].report = r;
	snprintf(g->pending[g->n_pending].name, sizeof(g->pending[0].name), "%s", name);
	g->n_pending++;
}

/* Lowest period any worker still holds (published or retired). */
static int64_t
lowest_period(struct ds_app *app, int64_t *min_published, int *all_assigned)
{
	int64_t low = DS_PERIOD_DONE, minpub = DS_PERIOD_DONE;
	unsigned i, k;

	*all_assigned = 1;
	for (i = 0; i < app->n_workers; i++) {
		struct ds_worker *w = &app->workers[i];
		int64_t p = __atomic_load_n(&w->period, __ATOMIC_ACQUIRE);

		if (p == DS_PERIOD_NONE)
			*all_assigned = 0;
		if (p < minpub)
			minpub = p;
		if (p != DS_PERIOD_NONE && p < low)
			low = p;
		for (k = 0; k < 2; k++)
			if (__atomic_load_n(&w->state[k], __ATOMIC_ACQUIRE) == DS_SET_RETIRED &&
			    w->set[k]->period != DS_PERIOD_NONE && w->set[k]->period < low)
				low = w->set[k]->period;
	}
	*min_published = minpub;
	return low;
}

static int64_t
highest_retired(struct ds_app *app)
{
	int64_t high = DS_PERIOD_NONE;
	unsigned i, k;

	for (i = 0; i < app->n_workers; i++)
		for (k = 0; k < 2; k++) {
			struct ds_worker *w = &app->workers[i];

			if (__atomic_load_n(&w->state[k], __ATOMIC_ACQUIRE) == DS_SET_RETIRED &&
			    w->set[k]->period > high)
				high = w->set[k]->period;
		}
	return high;
}

/* Report every period that all workers have left; final: every period
 * still held, the last one carrying the rest of the port counters. */
static void
advance(struct mgr *g, int final)
{
	struct ds_app *app = g->app;
	int64_t minpub, low, high;
	int all;

	low = lowest_period(app, &minpub, &all);
	if (!all && !final)
		return;
	if (g->next == DS_PERIOD_NONE) {
		if (low == DS_PERIOD_DONE)
			return;
		g->next = low;
	}
	if (low != DS_PERIOD_DONE && low - g->next > MAX_EMPTY_GAP) {
		fprintf(stderr, "darkscope: %lld empty periods skipped (clock jump)\n",
			(long long)(low - g->next));
		g->next = low;
	}
	if (!final) {
		while (minpub != DS_PERIOD_DONE && g->next < minpub)
			report(g, g->next++, 0);
		return;
	}
	high = highest_retired(app);
	while (g->next <= high) {
		report(g, g->next, g->next == high);
		g->next++;
	}
}

static void
reload_geo(struct ds_app *app)
{
	char err[600];
	struct ds_geo *g;

	if (!app->conf->geoip[0])
		return;
	g = ds_geo_load(app->conf->geoip, err, sizeof(err));
	if (!g) {
		app->geo_reload_failures++;
		fprintf(stderr, "darkscope: SIGHUP: GeoIP reload failed, keeping the old table: %s\n", err);
		return;
	}
	ds_geo_free(app->geo);
	app->geo = g;
	fprintf(stderr, "darkscope: SIGHUP: GeoIP table reloaded from %s (%llu networks)\n",
		app->conf->geoip, (unsigned long long)ds_geo_networks(g));
}

/* Offline: input is over when every worker found its queue drained. */
static int
input_done(struct ds_app *app)
{
	unsigned i;

	for (i = 0; i < app->n_workers; i++)
		if (!__atomic_load_n(&app->workers[i].drained, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

static struct mgr *
mgr_open(struct ds_app *app)
{
	struct mgr *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->app = app;
	g->next = DS_PERIOD_NONE;
	g->acc_clean = 1;	/* created empty */
	g->surge = ds_surge_create(app->conf);
	if (!g->surge) {
		free(g);
		return NULL;
	}
	return g;
}

struct mgr *
ds_manager_open(struct ds_app *app)
{
	struct mgr *g = mgr_open(app);

	if (g)
		g->inline_steps = 1;
	return g;
}

void
ds_manager_advance(struct mgr *g, int final)
{
	if (ds_reload_geo) {
		ds_reload_geo = 0;
		reload_geo(g->app);
	}
	advance(g, final);
}

void
ds_manager_close(struct mgr *g)
{
	unsigned i;

	for (i = 0; g->n_pending && i < 3; i++) {
		retry_pending(g);
		if (g->n_pending)
			sleep(1);
	}
	if (g->n_pending)
		fprintf(stderr, "darkscope: %u report(s) could not be written and are lost\n", g->n_pending);
	if (batch(g) && g->app->reports_written)
		sync_dir(g->app->conf->out_dir);
	if (batch(g) && g->archived)
		sync_dir(g->app->conf->archive_dir);
	ds_surge_free(g->surge);
	free(g);
}

int
ds_manager_run(struct ds_app *app)
{
	struct mgr *g = mgr_open(app);
	const struct ds_conf *c = app->conf;
	uint64_t hz = rte_get_tsc_hz(), tick = 0;
	unsigned i;

	if (!g)
		return -ENOMEM;
	/* port counters start at zero with rte_eth_dev_start */
	while (!ds_force_quit) {
		uint64_t now = wall_ns(), t = rte_get_tsc_cycles();

		__atomic_store_n(&app->now_ns, now, __ATOMIC_RELAXED);
		if (c->clock == DS_CLOCK_WALL) {
			__atomic_store_n(&app->target, ds_period_of(c, now), __ATOMIC_RELEASE);
		} else {
			int64_t max = DS_PERIOD_NONE;

			for (i = 0; i < app->n_workers; i++) {
				int64_t p = __atomic_load_n(&app->workers[i].period, __ATOMIC_ACQUIRE);

				if (p != DS_PERIOD_DONE && p > max)
					max = p;
			}
			if (max != DS_PERIOD_NONE)
				__atomic_store_n(&app->target, max, __ATOMIC_RELEASE);
		}
		ds_manager_advance(g, 0);
		if (g->n_pending && t - g->last_retry_tsc > hz) {
			g->last_retry_tsc = t;
			retry_pending(g);
		}
		if (app->offline && input_done(app))
			break;
		if ((++tick & 0x3ff) == 0)
			rte_delay_us_sleep(100);
		else
			rte_pause();
	}
	/* Stop the workers, then report everything they hold.  A worker may
	 * be waiting in a flip for a set this lcore still has to report and
	 * hand back: keep reporting until every worker has handed over its
	 * last set (published DONE), or it would wait forever. */
	app->stop = 1;
	for (;;) {
		int64_t minpub;
		int all;

		lowest_period(app, &minpub, &all);
		if (minpub == DS_PERIOD_DONE)
			break;
		advance(g, 0);
		rte_pause();
	}
	rte_eal_mp_wait_lcore();
	advance(g, 1);
	ds_manager_close(g);
	return 0;
}

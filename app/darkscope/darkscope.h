/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkscope application: shared state of the main (manager) lcore and the
 * worker lcores.  Each worker owns one rx queue and two sketch sets; the
 * hand-over protocol between a worker and the manager is in worker.c.
 */
#ifndef DARKSCOPE_H
#define DARKSCOPE_H

#include <signal.h>
#include <stdint.h>

#include <rte_common.h>

#include "ds_conf.h"
#include "ds_geo.h"
#include "ds_lpm.h"
#include "ds_report.h"
#include "ds_set.h"

#define DS_MAX_WORKERS 64
#define DS_BURST_MAX 512

enum ds_set_state { DS_SET_FREE = 0, DS_SET_OWNED = 1, DS_SET_RETIRED = 2 };

#define DS_PERIOD_NONE (-1)
#define DS_PERIOD_DONE INT64_MAX

struct ds_worker {
	unsigned id;
	unsigned lcore;
	uint16_t port;
	uint16_t queue;
	struct ds_set *set[2];
	unsigned cur;			/* worker-private: the set it owns */
	/* shared with the manager */
	int state[2];			/* enum ds_set_state, acquire/release */
	int64_t period;			/* published current period */
	uint64_t last_rx_tsc;		/* relaxed: last non-empty burst */
	uint64_t waits;			/* flips that waited for the manager */
	int drained;			/* offline: input over on this queue */
} __rte_cache_aligned;

struct ds_app {
	struct ds_conf *conf;
	struct ds_lpm *sensors;
	struct ds_geo *geo;
	unsigned n_workers;
	struct ds_worker workers[DS_MAX_WORKERS];
	unsigned n_ports;
	uint16_t ports[DS_CONF_MAX_PORTS];
	int offline;			/* --pcap: stop at end of input */
	int64_t target;			/* period workers must reach (acquire) */
	uint64_t now_ns;		/* coarse wall clock for workers (relaxed) */
	volatile int stop;		/* workers stop when set */
	struct ds_set *acc;		/* manager: merge target */
	struct ds_set *watch;		/* manager: master watched-port table */
	unsigned watch_published;	/* slots of watch workers may adopt (release) */
	uint64_t reports_written;
	uint64_t report_failures;
	uint64_t geo_reload_failures;
	uint64_t packets_reported;
	uint64_t *sensor_syn;		/* run totals per sensor, for the summary */
	uint64_t read_packets;		/* --pcap: frames read so far */
	int64_t first_period, last_period;
};

extern volatile sig_atomic_t ds_force_quit;
extern volatile sig_atomic_t ds_reload_geo;

int ds_ports_init(struct ds_app *app);
void ds_ports_close(struct ds_app *app);
void ds_ports_stats(struct ds_app *app, struct ds_capture *out);

int ds_worker_main(void *arg);
int ds_manager_run(struct ds_app *app);

/* The manager's steps, for a caller that runs them itself (reader.c):
 * open; advance after every flip (final: at the end, with every worker's
 * last set retired and its period DONE); close (retries reports that
 * could not be written, then frees). */
struct mgr;
struct mgr *ds_manager_open(struct ds_app *app);
void ds_manager_advance(struct mgr *g, int final);
void ds_manager_close(struct mgr *g);

/* darkscope --pcap: read capture files with libpcap, without DPDK, on one
 * thread that counts and reports in turn.  0, or -1 when no file opens. */
int ds_reader_run(struct ds_app *app, const char *const *files, unsigned n);

static inline int64_t
ds_period_of(const struct ds_conf *c, uint64_t ts_ns)
{
	return (int64_t)(ts_ns / 1000000000ull / c->period);
}

/* Retire w's current set and make it own one for period to. */
typedef void ds_flip_fn(void *arg, struct ds_worker *w, int64_t to);

/* Count pkts [0, n) with times ts[] (ns) on the packet clock into w's
 * current set, splitting the burst at the first packet of a later period
 * (flip() there); packets older than the set's period count as late.  The
 * worker lcores and the --pcap reader both count this way. */
static inline void
ds_count_packet_clock(struct ds_app *app, struct ds_worker *w, const struct ds_pkt *pkts,
		      const uint64_t *ts, unsigned n, ds_flip_fn *flip, void *arg)
{
	const uint64_t len = (uint64_t)app->conf->period * 1000000000ull;
	unsigned start = 0, i;

	for (i = 0; i < n; i++) {
		struct ds_set *s = w->set[w->cur];
		int64_t p;

		/* the set's own period, the common case: no division */
		if (s->period >= 0 && ts[i] - (uint64_t)s->period * len < len)
			continue;
		p = ds_period_of(app->conf, ts[i]);
		if (s->period == DS_PERIOD_NONE) {
			s->period = p;
			__atomic_store_n(&w->period, p, __ATOMIC_RELEASE);
		} else if (p > s->period) {
			ds_set_burst(s, app->sensors, pkts + start, i - start, ts[start]);
			start = i;
			flip(arg, w, p);
		} else if (p < s->period) {
			s->late++;
		}
	}
	ds_set_burst(w->set[w->cur], app->sensors, pkts + start, n - start, ts[start]);
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Worker lcore: poll one rx queue in bursts, parse every frame, count it in
 * the sketch set it owns.  No locks and no atomic read-modify-write per
 * packet: the only shared words are written once per flip.
 *
 * Flip protocol (one writer per word):
 *   worker:  state[cur] = RETIRED (release)      -- set handed to manager
 *            wait until state[other] == FREE (acquire)
 *            state[other] = OWNED; period = q (release)
 *   manager: reads a RETIRED set only after seeing every worker's period
 *            pass it; merges it, clears it, state = FREE (release).
 * A worker flips at a burst boundary when the manager's target period is
 * ahead of its set (wall clock; or, on the packet clock, while idle), and on
 * the packet clock also inside a burst at the first packet of a later
 * period, so every packet lands in the period of its timestamp.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "darkscope.h"
#include "ds_parse.h"

/* Where the PMD puts rx timestamps (looked up once per worker). */
struct ts_field {
	int offset;		/* -1: none */
	uint64_t flag;
};

static void
flip(struct ds_app *app, struct ds_worker *w, int64_t to)
{
	unsigned other = w->cur ^ 1;
	int spun = 0;

	__atomic_store_n(&w->state[w->cur], DS_SET_RETIRED, __ATOMIC_RELEASE);
	while (__atomic_load_n(&w->state[other], __ATOMIC_ACQUIRE) != DS_SET_FREE) {
		spun = 1;
		rte_pause();
	}
	/* the manager reads it for each report */
	__atomic_store_n(&w->waits, w->waits + (uint64_t)spun, __ATOMIC_RELAXED);
	w->cur = other;
	w->set[other]->period = to;
	__atomic_store_n(&w->state[other], DS_SET_OWNED, __ATOMIC_RELAXED);
	__atomic_store_n(&w->period, to, __ATOMIC_RELEASE);
	(void)app;
}

/* Packet timestamp in ns: the PMD's rx timestamp (pcap vdev gives the
 * capture time), else the manager's wall clock. */
static inline uint64_t
pkt_ts(const struct rte_mbuf *m, const struct ts_field *tf, uint64_t now)
{
	if (tf->offset >= 0 && (m->ol_flags & tf->flag)) {
		uint64_t t = *RTE_MBUF_DYNFIELD(m, tf->offset, rte_mbuf_timestamp_t *);

		/* pcap gives ns, some PMDs us */
		return t < 100000000000000000ull ? t * 1000 : t;
	}
	return now;
}

/* Free a burst.  Received mbufs are nearly always single-segment, direct,
 * of one pool, and referenced once: those go back to their pool in one
 * put, without rte_pktmbuf_free_bulk()'s per-mbuf work (what drivers do
 * for RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE; end to end, 4 sensors, six
 * alternated pairs: about 4 % more packets per second, 4 pairs of 6);
 * any other burst takes the full path. */
static inline void
free_burst(struct rte_mbuf **m, uint16_t n)
{
	struct rte_mempool *mp = m[0]->pool;
	uint16_t i;

	for (i = 0; i < n; i++)
		if (unlikely(m[i]->pool != mp || rte_mbuf_refcnt_read(m[i]) != 1 ||
			     m[i]->nb_segs != 1 || m[i]->next != NULL || !RTE_MBUF_DIRECT(m[i]))) {
			rte_pktmbuf_free_bulk(m, n);
			return;
		}
	rte_mempool_put_bulk(mp, (void **)m, n);
}

/* ds_flip_fn for ds_count_packet_clock(). */
static void
flip_cb(void *arg, struct ds_worker *w, int64_t to)
{
	flip(arg, w, to);
}

/* A port the manager found surging: start watching it at once (the report
 * says from when), without waiting for the next set. */
static inline void
adopt_watch(struct ds_app *app, struct ds_worker *w, uint64_t now)
{
	unsigned n = __atomic_load_n(&app->watch_published, __ATOMIC_ACQUIRE);
	struct ds_set *s = w->set[w->cur];

	if (unlikely(n > s->n_watch))
		ds_set_adopt_watch(s, app->watch, n, now);
}

int
ds_worker_main(void *arg)
{
	struct ds_worker *w = arg;
	struct ds_app *app = container_of(w, struct ds_app, workers[w->id]);
	const int packet_clock = app->conf->clock == DS_CLOCK_PACKET;
	const unsigned burst = app->conf->burst;
	struct rte_mbuf *m[DS_BURST_MAX];
	struct ds_pkt pkts[DS_BURST_MAX];
	uint64_t ts[DS_BURST_MAX];
	uint64_t empty = 0, last_rx = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	struct ts_field tf;
	int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);

	tf.offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	tf.flag = bit >= 0 ? 1ull << bit : 0;
	while (!app->stop) {
		int64_t target = __atomic_load_n(&app->target, __ATOMIC_ACQUIRE);
		struct ds_set *s = w->set[w->cur];
		uint16_t nb, i;
		uint64_t now;

		nb = rte_eth_rx_burst(w->port, w->queue, m, (uint16_t)burst);
		if (nb == 0) {
			/* offline: a pcap queue is empty only at end of file;
			 * count our own empty polls, so being descheduled by
			 * the OS is never mistaken for the end */
			if (app->offline && ++empty >= 10000 && rte_get_tsc_cycles() - last_rx > hz / 20)
				__atomic_store_n(&w->drained, 1, __ATOMIC_RELEASE);
			if (target != DS_PERIOD_NONE && (s->period == DS_PERIOD_NONE || s->period < target)) {
				if (s->period == DS_PERIOD_NONE) {
					s->period = target;
					__atomic_store_n(&w->period, target, __ATOMIC_RELEASE);
				} else {
					flip(app, w, target);
				}
			}
			continue;
		}
		now = __atomic_load_n(&app->now_ns, __ATOMIC_RELAXED);
		empty = 0;
		last_rx = rte_get_tsc_cycles();
		__atomic_store_n(&w->last_rx_tsc, last_rx, __ATOMIC_RELAXED);
		for (i = 0; i < nb && i < 4; i++)
			rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
		for (i = 0; i < nb; i++) {
			if (i + 4 < nb)
				rte_prefetch0(rte_pktmbuf_mtod(m[i + 4], void *));
			ds_parse_fast(rte_pktmbuf_mtod(m[i], const uint8_t *), rte_pktmbuf_data_len(m[i]),
				 &pkts[i]);
			ts[i] = packet_clock ? pkt_ts(m[i], &tf, now) : now;
		}
		if (packet_clock) {
			ds_count_packet_clock(app, w, pkts, ts, nb, flip_cb, app);
		} else {
			if (s->period < target)
				flip(app, w, target);
			ds_set_burst(w->set[w->cur], app->sensors, pkts, nb, now);
		}
		free_burst(m, nb);
		adopt_watch(app, w, ts[nb - 1]);
	}
	/* Hand the last set over and say we are done. */
	__atomic_store_n(&w->state[w->cur], DS_SET_RETIRED, __ATOMIC_RELEASE);
	__atomic_store_n(&w->period, DS_PERIOD_DONE, __ATOMIC_RELEASE);
	return 0;
}

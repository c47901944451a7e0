/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ports: probe the devices the configuration names (vdev devargs or PCI
 * addresses, hot-plugged with rte_dev_probe) or take every port EAL found,
 * configure one rx queue per worker with RSS on the source address where
 * the device supports it, ask for rx timestamps where offered (the pcap
 * vdev gives capture times, which the packet clock needs), and sum
 * rte_eth_stats for the reports.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "darkscope.h"

static struct rte_mempool *pool;

static int
probe(const char *devargs, uint16_t *port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(devargs, ",");
	int rc;

	if (n >= sizeof(name))
		return -EINVAL;
	memcpy(name, devargs, n);
	name[n] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port) == 0)
		return 0;	/* already probed by EAL (--vdev / -a) */
	rc = rte_dev_probe(devargs);
	if (rc < 0)
		return rc;
	return rte_eth_dev_get_port_by_name(name, port);
}

static int
setup_port(struct ds_app *app, uint16_t port, unsigned queues, unsigned *next_lcore)
{
	const struct ds_conf *c = app->conf;
	struct rte_eth_conf pc;
	struct rte_eth_dev_info info;
	unsigned q;
	int rc;

	memset(&pc, 0, sizeof(pc));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc)
		return rc;
	if (queues > info.max_rx_queues) {
		fprintf(stderr, "darkscope: port %u supports %u rx queues, %u configured\n",
			port, info.max_rx_queues, queues);
		return -EINVAL;
	}
	if (queues > 1 && info.flow_type_rss_offloads) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_L3_SRC_ONLY);
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
		pc.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	rc = rte_eth_dev_configure(port, (uint16_t)queues, 0, &pc);
	if (rc)
		return rc;
	for (q = 0; q < queues; q++) {
		struct ds_worker *w;

		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, (uint16_t)c->rx_descriptors,
					    rte_eth_dev_socket_id(port), NULL, pool);
		if (rc)
			return rc;
		if (app->n_workers == DS_MAX_WORKERS)
			return -ENOSPC;
		*next_lcore = rte_get_next_lcore(*next_lcore, 1, 0);
		if (*next_lcore >= RTE_MAX_LCORE) {
			fprintf(stderr, "darkscope: %u rx queues need %u worker lcores but EAL has fewer; add lcores (e.g. --lcores=0@0,1@1,2@1)\n",
				app->n_workers + 1, app->n_workers + 1);
			return -ENOSPC;
		}
		w = &app->workers[app->n_workers];
		w->id = app->n_workers++;
		w->lcore = *next_lcore;
		w->port = port;
		w->queue = (uint16_t)q;
	}
	rc = rte_eth_dev_start(port);
	if (rc)
		return rc;
	rte_eth_promiscuous_enable(port);
	app->ports[app->n_ports++] = port;
	return 0;
}

#define OFFLINE_MBUFS 4095

int
ds_ports_init(struct ds_app *app)
{
	const struct ds_conf *c = app->conf;
	unsigned next_lcore = (unsigned)-1, i, mbufs = c->mbufs;
	uint16_t port;
	int rc;

	/* Offline, the pcap PMD takes an mbuf per packet read and the worker
	 * frees each burst at once: a small pool does, and every mbuf of a
	 * large one is written at start-up (37 MB for 16k). */
	if (app->offline && mbufs > OFFLINE_MBUFS)
		mbufs = OFFLINE_MBUFS;
	if (rte_lcore_count() < 2) {
		fprintf(stderr, "darkscope: needs at least 2 lcores (manager + one worker), e.g. -l 0-1 or --lcores=0@0,1@0\n");
		return -EINVAL;
	}
	pool = rte_pktmbuf_pool_create("ds_mbufs", mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (!pool) {
		fprintf(stderr, "darkscope: cannot create the mbuf pool (%u mbufs): %s; give EAL more memory (-m)\n",
			mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (c->n_ports) {
		for (i = 0; i < c->n_ports; i++) {
			rc = probe(c->ports[i].devargs, &port);
			if (rc < 0) {
				fprintf(stderr, "darkscope: %s: cannot probe the device: %s\n",
					c->ports[i].devargs, strerror(-rc));
				return rc;
			}
			rc = setup_port(app, port, c->ports[i].queues, &next_lcore);
			if (rc) {
				fprintf(stderr, "darkscope: %s: port setup failed: %s\n",
					c->ports[i].devargs, strerror(rc < 0 ? -rc : rc));
				return rc;
			}
		}
	} else {
		RTE_ETH_FOREACH_DEV(port) {
			rc = setup_port(app, port, 1, &next_lcore);
			if (rc) {
				fprintf(stderr, "darkscope: port %u setup failed: %s\n", port,
					strerror(rc < 0 ? -rc : rc));
				return rc;
			}
		}
	}
	if (app->n_workers == 0) {
		fprintf(stderr, "darkscope: no port: configure capture.ports or give EAL a device (--vdev, -a)\n");
		return -ENODEV;
	}
	return 0;
}

void
ds_ports_stats(struct ds_app *app, struct ds_capture *out)
{
	struct rte_eth_stats st;
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->rx_packets = app->read_packets;	/* --pcap: no port */
	for (i = 0; i < app->n_ports; i++) {
		if (rte_eth_stats_get(app->ports[i], &st) != 0)
			continue;
		out->rx_packets += st.ipackets;
		out->rx_missed += st.imissed;
		out->rx_errors += st.ierrors;
		out->rx_nombuf += st.rx_nombuf;
	}
	for (i = 0; i < app->n_workers; i++)
		out->worker_waits += __atomic_load_n(&app->workers[i].waits, __ATOMIC_RELAXED);
}

void
ds_ports_close(struct ds_app *app)
{
	unsigned i;

	for (i = 0; i < app->n_ports; i++) {
		rte_eth_dev_stop(app->ports[i]);
		rte_eth_dev_close(app->ports[i]);
	}
}

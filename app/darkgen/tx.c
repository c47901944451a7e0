/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen DPDK sender: frames are copied into mbufs, gathered into bursts
 * of 32 and sent with rte_eth_tx_burst() on one queue of one port (any
 * vdev or NIC EAL gives us).  Rate limiting is a TSC deadline per burst;
 * with --rate 0 bursts go as fast as the port takes them.  A burst the
 * port does not take after a bounded number of retries is counted dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "dg.h"

#define BURST 32
#define NB_MBUF 8191
#define NB_TXD 1024
#define TX_RETRIES 100000

struct dg_tx {
	uint16_t port;
	struct rte_mempool *mp;
	struct rte_mbuf *burst[BURST];
	int n;
	uint64_t sent, dropped;
	uint64_t cycles_per_burst, next;
};

static int
port_setup(struct dg_tx *tx)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int rc;

	memset(&conf, 0, sizeof(conf));
	if ((rc = rte_eth_dev_info_get(tx->port, &info)))
		return rc;
	if ((rc = rte_eth_dev_configure(tx->port, 1, 1, &conf)))
		return rc;
	if ((rc = rte_eth_rx_queue_setup(tx->port, 0, 256, rte_eth_dev_socket_id(tx->port), NULL, tx->mp)))
		return rc;
	if ((rc = rte_eth_tx_queue_setup(tx->port, 0, NB_TXD, rte_eth_dev_socket_id(tx->port), NULL)))
		return rc;
	return rte_eth_dev_start(tx->port);
}

struct dg_tx *
dg_tx_open(int argc, char **argv, int port, double rate)
{
	struct dg_tx *tx;
	int rc;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "darkgen: EAL init failed: %s (try -- --no-huge --no-pci --no-shconf --vdev=net_null0)\n",
			rte_strerror(rte_errno));
		return NULL;
	}
	if (port >= rte_eth_dev_count_avail()) {
		fprintf(stderr, "darkgen: --port %d: only %u DPDK port(s); add a --vdev or a NIC\n", port,
			rte_eth_dev_count_avail());
		return NULL;
	}
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	tx->port = (uint16_t)port;
	tx->mp = rte_pktmbuf_pool_create("darkgen_tx", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 rte_socket_id());
	if (!tx->mp || (rc = port_setup(tx))) {
		fprintf(stderr, "darkgen: cannot set up port %d: %s\n", port, rte_strerror(rte_errno));
		free(tx);
		return NULL;
	}
	if (rate > 0)
		tx->cycles_per_burst = (uint64_t)((double)rte_get_tsc_hz() * BURST / rate);
	tx->next = rte_rdtsc();
	return tx;
}

static void
flush(struct dg_tx *tx)
{
	int done = 0;

	if (tx->cycles_per_burst) {
		while (rte_rdtsc() < tx->next)
			rte_pause();
		tx->next += tx->cycles_per_burst * (uint64_t)tx->n / BURST;
	}
	for (int r = 0; done < tx->n && r < TX_RETRIES; r++)
		done += rte_eth_tx_burst(tx->port, 0, tx->burst + done, (uint16_t)(tx->n - done));
	tx->sent += (uint64_t)done;
	tx->dropped += (uint64_t)(tx->n - done);
	for (int i = done; i < tx->n; i++)
		rte_pktmbuf_free(tx->burst[i]);
	tx->n = 0;
}

int
dg_tx_emit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t ts_us)
{
	struct dg_tx *tx = ctx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(tx->mp);
	char *p;

	if (!m) {
		tx->dropped++;
		return 0;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (!p) {
		rte_pktmbuf_free(m);
		tx->dropped++;
		return 0;
	}
	memcpy(p, frame, len);
	tx->burst[tx->n++] = m;
	if (tx->n == BURST)
		flush(tx);
	return 0;
}

void
dg_tx_close(struct dg_tx *tx, uint64_t *sent, uint64_t *dropped)
{
	if (tx->n)
		flush(tx);
	*sent = tx->sent;
	*dropped = tx->dropped;
	rte_eth_dev_stop(tx->port);
	rte_eth_dev_close(tx->port);
	rte_eal_cleanup();
	free(tx);
}

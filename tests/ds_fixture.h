/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The configuration the ds_set tests share: sensor A, 11.8.16.0/21 (JP,
 * 2048 addresses), and sensor D, 65.116.3.128/25 (ID, 128 addresses: a
 * prefix longer than /24), with a 16,384-slot fingerprint table.  Each
 * test adds what it varies (watched and excluded ports, hygiene).  And
 * the parsed SYN they feed it.
 */
#ifndef DS_FIXTURE_H
#define DS_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "ds_conf.h"
#include "ds_parse.h"

#define A_NET 0x0b081000u	/* 11.8.16.0/21, sensor 0 */
#define D_NET 0x41740380u	/* 65.116.3.128/25, sensor 1 */

static inline struct ds_conf *
ds_fixture_conf_ad(void)
{
	struct ds_conf *c = ds_conf_default();

	c->n_sensors = 2;
	c->sensors = calloc(2, sizeof(*c->sensors));
	strcpy(c->sensors[0].name, "A");
	strcpy(c->sensors[0].country, "JP");
	c->sensors[0].n_prefixes = 1;
	c->sensors[0].prefixes[0] = (struct ds_conf_prefix){ A_NET, 21 };
	c->sensors[0].addresses = 2048;
	strcpy(c->sensors[1].name, "D");
	strcpy(c->sensors[1].country, "ID");
	c->sensors[1].n_prefixes = 1;
	c->sensors[1].prefixes[0] = (struct ds_conf_prefix){ D_NET, 25 };
	c->sensors[1].addresses = 128;
	c->fp_table = 1 << 14;
	c->fp_detail = 64;
	return c;
}

/* A parsed clean SYN (what ds_parse gives the engine for a scan). */
static inline struct ds_pkt
ds_fixture_syn(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq,
	       uint16_t ipid, uint16_t win)
{
	struct ds_pkt p = { 0 };

	p.cls = DS_CLASS_SCAN;
	p.src = src;
	p.dst = dst;
	p.sport = sport;
	p.dport = dport;
	p.seq = seq;
	p.ipid = ipid;
	p.win = win;
	p.tcp_flags = 0x02;
	return p;
}

#endif

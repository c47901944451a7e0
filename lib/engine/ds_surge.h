/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_surge: automatic surge detection over destination ports.  Once per
 * period the manager reads the merged set's exact scan totals per port
 * (port_scans, all sensors) and compares the period's packets with the port's trailing
 * mean over the last `surge_history` periods (a ring of per-port counts,
 * fixed memory).  A port whose packets are at least surge_min_packets and
 * exceed surge_factor x its trailing mean is a surge; the app then watches
 * it from the next period on.  No history = no verdict (the first period
 * never surges).
 */
#ifndef DS_SURGE_H
#define DS_SURGE_H

#include "ds_conf.h"
#include "ds_report.h"
#include "ds_set.h"

struct ds_surge;

struct ds_surge *ds_surge_create(const struct ds_conf *c);
void ds_surge_free(struct ds_surge *g);

/* Account period s; write up to max surges (ports not yet watched by s)
 * into ev.  Returns how many. */
unsigned ds_surge_update(struct ds_surge *g, const struct ds_set *s,
			 struct ds_surge_event *ev, unsigned max);

#endif

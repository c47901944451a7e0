/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Time series of merged archive periods for darkscope-report --series, and
 * the canonical sketch dump (--dump-sketches) the archive tests compare.
 */
#ifndef DSR_SERIES_H
#define DSR_SERIES_H

#include <stdint.h>

#include <jansson.h>

#include "ds_set.h"

enum { SERIES_NONE = 0, SERIES_DAY, SERIES_MONTH };

struct series;

struct series *series_new(int kind);
void series_free(struct series *s);
/* Start of the day or month (UTC) holding t, and the end of that bucket. */
int64_t series_bucket(int kind, int64_t t);
int64_t series_bucket_end(int kind, int64_t start);
/* Append bucket [start, end) summarised from set. */
void series_add(struct series *s, struct ds_set *set, int64_t start, int64_t end);
/* New reference: {"bucket": "day", "points": [...]} */
json_t *series_json(struct series *s);
/* dir/series_sensors.csv, series_ports.csv, series_fingerprints.csv and
 * series.json.  0 or -errno. */
int series_write_csv(struct series *s, const char *dir);
/* Canonical text of every counter and sketch of set, sorted, to path. */
int series_dump_sketches(struct ds_set *set, const char *path);

#endif

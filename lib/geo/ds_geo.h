/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_geo: an IPv4 -> country table compiled once from a MaxMind DB file, so
 * that no libmaxminddb call happens per packet.  The MMDB search tree is
 * walked with MMDB_read_node (the IPv4 subtree of an IPv6 database is 96
 * left branches below node 0); every data record is decoded once and each
 * network is written into a ds_lpm with the netmask the tree gives (networks
 * longer than /24 go to the LPM's /32 groups, so lookups stay exact for
 * up to 2^15 /24s holding such networks; see ds_geo_inexact()).
 *
 * Two schemas are detected by looking at the data: GeoLite2 / GeoIP2
 * (`country.iso_code`, falling back to `registered_country.iso_code`) and the
 * flat `country_code` of the ip-location-db databases.
 */
#ifndef DS_GEO_H
#define DS_GEO_H

#include <stddef.h>
#include <stdint.h>
#include "ds_lpm.h"

#define DS_GEO_MAX_COUNTRIES 1024

struct ds_geo;

/* Load and compile path.  On error returns NULL and writes a message naming
 * the file and the problem into err (errlen bytes, NUL-terminated). */
struct ds_geo *ds_geo_load(const char *path, char *err, size_t errlen);
void ds_geo_free(struct ds_geo *g);

/* Country index of addr: 0 = unknown, else 1..ds_geo_count(). */
uint16_t ds_geo_lookup(const struct ds_geo *g, uint32_t addr);

/* ISO 3166 alpha-2 code of an index ("--" for 0 or out of range). */
const char *ds_geo_country(const struct ds_geo *g, uint16_t idx);

/* Index of an ISO code, 0 if the database has no network for it. */
uint16_t ds_geo_index(const struct ds_geo *g, const char *iso);

unsigned ds_geo_count(const struct ds_geo *g);

/* "country.iso_code" or "country_code". */
const char *ds_geo_schema(const struct ds_geo *g);

/* Networks compiled and bytes held, for logs and the memory report. */
uint64_t ds_geo_networks(const struct ds_geo *g);

/* Addresses whose answer differs from the database: 0 unless more than
 * 2^15 /24s hold networks longer than /24 (the LPM's group limit); those
 * beyond the limit get the country covering most of their addresses. */
uint64_t ds_geo_inexact(const struct ds_geo *g);
uint64_t ds_geo_bytes(const struct ds_geo *g);

#endif

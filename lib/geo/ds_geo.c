/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Compile a MaxMind DB into an IPv4 -> country-index ds_lpm, once, at load
 * time.  The MMDB search tree is a binary trie (one bit per level); in an
 * IPv6 database the IPv4 space ::/96 is the node reached by 96 left branches
 * from node 0.  A depth-first walk of that subtree with MMDB_read_node()
 * yields every IPv4 network as (prefix, depth, data record); leaves of a
 * trie are disjoint, so the LPM gets exactly the per-address answers of
 * MMDB_lookup_sockaddr(), including networks longer than /24.
 *
 * Data records are decoded once per distinct data-section offset (a
 * country database has a few hundred), through a small open-addressing
 * cache.  Each /24 holding networks longer than /24 needs one of the
 * LPM's 2^15 groups; should a database need more, the remaining such /24s
 * get the country covering most of their addresses, and
 * ds_geo_inexact() says how many addresses that misattributes.
 * The walk is bounded: depth 32, and at most 2 * node_count + 64
 * node visits, so a corrupt tree that loops cannot hang the loader;
 * invalid records and undecodable data are errors, never crashes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "ds_geo.h"

#define IPV4_ROOT_DEPTH 96
#define SCHEMA_GEOLITE "country.iso_code"
#define SCHEMA_FLAT "country_code"

struct ds_geo {
	struct ds_lpm *lpm;
	unsigned n;				/* countries, index 1..n */
	char code[DS_GEO_MAX_COUNTRIES + 1][4];	/* NUL-terminated codes */
	const char *schema;
	uint64_t networks;
	uint64_t inexact;		/* addresses answered approximately */
};

/* One IPv4 network found by the walk. */
struct net {
	uint32_t prefix;
	uint8_t len;
	uint16_t value;
};

/* State of one compile: the open DB, the offset cache, the networks. */
struct walk {
	MMDB_s mmdb;
	struct ds_geo *g;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	uint64_t visits, max_visits;
	uint32_t *ckey;		/* data offset + 1, 0 = empty slot */
	uint16_t *cval;		/* country index, 0 = none */
	size_t ccap, cused;
	struct net *nets;
	size_t n_nets, cap_nets;
};

/* Record the first error as "PATH: message". */
static void
fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->failed++ || w->err == NULL || w->errlen == 0)
		return;
	n = snprintf(w->err, w->errlen, "%s: ", w->path);
	if (n < 0 || (size_t)n >= w->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(w->err + n, w->errlen - n, fmt, ap);
	va_end(ap);
}

static inline size_t
cache_slot(uint32_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b1u) & (cap - 1));
}

/* Grow the offset cache to twice its size (power of two). */
static int
cache_grow(struct walk *w)
{
	size_t cap = w->ccap ? w->ccap * 2 : 1024;
	uint32_t *k = calloc(cap, sizeof(*k));
	uint16_t *v = calloc(cap, sizeof(*v));

	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		fail(w, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < w->ccap; i++) {
		size_t s;

		if (w->ckey[i] == 0)
			continue;
		for (s = cache_slot(w->ckey[i], cap); k[s]; s = (s + 1) & (cap - 1))
			;
		k[s] = w->ckey[i];
		v[s] = w->cval[i];
	}
	free(w->ckey);
	free(w->cval);
	w->ckey = k;
	w->cval = v;
	w->ccap = cap;
	return 0;
}

/* Slot of key in the cache: either holding key or empty. */
static size_t
cache_find(const struct walk *w, uint32_t key)
{
	size_t s = cache_slot(key, w->ccap);

	while (w->ckey[s] && w->ckey[s] != key)
		s = (s + 1) & (w->ccap - 1);
	return s;
}

/* Index of a country code, added on first sight; 0 and fail() when full. */
static uint16_t
country_index(struct walk *w, const char *code, size_t len)
{
	struct ds_geo *g = w->g;

	for (unsigned i = 1; i <= g->n; i++)
		if (strlen(g->code[i]) == len && memcmp(g->code[i], code, len) == 0)
			return (uint16_t)i;
	if (g->n >= DS_GEO_MAX_COUNTRIES) {
		fail(w, "more than %d distinct country codes", DS_GEO_MAX_COUNTRIES);
		return 0;
	}
	g->n++;
	memcpy(g->code[g->n], code, len);
	g->code[g->n][len] = '\0';
	return (uint16_t)g->n;
}

/* Look up one path; 1 with *s and *len set when it holds a short string,
 * 0 when absent, -1 (after fail()) when the data cannot be decoded. */
static int
get_code(struct walk *w, MMDB_entry_s *e, const char *const *path,
	 const char **s, size_t *len)
{
	MMDB_entry_data_s d;
	int st = MMDB_aget_value(e, &d, path);

	if (st == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		return 0;
	if (st != MMDB_SUCCESS) {
		fail(w, "corrupt data record at offset %u: %s", e->offset,
		     MMDB_strerror(st));
		return -1;
	}
	if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING ||
	    d.data_size < 1 || d.data_size > 3)
		return 0;
	*s = d.utf8_string;	/* not NUL-terminated: sized by data_size */
	*len = d.data_size;
	return 1;
}

/* Decode the country of a data record: GeoLite2 country, then registered
 * country, then the flat country_code.  Returns the index, 0 if none. */
static uint16_t
decode_country(struct walk *w, MMDB_entry_s *e)
{
	static const char *const p_country[] = { "country", "iso_code", NULL };
	static const char *const p_reg[] = { "registered_country", "iso_code", NULL };
	static const char *const p_flat[] = { "country_code", NULL };
	const char *s = NULL;
	size_t len = 0;
	int r;

	r = get_code(w, e, p_country, &s, &len);
	if (r == 0)
		r = get_code(w, e, p_reg, &s, &len);
	if (r > 0 && w->g->schema == NULL)
		w->g->schema = SCHEMA_GEOLITE;
	if (r == 0) {
		r = get_code(w, e, p_flat, &s, &len);
		if (r > 0 && w->g->schema == NULL)
			w->g->schema = SCHEMA_FLAT;
	}
	return r > 0 ? country_index(w, s, len) : 0;
}

/* Country index of a data record, decoded once per offset. */
static uint16_t
record_country(struct walk *w, MMDB_entry_s *e)
{
	uint32_t key = e->offset + 1;
	size_t s;

	if ((w->cused + 1) * 2 > w->ccap && cache_grow(w) < 0)
		return 0;
	s = cache_find(w, key);
	if (w->ckey[s] == 0) {
		w->ckey[s] = key;
		w->cval[s] = decode_country(w, e);
		w->cused++;
	}
	return w->cval[s];
}

static void
add_net(struct walk *w, uint32_t prefix, uint8_t len, uint16_t value)
{
	if (w->n_nets == w->cap_nets) {
		size_t cap = w->cap_nets ? w->cap_nets * 2 : 4096;
		struct net *n = realloc(w->nets, cap * sizeof(*n));

		if (n == NULL) {
			fail(w, "out of memory");
			return;
		}
		w->nets = n;
		w->cap_nets = cap;
	}
	w->nets[w->n_nets++] = (struct net){ prefix, len, value };
}

static void walk_node(struct walk *w, uint32_t node, uint32_t prefix, uint8_t depth);

/* One record of a node: the network prefix/len points at it. */
static void
walk_record(struct walk *w, uint8_t type, uint64_t rec, MMDB_entry_s *e,
	    uint32_t prefix, uint8_t len)
{
	uint16_t v;

	switch (type) {
	case MMDB_RECORD_TYPE_SEARCH_NODE:
		if (len >= 32)
			fail(w, "corrupt search tree: deeper than 32 bits below the IPv4 root");
		else
			walk_node(w, (uint32_t)rec, prefix, len);
		return;
	case MMDB_RECORD_TYPE_EMPTY:
		return;
	case MMDB_RECORD_TYPE_DATA:
		v = record_country(w, e);
		if (v)
			add_net(w, prefix, len, v);
		return;
	default:
		fail(w, "corrupt search tree: invalid record %llu",
		     (unsigned long long)rec);
	}
}

/* Depth-first walk of node, which covers prefix/depth. */
static void
walk_node(struct walk *w, uint32_t node, uint32_t prefix, uint8_t depth)
{
	MMDB_search_node_s n;
	int st;

	if (w->failed)
		return;
	if (++w->visits > w->max_visits) {
		fail(w, "corrupt search tree: more node visits than nodes (cycle?)");
		return;
	}
	st = MMDB_read_node(&w->mmdb, node, &n);
	if (st != MMDB_SUCCESS) {
		fail(w, "corrupt search tree at node %u: %s", node, MMDB_strerror(st));
		return;
	}
	walk_record(w, n.left_record_type, n.left_record, &n.left_record_entry,
		    prefix, (uint8_t)(depth + 1));
	walk_record(w, n.right_record_type, n.right_record,
		    &n.right_record_entry, prefix | (1u << (31 - depth)),
		    (uint8_t)(depth + 1));
}

/* Walk the IPv4 part: from node 0 in an IPv4 DB, else 96 left branches
 * down, stopping early at a data or empty record (covering all of IPv4). */
static void
walk_ipv4(struct walk *w)
{
	MMDB_search_node_s n;
	uint32_t node = 0;
	int st;

	if (w->mmdb.metadata.ip_version == 4) {
		walk_node(w, 0, 0, 0);
		return;
	}
	if (w->mmdb.metadata.ip_version != 6) {
		fail(w, "unsupported ip_version %u", w->mmdb.metadata.ip_version);
		return;
	}
	for (int i = 0; i < IPV4_ROOT_DEPTH; i++) {
		st = MMDB_read_node(&w->mmdb, node, &n);
		if (st != MMDB_SUCCESS) {
			fail(w, "corrupt search tree at node %u: %s", node,
			     MMDB_strerror(st));
			return;
		}
		if (n.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE) {
			walk_record(w, n.left_record_type, n.left_record,
				    &n.left_record_entry, 0, 0);
			return;
		}
		node = (uint32_t)n.left_record;
	}
	walk_node(w, node, 0, 0);
}

/* Groups the LPM needs: distinct /24s holding networks longer than /24
 * (the walk emits networks in address order). */
static uint32_t
count_groups(const struct walk *w)
{
	uint32_t groups = 0, last = 0;
	int any = 0;

	for (size_t i = 0; i < w->n_nets; i++) {
		const struct net *n = &w->nets[i];

		if (n->len <= 24 || (any && n->prefix >> 8 == last))
			continue;
		groups++;
		last = n->prefix >> 8;
		any = 1;
	}
	return groups;
}

/* Add the n networks longer than /24 that share one /24 (nets[0..n)).
 * With a group left they go in exactly; otherwise the /24 gets the value
 * covering most of its addresses and the others count as inexact. */
static int
add_long_run(struct walk *w, struct ds_lpm *l, const struct net *nets, size_t n)
{
	uint16_t val[256];
	uint32_t cnt[256], best = 0;
	size_t nv = 0;

	if (l->n_groups < l->max_groups) {
		for (size_t i = 0; i < n; i++) {
			int rc = ds_lpm_add(l, nets[i].prefix, nets[i].len, nets[i].value);

			if (rc < 0)
				return rc;
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < nv && val[k] != nets[i].value)
			k++;
		if (k == nv) {
			val[nv] = nets[i].value;
			cnt[nv++] = 0;
		}
		cnt[k] += 1u << (32 - nets[i].len);
		if (cnt[k] > cnt[best])
			best = (uint32_t)k;
	}
	w->g->inexact += 256 - cnt[best];
	return ds_lpm_add(l, nets[0].prefix, 24, val[best]);
}

/* Build the LPM from the collected networks (in address order). */
static void
build_lpm(struct walk *w)
{
	uint32_t groups = count_groups(w);
	struct ds_lpm *l = ds_lpm_create(groups < DS_LPM_EXT ? groups : DS_LPM_EXT, DS_LPM_DENSE);
	int rc = 0;

	if (l == NULL) {
		fail(w, "cannot allocate the lookup table: %s", strerror(errno));
		return;
	}
	for (size_t i = 0, j; i < w->n_nets && rc == 0; i = j) {
		const struct net *n = &w->nets[i];

		j = i + 1;
		if (n->len <= 24) {
			rc = ds_lpm_add(l, n->prefix, n->len, n->value);
			continue;
		}
		while (j < w->n_nets && w->nets[j].len > 24 &&
		       w->nets[j].prefix >> 8 == n->prefix >> 8)
			j++;
		rc = add_long_run(w, l, n, j - i);
	}
	if (rc < 0) {
		fail(w, "building the lookup table: %s", strerror(-rc));
		ds_lpm_free(l);
		return;
	}
	ds_lpm_freeze(l);
	w->g->lpm = l;
	w->g->networks = w->n_nets;
}

static void
compile(struct walk *w)
{
	w->max_visits = 2ull * w->mmdb.metadata.node_count + 64;
	walk_ipv4(w);
	if (w->failed)
		return;
	if (w->n_nets == 0) {
		fail(w, "no IPv4 network with a country (looked for %s, "
		     "registered_country.iso_code and %s)", SCHEMA_GEOLITE, SCHEMA_FLAT);
		return;
	}
	build_lpm(w);
}

/* Plainer messages than MMDB_open's for the common operator mistakes. */
static int
check_file(struct walk *w)
{
	struct stat st;

	if (stat(w->path, &st) < 0) {
		fail(w, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(w, "not a regular file");
		return -1;
	}
	if (st.st_size == 0) {
		fail(w, "empty file, not a MaxMind DB");
		return -1;
	}
	return 0;
}

struct ds_geo *
ds_geo_load(const char *path, char *err, size_t errlen)
{
	struct walk w = { .path = path, .err = err, .errlen = errlen };
	int st;

	if (err && errlen)
		err[0] = '\0';
	w.g = calloc(1, sizeof(*w.g));
	if (w.g == NULL) {
		fail(&w, "out of memory");
		return NULL;
	}
	if (check_file(&w) < 0) {
		ds_geo_free(w.g);
		return NULL;
	}
	st = MMDB_open(path, MMDB_MODE_MMAP, &w.mmdb);
	if (st != MMDB_SUCCESS) {
		if (st == MMDB_IO_ERROR || st == MMDB_FILE_OPEN_ERROR)
			fail(&w, "%s: %s", MMDB_strerror(st), strerror(errno));
		else
			fail(&w, "not a usable MaxMind DB: %s", MMDB_strerror(st));
	} else {
		compile(&w);
		MMDB_close(&w.mmdb);
	}
	free(w.ckey);
	free(w.cval);
	free(w.nets);
	if (w.failed) {
		ds_geo_free(w.g);
		return NULL;
	}
	return w.g;
}

void
ds_geo_free(struct ds_geo *g)
{
	if (g == NULL)
		return;
	ds_lpm_free(g->lpm);
	free(g);
}

uint16_t
ds_geo_lookup(const struct ds_geo *g, uint32_t addr)
{
	return ds_lpm_lookup(g->lpm, addr);
}

const char *
ds_geo_country(const struct ds_geo *g, uint16_t idx)
{
	return idx >= 1 && idx <= g->n ? g->code[idx] : "--";
}

uint16_t
ds_geo_index(const struct ds_geo *g, const char *iso)
{
	for (unsigned i = 1; i <= g->n; i++)
		if (strcasecmp(g->code[i], iso) == 0)
			return (uint16_t)i;
	return 0;
}

unsigned
ds_geo_count(const struct ds_geo *g)
{
	return g->n;
}

const char *
ds_geo_schema(const struct ds_geo *g)
{
	return g->schema;
}

uint64_t
ds_geo_networks(const struct ds_geo *g)
{
	return g->networks;
}

uint64_t
ds_geo_inexact(const struct ds_geo *g)
{
	return g->inexact;
}

uint64_t
ds_geo_bytes(const struct ds_geo *g)
{
	return sizeof(*g) + ds_lpm_bytes(g->lpm);
}

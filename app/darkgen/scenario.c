/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen scenario loading (libconfig).  One small function per section;
 * every error names the file, the line libconfig gives, the key and what is
 * allowed.  Counts in the file are at --scale 1; scaling happens here:
 * sources become max(ceil(n * scale), min(n, 10)) so that every phenomenon
 * keeps a handful of sources at small scales, packets become
 * max(ceil(n * scale), sources); strays (every split target after the
 * first) scale to round(n * scale), possibly 0.  docs/darkgen.md describes
 * the format.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libconfig.h>

#include "dg.h"
#include "dg_rng.h"

static const char *cfg_path;

static int
fail(const config_setting_t *st, const char *key, const char *msg)
{
	fprintf(stderr, "darkgen: %s:%d: %s: %s\n", cfg_path,
		st ? config_setting_source_line(st) : 0, key, msg);
	return -EINVAL;
}

int
dg_parse_date(const char *str, int64_t *out)
{
	struct tm tm;
	int y, m, d, n = 0;

	if (sscanf(str, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || str[n] || m < 1 || m > 12 ||
	    d < 1 || d > 31 || y < 1970)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
dg_parse_cidr(const char *str, struct dg_prefix *p)
{
	char buf[32];
	const char *slash = strchr(str, '/');
	struct in_addr a;
	long len;

	if (!slash || (size_t)(slash - str) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, str, slash - str);
	buf[slash - str] = 0;
	len = strtol(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, buf, &a) != 1 || len < 0 || len > 32)
		return -EINVAL;
	p->len = (int)len;
	p->mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	p->base = ntohl(a.s_addr) & p->mask;
	if (p->base != ntohl(a.s_addr))
		return -EINVAL;
	return 0;
}

/* A number setting of either type, as a double. */
static double
num(const config_setting_t *st)
{
	switch (config_setting_type(st)) {
	case CONFIG_TYPE_INT:
		return config_setting_get_int(st);
	case CONFIG_TYPE_INT64:
		return (double)config_setting_get_int64(st);
	case CONFIG_TYPE_FLOAT:
		return config_setting_get_float(st);
	default:
		return 0;
	}
}

static int
cc_index(struct dg_scenario *s, const char *cc, int add)
{
	for (int i = 0; i < s->ncc; i++)
		if (!strcmp(s->country[i].cc, cc))
			return i;
	if (!add || s->ncc >= DG_MAX_CC || strlen(cc) != 2)
		return -1;
	snprintf(s->country[s->ncc].cc, 3, "%s", cc);
	return s->ncc++;
}

static int
sensor_index(const struct dg_scenario *s, const char *name)
{
	for (int i = 0; i < s->nsensors; i++)
		if (!strcmp(s->sensor[i].name, name))
			return i;
	return -1;
}

static int
load_sensor(struct dg_scenario *s, config_setting_t *g)
{
	struct dg_sensor *sn = &s->sensor[s->nsensors];
	const char *name, *cc;
	config_setting_t *pl = config_setting_get_member(g, "prefixes");

	if (!config_setting_lookup_string(g, "name", &name) || strlen(name) >= 16)
		return fail(g, "sensors.name", "a string of at most 15 characters is required");
	if (!config_setting_lookup_string(g, "country", &cc) || (sn->cc_idx = cc_index(s, cc, 1)) < 0)
		return fail(g, "sensors.country", "a two-letter country code is required");
	snprintf(sn->name, sizeof(sn->name), "%s", name);
	snprintf(sn->cc, sizeof(sn->cc), "%s", cc);
	if (!pl || !config_setting_is_array(pl) || config_setting_length(pl) < 1 ||
	    config_setting_length(pl) > DG_MAX_PREFIX)
		return fail(g, "sensors.prefixes", "an array of 1 to 8 \"a.b.c.d/len\" strings is required");
	for (int i = 0; i < config_setting_length(pl); i++) {
		const char *str = config_setting_get_string_elem(pl, i);
		struct dg_prefix *p = &sn->pfx[sn->npfx++];
		if (!str || dg_parse_cidr(str, p) || p->len < 16)
			return fail(pl, "sensors.prefixes", "bad prefix (a.b.c.d/16 .. /32, host bits zero)");
		if (dg_bogon_overlaps(p))
			return fail(pl, "sensors.prefixes", "prefix overlaps an RFC 6890 block");
		sn->naddr += 1u << (32 - p->len);
	}
	s->nsensors++;
	return 0;
}

static int
load_sensors(struct dg_scenario *s, config_t *c)
{
	config_setting_t *l = config_lookup(c, "sensors");
	int rc;

	if (!l || !config_setting_is_list(l) || config_setting_length(l) < 1 ||
	    config_setting_length(l) > DG_MAX_SENSORS)
		return fail(l, "sensors", "a list of 1 to 4 sensor groups is required");
	for (int i = 0; i < config_setting_length(l); i++)
		if ((rc = load_sensor(s, config_setting_get_elem(l, i))))
			return rc;
	return 0;
}

static int
prefixes_overlap(const struct dg_prefix *a, const struct dg_prefix *b)
{
	uint32_t m = a->len < b->len ? a->mask : b->mask;
	return (a->base & m) == (b->base & m);
}

static int
add_block(struct dg_scenario *s, const struct dg_prefix *p, int cc, int draw,
	  config_setting_t *st)
{
	struct dg_block *b;

	if (s->nblocks >= DG_MAX_BLOCKS)
		return fail(st, "blocks", "too many blocks (at most 256)");
	for (int i = 0; i < s->nblocks; i++)
		if (prefixes_overlap(&s->block[i].p, p))
			return fail(st, "blocks", "blocks must not overlap");
	b = &s->block[s->nblocks++];
	b->p = *p;
	b->cc_idx = cc;
	b->draw = draw;
	b->hosts = p->len > 24 ? (1u << (32 - p->len)) - 2 : (uint64_t)(1u << (24 - p->len)) * 254;
	return 0;
}

static int
load_block(struct dg_scenario *s, config_setting_t *e)
{
	const char *cidr = config_setting_get_string_elem(e, 0);
	const char *cc = config_setting_get_string_elem(e, 1);
	const char *flag = config_setting_length(e) > 2 ? config_setting_get_string_elem(e, 2) : NULL;
	struct dg_prefix p;
	int ci;

	if (!cidr || !cc || dg_parse_cidr(cidr, &p) || p.len < 8 || p.len > 24)
		return fail(e, "blocks", "each entry is (\"a.b.c.d/8..24\", \"CC\" [, \"home\"])");
	if ((ci = cc_index(s, cc, 1)) < 0)
		return fail(e, "blocks", "bad country code (two letters)");
	if (dg_bogon_overlaps(&p))
		return fail(e, "blocks", "block overlaps an RFC 6890 special-purpose block");
	if (flag && strcmp(flag, "home"))
		return fail(e, "blocks", "the optional third element must be \"home\"");
	for (int i = 0; i < s->nsensors; i++)
		for (int j = 0; j < s->sensor[i].npfx; j++)
			if (!flag && prefixes_overlap(&p, &s->sensor[i].pfx[j]))
				return fail(e, "blocks", "a block holding a sensor must be flagged \"home\"");
	return add_block(s, &p, ci, !flag, e);
}

static int
add_home_blocks(struct dg_scenario *s)
{
	for (int i = 0; i < s->nsensors; i++)
		for (int j = 0; j < s->sensor[i].npfx; j++) {
			const struct dg_prefix *p = &s->sensor[i].pfx[j];
			int covered = 0;
			for (int b = 0; b < s->nblocks; b++)
				covered |= prefixes_overlap(&s->block[b].p, p);
			if (!covered && add_block(s, p, s->sensor[i].cc_idx, 0, NULL))
				return -EINVAL;
		}
	return 0;
}

static void
index_countries(struct dg_scenario *s)
{
	for (int b = 0; b < s->nblocks; b++) {
		struct dg_country *c = &s->country[s->block[b].cc_idx];
		if (!s->block[b].draw || c->nblk >= 16)
			continue;
		c->blk[c->nblk++] = b;
		c->hosts += s->block[b].hosts;
	}
}

static int
load_blocks(struct dg_scenario *s, config_t *c)
{
	config_setting_t *l = config_lookup(c, "blocks");
	int rc;

	if (!l || !config_setting_is_list(l))
		return fail(l, "blocks", "a list of (\"cidr\", \"CC\") entries is required");
	for (int i = 0; i < config_setting_length(l); i++)
		if ((rc = load_block(s, config_setting_get_elem(l, i))))
			return rc;
	if ((rc = add_home_blocks(s)))
		return rc;
	index_countries(s);
	return 0;
}

static int
day_of(const struct dg_scenario *s, const char *date, int *day)
{
	int64_t t;

	if (dg_parse_date(date, &t))
		return -EINVAL;
	*day = (int)((t - s->start) / 86400);
	return 0;
}

static int
load_watch(struct dg_scenario *s, config_t *c)
{
	config_setting_t *p = config_lookup(c, "watch.ports");
	config_setting_t *w = config_lookup(c, "watch.windows");

	if (!p || !config_setting_is_array(p) || config_setting_length(p) > DG_MAX_WATCH)
		return fail(p, "watch.ports", "an array of up to 8 ports is required");
	for (int i = 0; i < config_setting_length(p); i++) {
		s->watch[i] = (uint16_t)config_setting_get_int_elem(p, i);
		s->win[i].port = -1;
	}
	s->nwatch = config_setting_length(p);
	for (int i = 0; w && i < config_setting_length(w); i++) {
		config_setting_t *e = config_setting_get_elem(w, i);
		int port = config_setting_get_int_elem(e, 0), k, d0, d1;
		const char *from = config_setting_get_string_elem(e, 1);
		const char *to = config_setting_get_string_elem(e, 2);
		for (k = 0; k < s->nwatch && s->watch[k] != port; k++)
			;
		if (k == s->nwatch || !from || !to || day_of(s, from, &d0) || day_of(s, to, &d1))
			return fail(e, "watch.windows", "each entry is (watched port, \"YYYY-MM-DD\", \"YYYY-MM-DD\")");
		s->win[k] = (struct dg_window){port, d0, d1};
	}
	return 0;
}

static int
load_fingerprints(struct dg_scenario *s, config_t *c)
{
	config_setting_t *l = config_lookup(c, "fingerprints");

	for (int i = 0; l && i < config_setting_length(l) && i < DG_MAX_FP; i++) {
		config_setting_t *e = config_setting_get_elem(l, i);
		if (config_setting_length(e) != 4)
			return fail(e, "fingerprints", "each entry is (sport, seq, ipid, window)");
		s->fp[i].sport = (uint16_t)config_setting_get_int_elem(e, 0);
		s->fp[i].seq = (uint32_t)config_setting_get_int64_elem(e, 1);
		s->fp[i].ipid = (uint16_t)config_setting_get_int_elem(e, 2);
		s->fp[i].window = (uint16_t)config_setting_get_int_elem(e, 3);
		s->nfp++;
	}
	return 0;
}

static int
load_noise(struct dg_scenario *s, config_t *c)
{
	config_setting_t *k = config_lookup(c, "noise.kinds");
	double share = 0.015;

	config_lookup_float(c, "noise.share", &share);
	if (share < 0 || share > 0.5)
		return fail(config_lookup(c, "noise.share"), "noise.share", "must be in 0 .. 0.5");
	s->noise_share = share;
	for (int i = 1; i < DG_K_COUNT; i++)
		s->noise_w[i] = 1.0;
	for (int i = 0; k && i < config_setting_length(k); i++) {
		config_setting_t *e = config_setting_get_elem(k, i);
		int kind = dg_kind_by_name(config_setting_name(e));
		if (kind <= 0)
			return fail(e, "noise.kinds", "unknown noise kind (see docs/darkgen.md)");
		s->noise_w[kind] = num(e);
	}
	return 0;
}

/* (country, weight) list, inline or the name of a list under "mixes". */
static int
load_countries(struct dg_scenario *s, config_t *c, config_setting_t *g,
	       struct dg_campaign *cp)
{
	config_setting_t *l = config_setting_get_member(g, "countries");
	const char *cidr;
	double sum = 0;

	if (config_setting_lookup_string(g, "cidr", &cidr)) {
		if (dg_parse_cidr(cidr, &cp->cidr) || cp->cidr.len > 24 || dg_bogon_overlaps(&cp->cidr) ||
		    dg_country_of(s, cp->cidr.base) < 0)
			return fail(g, "campaigns.cidr", "a /8../24 inside a listed block is required");
		cp->has_cidr = 1;
		return 0;
	}
	if (l && config_setting_type(l) == CONFIG_TYPE_STRING) {
		char key[96];
		snprintf(key, sizeof(key), "mixes.%s", config_setting_get_string(l));
		l = config_lookup(c, key);
	}
	if (!l || !config_setting_is_list(l) || config_setting_length(l) < 1 ||
	    config_setting_length(l) > DG_MAX_CC)
		return fail(g, "campaigns.countries", "a list of (\"CC\", weight) or the name of a mix is required");
	for (int i = 0; i < config_setting_length(l); i++) {
		config_setting_t *e = config_setting_get_elem(l, i);
		const char *cc = config_setting_get_string_elem(e, 0);
		config_setting_t *w = config_setting_get_elem(e, 1);
		int ci = cc ? cc_index(s, cc, 0) : -1;
		if (ci < 0 || !w || !s->country[ci].hosts)
			return fail(e, "campaigns.countries", "unknown country or one without drawable blocks");
		sum += num(w);
		cp->cc_idx[i] = ci;
		cp->cc_cum[i] = sum;
	}
	cp->ncc = config_setting_length(l);
	return 0;
}

static int
load_ports(config_setting_t *g, struct dg_campaign *cp)
{
	config_setting_t *l = config_setting_get_member(g, "ports");
	double sum = 0;

	if (!l || !config_setting_is_list(l) || config_setting_length(l) < 1 ||
	    config_setting_length(l) > DG_MAX_PORTS)
		return fail(g, "campaigns.ports", "a list of 1..64 (port, weight) entries is required (port 0 = other)");
	for (int i = 0; i < config_setting_length(l); i++) {
		config_setting_t *e = config_setting_get_elem(l, i);
		config_setting_t *w = config_setting_get_elem(e, 1);
		int port = config_setting_get_int_elem(e, 0);
		if (!w || port < 0 || port > 65535)
			return fail(e, "campaigns.ports", "each entry is (port 0..65535, weight)");
		sum += num(w);
		cp->port[i] = (uint16_t)port;
		cp->port_cum[i] = sum;
	}
	cp->nport = config_setting_length(l);
	return 0;
}

static uint64_t
scale_sources(uint64_t n, double scale)
{
	uint64_t v = (uint64_t)ceil((double)n * scale - 1e-9);
	uint64_t floor_n = n < 10 ? n : 10;
	return v > floor_n ? v : floor_n;
}

static uint64_t
scale_packets(uint64_t n, double scale, uint64_t sources)
{
	uint64_t v = (uint64_t)ceil((double)n * scale - 1e-9);
	return v > sources ? v : sources;
}

/* Strays (every target after the first) scale in proportion, rounded to
 * the nearest: at small scales a stray of 1 host in 1,000 must not become 1
 * in 10, or locality (>= 95 % of sources at one sensor) would not hold. */
static void
scale_stray(struct dg_pool *p, uint64_t sources, uint64_t packets, double scale)
{
	p->sources = (uint64_t)llround((double)sources * scale);
	p->packets = p->sources ? scale_packets(packets, scale, p->sources) : 0;
}

static int
load_split_targets(struct dg_scenario *s, config_setting_t *l, struct dg_campaign *cp)
{
	uint64_t first = 0;

	if (config_setting_length(l) > DG_MAX_SENSORS)
		return fail(l, "campaigns.targets", "at most one entry per sensor");
	for (int i = 0; i < config_setting_length(l); i++) {
		config_setting_t *e = config_setting_get_elem(l, i);
		const char *name = config_setting_get_string_elem(e, 0);
		int sn = name ? sensor_index(s, name) : -1;
		struct dg_pool *p = &cp->pool[cp->npool++];
		if (sn < 0 || config_setting_length(e) != 3)
			return fail(e, "campaigns.targets", "each entry is (\"sensor\", sources, packets)");
		p->sensor = sn;
		if (i == 0) {
			p->sources = scale_sources((uint64_t)config_setting_get_int64_elem(e, 1), s->scale);
			p->packets = scale_packets((uint64_t)config_setting_get_int64_elem(e, 2), s->scale,
						   p->sources);
		} else {
			scale_stray(p, (uint64_t)config_setting_get_int64_elem(e, 1),
				    (uint64_t)config_setting_get_int64_elem(e, 2), s->scale);
		}
		p->first = first;
		first += p->sources;
	}
	return 0;
}

static int
load_overlap(struct dg_scenario *s, config_setting_t *g, struct dg_campaign *cp)
{
	config_setting_t *spp = config_setting_get_member(g, "sensors_per_source");
	config_setting_t *w = config_setting_get_member(g, "weights");
	long long src = 0, pk = 0;
	double sum = 0;

	if (!config_setting_lookup_int64(g, "sources", &src) || !config_setting_lookup_int64(g, "packets", &pk) ||
	    src < 1 || pk < 1)
		return fail(g, "campaigns.sources", "\"targets\" or \"sources\" and \"packets\" (>= 1) are required");
	cp->npool = 1;
	cp->pool[0].sensor = -1;
	cp->pool[0].sources = scale_sources((uint64_t)src, s->scale);
	cp->pool[0].packets = scale_packets((uint64_t)pk, s->scale, cp->pool[0].sources);
	for (int i = 0; i < s->nsensors; i++) {
		double v = 1.0;
		if (spp && i < config_setting_length(spp))
			v = num(config_setting_get_elem(spp, i));
		else if (spp || i > 0)
			v = 0;
		sum += v;
		cp->spp_cum[i] = sum;
		cp->sw[i] = w ? 0 : 1;
	}
	for (int i = 0; w && i < config_setting_length(w); i++) {
		config_setting_t *e = config_setting_get_elem(w, i);
		const char *name = config_setting_get_string_elem(e, 0);
		config_setting_t *v = config_setting_get_elem(e, 1);
		int sn = name ? sensor_index(s, name) : -1;
		if (sn < 0 || !v)
			return fail(e, "campaigns.weights", "each entry is (\"sensor\", weight)");
		cp->sw[sn] = num(v);
	}
	return sum > 0 ? 0 : fail(spp, "campaigns.sensors_per_source", "needs a positive entry");
}

static int
low_octets_ok(const struct dg_sensor *sn)
{
	for (int j = 0; j < sn->npfx; j++) {
		uint32_t b = sn->pfx[j].base;
		if (((b >> 16) & 255) < 128 && (b & 255) < 128)
			return 1;
	}
	return 0;
}

static long long
opt_int(config_setting_t *g, const char *key, long long dflt)
{
	long long v;
	return config_setting_lookup_int64(g, key, &v) ? v : dflt;
}

static int
load_header(config_setting_t *g, struct dg_campaign *cp)
{
	static const char *tools[] = {"none", "mirai", "zmap", "masscan", "masscan_new"};
	const char *tool = "none";

	config_setting_lookup_string(g, "tool", &tool);
	cp->tool = -1;
	for (int i = 0; i < 5; i++)
		if (!strcmp(tool, tools[i]))
			cp->tool = i;
	if (cp->tool < 0)
		return fail(g, "campaigns.tool", "one of none, mirai, zmap, masscan, masscan_new");
	cp->sport = opt_int(g, "sport", DG_RANDOM);
	cp->seq = opt_int(g, "seq", DG_RANDOM);
	cp->ipid = opt_int(g, "ipid", DG_RANDOM);
	cp->window = opt_int(g, "window", DG_RANDOM);
	cp->ttl = opt_int(g, "ttl", DG_RANDOM);
	cp->ipopt_share = 0.002;
	config_setting_lookup_float(g, "ip_options", &cp->ipopt_share);
	return 0;
}

static int
load_window(struct dg_scenario *s, config_setting_t *g, struct dg_campaign *cp,
	    int64_t cfg_start, int cfg_days)
{
	const char *from, *to;

	cp->day0 = (int)((cfg_start - s->start) / 86400);
	cp->day1 = cp->day0 + cfg_days - 1;
	if (config_setting_lookup_string(g, "from", &from) && day_of(s, from, &cp->day0))
		return fail(g, "campaigns.from", "a date YYYY-MM-DD is required");
	if (config_setting_lookup_string(g, "to", &to) && day_of(s, to, &cp->day1))
		return fail(g, "campaigns.to", "a date YYYY-MM-DD is required");
	if (cp->day1 < cp->day0)
		return fail(g, "campaigns.to", "must not be before \"from\"");
	return 0;
}

static int
load_campaign(struct dg_scenario *s, config_t *c, config_setting_t *g,
	      int64_t cfg_start, int cfg_days)
{
	struct dg_campaign *cp = &s->camp[s->ncamp];
	config_setting_t *t = config_setting_get_member(g, "targets");
	const char *name = "", *filter = NULL;
	int rc;

	config_setting_lookup_string(g, "name", &name);
	snprintf(cp->name, sizeof(cp->name), "%s", name);
	cp->key = dg_hash3(s->seed, 0xca3ULL, (uint64_t)s->ncamp);
	if ((rc = load_window(s, g, cp, cfg_start, cfg_days)) || (rc = load_countries(s, c, g, cp)) ||
	    (rc = load_ports(g, cp)) || (rc = load_header(g, cp)))
		return rc;
	rc = t ? load_split_targets(s, t, cp) : load_overlap(s, g, cp);
	if (rc)
		return rc;
	if (config_setting_lookup_string(g, "filter", &filter)) {
		if (strcmp(filter, "low_octets"))
			return fail(g, "campaigns.filter", "only \"low_octets\" is known");
		cp->filter_low = 1;
		for (int i = 0; i < s->nsensors; i++)
			if (!low_octets_ok(&s->sensor[i]))
				cp->sw[i] = 0;
	}
	s->ncamp++;
	return 0;
}

static int
load_campaigns(struct dg_scenario *s, config_t *c, int64_t cfg_start, int cfg_days)
{
	config_setting_t *l = config_lookup(c, "campaigns");
	int rc;

	if (!l || !config_setting_is_list(l) || config_setting_length(l) > DG_MAX_CAMPAIGNS)
		return fail(l, "campaigns", "a list of at most 64 campaign groups is required");
	for (int i = 0; i < config_setting_length(l); i++)
		if ((rc = load_campaign(s, c, config_setting_get_elem(l, i), cfg_start, cfg_days)))
			return rc;
	return 0;
}

static int
load_range(struct dg_scenario *s, config_t *c, const char *start, const char *end,
	   int64_t *cfg_start, int *cfg_days)
{
	const char *cs = "2014-01-01", *ce = "2014-07-31";
	int64_t t0, t1;

	config_lookup_string(c, "start", &cs);
	config_lookup_string(c, "end", &ce);
	if (dg_parse_date(cs, &t0) || dg_parse_date(ce, &t1) || t1 < t0)
		return fail(config_lookup(c, "start"), "start/end", "dates YYYY-MM-DD with start <= end");
	*cfg_start = t0;
	*cfg_days = (int)((t1 - t0) / 86400) + 1;
	if ((start && dg_parse_date(start, &t0)) || (end && dg_parse_date(end, &t1)) || t1 < t0) {
		fprintf(stderr, "darkgen: --start/--end: dates YYYY-MM-DD with start <= end\n");
		return -EINVAL;
	}
	s->start = t0;
	s->ndays = (int)((t1 - t0) / 86400) + 1;
	return 0;
}

int
dg_scenario_load(struct dg_scenario *s, const char *path, double scale,
		 uint64_t seed, const char *start, const char *end)
{
	config_t c;
	const char *name = NULL;
	int64_t cfg_start;
	int cfg_days, rc;

	memset(s, 0, sizeof(*s));
	s->scale = scale;
	s->seed = seed;
	cfg_path = path;
	config_init(&c);
	if (!config_read_file(&c, path)) {
		fprintf(stderr, "darkgen: %s:%d: %s\n", path, config_error_line(&c),
			config_error_text(&c));
		config_destroy(&c);
		return -EINVAL;
	}
	config_lookup_string(&c, "name", &name);
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "unnamed");
	rc = load_range(s, &c, start, end, &cfg_start, &cfg_days);
	if (!rc)
		rc = load_sensors(s, &c);
	if (!rc)
		rc = load_blocks(s, &c);
	if (!rc)
		rc = load_watch(s, &c);
	if (!rc)
		rc = load_fingerprints(s, &c);
	if (!rc)
		rc = load_noise(s, &c);
	if (!rc)
		rc = load_campaigns(s, &c, cfg_start, cfg_days);
	config_destroy(&c);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Configuration loader.  The file is parsed by libconfig; this module walks
 * it group by group.  Each group has a table of allowed keys, so an unknown
 * key (a typo) is an error instead of a silently ignored setting, and each
 * key has one function that checks type and range.  Every message has the
 * form "file:line: key: what is wrong; allowed: ..." so the operator knows
 * exactly what to change (as Suricata's ConfigSetMempoolSize does).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <libconfig.h>

#include "ds_conf.h"

struct ctx {
	const char *file;
	char *err;
	size_t errlen;
};

static int
fail(struct ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line = s ? config_setting_source_line(s) : 0;

	if (line > 0)
		snprintf(x->err, x->errlen, "%s:%d: %s: %s", x->file, line, key, msg);
	else	/* a missing key has no line */
		snprintf(x->err, x->errlen, "%s: %s: %s", x->file, key, msg);
	return -EINVAL;
}

/* Reject keys of group g that are not in allowed (NULL-terminated). */
static int
check_keys(struct ctx *x, const config_setting_t *g, const char *where,
	   const char *const *allowed)
{
	int i, n = config_setting_length(g);

	if (!config_setting_is_group(g))
		return fail(x, g, where, "must be a group { ... }");
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		const char *const *a;
		char list[300] = "";

		for (a = allowed; *a; a++)
			if (strcmp(*a, name) == 0)
				break;
		if (*a)
			continue;
		for (a = allowed; *a; a++) {
			strncat(list, *a, sizeof(list) - strlen(list) - 3);
			if (a[1])
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		}
		return fail(x, s, where[0] ? where : name,
			    "unknown key '%s'; allowed keys here: %s", name, list);
	}
	return 0;
}

static int
get_uint(struct ctx *x, const config_setting_t *g, const char *key,
	 long long lo, long long hi, uint64_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	long long v;

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(x, s, key, "must be an integer; allowed: %lld..%lld", lo, hi);
	v = config_setting_get_int64(s);
	/* libconfig reads a literal above INT32_MAX without the L suffix
	 * modulo 2^32: say so when that is the likely cause */
	if (v < lo && v < 0 && lo >= 0 && hi > INT32_MAX && config_setting_type(s) == CONFIG_TYPE_INT)
		return fail(x, s, key, "%lld is out of range; allowed: %lld..%lld (write integers above %d with the suffix L, as in %lldL)",
			    v, lo, hi, INT32_MAX, hi);
	if (v < lo || v > hi)
		return fail(x, s, key, "%lld is out of range; allowed: %lld..%lld", v, lo, hi);
	*out = (uint64_t)v;
	return 0;
}

static int
get_u32(struct ctx *x, const config_setting_t *g, const char *key,
	long long lo, long long hi, unsigned *out)
{
	uint64_t v = *out;
	int rc = get_uint(x, g, key, lo, hi, &v);

	*out = (unsigned)v;
	return rc;
}

static int
get_pow2(struct ctx *x, const config_setting_t *g, const char *key,
	 unsigned lo_log2, unsigned hi_log2, unsigned *out_log2)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	uint64_t v = 0;
	int rc;

	if (!s)
		return 0;
	rc = get_uint(x, g, key, 1ll << lo_log2, 1ll << hi_log2, &v);
	if (rc)
		return rc;
	if (v & (v - 1))
		return fail(x, s, key, "%llu is not a power of two; allowed: 2^%u..2^%u",
			    (unsigned long long)v, lo_log2, hi_log2);
	*out_log2 = (unsigned)__builtin_ctzll(v);
	return 0;
}

static int
get_double(struct ctx *x, const config_setting_t *g, const char *key,
	   double lo, double hi, double *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	double v;

	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		 config_setting_type(s) == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else
		return fail(x, s, key, "must be a number; allowed: %g..%g", lo, hi);
	if (!(v >= lo && v <= hi))
		return fail(x, s, key, "%g is out of range; allowed: %g..%g", v, lo, hi);
	*out = v;
	return 0;
}

static int
get_bool(struct ctx *x, const config_setting_t *g, const char *key, bool *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail(x, s, key, "must be true or false");
	*out = config_setting_get_bool(s);
	return 0;
}

static int
get_string(struct ctx *x, const config_setting_t *g, const char *key,
	   char *out, size_t len)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	const char *v;

	if (!s)
		return 0;
	v = config_setting_get_string(s);
	if (!v)
		return fail(x, s, key, "must be a string in double quotes");
	if (strlen(v) >= len)
		return fail(x, s, key, "is too long; allowed: at most %zu characters", len - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

int
ds_conf_parse_prefix(const char *s, struct ds_conf_prefix *out)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	long len;
	uint32_t addr, mask;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || len < 0 || len > 32)
		return -EINVAL;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	addr = ntohl(a.s_addr);
	mask = len ? ~0u << (32 - len) : 0;
	if (addr & ~mask)
		return -EINVAL;
	out->addr = addr;
	out->len = (uint8_t)len;
	return 0;
}

void
ds_conf_format_prefix(const struct ds_conf_prefix *p, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u/%u", p->addr >> 24, (p->addr >> 16) & 0xff,
		 (p->addr >> 8) & 0xff, p->addr & 0xff, p->len);
}

static bool
prefixes_overlap(const struct ds_conf_prefix *a, const struct ds_conf_prefix *b)
{
	unsigned len = a->len < b->len ? a->len : b->len;
	uint32_t mask = len ? ~0u << (32 - len) : 0;

	return (a->addr & mask) == (b->addr & mask);
}

static int
load_sensor(struct ctx *x, struct ds_conf *c, const config_setting_t *g, unsigned idx)
{
	static const char *const keys[] = { "name", "country", "prefixes", NULL };
	struct ds_conf_sensor *sn = &c->sensors[idx];
	const config_setting_t *pl;
	unsigned i;
	int rc, n;

	rc = check_keys(x, g, "sensors", keys);
	if (rc)
		return rc;
	if (!config_setting_get_member(g, "name"))
		return fail(x, g, "sensors", "sensor #%u has no name; add name = \"...\";", idx + 1);
	rc = get_string(x, g, "name", sn->name, sizeof(sn->name));
	if (rc)
		return rc;
	for (i = 0; sn->name[i]; i++)
		if (!isalnum((unsigned char)sn->name[i]) && !strchr("-_.:", sn->name[i]))
			return fail(x, config_setting_get_member(g, "name"), "name",
				    "'%s' has a bad character; allowed: letters, digits, - _ . :",
				    sn->name);
	if (!sn->name[0])
		return fail(x, g, "name", "is empty; allowed: 1..31 characters");
	for (i = 0; i < idx; i++)
		if (strcmp(c->sensors[i].name, sn->name) == 0)
			return fail(x, g, "name", "'%s' is used by two sensors; names must be unique",
				    sn->name);
	strcpy(sn->country, "--");
	if (config_setting_get_member(g, "country")) {
		char cc[8] = "";
		const config_setting_t *s = config_setting_get_member(g, "country");

		rc = get_string(x, g, "country", cc, sizeof(cc));
		if (rc)
			return rc;
		if (strlen(cc) != 2 || !isalpha((unsigned char)cc[0]) || !isalpha((unsigned char)cc[1]))
			return fail(x, s, "country", "'%s' is not an ISO 3166 alpha-2 code; allowed: two letters such as \"JP\"", cc);
		sn->country[0] = (char)toupper((unsigned char)cc[0]);
		sn->country[1] = (char)toupper((unsigned char)cc[1]);
		sn->country[2] = '\0';
	}
	pl = config_setting_get_member(g, "prefixes");
	if (!pl || !(config_setting_is_array(pl) || config_setting_is_list(pl)) ||
	    config_setting_length(pl) == 0)
		return fail(x, pl ? pl : g, "prefixes", "sensor '%s' needs prefixes = [ \"a.b.c.d/len\", ... ];",
			    sn->name);
	n = config_setting_length(pl);
	if (n > DS_CONF_MAX_PREFIXES)
		return fail(x, pl, "prefixes", "%d prefixes; allowed: at most %d", n, DS_CONF_MAX_PREFIXES);
	for (i = 0; i < (unsigned)n; i++) {
		const config_setting_t *e = config_setting_get_elem(pl, i);
		const char *v = config_setting_get_string(e);

		if (!v || ds_conf_parse_prefix(v, &sn->prefixes[i]) != 0)
			return fail(x, e, "prefixes", "'%s' is not an IPv4 prefix; allowed: \"a.b.c.d/len\" with len 0..32 and host bits zero",
				    v ? v : "(not a string)");
		sn->addresses += 1ull << (32 - sn->prefixes[i].len);
	}
	sn->n_prefixes = (unsigned)n;
	return 0;
}

static int
check_overlaps(struct ctx *x, struct ds_conf *c, const config_setting_t *list)
{
	unsigned a, b, i, j;
	char p1[24], p2[24];

	for (a = 0; a < c->n_sensors; a++)
		for (b = a; b < c->n_sensors; b++)
			for (i = 0; i < c->sensors[a].n_prefixes; i++)
				for (j = (a == b ? i + 1 : 0); j < c->sensors[b].n_prefixes; j++) {
					if (!prefixes_overlap(&c->sensors[a].prefixes[i],
							      &c->sensors[b].prefixes[j]))
						continue;
					ds_conf_format_prefix(&c->sensors[a].prefixes[i], p1, sizeof(p1));
					ds_conf_format_prefix(&c->sensors[b].prefixes[j], p2, sizeof(p2));
					return fail(x, config_setting_get_elem(list, b), "prefixes",
						    "%s of sensor '%s' overlaps %s of sensor '%s'; allowed: disjoint prefixes",
						    p2, c->sensors[b].name, p1, c->sensors[a].name);
				}
	return 0;
}

static int
load_sensors(struct ctx *x, struct ds_conf *c, const config_setting_t *root)
{
	const config_setting_t *list = config_setting_get_member(root, "sensors");
	int i, n, rc;

	if (!list)
		return fail(x, root, "sensors", "missing; add sensors = ( { name = \"A\"; country = \"JP\"; prefixes = [ \"192.0.2.0/24\" ]; } );");
	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return fail(x, list, "sensors", "must be a list ( { ... }, ... )");
	n = config_setting_length(list);
	if (n < 1 || n > DS_CONF_MAX_SENSORS)
		return fail(x, list, "sensors", "%d sensors; allowed: 1..%d", n, DS_CONF_MAX_SENSORS);
	c->sensors = calloc((size_t)n, sizeof(*c->sensors));
	if (!c->sensors)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = load_sensor(x, c, config_setting_get_elem(list, (unsigned)i), (unsigned)i);
		if (rc)
			return rc;
		c->n_sensors = (unsigned)i + 1;
	}
	return check_overlaps(x, c, list);
}

static int
load_capture(struct ctx *x, struct ds_conf *c, const config_setting_t *g)
{
	static const char *const keys[] = { "ports", "burst", "rx_descriptors", "mbufs", NULL };
	static const char *const pkeys[] = { "devargs", "queues", NULL };
	const config_setting_t *pl;
	int rc, i, n;

	rc = check_keys(x, g, "capture", keys);
	if (rc)
		return rc;
	if ((rc = get_u32(x, g, "burst", 1, 512, &c->burst)) ||
	    (rc = get_u32(x, g, "rx_descriptors", 64, 32768, &c->rx_descriptors)) ||
	    (rc = get_u32(x, g, "mbufs", 1023, 16777215, &c->mbufs)))
		return rc;
	pl = config_setting_get_member(g, "ports");
	if (!pl)
		return 0;
	if (!config_setting_is_list(pl))
		return fail(x, pl, "ports", "must be a list ( { devargs = \"...\"; queues = 1; } )");
	n = config_setting_length(pl);
	if (n > DS_CONF_MAX_PORTS)
		return fail(x, pl, "ports", "%d ports; allowed: at most %d", n, DS_CONF_MAX_PORTS);
	for (i = 0; i < n; i++) {
		const config_setting_t *p = config_setting_get_elem(pl, (unsigned)i);
		struct ds_conf_port *cp = &c->ports[i];

		rc = check_keys(x, p, "ports", pkeys);
		if (rc)
			return rc;
		cp->queues = 1;
		if ((rc = get_string(x, p, "devargs", cp->devargs, sizeof(cp->devargs))) ||
		    (rc = get_u32(x, p, "queues", 1, 64, &cp->queues)))
			return rc;
		if (!cp->devargs[0])
			return fail(x, p, "devargs", "missing; allowed: a vdev such as \"net_pcap0,rx_pcap=FILE\" or a PCI address \"0000:01:00.0\"");
	}
	c->n_ports = (unsigned)n;
	return 0;
}

int
ds_conf_check_period(long long secs, char *why, size_t len)
{
	if (secs < 1 || secs > (long long)DS_CONF_MAX_PERIOD) {
		snprintf(why, len, "%lld s is out of range; allowed: 1..%u s (%u days, the longest period an archive holds)",
			 secs, DS_CONF_MAX_PERIOD, DS_CONF_MAX_PERIOD / 86400);
		return -EINVAL;
	}
	if (secs < 86400 ? 86400 % secs : secs % 86400) {
		snprintf(why, len, "%lld s does not align to UTC days; allowed: a divisor of 86400 (1, 60, 300, 3600, ...) or a multiple of 86400 up to %u",
			 secs, DS_CONF_MAX_PERIOD);
		return -EINVAL;
	}
	return 0;
}

static int
load_period(struct ctx *x, struct ds_conf *c, const config_setting_t *g)
{
	static const char *const keys[] = { "length", "clock", NULL };
	char clock[16] = "", why[200];
	int rc;

	if ((rc = check_keys(x, g, "period", keys)))
		return rc;
	if ((rc = get_u32(x, g, "length", 1, DS_CONF_MAX_PERIOD, &c->period)))
		return rc;
	if (ds_conf_check_period(c->period, why, sizeof(why)))
		return fail(x, config_setting_get_member(g, "length"), "length", "%s", why);
	if ((rc = get_string(x, g, "clock", clock, sizeof(clock))))
		return rc;
	if (!clock[0] || strcmp(clock, "wall") == 0)
		c->clock = DS_CLOCK_WALL;
	else if (strcmp(clock, "packet") == 0)
		c->clock = DS_CLOCK_PACKET;
	else
		return fail(x, config_setting_get_member(g, "clock"), "clock",
			    "'%s' is not a clock; allowed: \"wall\" or \"packet\"", clock);
	return 0;
}

static int
load_output(struct ctx *x, struct ds_conf *c, const config_setting_t *g)
{
	static const char *const keys[] = { "directory", "formats", "archive", "archive_keep_days", "site", NULL };
	uint64_t keep = c->archive_keep_days;
	const config_setting_t *f;
	int rc, i;

	if ((rc = check_keys(x, g, "output", keys)))
		return rc;
	if ((rc = get_string(x, g, "directory", c->out_dir, sizeof(c->out_dir))) ||
	    (rc = get_string(x, g, "archive", c->archive_dir, sizeof(c->archive_dir))) ||
	    (rc = get_string(x, g, "site", c->site, sizeof(c->site))) ||
	    (rc = get_uint(x, g, "archive_keep_days", 0, 3650, &keep)))
		return rc;
	c->archive_keep_days = (unsigned)keep;
	f = config_setting_get_member(g, "formats");
	if (!f)
		return 0;
	if (!config_setting_is_array(f) && !config_setting_is_list(f))
		return fail(x, f, "formats", "must be an array; allowed: [ \"json\", \"csv\", \"html\" ]");
	c->formats = 0;
	for (i = 0; i < config_setting_length(f); i++) {
		const config_setting_t *e = config_setting_get_elem(f, (unsigned)i);
		const char *v = config_setting_get_string(e);

		if (v && strcmp(v, "json") == 0)
			c->formats |= DS_FMT_JSON;
		else if (v && strcmp(v, "csv") == 0)
			c->formats |= DS_FMT_CSV;
		else if (v && strcmp(v, "html") == 0)
			c->formats |= DS_FMT_HTML;
		else
			return fail(x, e, "formats", "'%s' is not a format; allowed: \"json\", \"csv\", \"html\"",
				    v ? v : "(not a string)");
	}
	if (!(c->formats & DS_FMT_JSON))
		return fail(x, f, "formats", "\"json\" is required (the other formats are derived from it)");
	return 0;
}

static int
get_ports(struct ctx *x, const config_setting_t *g, const char *key,
	  uint16_t *out, unsigned max, unsigned *n_out)
{
	const config_setting_t *a = config_setting_get_member(g, key);
	int i, n;

	if (!a)
		return 0;
	if (!config_setting_is_array(a))
		return fail(x, a, key, "must be an array of ports, e.g. [ 10073, 5000 ]");
	n = config_setting_length(a);
	if ((unsigned)n > max)
		return fail(x, a, key, "%d ports; allowed: at most %u", n, max);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(a, (unsigned)i);
		long long v;
		int j;

		if (config_setting_type(e) != CONFIG_TYPE_INT)
			return fail(x, e, key, "element %d is not an integer; allowed: 0..65535", i + 1);
		v = config_setting_get_int(e);
		if (v < 0 || v > 65535)
			return fail(x, e, key, "%lld is not a port; allowed: 0..65535", v);
		for (j = 0; j < i; j++)
			if (out[j] == v)
				return fail(x, e, key, "port %lld is listed twice", v);
		out[i] = (uint16_t)v;
	}
	*n_out = (unsigned)n;
	return 0;
}

static int
load_analysis(struct ctx *x, struct ds_conf *c, const config_setting_t *g)
{
	static const char *const keys[] = { "watched_ports", "exclude_ports", "top_ports",
		"top_sources", "surge_factor", "surge_min_packets", "surge_history",
		"local_share", "local_rate_ratio", "hygiene_exclude",
		"fingerprint_min_sources", NULL };
	int rc;

	if ((rc = check_keys(x, g, "analysis", keys)))
		return rc;
	if ((rc = get_ports(x, g, "watched_ports", c->watched, 8, &c->n_watched)) ||
	    (rc = get_ports(x, g, "exclude_ports", c->excluded, DS_CONF_MAX_EXCLUDED, &c->n_excluded)) ||
	    (rc = get_u32(x, g, "top_ports", 1, 1000, &c->top_ports)) ||
	    (rc = get_u32(x, g, "top_sources", 1, 10000, &c->top_sources)) ||
	    (rc = get_double(x, g, "surge_factor", 1.0, 1e9, &c->surge_factor)) ||
	    (rc = get_uint(x, g, "surge_min_packets", 1, 1ll << 40, &c->surge_min_packets)) ||
	    (rc = get_u32(x, g, "surge_history", 1, 10000, &c->surge_history)) ||
	    (rc = get_double(x, g, "local_share", 0.5, 1.0, &c->local_share)) ||
	    (rc = get_double(x, g, "local_rate_ratio", 1.0, 1e9, &c->local_ratio)) ||
	    (rc = get_bool(x, g, "hygiene_exclude", &c->hygiene_exclude)) ||
	    (rc = get_u32(x, g, "fingerprint_min_sources", 2, 1000000, &c->fp_min_sources)))
		return rc;
	return 0;
}

static int
load_sketch(struct ctx *x, struct ds_conf *c, const config_setting_t *g)
{
	static const char *const keys[] = { "cm_width", "cm_depth", "hll_precision",
		"watch_hll_precision", "overlap_k", "overlap_watch_k", "fingerprint_table", "fingerprint_detail",
		"fingerprint_hll_precision", "top_sources_table", "source_cache", NULL };
	unsigned log2;
	int rc;

	if ((rc = check_keys(x, g, "sketch", keys)))
		return rc;
	if ((rc = get_pow2(x, g, "cm_width", 8, 20, &c->cm_width_log2)) ||
	    (rc = get_u32(x, g, "cm_depth", 1, 8, &c->cm_depth)) ||
	    (rc = get_u32(x, g, "hll_precision", 8, 18, &c->hll_p)) ||
	    (rc = get_u32(x, g, "watch_hll_precision", 8, 18, &c->watch_hll_p)) ||
	    (rc = get_u32(x, g, "overlap_k", 1024, 1 << 24, &c->overlap_k)) ||
	    (rc = get_u32(x, g, "overlap_watch_k", 1024, 1 << 24, &c->watch_k)) ||
	    (rc = get_u32(x, g, "fingerprint_detail", 16, 1 << 20, &c->fp_detail)) ||
	    (rc = get_u32(x, g, "fingerprint_hll_precision", 6, 14, &c->fp_hll_p)))
		return rc;
	log2 = 0;
	if (config_setting_get_member(g, "fingerprint_table")) {
		if ((rc = get_pow2(x, g, "fingerprint_table", 10, 24, &log2)))
			return rc;
		c->fp_table = 1u << log2;
	}
	if ((rc = get_pow2(x, g, "top_sources_table", 6, 22, &c->topsrc_log2)))
		return rc;
	if (config_setting_get_member(g, "source_cache")) {
		if ((rc = get_pow2(x, g, "source_cache", 12, 22, &log2)))
			return rc;
		c->srcc_buckets = 1u << log2;
	}
	if (c->cm_depth * c->cm_width_log2 > 64)
		return fail(x, config_setting_get_member(g, "cm_depth"), "cm_depth",
			    "depth %u x log2(width) %u = %u hash bits; allowed: at most 64",
			    c->cm_depth, c->cm_width_log2, c->cm_depth * c->cm_width_log2);
	return 0;
}

struct ds_conf *
ds_conf_default(void)
{
	struct ds_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->burst = DS_CONF_DEF_BURST;
	c->rx_descriptors = DS_CONF_DEF_RXD;
	c->mbufs = DS_CONF_DEF_MBUFS;
	c->period = DS_CONF_DEF_PERIOD;
	c->clock = DS_CLOCK_WALL;
	strcpy(c->out_dir, "reports");
	c->formats = DS_FMT_JSON | DS_FMT_CSV;
	c->archive_keep_days = DS_CONF_DEF_ARCHIVE_KEEP_DAYS;
	c->cm_width_log2 = 12;
	c->cm_depth = DS_CONF_DEF_CM_DEPTH;
	c->hll_p = DS_CONF_DEF_HLL_P;
	c->watch_hll_p = DS_CONF_DEF_WATCH_HLL_P;
	c->overlap_k = DS_CONF_DEF_OVERLAP_K;
	c->watch_k = DS_CONF_DEF_WATCH_K;
	c->fp_min_sources = DS_CONF_DEF_FP_MIN_SOURCES;
	c->fp_table = DS_CONF_DEF_FP_TABLE;
	c->fp_detail = DS_CONF_DEF_FP_DETAIL;
	c->fp_hll_p = DS_CONF_DEF_FP_HLL_P;
	c->topsrc_log2 = DS_CONF_DEF_TOPSRC_LOG2;
	c->top_ports = DS_CONF_DEF_TOP_PORTS;
	c->top_sources = DS_CONF_DEF_TOP_SOURCES;
	c->surge_factor = DS_CONF_DEF_SURGE_FACTOR;
	c->surge_min_packets = DS_CONF_DEF_SURGE_MIN;
	c->surge_history = DS_CONF_DEF_SURGE_HISTORY;
	c->local_share = DS_CONF_DEF_LOCAL_SHARE;
	c->local_ratio = DS_CONF_DEF_LOCAL_RATIO;
	c->hygiene_exclude = true;
	return c;
}

static int
load_root(struct ctx *x, struct ds_conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "sensors", "capture", "period", "output",
		"geoip", "analysis", "sketch", NULL };
	static const char *const gkeys[] = { "database", NULL };
	const config_setting_t *g;
	int rc;

	if ((rc = check_keys(x, root, "", keys)) || (rc = load_sensors(x, c, root)))
		return rc;
	if ((g = config_setting_get_member(root, "capture")) && (rc = load_capture(x, c, g)))
		return rc;
	if ((g = config_setting_get_member(root, "period")) && (rc = load_period(x, c, g)))
		return rc;
	if ((g = config_setting_get_member(root, "output")) && (rc = load_output(x, c, g)))
		return rc;
	if ((g = config_setting_get_member(root, "geoip"))) {
		if ((rc = check_keys(x, g, "geoip", gkeys)) ||
		    (rc = get_string(x, g, "database", c->geoip, sizeof(c->geoip))))
			return rc;
	}
	if ((g = config_setting_get_member(root, "analysis")) && (rc = load_analysis(x, c, g)))
		return rc;
	c->topsrc_log2 += ds_conf_pair_scale_log2(c->n_sensors);	/* unless given */
	if ((g = config_setting_get_member(root, "sketch")) && (rc = load_sketch(x, c, g)))
		return rc;
	return 0;
}

struct ds_conf *
ds_conf_load(const char *path, char *err, size_t errlen)
{
	struct ctx x = { path, err, errlen };
	struct ds_conf *c;
	config_t cfg;
	int rc;

	c = ds_conf_default();
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read the file: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: syntax error: %s", path,
				 config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		ds_conf_free(c);
		return NULL;
	}
	rc = load_root(&x, c, config_root_setting(&cfg));
	config_destroy(&cfg);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
		ds_conf_free(c);
		return NULL;
	}
	return c;
}

void
ds_conf_free(struct ds_conf *c)
{
	if (!c)
		return;
	free(c->sensors);
	free(c);
}

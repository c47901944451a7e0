/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_geo: builds small country databases with tools/mkgeo.pl (both schemas,
 * IPv6 tree with IPv4 aliases and an IPv4-only tree) from a table of
 * networks of every size (/0 .. /32, nested, longer than /24 included) plus
 * random ones, then checks ds_geo_lookup() against a naive longest match
 * over the table and against libmaxminddb's own MMDB_lookup_sockaddr() for
 * 100k addresses; schema detection; index/country round trips; and bad
 * files (missing, empty, random bytes, text, truncated and corrupted
 * copies of a good file) -> NULL with a message naming the file; and a
 * database with more /24s holding longer networks than the LPM has groups.
 * Needs perl with MaxMind::DB::Writer (Debian libmaxmind-db-writer-perl).
 */
#include <arpa/inet.h>
#include <libgen.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds_geo.h"
#include "ds_test.h"

struct block { const char *cidr; const char *cc; };

/* Hand-picked networks: nesting in both file orders, every size. */
static const struct block fixed[] = {
	{ "11.0.0.0/8", "US" },
	{ "11.8.1.9/32", "IT" },	/* before its parents in the file */
	{ "11.8.0.0/16", "JP" },
	{ "11.8.1.0/24", "DE" },
	{ "11.8.1.128/25", "FR" },
	{ "11.8.1.4/30", "GB" },
	{ "11.8.2.0/25", "BR" },	/* a /25 with no /24 parent */
	{ "11.8.2.200/32", "IN" },
	{ "10.0.0.0/8", "NL" },		/* special-purpose space is kept */
	{ "192.168.7.0/24", "SE" },
	{ "44.0.0.0/9", "CA" },
	{ "44.128.0.0/9", "MX" },	/* adjacent halves */
	{ "100.0.0.0/6", "AU" },
	{ "100.1.0.0/16", "NZ" },
	{ "223.255.255.255/32", "ZA" },
	{ "224.0.0.0/4", "EU" },
	{ "255.255.255.255/32", "AP" },
	{ "0.0.0.0/8", "KR" },
	{ "0.0.0.0/32", "CN" },
};

static const char *const ccs[] = { "US", "JP", "DE", "FR", "GB", "CN", "RU",
	"BR", "IN", "IT", "NL", "SE", "CA", "MX", "AU", "NZ", "ZA", "KR", "TW" };

#define N_RANDOM 1500
#define MAX_BLOCKS (sizeof(fixed) / sizeof(fixed[0]) + N_RANDOM)

/* The table as used: parsed prefixes in file order. */
struct pfx { uint32_t net; uint8_t len; char cc[4]; };
static struct pfx table[MAX_BLOCKS];
static size_t n_table;

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static inline uint32_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static inline uint32_t
mask_of(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

static void
add_block(uint32_t net, uint8_t len, const char *cc)
{
	struct pfx *p = &table[n_table++];

	p->net = net & mask_of(len);
	p->len = len;
	snprintf(p->cc, sizeof(p->cc), "%s", cc);
}

/* Fixed networks, then random ones biased to lengths 16..32. */
static void
make_table(void)
{
	static const uint8_t lens[] = { 8, 12, 16, 18, 20, 22, 23, 24, 24, 24,
					25, 26, 27, 28, 29, 30, 31, 32, 32 };

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		char buf[32];
		struct in_addr a;
		char *slash;

		snprintf(buf, sizeof(buf), "%s", fixed[i].cidr);
		slash = strchr(buf, '/');
		*slash = '\0';
		if (inet_pton(AF_INET, buf, &a) != 1)
			abort();
		add_block(ntohl(a.s_addr), (uint8_t)atoi(slash + 1), fixed[i].cc);
	}
	for (size_t i = 0; i < N_RANDOM; i++) {
		/* cluster in a few /8s so that networks nest */
		uint32_t a = (rnd() & 0x00ffffff) | (uint32_t)(20 + rnd() % 4) << 24;

		add_block(a, lens[rnd() % sizeof(lens)], ccs[rnd() % (sizeof(ccs) / sizeof(ccs[0]))]);
	}
}

static int
write_tsv(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "# test networks\n\n");
	for (size_t i = 0; i < n_table; i++) {
		struct in_addr a = { htonl(table[i].net) };

		fprintf(f, "%s/%u\t%s\n", inet_ntoa(a), table[i].len, table[i].cc);
	}
	return fclose(f);
}

/* Naive longest match over the table; later lines win ties (as mkgeo). */
static const char *
naive(uint32_t addr)
{
	int best = -1;
	const char *cc = "--";

	for (size_t i = 0; i < n_table; i++) {
		if ((addr & mask_of(table[i].len)) == table[i].net &&
		    table[i].len >= best) {
			best = table[i].len;
			cc = table[i].cc;
		}
	}
	return cc;
}

/* libmaxminddb's answer for addr, "--" when none. */
static void
mmdb_country(MMDB_s *m, uint32_t addr, char out[4])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	MMDB_lookup_result_s r;
	MMDB_entry_data_s d;
	int err;

	strcpy(out, "--");
	sin.sin_addr.s_addr = htonl(addr);
	r = MMDB_lookup_sockaddr(m, (struct sockaddr *)&sin, &err);
	if (err != MMDB_SUCCESS || !r.found_entry)
		return;
	if ((MMDB_get_value(&r.entry, &d, "country", "iso_code", NULL) == MMDB_SUCCESS && d.has_data) ||
	    (MMDB_get_value(&r.entry, &d, "country_code", NULL) == MMDB_SUCCESS && d.has_data))
		snprintf(out, 4, "%.*s", (int)d.data_size, d.utf8_string);
}

/* Addresses around each network: first, last, middle, one either side. */
static void
check_edges(const struct ds_geo *g, const char *name)
{
	unsigned bad = 0;

	for (size_t i = 0; i < n_table; i++) {
		uint32_t first = table[i].net, last = first | ~mask_of(table[i].len);
		uint32_t probe[5] = { first, last, first + (last - first) / 2,
				      first - 1, last + 1 };

		for (int k = 0; k < 5; k++) {
			const char *got = ds_geo_country(g, ds_geo_lookup(g, probe[k]));
			const char *want = naive(probe[k]);

			if (strcmp(got, want) != 0 && bad++ < 10)
				fprintf(stderr, "%s: %08x got %s want %s\n", name,
					probe[k], got, want);
		}
	}
	CHECK(bad == 0, name);
}

/* 100k addresses (half near the networks) against libmaxminddb. */
static void
check_vs_mmdb(const struct ds_geo *g, const char *path)
{
	MMDB_s m;
	unsigned bad = 0, bad_naive = 0;

	if (!CHECK(MMDB_open(path, MMDB_MODE_MMAP, &m) == MMDB_SUCCESS, path))
		return;
	for (int i = 0; i < 100000; i++) {
		uint32_t a = (i & 1) ? rnd() : table[rnd() % n_table].net + (rnd() & 0x1ff);
		char want[4];
		const char *got = ds_geo_country(g, ds_geo_lookup(g, a));

		mmdb_country(&m, a, want);
		if (strcmp(got, want) != 0 && bad++ < 10)
			fprintf(stderr, "%s: %08x got %s mmdb %s\n", path, a, got, want);
		if (i < 20000 && strcmp(got, naive(a)) != 0)
			bad_naive++;
	}
	MMDB_close(&m);
	CHECK(bad == 0, "agrees with MMDB_lookup_sockaddr on 100k addresses");
	CHECK(bad_naive == 0, "agrees with the naive table on 20k addresses");
}

static void
check_index(const struct ds_geo *g)
{
	unsigned n = ds_geo_count(g);

	CHECK(n >= 1 && n <= sizeof(ccs) / sizeof(ccs[0]) + 8, "country count");
	for (unsigned i = 1; i <= n; i++)
		CHECK(ds_geo_index(g, ds_geo_country(g, (uint16_t)i)) == i, "round trip");
	CHECK(ds_geo_index(g, "JP") != 0, "JP present");
	CHECK(ds_geo_index(g, "jp") == ds_geo_index(g, "JP"), "case-insensitive");
	CHECK(ds_geo_index(g, "ZZ") == 0, "absent code");
	CHECK(strcmp(ds_geo_country(g, 0), "--") == 0, "index 0");
	CHECK(strcmp(ds_geo_country(g, (uint16_t)(n + 1)), "--") == 0, "out of range");
	CHECK(ds_geo_networks(g) > 0, "networks");
	CHECK(ds_geo_inexact(g) == 0, "exact");
	CHECK(ds_geo_bytes(g) >= (1u << 25), "bytes");
}

static void
check_db(const char *path, const char *schema)
{
	char err[512];
	struct ds_geo *g = ds_geo_load(path, err, sizeof(err));

	if (!CHECK(g != NULL, err))
		return;
	printf("%s: %s, %u countries, %llu networks, %llu bytes\n", path,
	       ds_geo_schema(g), ds_geo_count(g),
	       (unsigned long long)ds_geo_networks(g),
	       (unsigned long long)ds_geo_bytes(g));
	CHECK(strcmp(ds_geo_schema(g), schema) == 0, schema);
	check_edges(g, path);
	check_vs_mmdb(g, path);
	check_index(g);
	ds_geo_free(g);
}

/* ds_geo_load must fail cleanly, naming the file. */
static void
expect_bad(const char *path, const char *what)
{
	char err[512] = "unset", msg[700];
	struct ds_geo *g = ds_geo_load(path, err, sizeof(err));

	snprintf(msg, sizeof(msg), "%s: %s", what, err);
	printf("%s\n", msg);
	CHECK(g == NULL, msg);
	CHECK(strstr(err, path) == err && strlen(err) > strlen(path) + 2, msg);
	ds_geo_free(g);
}

static int
write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (n && fwrite(b, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static void *
read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *b;

	if (f == NULL || fstat(fileno(f), &st) < 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	b = malloc((size_t)st.st_size);
	*n = b ? fread(b, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	return b;
}

static void
check_bad_files(const char *dir, const char *good)
{
	char p[1024];
	uint8_t junk[4096];
	size_t n = 0;
	uint8_t *img = read_all(good, &n);
	int loaded = 0;

	snprintf(p, sizeof(p), "%s/missing.mmdb", dir);
	expect_bad(p, "missing");
	snprintf(p, sizeof(p), "%s/empty.mmdb", dir);
	write_bytes(p, "", 0);
	expect_bad(p, "empty");
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rnd();
	snprintf(p, sizeof(p), "%s/random.mmdb", dir);
	write_bytes(p, junk, sizeof(junk));
	expect_bad(p, "random bytes");
	snprintf(p, sizeof(p), "%s/text.mmdb", dir);
	write_bytes(p, "11.0.0.0/8\tUS\n", 14);
	expect_bad(p, "text");
	expect_bad(dir, "a directory");
	if (!CHECK(img != NULL && n > 100, "read good db"))
		return;
	{
		size_t cuts[] = { 1, 16, n / 4, n / 2, n - 200, n - 60, n - 20, n - 1 };

		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			char what[64];

			snprintf(p, sizeof(p), "%s/cut%zu.mmdb", dir, cuts[i]);
			write_bytes(p, img, cuts[i]);
			snprintf(what, sizeof(what), "truncated at %zu of %zu", cuts[i], n);
			expect_bad(p, what);
			unlink(p);
		}
	}
	/* Corrupted copies: load may succeed or fail, but must not crash
	 * and must name the file when it fails. */
	snprintf(p, sizeof(p), "%s/corrupt.mmdb", dir);
	for (int round = 0; round < 200; round++) {
		uint8_t *c = malloc(n);
		char err[512] = "";
		struct ds_geo *g;

		memcpy(c, img, n);
		for (int k = 0; k < 1 + round % 8; k++)
			c[rnd() % (n - 300)] ^= (uint8_t)(1 + rnd() % 255);
		write_bytes(p, c, n);
		free(c);
		g = ds_geo_load(p, err, sizeof(err));
		loaded += g != NULL;
		if (g == NULL)
			CHECK(strstr(err, p) == err, err);
		ds_geo_free(g);
	}
	unlink(p);
	printf("corrupted copies: %d of 200 loaded\n", loaded);
	free(img);
}

static int mkgeo(const char *tool, const char *args, const char *out, const char *tsv);

/* More /24s with networks longer than /24 than the LPM has groups: the
 * first 2^15 stay exact, the rest take their majority country. */
static void
check_group_limit(const char *dir, const char *tool)
{
	enum { N24 = DS_LPM_EXT + 232 };
	char tsv[600], db[600], err[512];
	struct ds_geo *g;
	FILE *f;
	unsigned bad = 0;

	snprintf(tsv, sizeof(tsv), "%s/many.tsv", dir);
	snprintf(db, sizeof(db), "%s/many.mmdb", dir);
	f = fopen(tsv, "w");
	if (!CHECK(f != NULL, tsv))
		return;
	for (uint32_t i = 0; i < N24; i++)
		fprintf(f, "30.%u.%u.0/25\tUS\n30.%u.%u.128/26\tJP\n",
			i >> 8, i & 255, i >> 8, i & 255);
	fclose(f);
	if (!CHECK(mkgeo(tool, "--schema geolite2", db, tsv) == 0, "mkgeo many"))
		return;
	g = ds_geo_load(db, err, sizeof(err));
	if (!CHECK(g != NULL, err))
		return;
	for (uint32_t i = 0; i < N24; i++) {
		uint32_t base = 0x1e000000u | i << 8;
		int exact = i < DS_LPM_EXT;
		const char *a = ds_geo_country(g, ds_geo_lookup(g, base + 1));
		const char *b = ds_geo_country(g, ds_geo_lookup(g, base + 130));
		const char *c = ds_geo_country(g, ds_geo_lookup(g, base + 200));

		if (strcmp(a, "US") || strcmp(b, exact ? "JP" : "US") ||
		    strcmp(c, exact ? "--" : "US"))
			bad++;
	}
	CHECK(bad == 0, "group limit: exact then majority");
	CHECK(ds_geo_inexact(g) == 232 * 128, "inexact address count");
	printf("group limit: %llu inexact addresses\n",
	       (unsigned long long)ds_geo_inexact(g));
	ds_geo_free(g);
}

/* Path of tools/mkgeo.pl: from the repo root, or relative to the binary
 * (build/tests/test_geo). */
static void
find_mkgeo(const char *argv0, char *out, size_t n)
{
	char tmp[512];

	snprintf(out, n, "tools/mkgeo.pl");
	if (access(out, R_OK) == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s", argv0);
	snprintf(out, n, "%s/../../tools/mkgeo.pl", dirname(tmp));
}

static int
mkgeo(const char *tool, const char *args, const char *out, const char *tsv)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "perl '%s' %s --out '%s' '%s'", tool, args, out, tsv);
	return system(cmd);
}

int
main(int argc, char **argv)
{
	const char *base = getenv("DS_TEST_TMP");
	char dir[256], tsv[600], g6[600], f6[600], g4[600], tool[600];

	snprintf(dir, sizeof(dir), "%s/geo.XXXXXX", base && *base ? base : "/tmp");
	if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp"))
		return ds_test_done("test_geo");
	find_mkgeo(argc > 0 ? argv[0] : "", tool, sizeof(tool));
	snprintf(tsv, sizeof(tsv), "%s/blocks.tsv", dir);
	snprintf(g6, sizeof(g6), "%s/geolite2.mmdb", dir);
	snprintf(f6, sizeof(f6), "%s/flat.mmdb", dir);
	snprintf(g4, sizeof(g4), "%s/geolite2-v4.mmdb", dir);
	make_table();
	if (!CHECK(write_tsv(tsv) == 0, tsv) ||
	    !CHECK(mkgeo(tool, "--schema geolite2", g6, tsv) == 0, "mkgeo geolite2") ||
	    !CHECK(mkgeo(tool, "--schema flat", f6, tsv) == 0, "mkgeo flat") ||
	    !CHECK(mkgeo(tool, "--schema geolite2 --ip-version 4", g4, tsv) == 0, "mkgeo v4"))
		return ds_test_done("test_geo");
	check_db(g6, "country.iso_code");
	check_db(f6, "country_code");
	check_db(g4, "country.iso_code");
	check_bad_files(dir, g6);
	check_group_limit(dir, tool);
	if (ds_test_failures == 0) {	/* keep the files only to debug */
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0, cmd);
	}
	return ds_test_done("test_geo");
}

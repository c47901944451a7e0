/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_topk: argument checks; heavy keys (> 1 % of a stream dominated by
 * singletons) kept with exact counts, flags and timestamps; merge of
 * per-core tables finds the same heavy keys with summed counts; ordering,
 * filter and tie rules of ds_topk_top, and its grouped form against it;
 * mismatched merges rejected.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_topk.h"
#include "ds_test.h"

#define NHEAVY 20
#define CORES 4

static void
test_create(void)
{
	static const struct { unsigned c; int ok; } cases[] = {
		{ 0, 0 }, { 2, 0 }, { 3, 1 }, { 12, 1 }, { 16, 1 }, { 25, 0 }, { 64, 0 },
		/* 24 is valid too but needs 512 MB: not in a unit test */
	};
	struct ds_topk *a, *b;
	struct ds_topk_entry e[4];
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ds_topk *t;

		errno = 0;
		t = ds_topk_create(cases[i].c);
		if (cases[i].ok) {
			CHECK(t != NULL, "valid capacity accepted");
			CHECK(t && ds_topk_bytes(t) >= (32ull << cases[i].c), "bytes");
			CHECK(t && ds_topk_top(t, e, 4, NULL, NULL) == 0, "starts empty");
		} else {
			CHECK(t == NULL && errno == EINVAL, "bad capacity: NULL/EINVAL");
		}
		ds_topk_free(t);
	}
	a = ds_topk_create(8);
	b = ds_topk_create(9);
	CHECK(ds_topk_merge(a, b) == -EINVAL, "merge of different capacities");
	CHECK(ds_topk_merge(a, NULL) == -EINVAL, "merge with NULL");
	CHECK(ds_topk_merge(a, a) == -EINVAL, "merge with itself");
	ds_topk_add(a, 0, 0, 1, 1);
	CHECK(ds_topk_top(a, e, 4, NULL, NULL) == 0, "key 0 ignored");
	CHECK(ds_topk_top(a, NULL, 4, NULL, NULL) == 0, "NULL out");
	ds_topk_free(a);
	ds_topk_free(b);
	ds_topk_free(NULL);
}

/* The stream: 2,000,000 items, heavy key h (1..NHEAVY) has share
 * (1 + h/10) %, interleaved pseudo-randomly with distinct singletons. */
struct stream {
	uint64_t heavy_count[NHEAVY + 1];
	uint64_t heavy_first[NHEAVY + 1];
	uint64_t heavy_last[NHEAVY + 1];
};

static uint64_t
heavy_key(unsigned h)
{
	return 0xc0a80000ull + h * 977;
}

static void
run_stream(struct ds_topk **t, unsigned ntables, struct stream *s)
{
	const uint64_t len = 2000000;
	uint64_t ts;

	memset(s, 0, sizeof(*s));
	for (ts = 1; ts <= len; ts++) {
		uint64_t r = ds_hash_u64(ts, 0xabc) % 1000, key;
		unsigned h = 0, acc = 0, core = (unsigned)(ts % ntables);

		/* heavy h gets 10 + h of every 1000 items: 1.1 % .. 3 % */
		for (h = 1; h <= NHEAVY; h++) {
			acc += 10 + h;
			if (r < acc)
				break;
		}
		if (h <= NHEAVY) {
			key = heavy_key(h);
			if (s->heavy_count[h]++ == 0)
				s->heavy_first[h] = ts;
			s->heavy_last[h] = ts;
		} else {
			key = 0x100000000ull + ts;	/* singleton */
		}
		ds_topk_add(t[core], key, ds_hash_u64(key, 1), 1u << (key % 8), ts);
	}
}

static void
check_heavy(struct ds_topk *t, const struct stream *s, const char *what)
{
	struct ds_topk_entry top[NHEAVY];
	unsigned n = ds_topk_top(t, top, NHEAVY, NULL, NULL), i, h, found = 0;
	int exact = 1, sorted = 1, times = 1, flags = 1;

	for (i = 0; i < n; i++) {
		for (h = 1; h <= NHEAVY; h++)
			if (top[i].key == heavy_key(h))
				break;
		if (h > NHEAVY)
			continue;
		found++;
		exact &= top[i].count == s->heavy_count[h];
		times &= top[i].first == s->heavy_first[h] &&
			 top[i].last == s->heavy_last[h];
		flags &= top[i].flags == 1u << (top[i].key % 8);
		if (i > 0)
			sorted &= top[i - 1].count > top[i].count ||
				  (top[i - 1].count == top[i].count &&
				   top[i - 1].key < top[i].key);
	}
	printf("topk %s: %u of %u heavy keys in the top %u, evictions %llu\n",
	       what, found, NHEAVY, n, (unsigned long long)ds_topk_evictions(t));
	CHECK(n == NHEAVY && found == NHEAVY, what);
	CHECK(exact, "heavy counts exact");
	CHECK(times, "first/last timestamps");
	CHECK(flags, "flags OR-ed");
	CHECK(sorted, "count descending");
	CHECK(top[0].key == heavy_key(NHEAVY), "largest first");
	CHECK(ds_topk_evictions(t) > 0, "singletons evicted");
}

static void
test_heavy(void)
{
	struct ds_topk *t = ds_topk_create(12);
	struct stream s;

	run_stream(&t, 1, &s);
	check_heavy(t, &s, "single table");
	ds_topk_clear(t);
	CHECK(ds_topk_evictions(t) == 0, "clear zeroes evictions");
	ds_topk_free(t);
}

static void
test_merge(void)
{
	struct ds_topk *t[CORES];
	struct stream s;
	unsigned i;

	for (i = 0; i < CORES; i++)
		t[i] = ds_topk_create(12);
	run_stream(t, CORES, &s);
	for (i = 1; i < CORES; i++)
		CHECK(ds_topk_merge(t[0], t[i]) == 0, "merge");
	check_heavy(t[0], &s, "merged per-core tables");
	for (i = 0; i < CORES; i++)
		ds_topk_free(t[i]);
}

static int
flag2(const struct ds_topk_entry *e, void *arg)
{
	return (e->flags & *(uint32_t *)arg) != 0;
}

static void
test_query(void)
{
	struct ds_topk *t = ds_topk_create(6), *u = ds_topk_create(6);
	struct ds_topk_entry e[64];
	uint32_t want = 2;
	unsigned n, i;
	uint64_t k;

	/* keys 1..10, key k counted k times; keys 11, 12 tie with 10 */
	for (k = 1; k <= 12; k++) {
		uint64_t c = k > 10 ? 10 : k;

		for (i = 0; i < c; i++)
			ds_topk_add(t, k, ds_hash_u64(k, 3), k % 2 ? 1 : 2, 100 + i);
	}
	n = ds_topk_top(t, e, 3, NULL, NULL);
	CHECK(n == 3 && e[0].key == 10 && e[1].key == 11 && e[2].key == 12,
	      "ties: smaller key first");
	n = ds_topk_top(t, e, 64, NULL, NULL);
	CHECK(n == 12 && e[11].key == 1 && e[11].count == 1, "n > entries");
	n = ds_topk_top(t, e, 64, flag2, &want);
	CHECK(n == 6 && e[0].key == 10 && e[5].key == 2, "filter");
	for (i = 0; i < n; i++)
		CHECK(e[i].key % 2 == 0, "filter keeps even keys only");
	CHECK(ds_topk_top(t, e, 0, NULL, NULL) == 0, "n = 0");

	/* merge into a copy: counts add, interval widens */
	ds_topk_add(u, 10, ds_hash_u64(10, 3), 4, 5);
	ds_topk_add(u, 10, ds_hash_u64(10, 3), 4, 500);
	CHECK(ds_topk_merge(u, t) == 0, "merge");
	n = ds_topk_top(u, e, 1, NULL, NULL);
	CHECK(n == 1 && e[0].key == 10 && e[0].count == 12 && e[0].first == 5 &&
	      e[0].last == 500 && e[0].flags == 6, "merged entry");

	/* one bucket (capacity 8): 9th key evicts the smallest count */
	ds_topk_free(t);
	t = ds_topk_create(3);
	for (k = 1; k <= 8; k++)
		for (i = 0; i < k + 1; i++)
			ds_topk_add(t, k, k, 0, i);
	ds_topk_add(t, 99, 99, 0, 50);
	n = ds_topk_top(t, e, 8, NULL, NULL);
	CHECK(ds_topk_evictions(t) == 1 && n == 8 && e[7].key == 99 &&
	      e[6].key == 2, "full bucket: the min-count entry is replaced");
	ds_topk_free(t);
	ds_topk_free(u);
}

/* Victim rule in a full bucket (capacity 8 = one bucket): smallest count,
 * then oldest last timestamp, then lowest slot (slots fill in order). */
static void
test_victim(void)
{
	static const struct {
		uint64_t count[8], last[8];
		unsigned victim;
	} cases[] = {
		{ { 3, 2, 5, 2, 4, 6, 7, 8 }, { 1, 1, 1, 1, 1, 1, 1, 1 }, 1 },
		{ { 1, 1, 1, 1, 1, 1, 1, 1 }, { 5, 4, 3, 9, 3, 7, 8, 6 }, 2 },
		{ { 2, 2, 1, 3, 1, 1, 4, 5 }, { 1, 1, 9, 1, 8, 8, 1, 1 }, 4 },
		{ { 9, 9, 9, 9, 9, 9, 9, 1 }, { 1, 1, 1, 1, 1, 1, 1, 50 }, 7 },
		{ { 1, 1, 1, 1, 1, 1, 1, 1 }, { 7, 7, 7, 7, 7, 7, 7, 7 }, 0 },
		{ { 5, 4, 4, 4, 4, 4, 4, 4 }, { 1, 9, 9, 9, 9, 9, 9, 8 }, 7 },
	};
	unsigned c, i, j, n;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ds_topk *t = ds_topk_create(3);
		struct ds_topk_entry e[9];
		int gone = -1, ok = 1;

		for (i = 0; i < 8; i++)
			for (j = 0; j < cases[c].count[i]; j++)
				ds_topk_add(t, 100 + i, i, 0, cases[c].last[i]);
		ds_topk_add(t, 999, 0, 0, 100);
		n = ds_topk_top(t, e, 9, NULL, NULL);
		for (i = 0; i < 8; i++) {
			for (j = 0; j < n && e[j].key != 100 + i; j++)
				;
			if (j == n)
				gone = (int)i;
		}
		for (j = 0; j < n; j++)
			if (e[j].key == 999)
				ok = e[j].count == 1 && e[j].first == 100 && e[j].last == 100;
		CHECK(n == 8 && ok && ds_topk_evictions(t) == 1 &&
		      gone == (int)cases[c].victim, "victim: smallest count, oldest, lowest slot");
		ds_topk_free(t);
	}
}

/* Group of an entry: key >> 32, as the report's per-sensor keys. */
static unsigned
group_of(const struct ds_topk_entry *e, void *arg)
{
	return (unsigned)(e->key >> 32);
}

static int
in_group(const struct ds_topk_entry *e, void *arg)
{
	return (e->key >> 32) == *(const uint64_t *)arg;
}

/* ds_topk_top_groups() == ds_topk_top() filtered to each group, for list
 * lengths shorter and longer than the groups, with ties and with entries
 * of groups past n_groups (left out); n = 0 and a NULL table give empty
 * groups. */
static void
test_groups(void)
{
	static const struct { unsigned groups, n_groups, n; const char *what; } cases[] = {
		{ 5, 5, 3, "five groups, top 3" },
		{ 5, 5, 40, "lists longer than the groups" },
		{ 7, 4, 6, "groups 4-6 left out" },
		{ 1, 1, 20, "one group" },
		{ 300, 256, 2, "256 groups and more" },
	};
	struct ds_topk_entry *all = malloc(256 * 40 * sizeof(*all)), one[40];
	unsigned got[256], c, g, i;

	if (!CHECK(all != NULL, "scratch"))
		return;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ds_topk *t = ds_topk_create(12);
		unsigned bad = 0;
		uint64_t k;

		/* in each group, address a counted a % 9 + 1 times: ties */
		for (g = 0; g < cases[c].groups; g++)
			for (k = 1; k <= 30; k++) {
				uint64_t key = (uint64_t)g << 32 | (k * 7919 + g);

				for (i = 0; i < k % 9 + 1; i++)
					ds_topk_add(t, key, ds_hash_u64(key, 1), 0, i);
			}
		ds_topk_top_groups(t, all, got, cases[c].n, cases[c].n_groups, group_of, NULL);
		for (g = 0; g < cases[c].n_groups; g++) {
			uint64_t want = g;
			unsigned n = ds_topk_top(t, one, cases[c].n, in_group, &want);

			bad += got[g] != n;
			for (i = 0; i < n && i < got[g]; i++) {
				const struct ds_topk_entry *a = &all[(size_t)g * cases[c].n + i];

				bad += a->key != one[i].key || a->count != one[i].count ||
				       a->first != one[i].first || a->last != one[i].last;
			}
		}
		CHECK(bad == 0, cases[c].what);
		got[0] = 99;
		ds_topk_top_groups(t, all, got, 0, 1, group_of, NULL);
		CHECK(got[0] == 0, "n = 0: empty groups");
		ds_topk_free(t);
	}
	got[0] = got[1] = 99;
	ds_topk_top_groups(NULL, all, got, 3, 2, group_of, NULL);
	CHECK(got[0] == 0 && got[1] == 0, "NULL table: empty groups");
	free(all);
}

int
main(void)
{
	test_create();
	test_query();
	test_groups();
	test_heavy();
	test_merge();
	test_victim();
	return ds_test_done("test_topk");
}

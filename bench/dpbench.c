/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dpbench: cycles per packet of darkscope's data path alone (no PMD, no
 * mbufs): frames from a pcap file are loaded into one buffer, then parsed
 * and counted in bursts of the configuration's capture.burst exactly as a
 * worker does, many passes over the file, timed with the TSC.
 *
 *   dpbench [-r PASSES] [-j OUT.json] CONF PCAP
 *
 * Every row but the peers' runs ds_set_burst itself, the function a
 * worker calls, on a set whose analyses (ds_set_analyses) are switched on
 * cumulatively, all together, or one alone; with none on it still keeps
 * the exact counters, the source cache and hygiene, the base of every
 * row.  In the same run, two peers count the same key stream after a
 * parse and sensor lookup of their own (timed alone too):
 *   rte_member sketch (count-min mode, RTE_MEMBER_TYPE_SKETCH) keyed by
 *   (sensor, destination port) - what our count-min keeps; and an exact
 *   per-source rte_hash counter (key = source address).
 * Cycles are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) times the TSC
 * rate, so time spent descheduled on a shared core is not counted; the
 * TSC rate is printed.  Each figure is the fastest of the passes (median
 * also given) after one warm-up pass.  Each pass varies the frames' TCP
 * sequence numbers (bench/frames.h) so that the fingerprint table sees new
 * tuples, as in darknet traffic; DPBENCH_REPEAT=1 replays the file
 * unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_member.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT	/* no valgrind headers: no counts */
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#include "ds_conf.h"
#include "ds_hash.h"
#include "ds_parse.h"
#include "ds_set.h"
#include "frames.h"

#define BURST_MAX 512		/* the configuration's capture.burst, as a worker */

enum {
	F_LOOKUP = 1 << 0,	/* peers' input: sensor lookup, class counters,
				 * source hash, hygiene */
	F_MEMBER = 1 << 1,	/* peer: rte_member sketch */
	F_RTEHASH = 1 << 2,	/* peer: exact rte_hash per source */
	F_REAL = 1 << 3,	/* ds_set_burst itself, with the set's analyses */
	F_FRESH = 1 << 4,	/* the set cleared before each pass */
};

static struct bench_frames input;
static unsigned burst_n = 32;

static struct rte_member_setsum *member;
static struct rte_hash *exact;
static uint64_t *exact_count;
static volatile uint64_t sink;

/* One burst: parsed, then ds_set_burst (F_REAL), or the peers' sensor
 * lookup and peer (F_LOOKUP...), or nothing more (0: parse alone). */
static inline void
burst(struct ds_set *s, const struct ds_lpm *lpm, const uint8_t *fr, const uint32_t *ln,
      unsigned m, unsigned mask)
{
	struct ds_pkt pkts[BURST_MAX];
	int32_t sensor[BURST_MAX];
	unsigned i;

	for (i = 0; i < m; i++)
		ds_parse_fast(fr + (size_t)i * BENCH_SLOT, ln[i], &pkts[i]);
	if (mask & F_REAL) {
		ds_set_burst(s, lpm, pkts, m, 1);
		return;
	}
	if (!mask) {
		uint64_t x = 0;

		for (i = 0; i < m; i++)
			x += pkts[i].cls;
		sink += x;
		return;
	}
	for (i = 0; i < m; i++) {
		const struct ds_pkt *p = &pkts[i];

		sensor[i] = -1;
		s->classes[p->cls]++;
		if (p->cls != DS_CLASS_SCAN)
			continue;
		sensor[i] = (int32_t)ds_lpm_lookup(lpm, p->dst) - 1;
		if (sensor[i] < 0)
			continue;
		s->sensor[sensor[i]].cls[0]++;
		sink += ds_hash_u32(p->src);
		if (ds_hygiene(p->src, p->dst) && s->conf->hygiene_exclude)
			sensor[i] = -1;
	}
	for (i = 0; i < m; i++) {
		const struct ds_pkt *p = &pkts[i];

		if (sensor[i] < 0)
			continue;
		if (mask & F_MEMBER) {
			uint32_t key = (uint32_t)sensor[i] << 16 | p->dport;

			rte_member_add(member, &key, 1);
		}
		if (mask & F_RTEHASH) {
			uint32_t key = p->src;
			int32_t pos = rte_hash_lookup(exact, &key);

			if (pos < 0)
				pos = rte_hash_add_key(exact, &key);
			if (pos >= 0)
				exact_count[pos]++;
		}
	}
}

/* CPU time of this thread in TSC cycles: unlike rte_rdtsc() it stops while
 * the thread is descheduled, which matters on cores shared with other work. */
static uint64_t
thread_cycles(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)(((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec) *
			  (double)rte_get_tsc_hz() / 1e9);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	const char *name;
	const char *group;
	double min, median;
};

static struct result results[48];

/* The analyses in the order the cumulative rows add them. */
static const struct {
	unsigned bit;
	const char *cum, *alone, *fresh;
} analyses[] = {
	{ DS_SET_AN_PORTS, "+ count-min", "count-min", "count-min alone, a new period each pass" },
	{ DS_SET_AN_SOURCES, "+ source HLLs", "source HLLs",
	  "source HLLs alone, a new period each pass" },
	{ DS_SET_AN_OVERLAP, "+ overlap samples (bottom-K)", "overlap samples",
	  "overlap samples alone, a new period each pass" },
	{ DS_SET_AN_TOOLS, "+ tool and watched-port HLLs", "tool and watched-port HLLs",
	  "tool and watched HLLs alone, a new period each pass" },
	{ DS_SET_AN_TOPSRC, "+ top sources", "top sources", "top sources alone, a new period each pass" },
	{ DS_SET_AN_FP, "+ fingerprints", "fingerprints", "fingerprints alone, a new period each pass" },
};
#define N_AN (sizeof(analyses) / sizeof(analyses[0]))
static unsigned n_results;

/* Fastest and median of the passes' cycles, per frame. */
static void
record(const char *group, const char *name, uint64_t *t, unsigned passes)
{
	qsort(t, passes, sizeof(t[0]), cmp_u64);
	results[n_results].name = name;
	results[n_results].group = group;
	results[n_results].min = (double)t[0] / input.n;
	results[n_results].median = (double)t[passes / 2] / input.n;
	printf("  %-6s %-44s %7.1f cycles/pkt (median %.1f)\n", group, name,
	       results[n_results].min, results[n_results].median);
	n_results++;
}

/* One row: mask's stages (F_*) over every frame, passes times; with
 * F_REAL the set updates the analyses an (DS_SET_AN_*). */
static void
measure(struct ds_set *s, const struct ds_lpm *lpm, const char *group, const char *name,
	unsigned mask, unsigned an, unsigned passes)
{
	const char *only = getenv("DPBENCH_ONLY");
	uint64_t t[64], tf[64];
	unsigned r, base;

	if (only && !strstr(name, only))
		return;
	ds_set_clear(s);
	ds_set_analyses(s, an);
	for (r = 0; r <= passes; r++) {	/* pass 0 warms caches */
		uint64_t t0, t1;

		if (!getenv("DPBENCH_REPEAT"))
			bench_frames_vary(&input, r);
		if (mask & F_FRESH)
			ds_set_clear(s);
		t0 = thread_cycles();
		if (r)
			CALLGRIND_TOGGLE_COLLECT;
		for (base = 0; base < input.n; base += burst_n) {
			unsigned m = input.n - base < burst_n ? input.n - base : burst_n;

			burst(s, lpm, input.frames + (size_t)base * BENCH_SLOT, input.lens + base, m, mask);
		}
		if (r)
			CALLGRIND_TOGGLE_COLLECT;
		t1 = thread_cycles();
		/* A pass stands for a period: the packets the caches hold back
		 * go to top-k and count-min at its end.  That is the manager's
		 * work (ds_set_merge / ds_set_flush on the retired set, like the
		 * HLL fold), not the worker's: timed apart.  The set itself is
		 * kept from pass to pass, as when a period replays the file
		 * many times (the end-to-end run's 1-s periods, about 100), so
		 * a (sensor, source) is rarely new; the "fresh" rows clear it
		 * before each pass (untimed), so that every pass starts a
		 * period and meets each (sensor, source) first. */
		if (mask & F_REAL)
			ds_set_flush_counts(s);
		if (r) {
			t[r - 1] = t1 - t0;
			tf[r - 1] = thread_cycles() - t1;
		}
	}
	record(group, name, t, passes);
	CALLGRIND_DUMP_STATS_AT(name);
	if ((mask & F_REAL) && an == DS_SET_AN_ALL)
		record("period", mask & F_FRESH ? "period-end flush, a new period each pass"
						: "period-end flush of the caches (manager)", tf, passes);
}

int
main(int argc, char **argv)
{
	char *eal[] = { "dpbench", "--no-huge", "--no-pci", "--no-shconf", "-m", "512",
			"-l", "1", "--log-level=*:error", NULL };
	unsigned passes = 7, i, an;
	const char *json = NULL;
	char err[600];
	struct ds_conf *conf;
	struct ds_lpm *lpm;
	struct ds_set *s;
	int opt, rc;
	FILE *jf;

	while ((opt = getopt(argc, argv, "r:j:l:")) != -1) {
		switch (opt) {
		case 'r': passes = (unsigned)atoi(optarg); break;
		case 'j': json = optarg; break;
		case 'l': eal[7] = optarg; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || passes < 1 || passes > 64)
		goto usage;
	conf = ds_conf_load(argv[optind], err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "dpbench: %s\n", err);
		return 2;
	}
	burst_n = conf->burst < BURST_MAX ? conf->burst : BURST_MAX;
	if ((rc = bench_frames_load(&input, argv[optind + 1])) != 0) {
		fprintf(stderr, "dpbench: %s: cannot read pcap (%s)\n", argv[optind + 1], strerror(-rc));
		return 2;
	}
	if (rte_eal_init(9, eal) < 0) {
		fprintf(stderr, "dpbench: EAL init failed\n");
		return 1;
	}
	lpm = ds_set_sensor_lpm(conf);
	s = ds_set_create(conf);
	if (!lpm || !s) {
		fprintf(stderr, "dpbench: cannot build the sensor table or the set\n");
		return 1;
	}
	{
		struct rte_member_parameters mp = {
			.name = "dpbench_cm", .type = RTE_MEMBER_TYPE_SKETCH,
			.key_len = 4, .error_rate = 0.001f, .sample_rate = 1.0f,
			.top_k = 10, .extra_flag = 0, .socket_id = 0, .prim_hash_seed = 1,
			.sec_hash_seed = 2,
		};
		struct rte_hash_parameters hp = {
			.name = "dpbench_exact", .entries = 1 << 20, .key_len = 4,
			.hash_func = rte_hash_crc, .hash_func_init_val = 0, .socket_id = 0,
		};

		member = rte_member_create(&mp);
		exact = rte_hash_create(&hp);
		exact_count = calloc(1 << 20, sizeof(uint64_t));
		if (!member || !exact || !exact_count) {
			fprintf(stderr, "dpbench: cannot create rte_member / rte_hash: %s\n",
				rte_strerror(rte_errno));
			return 1;
		}
	}
	printf("dpbench: %s, %u frames (%.1f MB file), %u sensors, bursts of %u, %u passes, TSC %.3f GHz\n",
	       argv[optind + 1], input.n, (double)input.file_bytes / 1e6, conf->n_sensors, burst_n,
	       passes, (double)rte_get_tsc_hz() / 1e9);
	measure(s, lpm, "cum", "parse", 0, 0, passes);
	measure(s, lpm, "cum", "+ sensor, counters, source cache, hygiene (no analysis)", F_REAL, 0, passes);
	for (i = 0, an = 0; i < N_AN - 1; i++) {
		an |= analyses[i].bit;
		measure(s, lpm, "cum", analyses[i].cum, F_REAL, an, passes);
	}
	measure(s, lpm, "all", "parse + ds_set_burst (all analyses)", F_REAL, DS_SET_AN_ALL, passes);
	for (i = 0; i < N_AN; i++)
		measure(s, lpm, "alone", analyses[i].alone, F_REAL, analyses[i].bit, passes);
	measure(s, lpm, "fresh", "no analysis, a new period each pass", F_REAL | F_FRESH, 0, passes);
	for (i = 0; i < N_AN; i++)
		measure(s, lpm, "fresh", analyses[i].fresh, F_REAL | F_FRESH, analyses[i].bit, passes);
	measure(s, lpm, "fresh", "all analyses, a new period each pass", F_REAL | F_FRESH, DS_SET_AN_ALL,
		passes);
	measure(s, lpm, "peer", "parse + sensor lookup, source hash (peers' input)", F_LOOKUP, 0, passes);
	measure(s, lpm, "peer", "rte_member sketch (count-min)", F_LOOKUP | F_MEMBER, 0, passes);
	measure(s, lpm, "peer", "exact rte_hash per source", F_LOOKUP | F_RTEHASH, 0, passes);
	ds_set_analyses(s, DS_SET_AN_ALL);
	printf("  set: %.2f MiB of sketches per set (%.1f KiB per sensor), 2 sets per worker\n",
	       (double)ds_set_bytes(s) / 1048576.0, (double)ds_set_bytes(s) / conf->n_sensors / 1024.0);
	if (json && (jf = fopen(json, "w"))) {
		fprintf(jf, "{\n  \"pcap\": \"%s\", \"frames\": %u, \"file_bytes\": %llu,\n"
			"  \"sensors\": %u, \"passes\": %u, \"tsc_hz\": %llu,\n"
			"  \"set_bytes\": %llu, \"worker_sketch_bytes\": %llu,\n  \"results\": [\n",
			argv[optind + 1], input.n, (unsigned long long)input.file_bytes, conf->n_sensors,
			passes, (unsigned long long)rte_get_tsc_hz(),
			(unsigned long long)ds_set_bytes(s), 2ull * ds_set_bytes(s));
		for (i = 0; i < n_results; i++)
			fprintf(jf, "    {\"group\": \"%s\", \"name\": \"%s\", \"cycles_min\": %.2f, \"cycles_median\": %.2f}%s\n",
				results[i].group, results[i].name, results[i].min, results[i].median,
				i + 1 < n_results ? "," : "");
		fprintf(jf, "  ]\n}\n");
		fclose(jf);
	}
	(void)sink;
	return 0;
usage:
	fprintf(stderr, "usage: dpbench [-r PASSES] [-j OUT.json] [-l LCORE] CONF PCAP\n");
	return 2;
}

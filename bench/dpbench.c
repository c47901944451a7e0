/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dpbench: cycles per packet of darkscope's data path alone (no PMD, no
 * mbufs): frames from a pcap file are loaded into one buffer, then parsed
 * and counted in bursts of the configuration's capture.burst exactly as a
 * worker does, many passes over the file, timed with the TSC.
 *
 *   dpbench [-r PASSES] [-j OUT.json] CONF PCAP
 *
 * Stages mirror ds_set.c (stage_one + count_scan) by calling the same
 * sketch functions on the set's own sketches, so each analysis can be
 * switched on cumulatively or alone (parse + sensor lookup + that one);
 * "all = ds_set_burst" is the real function.  In the same run, two peers
 * count the same key stream after the same parse + sensor lookup:
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

#include "ds_conf.h"
#include "ds_hash.h"
#include "ds_parse.h"
#include "ds_set.h"
#include "frames.h"

#define BURST_MAX 512		/* the configuration's capture.burst, as a worker */

enum {
	F_LOOKUP = 1 << 0,	/* sensor lookup + class counters + source hash + hygiene */
	F_CM = 1 << 1,		/* count-min over destination ports */
	F_HLL = 1 << 2,		/* source HLLs (all, without excluded ports) */
	F_BK = 1 << 3,		/* bottom-K overlap samples (all + watched port) */
	F_TOOLS = 1 << 4,	/* tool labels + watched-port counters and HLLs */
	F_TOPK = 1 << 5,	/* top-sources table */
	F_FP = 1 << 6,		/* fingerprint table */
	F_MEMBER = 1 << 7,	/* peer: rte_member sketch */
	F_RTEHASH = 1 << 8,	/* peer: exact rte_hash per source */
	F_REAL = 1 << 9,	/* ds_set_burst itself */
};

static struct bench_frames input;
static unsigned burst_n = 32;

static struct rte_member_setsum *member;
static struct rte_hash *exact;
static uint64_t *exact_count;
static volatile uint64_t sink;

struct st {
	uint64_t src_hash, port_hash, fp_hash;
	int32_t sensor;
};

/* One burst through the stages in mask (ds_set.c order and prefetches). */
static inline void
burst(struct ds_set *s, const struct ds_lpm *lpm, const uint8_t *fr, const uint32_t *ln,
      unsigned m, unsigned mask)
{
	struct ds_pkt pkts[BURST_MAX];
	struct st st[BURST_MAX];
	unsigned i, n = s->n_sensors;

	for (i = 0; i < m; i++)
		ds_parse_fast(fr + (size_t)i * BENCH_SLOT, ln[i], &pkts[i]);
	if (mask & F_REAL) {
		ds_set_burst(s, lpm, pkts, m, 1);
		return;
	}
	if (!(mask & ~0u)) {
		uint64_t x = 0;

		for (i = 0; i < m; i++)
			x += pkts[i].cls;
		sink += x;
		return;
	}
	for (i = 0; i < m; i++) {
		const struct ds_pkt *p = &pkts[i];
		unsigned h;

		st[i].sensor = -1;
		s->classes[p->cls]++;
		if (p->cls > DS_CLASS_FRAGMENT)
			continue;
		st[i].sensor = (int32_t)ds_lpm_lookup(lpm, p->dst) - 1;
		if (st[i].sensor < 0 || p->cls != DS_CLASS_SCAN) {
			st[i].sensor = -1;
			continue;
		}
		s->sensor[st[i].sensor].cls[0]++;
		st[i].src_hash = ds_hash_u32(p->src);
		h = ds_hygiene(p->src, p->dst);
		if (h && s->conf->hygiene_exclude) {
			st[i].sensor = -1;
			continue;
		}
		st[i].port_hash = ds_cm_port_hash(p->dport);
		if (mask & F_CM)
			ds_cm_prefetch(s->ports[st[i].sensor], st[i].port_hash);
		if (mask & F_HLL)
			ds_hll_prefetch(s->src[st[i].sensor], st[i].src_hash);
		if (mask & F_FP) {
			struct ds_fp_key fk = { p->seq, p->sport, p->ipid, p->win };

			st[i].fp_hash = ds_fp_hash(&fk);
			ds_fp_prefetch(s->fp_slots, st[i].fp_hash);
		}
	}
	if (mask & (F_FP | F_TOPK)) {	/* ds_set_burst's warming pass */
		uint64_t x = 0;

		for (i = 0; i < m; i++) {
			if (st[i].sensor < 0)
				continue;
			if (mask & F_FP)
				x += ds_fp_touch(s->fp_slots, st[i].fp_hash);
			if (mask & F_TOPK)
				x += ds_topk_touch(s->top_src_b, st[i].src_hash ^ (unsigned)st[i].sensor);
		}
		sink += x;
	}
	for (i = 0; i < m; i++) {
		const struct ds_pkt *p = &pkts[i];
		unsigned sn, slot, tools, t;

		if (st[i].sensor < 0)
			continue;
		sn = (unsigned)st[i].sensor;
		slot = s->watch_slot[p->dport];
		if (mask & F_CM)
			ds_cm_add(s->ports[sn], st[i].port_hash, 1);
		if (mask & F_HLL) {
			ds_hll_add(s->src[sn], st[i].src_hash);
			if (!s->excluded[p->dport])
				ds_hll_add(s->src_excl[sn], st[i].src_hash);
		}
		if (mask & F_BK) {
			ds_bk_add(s->overlap, p->src, st[i].src_hash, sn);
			if (slot)
				ds_bk_add(s->watch_overlap[slot - 1], p->src, st[i].src_hash, sn);
		}
		if (mask & F_TOOLS) {
			struct ds_sensor_stats *ss = &s->sensor[sn];

			if (slot) {
				ss->watch_packets[slot - 1]++;
				ds_hll_add(s->watch_src[(slot - 1) * n + sn], st[i].src_hash);
			}
			tools = ds_set_tool_of(p);
			for (t = 0; tools; t++, tools >>= 1)
				if (tools & 1) {
					ss->tool_packets[t]++;
					ds_hll_add(s->tool_src[t * n + sn], st[i].src_hash);
				}
		}
		if (mask & F_TOPK)
			ds_topk_add(s->top_src, ((uint64_t)(sn + 1) << 32) | p->src,
				    st[i].src_hash ^ sn, ds_set_tool_of(p), 1);
		if (mask & F_FP) {
			struct ds_fp_key fk = { p->seq, p->sport, p->ipid, p->win };

			ds_fp_add(s->fp, &fk, st[i].fp_hash, p->src, sn,
				  p->dport, p->dst, 1);
		}
		if (mask & F_MEMBER) {
			uint32_t key = (sn << 16) | p->dport;

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

static struct result results[32];
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

static void
measure(struct ds_set *s, const struct ds_lpm *lpm, const char *group, const char *name,
	unsigned mask, unsigned passes)
{
	const char *only = getenv("DPBENCH_ONLY");
	uint64_t t[64], tf[64];
	unsigned r, base;

	if (only && !strstr(name, only))
		return;
	ds_set_clear(s);
	for (r = 0; r <= passes; r++) {	/* pass 0 warms caches */
		uint64_t t0, t1;

		if (!getenv("DPBENCH_REPEAT"))
			bench_frames_vary(&input, r);
		t0 = thread_cycles();

		for (base = 0; base < input.n; base += burst_n) {
			unsigned m = input.n - base < burst_n ? input.n - base : burst_n;

			burst(s, lpm, input.frames + (size_t)base * BENCH_SLOT, input.lens + base, m, mask);
		}
		t1 = thread_cycles();
		/* A pass stands for a period: the packets the caches hold back
		 * go to top-k and count-min at its end.  That is the manager's
		 * work (ds_set_merge / ds_set_flush on the retired set, like the
		 * HLL fold), not the worker's: timed apart. */
		if (mask & F_REAL)
			ds_set_flush_counts(s);
		if (r) {
			t[r - 1] = t1 - t0;
			tf[r - 1] = thread_cycles() - t1;
		}
	}
	record(group, name, t, passes);
	if (mask & F_REAL)
		record("period", "period-end flush of the caches (manager)", tf, passes);
}

int
main(int argc, char **argv)
{
	char *eal[] = { "dpbench", "--no-huge", "--no-pci", "--no-shconf", "-m", "512",
			"-l", "1", "--log-level=*:error", NULL };
	unsigned passes = 7, i;
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
	measure(s, lpm, "cum", "parse", 0, passes);
	measure(s, lpm, "cum", "+ sensor lookup, class counters, hash, hygiene", F_LOOKUP, passes);
	measure(s, lpm, "cum", "+ count-min", F_LOOKUP | F_CM, passes);
	measure(s, lpm, "cum", "+ HLL", F_LOOKUP | F_CM | F_HLL, passes);
	measure(s, lpm, "cum", "+ overlap sample (bottom-K)", F_LOOKUP | F_CM | F_HLL | F_BK, passes);
	measure(s, lpm, "cum", "+ tools, watched ports", F_LOOKUP | F_CM | F_HLL | F_BK | F_TOOLS, passes);
	measure(s, lpm, "cum", "+ top sources", F_LOOKUP | F_CM | F_HLL | F_BK | F_TOOLS | F_TOPK, passes);
	measure(s, lpm, "cum", "+ fingerprints", F_LOOKUP | F_CM | F_HLL | F_BK | F_TOOLS | F_TOPK | F_FP, passes);
	measure(s, lpm, "all", "parse + ds_set_burst (all analyses)", F_REAL, passes);
	measure(s, lpm, "alone", "count-min", F_LOOKUP | F_CM, passes);
	measure(s, lpm, "alone", "HLL", F_LOOKUP | F_HLL, passes);
	measure(s, lpm, "alone", "overlap sample", F_LOOKUP | F_BK, passes);
	measure(s, lpm, "alone", "tools, watched ports", F_LOOKUP | F_TOOLS, passes);
	measure(s, lpm, "alone", "top sources", F_LOOKUP | F_TOPK, passes);
	measure(s, lpm, "alone", "fingerprints", F_LOOKUP | F_FP, passes);
	measure(s, lpm, "peer", "rte_member sketch (count-min)", F_LOOKUP | F_MEMBER, passes);
	measure(s, lpm, "peer", "exact rte_hash per source", F_LOOKUP | F_RTEHASH, passes);
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

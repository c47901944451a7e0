/* SPDX-License-Identifier: BSD-3-Clause
 *
 * abpass: the data path of two builds of lib/ in one process, pass by pass.
 *
 * This machine's speed differs by up to 1.7x from one process to the next
 * and moves within a process (other tenants of the host), so two builds
 * timed one after the other compare two host phases as much as two
 * programs.  abpass links the working tree's libds.a ("new") and a second
 * one whose every global symbol was renamed alt_* by bench/ab.sh ("base"),
 * replays the same frames through parse + ds_set_burst of each in turn,
 * alternating which goes first, and reports each one's fastest and median
 * pass and the median of the per-pass ratios new/base: both halves of a
 * pair run within milliseconds of each other, in the same phase.
 *
 * Like dpbench, each pass varies the frames' sequence numbers so that the
 * fingerprint table sees new tuples (bench/frames.h), and flushes the
 * caches after it, timed apart (the period-end flush is the manager's
 * work): the flush's ratios are printed after the pass's.  Frames are
 * parsed with the working
 * tree's ds_parse_fast, so struct ds_pkt must be the same in both builds
 * (bench/ab.sh warns when REV's ds_parse.h differs), and so must the
 * signatures of the entry points declared below; each side loads the
 * configuration with its own ds_conf_load.
 *
 *   abpass CONF PCAP [PASSES]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "ds_conf.h"
#include "ds_lpm.h"
#include "ds_parse.h"
#include "ds_set.h"
#include "frames.h"

/* The base build's entry points (bench/ab.sh renames them). */
struct ds_conf *alt_ds_conf_load(const char *path, char *err, size_t errlen);
struct ds_lpm *alt_ds_set_sensor_lpm(const struct ds_conf *c);
struct ds_set *alt_ds_set_create(const struct ds_conf *c);
void alt_ds_set_burst(struct ds_set *s, const struct ds_lpm *lpm, const struct ds_pkt *pkts,
		      unsigned n, uint64_t ts);
void alt_ds_set_flush_counts(struct ds_set *s);

#define BURST_MAX 512
#define PASSES_MAX 1000

typedef void burst_fn(struct ds_set *, const struct ds_lpm *, const struct ds_pkt *, unsigned,
		      uint64_t);
typedef void flush_fn(struct ds_set *);

struct side {
	const char *name;
	burst_fn *burst;
	flush_fn *flush;
	struct ds_set *set;
	struct ds_lpm *lpm;
	double cyc[PASSES_MAX];
	double fcyc[PASSES_MAX];	/* the period-end flush after the pass */
};

static struct bench_frames input;

/* One pass of parse + burst over every frame: TSC cycles per frame. */
static double
run_pass(struct side *sd, unsigned burst)
{
	struct ds_pkt pk[BURST_MAX];
	uint64_t t0 = __rdtsc();

	for (unsigned b = 0; b < input.n; b += burst) {
		unsigned m = input.n - b < burst ? input.n - b : burst;

		for (unsigned i = 0; i < m; i++)
			ds_parse_fast(input.frames + (size_t)(b + i) * BENCH_SLOT, input.lens[b + i],
				      &pk[i]);
		sd->burst(sd->set, sd->lpm, pk, m, 1);
	}
	return (double)(__rdtsc() - t0) / input.n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct side sd[2] = {
		{ .name = "base", .burst = alt_ds_set_burst, .flush = alt_ds_set_flush_counts },
		{ .name = "new", .burst = ds_set_burst, .flush = ds_set_flush_counts },
	};
	static double ratio[PASSES_MAX], fratio[PASSES_MAX];
	unsigned passes = argc > 3 ? (unsigned)atoi(argv[3]) : 60, burst;
	struct ds_conf *c, *ca;
	char err[600];
	int rc;

	if (argc < 3 || passes < 1 || passes > PASSES_MAX) {
		fprintf(stderr, "usage: abpass CONF PCAP [PASSES (1-%d)]\n", PASSES_MAX);
		return 2;
	}
	c = ds_conf_load(argv[1], err, sizeof(err));
	ca = c ? alt_ds_conf_load(argv[1], err, sizeof(err)) : NULL;
	if (!c || !ca) {
		fprintf(stderr, "abpass: %s\n", err);
		return 2;
	}
	if ((rc = bench_frames_load(&input, argv[2])) != 0) {
		fprintf(stderr, "abpass: %s: %s\n", argv[2], strerror(-rc));
		return 2;
	}
	burst = c->burst < BURST_MAX ? c->burst : BURST_MAX;
	sd[0].lpm = alt_ds_set_sensor_lpm(ca);
	sd[0].set = alt_ds_set_create(ca);
	sd[1].lpm = ds_set_sensor_lpm(c);
	sd[1].set = ds_set_create(c);
	if (!sd[0].lpm || !sd[0].set || !sd[1].lpm || !sd[1].set) {
		fprintf(stderr, "abpass: cannot build the sets\n");
		return 1;
	}
	for (unsigned r = 0; r <= passes; r++) {	/* pass 0 warms both */
		double t[2], tf[2];

		bench_frames_vary(&input, r);
		for (unsigned k = 0; k < 2; k++) {
			unsigned i = (r + k) & 1;	/* who goes first alternates */
			uint64_t t0;

			t[i] = run_pass(&sd[i], burst);
			t0 = __rdtsc();
			sd[i].flush(sd[i].set);
			tf[i] = (double)(__rdtsc() - t0) / input.n;
		}
		if (r) {
			for (unsigned k = 0; k < 2; k++) {
				sd[k].cyc[r - 1] = t[k];
				sd[k].fcyc[r - 1] = tf[k];
			}
			ratio[r - 1] = t[1] / t[0];
			fratio[r - 1] = tf[1] / tf[0];
		}
	}
	printf("abpass: %s, %u frames, %u sensors, %u passes each, TSC cycles per frame\n", argv[2],
	       input.n, c->n_sensors, passes);
	for (unsigned k = 0; k < 2; k++) {
		qsort(sd[k].cyc, passes, sizeof(double), cmp_double);
		printf("  %-4s fastest %6.1f  median %6.1f\n", sd[k].name, sd[k].cyc[0],
		       sd[k].cyc[passes / 2]);
	}
	qsort(ratio, passes, sizeof(double), cmp_double);
	printf("  new/base per pass: median %.3f (quartiles %.3f-%.3f)\n", ratio[passes / 2],
	       ratio[passes / 4], ratio[3 * passes / 4]);
	/* the manager's share of a period, per frame of the pass */
	for (unsigned k = 0; k < 2; k++) {
		qsort(sd[k].fcyc, passes, sizeof(double), cmp_double);
		printf("  %-4s period-end flush fastest %6.1f  median %6.1f\n", sd[k].name,
		       sd[k].fcyc[0], sd[k].fcyc[passes / 2]);
	}
	qsort(fratio, passes, sizeof(double), cmp_double);
	printf("  flush new/base per pass: median %.3f (quartiles %.3f-%.3f)\n", fratio[passes / 2],
	       fratio[passes / 4], fratio[3 * passes / 4]);
	return 0;
}

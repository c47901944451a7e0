/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkgen: streams a darknet scenario into a pcap file with its ground
 * truth beside it, and/or sends it out of a DPDK port.
 *
 *   darkgen --scenario NAME|FILE --out DIR [--scale X] [--seed N]
 *           [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--no-truth]
 *           [--tx [--rate PPS] [--loop N] [--port ID] -- EAL args...]
 *
 * DIR gets trace.pcap, truth.json and sources.tsv.  Options before "--"
 * are darkgen's, after it EAL's (docs/darkgen.md).  The pcap is written
 * with libpcap's dumper over a FILE with a 4 MiB buffer.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include <sys/stat.h>
#include <pcap/pcap.h>

#include "dg.h"

struct opts {
	const char *scenario, *out, *start, *end;
	double scale, rate;
	uint64_t seed;
	long loop;
	int tx, port, no_truth, quiet;
	int eal_argc;
	char **eal_argv;
};

struct pcap_sink {
	pcap_t *p;
	pcap_dumper_t *d;
	FILE *f;
	char *buf;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: darkgen --scenario NAME|FILE --out DIR [--scale X] [--seed N]\n"
		"               [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--no-truth] [--quiet]\n"
		"               [--tx [--rate PPS] [--loop N] [--port ID] -- EAL args...]\n"
		"  NAME is looked up as config/scenarios/NAME.cfg (cwd, then beside the binary)\n"
		"  DIR receives trace.pcap, truth.json, sources.tsv\n"
		"  --tx sends the frames out of DPDK port ID (default 0); --rate 0 = as fast as possible\n"
		"  example: darkgen --scenario smoke --tx --rate 100000 -- --no-huge --no-pci \\\n"
		"           --no-shconf --vdev=net_null0\n");
}

static int
parse_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end ? -EINVAL : 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"scenario", 1, 0, 's'}, {"out", 1, 0, 'o'}, {"scale", 1, 0, 'x'},
		{"seed", 1, 0, 'S'}, {"start", 1, 0, 'a'}, {"end", 1, 0, 'b'},
		{"tx", 0, 0, 't'}, {"rate", 1, 0, 'r'}, {"loop", 1, 0, 'l'},
		{"port", 1, 0, 'p'}, {"no-truth", 0, 0, 'n'}, {"quiet", 0, 0, 'q'},
		{"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	double v;
	int c;

	o->scale = 1.0;
	o->seed = 1;
	o->loop = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->scenario = optarg; break;
		case 'o': o->out = optarg; break;
		case 'a': o->start = optarg; break;
		case 'b': o->end = optarg; break;
		case 't': o->tx = 1; break;
		case 'n': o->no_truth = 1; break;
		case 'q': o->quiet = 1; break;
		case 'x':
			if (parse_num(optarg, &o->scale) || o->scale <= 0 || o->scale > 100)
				return fprintf(stderr, "darkgen: --scale: a number in (0, 100] is required\n"), -EINVAL;
			break;
		case 'S':
			if (parse_num(optarg, &v) || v < 0 || v > 1e18)
				return fprintf(stderr, "darkgen: --seed: a non-negative integer is required\n"), -EINVAL;
			o->seed = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			if (parse_num(optarg, &o->rate) || o->rate < 0)
				return fprintf(stderr, "darkgen: --rate: packets per second >= 0 (0 = unlimited)\n"), -EINVAL;
			break;
		case 'l':
			if (parse_num(optarg, &v) || v < 1 || v > 1e9)
				return fprintf(stderr, "darkgen: --loop: a count >= 1 is required\n"), -EINVAL;
			o->loop = (long)v;
			break;
		case 'p':
			if (parse_num(optarg, &v) || v < 0 || v > 1023)
				return fprintf(stderr, "darkgen: --port: a DPDK port id is required\n"), -EINVAL;
			o->port = (int)v;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!o->scenario || (!o->out && !o->tx)) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* NAME -> config/scenarios/NAME.cfg in cwd, else beside the binary. */
static int
resolve_scenario(const char *name, char *path, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len;

	if (strchr(name, '/') || strstr(name, ".cfg")) {
		snprintf(path, n, "%s", name);
		return access(path, R_OK) ? -ENOENT : 0;
	}
	snprintf(path, n, "config/scenarios/%s.cfg", name);
	if (!access(path, R_OK))
		return 0;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = 0;
		snprintf(path, n, "%s/../config/scenarios/%s.cfg", dirname(exe), name);
		if (!access(path, R_OK))
			return 0;
	}
	return -ENOENT;
}

static int
mkdir_p(const char *dir)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

static int
pcap_emit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t ts_us)
{
	struct pcap_sink *ps = ctx;
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)(ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
	h.caplen = len;
	h.len = len;
	pcap_dump((u_char *)ps->d, &h, frame);
	return 0;
}

static int
pcap_open_sink(struct pcap_sink *ps, const char *path)
{
	memset(ps, 0, sizeof(*ps));
	ps->f = fopen(path, "wb");
	ps->buf = malloc(4 << 20);
	ps->p = pcap_open_dead(DLT_EN10MB, 65535);
	if (!ps->f || !ps->buf || !ps->p)
		return -errno;
	setvbuf(ps->f, ps->buf, _IOFBF, 4 << 20);
	ps->d = pcap_dump_fopen(ps->p, ps->f);
	return ps->d ? 0 : -EIO;
}

static int
pcap_close_sink(struct pcap_sink *ps)
{
	int rc = 0;

	if (ps->d) {
		rc = pcap_dump_flush(ps->d) ? -EIO : 0;
		pcap_dump_close(ps->d); /* closes ps->f */
	} else if (ps->f) {
		fclose(ps->f);
	}
	if (ps->p)
		pcap_close(ps->p);
	free(ps->buf);
	return rc;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
split_eal(int *argc, char **argv, struct opts *o)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		argv[i] = argv[0];           /* EAL's argv[0] */
		o->eal_argv = argv + i;
		o->eal_argc = *argc - i;
		*argc = i;
		return;
	}
}

static int
write_outputs(const struct dg_scenario *s, const struct opts *o, struct dg_truth *t)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sources.tsv", o->out);
	if (dg_write_sources(s, path)) {
		fprintf(stderr, "darkgen: cannot write %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	if (!t)
		return 0;
	snprintf(path, sizeof(path), "%s/truth.json", o->out);
	if (dg_truth_write(t, path)) {
		fprintf(stderr, "darkgen: cannot write %s\n", path);
		return -EIO;
	}
	return 0;
}

static int
run(const struct dg_scenario *s, const struct opts *o)
{
	struct pcap_sink ps;
	struct dg_sink sinks[2];
	struct dg_tx *tx = NULL;
	struct dg_truth *t = NULL;
	struct dg_gen_stats st = {0, 0};
	char path[PATH_MAX];
	int ns = 0, rc = 0;
	double t0;

	memset(&ps, 0, sizeof(ps));
	if (o->out) {
		snprintf(path, sizeof(path), "%s/trace.pcap", o->out);
		if (mkdir_p(o->out) || pcap_open_sink(&ps, path)) {
			fprintf(stderr, "darkgen: cannot write %s: %s\n", path, strerror(errno));
			pcap_close_sink(&ps);
			return 1;
		}
		sinks[ns++] = (struct dg_sink){pcap_emit, &ps};
		if (!o->no_truth && !(t = dg_truth_create(s))) {
			fprintf(stderr, "darkgen: out of memory for the ground truth\n");
			return 1;
		}
	}
	if (o->tx) {
		if (!(tx = dg_tx_open(o->eal_argc, o->eal_argv, o->port, o->rate)))
			return 1;
		sinks[ns++] = (struct dg_sink){dg_tx_emit, tx};
	}
	t0 = now();
	for (long l = 0; l < o->loop && !rc; l++) {
		rc = dg_generate(s, sinks, ns, l ? NULL : t, &st);
		if (l == 0 && o->out) {
			rc |= pcap_close_sink(&ps);
			sinks[0] = sinks[--ns];
		}
	}
	t0 = now() - t0;
	if (!rc && o->out)
		rc = write_outputs(s, o, t);
	if (tx) {
		uint64_t sent, dropped;
		dg_tx_close(tx, &sent, &dropped);
		fprintf(stderr, "darkgen: tx port %d: %llu sent, %llu dropped\n", o->port,
			(unsigned long long)sent, (unsigned long long)dropped);
	}
	if (!o->quiet)
		fprintf(stderr, "darkgen: %s scale %g seed %llu: %llu packets, %llu bytes in %.3f s (%.2f Mpps)\n",
			s->name, s->scale, (unsigned long long)s->seed, (unsigned long long)st.packets,
			(unsigned long long)st.bytes, t0, t0 > 0 ? (double)st.packets / t0 / 1e6 : 0.0);
	dg_truth_free(t);
	if (rc)
		fprintf(stderr, "darkgen: generation failed: %s\n", strerror(rc < 0 ? -rc : rc));
	return rc ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static struct dg_scenario s;
	struct opts o;
	char path[PATH_MAX];

	memset(&o, 0, sizeof(o));
	split_eal(&argc, argv, &o);
	if (parse_opts(argc, argv, &o))
		return 2;
	if (o.tx && !o.eal_argc) {
		fprintf(stderr, "darkgen: --tx needs EAL arguments after \"--\" (e.g. -- --no-huge --no-pci --vdev=net_null0)\n");
		return 2;
	}
	if (resolve_scenario(o.scenario, path, sizeof(path))) {
		fprintf(stderr, "darkgen: scenario '%s' not found (a file, or NAME of config/scenarios/NAME.cfg)\n",
			o.scenario);
		return 2;
	}
	if (dg_scenario_load(&s, path, o.scale, o.seed, o.start, o.end))
		return 2;
	return run(&s, &o);
}

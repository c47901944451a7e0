/* SPDX-License-Identifier: BSD-3-Clause
 *
 * darkscope --pcap: capture files read on one thread, without DPDK: classic
 * pcap files of Ethernet frames by ds_pcapf, which parses records where
 * they lie in its read buffer (the 31-day bench run takes 0.75-0.8x the
 * time it took through libpcap's two fread() calls per record), every
 * other input (pcapng, stdin, ...) with libpcap.  Reading a file needs no
 * poll-mode driver, and skipping the EAL (driver plugins, memory, mbuf
 * pool) is most of a short run's start-up.
 *
 * The thread plays the one worker and the manager in turn.  Frames of all
 * files are taken in timestamp order (each file in its own order), parsed
 * into bursts and counted on the packet clock exactly as a worker does
 * (ds_count_packet_clock: a burst is split at the first packet of a later
 * period, older packets count as late); at each flip the current set is retired
 * and the manager reports every period the worker has left, which hands
 * that set back before the next flip needs it.  capture.rx_packets counts
 * the frames read.  The DPDK path (pcap PMD, one worker lcore per file)
 * stays available as --pcap-pmd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "darkscope.h"
#include "ds_parse.h"
#include "ds_pcapf.h"

#define READ_BURST 32
#define READ_IOBUF (1u << 16)	/* stdio buffer: one read(2) per 64 KiB */

struct input {
	struct ds_pcapf *pf;		/* a classic pcap file */
	pcap_t *pcap;			/* else libpcap's reader */
	char *iobuf;			/* the pcap's FILE buffer, or NULL */
	const char *name;
	const uint8_t *data;		/* current frame, NULL at end */
	uint32_t caplen;
	uint64_t ts;			/* ns */
};

/* Load in's next frame; at the end (or on a damaged record, which ends the
 * file as the PMD would) data becomes NULL. */
static void
input_next(struct input *in)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;

	if (in->pf) {
		rc = ds_pcapf_next(in->pf, &in->data, &in->caplen, &in->ts);
		if (rc < 0)
			fprintf(stderr, "darkscope: %s: %s; the rest of the file is ignored\n",
				in->name, ds_pcapf_error(in->pf));
		if (rc != 1)
			in->data = NULL;
		return;
	}
	rc = pcap_next_ex(in->pcap, &h, &d);
	if (rc == 1) {
		in->data = d;
		in->caplen = h->caplen;
		in->ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		return;
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "darkscope: %s: %s; the rest of the file is ignored\n", in->name,
			pcap_geterr(in->pcap));
	in->data = NULL;
}

/* The input whose current frame is the oldest, or NULL when all ended. */
static struct input *
input_oldest(struct input *in, unsigned n)
{
	struct input *best = NULL;
	unsigned i;

	for (i = 0; i < n; i++)
		if (in[i].data && (!best || in[i].ts < best->ts))
			best = &in[i];
	return best;
}

/* Retire the worker's set, let the manager report it, and go on in the
 * same slot, which the report hands back holding that same set, cleared
 * (swap_back() in manager.c): the run then touches one set's memory, not
 * three (the worker's two and the accumulator), and every page of the
 * others would be a page fault and a zeroing.  Should the period not have
 * been reported, the other slot, free since the start, takes over.
 * (ds_flip_fn; arg: the manager) */
static void
flip(void *arg, struct ds_worker *w, int64_t to)
{
	unsigned k = w->cur;

	w->state[k] = DS_SET_RETIRED;
	w->period = to;
	ds_manager_advance(arg, 0);
	if (w->state[k] != DS_SET_FREE)
		k ^= 1;
	w->cur = k;
	w->set[k]->period = to;
	w->state[k] = DS_SET_OWNED;
}

/* libpcap reads a file with two fread() calls per record, through a
 * buffer of st_blksize bytes (4 KiB here): one read(2) per 60 frames.  A
 * 64 KiB buffer of our own makes that one per 1,000 (the 31-day bench run
 * takes about 13 % less CPU; a 1 MiB buffer, larger than L2, was slower
 * than 4 KiB), and as one thread reads the FILE, its calls skip stdio's
 * lock (the run's instructions 4 % fewer).  "-" is stdin, as with
 * pcap_open_offline(). */
static pcap_t *
open_pcap(struct input *in, const char *file, char *err)
{
	pcap_t *p;
	FILE *f;

	if (strcmp(file, "-") == 0)
		return pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, err);
	f = fopen(file, "rb");
	if (!f) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		return NULL;
	}
	in->iobuf = malloc(READ_IOBUF);
	if (in->iobuf)
		setvbuf(f, in->iobuf, _IOFBF, READ_IOBUF);
	__fsetlocking(f, FSETLOCKING_BYCALLER);	/* one thread reads it */
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fclose(f);
		free(in->iobuf);
		in->iobuf = NULL;
	}
	return p;
}

/* Close either reader; pcap_close() closes the FILE, and its buffer goes
 * after it. */
static void
close_input(struct input *in)
{
	ds_pcapf_close(in->pf);
	in->pf = NULL;
	if (!in->pcap)
		return;
	pcap_close(in->pcap);
	in->pcap = NULL;
	free(in->iobuf);
	in->iobuf = NULL;
}

static int
open_inputs(struct input *in, const char *const *files, unsigned n)
{
	char err[PCAP_ERRBUF_SIZE];
	unsigned i, opened = 0;

	for (i = 0; i < n; i++) {
		in[i].name = files[i];
		/* a file ds_pcapf declines (or cannot open) goes to libpcap,
		 * which reads it or says what is wrong with it */
		if (strcmp(files[i], "-") != 0 && (in[i].pf = ds_pcapf_open(files[i])) != NULL) {
			opened++;
			input_next(&in[i]);
			continue;
		}
		in[i].pcap = open_pcap(&in[i], files[i], err);
		if (!in[i].pcap) {
			fprintf(stderr, "darkscope: %s: %s\n", files[i], err);
			continue;
		}
		if (pcap_datalink(in[i].pcap) != DLT_EN10MB) {
			fprintf(stderr, "darkscope: %s: link type %s: only Ethernet captures are read\n",
				files[i], pcap_datalink_val_to_name(pcap_datalink(in[i].pcap)));
			close_input(&in[i]);
			continue;
		}
		opened++;
		input_next(&in[i]);
	}
	return opened ? 0 : -1;
}

int
ds_reader_run(struct ds_app *app, const char *const *files, unsigned n)
{
	struct input in[n];
	struct ds_worker *w = &app->workers[0];
	struct ds_pkt pkts[READ_BURST];
	uint64_t ts[READ_BURST];
	struct mgr *g;
	unsigned i;

	memset(in, 0, sizeof(in));
	if (open_inputs(in, files, n) != 0)
		return -1;
	g = ds_manager_open(app);
	if (!g) {
		fprintf(stderr, "darkscope: out of memory\n");
		for (i = 0; i < n; i++)
			close_input(&in[i]);
		return -ENOMEM;
	}
	while (!ds_force_quit) {
		struct ds_set *s;
		unsigned nb = 0;
		struct input *x;

		while (nb < READ_BURST && (x = input_oldest(in, n)) != NULL) {
			ds_parse_fast(x->data, x->caplen, &pkts[nb]);
			ts[nb++] = x->ts;
			input_next(x);
		}
		if (nb == 0)
			break;
		app->read_packets += nb;
		ds_count_packet_clock(app, w, pkts, ts, nb, flip, g);
		s = w->set[w->cur];
		if (app->watch_published > s->n_watch)	/* a port found surging */
			ds_set_adopt_watch(s, app->watch, app->watch_published, ts[nb - 1]);
	}
	w->state[w->cur] = DS_SET_RETIRED;
	w->period = DS_PERIOD_DONE;
	ds_manager_advance(g, 1);
	ds_manager_close(g);
	for (i = 0; i < n; i++)
		close_input(&in[i]);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer harness for ds_pcapf: any byte string is a capture file.  It
 * must never read outside the image (an exact-size heap copy, so ASan
 * sees it), and wherever it takes the image it must agree with libpcap
 * record for record: same frames, capture lengths and nanosecond time
 * stamps, and the same ending (end of file or a damaged record).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "ds_pcapf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	struct ds_pcapf *f;
	uint8_t *copy;
	pcap_t *pc;
	FILE *mf;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	f = ds_pcapf_open_mem(copy, size);
	if (!f) {
		free(copy);
		return 0;
	}
	mf = fmemopen(copy, size, "rb");
	pc = mf ? pcap_fopen_offline_with_tstamp_precision(mf, PCAP_TSTAMP_PRECISION_NANO, err) : NULL;
	if (!pc)
		abort();	/* taken by ds_pcapf: libpcap opens it too */
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		const uint8_t *frame;
		uint32_t caplen;
		uint64_t ts;
		int a = ds_pcapf_next(f, &frame, &caplen, &ts);
		int b = pcap_next_ex(pc, &h, &d);

		if (a != (b == 1 ? 1 : b == PCAP_ERROR_BREAK ? 0 : -1))
			abort();
		if (a != 1)
			break;
		if (caplen != h->caplen || memcmp(frame, d, caplen) != 0 ||
		    ts != (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec)
			abort();
	}
	pcap_close(pc);
	ds_pcapf_close(f);
	free(copy);
	return 0;
}

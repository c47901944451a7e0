/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer harness for ds_parse: any byte string is a frame.  Besides
 * "never crash, never read outside the frame" (ASan), it checks the
 * contract of ds_parse.h: exactly one class in range, a malformed reason
 * only for MALFORMED (and always one then), names never NULL, and
 * ds_hygiene total on whatever addresses came out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_pkt p, q;
	uint8_t *copy;
	unsigned h;

	/* an exact-size heap copy so ASan sees any over-read */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&p, 0xa5, sizeof(p));
	ds_parse(copy, (uint32_t)size, &p);
	memset(&q, 0x5a, sizeof(q));
	ds_parse_fast(copy, (uint32_t)size, &q);
	if (!ds_pkt_equal(&p, &q))
		abort();	/* the inline fast path must agree */
	if (p.cls >= DS_CLASS__N)
		abort();
	if (p.cls == DS_CLASS_MALFORMED) {
		if (p.reason == DS_MAL_NONE || p.reason >= DS_MAL__N)
			abort();
	} else if (p.reason != DS_MAL_NONE) {
		abort();
	}
	if (p.vlans > 2)
		abort();
	if (!ds_class_name(p.cls) || !ds_malformed_name(p.reason))
		abort();
	h = ds_hygiene(p.src, p.dst);
	if (h >= DS_HYG__N || !ds_hygiene_name(h))
		abort();
	if (size >= 8) {
		uint32_t a, b;

		memcpy(&a, data, 4);
		memcpy(&b, data + 4, 4);
		if (ds_hygiene(a, b) >= DS_HYG__N)
			abort();
	}
	free(copy);
	return 0;
}

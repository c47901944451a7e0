/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer harness for ds_geo_load: the input is written to a temporary
 * file and compiled as a MaxMind DB.  Must return a table or an error
 * naming the file; a table must answer lookups for any address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_geo.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_geo *g;
	char err[700];
	const char *path;

	path = fuzz_write_input("geo", "mmdb", data, size);
	err[0] = '\0';
	g = ds_geo_load(path, err, sizeof(err));
	if (g) {
		static const uint32_t probe[] = { 0, 0x01020304, 0x0a000001,
			0x7f000001, 0xc0a80101, 0xffffffff, 0x0b081001 };
		unsigned i, n = ds_geo_count(g);

		for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
			uint16_t idx = ds_geo_lookup(g, probe[i]);

			if (idx > n || !ds_geo_country(g, idx))
				abort();
		}
		ds_geo_free(g);
	} else if (!strstr(err, path)) {
		fprintf(stderr, "error message does not name the file: '%s'\n", err);
		abort();
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer harness for ds_conf_load: the input is written to a temporary
 * file and loaded.  The result must be a configuration or an error whose
 * message begins with the path (file:line: ... or file: ...), never a crash
 * or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_conf.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_conf *c;
	char err[700];
	const char *path;

	path = fuzz_write_input("config", "conf", data, size);
	err[0] = '\0';
	c = ds_conf_load(path, err, sizeof(err));
	if (c) {
		if (c->n_sensors > DS_CONF_MAX_SENSORS || c->period == 0)
			abort();
		ds_conf_free(c);
	} else if (strncmp(err, path, strlen(path)) != 0) {
		fprintf(stderr, "error message does not begin with the path: '%s'\n", err);
		abort();
	}
	return 0;
}

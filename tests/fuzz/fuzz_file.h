/* SPDX-License-Identifier: BSD-3-Clause
 *
 * For harnesses whose target reads a file: write the fuzz input to a
 * per-process temporary file and return its path.  The file is removed
 * when the process exits (libFuzzer ends a timed run with exit()).
 */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_path[64];

static void
fuzz_remove_input(void)
{
	unlink(fuzz_path);
}

/* Write data to /tmp/fuzz_NAME.PID.EXT (aborts on I/O failure). */
static inline const char *
fuzz_write_input(const char *name, const char *ext, const uint8_t *data, size_t size)
{
	FILE *f;

	if (!fuzz_path[0]) {
		snprintf(fuzz_path, sizeof(fuzz_path), "/tmp/fuzz_%s.%d.%s", name, (int)getpid(), ext);
		atexit(fuzz_remove_input);
	}
	f = fopen(fuzz_path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return fuzz_path;
}

#endif

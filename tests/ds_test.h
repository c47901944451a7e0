/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Minimal test harness shared by tests/test_*.c: each test file holds a
 * table of cases and reports failures with file:line; main() returns the
 * number of failed checks (0 = pass), so tests/run.sh can judge it.
 */
#ifndef DS_TEST_H
#define DS_TEST_H

#include <stdio.h>
#include <stdlib.h>

static int ds_test_failures;

static inline int
ds_test_check(int ok, const char *expr, const char *file, int line,
	      const char *what)
{
	if (!ok) {
		ds_test_failures++;
		fprintf(stderr, "%s:%d: check failed: %s%s%s\n", file, line,
			expr, what ? " -- " : "", what ? what : "");
	}
	return ok;
}

/* The one macro: it needs the caller's expression text and line. */
#define CHECK(expr, what) ds_test_check(!!(expr), #expr, __FILE__, __LINE__, (what))

static inline int
ds_test_done(const char *name)
{
	if (ds_test_failures)
		fprintf(stderr, "%s: %d check(s) failed\n", name, ds_test_failures);
	else
		printf("%s: ok\n", name);
	return ds_test_failures ? 1 : 0;
}

#endif

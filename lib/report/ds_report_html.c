/* SPDX-License-Identifier: BSD-3-Clause
 *
 * HTML rendering of reports: see issue 5 (not yet written).
 */
#include <errno.h>

#include "ds_report_int.h"

int
ds_report_write_html(json_t *report, const char *path)
{
	(void)report;
	(void)path;
	return -ENOTSUP;
}

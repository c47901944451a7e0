/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The report's own formatting of times (ds_report_iso, ds_report_stamp,
 * ds_report_jtime) and addresses (ds_report_jaddr) against what strftime
 * and snprintf give: a table of edges (epoch, leap days, century years,
 * the last second before the fallback, times that fall back, short
 * buffers), then a sweep.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ds_report_int.h"
#include "ds_test.h"

static void
libc_format(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, fmt, &tm);
}

/* ds_report_iso and ds_report_stamp of t against strftime. */
static int
iso_matches(int64_t t, size_t len)
{
	char got[64], want[64], sgot[64], swant[64];

	ds_report_iso(t, got, len);
	libc_format(t, "%Y-%m-%dT%H:%M:%SZ", want, len);
	ds_report_stamp(t, sgot, len);
	libc_format(t, "%Y%m%dT%H%M%SZ", swant, len);
	if (strcmp(got, want) != 0 || strcmp(sgot, swant) != 0) {
		fprintf(stderr, "t %lld: got '%s' '%s' want '%s' '%s'\n", (long long)t, got, sgot, want,
			swant);
		return 0;
	}
	return 1;
}

static const struct {
	int64_t t;
	const char *want;	/* NULL: as strftime, whatever it gives */
} times[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 59, "1970-01-01T00:00:59Z" },
	{ 86399, "1970-01-01T23:59:59Z" },
	{ 951782400, "2000-02-29T00:00:00Z" },		/* leap day of a /400 year */
	{ 951868800, "2000-03-01T00:00:00Z" },
	{ 1388534400, "2014-01-01T00:00:00Z" },		/* the paper's capture */
	{ 1709251199, "2024-02-29T23:59:59Z" },
	{ 2147483647, "2038-01-19T03:14:07Z" },
	{ 4107542400LL, "2100-03-01T00:00:00Z" },	/* 2100 is no leap year */
	{ 4294967295LL, "2106-02-07T06:28:15Z" },	/* pcap's 32-bit seconds */
	{ 253402300799LL, "9999-12-31T23:59:59Z" },	/* the last fast one */
	{ 253402300800LL, NULL },			/* year 10000: strftime */
	{ -1, "1969-12-31T23:59:59Z" },			/* before 1970: strftime */
	{ -62135596800LL, NULL },
};

static void
test_times(void)
{
	char b[64], what[80];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned bad = 0;

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		snprintf(what, sizeof(what), "t %lld", (long long)times[i].t);
		CHECK(iso_matches(times[i].t, sizeof(b)), what);
		if (times[i].want) {
			ds_report_iso(times[i].t, b, sizeof(b));
			CHECK(strcmp(b, times[i].want) == 0, what);
		}
	}
	/* too short for the whole text: empty */
	memset(b, 'x', sizeof(b));
	ds_report_iso(1388534400, b, 8);
	CHECK(b[0] == '\0', "short buffer");
	memset(b, 'x', sizeof(b));
	ds_report_iso(253402300800LL, b, 8);
	CHECK(b[0] == '\0', "short buffer, strftime");
	ds_report_stamp(1388534400, b, 17);
	CHECK(strcmp(b, "20140101T000000Z") == 0, "stamp in its exact size");
	/* every day from 1970 to 2200, at a second that moves */
	for (int64_t d = 0; d < 84000; d++)
		bad += !iso_matches(d * 86400 + (d * 7919) % 86400, sizeof(b));
	/* and random times up to year 9999 */
	for (int i = 0; i < 200000; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		bad += !iso_matches((int64_t)((x * 2685821657736338717ull) % 253402300800ull), sizeof(b));
	}
	CHECK(bad == 0, "sweep against strftime");
	CHECK(json_is_null(ds_report_jtime(0)), "no time: null");
	{
		json_t *j = ds_report_jtime(1388534400123456789ull);

		CHECK(j && strcmp(json_string_value(j), "2014-01-01T00:00:00Z") == 0, "jtime rounds down");
		json_decref(j);
	}
}

static void
test_addrs(void)
{
	static const uint32_t addrs[] = { 0, 1, 9, 10, 99, 100, 255, 0x0a000001, 0x7f000001,
					  0xc0a80164, 0x01020304, 0x64646464, 0xffffffff,
					  0x090a6364, 0x00ff00ff };
	uint32_t x = 12345;
	unsigned bad = 0;

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]) + 300000; i++) {
		uint32_t a = i < sizeof(addrs) / sizeof(addrs[0]) ? addrs[i] : (x = x * 1664525u + 1013904223u);
		char want[16];
		json_t *j = ds_report_jaddr(a);

		snprintf(want, sizeof(want), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
			 a & 0xff);
		if (!j || strcmp(json_string_value(j), want) != 0 || json_string_length(j) != strlen(want)) {
			if (bad++ < 5)
				fprintf(stderr, "addr %08x: got '%s' want '%s'\n", a,
					j ? json_string_value(j) : "(null)", want);
		}
		json_decref(j);
	}
	CHECK(bad == 0, "addresses against snprintf");
}

int
main(void)
{
	test_times();
	test_addrs();
	return ds_test_done("test_report_fmt");
}

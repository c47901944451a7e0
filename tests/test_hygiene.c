/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_hygiene: a table of source/destination pairs at the edges of every
 * RFC 6890 special-purpose block, plus src == dst and .0/.255 sources, and
 * a sweep checking the first-octet table against a naive prefix list.
 */
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include "ds_parse.h"
#include "ds_test.h"

/* Dotted quad to host order (the table holds constants only). */
static uint32_t
ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return ntohl(a.s_addr);
}

#define DST "11.8.1.9"	/* an ordinary darknet address */

struct hcase { const char *src, *dst; unsigned want; };

static const struct hcase cases[] = {
	{ "0.0.0.1", DST, DS_HYG_SPECIAL },
	{ "0.255.255.254", DST, DS_HYG_SPECIAL },
	{ "1.0.0.1", DST, DS_HYG_OK },
	{ "9.255.255.254", DST, DS_HYG_OK },
	{ "10.0.0.1", DST, DS_HYG_SPECIAL },
	{ "10.255.255.254", DST, DS_HYG_SPECIAL },
	{ "11.0.0.1", DST, DS_HYG_OK },
	{ "100.63.255.254", DST, DS_HYG_OK },
	{ "100.64.0.1", DST, DS_HYG_SPECIAL },
	{ "100.127.255.254", DST, DS_HYG_SPECIAL },
	{ "100.128.0.1", DST, DS_HYG_OK },
	{ "126.255.255.254", DST, DS_HYG_OK },
	{ "127.0.0.1", DST, DS_HYG_SPECIAL },
	{ "128.0.0.1", DST, DS_HYG_OK },
	{ "169.253.255.254", DST, DS_HYG_OK },
	{ "169.254.1.1", DST, DS_HYG_SPECIAL },
	{ "169.255.0.1", DST, DS_HYG_OK },
	{ "172.15.255.254", DST, DS_HYG_OK },
	{ "172.16.0.1", DST, DS_HYG_SPECIAL },
	{ "172.31.255.254", DST, DS_HYG_SPECIAL },
	{ "172.32.0.1", DST, DS_HYG_OK },
	{ "192.0.0.1", DST, DS_HYG_SPECIAL },
	{ "192.0.1.1", DST, DS_HYG_OK },
	{ "192.0.2.1", DST, DS_HYG_SPECIAL },
	{ "192.0.3.1", DST, DS_HYG_OK },
	{ "192.88.98.1", DST, DS_HYG_OK },
	{ "192.88.99.1", DST, DS_HYG_SPECIAL },
	{ "192.88.100.1", DST, DS_HYG_OK },
	{ "192.167.255.254", DST, DS_HYG_OK },
	{ "192.168.0.1", DST, DS_HYG_SPECIAL },
	{ "192.168.255.254", DST, DS_HYG_SPECIAL },
	{ "192.169.0.1", DST, DS_HYG_OK },
	{ "198.17.255.254", DST, DS_HYG_OK },
	{ "198.18.0.1", DST, DS_HYG_SPECIAL },
	{ "198.19.255.254", DST, DS_HYG_SPECIAL },
	{ "198.20.0.1", DST, DS_HYG_OK },
	{ "198.51.99.1", DST, DS_HYG_OK },
	{ "198.51.100.1", DST, DS_HYG_SPECIAL },
	{ "198.51.101.1", DST, DS_HYG_OK },
	{ "203.0.112.1", DST, DS_HYG_OK },
	{ "203.0.113.1", DST, DS_HYG_SPECIAL },
	{ "203.0.114.1", DST, DS_HYG_OK },
	{ "223.255.255.254", DST, DS_HYG_OK },
	{ "224.0.0.1", DST, DS_HYG_SPECIAL },
	{ "239.255.255.250", DST, DS_HYG_SPECIAL },
	{ "240.0.0.1", DST, DS_HYG_SPECIAL },
	{ "255.255.255.255", DST, DS_HYG_SPECIAL },
	/* src == dst, .0 / .255 */
	{ DST, DST, DS_HYG_SRC_EQ_DST },
	{ "8.8.8.0", DST, DS_HYG_SRC_NET_BCAST },
	{ "8.8.8.255", DST, DS_HYG_SRC_NET_BCAST },
	{ "8.8.8.1", DST, DS_HYG_OK },
	{ "8.8.8.254", DST, DS_HYG_OK },
	{ "8.8.8.0", "8.8.8.0", DS_HYG_SRC_EQ_DST },
	{ "10.0.0.0", DST, DS_HYG_SPECIAL },	/* special first */
	{ "10.1.1.1", "10.1.1.1", DS_HYG_SPECIAL },
};

/* The RFC 6890 list as written in the brief, for the naive check. */
static const struct { uint32_t net; unsigned len; } special[] = {
	{ 0x00000000, 8 }, { 0x0a000000, 8 }, { 0x64400000, 10 },
	{ 0x7f000000, 8 }, { 0xa9fe0000, 16 }, { 0xac100000, 12 },
	{ 0xc0000000, 24 }, { 0xc0000200, 24 }, { 0xc0586300, 24 },
	{ 0xc0a80000, 16 }, { 0xc6120000, 15 }, { 0xc6336400, 24 },
	{ 0xcb007100, 24 }, { 0xe0000000, 4 }, { 0xf0000000, 4 },
};

static int
naive_special(uint32_t a)
{
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if ((a >> (32 - special[i].len)) == (special[i].net >> (32 - special[i].len)))
			return 1;
	return 0;
}

int
main(void)
{
	char what[96];
	unsigned bad = 0;
	uint32_t dst = ip4(DST);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = ds_hygiene(ip4(cases[i].src), ip4(cases[i].dst));

		snprintf(what, sizeof(what), "src %s dst %s: got %s want %s",
			 cases[i].src, cases[i].dst, ds_hygiene_name(got),
			 ds_hygiene_name(cases[i].want));
		CHECK(got == cases[i].want, what);
	}
	/* Every /24 (with host .1) against the naive list. */
	for (uint32_t n = 0; n < (1u << 24); n++) {
		uint32_t a = n << 8 | 1;
		unsigned want = naive_special(a) ? DS_HYG_SPECIAL : DS_HYG_OK;

		if (ds_hygiene(a, dst) != want && bad++ < 5)
			fprintf(stderr, "sweep: %08x\n", a);
	}
	CHECK(bad == 0, "sweep of every /24");
	CHECK(strcmp(ds_hygiene_name(DS_HYG_OK), "ok") == 0, "name ok");
	CHECK(strcmp(ds_hygiene_name(DS_HYG_SPECIAL), "special") == 0, "name special");
	CHECK(strcmp(ds_hygiene_name(DS_HYG_SRC_EQ_DST), "src_eq_dst") == 0, "name eq");
	CHECK(strcmp(ds_hygiene_name(DS_HYG_SRC_NET_BCAST), "src_net_bcast") == 0, "name bcast");
	CHECK(strcmp(ds_hygiene_name(DS_HYG__N), "invalid") == 0, "name range");
	return ds_test_done("test_hygiene");
}

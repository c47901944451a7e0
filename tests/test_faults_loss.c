/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Faults the report must never hide: packets the NIC or the PMD dropped
 * before darkscope saw them (rx_missed, rx_nombuf, rx_errors) are carried
 * into the capture object with loss = true and a loss note; and a report
 * that cannot be written leaves nothing visible under its name (only the
 * dot-prefixed temporary, removed on failure) and says why.  The overload
 * itself cannot be provoked deterministically with the pcap vdev (its
 * infinite_rx path drops silently when the pool is empty), so the counters
 * are injected here; see docs/robustness.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ds_conf.h"
#include "ds_report.h"
#include "ds_set.h"
#include "ds_test.h"

struct loss_case {
	const char *name;
	uint64_t missed, errors, nombuf, waits;
	int loss;
};

static const struct loss_case loss_cases[] = {
	{ "none", 0, 0, 0, 0, 0 },
	{ "missed", 7, 0, 0, 0, 1 },
	{ "nombuf", 0, 0, 5, 0, 1 },
	{ "errors", 0, 3, 0, 0, 1 },
	{ "all", 1000000, 2, 1, 4, 1 },
	/* a worker that waited for the manager: reported, not a loss by
	 * itself (a pcap vdev pauses; a NIC's misses show in rx_missed) */
	{ "waits only", 0, 0, 0, 3, 0 },
};

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
main(void)
{
	struct ds_conf *c = ds_conf_default();
	struct ds_set *s;
	char path[512], err[600];
	const char *dir;
	unsigned i;

	if (!CHECK(c != NULL, "default config"))
		return ds_test_done("test_faults_loss");
	c->sensors = calloc(1, sizeof(*c->sensors));
	c->n_sensors = 1;
	snprintf(c->sensors[0].name, sizeof(c->sensors[0].name), "A");
	snprintf(c->sensors[0].country, sizeof(c->sensors[0].country), "JP");
	c->sensors[0].n_prefixes = 1;
	c->sensors[0].prefixes[0].addr = 0x0b081000;
	c->sensors[0].prefixes[0].len = 21;
	c->sensors[0].addresses = 2048;
	c->formats = DS_FMT_JSON | DS_FMT_CSV;
	s = ds_set_create(c);
	if (!CHECK(s != NULL, "set"))
		return ds_test_done("test_faults_loss");

	for (i = 0; i < sizeof(loss_cases) / sizeof(loss_cases[0]); i++) {
		const struct loss_case *k = &loss_cases[i];
		struct ds_report_ctx x = { .conf = c, .start = 1388534400,
			.end = 1388534400 + 3600, .source = "live" };
		json_t *r, *cap;

		x.capture.rx_packets = 100;
		x.capture.rx_missed = k->missed;
		x.capture.rx_errors = k->errors;
		x.capture.rx_nombuf = k->nombuf;
		x.capture.worker_waits = k->waits;
		r = ds_report_build(s, &x);
		if (!CHECK(r != NULL, k->name))
			continue;
		cap = json_object_get(r, "capture");
		CHECK(json_integer_value(json_object_get(cap, "rx_missed")) == (json_int_t)k->missed, k->name);
		CHECK(json_integer_value(json_object_get(cap, "rx_nombuf")) == (json_int_t)k->nombuf, k->name);
		CHECK(json_integer_value(json_object_get(cap, "rx_errors")) == (json_int_t)k->errors, k->name);
		CHECK(json_integer_value(json_object_get(cap, "worker_waits")) == (json_int_t)k->waits, k->name);
		CHECK(json_is_true(json_object_get(cap, "loss")) == k->loss, k->name);
		CHECK((json_object_get(cap, "loss_note") != NULL) == k->loss, k->name);
		json_decref(r);
	}

	/* unwritable directory: error, nothing visible; then it works, with
	 * each file fsynced (live) and without (a batch run syncs at its end) */
	for (i = 0; i < 2; i++) {
		const unsigned flags = i ? DS_REPORT_NOSYNC : 0;
		const char *how = i ? "nosync" : "fsync";
		char tmpl[] = "/tmp/test_faults_loss.XXXXXX", blocker[300], out[320];
		struct ds_report_ctx x = { .conf = c, .start = 1388534400,
			.end = 1388534400 + 3600, .source = "live" };
		json_t *r;
		FILE *f;

		dir = mkdtemp(tmpl);
		if (!CHECK(dir != NULL, "mkdtemp"))
			continue;
		r = ds_report_build(s, &x);
		snprintf(blocker, sizeof(blocker), "%s/blocker", dir);
		snprintf(out, sizeof(out), "%s/out", blocker);
		f = fopen(blocker, "w");
		CHECK(f != NULL, "blocker file");
		if (f)
			fclose(f);
		err[0] = '\0';
		CHECK(ds_report_write(r, out, "20140101T000000Z", c->formats, flags, err, sizeof(err)) < 0,
		      how);
		CHECK(err[0] != '\0' && strstr(err, blocker) != NULL, err);
		unlink(blocker);
		CHECK(ds_report_write(r, out, "20140101T000000Z", c->formats, flags, err, sizeof(err)) == 0,
		      err);
		snprintf(path, sizeof(path), "%s/20140101T000000Z/report.json", out);
		CHECK(exists(path), how);
		snprintf(path, sizeof(path), "%s/.20140101T000000Z.tmp", out);
		CHECK(!exists(path), how);
		json_decref(r);
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		if (system(path) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	ds_set_free(s);
	ds_conf_free(c);
	return ds_test_done("test_faults_loss");
}

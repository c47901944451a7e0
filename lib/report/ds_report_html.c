/* SPDX-License-Identifier: BSD-3-Clause
 *
 * HTML rendering of a darkscope.report/1 document: one self-contained page
 * (inline CSS and SVG, no script, nothing fetched at view time) that draws
 * what the seed paper's figures and tables show: per-sensor packets and
 * unique sources per address (with and without the excluded ports), top
 * ports, source countries, sensor overlap, watched ports, fingerprint
 * families, tools, local attacks and top sources.  When the report carries
 * a "series" member (darkscope-report --series day|month) the time series
 * are drawn as line charts (Fig. 1-6).  Only the JSON is read, so the page
 * shows exactly what report.json says.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ds_report_int.h"

#define W 1180			/* chart width, px */
#define MAXS 64			/* series drawn per chart */

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
#define NPAL (sizeof(palette) / sizeof(palette[0]))

static void
esc(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static double
num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void
fmtnum(char *b, size_t n, double v)
{
	if (fabs(v) >= 1e9)
		snprintf(b, n, "%.2fG", v / 1e9);
	else if (fabs(v) >= 1e6)
		snprintf(b, n, "%.2fM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(b, n, "%.1fk", v / 1e3);
	else if (v == floor(v))
		snprintf(b, n, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(b, n, "%.1f", v);
	else
		snprintf(b, n, "%.3g", v);
}

/* A "nice" upper bound for an axis. */
static double
nice_max(double v)
{
	double p, m;

	if (v <= 0)
		return 1;
	p = pow(10, floor(log10(v)));
	m = v / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* Horizontal bars: labels[i], values[i]. */
static void
hbars(FILE *f, const char *title, const char **labels, const double *v, unsigned n,
      const char *color, int width)
{
	double max = 0;
	unsigned i;
	int h = 22 + 18 * (int)n + 6, lw = 150, bw = width - lw - 70;
	char b[32];

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	fprintf(f, "<svg width=\"%d\" height=\"%d\" class=\"chart\"><text x=\"4\" y=\"14\" class=\"t\">", width, h);
	esc(f, title);
	fputs("</text>", f);
	for (i = 0; i < n; i++) {
		int y = 22 + 18 * (int)i, w = max > 0 ? (int)(bw * v[i] / max + 0.5) : 0;

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6, y + 12);
		esc(f, labels[i]);
		fmtnum(b, sizeof(b), v[i]);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"%d\">%s</text>", lw, y + 1, w, color, lw + w + 4, y + 12, b);
	}
	fputs("</svg>\n", f);
}

/* Grouped vertical bars: groups (x) x series, v[g * ns + s]. */
static void
gbars(FILE *f, const char *title, const char **groups, unsigned ng,
      const char **series, unsigned ns, const double *v, int width)
{
	int h = 240, top = 30, bottom = 40, left = 60, ph = h - top - bottom;
	double max = 0, m;
	unsigned g, s;
	char b[32];
	int gw = ng ? (width - left - 10) / (int)ng : 1, bw = ns ? (gw - 12) / (int)ns : 1;

	for (g = 0; g < ng * ns; g++)
		if (v[g] > max)
			max = v[g];
	m = nice_max(max);
	fprintf(f, "<svg width=\"%d\" height=\"%d\" class=\"chart\"><text x=\"4\" y=\"14\" class=\"t\">", width, h);
	esc(f, title);
	fputs("</text>", f);
	for (s = 0; s <= 4; s++) {
		int y = top + ph - ph * (int)s / 4;

		fmtnum(b, sizeof(b), m * s / 4);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"grid\"/>"
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
			left, width - 10, y, y, left - 4, y + 4, b);
	}
	for (g = 0; g < ng; g++) {
		int x0 = left + gw * (int)g + 6;

		for (s = 0; s < ns; s++) {
			int bh = (int)(ph * v[g * ns + s] / m + 0.5);

			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>",
				x0 + bw * (int)s, top + ph - bh, bw > 2 ? bw - 1 : 1, bh, palette[s % NPAL]);
			esc(f, series[s]);
			fmtnum(b, sizeof(b), v[g * ns + s]);
			fprintf(f, ": %s</title></rect>", b);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x0 + gw / 2 - 6, top + ph + 16);
		esc(f, groups[g]);
		fputs("</text>", f);
	}
	for (s = 0; s < ns && ns > 1; s++) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
			left + 110 * (int)s, h - 12, palette[s % NPAL], left + 110 * (int)s + 14, h - 3);
		esc(f, series[s]);
		fputs("</text>", f);
	}
	fputs("</svg>\n", f);
}

/* Line chart: x labels (np points), series s: v[s * np + i]. */
static void
lines(FILE *f, const char *title, const char **xl, unsigned np, const char **names,
      unsigned ns, const double *v, int width)
{
	int h = 260, top = 30, bottom = 58, left = 64, right = 44, ph = h - top - bottom;
	int pw = width - left - right;
	double max = 0, m;
	unsigned i, s, step;
	char b[32];

	for (i = 0; i < np * ns; i++)
		if (v[i] > max)
			max = v[i];
	m = nice_max(max);
	fprintf(f, "<svg width=\"%d\" height=\"%d\" class=\"chart\"><text x=\"4\" y=\"14\" class=\"t\">", width, h);
	esc(f, title);
	fputs("</text>", f);
	for (i = 0; i <= 4; i++) {
		int y = top + ph - ph * (int)i / 4;

		fmtnum(b, sizeof(b), m * i / 4);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"grid\"/>"
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
			left, width - right, y, y, left - 4, y + 4, b);
	}
	step = np > 12 ? (np + 11) / 12 : 1;
	for (i = 0; i < np; i += step) {
		int x = left + (np > 1 ? pw * (int)i / (int)(np - 1) : pw / 2);

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x, top + ph + 16);
		esc(f, xl[i]);
		fputs("</text>", f);
	}
	for (s = 0; s < ns; s++) {
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", palette[s % NPAL]);
		for (i = 0; i < np; i++)
			fprintf(f, "%.1f,%.1f ", left + (np > 1 ? (double)pw * i / (np - 1) : pw / 2.0),
				top + ph - ph * v[s * np + i] / m);
		fputs("\"/>", f);
		if (np <= 40)
			for (i = 0; i < np; i++)
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
					left + (np > 1 ? (double)pw * i / (np - 1) : pw / 2.0),
					top + ph - ph * v[s * np + i] / m, palette[s % NPAL]);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
			left + 150 * (int)(s % 7), h - 28 + 14 * (int)(s / 7), palette[s % NPAL],
			left + 150 * (int)(s % 7) + 14, h - 19 + 14 * (int)(s / 7));
		esc(f, names[s]);
		fputs("</text>", f);
	}
	fputs("</svg>\n", f);
}

static void
sensor_table(FILE *f, json_t *sensors)
{
	size_t i;
	json_t *o;
	char b[8][32];

	fputs("<table><tr><th>sensor</th><th>country</th><th>addresses</th><th>SYN packets</th>"
	      "<th>unique sources</th><th>packets / address</th><th>sources / address</th>"
	      "<th>packets / addr (excl.)</th><th>sources / addr (excl.)</th><th>method</th></tr>\n", f);
	json_array_foreach(sensors, i, o) {
		json_t *ex = json_object_get(o, "excl");

		fmtnum(b[0], 32, num(o, "addresses"));
		fmtnum(b[1], 32, num(o, "syn_packets"));
		fmtnum(b[2], 32, num(o, "unique_sources"));
		fmtnum(b[3], 32, num(o, "packets_per_address"));
		fmtnum(b[4], 32, num(o, "sources_per_address"));
		fmtnum(b[5], 32, num(ex, "packets_per_address"));
		fmtnum(b[6], 32, num(ex, "sources_per_address"));
		fputs("<tr><td>", f);
		esc(f, str(o, "name"));
		fputs("</td><td>", f);
		esc(f, str(o, "country"));
		fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
			b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
		esc(f, str(o, "unique_sources_method"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* Horizontal bars of array arr (label key lk, value key vk), up to n. */
static void
arr_bars(FILE *f, const char *title, json_t *arr, const char *lk, const char *vk,
	 unsigned n, const char *color, int width)
{
	const char *labels[32];
	char lb[32][32];
	double v[32];
	unsigned k = 0;
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		json_t *l;

		if (k == n || k == 32)
			break;
		l = json_object_get(o, lk);
		if (json_is_string(l))
			snprintf(lb[k], 32, "%s", json_string_value(l));
		else
			snprintf(lb[k], 32, "%lld", (long long)json_integer_value(l));
		labels[k] = lb[k];
		v[k++] = num(o, vk);
	}
	if (k)
		hbars(f, title, labels, v, k, color, width);
}

static void
overview(FILE *f, json_t *r)
{
	json_t *sensors = json_object_get(r, "sensors"), *o;
	unsigned ns = (unsigned)json_array_size(sensors), i;
	const char *names[MAXS], *metrics[4] = { "all ports", "without excluded ports" };
	double v[MAXS * 2];
	char t[200];

	if (ns > MAXS)
		ns = MAXS;
	for (i = 0; i < ns; i++) {
		o = json_array_get(sensors, i);
		names[i] = str(o, "name");
		v[i * 2] = num(o, "packets_per_address");
		v[i * 2 + 1] = num(json_object_get(o, "excl"), "packets_per_address");
	}
	fputs("<div class=\"row\">", f);
	gbars(f, "SYN packets per address", names, ns, metrics, 2, v, 580);
	for (i = 0; i < ns; i++) {
		o = json_array_get(sensors, i);
		v[i * 2] = num(o, "sources_per_address");
		v[i * 2 + 1] = num(json_object_get(o, "excl"), "sources_per_address");
	}
	gbars(f, "unique sources per address", names, ns, metrics, 2, v, 580);
	fputs("</div>\n<h2>Top destination ports and source countries per sensor</h2>\n<div class=\"row\">", f);
	for (i = 0; i < ns; i++) {
		o = json_array_get(sensors, i);
		snprintf(t, sizeof(t), "%s (%s): top ports, packets", str(o, "name"), str(o, "country"));
		arr_bars(f, t, json_object_get(o, "top_ports"), "port", "packets", 10, palette[i % NPAL], 290);
	}
	fputs("</div><div class=\"row\">", f);
	for (i = 0; i < ns; i++) {
		o = json_array_get(sensors, i);
		snprintf(t, sizeof(t), "%s: source countries", str(o, "name"));
		arr_bars(f, t, json_object_get(o, "countries"), "country", "unique_sources", 10,
			 palette[i % NPAL], 290);
	}
	fputs("</div>\n", f);
}

/* Line chart of a series metric per sensor. */
static void
series_sensors(FILE *f, json_t *pts, const char *key, const char *title)
{
	unsigned np = (unsigned)json_array_size(pts), ns, i, s;
	const char *xl[512], *names[MAXS];
	static double v[MAXS * 512];
	char xb[512][12];
	json_t *first;

	if (np == 0)
		return;
	if (np > 512)
		np = 512;
	first = json_object_get(json_array_get(pts, 0), "sensors");
	ns = (unsigned)json_array_size(first);
	if (ns > MAXS)
		ns = MAXS;
	for (s = 0; s < ns; s++)
		names[s] = str(json_array_get(first, s), "name");
	for (i = 0; i < np; i++) {
		json_t *p = json_array_get(pts, i), *sa = json_object_get(p, "sensors");

		snprintf(xb[i], sizeof(xb[i]), "%.10s", str(p, "start"));
		xl[i] = xb[i];
		for (s = 0; s < ns; s++)
			v[s * np + i] = num(json_array_get(sa, s), key);
	}
	lines(f, title, xl, np, names, ns, v, W);
}

/* One chart per watched port: packets per sensor per bucket. */
static void
series_ports(FILE *f, json_t *pts)
{
	unsigned np = (unsigned)json_array_size(pts), i, s, k;
	json_t *last = json_array_get(pts, np ? np - 1 : 0);
	json_t *ports = json_object_get(last, "watched_ports"), *wp;
	static double v[MAXS * 512];
	const char *xl[512], *names[MAXS];
	char xb[512][12], t[100];
	size_t j;

	if (np > 512)
		np = 512;
	for (i = 0; i < np; i++) {
		snprintf(xb[i], sizeof(xb[i]), "%.10s", str(json_array_get(pts, i), "start"));
		xl[i] = xb[i];
	}
	json_array_foreach(ports, j, wp) {
		int port = (int)num(wp, "port");
		json_t *sa = json_object_get(wp, "sensors");
		unsigned ns = (unsigned)json_array_size(sa);

		if (ns > MAXS)
			ns = MAXS;
		for (s = 0; s < ns; s++)
			names[s] = str(json_array_get(sa, s), "name");
		memset(v, 0, sizeof(double) * ns * np);
		for (i = 0; i < np; i++) {
			json_t *pp = json_object_get(json_array_get(pts, i), "watched_ports"), *q;
			size_t m;

			json_array_foreach(pp, m, q)
				if ((int)num(q, "port") == port)
					for (k = 0; k < ns; k++)
						v[k * np + i] = num(json_array_get(json_object_get(q, "sensors"), k), "packets");
		}
		snprintf(t, sizeof(t), "watched port %d: packets per sensor", port);
		lines(f, t, xl, np, names, ns, v, W);
	}
}

/* Fingerprints: the 10 with most packets over the whole series. */
static void
series_fps(FILE *f, json_t *pts)
{
	unsigned np = (unsigned)json_array_size(pts), i, k, nk = 0;
	static char keys[10][64];
	static double v[10 * 512];
	double tot[10] = { 0 };
	const char *xl[512], *names[10];
	char xb[512][12];
	json_t *all = json_object();
	const char *key;
	json_t *val;

	if (np > 512)
		np = 512;
	for (i = 0; i < np; i++) {
		json_t *fa = json_object_get(json_array_get(pts, i), "fingerprints"), *o;
		size_t m;

		json_array_foreach(fa, m, o) {
			json_t *c = json_object_get(all, str(o, "key"));

			json_object_set_new(all, str(o, "key"),
					    json_real((c ? json_real_value(c) : 0) + num(o, "packets")));
		}
	}
	json_object_foreach(all, key, val) {
		double t = json_real_value(val);

		for (k = 0; k < nk && tot[k] >= t; k++)
			;
		if (k == 10)
			continue;
		if (nk < 10)
			nk++;
		memmove(&tot[k + 1], &tot[k], sizeof(double) * (nk - 1 - k));
		memmove(keys[k + 1], keys[k], 64 * (nk - 1 - k));
		tot[k] = t;
		snprintf(keys[k], 64, "%s", key);
	}
	json_decref(all);
	if (!nk || !np)
		return;
	memset(v, 0, sizeof(v));
	for (i = 0; i < np; i++) {
		json_t *p = json_array_get(pts, i), *fa = json_object_get(p, "fingerprints"), *o;
		size_t m;

		snprintf(xb[i], sizeof(xb[i]), "%.10s", str(p, "start"));
		xl[i] = xb[i];
		json_array_foreach(fa, m, o)
			for (k = 0; k < nk; k++)
				if (strcmp(keys[k], str(o, "key")) == 0)
					v[k * np + i] = num(o, "packets");
	}
	for (k = 0; k < nk; k++)
		names[k] = keys[k];
	lines(f, "fingerprints (ISN/sport/IP ID/window): packets", xl, np, names, nk, v, W);
}

static void
series_section(FILE *f, json_t *series)
{
	json_t *pts = json_object_get(series, "points");

	if (!json_array_size(pts))
		return;
	fprintf(f, "<h2>Time series (per %s)</h2>\n", str(series, "bucket"));
	series_sensors(f, pts, "packets_per_address", "SYN packets per address (Fig. 1)");
	series_sensors(f, pts, "sources_per_address", "unique sources per address (Fig. 2)");
	series_sensors(f, pts, "excl_packets_per_address", "SYN packets per address, excluded ports removed (Fig. 4)");
	series_sensors(f, pts, "excl_sources_per_address", "unique sources per address, excluded ports removed (Fig. 5)");
	series_ports(f, pts);
	series_fps(f, pts);
}

static void
overlap_tables(FILE *f, json_t *r)
{
	json_t *ov = json_object_get(r, "sensor_overlap"), *h = json_object_get(ov, "sensors_per_source");
	json_t *wps = json_object_get(r, "watched_ports"), *o, *v;
	const char *k;
	size_t i, j;
	char b[32];

	fputs("<h2>Sensor overlap</h2><table><tr><th>population</th><th>mode</th>", f);
	json_object_foreach(h, k, v)
		fprintf(f, "<th>seen at %s</th>", k);
	fputs("</tr>\n<tr><td>all scan sources</td><td>", f);
	esc(f, str(ov, "mode"));
	fputs("</td>", f);
	json_object_foreach(h, k, v) {
		fmtnum(b, sizeof(b), json_number_value(v));
		fprintf(f, "<td>%s</td>", b);
	}
	fputs("</tr>\n", f);
	json_array_foreach(wps, i, o) {
		fprintf(f, "<tr><td>port %d%s</td><td>", (int)num(o, "port"),
			json_is_true(json_object_get(o, "surge")) ? " (surge)" : "");
		esc(f, str(o, "mode"));
		fputs("</td>", f);
		json_object_foreach(json_object_get(o, "sensors_per_source"), k, v) {
			fmtnum(b, sizeof(b), json_number_value(v));
			fprintf(f, "<td>%s</td>", b);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	if (json_array_size(wps)) {
		fputs("<h2>Watched ports</h2><div class=\"row\">", f);
		json_array_foreach(wps, i, o) {
			json_t *ps = json_object_get(o, "per_sensor"), *q;
			const char *labels[MAXS];
			double pv[MAXS];
			unsigned n = 0;
			char t[80];

			json_array_foreach(ps, j, q) {
				if (n == MAXS)
					break;
				labels[n] = str(q, "sensor");
				pv[n++] = num(q, "unique_sources");
			}
			snprintf(t, sizeof(t), "port %d: unique sources per sensor", (int)num(o, "port"));
			if (n)
				hbars(f, t, labels, pv, n, palette[i % NPAL], 390);
		}
		fputs("</div>\n", f);
	}
}

/* Columns that are identifiers, printed in full (a sequence number is
 * not "1.61G"). */
static int
is_id(const char *col)
{
	static const char *const ids[] = { "seq", "sport", "ipid", "window", "port", NULL };
	unsigned i;

	for (i = 0; ids[i]; i++)
		if (strcmp(col, ids[i]) == 0)
			return 1;
	return 0;
}

static void
generic_table(FILE *f, const char *title, json_t *arr, const char *const *cols, unsigned nc,
	      unsigned max)
{
	size_t i;
	unsigned c;
	json_t *o;
	char b[40];

	if (!json_array_size(arr))
		return;
	fprintf(f, "<h2>%s</h2><table><tr>", title);
	for (c = 0; c < nc; c++)
		fprintf(f, "<th>%s</th>", cols[c]);
	fputs("</tr>\n", f);
	json_array_foreach(arr, i, o) {
		if (i >= max)
			break;
		fputs("<tr>", f);
		for (c = 0; c < nc; c++) {
			json_t *v = json_object_get(o, cols[c]);

			fputs("<td>", f);
			if (json_is_string(v))
				esc(f, json_string_value(v));
			else if (json_is_integer(v) && is_id(cols[c])) {
				fprintf(f, "%lld", (long long)json_integer_value(v));
			} else if (json_is_number(v)) {
				fmtnum(b, sizeof(b), json_number_value(v));
				fputs(b, f);
			} else if (json_is_true(v))
				fputs("yes", f);
			else if (json_is_array(v)) {
				size_t j;
				json_t *e;

				json_array_foreach(v, j, e) {
					if (j)
						fputs(", ", f);
					if (json_is_string(e))
						esc(f, json_string_value(e));
				}
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void
families(FILE *f, json_t *r)
{
	static const char *const fam[] = { "sport", "ipid", "window", "packets", "members_count" };
	static const char *const mem[] = { "seq", "isn_as_address", "dominant_sensor", "dominant_share",
					   "packets", "unique_sources" };
	json_t *fa = json_object_get(r, "families"), *o;
	size_t i;

	generic_table(f, "Fingerprint families (fixed-header botnets)", fa, fam, 5, 20);
	json_array_foreach(fa, i, o) {
		char t[120];

		if (i >= 4)
			break;
		snprintf(t, sizeof(t), "Family sport %d / IP ID %d / window %d: members",
			 (int)num(o, "sport"), (int)num(o, "ipid"), (int)num(o, "window"));
		generic_table(f, t, json_object_get(o, "members"), mem, 6, 16);
	}
}

static void
tools_chart(FILE *f, json_t *r)
{
	json_t *t = json_object_get(r, "tools"), *o;
	const char *groups[8], *names[MAXS];
	double v[8 * MAXS];
	unsigned ng = 0, ns = 0, s;
	size_t i;

	json_array_foreach(t, i, o) {
		json_t *ps = json_object_get(o, "per_sensor");

		if (ng == 8)
			break;
		groups[ng] = str(o, "tool");
		ns = (unsigned)json_array_size(ps);
		if (ns > MAXS)
			ns = MAXS;
		for (s = 0; s < ns; s++) {
			names[s] = str(json_array_get(ps, s), "sensor");
			v[ng * ns + s] = num(json_array_get(ps, s), "unique_sources");
		}
		ng++;
	}
	if (ng && ns)
		gbars(f, "scanning tools: unique sources per sensor", groups, ng, names, ns, v, 580);
}

int
ds_report_write_html(json_t *report, const char *path)
{
	static const char *const la[] = { "kind", "key", "sensor", "sources", "sources_only_here",
					  "share_only_here", "rate_here", "max_rate_elsewhere" };
	static const char *const ts[] = { "sensor", "source", "country", "packets", "tools",
					  "first_seen", "last_seen" };
	json_t *r = report, *win;
	FILE *f;
	int rc = 0;

	if (json_is_array(report))
		r = json_array_get(report, json_array_size(report) ? json_array_size(report) - 1 : 0);
	if (!json_is_object(r))
		return -EINVAL;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	win = json_object_get(r, "window");
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>darkscope report</title><style>\n"
	      "body{font:13px/1.4 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:18px 24px;color:#222;max-width:1200px}\n"
	      "h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px;border-bottom:1px solid #ccc}\n"
	      "table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}\n"
	      "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\n"
	      ".chart{margin:4px 8px 4px 0;background:#fcfcfc;border:1px solid #eee}.chart text{font-size:11px;fill:#333}\n"
	      ".chart .t{font-size:12px;font-weight:600}.grid{stroke:#e4e4e4}.row{display:flex;flex-wrap:wrap}\n"
	      ".meta{color:#666}\n</style></head><body>\n<h1>darkscope report</h1><div class=\"meta\">window ", f);
	esc(f, str(win, "start"));
	fputs(" &ndash; ", f);
	esc(f, str(win, "end"));
	fputs(" &middot; source ", f);
	esc(f, str(r, "source"));
	fputs(" &middot; schema ", f);
	esc(f, str(r, "schema"));
	fputs("</div>\n<h2>Sensors</h2>\n", f);
	sensor_table(f, json_object_get(r, "sensors"));
	overview(f, r);
	if (json_object_get(r, "series"))
		series_section(f, json_object_get(r, "series"));
	overlap_tables(f, r);
	families(f, r);
	fputs("<h2>Tools</h2>", f);
	tools_chart(f, r);
	generic_table(f, "Local attacks (seen mostly at one sensor)", json_object_get(r, "local_attacks"),
		      la, 8, 30);
	generic_table(f, "Top sources", json_object_get(r, "top_sources"), ts, 7, 20);
	fputs("<p class=\"meta\">Generated by darkscope from report.json; self-contained (inline SVG).</p>\n"
	      "</body></html>\n", f);
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	return rc;
}

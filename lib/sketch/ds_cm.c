/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_cm: count-min sketch (G. Cormode and S. Muthukrishnan, "An improved
 * data stream summary: the count-min sketch and its applications",
 * J. Algorithms 55(1), 2005).
 *
 * depth rows of width = 2^width_log2 32-bit counters, stored as one
 * 64-byte-aligned block.  Instead of depth pairwise-independent hash
 * functions, row i takes bits [i*w, (i+1)*w) of the key's single 64-bit
 * hash (w = width_log2), so a packet is hashed once per key; with a good
 * 64-bit hash these slices are independent enough for the usual bound:
 * every estimate is >= the true count and, with probability at least
 * 1 - e^-depth, at most true + e * N / width, N the total count.
 * Add, query and prefetch are inline in ds_cm.h.
 *
 * Merge is element-wise addition, so per-core sketches merged equal the
 * sketch of the union bit for bit (modulo 32-bit wrap, which the caller
 * avoids by sizing epochs).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ds_cm.h"
#include "ds_mem.h"

static inline size_t
ds_cm_nbytes(const struct ds_cm *cm)
{
	return (size_t)cm->depth * ((size_t)cm->mask + 1) * sizeof(uint32_t);
}

/* Allocate a zeroed sketch.  NULL with errno EINVAL (depth 0 or >
 * DS_CM_MAX_DEPTH, width_log2 outside 4..24, depth * width_log2 > 64) or
 * ENOMEM.  Free with ds_cm_free(). */
struct ds_cm *
ds_cm_create(unsigned width_log2, unsigned depth)
{
	struct ds_cm *cm;
	size_t bytes;

	if (depth == 0 || depth > DS_CM_MAX_DEPTH || width_log2 < 4 ||
	    width_log2 > 24 || depth * width_log2 > 64) {
		errno = EINVAL;
		return NULL;
	}
	cm = aligned_alloc(64, 64);
	if (cm == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(cm, 0, sizeof(*cm));
	cm->width_log2 = width_log2;
	cm->depth = depth;
	cm->mask = (1u << width_log2) - 1;
	bytes = ds_cm_nbytes(cm);	/* multiple of 64: width >= 16 */
	cm->rows = aligned_alloc(64, bytes);
	if (cm->rows == NULL) {
		free(cm);
		errno = ENOMEM;
		return NULL;
	}
	memset(cm->rows, 0, bytes);
	return cm;
}

int
ds_cm_init(struct ds_cm *cm, unsigned width_log2, unsigned depth, uint32_t *rows)
{
	if (cm == NULL || rows == NULL || depth == 0 || depth > DS_CM_MAX_DEPTH ||
	    width_log2 < 4 || width_log2 > 24 || depth * width_log2 > 64)
		return -EINVAL;
	memset(cm, 0, sizeof(*cm));
	cm->width_log2 = width_log2;
	cm->depth = depth;
	cm->mask = (1u << width_log2) - 1;
	cm->rows = rows;
	return 0;
}

/* Free the sketch and its counters; NULL is a no-op. */
void
ds_cm_free(struct ds_cm *cm)
{
	if (cm == NULL)
		return;
	free(cm->rows);
	free(cm);
}

/* dst += src counter by counter (and total).  0, or -EINVAL when a pointer
 * is NULL or the shapes (width, depth) differ. */
int
ds_cm_merge(struct ds_cm *dst, const struct ds_cm *src)
{
	size_t i, n;

	if (dst == NULL || src == NULL || dst->width_log2 != src->width_log2 ||
	    dst->depth != src->depth)
		return -EINVAL;
	n = (size_t)dst->depth * ((size_t)dst->mask + 1);
	for (i = 0; i < n; i++)
		dst->rows[i] += src->rows[i];
	dst->total += src->total;
	return 0;
}

/* Zero every counter and the total. */
void
ds_cm_clear(struct ds_cm *cm)
{
	ds_mem_zero(cm->rows, ds_cm_nbytes(cm));
	cm->total = 0;
}

/* N: the sum of all counts added (and merged) since the last clear. */
uint64_t
ds_cm_total(const struct ds_cm *cm)
{
	return cm->total;
}

/* e * N / width: with probability ds_cm_confidence() no estimate exceeds
 * the true count by more than this. */
double
ds_cm_error_bound(const struct ds_cm *cm)
{
	return M_E * (double)cm->total / (double)(cm->mask + 1);
}

/* 1 - e^-depth, the probability that one estimate is within the bound. */
double
ds_cm_confidence(const struct ds_cm *cm)
{
	return 1.0 - exp(-(double)cm->depth);
}

/* Counters per row (2^width_log2). */
unsigned
ds_cm_width(const struct ds_cm *cm)
{
	return cm->mask + 1;
}

/* Number of rows. */
unsigned
ds_cm_depth(const struct ds_cm *cm)
{
	return cm->depth;
}

/* Memory held by the sketch: struct + counters. */
uint64_t
ds_cm_bytes(const struct ds_cm *cm)
{
	return 64 + ds_cm_nbytes(cm);
}

/* The depth * width counters, row 0 first; owned by the sketch, valid
 * until ds_cm_free(). */
uint32_t *
ds_cm_counters(struct ds_cm *cm)
{
	return cm->rows;
}

static uint64_t port_hash[DS_CM_PORTS];
static pthread_once_t port_hash_once = PTHREAD_ONCE_INIT;

/*
 * The ports by first-row counter, per width up to 2^16 (built once per
 * process and width, then read-only): the ports of row-0 counter b are
 * port_csr[w]->port[start[b] .. start[b + 1]).  An all-ports query
 * then skips every port behind a zero first-row counter, and the top-n
 * query every port behind one that cannot beat the n-th best, with one
 * read per counter instead of one per port.  (Wider sketches have about a
 * port per counter: they use the plain loop.)
 */
#define CSR_MAX_LOG2 16
struct port_csr {
	uint32_t *start;	/* width + 1 */
	uint16_t port[DS_CM_PORTS];
};
static struct port_csr *port_csr[CSR_MAX_LOG2 + 1];
static pthread_mutex_t port_csr_lock = PTHREAD_MUTEX_INITIALIZER;

static void
port_hash_init(void)
{
	for (unsigned p = 0; p < DS_CM_PORTS; p++)
		port_hash[p] = ds_cm_port_hash((uint16_t)p);
}

/* The bucket index for cm's width, or NULL (too wide, or no memory: the
 * callers then take the plain loop). */
static const struct port_csr *
port_csr_get(const struct ds_cm *cm)
{
	unsigned w = cm->width_log2;
	struct port_csr *c;
	uint32_t b, p;

	if (w > CSR_MAX_LOG2)
		return NULL;
	c = __atomic_load_n(&port_csr[w], __ATOMIC_ACQUIRE);
	if (c)
		return c;
	pthread_mutex_lock(&port_csr_lock);
	c = port_csr[w];
	if (!c && (c = malloc(sizeof(*c))) != NULL) {
		c->start = calloc(((size_t)1 << w) + 1, sizeof(*c->start));
		if (!c->start) {
			free(c);
			c = NULL;
		} else {
			for (p = 0; p < DS_CM_PORTS; p++)	/* counting sort */
				c->start[(port_hash[p] & cm->mask) + 1]++;
			for (b = 0; b < cm->mask + 1; b++)
				c->start[b + 1] += c->start[b];
			for (p = 0; p < DS_CM_PORTS; p++) {
				uint32_t *at = &c->start[port_hash[p] & cm->mask];

				c->port[(*at)++] = (uint16_t)p;	/* start[b] moves to its end */
			}
			for (b = cm->mask + 1; b > 0; b--)	/* shift back */
				c->start[b] = c->start[b - 1];
			c->start[0] = 0;
			__atomic_store_n(&port_csr[w], c, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&port_csr_lock);
	return c;
}

/* The minimum over rows 1.. of port p's counters, starting from v. */
static inline uint32_t
port_min(const struct ds_cm *cm, uint64_t h, uint32_t v)
{
	const uint32_t *row = cm->rows;
	unsigned i;

	for (i = 1; i < cm->depth; i++) {
		uint32_t x;

		row += (size_t)cm->mask + 1;
		h >>= cm->width_log2;
		x = row[h & cm->mask];
		v = x < v ? x : v;
	}
	return v;
}

void
ds_cm_port_counts(const struct ds_cm *cm, uint32_t *out)
{
	const uint32_t *row0 = cm->rows;
	uint32_t mask = cm->mask, used = 0, b;
	const struct port_csr *csr;
	unsigned p;

	if (cm->total == 0) {
		memset(out, 0, DS_CM_PORTS * sizeof(*out));
		return;
	}
	pthread_once(&port_hash_once, port_hash_init);
	if ((csr = port_csr_get(cm)) != NULL) {
		memset(out, 0, DS_CM_PORTS * sizeof(*out));
		for (b = 0; b <= mask; b++) {
			uint32_t v = row0[b], k;

			if (v)
				for (k = csr->start[b]; k < csr->start[b + 1]; k++)
					out[csr->port[k]] = port_min(cm, port_hash[csr->port[k]], v);
		}
		return;
	}
	for (b = 0; b <= mask; b++)
		used += row0[b] != 0;
	/* One pass over the ports.  Where few first-row counters are set
	 * (most ports 0), the other rows are read only behind a set one;
	 * otherwise always, as a branch on a coin flip costs more. */
	if (used * 8 <= mask + 1) {
		for (p = 0; p < DS_CM_PORTS; p++) {
			uint64_t h = port_hash[p];
			uint32_t v = row0[h & mask];

			out[p] = v ? port_min(cm, h, v) : 0;
		}
	} else {
		for (p = 0; p < DS_CM_PORTS; p++) {
			uint64_t h = port_hash[p];

			out[p] = port_min(cm, h, row0[h & mask]);
		}
	}
}

/* Offer (port, v) to the n-best list (have entries, count descending,
 * ties by port ascending); returns the new length. */
static inline unsigned
top_put(uint16_t *ports, uint32_t *counts, unsigned n, unsigned have, uint16_t port,
	uint32_t v)
{
	unsigned i;

	if (!v || (have == n && (v < counts[n - 1] ||
				 (v == counts[n - 1] && port > ports[n - 1]))))
		return have;
	/* insertion into a short sorted array: n is small */
	i = have < n ? have++ : n - 1;
	while (i > 0 && (counts[i - 1] < v || (counts[i - 1] == v && ports[i - 1] > port))) {
		counts[i] = counts[i - 1];
		ports[i] = ports[i - 1];
		i--;
	}
	counts[i] = v;
	ports[i] = port;
	return have;
}

void
ds_cm_port_counts_add(const struct ds_cm *cm, uint64_t *acc)
{
	const uint32_t *row0 = cm->rows;
	const struct port_csr *csr;
	uint32_t b, k;
	unsigned p;

	if (cm->total == 0)
		return;
	pthread_once(&port_hash_once, port_hash_init);
	if ((csr = port_csr_get(cm)) == NULL) {
		for (p = 0; p < DS_CM_PORTS; p++) {
			uint32_t v = row0[port_hash[p] & cm->mask];

			if (v)
				acc[p] += port_min(cm, port_hash[p], v);
		}
		return;
	}
	for (b = 0; b <= cm->mask; b++)
		if (row0[b])
			for (k = csr->start[b]; k < csr->start[b + 1]; k++)
				acc[csr->port[k]] += port_min(cm, port_hash[csr->port[k]], row0[b]);
}

/* Restore the max-heap order of h[0..n) below i. */
static void
heap_down(uint64_t *h, size_t n, size_t i)
{
	uint64_t x = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] > h[c])
			c++;
		if (h[c] <= x)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

/* Heap entries kept on the stack (8 KiB). */
#define HEAP_ON_STACK 1024

/*
 * The top-n query through the bucket index, buckets taken by descending
 * first-row counter from a heap: that counter bounds the estimates of all
 * the bucket's ports, so the first bucket whose bound is below the n-th
 * best so far ends the query.  A day's sketch has some hundreds of set
 * counters, and the top 10 are found after a few dozen of them.  The list
 * is the same in any bucket order (top_put ranks by count, then port).
 * The heap lives on the stack up to HEAP_ON_STACK set counters: a report
 * asks for the top ports of every sensor between thousands of small
 * allocations and frees of JSON values, and a malloc() of a whole row
 * made glibc consolidate all of those freed chunks first (1 % of a daily
 * offline run).  -1 without memory for a larger heap.
 */
static int
port_top_heap(const struct ds_cm *cm, const struct port_csr *csr, unsigned n, uint16_t *ports,
	      uint32_t *counts)
{
	const uint32_t *row0 = cm->rows;
	uint64_t on_stack[HEAP_ON_STACK], *heap = on_stack;
	size_t m = 0, i;
	unsigned have = 0;
	uint32_t g, b, k;

	/* most counters are 0: tested 8 at a time (a width is a power of
	 * two >= 16), which halved the cost of the query */
	for (g = 0; g <= cm->mask; g += 8) {
		if (ds_mem_is_zero(&row0[g], 8 * sizeof(*row0)))
			continue;
		for (b = g; b < g + 8; b++) {
			if (!row0[b])
				continue;
			if (m == HEAP_ON_STACK && heap == on_stack) {
				heap = malloc(((size_t)cm->mask + 1) * sizeof(*heap));
				if (!heap)
					return -1;
				memcpy(heap, on_stack, sizeof(on_stack));
			}
			heap[m++] = (uint64_t)row0[b] << 32 | b;
		}
	}
	for (i = m / 2; i-- > 0;)
		heap_down(heap, m, i);
	while (m) {
		uint32_t v = (uint32_t)(heap[0] >> 32);

		if (have == n && v < counts[n - 1])
			break;	/* an equal bound may still enter: ties go to lower ports */
		b = (uint32_t)heap[0];
		for (k = csr->start[b]; k < csr->start[b + 1]; k++) {
			uint16_t port = csr->port[k];

			have = top_put(ports, counts, n, have, port, port_min(cm, port_hash[port], v));
		}
		heap[0] = heap[--m];
		heap_down(heap, m, 0);
	}
	if (heap != on_stack)
		free(heap);
	return (int)have;
}

unsigned
ds_cm_port_top(const struct ds_cm *cm, unsigned n, uint16_t *ports, uint32_t *counts)
{
	const uint32_t *row0 = cm->rows;
	const struct port_csr *csr;
	unsigned have = 0, p;
	int got;

	if (n > 1000)
		n = 1000;
	if (cm->total == 0 || n == 0)
		return 0;
	pthread_once(&port_hash_once, port_hash_init);
	if ((csr = port_csr_get(cm)) != NULL && (got = port_top_heap(cm, csr, n, ports, counts)) >= 0)
		return (unsigned)got;
	/* wide sketches (about a port per counter), or no memory for the heap */
	for (p = 0; p < DS_CM_PORTS; p++) {
		uint64_t h = port_hash[p];
		uint32_t v = row0[h & cm->mask];

		if (v && !(have == n && v < counts[n - 1]))
			have = top_put(ports, counts, n, have, (uint16_t)p, port_min(cm, h, v));
	}
	return have;
}

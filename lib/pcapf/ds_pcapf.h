/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_pcapf: a fast reader for the one capture format darkscope's offline
 * runs meet most: classic pcap (version 2.4, either byte order,
 * microsecond or nanosecond time stamps) of Ethernet frames.  The file is
 * read in 256 KiB chunks into one buffer, and each record is handed out
 * where it lies in it: no fread() and no copy per header and per frame
 * (libpcap makes two of each).  libpcap does that work for every other
 * input (pcapng, older pcap versions, other link types, pipes), and this
 * reader declines those at open so the caller can give them to it.
 *
 * Records are read as libpcap 1.10 reads them, so a file gives the same
 * frames, lengths and time stamps either way (tests/test_pcapf.c checks
 * this against libpcap on a table of good and damaged files): a capture
 * length above the file's snapshot length is cut to it; one above 262,144
 * bytes, or a record cut off by the end of the file, ends the file with an
 * error.  A file that shrinks while it is read just ends sooner (a mapping
 * would raise SIGBUS there: a log rotation with copytruncate does that).
 */
#ifndef DS_PCAPF_H
#define DS_PCAPF_H

#include <stddef.h>
#include <stdint.h>

struct ds_pcapf;

/* Open the regular file at path.  NULL with errno EPROTONOSUPPORT when it
 * is not a file this reader takes (see above), else the errno of the
 * failing call. */
struct ds_pcapf *ds_pcapf_open(const char *path);

/* The same over len bytes at buf, which must outlive the reader (tests,
 * fuzzing). */
struct ds_pcapf *ds_pcapf_open_mem(const void *buf, size_t len);

/* The next record: 1 with *data, *caplen and *ts_ns (nanoseconds since the
 * epoch) set; 0 at the end of the file; -1 on a damaged record or a read
 * error (ds_pcapf_error() says which), after which the file has ended.
 * *data stays valid until the next call on f. */
int ds_pcapf_next(struct ds_pcapf *f, const uint8_t **data, uint32_t *caplen,
		  uint64_t *ts_ns);

/* What ended the file with -1 ("" before that). */
const char *ds_pcapf_error(const struct ds_pcapf *f);

/* Close and free; NULL is a no-op. */
void ds_pcapf_close(struct ds_pcapf *f);

#endif

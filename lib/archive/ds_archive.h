/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_archive: one period's merged sketch set as a snapshot file, so that
 * periods can be merged later into any window and appliances of several
 * sites can be merged into one report (docs/archive-format.md,
 * docs/multi-site.md).  A file is a 64-byte header (magic, version, window)
 * and nine sections (parameters, sensors, watched ports, counters,
 * count-min, HLL, bottom-K, top-k, fingerprints), each with its length and
 * CRC32C (ISA-L crc32_iscsi).  Files are written to a temporary name,
 * fsynced and renamed, so a reader sees whole files only.
 *
 * Reading is a pure function of the bytes: every length, count and index
 * is validated before use and sketch sizes are bounded, so a corrupt or
 * hostile file gives an error, never a crash (tests/test_archive.c, and a
 * fuzzer over ds_archive_decode()).
 */
#ifndef DS_ARCHIVE_H
#define DS_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "ds_conf.h"
#include "ds_set.h"

#define DS_ARCHIVE_MAGIC "DSARCHV1"
#define DS_ARCHIVE_VERSION 1
#define DS_ARCHIVE_SUFFIX ".dsa"
#define DS_ARCHIVE_DROP 0xffffu	/* sensor map: leave this sensor out */

/* Encode set s (window [start, end), seconds) into a new malloc()ed buffer
 * *out of *outlen bytes; site ("" or NULL = none) is stored with it.
 * 0 or -ENOMEM.  s is not changed. */
int ds_archive_encode(const struct ds_set *s, int64_t start, int64_t end,
		      const char *site, uint8_t **out, size_t *outlen);

/* Decode an archive held in buf.  With conf == NULL a configuration is
 * built from the archive (ds_conf_default() plus the stored sensors and
 * sketch parameters) and owned by the set: free it with ds_archive_free().
 * With a conf, its sensors and sketch parameters must equal the archive's;
 * free the set with ds_set_free().  start/end/site (site: DS_CONF_NAME_LEN
 * bytes) may be NULL.  NULL with a message in err on any error. */
struct ds_set *ds_archive_decode(const void *buf, size_t len,
				 const struct ds_conf *conf, int64_t *start,
				 int64_t *end, char *site, char *err, size_t errlen);

/* ds_archive_write() flags */
#define DS_ARCHIVE_NOSYNC 1u	/* no fsync: the caller syncs a batch at its end */

/* Write s as dir/<start>-<end>.dsa (UTC stamps, e.g.
 * 20140401T000000Z-20140402T000000Z.dsa) through a temporary file that is
 * fsynced (unless flags has DS_ARCHIVE_NOSYNC) and renamed; the site name
 * is s->conf->site.  0 or -errno with a message in err. */
int ds_archive_write(const struct ds_set *s, int64_t start, int64_t end,
		     const char *dir, unsigned flags, char *err, size_t errlen);

/* Read the archive at path (ds_archive_decode() of its bytes).  Messages
 * in err begin with the path. */
struct ds_set *ds_archive_read(const char *path, const struct ds_conf *conf,
			       int64_t *start, int64_t *end, char *err, size_t errlen);
/* Same, also returning the stored site name (DS_CONF_NAME_LEN bytes). */
struct ds_set *ds_archive_read_site(const char *path, const struct ds_conf *conf,
				    int64_t *start, int64_t *end, char *site,
				    char *err, size_t errlen);

/* Like ds_archive_read(path, NULL, ...) but decodes into *reuse (a set
 * from an earlier call, or NULL) when the file has the same sensors and
 * sketch shape, saving the allocation; otherwise *reuse is freed and
 * replaced.  Free the last one with ds_archive_free().  0, or -EINVAL
 * with a message in err (*reuse is then kept, its content unspecified). */
int ds_archive_read_reuse(const char *path, struct ds_set **reuse, int64_t *start,
			  int64_t *end, char *err, size_t errlen);

/* Validate the file at path (header, every section's CRC, parameters,
 * sensors) and return the configuration it was written with, without
 * allocating the sketches: cheap enough to scan many files.  Free with
 * ds_conf_free().  NULL with a message (beginning with path) in err. */
struct ds_conf *ds_archive_peek(const char *path, int64_t *start, int64_t *end,
				char *site, char *err, size_t errlen);

/* Free a set returned with its own configuration (conf == NULL above). */
void ds_archive_free(struct ds_set *s);

/* dst += src where src's sensor i is dst's sensor map[i] (map NULL: the
 * identity; then the sensor counts must agree; DS_ARCHIVE_DROP: leave
 * sensor i out, its packets stay in the global class counters and in
 * fingerprint tuple totals).  Watched ports are matched
 * by port number (missing ones are added to dst).  Sketch parameters must
 * agree.  0 or -EINVAL (-ENOSPC: too many watched ports). */
int ds_archive_merge(struct ds_set *dst, const struct ds_set *src, const uint16_t *map);

/* 0 when the sketch parameters of a and b agree (sets can merge), else
 * -EINVAL with the first difference named in err. */
int ds_archive_compatible(const struct ds_conf *a, const struct ds_conf *b,
			  char *err, size_t errlen);

/* Roll-up: per-period files in dir whose window ended more than keep_days
 * days before now are merged into one file per UTC day
 * (<day>-<day+1>.dsa) and removed.  keep_days 0 does nothing.  Returns
 * the number of daily files written, or -errno with a message in err. */
int ds_archive_rollup(const char *dir, unsigned keep_days, int64_t now,
		      char *err, size_t errlen);

/* Parse an archive file name "<start>-<end>.dsa".  0 or -EINVAL. */
int ds_archive_parse_name(const char *name, int64_t *start, int64_t *end);

#endif

/* SPDX-License-Identifier: BSD-3-Clause
 *
 * File-system helpers; see ds_fs.h.
 */
#define _GNU_SOURCE	/* syncfs */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds_fs.h"

int
ds_fs_mkdirs(const char *dir)
{
	char p[4096], *s;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Open path read-only, call fn on it, close.  0 or -errno. */
static int
on_path(const char *path, int (*fn)(int))
{
	int fd = open(path, O_RDONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (fn(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
ds_fs_fsync(const char *path)
{
	return on_path(path, fsync);
}

int
ds_fs_syncfs(const char *path)
{
	return on_path(path, syncfs);
}

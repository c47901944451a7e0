/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_fs: the file-system steps every durable writer here needs (reports,
 * archives): create a directory with its parents, fsync a file or
 * directory by path, and sync a whole file system at the end of a batch.
 */
#ifndef DS_FS_H
#define DS_FS_H

/* mkdir -p dir (mode 0755).  0 or -errno. */
int ds_fs_mkdirs(const char *dir);

/* fsync the file or directory at path.  0 or -errno. */
int ds_fs_fsync(const char *path);

/* syncfs(2) the file system holding path: everything written to it so
 * far reaches the disk.  0 or -errno. */
int ds_fs_syncfs(const char *path);

#endif

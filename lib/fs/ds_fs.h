/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ds_fs: the two file-system steps every durable writer here needs
 * (reports, archives): create a directory with its parents, and fsync a
 * file or directory by path.
 */
#ifndef DS_FS_H
#define DS_FS_H

/* mkdir -p dir (mode 0755).  0 or -errno. */
int ds_fs_mkdirs(const char *dir);

/* fsync the file or directory at path.  0 or -errno. */
int ds_fs_fsync(const char *path);

#endif

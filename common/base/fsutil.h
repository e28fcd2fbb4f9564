/*
 * fsutil.h: careful file access. Secret files (private keys, the database)
 * must be regular files, not symlinks, owned by the effective user and
 * unreadable by group and others; new files are written whole or not at all.
 */
#ifndef MASA_FSUTIL_H
#define MASA_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "attr.h"
#include "bytes.h"
#include "diag.h"
#include "err.h"

/* Checks an existing secret file without opening it: MASA_E_NOT_FOUND,
 * MASA_E_FILE_PERM (symlink, not regular, other owner, group/world bits). */
MASA_NODISCARD enum masa_err masa_file_check_private(const char *path, struct masa_diag *diag);

/* Checks that nobody but root and the user running masa can change what
 * path names (sshd's StrictModes): path, if it exists, and every directory
 * above it must be owned by root or the effective user and not writable by
 * group or others (a root-owned sticky directory such as /tmp is allowed:
 * nobody else can replace what is in it). MASA_E_FILE_PERM, with diag. */
MASA_NODISCARD enum masa_err masa_path_check_guarded(const char *path, struct masa_diag *diag);

/* Reads a whole file of at most max bytes into out (initialised here).
 * With private set, the same rules as masa_file_check_private apply to the
 * opened descriptor (no window between check and read). out is written
 * only on success. */
MASA_NODISCARD enum masa_err masa_file_read(const char *path, int private, size_t max,
    struct masa_buf *out, struct masa_diag *diag);

/* Creates path (which must not exist) with the given mode, writes data,
 * fsyncs. On failure nothing is left behind. */
MASA_NODISCARD enum masa_err masa_file_write_new(const char *path, const void *data,
    size_t len, mode_t mode, struct masa_diag *diag);

/* Joins dir and name into out (cap bytes); an absolute name is kept as is.
 * MASA_E_CONFIG if it does not fit. */
MASA_NODISCARD enum masa_err masa_path_join(char *out, size_t cap, const char *dir,
    const char *name);

#endif

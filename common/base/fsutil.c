/* fsutil.c: see fsutil.h. No policy here: only file rules. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The rules for a secret file, applied to a stat result. */
static enum masa_err
check_private_stat(const char *path, const struct stat *st, struct masa_diag *diag)
{
	if (S_ISLNK(st->st_mode)) {
		masa_diag_set(diag, "%s is a symbolic link; secret files must be regular files", path);
		return MASA_E_FILE_PERM;
	}
	if (!S_ISREG(st->st_mode)) {
		masa_diag_set(diag, "%s is not a regular file", path);
		return MASA_E_FILE_PERM;
	}
	if (st->st_uid != geteuid()) {
		masa_diag_set(diag, "%s is owned by uid %u, not by the user running masa (uid %u)",
		    path, (unsigned)st->st_uid, (unsigned)geteuid());
		return MASA_E_FILE_PERM;
	}
	if ((st->st_mode & 077) != 0) {
		masa_diag_set(diag, "%s has mode %04o; it must not be accessible to group or others (chmod 600 it)",
		    path, (unsigned)(st->st_mode & 07777));
		return MASA_E_FILE_PERM;
	}
	return MASA_OK;
}

enum masa_err
masa_file_check_private(const char *path, struct masa_diag *diag)
{
	struct stat st;

	int err;

	if (lstat(path, &st) != 0) {
		err = errno;
		masa_diag_set(diag, "cannot access %s: %s", path, strerror(err));
		return err == ENOENT ? MASA_E_NOT_FOUND : MASA_E_IO;
	}
	return check_private_stat(path, &st, diag);
}

/* One path component's rule for masa_path_check_guarded. */
static enum masa_err
guarded(const char *path, const struct stat *st, struct masa_diag *diag)
{
	int sticky_root = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0;

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		masa_diag_set(diag, "%s is owned by uid %u, neither root nor the user running masa (uid %u)",
		    path, (unsigned)st->st_uid, (unsigned)geteuid());
		return MASA_E_FILE_PERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky_root) {
		masa_diag_set(diag, "%s has mode %04o: others could change what masa trusts (chmod go-w it)",
		    path, (unsigned)(st->st_mode & 07777));
		return MASA_E_FILE_PERM;
	}
	return MASA_OK;
}

enum masa_err
masa_path_check_guarded(const char *path, struct masa_diag *diag)
{
	char walk[4096];
	struct stat st;
	enum masa_err rc;
	char *slash;
	int err;

	if (strlen(path) >= sizeof walk) {
		masa_diag_set(diag, "%s: path too long", path);
		return MASA_E_CONFIG;
	}
	if (path[0] == '/')
		snprintf(walk, sizeof walk, "%s", path);
	else if (getcwd(walk, sizeof walk) == NULL || strlen(walk) + 1 + strlen(path) >= sizeof walk) {
		masa_diag_set(diag, "%s: cannot resolve the working directory", path);
		return MASA_E_IO;
	} else {
		strcat(walk, "/");
		strcat(walk, path);
	}
	/* The file itself (if it exists), then each directory up to "/". */
	for (;;) {
		if (stat(walk[0] != '\0' ? walk : "/", &st) != 0) {
			err = errno;
			if (err != ENOENT) {
				masa_diag_set(diag, "cannot access %s: %s", walk, strerror(err));
				return MASA_E_IO;
			}
		} else if ((rc = guarded(walk[0] != '\0' ? walk : "/", &st, diag)) != MASA_OK) {
			return rc;
		}
		if (walk[0] == '\0')
			return MASA_OK;
		slash = strrchr(walk, '/');
		if (slash == NULL)
			return MASA_OK;
		*slash = '\0';
	}
}

enum masa_err
masa_file_read(const char *path, int private, size_t max, struct masa_buf *out,
    struct masa_diag *diag)
{
	enum masa_err rc;
	struct masa_buf b;
	struct stat st;
	uint8_t chunk[4096];
	ssize_t n;
	int fd, err;

	masa_buf_init(&b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC | (private ? O_NOFOLLOW : 0));
	if (fd < 0) {
		err = errno;
		if (err == ELOOP) {
			masa_diag_set(diag, "%s is a symbolic link; secret files must be regular files", path);
			return MASA_E_FILE_PERM;
		}
		masa_diag_set(diag, "cannot open %s: %s", path, strerror(err));
		return err == ENOENT ? MASA_E_NOT_FOUND : MASA_E_IO;
	}
	if (fstat(fd, &st) != 0) {
		masa_diag_set(diag, "cannot stat %s: %s", path, strerror(errno));
		rc = MASA_E_IO;
		goto done;
	}
	if (private) {
		rc = check_private_stat(path, &st, diag);
		if (rc != MASA_OK)
			goto done;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			masa_diag_set(diag, "cannot read %s: %s", path, strerror(errno));
			rc = MASA_E_IO;
			goto done;
		}
		if (n == 0)
			break;
		rc = masa_buf_append(&b, chunk, (size_t)n);
		if (rc != MASA_OK) {
			if (rc == MASA_E_TOO_LARGE)
				masa_diag_set(diag, "%s is larger than %zu bytes", path, max);
			goto done;
		}
	}
	/* An empty file still yields a buffer (a terminating NUL), so parsers
	 * report "no PEM data" rather than failing on a NULL pointer. */
	rc = masa_buf_append(&b, "", 0);
	if (rc != MASA_OK)
		goto done;
	*out = b;
	masa_buf_init(&b, max);
done:
	masa_buf_free(&b);
	close(fd);
	return rc;
}

enum masa_err
masa_file_write_new(const char *path, const void *data, size_t len, mode_t mode,
    struct masa_diag *diag)
{
	const uint8_t *p = data;
	enum masa_err rc = MASA_E_IO;
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		err = errno;
		masa_diag_set(diag, "cannot create %s: %s", path, strerror(err));
		return err == EEXIST ? MASA_E_EXISTS : MASA_E_IO;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			masa_diag_set(diag, "cannot write %s: %s", path, strerror(errno));
			goto done;
		}
		p += n;
		len -= (size_t)n;
	}
	/* The mode is exact, whatever the umask: callers name it on purpose. */
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		masa_diag_set(diag, "cannot finish %s: %s", path, strerror(errno));
		goto done;
	}
	rc = MASA_OK;
done:
	if (close(fd) != 0 && rc == MASA_OK) {
		masa_diag_set(diag, "cannot close %s: %s", path, strerror(errno));
		rc = MASA_E_IO;
	}
	if (rc != MASA_OK)
		unlink(path);
	return rc;
}

enum masa_err
masa_path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n;

	if (name[0] == '/' || dir == NULL || dir[0] == '\0')
		n = snprintf(out, cap, "%s", name);
	else
		n = snprintf(out, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap)
		return MASA_E_CONFIG;
	return MASA_OK;
}

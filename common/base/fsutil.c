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

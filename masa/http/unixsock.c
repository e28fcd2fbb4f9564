/* unixsock.c: see unixsock.h. */
#include "unixsock.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* Makes room at path: nothing there, or a socket nobody accepts on (which
 * is removed). */
static enum masa_err
clear_stale(const struct masa_netaddr *addr, struct masa_diag *diag)
{
	const char *path = addr->host;
	struct stat st;
	int fd, live;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return MASA_OK;
		masa_diag_set(diag, "cannot inspect %s: %s", path, strerror(errno));
		return MASA_E_IO;
	}
	if (!S_ISSOCK(st.st_mode)) {
		masa_diag_set(diag, "%s exists and is not a socket; refusing to replace it", path);
		return MASA_E_EXISTS;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		masa_diag_set(diag, "cannot create a Unix socket: %s", strerror(errno));
		return MASA_E_IO;
	}
	live = connect(fd, (const struct sockaddr *)&addr->ss, addr->len) == 0 || errno != ECONNREFUSED;
	close(fd);
	if (live) {
		masa_diag_set(diag, "%s is in use by another process (or cannot be probed)", path);
		return MASA_E_IO;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		masa_diag_set(diag, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return MASA_E_IO;
	}
	return MASA_OK;
}

enum masa_err
masa_unix_listen(const struct masa_netaddr *addr, struct masa_unix_sock *out,
    struct masa_diag *diag)
{
	struct masa_unix_sock s;
	struct stat st;
	enum masa_err rc;

	memset(&s, 0, sizeof s);
	s.fd = -1;
	if (addr->kind != MASA_LISTEN_UNIX)
		return MASA_E_INTERNAL;
	memcpy(s.path, addr->host, sizeof s.path);
	rc = clear_stale(addr, diag);
	if (rc != MASA_OK)
		return rc;
	rc = MASA_E_IO;
	s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s.fd < 0) {
		masa_diag_set(diag, "cannot create a Unix socket: %s", strerror(errno));
		return MASA_E_IO;
	}
	if (bind(s.fd, (const struct sockaddr *)&addr->ss, addr->len) != 0) {
		masa_diag_set(diag, "cannot bind %s: %s", s.path, strerror(errno));
		goto done;
	}
	/* Created 0600 under the process umask; the group may connect. */
	if (chmod(s.path, 0660) != 0 || lstat(s.path, &st) != 0) {
		masa_diag_set(diag, "cannot set the mode of %s: %s", s.path, strerror(errno));
		unlink(s.path);
		goto done;
	}
	if (listen(s.fd, SOMAXCONN) != 0) {
		masa_diag_set(diag, "cannot listen on %s: %s", s.path, strerror(errno));
		unlink(s.path);
		goto done;
	}
	s.dev = st.st_dev;
	s.ino = st.st_ino;
	*out = s;
	return MASA_OK;
done:
	close(s.fd);
	return rc;
}

void
masa_unix_unlink(const struct masa_unix_sock *s)
{
	struct stat st;

	if (s->path[0] != '\0' && lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
}

/*
 * limits.h: every fixed size, depth and count limit of the service in one
 * place. Configurable limits (body cap, connections, timeouts) have their
 * defaults and bounds in config.c; these are the ones that are not.
 */
#ifndef MASA_LIMITS_H
#define MASA_LIMITS_H

#define MASA_PATH_MAX 1024		/* a configured file path */
#define MASA_CONFIG_FILE_MAX (64 * 1024)	/* masa.json */
#define MASA_LOG_PATH_MAX 256		/* request path as logged */
#define MASA_DISCARD_MAX (1024 * 1024)	/* body bytes drained past the cap before the connection is dropped */
#define MASA_REPLY_HEADERS 4		/* extra response headers per reply */

#endif

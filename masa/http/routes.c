/* routes.c: see routes.h. */
#include "routes.h"

#include <stdio.h>
#include <string.h>

/* 1 if path matches pattern, whose '*' segment matches one non-empty
 * segment (copied to param). */
static int
match(const char *pattern, const char *path, char *param, size_t cap)
{
	const char *star = strchr(pattern, '*'), *end;
	size_t pre, n;

	if (star == NULL)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(star - pattern);
	if (strncmp(pattern, path, pre) != 0)
		return 0;
	path += pre;
	end = strchr(path, '/');
	n = end ? (size_t)(end - path) : strlen(path);
	if (n == 0 || n >= cap || strcmp(star + 1, path + n) != 0)
		return 0;
	memcpy(param, path, n);
	param[n] = '\0';
	return 1;
}

/* Appends ", m" (or "m") to allow. */
static void
allow_add(char *allow, size_t cap, const char *m)
{
	size_t n = strlen(allow);

	snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", m);
}

enum masa_err
masa_route_find(const struct masa_route_table *t, const char *method, const char *path,
    const struct masa_route **out, char *allow, size_t allow_cap, char *param, size_t param_cap)
{
	int path_known = 0;
	size_t i;

	allow[0] = '\0';
	param[0] = '\0';
	for (i = 0; i < t->n; i++) {
		const struct masa_route *r = &t->routes[i];

		if (!match(r->path, path, param, param_cap))
			continue;
		path_known = 1;
		if (strcmp(r->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			*out = r;
			return MASA_OK;
		}
		allow_add(allow, allow_cap, r->method);
		if (strcmp(r->method, "GET") == 0)
			allow_add(allow, allow_cap, "HEAD");
	}
	return path_known ? MASA_E_METHOD : MASA_E_NO_ROUTE;
}

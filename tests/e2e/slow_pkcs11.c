/* slow_pkcs11.c: a PKCS#11 module for e2e_hsm that is another module (the
 * real one, SLOW_PKCS11_MODULE) whose C_Sign, while the file
 * SLOW_PKCS11_FLAG exists, waits until the file is removed or
 * SLOW_PKCS11_MS have passed: a slow token, to show that signing never
 * holds masa's event loop, and a gate a test opens when it has done what
 * it needs done mid-signature. Each slow signature appends a line to
 * SLOW_PKCS11_FLAG.log as it starts, so the test waits on that condition
 * rather than on time. Test tooling only. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST wrapped;
static CK_C_Sign real_sign;

/* Waits while the flag file exists, at most SLOW_PKCS11_MS, after noting
 * the call in its log. */
static void
maybe_slow(void)
{
	const char *flag = getenv("SLOW_PKCS11_FLAG"), *ms = getenv("SLOW_PKCS11_MS");
	char log[4096];
	struct timespec ts;
	long delay = ms ? atol(ms) : 0;
	FILE *f;

	if (flag == NULL || access(flag, F_OK) != 0 || delay <= 0)
		return;
	snprintf(log, sizeof log, "%s.log", flag);
	f = fopen(log, "a");
	if (f != NULL) {
		fputs("sign\n", f);
		fclose(f);
	}
	ts.tv_sec = 0;
	ts.tv_nsec = 10 * 1000000L;
	for (; delay > 0 && access(flag, F_OK) == 0; delay -= 10)
		nanosleep(&ts, NULL);
}

static CK_RV
slow_sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len,
    CK_BYTE_PTR signature, CK_ULONG_PTR signature_len)
{
	maybe_slow();
	return real_sign(session, data, data_len, signature, signature_len);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	const char *path = getenv("SLOW_PKCS11_MODULE");
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST_PTR real;
	void *h;
	CK_RV rv;

	if (real_sign == NULL) {
		h = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
		get = h ? (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList") : NULL;
		if (get == NULL)
			return CKR_GENERAL_ERROR;
		rv = get(&real);
		if (rv != CKR_OK)
			return rv;
		wrapped = *real;
		real_sign = real->C_Sign;
		wrapped.C_Sign = slow_sign;
	}
	*list = &wrapped;
	return CKR_OK;
}

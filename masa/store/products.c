/* products.c: products.h, dispatched to the backend. */
#include "products.h"

#include "backend.h"

enum masa_err
masa_store_product_put(struct masa_txn *t, const struct masa_product_row *p, int64_t now_ms,
    int *created)
{
	return t->be->rows->product_put(t, p, now_ms, created);
}

enum masa_err
masa_store_product_get(struct masa_txn *t, const char *name, struct masa_product_row *out)
{
	return t->be->rows->product_get(t, name, out);
}

enum masa_err
masa_store_product_each(struct masa_txn *t,
    int (*fn)(void *arg, const struct masa_product_row *p), void *arg)
{
	return t->be->rows->product_each(t, fn, arg);
}

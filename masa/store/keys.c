/* keys.c: keys.h, handed to the backend of the transaction (backend.h). */
#include "keys.h"

#include "backend.h"

enum masa_err
masa_store_key_add(struct masa_txn *t, const struct masa_key_row *r)
{
	return t->be->keys->add(t, r);
}

enum masa_err
masa_store_key_get(struct masa_txn *t, const char *name, struct masa_key_row *out)
{
	return t->be->keys->get(t, name, out);
}

enum masa_err
masa_store_key_each(struct masa_txn *t, void (*fn)(void *arg, const struct masa_key_row *r),
    void *arg)
{
	return t->be->keys->each(t, fn, arg);
}

enum masa_err
masa_store_key_retire(struct masa_txn *t, const char *name, int64_t now_ms)
{
	return t->be->keys->retire(t, name, now_ms);
}

enum masa_err
masa_store_device_set_key(struct masa_txn *t, int64_t device_id, const char *name)
{
	return t->be->keys->device_set(t, device_id, name);
}

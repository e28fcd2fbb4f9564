/* tokens.c: tokens.h, handed to the backend of the transaction
 * (backend.h). */
#include "tokens.h"

#include "backend.h"

enum masa_err
masa_store_token_add(struct masa_txn *t, const struct masa_token_row *r)
{
	return t->be->tokens->add(t, r);
}

enum masa_err
masa_store_token_get(struct masa_txn *t, const char *id, struct masa_token_row *out)
{
	return t->be->tokens->get(t, id, out);
}

enum masa_err
masa_store_token_each(struct masa_txn *t, void (*fn)(void *arg, const struct masa_token_row *r),
    void *arg)
{
	return t->be->tokens->each(t, fn, arg);
}

enum masa_err
masa_store_token_delete(struct masa_txn *t, const char *name, char id_out[24])
{
	return t->be->tokens->del(t, name, id_out);
}

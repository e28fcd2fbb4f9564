/*
 * group.h: group commit's set-up and tear-down, for store.c (the top of
 * the store layer, which owns open and close). masa_db_write,
 * masa_db_submit, masa_db_gather and masa_db_stats (store.h) are group.c's.
 */
#ifndef MASA_STORE_GROUP_H
#define MASA_STORE_GROUP_H

#include "backend.h"

/* Sets up db->group (no thread yet: the first change starts the
 * committer). MASA_E_NOMEM or MASA_E_INTERNAL; then db->group stays NULL. */
MASA_NODISCARD enum masa_err masa_group_open(struct masa_db *db);
/* Commits what is queued, ends the committer thread and frees db->group;
 * for masa_db_close, once no other thread can submit a change. A NULL
 * db->group is ignored. */
void masa_group_close(struct masa_db *db);

#endif

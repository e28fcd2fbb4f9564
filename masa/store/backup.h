/*
 * backup.h: an online copy of the store with SQLite's backup API. It reads
 * one consistent snapshot inside a read transaction (in WAL mode writers go
 * on meanwhile), writes it to a temporary file next to the destination,
 * checks the copy (PRAGMA integrity_check, the same schema version), makes
 * it a self-contained rollback-journal file, fsyncs it and only then gives
 * it its name: a crash or an error leaves no partial file under that name.
 */
#ifndef MASA_BACKUP_H
#define MASA_BACKUP_H

#include "attr.h"
#include "diag.h"
#include "err.h"
#include "db.h"

/* Copies db to dest (mode 0600). An existing dest is MASA_E_EXISTS unless
 * replace is set. *schema_version gets the copy's version. */
MASA_NODISCARD enum masa_err masa_db_backup(struct masa_db *db, const char *dest, int replace,
    int *schema_version, struct masa_diag *diag);

#endif

/* pg_migrations.h: the PostgreSQL schema migrations embedded at build
 * time (generated from schema/postgresql/ by cmake/embed_schema.cmake). */
#ifndef MASA_PG_MIGRATIONS_H
#define MASA_PG_MIGRATIONS_H

#include "migrations.h"	/* struct masa_migration */

extern const struct masa_migration masa_pg_migrations[];
extern const unsigned masa_pg_migrations_count;

#endif

/* migrations.h: the schema migrations embedded at build time (generated). */
#ifndef MASA_MIGRATIONS_H
#define MASA_MIGRATIONS_H

struct masa_migration {
	int version;		/* NNNN of the file name */
	const char *name;	/* file name, for messages */
	const char *sql;
};

extern const struct masa_migration masa_migrations[];
extern const unsigned masa_migrations_count;

#endif

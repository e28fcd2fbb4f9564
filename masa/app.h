/* app.h: what every handler may use, set up once by `masa serve`. */
#ifndef MASA_APP_H
#define MASA_APP_H

#include "config.h"
#include "crypto/signer.h"
#include "store/db.h"

struct masa_app {
	const struct masa_config *cfg;
	struct masa_db *db;
	struct masa_signer *signer;
};

#endif

/*
 * migrate - numbered schema migrations from deploy/schema/.
 *
 * Files are named NNNN_name.sql and applied in order, each in its own
 * transaction together with its row in schema_migrations (version, name,
 * sha256, applied_at). A transaction-scoped advisory lock serialises
 * concurrent migrators. A file whose checksum differs from the one recorded
 * when it was applied is an error: applied migrations are never edited, a new
 * numbered file is added instead.
 */
#ifndef ALERTDESK_MIGRATE_H
#define ALERTDESK_MIGRATE_H

#include <stdio.h>

#include <libpq-fe.h>

/* The schema directory: $ALERTDESK_SCHEMA_DIR, else the one installed with
 * the build (the source tree's deploy/schema). */
const char *migrate_default_dir(void);

/* Applies every pending migration in dir, printing one progress line per file
 * to progress (may be NULL). Returns 0 and sets *applied, or -1 with a message
 * in err. */
int migrate_apply(PGconn *conn, const char *dir, FILE *progress, int *applied, char *err,
                  size_t errlen);

/* Prints each migration with applied / pending. Returns the number pending,
 * or -1 on error. */
int migrate_status(PGconn *conn, const char *dir, FILE *out, char *err, size_t errlen);

/* The highest applied version, 0 when none, -1 on error. Daemons use it to
 * refuse to start on a schema older than they need. */
int migrate_current_version(PGconn *conn);

#endif

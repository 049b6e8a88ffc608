/*
 * cli_migrate - `alertdesk migrate [status]`: applies or lists the numbered
 * migrations of deploy/schema/ against the configured database.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "db.h"
#include "migrate.h"

int cli_migrate(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"schema-dir", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *dir = migrate_default_dir();
    int c;
    while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'h':
            printf("Usage: alertdesk migrate [status] [--config FILE] [--schema-dir DIR]\n"
                   "Applies pending migrations (each in its own transaction), or lists them.\n"
                   "Schema directory: %s (ALERTDESK_SCHEMA_DIR overrides)\n",
                   migrate_default_dir());
            return 0;
        default:
            return 2;
        }
    }
    int status_only = optind < argc && strcmp(argv[optind], "status") == 0;
    if (optind < argc && !status_only) {
        fprintf(stderr, "alertdesk migrate: unknown argument '%s'\n", argv[optind]);
        return 2;
    }
    PGconn *conn = cli_db_connect(config, "migrate");
    if (!conn) {
        return 3;
    }
    char err[1024];
    int rc = 0;
    if (status_only) {
        int pending = migrate_status(conn, dir, stdout, err, sizeof err);
        if (pending < 0) {
            fprintf(stderr, "alertdesk migrate: %s\n", err);
            rc = 1;
        }
    } else {
        int applied = 0;
        if (migrate_apply(conn, dir, stdout, &applied, err, sizeof err) < 0) {
            fprintf(stderr, "alertdesk migrate: %s\n", err);
            rc = 1;
        } else {
            printf("schema at version %d (%d applied now)\n", migrate_current_version(conn),
                   applied);
        }
    }
    PQfinish(conn);
    return rc;
}

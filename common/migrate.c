/*
 * migrate - applies deploy/schema/NNNN_*.sql in order. See migrate.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db.h"
#include "log.h"
#include "migrate.h"
#include "xalloc.h"

#ifndef ALERTDESK_SCHEMA_DIR
#define ALERTDESK_SCHEMA_DIR "deploy/schema"
#endif

/* An arbitrary constant shared by every migrator: the advisory lock key. */
#define MIGRATE_LOCK_KEY "7310453"

typedef struct {
    int version;
    char *name; /* file name */
    char *sql;
    char sha256[65];
} migrate_file_t;

const char *migrate_default_dir(void)
{
    const char *env = getenv("ALERTDESK_SCHEMA_DIR");
    return env && *env ? env : ALERTDESK_SCHEMA_DIR;
}

static int migrate_cmp(const void *a, const void *b)
{
    const migrate_file_t *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static char *migrate_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 8192, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void migrate_sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
}

static void migrate_files_free(migrate_file_t *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].name);
        free(files[i].sql);
    }
    free(files);
}

/* Lists NNNN_*.sql files sorted by version; refuses duplicate versions. */
static int migrate_list(const char *dir, migrate_file_t **out, size_t *nout, char *err,
                        size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open schema directory %s: %s", dir, strerror(errno));
        return -1;
    }
    migrate_file_t *files = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        if (len < 10 || strcmp(nm + len - 4, ".sql") != 0 || nm[4] != '_') {
            continue;
        }
        char *end;
        long v = strtol(nm, &end, 10);
        if (end != nm + 4 || v <= 0) {
            continue;
        }
        char *path = xasprintf("%s/%s", dir, nm);
        size_t sqllen;
        char *sql = migrate_read_file(path, &sqllen);
        free(path);
        if (!sql) {
            snprintf(err, errlen, "cannot read %s/%s: %s", dir, nm, strerror(errno));
            rc = -1;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            files = xrealloc(files, cap * sizeof *files);
        }
        files[n].version = (int)v;
        files[n].name = xstrdup(nm);
        files[n].sql = sql;
        migrate_sha256_hex(sql, sqllen, files[n].sha256);
        n++;
    }
    closedir(d);
    if (rc == 0) {
        qsort(files, n, sizeof *files, migrate_cmp);
        for (size_t i = 1; i < n; i++) {
            if (files[i].version == files[i - 1].version) {
                snprintf(err, errlen, "two migrations share version %d: %s and %s",
                         files[i].version, files[i - 1].name, files[i].name);
                rc = -1;
                break;
            }
        }
    }
    if (rc < 0) {
        migrate_files_free(files, n);
        return -1;
    }
    *out = files;
    *nout = n;
    return 0;
}

static int migrate_ensure_table(PGconn *conn)
{
    return db_command(conn, "migrate.table",
                      "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version integer PRIMARY KEY CHECK (version > 0),"
                      " name text NOT NULL,"
                      " sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
                      " applied_at timestamptz NOT NULL DEFAULT now())") == DB_OK
               ? 0
               : -1;
}

/* Looks up the recorded checksum of version v; returns 1 found, 0 not, -1 error. */
static int migrate_recorded(PGconn *conn, int v, char sha[65])
{
    char vs[16];
    snprintf(vs, sizeof vs, "%d", v);
    const char *params[] = {vs};
    PGresult *res = NULL;
    if (db_exec(conn, "migrate.lookup", "SELECT sha256 FROM schema_migrations WHERE version = $1",
                1, params, &res) != DB_OK) {
        return -1;
    }
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(sha, 65, "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return found;
}

int migrate_apply(PGconn *conn, const char *dir, FILE *progress, int *applied, char *err,
                  size_t errlen)
{
    migrate_file_t *files;
    size_t n;
    *applied = 0;
    if (migrate_list(dir, &files, &n, err, errlen) < 0) {
        return -1;
    }
    int rc = -1;
    if (migrate_ensure_table(conn) < 0) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", PQerrorMessage(conn));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (db_command(conn, "migrate.begin", "BEGIN") != DB_OK ||
            db_command(conn, "migrate.lock",
                       "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")") != DB_OK) {
            snprintf(err, errlen, "cannot lock for migration: %s", PQerrorMessage(conn));
            goto out;
        }
        char sha[65];
        int found = migrate_recorded(conn, files[i].version, sha);
        if (found < 0) {
            snprintf(err, errlen, "cannot read schema_migrations: %s", PQerrorMessage(conn));
            goto rollback;
        }
        if (found) {
            db_command(conn, "migrate.rollback", "ROLLBACK");
            if (strcmp(sha, files[i].sha256) != 0) {
                snprintf(err, errlen,
                         "%s was edited after it was applied (sha256 %.12s… recorded, %.12s… "
                         "now): add a new migration instead",
                         files[i].name, sha, files[i].sha256);
                goto out;
            }
            continue;
        }
        if (progress) {
            fprintf(progress, "applying %s (%zu/%zu)\n", files[i].name, i + 1, n);
            fflush(progress);
        }
        PGresult *res = PQexec(conn, files[i].sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "%s failed: %s", files[i].name, PQresultErrorMessage(res));
            PQclear(res);
            goto rollback;
        }
        PQclear(res);
        char vs[16];
        snprintf(vs, sizeof vs, "%d", files[i].version);
        const char *params[] = {vs, files[i].name, files[i].sha256};
        if (db_exec(conn, "migrate.record",
                    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", 3,
                    params, NULL) != DB_OK ||
            db_command(conn, "migrate.commit", "COMMIT") != DB_OK) {
            snprintf(err, errlen, "cannot record %s: %s", files[i].name, PQerrorMessage(conn));
            goto rollback;
        }
        log_info("msg=\"migration applied\" file=%s", files[i].name);
        (*applied)++;
    }
    rc = 0;
    goto out;
rollback:
    db_command(conn, "migrate.rollback", "ROLLBACK");
out:
    migrate_files_free(files, n);
    return rc;
}

int migrate_status(PGconn *conn, const char *dir, FILE *out, char *err, size_t errlen)
{
    migrate_file_t *files;
    size_t n;
    if (migrate_list(dir, &files, &n, err, errlen) < 0) {
        return -1;
    }
    int pending = 0;
    if (migrate_ensure_table(conn) < 0) {
        snprintf(err, errlen, "cannot read schema_migrations: %s", PQerrorMessage(conn));
        migrate_files_free(files, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char sha[65];
        int found = migrate_recorded(conn, files[i].version, sha);
        const char *state = found < 0                           ? "unknown"
                            : !found                            ? "pending"
                            : strcmp(sha, files[i].sha256) == 0 ? "applied"
                                                                : "applied-but-edited";
        pending += found == 0;
        fprintf(out, "%-8s %s\n", state, files[i].name);
    }
    migrate_files_free(files, n);
    return pending;
}

int migrate_current_version(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    int v = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        v = atoi(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return v;
}

/*
 * cli_silence - `alertdesk silence add|list|expire`: silences in the
 * silences table. The correlator re-reads the table every
 * correlator.silence_refresh, so a new or expired silence takes effect
 * within that time; silenced alerts are recorded with the silence that muted
 * them and open no incident.
 *
 * Matchers are checked here with the correlator's own parser
 * (corr_matcher_parse) before anything is stored.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "corr_rules.h"
#include "db.h"
#include "xalloc.h"

#define CLI_SILENCE_MATCHERS_MAX 32

static void cli_silence_usage(FILE *out)
{
    fprintf(out,
            "Usage: alertdesk silence add --match 'FIELD OP VALUE' [--match ...] --duration D\n"
            "                             [--starts-in D] --comment TEXT [--creator NAME]\n"
            "       alertdesk silence list [--all]\n"
            "       alertdesk silence expire ID\n"
            "Every command takes --config FILE.\n\n"
            "FIELD is source, resource, check, severity, status, summary or labels.NAME;\n"
            "OP is = != =~ !~ (regexes are anchored). All matchers must match.\n"
            "D is a duration: 30m, 2h, 1d. Silenced alerts are recorded with the silence\n"
            "and open no incident; when it ends, still-firing alerts are evaluated again.\n");
}

/* Appends v to a PostgreSQL array literal, quoted. */
static void cli_silence_array_add(char **arr, const char *v)
{
    size_t n = strlen(*arr);
    char *q = xmalloc(2 * strlen(v) + 3), *w = q;
    *w++ = '"';
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *w++ = '\\';
        }
        *w++ = *p;
    }
    *w++ = '"';
    *w = '\0';
    char *next = xasprintf("%.*s%s%s}", (int)(n - 1), *arr, n > 2 ? "," : "", q);
    free(q);
    free(*arr);
    *arr = next;
}

static int cli_silence_add(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"match", required_argument, NULL, 'm'},
        {"duration", required_argument, NULL, 'd'}, {"starts-in", required_argument, NULL, 's'},
        {"comment", required_argument, NULL, 'C'},  {"creator", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *config = NULL, *duration = NULL, *starts_in = "0s", *comment = NULL;
    const char *creator = getenv("USER") ? getenv("USER") : "";
    const char *matches[CLI_SILENCE_MATCHERS_MAX];
    size_t nmatches = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:m:d:s:C:u:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'm':
            if (nmatches == CLI_SILENCE_MATCHERS_MAX) {
                fprintf(stderr, "alertdesk silence add: at most %d --match\n",
                        CLI_SILENCE_MATCHERS_MAX);
                return 2;
            }
            matches[nmatches++] = optarg;
            break;
        case 'd':
            duration = optarg;
            break;
        case 's':
            starts_in = optarg;
            break;
        case 'C':
            comment = optarg;
            break;
        case 'u':
            creator = optarg;
            break;
        case 'h':
            cli_silence_usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (nmatches == 0 || !duration || !comment) {
        fprintf(stderr, "alertdesk silence add: --match, --duration and --comment are required\n");
        return 2;
    }
    char why[256];
    int64_t dur_us, start_us;
    if (config_parse_duration(duration, 1, &dur_us, why, sizeof why) < 0 || dur_us <= 0) {
        fprintf(stderr, "alertdesk silence add: --duration %s: %s\n", duration,
                dur_us <= 0 ? "must be positive" : why);
        return 2;
    }
    if (config_parse_duration(starts_in, 1, &start_us, why, sizeof why) < 0) {
        fprintf(stderr, "alertdesk silence add: --starts-in %s: %s\n", starts_in, why);
        return 2;
    }
    char *arr = xstrdup("{}");
    for (size_t i = 0; i < nmatches; i++) {
        corr_matcher_t m;
        if (corr_matcher_parse(matches[i], &m, why, sizeof why) < 0) {
            fprintf(stderr, "alertdesk silence add: --match '%s': %s\n", matches[i], why);
            free(arr);
            return 2;
        }
        corr_matcher_free(&m);
        cli_silence_array_add(&arr, matches[i]);
    }
    PGconn *conn = cli_db_connect(config, "silence");
    if (!conn) {
        free(arr);
        return 3;
    }
    char start_s[24], dur_s[24];
    snprintf(start_s, sizeof start_s, "%" PRId64, start_us);
    snprintf(dur_s, sizeof dur_s, "%" PRId64, dur_us);
    const char *params[] = {arr, start_s, dur_s, creator, comment};
    PGresult *res = NULL;
    int rc = 1;
    if (db_exec(
            conn, "silence.add",
            "INSERT INTO silences (matchers, starts_at, ends_at, creator, comment) "
            "SELECT $1::text[], t + make_interval(secs => $2::bigint / 1000000.0), "
            "t + make_interval(secs => ($2::bigint + $3::bigint) / 1000000.0), $4, $5 "
            "FROM (SELECT now() AS t) n "
            "RETURNING id, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            5, params, &res) == DB_OK) {
        printf("silence %s added, ends %s\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
        PQclear(res);
        rc = 0;
    }
    free(arr);
    PQfinish(conn);
    return rc;
}

static int cli_silence_list(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"all", no_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int all = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:ah", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'a':
            all = 1;
            break;
        case 'h':
            cli_silence_usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    PGconn *conn = cli_db_connect(config, "silence");
    if (!conn) {
        return 3;
    }
    const char *params[] = {all ? "t" : "f"};
    PGresult *res = NULL;
    if (db_exec(conn, "silence.list",
                "SELECT id, CASE WHEN ends_at <= now() THEN 'expired' WHEN starts_at > now() "
                "THEN 'pending' ELSE 'active' END, "
                "to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                "to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), creator, "
                "array_to_string(matchers, ' AND '), comment "
                "FROM silences WHERE $1::boolean OR ends_at > now() ORDER BY id",
                1, params, &res) != DB_OK) {
        PQfinish(conn);
        return 1;
    }
    printf("%-6s %-8s %-20s %-20s %-12s %s\n", "ID", "STATE", "STARTS", "ENDS", "CREATOR",
           "MATCHERS  # COMMENT");
    for (int i = 0; i < PQntuples(res); i++) {
        printf("%-6s %-8s %-20s %-20s %-12s %s  # %s\n", PQgetvalue(res, i, 0),
               PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
               PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6));
    }
    PQclear(res);
    PQfinish(conn);
    return 0;
}

static int cli_silence_expire(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'h':
            cli_silence_usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (optind != argc - 1 || strspn(argv[optind], "0123456789") != strlen(argv[optind])) {
        fprintf(stderr, "alertdesk silence expire: one silence ID is required\n");
        return 2;
    }
    PGconn *conn = cli_db_connect(config, "silence");
    if (!conn) {
        return 3;
    }
    const char *params[] = {argv[optind]};
    PGresult *res = NULL;
    int rc = 1;
    /* Ends now; a silence that has not started yet is also moved to now so
     * that ends_at > starts_at still holds. */
    if (db_exec(conn, "silence.expire",
                "UPDATE silences SET starts_at = least(starts_at, now() - interval '1 "
                "microsecond'), ends_at = now() WHERE id = $1 AND ends_at > now()",
                1, params, &res) == DB_OK) {
        if (atoi(PQcmdTuples(res)) == 1) {
            printf("silence %s expired\n", argv[optind]);
            rc = 0;
        } else {
            fprintf(stderr, "alertdesk silence expire: no active silence %s\n", argv[optind]);
        }
        PQclear(res);
    }
    PQfinish(conn);
    return rc;
}

int cli_silence(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_silence_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "add") == 0) {
        return cli_silence_add(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "list") == 0) {
        return cli_silence_list(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "expire") == 0) {
        return cli_silence_expire(argc - 1, argv + 1);
    }
    fprintf(stderr, "alertdesk silence: unknown subcommand '%s'\n", argv[1]);
    cli_silence_usage(stderr);
    return 2;
}

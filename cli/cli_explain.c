/*
 * cli_explain - `alertdesk explain <fingerprint | incident id>`: why an
 * alert landed where it did, or how an incident formed, in plain words,
 * from the decisions the correlator recorded with every change.
 *
 * Reads only (alerts, incidents, incident_members, decisions, silences).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "db.h"

#define CLI_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static void cli_explain_decisions(PGresult *res)
{
    for (int i = 0; i < PQntuples(res); i++) {
        const char *at = PQgetvalue(res, i, 0), *kind = PQgetvalue(res, i, 1);
        const char *rule = PQgetvalue(res, i, 2), *group = PQgetvalue(res, i, 3);
        const char *parent = PQgetvalue(res, i, 4), *silence = PQgetvalue(res, i, 5);
        const char *window = PQgetvalue(res, i, 6), *reason = PQgetvalue(res, i, 7);
        const char *incident = PQgetvalue(res, i, 8), *into = PQgetvalue(res, i, 9);
        const char *who = PQgetvalue(res, i, 10);
        printf("  %s  %s%s%s: %s", at, who, *who ? " " : "", kind, *reason ? reason : "-");
        if (strcmp(incident, "0") != 0) {
            printf("; incident %s", incident);
        }
        if (strcmp(into, "0") != 0) {
            printf(" merged into incident %s", into);
        }
        if (*rule) {
            printf("; rule \"%s\"", rule);
        }
        if (*group) {
            printf(" group \"%s\"", group);
        }
        if (*parent) {
            printf("; parent %s", parent);
        }
        if (strcmp(silence, "0") != 0) {
            printf("; silence %s", silence);
        }
        if (*window) {
            printf("; maintenance window \"%s\"", window);
        }
        putchar('\n');
    }
}

#define CLI_DECISION_COLS                                                                          \
    CLI_TIME("d.at")                                                                               \
    ", d.kind, d.rule, d.group_key, d.parent, d.silence_id, d.maint_window, "                      \
    "d.reason, d.incident_id, d.into_incident_id"

static int cli_explain_alert(PGconn *conn, const char *fp)
{
    const char *params[] = {fp};
    PGresult *res = NULL;
    if (db_exec(conn, "explain.alert",
                "SELECT domain, source, resource, \"check\", state, count, " CLI_TIME(
                    "first_seen") ", " CLI_TIME("last_seen") ", coalesce(incident_id::text, ''), "
                                                             "symptom, parent, rule, group_key, "
                                                             "coalesce(silenced_by::text, ''), "
                                                             "maint_window, flapping "
                                                             "FROM alerts WHERE fingerprint = $1 "
                                                             "ORDER BY domain",
                1, params, &res) != DB_OK) {
        return 1;
    }
    if (PQntuples(res) == 0) {
        fprintf(stderr, "alertdesk explain: no alert with fingerprint %s\n", fp);
        PQclear(res);
        return 1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        printf("alert %s: %s/%s from %s%s%s\n", fp, PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
               PQgetvalue(res, i, 1), *PQgetvalue(res, i, 0) ? ", domain " : "",
               PQgetvalue(res, i, 0));
        printf("  state %s, seen %s times, first %s, last %s%s\n", PQgetvalue(res, i, 4),
               PQgetvalue(res, i, 5), PQgetvalue(res, i, 6), PQgetvalue(res, i, 7),
               PQgetvalue(res, i, 15)[0] == 't' ? ", flapping" : "");
        if (*PQgetvalue(res, i, 8)) {
            printf("  now in incident %s as %s", PQgetvalue(res, i, 8),
                   PQgetvalue(res, i, 9)[0] == 't' ? "a symptom" : "a member");
            if (*PQgetvalue(res, i, 10)) {
                printf(" of parent %s", PQgetvalue(res, i, 10));
            }
            if (*PQgetvalue(res, i, 11)) {
                printf(", by rule \"%s\" (group \"%s\")", PQgetvalue(res, i, 11),
                       PQgetvalue(res, i, 12));
            }
            putchar('\n');
        } else {
            printf("  in no incident\n");
        }
        if (*PQgetvalue(res, i, 13)) {
            printf("  muted by silence %s\n", PQgetvalue(res, i, 13));
        }
        if (*PQgetvalue(res, i, 14)) {
            printf("  muted by maintenance window \"%s\"\n", PQgetvalue(res, i, 14));
        }
    }
    PQclear(res);
    if (db_exec(conn, "explain.alert_decisions",
                "SELECT " CLI_DECISION_COLS ", '' FROM decisions d WHERE d.fingerprint = $1 "
                "ORDER BY d.id",
                1, params, &res) != DB_OK) {
        return 1;
    }
    printf("decisions, oldest first:\n");
    cli_explain_decisions(res);
    PQclear(res);
    return 0;
}

static int cli_explain_incident(PGconn *conn, const char *id)
{
    const char *params[] = {id};
    PGresult *res = NULL;
    if (db_exec(
            conn, "explain.incident",
            "SELECT i.rule, i.group_key, i.state, i.severity, " CLI_TIME(
                "i.opened_at") ", coalesce(" CLI_TIME("i.resolved_at") ", ''), "
                                                                       "coalesce(i.merged_into::"
                                                                       "text, ''), "
                                                                       "i.cause_resource, "
                                                                       "coalesce(a.\"check\", ''), "
                                                                       "i.cause_fingerprint, "
                                                                       "i.domain "
                                                                       "FROM incidents i LEFT JOIN "
                                                                       "alerts a ON a.domain = "
                                                                       "i.domain AND "
                                                                       "a.fingerprint = "
                                                                       "i.cause_fingerprint WHERE "
                                                                       "i.id = $1",
            1, params, &res) != DB_OK) {
        return 1;
    }
    if (PQntuples(res) == 0) {
        fprintf(stderr, "alertdesk explain: no incident %s\n", id);
        PQclear(res);
        return 1;
    }
    const char *rule = PQgetvalue(res, 0, 0);
    printf("incident %s: %s\n", id, PQgetvalue(res, 0, 2));
    if (*rule) {
        printf("  formed by rule \"%s\", group \"%s\"\n", rule, PQgetvalue(res, 0, 1));
    } else {
        printf("  formed by no rule (unmatched alerts get an incident of their own), group "
               "\"%s\"\n",
               PQgetvalue(res, 0, 1));
    }
    printf("  cause: %s/%s (alert %s)\n", PQgetvalue(res, 0, 7), PQgetvalue(res, 0, 8),
           PQgetvalue(res, 0, 9));
    printf("  opened %s%s%s\n", PQgetvalue(res, 0, 4), *PQgetvalue(res, 0, 5) ? ", resolved " : "",
           PQgetvalue(res, 0, 5));
    if (*PQgetvalue(res, 0, 6)) {
        printf("  merged into incident %s\n", PQgetvalue(res, 0, 6));
    }
    PQclear(res);

    if (db_exec(conn, "explain.members",
                "SELECT m.resource, coalesce(a.\"check\", ''), m.symptom, m.active, "
                "coalesce(a.parent, ''), m.fingerprint FROM incident_members m JOIN incidents i ON "
                "i.id = m.incident_id LEFT JOIN alerts a ON a.domain = i.domain AND a.fingerprint "
                "= m.fingerprint WHERE m.incident_id = $1 ORDER BY m.ord",
                1, params, &res) != DB_OK) {
        return 1;
    }
    printf("members (%d), in join order:\n", PQntuples(res));
    for (int i = 0; i < PQntuples(res); i++) {
        bool symptom = PQgetvalue(res, i, 2)[0] == 't';
        printf("  %s/%s: %s%s%s, %s (alert %s)\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               symptom ? "symptom" : "member",
               symptom && *PQgetvalue(res, i, 4) ? " of parent " : "",
               symptom ? PQgetvalue(res, i, 4) : "",
               PQgetvalue(res, i, 3)[0] == 't' ? "firing" : "cleared", PQgetvalue(res, i, 5));
    }
    PQclear(res);

    if (db_exec(conn, "explain.merged",
                "SELECT id, cause_resource FROM incidents WHERE merged_into = $1 ORDER BY id", 1,
                params, &res) != DB_OK) {
        return 1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        printf("  merged in: incident %s (caused by %s)\n", PQgetvalue(res, i, 0),
               PQgetvalue(res, i, 1));
    }
    PQclear(res);

    if (db_exec(conn, "explain.incident_decisions",
                "SELECT " CLI_DECISION_COLS ", coalesce(a.resource || '/' || a.\"check\", "
                "d.fingerprint) FROM decisions d LEFT JOIN alerts a ON a.domain = d.domain AND "
                "a.fingerprint = d.fingerprint WHERE d.incident_id = $1 OR d.into_incident_id = "
                "$1 OR (d.silence_id <> 0 AND d.fingerprint IN (SELECT fingerprint FROM "
                "incident_members WHERE incident_id = $1)) ORDER BY d.id",
                1, params, &res) != DB_OK) {
        return 1;
    }
    printf("decisions, oldest first:\n");
    cli_explain_decisions(res);
    PQclear(res);
    return 0;
}

int cli_explain(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') {
            config = optarg;
        } else if (c == 'h') {
            printf("Usage: alertdesk explain [--config FILE] <fingerprint | incident id>\n"
                   "For an alert: its state and every decision about it (rule, group key,\n"
                   "parent that absorbed it, silence or window that muted it), oldest first.\n"
                   "For an incident: its rule, group key, cause, members with their parents,\n"
                   "merges, and the decisions that shaped it.\n");
            return 0;
        } else {
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "Usage: alertdesk explain [--config FILE] <fingerprint | incident id>\n");
        return 2;
    }
    const char *what = argv[optind];
    size_t len = strlen(what);
    bool is_id = len > 0 && len < 19 && strspn(what, "0123456789") == len;
    bool is_fp = len == 32 && strspn(what, "0123456789abcdef") == len;
    if (!is_id && !is_fp) {
        fprintf(stderr,
                "alertdesk explain: '%s' is neither an incident id nor a fingerprint "
                "(32 hex digits)\n",
                what);
        return 2;
    }
    PGconn *conn = cli_db_connect(config, "explain");
    if (!conn) {
        return 3;
    }
    int rc = is_id ? cli_explain_incident(conn, what) : cli_explain_alert(conn, what);
    PQfinish(conn);
    return rc;
}

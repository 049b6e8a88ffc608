/*
 * correlator_restore - the correlator's start-up reads: the engine's open
 * state read back from alerts / incidents / incident_members into a fresh
 * engine (correlator_store_restore), the next incident id, and the silences
 * that have not ended (through correlator_silences.c). See correlator_store.h.
 *
 * Not here: writing batches (correlator_store.c), the connection and its
 * stage tables (correlator_store.c), the silences SQL itself
 * (correlator_silences.c), the event loop (correlator.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "xalloc.h"

#include "correlator_store.h"

/* Unix microseconds of a timestamptz column, exact (extract returns numeric). */
#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

/* ---- start-up ---- */

db_status_t correlator_store_next_incident_id(PGconn *conn, int64_t *out)
{
    PGresult *res = NULL;
    db_status_t st =
        db_exec(conn, "correlator.next_id",
                "SELECT greatest((SELECT coalesce(max(id), 0) FROM incidents), (SELECT "
                "coalesce(max(greatest(incident_id, into_incident_id)), 0) FROM "
                "incident_changes)) + 1",
                0, NULL, &res);
    if (st == DB_OK) {
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
    }
    return st;
}

static int64_t correlator_i64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool correlator_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

/* The widest window after which the engine no longer needs a resolved
 * incident or a cleared alert. */
static int64_t correlator_restore_horizon(const corr_rules_t *r)
{
    int64_t w = r->flap_window_us;
    if (r->topology_window_us > w) {
        w = r->topology_window_us;
    }
    for (size_t i = 0; i < r->nrules; i++) {
        const corr_rule_t *ru = &r->rules[i];
        int64_t m = ru->reopen_window_us + ru->hold_down_us;
        if (m > w) {
            w = m;
        }
        if (ru->join_window_us > w) {
            w = ru->join_window_us;
        }
    }
    return w;
}

/* Which incidents come back: not finished, or finished recently. $1 is the
 * cut-off in Unix microseconds. */
#define CORRELATOR_LIVE_INCIDENTS                                                                  \
    "SELECT id FROM incidents WHERE state IN ('open', 'resolving') OR (state = 'resolved' AND "    \
    "resolved_at >= to_timestamp($1::bigint / 1000000.0))"

static int correlator_restore_alerts(PGconn *conn, corr_engine_t *e, const char *cutoff,
                                     size_t *count)
{
    const char *params[] = {cutoff};
    PGresult *res = NULL;
    if (db_exec(conn, "correlator.restore_alerts",
                "SELECT domain, fingerprint, source, resource, \"check\", severity, summary, "
                "hstore_to_json(labels)::text, state, count, " US("first_seen") ", " US("last_seen") ", " US(
                    "refreshed_at") ", " US("fired_at") ", " US("cleared_at") ", "
                                                                              "coalesce(incident_"
                                                                              "id, 0), symptom, "
                                                                              "parent, rule, "
                                                                              "group_key, held, "
                                                                              "routed, "
                                                                              "flapping, "
                                                                              "incident_active, "
                                                                              "array_to_string("
                                                                              "flap_changes, ','), "
                                                                              "coalesce(silenced_"
                                                                              "by, 0), "
                                                                              "maint_window "
                                                                              "FROM alerts a WHERE "
                                                                              "state = 'firing' OR "
                                                                              "flapping OR held OR "
                                                                              "silenced_by IS NOT "
                                                                              "NULL OR cleared_at "
                                                                              ">= "
                                                                              "to_timestamp($1::"
                                                                              "bigint / 1000000.0) "
                                                                              "OR incident_id IN "
                                                                              "(" CORRELATOR_LIVE_INCIDENTS
                                                                              ") "
                                                                              "OR EXISTS (SELECT 1 "
                                                                              "FROM "
                                                                              "incident_members m "
                                                                              "WHERE m.fingerprint "
                                                                              "= a.fingerprint "
                                                                              "AND m.incident_id "
                                                                              "IN "
                                                                              "(" CORRELATOR_LIVE_INCIDENTS
                                                                              ")) "
                                                                              "ORDER BY domain, "
                                                                              "fingerprint",
                1, params, &res) != DB_OK) {
        return -1;
    }
    int n = PQntuples(res), rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        event_t *ev = event_new(EVENT_FORMAT_NATIVE);
        snprintf(ev->fingerprint, sizeof ev->fingerprint, "%s", PQgetvalue(res, i, 1));
        ev->source = event_strdup(ev, PQgetvalue(res, i, 2));
        ev->resource = event_strdup(ev, PQgetvalue(res, i, 3));
        ev->check = event_strdup(ev, PQgetvalue(res, i, 4));
        ev->severity = (event_severity_t)atoi(PQgetvalue(res, i, 5));
        ev->summary = PQgetisnull(res, i, 6) ? NULL : event_strdup(ev, PQgetvalue(res, i, 6));
        bool firing = strcmp(PQgetvalue(res, i, 8), "firing") == 0;
        ev->status = firing ? EVENT_STATUS_FIRING : EVENT_STATUS_RESOLVED;
        json_error_t jerr;
        json_t *labels = json_loads(PQgetvalue(res, i, 7), 0, &jerr);
        const char *k;
        json_t *v;
        json_object_foreach(labels, k, v)
        {
            event_label_set(ev, k, json_is_string(v) ? json_string_value(v) : "");
        }
        json_decref(labels);
        int64_t flaps[CORR_FLAP_HISTORY_MAX];
        size_t nflaps = 0;
        for (const char *p = PQgetvalue(res, i, 24); *p && nflaps < CORR_FLAP_HISTORY_MAX;) {
            char *end;
            flaps[nflaps++] = strtoll(p, &end, 10);
            p = *end == ',' ? end + 1 : end;
        }
        ev->occurred_at_us = ev->received_at_us = correlator_i64(res, i, 12);
        corr_alert_state_t st = {
            .domain = PQgetvalue(res, i, 0),
            .event = ev,
            .status = firing ? CORR_ALERT_STATE_FIRING : CORR_ALERT_STATE_CLEARED,
            .count = (uint64_t)correlator_i64(res, i, 9),
            .first_seen_us = correlator_i64(res, i, 10),
            .last_seen_us = correlator_i64(res, i, 11),
            .refreshed_at_us = correlator_i64(res, i, 12),
            .fired_at_us = correlator_i64(res, i, 13),
            .cleared_at_us = correlator_i64(res, i, 14),
            .incident_id = correlator_i64(res, i, 15),
            .symptom = correlator_bool(res, i, 16),
            .parent = PQgetvalue(res, i, 17),
            .rule = PQgetvalue(res, i, 18),
            .group_key = PQgetvalue(res, i, 19),
            .held = correlator_bool(res, i, 20),
            .routed = correlator_bool(res, i, 21),
            .flapping = correlator_bool(res, i, 22),
            .incident_active = correlator_bool(res, i, 23),
            .flap_changes_us = flaps,
            .nflap_changes = nflaps,
            .silence_id = correlator_i64(res, i, 25),
            .window = PQgetvalue(res, i, 26),
        };
        if (corr_engine_restore_alert(e, &st) < 0) {
            log_error("msg=\"engine refused a stored alert\" domain=%s fingerprint=%s", st.domain,
                      ev->fingerprint);
            rc = -1;
        }
        event_destroy(&ev);
    }
    PQclear(res);
    *count = (size_t)n;
    return rc;
}

static int correlator_restore_incidents(PGconn *conn, corr_engine_t *e, const char *cutoff,
                                        size_t *count)
{
    const char *params[] = {cutoff};
    PGresult *inc = NULL, *mem = NULL;
    if (db_exec(conn, "correlator.restore_incidents",
                "SELECT id, domain, rule, group_key, state, severity, cause_fingerprint, "
                "cause_resource, " US("opened_at") ", " US("last_activity_at") ", " US(
                    "resolving_since") ", " US("resolved_at") ", coalesce(merged_into, 0) "
                                                              "FROM incidents WHERE id IN "
                                                              "(" CORRELATOR_LIVE_INCIDENTS ") "
                                                              "ORDER BY id",
                1, params, &inc) != DB_OK) {
        return -1;
    }
    if (db_exec(conn, "correlator.restore_members",
                "SELECT incident_id, fingerprint, resource, symptom, active, " US(
                    "joined_at") " "
                                 "FROM incident_members WHERE incident_id IN "
                                 "(" CORRELATOR_LIVE_INCIDENTS ") "
                                 "ORDER BY incident_id, ord",
                1, params, &mem) != DB_OK) {
        PQclear(inc);
        return -1;
    }
    int n = PQntuples(inc), nm = PQntuples(mem), m = 0, rc = 0;
    corr_member_t *members = xcalloc((size_t)nm + 1, sizeof *members);
    for (int i = 0; i < n && rc == 0; i++) {
        int64_t id = correlator_i64(inc, i, 0);
        while (m < nm && correlator_i64(mem, m, 0) < id) {
            m++;
        }
        int first = m;
        for (; m < nm && correlator_i64(mem, m, 0) == id; m++) {
            members[m] = (corr_member_t){
                .fingerprint = PQgetvalue(mem, m, 1),
                .resource = PQgetvalue(mem, m, 2),
                .symptom = correlator_bool(mem, m, 3),
                .active = correlator_bool(mem, m, 4),
                .joined_at_us = correlator_i64(mem, m, 5),
            };
        }
        const char *state = PQgetvalue(inc, i, 4);
        corr_incident_status_t status = CORR_INCIDENT_STATE_OPEN;
        if (strcmp(state, "resolving") == 0) {
            status = CORR_INCIDENT_STATE_RESOLVING;
        } else if (strcmp(state, "resolved") == 0) {
            status = CORR_INCIDENT_STATE_RESOLVED;
        } else if (strcmp(state, "merged") == 0) {
            status = CORR_INCIDENT_STATE_MERGED;
        }
        corr_incident_state_t st = {
            .id = id,
            .domain = PQgetvalue(inc, i, 1),
            .rule = PQgetvalue(inc, i, 2),
            .group_key = PQgetvalue(inc, i, 3),
            .status = status,
            .severity = (event_severity_t)atoi(PQgetvalue(inc, i, 5)),
            .cause_fingerprint = PQgetvalue(inc, i, 6),
            .cause_resource = PQgetvalue(inc, i, 7),
            .opened_at_us = correlator_i64(inc, i, 8),
            .last_activity_us = correlator_i64(inc, i, 9),
            .resolving_since_us = correlator_i64(inc, i, 10),
            .resolved_at_us = correlator_i64(inc, i, 11),
            .merged_into = correlator_i64(inc, i, 12),
            .members = members + first,
            .nmembers = (size_t)(m - first),
        };
        if (corr_engine_restore_incident(e, &st) < 0) {
            log_error("msg=\"engine refused a stored incident\" id=%" PRId64, id);
            rc = -1;
        }
    }
    free(members);
    PQclear(inc);
    PQclear(mem);
    *count = (size_t)n;
    return rc;
}

int correlator_store_restore(PGconn *conn, corr_engine_t *e, const corr_rules_t *rules,
                             size_t *nalerts, size_t *nincidents)
{
    PGresult *res = NULL;
    if (db_exec(conn, "correlator.restore_ref",
                "SELECT coalesce(max(" US("last_seen") "), 0) FROM alerts", 0, NULL,
                &res) != DB_OK) {
        return -1;
    }
    int64_t ref = correlator_i64(res, 0, 0);
    PQclear(res);
    char cutoff[24];
    snprintf(cutoff, sizeof cutoff, "%" PRId64, ref - correlator_restore_horizon(rules));
    *nalerts = *nincidents = 0;
    if (correlator_restore_alerts(conn, e, cutoff, nalerts) < 0 ||
        correlator_restore_incidents(conn, e, cutoff, nincidents) < 0) {
        return -1;
    }
    corr_engine_restore_done(e);
    return 0;
}

/* ---- silences ---- */

/* The daemon's view: silences that have not ended (correlator_silences.c). */
void correlator_store_silences_free(corr_silence_t *s, size_t n)
{
    correlator_silences_free(s, n);
}

int correlator_store_silences(PGconn *conn, corr_silence_t **out, size_t *nout)
{
    return correlator_silences_load(conn, 0, 0, out, nout);
}

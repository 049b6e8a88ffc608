/*
 * ticketer_api_misc - the API's windows on the correlator's tables:
 * GET /api/v1/incidents/{id} (members and decisions) and silences
 * (GET /api/v1/silences, POST /api/v1/silences, POST
 * /api/v1/silences/{id}/expire or DELETE /api/v1/silences/{id}).
 *
 * Silences are rows of the correlator's `silences` table, written as
 * `alertdesk silence add` writes them: matchers checked with the
 * correlator's own parser (corr_matcher_parse) before anything is stored;
 * the correlator picks them up within correlator.silence_refresh.
 *
 * Does not: touch tickets, or evaluate silences (the correlator does).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "corr_rules.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

#define API_SILENCE_MATCHERS_MAX 32
#define API_DECISIONS_MAX        1000

static bool api_is_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 18 && strspn(s, "0123456789") == n;
}

/* api_json_or_fail - answers the outcome of api_query_json. */
static void api_json_answer(api_ctx_t *c, db_status_t st, char *json, bool found, int ok_status,
                            const char *not_found_field, const char *not_found_msg)
{
    if (st == DB_RETRY) {
        api_conn_reset(c);
        api_unavailable(c);
    } else if (st != DB_OK) {
        api_error(c, 500, NULL, "the query failed; see the ticketer's log");
    } else if (!found) {
        api_error(c, 404, not_found_field, "%s", not_found_msg);
    } else {
        api_send_text(c, ok_status, json);
    }
    free(json);
}

void api_incidents_show(api_ctx_t *c, const char *id)
{
    static const char *const known[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    if (!api_is_id(id)) {
        api_error(c, 400, "id", "incident id must be a number, not '%s'", id);
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    static const char *const sql =
        "SELECT json_build_object('id', i.id, 'domain', i.domain, 'rule', i.rule, "
        "'group_key', i.group_key, 'state', i.state, "
        "'severity', (ARRAY['none','info','warning','minor','major','critical'])[i.severity + 1], "
        "'cause_fingerprint', i.cause_fingerprint, 'cause_resource', i.cause_resource, "
        "'opened_at', i.opened_at, 'last_activity_at', i.last_activity_at, "
        "'resolving_since', i.resolving_since, 'resolved_at', i.resolved_at, "
        "'merged_into', i.merged_into, "
        "'ticket', (SELECT key FROM tickets WHERE incident_id = i.id), "
        "'members', (SELECT coalesce(json_agg(json_build_object('fingerprint', m.fingerprint, "
        "'resource', m.resource, 'check', a.\"check\", 'source', a.source, "
        "'severity', (ARRAY['none','info','warning','minor','major','critical'])[a.severity + 1], "
        "'summary', a.summary, 'state', a.state, 'symptom', m.symptom, 'active', m.active, "
        "'count', a.count, 'joined_at', m.joined_at, 'last_seen', a.last_seen) ORDER BY m.ord), "
        "'[]') FROM incident_members m LEFT JOIN alerts a "
        "ON a.domain = i.domain AND a.fingerprint = m.fingerprint WHERE m.incident_id = i.id), "
        "'decisions', (SELECT coalesce(json_agg(json_build_object('id', d.id, 'at', d.at, "
        "'kind', d.kind, 'fingerprint', d.fingerprint, 'incident_id', d.incident_id, "
        "'into_incident_id', d.into_incident_id, 'rule', d.rule, 'group_key', d.group_key, "
        "'parent', d.parent, 'symptom', d.symptom, 'silence_id', d.silence_id, "
        "'maint_window', d.maint_window, 'reason', d.reason) ORDER BY d.id), '[]') "
        "FROM (SELECT * FROM decisions WHERE incident_id = i.id ORDER BY id LIMIT 1000) d)) "
        "FROM incidents i WHERE i.id = $1::bigint";
    const char *params[] = {id};
    char *json = NULL;
    bool found = false;
    db_status_t st = api_query_json(conn, "api.incident.show", sql, 1, params, &json, &found);
    char msg[64];
    snprintf(msg, sizeof msg, "no incident %s", id);
    api_json_answer(c, st, json, found, 200, "id", msg);
}

/* The JSON of one silence row `s`. */
#define API_SILENCE_JSON                                                                           \
    "json_build_object('id', s.id, 'state', CASE WHEN s.ends_at <= now() THEN 'expired' "          \
    "WHEN s.starts_at > now() THEN 'pending' ELSE 'active' END, 'matchers', to_json(s.matchers), " \
    "'starts_at', s.starts_at, 'ends_at', s.ends_at, 'creator', s.creator, "                       \
    "'comment', s.comment, 'created_at', s.created_at)"

void api_silences_list(api_ctx_t *c)
{
    static const char *const known[] = {"all", NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    const char *all = http_request_query(c->req, "all");
    if (all && strcmp(all, "true") != 0 && strcmp(all, "false") != 0) {
        api_error(c, 400, "all", "all must be true or false, not '%s'", all);
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    const char *params[] = {all && strcmp(all, "true") == 0 ? "t" : "f"};
    char *json = NULL;
    bool found = false;
    db_status_t st = api_query_json(
        conn, "api.silences.list",
        "SELECT json_build_object('silences', coalesce(json_agg(" API_SILENCE_JSON
        " ORDER BY s.id), '[]')) FROM silences s WHERE $1::boolean OR s.ends_at > now()",
        1, params, &json, &found);
    api_json_answer(c, st, json, found, 200, NULL, "no silences");
}

void api_silences_add(api_ctx_t *c)
{
    static const char *const fields[] = {"matchers", "duration", "starts_in", "comment", NULL};
    if (!api_require(c, AUTH_ROLE_OPERATOR)) {
        return;
    }
    json_t *o = api_body_object(c, fields);
    if (!o) {
        return;
    }
    const char *duration = NULL, *starts_in = NULL, *comment = NULL;
    if (api_body_string(c, o, "duration", true, 32, &duration) < 0 ||
        api_body_string(c, o, "starts_in", false, 32, &starts_in) < 0 ||
        api_body_string(c, o, "comment", true, 4096, &comment) < 0) {
        json_decref(o);
        return;
    }
    json_t *ms = json_object_get(o, "matchers");
    if (!json_is_array(ms) || json_array_size(ms) == 0 ||
        json_array_size(ms) > API_SILENCE_MATCHERS_MAX) {
        api_error(c, 422, "matchers",
                  "'matchers' must be an array of 1..%d matchers such as \"labels.site = ams1\"",
                  API_SILENCE_MATCHERS_MAX);
        json_decref(o);
        return;
    }
    char why[256];
    int64_t dur_us = 0, start_us = 0;
    if (config_parse_duration(duration, 1, &dur_us, why, sizeof why) < 0 || dur_us <= 0) {
        api_error(c, 400, "duration", "duration '%s': %s", duration,
                  dur_us <= 0 ? "must be a positive duration such as 30m, 2h or 1d" : why);
        json_decref(o);
        return;
    }
    if (starts_in && config_parse_duration(starts_in, 1, &start_us, why, sizeof why) < 0) {
        api_error(c, 400, "starts_in", "starts_in '%s': %s", starts_in, why);
        json_decref(o);
        return;
    }
    const char *texts[API_SILENCE_MATCHERS_MAX];
    size_t n = json_array_size(ms);
    for (size_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "matchers[%zu]", i);
        texts[i] = json_string_value(json_array_get(ms, i));
        if (!texts[i]) {
            api_error(c, 400, field, "%s must be a string such as \"labels.site = ams1\"", field);
            json_decref(o);
            return;
        }
        corr_matcher_t m;
        if (corr_matcher_parse(texts[i], &m, why, sizeof why) < 0) {
            api_error(c, 400, field, "matcher '%s': %s", texts[i], why);
            json_decref(o);
            return;
        }
        corr_matcher_free(&m);
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        json_decref(o);
        return;
    }
    char *arr = api_pg_array(texts, n);
    char start_s[24], dur_s[24];
    snprintf(start_s, sizeof start_s, "%" PRId64, start_us);
    snprintf(dur_s, sizeof dur_s, "%" PRId64, dur_us);
    const char *params[] = {arr, start_s, dur_s, c->actor, comment};
    char *json = NULL;
    bool found = false;
    db_status_t st = api_query_json(
        conn, "api.silences.add",
        "WITH s AS (INSERT INTO silences (matchers, starts_at, ends_at, creator, comment) "
        "SELECT $1::text[], t + make_interval(secs => $2::bigint / 1000000.0), "
        "t + make_interval(secs => ($2::bigint + $3::bigint) / 1000000.0), $4, $5 "
        "FROM (SELECT now() AS t) n RETURNING *) SELECT " API_SILENCE_JSON " FROM s",
        5, params, &json, &found);
    free(arr);
    json_decref(o);
    api_json_answer(c, st, json, found, 201, NULL, "silence not stored");
}

void api_silences_expire(api_ctx_t *c, const char *id)
{
    if (!api_require(c, AUTH_ROLE_OPERATOR)) {
        return;
    }
    if (!api_is_id(id)) {
        api_error(c, 400, "id", "silence id must be a number, not '%s'", id);
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    const char *params[] = {id};
    char *json = NULL;
    bool found = false;
    /* Ends now; a silence that has not started yet is also moved to now so
     * that ends_at > starts_at still holds (as `alertdesk silence expire`). */
    db_status_t st = api_query_json(
        conn, "api.silences.expire",
        "WITH s AS (UPDATE silences SET starts_at = least(starts_at, now() - interval '1 "
        "microsecond'), ends_at = now() WHERE id = $1::bigint AND ends_at > now() RETURNING *) "
        "SELECT " API_SILENCE_JSON " FROM s",
        1, params, &json, &found);
    char msg[64];
    snprintf(msg, sizeof msg, "no active silence %s", id);
    api_json_answer(c, st, json, found, 200, "id", msg);
}

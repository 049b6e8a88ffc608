/*
 * ticketer_api_json - the API's JSON plumbing: error and success answers,
 * request bodies (jansson, duplicates and unknown fields refused, each
 * refusal naming the field), query-argument checks, text[] literals, and
 * the SQL that renders tickets as JSON.
 *
 * Tickets are rendered by PostgreSQL (json_build_object) straight from the
 * row: one expression serves list, show and the answer of every write.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

void api_send_text(api_ctx_t *c, int status, const char *json)
{
    char *body = xasprintf("%s\n", json);
    http_respond(c->req, status, "application/json", body, strlen(body), 0);
    free(body);
}

void api_send_json(api_ctx_t *c, int status, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    api_send_text(c, status, text);
    free(text);
}

void api_error(api_ctx_t *c, int status, const char *field, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_object();
    /* json_object_set_new steals the new references. */
    json_object_set_new(o, "error", json_string(msg));
    if (field) {
        json_object_set_new(o, "field", json_string(field));
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *body = xasprintf("%s\n", text);
    free(text);
    http_respond(c->req, status, "application/json", body, strlen(body), status == 503 ? 1 : 0);
    free(body);
}

void api_unavailable(api_ctx_t *c)
{
    api_error(c, 503, NULL, "the database is unavailable; retry shortly");
}

json_t *api_body_object(api_ctx_t *c, const char *const *allowed)
{
    size_t len;
    const char *body = http_request_body(c->req, &len);
    if (len == 0) {
        return json_object();
    }
    json_error_t err;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!o) {
        api_error(c, 400, "body", "body is not valid JSON: %s (line %d, column %d)", err.text,
                  err.line, err.column);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        api_error(c, 400, "body", "body must be a JSON object");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool known = false;
        for (size_t i = 0; allowed[i]; i++) {
            known = known || strcmp(k, allowed[i]) == 0;
        }
        if (!known) {
            char fields[512] = "";
            for (size_t i = 0; allowed[i]; i++) {
                size_t used = strlen(fields);
                snprintf(fields + used, sizeof fields - used, "%s%s", i ? ", " : "", allowed[i]);
            }
            api_error(c, 400, k, "unknown field '%s' (this request takes: %s)", k,
                      *fields ? fields : "no fields");
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int api_body_string(api_ctx_t *c, json_t *o, const char *name, bool required, size_t maxlen,
                    const char **out)
{
    json_t *v = json_object_get(o, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) {
            api_error(c, 422, name, "'%s' is required", name);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(v)) {
        api_error(c, 400, name, "'%s' must be a string", name);
        return -1;
    }
    if (json_string_length(v) > maxlen) {
        api_error(c, 400, name, "'%s' is longer than %zu bytes", name, maxlen);
        return -1;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        api_error(c, 400, name, "'%s' contains a NUL character", name);
        return -1;
    }
    if (required && json_string_length(v) == 0) {
        api_error(c, 422, name, "'%s' must not be empty", name);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

typedef struct {
    const char *const *allowed;
    const char *bad;
} api_query_check_t;

static int api_query_check_one(void *arg, const char *key, const char *value)
{
    (void)value;
    api_query_check_t *q = arg;
    for (size_t i = 0; q->allowed[i]; i++) {
        if (strcmp(key, q->allowed[i]) == 0) {
            return 0;
        }
    }
    q->bad = key;
    return 1;
}

int api_query_check(api_ctx_t *c, const char *const *allowed)
{
    api_query_check_t q = {.allowed = allowed};
    if (http_request_query_each(c->req, api_query_check_one, &q) != 0) {
        char names[512] = "";
        for (size_t i = 0; allowed[i]; i++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", allowed[i]);
        }
        api_error(c, 400, q.bad, "unknown query argument '%s' (known: %s)", q.bad,
                  *names ? names : "none");
        return -1;
    }
    return 0;
}

char *api_pg_array(const char *const *v, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++) {
        cap += 2 * strlen(v[i]) + 3;
    }
    char *out = xmalloc(cap), *w = out;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i) {
            *w++ = ',';
        }
        *w++ = '"';
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\') {
                *w++ = '\\';
            }
            *w++ = *p;
        }
        *w++ = '"';
    }
    *w++ = '}';
    *w = '\0';
    return out;
}

db_status_t api_query_json(PGconn *conn, const char *what, const char *sql, int n,
                           const char *const *params, char **json, bool *found)
{
    PGresult *res = NULL;
    *json = NULL;
    *found = false;
    db_status_t st = db_exec(conn, what, sql, n, params, &res);
    if (st != DB_OK) {
        return st;
    }
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
        *json = xstrdup(PQgetvalue(res, 0, 0));
        *found = true;
    }
    PQclear(res);
    return DB_OK;
}

/* Timestamps: json_build_object renders timestamptz as ISO 8601 in the
 * session's time zone, which api_conn() sets to UTC
 * ("2026-11-02T10:00:00.123456+00:00"). */
const char *const api_ticket_json_sql =
    "json_build_object("
    "'key', t.key, 'id', t.id, 'title', t.title, 'state', t.state, "
    "'pending_reason', t.pending_reason, 'priority', 'P' || t.priority, "
    "'severity', (ARRAY['none','info','warning','minor','major','critical'])[t.severity + 1], "
    "'queue', t.queue, 'assignee', t.assignee, 'incident_id', t.incident_id, "
    "'incident_state', t.incident_state, 'source', t.source, 'check', t.\"check\", "
    "'resource', t.cause_resource, 'labels', hstore_to_json(t.labels), "
    "'alert_count', t.alert_count, 'active_alerts', t.active_alerts, "
    "'opened_at', t.opened_at, 'acknowledged_at', t.acknowledged_at, "
    "'resolved_at', t.resolved_at, 'closed_at', t.closed_at, 'updated_at', t.updated_at, "
    "'sla', json_build_object('policy', t.sla_policy, "
    "'response', json_build_object('status', t.response_status, 'due_at', t.response_due_at, "
    "'target_s', t.response_target_us / 1000000), "
    "'resolution', json_build_object('status', t.resolution_status, 'due_at', "
    "t.resolution_due_at, 'target_s', t.resolution_target_us / 1000000), "
    "'update', json_build_object('status', t.update_status, 'due_at', t.update_due_at, "
    "'target_s', t.update_target_us / 1000000, 'last_update_at', t.last_update_at)), "
    "'reopen_count', t.reopen_count, 'version', t.version)";

db_status_t api_ticket_show_json(PGconn *conn, const char *key, char **json, bool *found)
{
    static const char *const sql =
        "SELECT (%s)::jsonb || jsonb_build_object("
        "'description', t.description, 'annotations', hstore_to_json(t.annotations), "
        "'reporter', t.reporter, 'watchers', to_json(t.watchers), "
        "'route', t.route, 'rule', t.rule, 'group_key', t.group_key, "
        "'first_seen', t.first_seen, 'last_seen', t.last_seen, "
        "'timeline', (SELECT coalesce(json_agg(json_build_object('seq', e.seq, 'kind', e.kind, "
        "'at', e.at, 'actor', e.actor, 'field', e.field, 'before', e.before, 'after', e.after, "
        "'comment', e.comment) ORDER BY e.committed_at, e.seq), '[]') "
        "FROM ticket_events e WHERE e.ticket_id = t.id), "
        "'alerts', (SELECT coalesce(json_agg(json_build_object('fingerprint', m.fingerprint, "
        "'resource', m.resource, 'check', a.\"check\", 'source', a.source, "
        "'severity', (ARRAY['none','info','warning','minor','major','critical'])[a.severity + 1], "
        "'summary', a.summary, 'state', a.state, 'symptom', m.symptom, 'active', m.active, "
        "'count', a.count, 'joined_at', m.joined_at, 'last_seen', a.last_seen) ORDER BY m.ord), "
        "'[]') FROM incident_members m LEFT JOIN alerts a ON a.domain = t.domain AND a.fingerprint "
        "= m.fingerprint "
        "WHERE m.incident_id = t.incident_id)) "
        "FROM tickets t WHERE t.key = $1";
    char *text = xasprintf(sql, api_ticket_json_sql);
    const char *params[] = {key};
    db_status_t st = api_query_json(conn, "api.ticket.show", text, 1, params, json, found);
    free(text);
    return st;
}

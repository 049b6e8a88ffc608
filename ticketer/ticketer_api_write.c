/*
 * ticketer_api_write - the API's ticket writes: POST /api/v1/tickets/{key}/
 * ack | assign | comment | pending | resolve | close | reopen | transition,
 * and POST /api/v1/tickets/bulk.
 *
 * Each change to one ticket is ONE transaction on the HTTP thread's
 * connection: ticketer_ticket_lock_key (FOR UPDATE), the version check
 * (If-Match or a "version" field; 409 naming who changed it), the
 * ticketer_ticket_* call (a refusal is 409 with its sentence), save,
 * ticketer_log_flush (last), COMMIT, then the outbox. A deadlock or
 * serialization failure (DB_RETRY) is retried once; then 503 Retry-After.
 * A bulk request runs one such transaction per key, in key order.
 *
 * Does not: decide what a state change means (ticketer_ticket.c and
 * ticket_state.c do), or read tickets for display (ticketer_api_json.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ticket_state.h"
#include "ticketer_api_internal.h"
#include "ticketer_ticket.h"
#include "xalloc.h"

/* Longest comment; pending reasons are bounded by the ticket's column. */
#define API_COMMENT_MAX 16384

/* One requested change, as parsed from a body. */
typedef struct {
    const char *action;   /* ack, assign, comment, pending, resolve, close, reopen, transition */
    const char *assignee; /* assign: NULL or "" unassigns; watch/unwatch: the user */
    const char *text;     /* comment text, pending/reopen/transition reason, resolve comment */
    ticket_state_t to;    /* transition */
    int64_t version;      /* expected version; 0 = any */
} api_change_t;

/* The outcome of one change. */
typedef struct {
    int status; /* 200 on success */
    const char *field;
    char msg[600];
    int version;
    char state[32];
} api_outcome_t;

/* api_rollback - ends a failed transaction; forgets the connection when
 * even that fails. */
static void api_rollback(api_ctx_t *c, PGconn *conn)
{
    if (db_command(conn, "api.rollback", "ROLLBACK") != DB_OK) {
        api_conn_reset(c);
    }
}

/* api_changed_by - who made the ticket's latest change (for a 409). */
static void api_changed_by(PGconn *conn, int64_t ticket_id, char *out, size_t outlen)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, ticket_id);
    const char *params[] = {id};
    PGresult *res = NULL;
    snprintf(out, outlen, "someone");
    if (db_exec(conn, "api.changed_by",
                "SELECT actor FROM ticket_events WHERE ticket_id = $1::bigint "
                "ORDER BY committed_at DESC, seq DESC LIMIT 1",
                1, params, &res) == DB_OK) {
        if (PQntuples(res) == 1) {
            snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
        }
        PQclear(res);
    }
}

/* api_change_once - one attempt of ch on key. DB_OK with out filled (any
 * status), or DB_RETRY / DB_FATAL with the transaction rolled back. */
static db_status_t api_change_once(api_ctx_t *c, PGconn *conn, const char *key,
                                   const api_change_t *ch, api_outcome_t *out)
{
    const ticketer_api_config_t *cfg = &c->api->cfg;
    db_status_t st = db_command(conn, "api.begin", "BEGIN");
    if (st != DB_OK) {
        return st;
    }
    ticket_t t;
    bool found = false;
    st = ticketer_ticket_lock_key(conn, key, &t, &found);
    if (st != DB_OK) {
        api_rollback(c, conn);
        return st;
    }
    if (!found) {
        api_rollback(c, conn);
        out->status = 404;
        out->field = "key";
        snprintf(out->msg, sizeof out->msg, "no ticket %s", key);
        return DB_OK;
    }
    if (ch->version > 0 && ch->version != t.version) {
        char who[TICKET_TEXT_MAX];
        api_changed_by(conn, t.id, who, sizeof who);
        api_rollback(c, conn);
        out->status = 409;
        out->field = "version";
        snprintf(out->msg, sizeof out->msg,
                 "ticket %s was changed by %s since version %" PRId64 " (now version %d); reload",
                 t.key, who, ch->version, t.version);
        return DB_OK;
    }
    const ticket_routing_t *r = api_routing(c);
    int64_t now = api_now_us();
    ticketer_log_t *log = ticketer_log_new(cfg->settings->ticketer_stream);
    char why[512] = "";
    int rc = 0;
    const char *a = ch->action;
    if (strcmp(a, "ack") == 0) {
        rc = ticketer_ticket_transition(&t, TICKET_STATE_ACKNOWLEDGED, ch->text, c->actor, false, r,
                                        now, log, why, sizeof why);
    } else if (strcmp(a, "assign") == 0) {
        rc = ticketer_ticket_assign(&t, ch->assignee, c->actor, now, log, why, sizeof why);
    } else if (strcmp(a, "comment") == 0) {
        ticketer_ticket_comment(&t, ch->text, c->actor, now, log);
    } else if (strcmp(a, "watch") == 0 || strcmp(a, "unwatch") == 0) {
        bool changed = false;
        st = ticketer_ticket_watch(conn, &t, ch->assignee, strcmp(a, "watch") == 0, c->actor, now,
                                   log, &changed, why, sizeof why);
        if (st != DB_OK) {
            ticketer_log_destroy(&log);
            api_rollback(c, conn);
            return st;
        }
        rc = changed ? 0 : -1;
    } else if (strcmp(a, "pending") == 0) {
        rc = ticketer_ticket_transition(&t, TICKET_STATE_PENDING, ch->text, c->actor, false, r, now,
                                        log, why, sizeof why);
    } else if (strcmp(a, "resolve") == 0) {
        rc = ticketer_ticket_transition(&t, TICKET_STATE_RESOLVED, ch->text, c->actor, false, r,
                                        now, log, why, sizeof why);
    } else if (strcmp(a, "close") == 0) {
        rc = ticketer_ticket_transition(&t, TICKET_STATE_CLOSED, ch->text, c->actor, false, r, now,
                                        log, why, sizeof why);
    } else if (strcmp(a, "reopen") == 0) {
        if (ticket_state_is_open(t.state)) {
            snprintf(why, sizeof why, "ticket %s is %s, not resolved or closed: nothing to reopen",
                     t.key, ticket_state_name(t.state));
            rc = -1;
        } else {
            ticket_state_t to = ticket_state_reopen_target(t.acknowledged_at_us != 0);
            rc = ticketer_ticket_transition(&t, to, ch->text, c->actor, false, r, now, log, why,
                                            sizeof why);
        }
    } else { /* transition */
        rc = ticketer_ticket_transition(&t, ch->to, ch->text, c->actor, false, r, now, log, why,
                                        sizeof why);
    }
    if (rc < 0) {
        ticketer_log_destroy(&log);
        api_rollback(c, conn);
        out->status = 409;
        out->field = strcmp(a, "assign") == 0                               ? "assignee"
                     : strcmp(a, "watch") == 0 || strcmp(a, "unwatch") == 0 ? "user"
                                                                            : "state";
        snprintf(out->msg, sizeof out->msg, "%s: %s", t.key, why);
        return DB_OK;
    }
    /* The clocks as of this change (a comment restarts the update clock). */
    ticketer_ticket_sla_refresh(&t, r, now, log);
    st = ticketer_ticket_save(conn, &t);
    if (st == DB_OK) {
        st = ticketer_log_flush(conn, log);
    }
    if (st == DB_OK) {
        st = db_command(conn, "api.commit", "COMMIT");
        if (st != DB_OK) {
            /* Outcome unknown: the caller sees 503 and reloads. */
            ticketer_log_destroy(&log);
            api_conn_reset(c);
            return st;
        }
    }
    if (st != DB_OK) {
        ticketer_log_destroy(&log);
        api_rollback(c, conn);
        return st;
    }
    if (cfg->outbox) {
        ticketer_outbox_push(cfg->outbox, log);
    }
    ticketer_log_destroy(&log);
    out->status = 200;
    out->version = t.version;
    snprintf(out->state, sizeof out->state, "%s", ticket_state_name(t.state));
    return DB_OK;
}

/* api_change - ch on key with one retry on DB_RETRY. Always fills out:
 * 503 when the database could not do it, 500 on an unexpected failure. */
static void api_change(api_ctx_t *c, const char *key, const api_change_t *ch, api_outcome_t *out)
{
    memset(out, 0, sizeof *out);
    db_status_t st = DB_RETRY;
    for (int attempt = 0; attempt < 2 && st == DB_RETRY; attempt++) {
        PGconn *conn = api_conn_try(c);
        if (!conn) {
            out->status = 503;
            snprintf(out->msg, sizeof out->msg, "the database is unavailable; retry shortly");
            return;
        }
        st = api_change_once(c, conn, key, ch, out);
        if (st == DB_RETRY) {
            log_warn("msg=\"ticket change retried\" key=%s action=%s attempt=%d", key, ch->action,
                     attempt + 1);
        }
    }
    if (st == DB_RETRY) {
        out->status = 503;
        snprintf(out->msg, sizeof out->msg, "ticket %s is busy; retry shortly", key);
    } else if (st != DB_OK) {
        out->status = 500;
        snprintf(out->msg, sizeof out->msg, "changing ticket %s failed; see the ticketer's log",
                 key);
    }
}

/* api_if_match - the version an If-Match header names ("3", W/"3", 3);
 * 0 for none or "*", -1 when unreadable. */
static int64_t api_if_match(const char *h)
{
    if (!h || strcmp(h, "*") == 0) {
        return 0;
    }
    if (strncmp(h, "W/", 2) == 0) {
        h += 2;
    }
    char digits[24];
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof digits) {
        return -1;
    }
    memcpy(digits, h, n);
    digits[n] = '\0';
    if (strspn(digits, "0123456789") != n) {
        return -1;
    }
    return strtoll(digits, NULL, 10);
}

/* api_parse_change - the body of one action into ch (strings borrowed from
 * o). -1 after answering 400/422. */
static int api_parse_change(api_ctx_t *c, const char *action, json_t *o, api_change_t *ch)
{
    ch->action = action;
    if (strcmp(action, "assign") == 0) {
        json_t *v = json_object_get(o, "assignee");
        if (!v) {
            api_error(c, 422, "assignee", "'assignee' is required (null or \"\" unassigns)");
            return -1;
        }
        return api_body_string(c, o, "assignee", false, TICKET_TEXT_MAX - 1, &ch->assignee);
    }
    if (strcmp(action, "comment") == 0) {
        return api_body_string(c, o, "text", true, API_COMMENT_MAX, &ch->text);
    }
    if (strcmp(action, "watch") == 0 || strcmp(action, "unwatch") == 0) {
        if (api_body_string(c, o, "user", false, TICKET_TEXT_MAX - 1, &ch->assignee) < 0) {
            return -1;
        }
        if (!ch->assignee || !*ch->assignee) {
            ch->assignee = c->actor; /* "watch this" for oneself */
        }
        return 0;
    }
    if (strcmp(action, "pending") == 0) {
        return api_body_string(c, o, "reason", true, TICKET_TEXT_MAX - 1, &ch->text);
    }
    if (strcmp(action, "reopen") == 0) {
        return api_body_string(c, o, "reason", false, API_COMMENT_MAX, &ch->text);
    }
    if (strcmp(action, "transition") == 0) {
        const char *state = NULL;
        if (api_body_string(c, o, "state", true, 32, &state) < 0) {
            return -1;
        }
        if (ticket_state_parse(state, &ch->to) < 0) {
            api_error(c, 422, "state",
                      "unknown state '%s' (new, acknowledged, in_progress, pending, resolved, "
                      "closed)",
                      state);
            return -1;
        }
        size_t max = ch->to == TICKET_STATE_PENDING ? TICKET_TEXT_MAX - 1 : API_COMMENT_MAX;
        if (api_body_string(c, o, "reason", ch->to == TICKET_STATE_PENDING, max, &ch->text) < 0) {
            return -1;
        }
        return 0;
    }
    /* ack, resolve, close */
    return api_body_string(c, o, "comment", false, API_COMMENT_MAX, &ch->text);
}

void api_tickets_action(api_ctx_t *c, const char *key, const char *action)
{
    static const struct {
        const char *action;
        const char *fields[4];
    } actions[] = {
        {"ack", {"comment", "version", NULL}},
        {"assign", {"assignee", "version", NULL}},
        {"comment", {"text", "version", NULL}},
        {"watch", {"user", "version", NULL}},
        {"unwatch", {"user", "version", NULL}},
        {"pending", {"reason", "version", NULL}},
        {"resolve", {"comment", "version", NULL}},
        {"close", {"comment", "version", NULL}},
        {"reopen", {"reason", "version", NULL}},
        {"transition", {"state", "reason", "version", NULL}},
    };
    size_t i = 0;
    while (i < sizeof actions / sizeof *actions && strcmp(actions[i].action, action) != 0) {
        i++;
    }
    if (i == sizeof actions / sizeof *actions) {
        api_error(c, 404, NULL,
                  "no action '%s' on tickets (ack, assign, comment, watch, unwatch, pending, "
                  "resolve, close, reopen, transition)",
                  action);
        return;
    }
    if (!api_require(c, AUTH_ROLE_AGENT)) {
        return;
    }
    json_t *o = api_body_object(c, actions[i].fields);
    if (!o) {
        return;
    }
    api_change_t ch = {0};
    if (api_parse_change(c, action, o, &ch) < 0) {
        json_decref(o);
        return;
    }
    const char *im = http_request_header(c->req, "If-Match");
    int64_t version = api_if_match(im);
    if (version < 0) {
        api_error(c, 400, "If-Match", "If-Match must be a version as ETag gave it (\"3\"), not %s",
                  im);
        json_decref(o);
        return;
    }
    json_t *jv = json_object_get(o, "version");
    if (jv && !json_is_null(jv)) {
        if (!json_is_integer(jv) || json_integer_value(jv) < 1) {
            api_error(c, 400, "version", "'version' must be a positive integer");
            json_decref(o);
            return;
        }
        if (version > 0 && version != json_integer_value(jv)) {
            api_error(c, 400, "version", "If-Match and 'version' disagree");
            json_decref(o);
            return;
        }
        version = json_integer_value(jv);
    }
    ch.version = version;
    api_outcome_t out;
    api_change(c, key, &ch, &out);
    json_decref(o);
    if (out.status != 200) {
        api_error(c, out.status, out.field, "%s", out.msg);
        return;
    }
    char *json = NULL;
    bool found = false;
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    if (api_ticket_show_json(conn, key, &json, &found) != DB_OK || !found) {
        /* Committed; only the read-back failed. */
        char body[256];
        snprintf(body, sizeof body, "{\"key\":\"%s\",\"state\":\"%s\",\"version\":%d}", key,
                 out.state, out.version);
        api_send_text(c, 200, body);
        return;
    }
    char etag[32];
    snprintf(etag, sizeof etag, "\"%d\"", out.version);
    http_response_header(c->req, "ETag", etag);
    api_send_text(c, 200, json);
    free(json);
}

static int api_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void api_tickets_bulk(api_ctx_t *c)
{
    static const char *const fields[] = {"keys",    "action", "assignee", "text",
                                         "comment", "reason", NULL};
    if (!api_require(c, AUTH_ROLE_AGENT)) {
        return;
    }
    json_t *o = api_body_object(c, fields);
    if (!o) {
        return;
    }
    const char *action = NULL;
    if (api_body_string(c, o, "action", true, 32, &action) < 0) {
        json_decref(o);
        return;
    }
    static const char *const bulk_actions[] = {"ack", "assign", "resolve", "close", "comment"};
    bool ok_action = false;
    for (size_t i = 0; i < sizeof bulk_actions / sizeof *bulk_actions; i++) {
        ok_action = ok_action || strcmp(action, bulk_actions[i]) == 0;
    }
    if (!ok_action) {
        api_error(c, 422, "action", "bulk action must be ack, assign, resolve, close or comment");
        json_decref(o);
        return;
    }
    json_t *keys = json_object_get(o, "keys");
    if (!json_is_array(keys) || json_array_size(keys) == 0 ||
        json_array_size(keys) > TICKETER_API_BULK_MAX) {
        api_error(c, 422, "keys", "'keys' must be an array of 1..%d ticket keys",
                  TICKETER_API_BULK_MAX);
        json_decref(o);
        return;
    }
    size_t n = json_array_size(keys);
    const char **sorted = xcalloc(n, sizeof *sorted);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = json_string_value(json_array_get(keys, i));
        if (!sorted[i] || !*sorted[i] || strlen(sorted[i]) >= TICKET_KEY_MAX) {
            api_error(c, 400, "keys", "keys[%zu] must be a ticket key such as \"NOC-12\"", i);
            free(sorted);
            json_decref(o);
            return;
        }
    }
    /* Fields a bulk action takes: the same as its single form, minus version. */
    api_change_t ch = {0};
    ch.action = action;
    int rc = 0;
    if (strcmp(action, "assign") == 0) {
        rc = api_parse_change(c, action, o, &ch);
    } else if (strcmp(action, "comment") == 0) {
        rc = api_body_string(c, o, "text", true, API_COMMENT_MAX, &ch.text);
    } else {
        rc = api_body_string(c, o, "comment", false, API_COMMENT_MAX, &ch.text);
    }
    if (rc < 0) {
        free(sorted);
        json_decref(o);
        return;
    }
    /* Key order: two bulk requests over the same tickets never wait on each
     * other in opposite orders. Each key is its own transaction. */
    qsort(sorted, n, sizeof *sorted, api_key_cmp);
    json_t *results = json_array();
    size_t nok = 0, nfail = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0) {
            continue;
        }
        api_outcome_t out;
        api_change(c, sorted[i], &ch, &out);
        json_t *r = json_object();
        /* json_object_set_new steals each new value's reference. */
        json_object_set_new(r, "key", json_string(sorted[i]));
        json_object_set_new(r, "ok", json_boolean(out.status == 200));
        if (out.status == 200) {
            json_object_set_new(r, "state", json_string(out.state));
            json_object_set_new(r, "version", json_integer(out.version));
            nok++;
        } else {
            json_object_set_new(r, "status", json_integer(out.status));
            json_object_set_new(r, "error", json_string(out.msg));
            nfail++;
        }
        json_array_append_new(results, r);
    }
    free(sorted);
    json_t *body = json_object();
    json_object_set_new(body, "action", json_string(ch.action));
    json_decref(o);
    json_object_set_new(body, "ok", json_integer((json_int_t)nok));
    json_object_set_new(body, "failed", json_integer((json_int_t)nfail));
    json_object_set_new(body, "results", results);
    api_send_json(c, 200, body);
}

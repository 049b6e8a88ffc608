/*
 * notifier_ack - GET shows, POST acknowledges: /ack/<token>. See
 * notifier_ack.h. Pages are small HTML with no script; every string from
 * a ticket (its title comes from an alert: untrusted) is escaped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

#include "notifier_ack.h"
#include "notifier_page.h"
#include "notify_token.h"
#include "ticketer_log.h"
#include "ticketer_ticket.h"

#define NOTIFIER_ACK_FORM                                                                          \
    "<form method=\"post\"><button type=\"submit\">Acknowledge</button></form>"

struct notifier_ack {
    const settings_t *s;
    const ticket_routing_t *routing;
    http_route_t routes[2];
    metric_t *m_acks, *m_refused;
};

/* ---- the token ---- */

/* notifier_ack_token - checks the token in the path; answers on refusal. */
static bool notifier_ack_token(notifier_ack_t *a, http_request_t *req, int64_t *nid, int64_t *tid)
{
    const char *token = http_request_path_rest(req);
    const settings_t *s = a->s;
    if (!*s->notifier_ack_secret) {
        notifier_page(req, 404, "Not available", "Acknowledge links are not enabled here.", NULL);
        return false;
    }
    notify_token_result_t r = notify_token_check(
        s->notifier_ack_secret, strlen(s->notifier_ack_secret), token, event_now_us(), nid, tid);
    if (r == NOTIFY_TOKEN_OK) {
        return true;
    }
    metric_inc(a->m_refused);
    log_warn("msg=\"acknowledge link refused\" reason=%s", notify_token_result_name(r));
    if (r == NOTIFY_TOKEN_EXPIRED) {
        notifier_page(req, 410, "Link expired",
                      "This acknowledge link has expired. Acknowledge the ticket in the console "
                      "or with alertdesk ticket ack.",
                      NULL);
    } else {
        notifier_page(req, 403, "Invalid link",
                      "This acknowledge link is not valid. Use the link from the page as it was "
                      "sent.",
                      NULL);
    }
    return false;
}

typedef struct {
    bool found;
    char user[256], key[64], title[512], state[32], used[256];
} notifier_ack_info_t;

static db_status_t notifier_ack_info(PGconn *conn, int64_t nid, int64_t tid,
                                     notifier_ack_info_t *out)
{
    memset(out, 0, sizeof *out);
    char n[24], t[24];
    snprintf(n, sizeof n, "%" PRId64, nid);
    snprintf(t, sizeof t, "%" PRId64, tid);
    const char *params[] = {n, t};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "ack.info",
                             "SELECT n.user_name, t.key, t.title, t.state, "
                             "coalesce((SELECT u.outcome FROM ack_uses u WHERE "
                             "u.notification_id = n.id), '') FROM notifications n JOIN tickets t "
                             "ON t.id = n.ticket_id WHERE n.id = $1::bigint AND n.ticket_id = "
                             "$2::bigint",
                             2, params, &res);
    if (st != DB_OK) {
        return st;
    }
    if (PQntuples(res) == 1) {
        out->found = true;
        snprintf(out->user, sizeof out->user, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->key, sizeof out->key, "%s", PQgetvalue(res, 0, 1));
        snprintf(out->title, sizeof out->title, "%s", PQgetvalue(res, 0, 2));
        snprintf(out->state, sizeof out->state, "%s", PQgetvalue(res, 0, 3));
        snprintf(out->used, sizeof out->used, "%s", PQgetvalue(res, 0, 4));
    }
    PQclear(res);
    return DB_OK;
}

/* ---- GET: show ---- */

static void notifier_ack_get(http_request_t *req, void *arg)
{
    notifier_ack_t *a = arg;
    int64_t nid, tid;
    if (!notifier_ack_token(a, req, &nid, &tid)) {
        return;
    }
    PGconn *conn = db_thread_conn(a->s->database_url, a->s->database_connect_timeout_ms);
    notifier_ack_info_t info;
    if (!conn || notifier_ack_info(conn, nid, tid, &info) != DB_OK) {
        notifier_page(req, 503, "Try again", "The database is not reachable right now.", NULL);
        return;
    }
    if (!info.found) {
        notifier_page(req, 404, "Unknown page", "This page is not on record.", NULL);
        return;
    }
    char text[1024];
    if (*info.used) {
        snprintf(text, sizeof text, "This link was already used (%s).", info.used);
        notifier_page(req, 409, info.key, text, NULL);
        return;
    }
    snprintf(text, sizeof text, "%s (%s): acknowledge as %s? Escalation stops for everyone.",
             info.title, info.state, info.user);
    notifier_page(req, 200, info.key, text, NOTIFIER_ACK_FORM);
}

/* ---- POST: acknowledge ---- */

/* notifier_ack_apply - in one transaction: the single use, the ticket's
 * change through ticketer_ticket.h, its ticket_events rows. */
static db_status_t notifier_ack_apply(notifier_ack_t *a, PGconn *conn, int64_t nid, int64_t tid,
                                      char *outcome, size_t outlen, char *key, size_t keylen)
{
    char n[24];
    snprintf(n, sizeof n, "%" PRId64, nid);
    const char *params[] = {n};
    PGresult *res = NULL;
    db_status_t st = db_command(conn, "ack.begin", "BEGIN");
    if (st != DB_OK) {
        return st;
    }
    st = db_exec(conn, "ack.use",
                 "INSERT INTO ack_uses (notification_id, ticket_id, user_name, outcome) SELECT id, "
                 "ticket_id, user_name, 'acknowledging' FROM notifications WHERE id = $1::bigint "
                 "ON CONFLICT (notification_id) DO NOTHING RETURNING user_name",
                 1, params, &res);
    if (st != DB_OK) {
        goto rollback;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        snprintf(outcome, outlen, "used");
        db_command(conn, "ack.rollback", "ROLLBACK");
        return DB_OK;
    }
    char user[256];
    snprintf(user, sizeof user, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    ticket_t t;
    bool found = false;
    if ((st = ticketer_ticket_lock(conn, tid, &t, &found)) != DB_OK) {
        goto rollback;
    }
    ticketer_log_t *log = ticketer_log_new(a->s->ticketer_stream);
    char why[256];
    if (!found) {
        snprintf(outcome, outlen, "ticket gone");
    } else if (t.state == TICKET_STATE_NEW) {
        ticketer_ticket_transition(&t, TICKET_STATE_ACKNOWLEDGED, "acknowledged from the page",
                                   user, false, a->routing, event_now_us(), log, why, sizeof why);
        st = ticketer_ticket_save(conn, &t);
        snprintf(outcome, outlen, "acknowledged");
    } else {
        snprintf(outcome, outlen, "nothing to do: the ticket is %s", ticket_state_name(t.state));
    }
    if (found) {
        snprintf(key, keylen, "%s", t.key);
    }
    const char *p2[] = {n, outcome};
    if (st == DB_OK) {
        st = db_exec(conn, "ack.outcome",
                     "UPDATE ack_uses SET outcome = $2 WHERE notification_id = $1::bigint", 2, p2,
                     NULL);
    }
    if (st == DB_OK) {
        st = ticketer_log_flush(conn, log);
    }
    ticketer_log_destroy(&log);
    if (st == DB_OK) {
        st = db_command(conn, "ack.commit", "COMMIT");
    }
    if (st == DB_OK) {
        log_info("msg=\"acknowledged from the page\" ticket=%s user=%s outcome=\"%s\"", key, user,
                 outcome);
        return DB_OK;
    }
rollback:
    db_command(conn, "ack.rollback", "ROLLBACK");
    return st;
}

static void notifier_ack_post(http_request_t *req, void *arg)
{
    notifier_ack_t *a = arg;
    int64_t nid, tid;
    if (!notifier_ack_token(a, req, &nid, &tid)) {
        return;
    }
    char outcome[256] = "", key[64] = "";
    db_status_t st = DB_RETRY;
    for (int attempt = 0; attempt < 2 && st == DB_RETRY; attempt++) {
        PGconn *conn = db_thread_conn(a->s->database_url, a->s->database_connect_timeout_ms);
        if (!conn) {
            break;
        }
        st = notifier_ack_apply(a, conn, nid, tid, outcome, sizeof outcome, key, sizeof key);
        if (st != DB_OK) {
            db_thread_conn_reset();
        }
    }
    if (st != DB_OK) {
        notifier_page(req, 503, "Try again", "The acknowledgement could not be recorded.", NULL);
        return;
    }
    if (strcmp(outcome, "used") == 0) {
        metric_inc(a->m_refused);
        notifier_page(req, 409, "Already used",
                      "This acknowledge link was already used; each link works once.", NULL);
        return;
    }
    metric_inc(a->m_acks);
    char text[512];
    snprintf(text, sizeof text, "%s: %s.", *key ? key : "ticket", outcome);
    notifier_page(req, 200, strcmp(outcome, "acknowledged") == 0 ? "Acknowledged" : "Nothing to do",
                  text, NULL);
}

/* ---- object ---- */

notifier_ack_t *notifier_ack_new(const settings_t *s, const ticket_routing_t *routing)
{
    notifier_ack_t *a = xcalloc(1, sizeof *a);
    a->s = s;
    a->routing = routing;
    a->routes[0] = (http_route_t){"GET", "/ack/*", notifier_ack_get, a, 0};
    a->routes[1] = (http_route_t){"POST", "/ack/*", notifier_ack_post, a, 4096};
    a->m_acks = metrics_counter("alertdesk_notifier_acks_total",
                                "Acknowledge links used (POST answered 200)", NULL);
    a->m_refused = metrics_counter("alertdesk_notifier_acks_refused_total",
                                   "Acknowledge links refused (expired, forged, reused)", NULL);
    return a;
}

void notifier_ack_destroy(notifier_ack_t **ap)
{
    if (!ap || !*ap) {
        return;
    }
    free(*ap);
    *ap = NULL;
}

const http_route_t *notifier_ack_routes(notifier_ack_t *a, size_t *n)
{
    *n = 2;
    return a->routes;
}

/*
 * notifier_survey - GET shows the form, POST stores the answer:
 * /survey/<token>. See notifier_survey.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

#include "notifier_page.h"
#include "notifier_survey.h"
#include "notify_token.h"

#define NOTIFIER_SURVEY_TTL_US  (30LL * 86400 * 1000000)
#define NOTIFIER_SURVEY_COMMENT 2000

#define NOTIFIER_SURVEY_FORM                                                                       \
    "<form method=\"post\"><fieldset><legend>How well was this handled?</legend>"                  \
    "<label><input type=\"radio\" name=\"rating\" value=\"1\" required> 1 poor</label> "           \
    "<label><input type=\"radio\" name=\"rating\" value=\"2\"> 2</label> "                         \
    "<label><input type=\"radio\" name=\"rating\" value=\"3\"> 3</label> "                         \
    "<label><input type=\"radio\" name=\"rating\" value=\"4\"> 4</label> "                         \
    "<label><input type=\"radio\" name=\"rating\" value=\"5\"> 5 excellent</label></fieldset>"     \
    "<p><label>Comment (optional)<br><textarea name=\"comment\" maxlength=\"2000\" rows=\"4\" "    \
    "cols=\"50\"></textarea></label></p><button type=\"submit\">Send</button></form>"

struct notifier_survey {
    const settings_t *s;
    http_route_t routes[2];
    metric_t *m_answers;
};

/* notifier_survey_key - the survey's own HMAC key: "survey:" + the secret. */
static char *notifier_survey_key(const settings_t *s)
{
    return xasprintf("survey:%s", s->notifier_ack_secret);
}

bool notifier_survey_link(const settings_t *s, int64_t ticket_id, int64_t now_us, char *out,
                          size_t outlen)
{
    if (!s->notifier_survey || !*s->notifier_ack_secret) {
        return false;
    }
    char token[NOTIFY_TOKEN_MAX];
    char *key = notifier_survey_key(s);
    int rc = notify_token_make(key, strlen(key), 0, ticket_id, now_us + NOTIFIER_SURVEY_TTL_US,
                               token, sizeof token);
    free(key);
    if (rc < 0) {
        return false;
    }
    snprintf(out, outlen, "%s/survey/%s", s->notifier_public_url, token);
    return true;
}

/* notifier_survey_ticket - the ticket the token in the path names, or
 * false after answering. */
static bool notifier_survey_ticket(notifier_survey_t *sv, http_request_t *req, int64_t *tid)
{
    if (!sv->s->notifier_survey || !*sv->s->notifier_ack_secret) {
        notifier_page(req, 404, "Not available", "Surveys are not enabled here.", NULL);
        return false;
    }
    int64_t nid = 0;
    char *key = notifier_survey_key(sv->s);
    notify_token_result_t r = notify_token_check(key, strlen(key), http_request_path_rest(req),
                                                 event_now_us(), &nid, tid);
    free(key);
    if (r == NOTIFY_TOKEN_OK && nid == 0) {
        return true;
    }
    notifier_page(req, r == NOTIFY_TOKEN_EXPIRED ? 410 : 403,
                  r == NOTIFY_TOKEN_EXPIRED ? "Link expired" : "Invalid link",
                  r == NOTIFY_TOKEN_EXPIRED ? "This survey link has expired."
                                            : "This survey link is not valid.",
                  NULL);
    return false;
}

/* notifier_survey_state - the ticket's key and whether it was answered. */
static db_status_t notifier_survey_state(PGconn *conn, int64_t tid, char *key, size_t keylen,
                                         bool *found, bool *answered)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, tid);
    const char *params[] = {id};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "survey.state",
                             "SELECT t.key, EXISTS (SELECT 1 FROM survey_answers a WHERE "
                             "a.ticket_id = t.id) FROM tickets t WHERE t.id = $1::bigint",
                             1, params, &res);
    if (st != DB_OK) {
        return st;
    }
    *found = PQntuples(res) == 1;
    if (*found) {
        snprintf(key, keylen, "%s", PQgetvalue(res, 0, 0));
        *answered = PQgetvalue(res, 0, 1)[0] == 't';
    }
    PQclear(res);
    return DB_OK;
}

static void notifier_survey_get(http_request_t *req, void *arg)
{
    notifier_survey_t *sv = arg;
    int64_t tid;
    if (!notifier_survey_ticket(sv, req, &tid)) {
        return;
    }
    PGconn *conn = db_thread_conn(sv->s->database_url, sv->s->database_connect_timeout_ms);
    char key[64] = "";
    bool found = false, answered = false;
    if (!conn || notifier_survey_state(conn, tid, key, sizeof key, &found, &answered) != DB_OK) {
        notifier_page(req, 503, "Try again", "The database is not reachable right now.", NULL);
        return;
    }
    if (!found) {
        notifier_page(req, 404, "Unknown ticket", "This ticket is not on record.", NULL);
        return;
    }
    if (answered) {
        notifier_page(req, 409, key, "This ticket's survey was already answered. Thank you.", NULL);
        return;
    }
    char text[128];
    snprintf(text, sizeof text, "%s was closed. One question, one click.", key);
    notifier_page(req, 200, key, text, NOTIFIER_SURVEY_FORM);
}

/* notifier_form_value - the URL-decoded value of name in an
 * application/x-www-form-urlencoded body. Caller owns the result; free
 * with free(). NULL when absent or malformed. */
static char *notifier_form_value(const char *body, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            const char *v = p + nlen + 1;
            char *out = xmalloc((size_t)(stop - v) + 1), *w = out;
            for (; v < stop; v++) {
                if (*v == '+') {
                    *w++ = ' ';
                } else if (*v == '%' && stop - v >= 3 && isxdigit((unsigned char)v[1]) &&
                           isxdigit((unsigned char)v[2])) {
                    char hex[3] = {v[1], v[2], '\0'};
                    *w++ = (char)strtol(hex, NULL, 16);
                    v += 2;
                } else if (*v == '%') {
                    free(out);
                    return NULL;
                } else {
                    *w++ = *v;
                }
            }
            *w = '\0';
            return out;
        }
        p = stop + 1;
    }
    return NULL;
}

static void notifier_survey_post(http_request_t *req, void *arg)
{
    notifier_survey_t *sv = arg;
    int64_t tid;
    if (!notifier_survey_ticket(sv, req, &tid)) {
        return;
    }
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    char *rating = notifier_form_value(body ? body : "", len, "rating");
    char *comment = notifier_form_value(body ? body : "", len, "comment");
    bool ok = rating && strlen(rating) == 1 && rating[0] >= '1' && rating[0] <= '5' &&
              (!comment || strlen(comment) <= NOTIFIER_SURVEY_COMMENT) &&
              (!comment || !memchr(comment, '\0', strlen(comment)));
    if (!ok) {
        free(rating);
        free(comment);
        notifier_page(req, 400, "Rating needed",
                      "Choose a rating from 1 to 5 (the comment may be up to 2000 characters).",
                      NOTIFIER_SURVEY_FORM);
        return;
    }
    PGconn *conn = db_thread_conn(sv->s->database_url, sv->s->database_connect_timeout_ms);
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, tid);
    const char *params[] = {id, rating, comment ? comment : ""};
    PGresult *res = NULL;
    db_status_t st = conn ? db_exec(conn, "survey.answer",
                                    "INSERT INTO survey_answers (ticket_id, rating, comment) "
                                    "SELECT id, $2::smallint, $3 FROM tickets WHERE id = "
                                    "$1::bigint ON CONFLICT (ticket_id) DO NOTHING RETURNING 1",
                                    3, params, &res)
                          : DB_RETRY;
    free(rating);
    free(comment);
    if (st != DB_OK) {
        db_thread_conn_reset();
        notifier_page(req, 503, "Try again", "The answer could not be recorded.", NULL);
        return;
    }
    bool stored = PQntuples(res) == 1;
    PQclear(res);
    if (!stored) {
        notifier_page(req, 409, "Already answered",
                      "This ticket's survey was already answered; the first answer counts.", NULL);
        return;
    }
    metric_inc(sv->m_answers);
    log_info("msg=\"survey answered\" ticket_id=%" PRId64, tid);
    notifier_page(req, 200, "Thank you", "Your answer was recorded.", NULL);
}

notifier_survey_t *notifier_survey_new(const settings_t *s)
{
    notifier_survey_t *sv = xcalloc(1, sizeof *sv);
    sv->s = s;
    sv->routes[0] = (http_route_t){"GET", "/survey/*", notifier_survey_get, sv, 0};
    sv->routes[1] = (http_route_t){"POST", "/survey/*", notifier_survey_post, sv, 8192};
    sv->m_answers = metrics_counter("alertdesk_notifier_survey_answers_total",
                                    "Satisfaction-survey answers stored", NULL);
    return sv;
}

void notifier_survey_destroy(notifier_survey_t **sp)
{
    if (!sp || !*sp) {
        return;
    }
    free(*sp);
    *sp = NULL;
}

const http_route_t *notifier_survey_routes(notifier_survey_t *sv, size_t *n)
{
    *n = 2;
    return sv->routes;
}

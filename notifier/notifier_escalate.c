/*
 * notifier_escalate - ticket changes into escalations and queued
 * notifications; the escalation timer. See notifier_escalate.h.
 *
 * The escalation row holds notify_escalation_t (notify_escalation.c decides,
 * this file only stores and acts); notifications are rows the sender
 * (notifier_send.c) delivers later.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "xalloc.h"

#include "notifier_escalate.h"
#include "notifier_survey.h"
#include "notify_escalation.h"

/* A timestamptz parameter from microseconds (NULL for 0 or INT64_MAX). */
#define NOTIFIER_TS(n)                                                                             \
    "(CASE WHEN $" #n "::bigint IN (0, 9223372036854775807) THEN NULL ELSE timestamptz "           \
    "'epoch' + $" #n "::bigint * interval '1 microsecond' END)"
#define NOTIFIER_US(col) "coalesce((extract(epoch FROM " col ") * 1000000)::bigint, 0)"

/* clang-format off */
static const char notifier_sql_queue[] =
    "INSERT INTO notifications (idempotency_key, ticket_id, ticket_key, kind, channel, target, "
    "user_name, level, subject, body, caused_at) VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, "
    "$8::integer, $9, $10, " NOTIFIER_TS(11) ") ON CONFLICT (idempotency_key) DO NOTHING";

static const char notifier_sql_esc_lock[] =
    "SELECT policy, coalesce(acked_by, ''), state, level, loop, " NOTIFIER_US("started_at") ", "
    NOTIFIER_US("next_at") ", " NOTIFIER_US("acked_at") ", exhausted "
    "FROM escalations WHERE ticket_id = $1::bigint FOR UPDATE";

static const char notifier_sql_esc_save[] =
    "UPDATE escalations SET state = $2, level = $3::integer, loop = $4::integer, "
    "next_at = " NOTIFIER_TS(5) ", acked_at = " NOTIFIER_TS(6) ", "
    "acked_by = coalesce($7, acked_by), "
    "stopped_at = CASE WHEN $2 = 'stopped' THEN coalesce(stopped_at, " NOTIFIER_TS(9) ") END, "
    "stop_reason = coalesce($8, stop_reason), exhausted = $10::boolean, "
    "highest_level = greatest(highest_level, $3::integer), updated_at = now() "
    "WHERE ticket_id = $1::bigint";

/* A reopen restarts a stopped escalation; a replayed `opened` is a no-op. */
static const char notifier_sql_esc_create[] =
    "INSERT INTO escalations (ticket_id, ticket_key, policy, state, level, loop, next_at, "
    "started_at) VALUES ($1::bigint, $2, $3, 'active', 0, 0, " NOTIFIER_TS(4) ", "
    NOTIFIER_TS(4) ") ON CONFLICT (ticket_id) DO UPDATE SET state = 'active', policy = $3, "
    "level = 0, loop = 0, next_at = " NOTIFIER_TS(4) ", started_at = " NOTIFIER_TS(4) ", "
    "acked_at = NULL, acked_by = NULL, stopped_at = NULL, stop_reason = NULL, "
    "exhausted = false, updated_at = now() WHERE escalations.state = 'stopped'";

static const char notifier_sql_esc_due[] =
    "SELECT ticket_id FROM escalations WHERE state <> 'stopped' AND next_at <= " NOTIFIER_TS(1)
    " ORDER BY next_at LIMIT $2::integer FOR UPDATE SKIP LOCKED";
/* clang-format on */

/* The ticket's title and the people who watch it, for messages. */
typedef struct {
    char title[512];
    char **watchers;
    size_t nwatchers;
} notifier_ticket_info_t;

static void notifier_info_free(notifier_ticket_info_t *t)
{
    for (size_t i = 0; i < t->nwatchers; i++) {
        free(t->watchers[i]);
    }
    free(t->watchers);
    memset(t, 0, sizeof *t);
}

static db_status_t notifier_ticket_info(PGconn *conn, int64_t ticket_id,
                                        notifier_ticket_info_t *out)
{
    memset(out, 0, sizeof *out);
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, ticket_id);
    const char *params[] = {id};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "notifier.ticket",
                             "SELECT title, w FROM tickets LEFT JOIN LATERAL unnest(watchers) w "
                             "ON true WHERE id = $1::bigint",
                             1, params, &res);
    if (st != DB_OK) {
        return st;
    }
    int n = PQntuples(res);
    if (n > 0) {
        snprintf(out->title, sizeof out->title, "%s", PQgetvalue(res, 0, 0));
        out->watchers = xcalloc((size_t)n, sizeof *out->watchers);
        for (int i = 0; i < n; i++) {
            if (!PQgetisnull(res, i, 1)) {
                out->watchers[out->nwatchers++] = xstrdup(PQgetvalue(res, i, 1));
            }
        }
    }
    PQclear(res);
    return DB_OK;
}

/* ---- notifications ---- */

static const char *notifier_channel_of(notify_contact_type_t t)
{
    switch (t) {
    case NOTIFY_CONTACT_EMAIL:
        return "email";
    case NOTIFY_CONTACT_SMS:
        return "sms";
    case NOTIFY_CONTACT_WEBHOOK:
        return "webhook";
    case NOTIFY_CONTACT_CHAT:
        return "chat";
    }
    return "webhook";
}

/* notifier_queue - one notification row per contact of user (or only the
 * e-mail contacts for kind "mail"); the key makes a replay a no-op. */
static db_status_t notifier_queue(PGconn *conn, const char *kind, const char *key_base,
                                  int64_t ticket_id, const char *ticket_key,
                                  const notify_user_t *user, int level, const char *subject,
                                  const char *body, int64_t caused_us)
{
    char id[24], lvl[16], at[24];
    snprintf(id, sizeof id, "%" PRId64, ticket_id);
    snprintf(lvl, sizeof lvl, "%d", level);
    snprintf(at, sizeof at, "%" PRId64, caused_us);
    for (size_t i = 0; i < user->ncontacts; i++) {
        const notify_contact_t *ct = &user->contacts[i];
        if (strcmp(kind, "mail") == 0 && ct->type != NOTIFY_CONTACT_EMAIL) {
            continue;
        }
        char key[512];
        snprintf(key, sizeof key, "%s:%s:%zu", key_base, user->name, i);
        const char *params[] = {
            key, id,      ticket_key, kind, notifier_channel_of(ct->type), ct->address, user->name,
            lvl, subject, body,       at};
        db_status_t st = db_exec(conn, "notifier.queue", notifier_sql_queue, 11, params, NULL);
        if (st != DB_OK) {
            return st;
        }
    }
    return DB_OK;
}

/* notifier_cancel - pages and reminders not yet sent are no longer wanted. */
static db_status_t notifier_cancel(PGconn *conn, int64_t ticket_id, const char *why)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, ticket_id);
    const char *params[] = {id, why};
    return db_exec(conn, "notifier.cancel",
                   "UPDATE notifications SET state = 'cancelled', last_error = $2, updated_at = "
                   "now() WHERE ticket_id = $1::bigint AND state = 'pending' AND kind IN ('page', "
                   "'reminder')",
                   2, params, NULL);
}

/* ---- the escalation row ---- */

typedef struct {
    bool found;
    char policy[256];
    char acked_by[256];
    char state[32];
    notify_escalation_t st;
} notifier_esc_row_t;

static db_status_t notifier_esc_lock(PGconn *conn, int64_t ticket_id, notifier_esc_row_t *row)
{
    memset(row, 0, sizeof *row);
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, ticket_id);
    const char *params[] = {id};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "notifier.esc_lock", notifier_sql_esc_lock, 1, params, &res);
    if (st != DB_OK) {
        return st;
    }
    if (PQntuples(res) == 1) {
        row->found = true;
        snprintf(row->policy, sizeof row->policy, "%s", PQgetvalue(res, 0, 0));
        snprintf(row->acked_by, sizeof row->acked_by, "%s", PQgetvalue(res, 0, 1));
        snprintf(row->state, sizeof row->state, "%s", PQgetvalue(res, 0, 2));
        row->st.level = atoi(PQgetvalue(res, 0, 3));
        row->st.loop = atoi(PQgetvalue(res, 0, 4));
        row->st.started_us = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
        int64_t next = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
        row->st.next_at_us = next ? next : INT64_MAX;
        row->st.acked_at_us = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
        row->st.exhausted = PQgetvalue(res, 0, 8)[0] == 't';
        row->st.stopped = strcmp(row->state, "stopped") == 0;
    }
    PQclear(res);
    return DB_OK;
}

/* notifier_esc_save - the row from st; acked_by/stop_reason when given. */
static db_status_t notifier_esc_save(PGconn *conn, int64_t ticket_id, const notify_escalation_t *st,
                                     const char *acked_by, const char *stop_reason, int64_t now_us)
{
    char id[24], level[16], loop[16], next[24], acked[24], now[24];
    snprintf(id, sizeof id, "%" PRId64, ticket_id);
    snprintf(level, sizeof level, "%d", st->level);
    snprintf(loop, sizeof loop, "%d", st->loop);
    snprintf(next, sizeof next, "%" PRId64, st->next_at_us);
    snprintf(acked, sizeof acked, "%" PRId64, st->acked_at_us);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *state = st->stopped ? "stopped" : st->acked_at_us ? "acknowledged" : "active";
    const char *params[] = {id,    state,    level,       loop, next,
                            acked, acked_by, stop_reason, now,  st->exhausted ? "true" : "false"};
    return db_exec(conn, "notifier.esc_save", notifier_sql_esc_save, 10, params, NULL);
}

/* notifier_esc_create - a fresh escalation for a ticket (or restarted on a
 * reopen), level 0 due at at_us. */
static db_status_t notifier_esc_create(PGconn *conn, const ticket_change_t *c,
                                       const notify_policy_t *pol)
{
    char id[24], at[24];
    snprintf(id, sizeof id, "%" PRId64, c->ticket_id);
    snprintf(at, sizeof at, "%" PRId64, c->at_us);
    const char *params[] = {id, c->ticket_key, pol->name, at};
    return db_exec(conn, "notifier.esc_create", notifier_sql_esc_create, 4, params, NULL);
}

/* ---- ticket changes ---- */

/* notifier_watchers_mail - a status change mailed to the watchers. */
static db_status_t notifier_watchers_mail(PGconn *conn, const ticket_change_t *c,
                                          const notify_people_t *people, const settings_t *s)
{
    notifier_ticket_info_t info;
    db_status_t st = notifier_ticket_info(conn, c->ticket_id, &info);
    if (st != DB_OK) {
        return st;
    }
    char subject[768], body[2048], key[128], link[512], survey[640] = "";
    snprintf(subject, sizeof subject, "[%s] %s: %s", c->ticket_key, c->state, info.title);
    if (strcmp(c->state, "closed") == 0 &&
        notifier_survey_link(s, c->ticket_id, c->at_us, link, sizeof link)) {
        snprintf(survey, sizeof survey, "\n\nHow did we do? One click: %s", link);
    }
    snprintf(body, sizeof body, "%s is now %s (was %s), changed by %s.%s%s%s\n", c->ticket_key,
             c->after ? c->after : c->state, c->before ? c->before : "-",
             c->actor ? c->actor : "system", c->comment ? "\n\n" : "", c->comment ? c->comment : "",
             survey);
    snprintf(key, sizeof key, "mail:%" PRId64 ":%" PRId64, c->ticket_id, c->seq);
    for (size_t i = 0; st == DB_OK && i < info.nwatchers; i++) {
        const notify_user_t *u = notify_people_user(people, info.watchers[i]);
        if (u) {
            st = notifier_queue(conn, "mail", key, c->ticket_id, c->ticket_key, u, 0, subject, body,
                                c->at_us);
        }
    }
    notifier_info_free(&info);
    return st;
}

db_status_t notifier_ticket_change(PGconn *conn, const ticket_change_t *c,
                                   const notify_people_t *people, const settings_t *s)
{
    if (!people || !c->kind) {
        return DB_OK;
    }
    const char *kind = c->kind;
    const char *state = c->state ? c->state : "";
    db_status_t st = DB_OK;
    if (strcmp(kind, "opened") == 0) {
        const notify_policy_t *pol = notify_policy_for(people, c->queue, c->priority);
        return pol ? notifier_esc_create(conn, c, pol) : DB_OK;
    }
    bool state_change = strcmp(kind, "state_changed") == 0 || strcmp(kind, "reopened") == 0;
    bool breach = strcmp(kind, "sla_breached") == 0;
    if (!state_change && !breach) {
        return DB_OK;
    }
    if (state_change && (st = notifier_watchers_mail(conn, c, people, s)) != DB_OK) {
        return st;
    }
    if (strcmp(kind, "reopened") == 0) {
        const notify_policy_t *pol = notify_policy_for(people, c->queue, c->priority);
        return pol ? notifier_esc_create(conn, c, pol) : DB_OK;
    }
    notifier_esc_row_t row;
    if ((st = notifier_esc_lock(conn, c->ticket_id, &row)) != DB_OK || !row.found ||
        row.st.stopped) {
        return st;
    }
    const notify_policy_t *pol = notify_people_policy(people, row.policy);
    if (breach) {
        /* A breach pages the policy's breach level (else the next one)
         * now, acknowledged or not. */
        if (pol) {
            int next = pol->breach_level > 0              ? pol->breach_level - 1
                       : row.st.level < (int)pol->nlevels ? row.st.level
                                                          : (int)pol->nlevels - 1;
            if (notify_escalation_jump(pol, &row.st, next, c->at_us) == 0) {
                return notifier_esc_save(conn, c->ticket_id, &row.st, NULL, NULL, c->at_us);
            }
        }
        return DB_OK;
    }
    if (strcmp(state, "acknowledged") == 0 || strcmp(state, "in_progress") == 0) {
        if (row.st.acked_at_us == 0 && pol) {
            notify_escalation_ack(pol, &row.st, c->at_us);
            if ((st = notifier_cancel(conn, c->ticket_id, "acknowledged")) != DB_OK) {
                return st;
            }
            return notifier_esc_save(conn, c->ticket_id, &row.st, c->actor, NULL, c->at_us);
        }
        return DB_OK;
    }
    if (strcmp(state, "resolved") == 0 || strcmp(state, "closed") == 0) {
        notify_escalation_stop(&row.st);
        if ((st = notifier_cancel(conn, c->ticket_id, state)) != DB_OK) {
            return st;
        }
        return notifier_esc_save(conn, c->ticket_id, &row.st, NULL, state, c->at_us);
    }
    return DB_OK;
}

/* ---- the timer ---- */

/* notifier_escalate_one - every step due for one escalation. */
static db_status_t notifier_escalate_one(PGconn *conn, const notify_people_t *people,
                                         int64_t ticket_id, int64_t now_us)
{
    notifier_esc_row_t row;
    db_status_t st = notifier_esc_lock(conn, ticket_id, &row);
    if (st != DB_OK || !row.found || row.st.stopped) {
        return st;
    }
    const notify_policy_t *pol = notify_people_policy(people, row.policy);
    if (!pol) {
        log_warn("msg=\"escalation policy gone from the people file; escalation stopped\" "
                 "ticket_id=%" PRId64 " policy=%s",
                 ticket_id, row.policy);
        notify_escalation_stop(&row.st);
        return notifier_esc_save(conn, ticket_id, &row.st, NULL, "policy removed", now_us);
    }
    char key[64];
    snprintf(key, sizeof key, "%" PRId64, ticket_id);
    PGresult *res = NULL;
    const char *params[] = {key};
    if ((st = db_exec(conn, "notifier.ticket_key",
                      "SELECT key, title, priority, state FROM tickets WHERE id = $1::bigint", 1,
                      params, &res)) != DB_OK) {
        return st;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_OK;
    }
    char tkey[64], subject[768], body[1024];
    snprintf(tkey, sizeof tkey, "%s", PQgetvalue(res, 0, 0));
    snprintf(subject, sizeof subject, "[%s] P%s %s", tkey, PQgetvalue(res, 0, 2),
             PQgetvalue(res, 0, 1));
    snprintf(body, sizeof body, "%s (P%s, %s): %s", tkey, PQgetvalue(res, 0, 2),
             PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 1));
    PQclear(res);
    for (int guard = 0; guard < 64 && st == DB_OK; guard++) {
        notify_esc_step_t step;
        notify_esc_action_t a = notify_escalation_due(pol, &row.st, now_us, &step);
        if (a == NOTIFY_ESC_NONE) {
            notify_esc_step_clear(&step);
            break;
        }
        char base[160];
        if (a == NOTIFY_ESC_PAGE) {
            snprintf(base, sizeof base, "page:%" PRId64 ":%" PRId64 ":%d:%d", ticket_id,
                     row.st.started_us, step.loop, step.level);
            for (size_t i = 0; st == DB_OK && i < step.users.n; i++) {
                st = notifier_queue(conn, "page", base, ticket_id, tkey, step.users.users[i],
                                    step.level + 1, subject, body, now_us);
            }
            char lbl[32];
            snprintf(lbl, sizeof lbl, "level=\"%d\"", step.level + 1);
            metric_inc(metrics_counter("alertdesk_notifier_escalation_levels_paged_total",
                                       "Escalation levels paged (1 = the first level)", lbl));
            log_info("msg=\"escalation level paged\" ticket=%s level=%d loop=%d users=%zu", tkey,
                     step.level + 1, step.loop, step.users.n);
        } else if (a == NOTIFY_ESC_REMIND) {
            const notify_user_t *u = notify_people_user(people, row.acked_by);
            snprintf(base, sizeof base, "remind:%" PRId64 ":%" PRId64 ":%" PRId64, ticket_id,
                     row.st.acked_at_us, now_us / 1000000);
            if (u) {
                char text[1200];
                snprintf(text, sizeof text, "Reminder: you acknowledged %s; it is still open. %s",
                         tkey, body);
                st = notifier_queue(conn, "reminder", base, ticket_id, tkey, u, row.st.level,
                                    subject, text, now_us);
            }
        } else if (a == NOTIFY_ESC_NOBODY) {
            log_warn("msg=\"escalation level resolved to nobody\" ticket=%s level=%d policy=%s",
                     tkey, step.level + 1, pol->name);
        }
        notify_esc_step_clear(&step);
    }
    if (st != DB_OK) {
        return st;
    }
    return notifier_esc_save(conn, ticket_id, &row.st, NULL, NULL, now_us);
}

db_status_t notifier_escalations_run(PGconn *conn, const notify_people_t *people, int64_t now_us,
                                     size_t limit, size_t *done)
{
    *done = 0;
    if (!people) {
        return DB_OK;
    }
    char now[24], lim[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(lim, sizeof lim, "%zu", limit);
    const char *params[] = {now, lim};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "notifier.esc_due", notifier_sql_esc_due, 2, params, &res);
    if (st != DB_OK) {
        return st;
    }
    int n = PQntuples(res);
    int64_t *ids = xcalloc((size_t)(n ? n : 1), sizeof *ids);
    for (int i = 0; i < n; i++) {
        ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
    }
    PQclear(res);
    for (int i = 0; st == DB_OK && i < n; i++) {
        st = notifier_escalate_one(conn, people, ids[i], now_us);
    }
    free(ids);
    *done = (size_t)n;
    return st;
}

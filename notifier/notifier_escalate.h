/*
 * notifier_escalate - the `tickets` stream into escalations and queued
 * notifications, and the escalation timer.
 *
 * Everything here runs inside the caller's transaction (the worker commits
 * it with its consumer offset), so each ticket change takes effect once;
 * notifications carry an idempotency key (UNIQUE), so a replay or a re-run
 * timer never queues a second copy.
 *
 *   opened                  an escalation (the people file's policy for the
 *                           ticket's queue and priority), level 0 due now;
 *   acknowledged/in_progress the escalation stops paging (reminders may
 *                           follow); queued pages are cancelled;
 *   resolved/closed         the escalation stops; queued pages cancelled;
 *   reopened                the escalation starts again from level 0;
 *   sla_breached            the next level is paged now;
 *   any state change        mail to the ticket's watchers who have e-mail
 *                           (on close with the satisfaction-survey link).
 * The timer pages the users a due level resolves to (schedules: who is on
 * call at that instant), one notification per user and contact method.
 */
#ifndef ALERTDESK_NOTIFIER_ESCALATE_H
#define ALERTDESK_NOTIFIER_ESCALATE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"
#include "notify_people.h"
#include "settings.h"
#include "ticketer_log.h"

/* Applies one ticket change. people may be NULL (nobody to page); s gives
 * the survey link for the closing mail (notifier_survey.h). */
db_status_t notifier_ticket_change(PGconn *conn, const ticket_change_t *c,
                                   const notify_people_t *people, const settings_t *s);

/* Runs the escalations due at now_us (at most limit; *done how many). */
db_status_t notifier_escalations_run(PGconn *conn, const notify_people_t *people, int64_t now_us,
                                     size_t limit, size_t *done);

#endif

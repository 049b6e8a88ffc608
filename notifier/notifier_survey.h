/*
 * notifier_survey - the satisfaction survey offered when a ticket closes:
 * the closing mail to the watchers carries a signed link; GET /survey/<token>
 * shows a small form (rating 1-5, a comment), POST stores the answer in
 * survey_answers, one per ticket (the first answer counts). The reports
 * (GET /api/v1/reports/summary) count the answers and their mean.
 *
 * The token is the acknowledge-link format (notify_token.c) under a key of
 * its own, so a survey link can never acknowledge a page nor the reverse.
 * Runs on the HTTP threads; each keeps its own PostgreSQL connection.
 */
#ifndef ALERTDESK_NOTIFIER_SURVEY_H
#define ALERTDESK_NOTIFIER_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"
#include "settings.h"

/* The survey link for ticket_id, valid 30 days from now_us, into out.
 * false (out untouched) when notifier.survey is off or there is no
 * notifier.ack_secret. */
bool notifier_survey_link(const settings_t *s, int64_t ticket_id, int64_t now_us, char *out,
                          size_t outlen);

typedef struct notifier_survey notifier_survey_t;

/* Caller owns the result; free with notifier_survey_destroy() after the
 * HTTP server stopped. */
notifier_survey_t *notifier_survey_new(const settings_t *s);
void notifier_survey_destroy(notifier_survey_t **sp);
/* GET and POST /survey/... for http_server_start; borrowed from sv. */
const http_route_t *notifier_survey_routes(notifier_survey_t *sv, size_t *n);

#endif

/*
 * test_ticket_state - the whole 6x6 transition table of ticket_state.c:
 * every allowed move, every refused one with its exact sentence, pending
 * with and without a reason, names both ways, reopen targets, and which
 * states are open and run the SLA clock.
 *
 * Does not test: what the daemon does around a move (history, SLA clocks).
 */
#include <stdio.h>
#include <string.h>

#include "ticket_state.h"
#include "unit_check.h"

#define N  TICKET_STATE_NEW
#define A  TICKET_STATE_ACKNOWLEDGED
#define IP TICKET_STATE_IN_PROGRESS
#define P  TICKET_STATE_PENDING
#define R  TICKET_STATE_RESOLVED
#define C  TICKET_STATE_CLOSED

typedef struct {
    ticket_state_t from, to;
    const char *refusal; /* NULL = allowed (with a reason given) */
} move_case_t;

/* Every one of the 36 pairs, in row order. A case fails when the table in
 * ticket_state.c allows what is refused here, refuses what is allowed, or
 * words a refusal differently. */
static const move_case_t moves[] = {
    /* from new: everything but closed (resolve first) and itself. */
    {N, N, "ticket is already new"},
    {N, A, NULL},
    {N, IP, NULL},
    {N, P, NULL},
    {N, R, NULL}, /* e.g. the incident cleared before anybody looked */
    {N, C, "cannot close a ticket that is new: resolve it first"},
    /* from acknowledged */
    {A, N,
     "cannot move a ticket that is acknowledged back to new: only a resolved or closed ticket is "
     "reopened"},
    {A, A, "ticket is already acknowledged"},
    {A, IP, NULL},
    {A, P, NULL},
    {A, R, NULL},
    {A, C, "cannot close a ticket that is acknowledged: resolve it first"},
    /* from in_progress */
    {IP, N,
     "cannot move a ticket that is in_progress back to new: only a resolved or closed ticket is "
     "reopened"},
    {IP, A, "cannot acknowledge a ticket that is in_progress: it is being worked on already"},
    {IP, IP, "ticket is already in_progress"},
    {IP, P, NULL},
    {IP, R, NULL},
    {IP, C, "cannot close a ticket that is in_progress: resolve it first"},
    /* from pending: resumes as in_progress, never acknowledged (see ticket_state.h). */
    {P, N,
     "cannot move a ticket that is pending back to new: resume it (in_progress) or resolve it"},
    {P, A, "cannot acknowledge a ticket that is pending: resume it (in_progress) instead"},
    {P, IP, NULL},
    {P, P, "ticket is already pending"},
    {P, R, NULL},
    {P, C, "cannot close a ticket that is pending: resolve it first"},
    /* from resolved: close, or reopen to new / in_progress. */
    {R, N, NULL},
    {R, A, "cannot acknowledge a ticket that is resolved: reopen it (new or in_progress) first"},
    {R, IP, NULL},
    {R, P, "cannot put a ticket that is resolved on pending: reopen it (in_progress) first"},
    {R, R, "ticket is already resolved"},
    {R, C, NULL},
    /* from closed: reopen only. */
    {C, N, NULL},
    {C, A, "cannot acknowledge a ticket that is closed: reopen it (new or in_progress) first"},
    {C, IP, NULL},
    {C, P, "cannot put a ticket that is closed on pending: reopen it (in_progress) first"},
    {C, R, "cannot resolve a ticket that is closed: reopen it (in_progress) first"},
    {C, C, "ticket is already closed"},
};

static void test_table(void)
{
    /* Fails when a pair is missing from the table above (or listed twice). */
    int seen[TICKET_STATE_COUNT][TICKET_STATE_COUNT] = {{0}};
    CHECK(sizeof moves / sizeof moves[0] == TICKET_STATE_COUNT * TICKET_STATE_COUNT,
          "the test table has %zu rows", sizeof moves / sizeof moves[0]);
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        const move_case_t *m = &moves[i];
        seen[m->from][m->to]++;
        char why[256] = "(untouched)";
        int rc = ticket_state_check(m->from, m->to, "waiting for the carrier", why, sizeof why);
        if (m->refusal) {
            CHECK(rc == -1 && strcmp(why, m->refusal) == 0, "%s -> %s: rc %d why \"%s\"",
                  ticket_state_name(m->from), ticket_state_name(m->to), rc, why);
        } else {
            CHECK(rc == 0 && why[0] == '\0', "%s -> %s refused: %s", ticket_state_name(m->from),
                  ticket_state_name(m->to), why);
        }
        /* Fails when why == NULL is not accepted (the daemon may not want the text). */
        CHECK(ticket_state_check(m->from, m->to, "x", NULL, 0) == (m->refusal ? -1 : 0),
              "%s -> %s with why NULL", ticket_state_name(m->from), ticket_state_name(m->to));
    }
    for (int f = 0; f < TICKET_STATE_COUNT; f++) {
        for (int t = 0; t < TICKET_STATE_COUNT; t++) {
            CHECK(seen[f][t] == 1, "pair %d -> %d listed %d times", f, t, seen[f][t]);
        }
    }
}

/* pending needs a non-empty reason from every state that may go pending;
 * fails when NULL, "" or blanks are accepted, or a reason is asked for
 * elsewhere. */
static void test_pending_reason(void)
{
    const ticket_state_t froms[] = {N, A, IP};
    const char *const empty[] = {NULL, "", "   ", "\t\n"};
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 4; j++) {
            char why[256] = "";
            int rc = ticket_state_check(froms[i], P, empty[j], why, sizeof why);
            CHECK(rc == -1 &&
                      strcmp(why, "pending needs a reason: say who or what the ticket waits for") ==
                          0,
                  "%s -> pending with reason %zu: rc %d why %s", ticket_state_name(froms[i]), j, rc,
                  why);
        }
        CHECK(ticket_state_check(froms[i], P, "vendor case 4711", NULL, 0) == 0,
              "%s -> pending with a reason", ticket_state_name(froms[i]));
    }
    /* A refused move says why it is refused, not that a reason is missing. */
    char why[256] = "";
    CHECK(ticket_state_check(R, P, NULL, why, sizeof why) == -1 && strstr(why, "reopen"),
          "resolved -> pending without reason: %s", why);
    /* Other moves need no reason. */
    CHECK(ticket_state_check(N, A, NULL, NULL, 0) == 0, "ack without reason");
    CHECK(ticket_state_check(R, C, "", NULL, 0) == 0, "close without reason");
}

static void test_names(void)
{
    const char *const names[] = {"new",     "acknowledged", "in_progress",
                                 "pending", "resolved",     "closed"};
    for (int i = 0; i < TICKET_STATE_COUNT; i++) {
        ticket_state_t s = (ticket_state_t)99;
        /* Fails when a name changes (it is stored in the database). */
        CHECK(strcmp(ticket_state_name((ticket_state_t)i), names[i]) == 0, "name %d: %s", i,
              ticket_state_name((ticket_state_t)i));
        CHECK(ticket_state_parse(names[i], &s) == 0 && s == (ticket_state_t)i, "parse %s",
              names[i]);
    }
    ticket_state_t s = N;
    /* Fails when parsing is loose (case, spaces, prefixes) or NULL crashes. */
    CHECK(ticket_state_parse("New", &s) == -1, "parse New");
    CHECK(ticket_state_parse("in progress", &s) == -1, "parse 'in progress'");
    CHECK(ticket_state_parse("resolve", &s) == -1, "parse resolve");
    CHECK(ticket_state_parse("", &s) == -1, "parse empty");
    CHECK(ticket_state_parse(NULL, &s) == -1, "parse NULL");
    CHECK(s == N, "out touched on failure");
    CHECK(strcmp(ticket_state_name((ticket_state_t)6), "?") == 0, "name out of range");
    char why[64] = "";
    CHECK(ticket_state_check((ticket_state_t)6, N, "x", why, sizeof why) == -1 &&
              strcmp(why, "unknown ticket state") == 0,
          "check out of range: %s", why);
}

static void test_reopen_and_predicates(void)
{
    /* Fails when an acknowledged ticket reopens as new (its owner is lost) or
     * an unacknowledged one skips new. */
    CHECK(ticket_state_reopen_target(true) == IP, "reopen acknowledged");
    CHECK(ticket_state_reopen_target(false) == N, "reopen unacknowledged");
    /* Both targets must be allowed from resolved and closed. */
    for (int b = 0; b < 2; b++) {
        ticket_state_t t = ticket_state_reopen_target(b);
        CHECK(ticket_state_check(R, t, NULL, NULL, 0) == 0, "reopen resolved -> %s",
              ticket_state_name(t));
        CHECK(ticket_state_check(C, t, NULL, NULL, 0) == 0, "reopen closed -> %s",
              ticket_state_name(t));
    }
    /* open: all but resolved and closed; clock: new, acknowledged, in_progress. */
    const bool open[] = {true, true, true, true, false, false};
    const bool clock[] = {true, true, true, false, false, false};
    for (int i = 0; i < TICKET_STATE_COUNT; i++) {
        CHECK(ticket_state_is_open((ticket_state_t)i) == open[i], "is_open %s",
              ticket_state_name((ticket_state_t)i));
        CHECK(ticket_state_clock_runs((ticket_state_t)i) == clock[i], "clock_runs %s",
              ticket_state_name((ticket_state_t)i));
    }
}

int main(void)
{
    test_table();
    test_pending_reason();
    test_names();
    test_reopen_and_predicates();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}

/*
 * ticket_routing - the routing rule file: queues, business-hours calendars,
 * SLA policies and the routes that decide, for each incident, whether it
 * gets a ticket, in which queue, at which priority and under which SLA.
 *
 * Loaded from YAML (libyaml through common/config.c) with line-precise
 * errors ("routing.yml:12: routes[2].queue: unknown queue \"NCO\" (did you
 * mean \"NOC\"?)"); every reference (queue, calendar, policy) is checked at
 * load, so a loaded set never dangles. Immutable once loaded: the daemon
 * swaps a whole set on reload. The format, every key and its default:
 * docs/TICKET_RULES.md (and the block at the top of ticket_routing.c).
 *
 * Route matchers are the correlation rules' (corr_rules.h): same syntax
 * ("labels.site = ams1", "severity =~ critical|major"), same semantics.
 *
 * Does not: touch tickets, read a clock, or do I/O besides reading the file.
 */
#ifndef ALERTDESK_TICKET_ROUTING_H
#define ALERTDESK_TICKET_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corr_rules.h"
#include "event.h"
#include "sla_calendar.h"

typedef enum {
    TICKET_LEVEL_HIGH = 1,
    TICKET_LEVEL_MEDIUM = 2,
    TICKET_LEVEL_LOW = 3
} ticket_level_t;

typedef struct {
    char *name;
    int line;
    char *key_prefix;            /* "NOC": keys NOC-1042 */
    bool auto_resolve;           /* resolve the ticket when its incident resolves */
    int64_t auto_close_after_us; /* resolved -> closed after this quiet period; 0 = never */
} ticket_queue_t;

typedef struct {
    char *name;
    int line;
    const sla_calendar_t *calendar;                               /* NULL = 24x7 */
    int64_t first_response_us, resolution_us, update_interval_us; /* 0 = none */
    int warn_permille;                                            /* default 800 */
} sla_policy_t;

typedef struct {
    char *name;
    int line;
    corr_matcher_t *matchers; /* all must match; none = every incident */
    size_t nmatchers;
    const ticket_queue_t *queue;
    ticket_level_t impact;      /* default MEDIUM */
    ticket_level_t urgency;     /* 0 = from severity (ticket_urgency_from_severity) */
    int priority;               /* 0 = impact x urgency; 1..4 fixed */
    const sla_policy_t *sla[5]; /* per priority 1..4 (index 0 unused); NULL = no SLA */
    bool open_ticket;           /* false: the incident is recorded, no ticket (e.g. info) */
} ticket_route_t;

typedef struct ticket_routing {
    char *path; /* the file loaded, for messages; "(defaults)" without one */
    ticket_queue_t *queues;
    size_t nqueues; /* at least 1: a file without queues gets the built-in NOC */
    sla_calendar_t *calendars;
    size_t ncalendars;
    sla_policy_t *policies;
    size_t npolicies;
    ticket_route_t *routes; /* in order, first match wins */
    size_t nroutes;
    ticket_route_t fallback;     /* when no route matches: the first queue, urgency from
                                    severity, impact medium, no SLA, open_ticket true */
    int64_t comment_interval_us; /* alerts joining/clearing: at most one system comment per
                                    ticket per interval; default 60s */
} ticket_routing_t;

/* Loads and validates a routing file. On error returns -1 with
 * "file:line: key: reason" in err and *out NULL. Caller owns *out; free
 * with ticket_routing_destroy(). */
int ticket_routing_load(const char *path, ticket_routing_t **out, char *err, size_t errlen);
/* The same from memory; name stands for the file in messages and in path. */
int ticket_routing_parse(const char *text, size_t len, const char *name, ticket_routing_t **out,
                         char *err, size_t errlen);
/* No file: queue NOC (auto_resolve true, auto_close 24h), no calendars, no
 * SLA policies, no routes (everything takes the fallback). Caller owns the
 * result; free with ticket_routing_destroy(). */
ticket_routing_t *ticket_routing_default(void);
/* Accepts NULL; sets *rp to NULL. */
void ticket_routing_destroy(ticket_routing_t **rp);

typedef struct {
    const ticket_route_t *route; /* the route that matched, or &r->fallback */
    const ticket_queue_t *queue;
    int priority;            /* 1..4 */
    const sla_policy_t *sla; /* NULL = no SLA */
    bool open_ticket;
} ticket_route_result_t;

/* Routes an incident, described by its cause alert as an event_t whose
 * severity is the incident's severity (matchers see source, resource,
 * check, severity, status, summary, labels.*). The pointers in *out point
 * into r and live as long as r. */
void ticket_routing_decide(const ticket_routing_t *r, const event_t *cause,
                           ticket_route_result_t *out);

/* The ITIL matrix to P1..P4: H/H=1, H/M=2, M/H=2, H/L=3, M/M=3, L/H=3,
 * M/L=4, L/M=4, L/L=4. A level outside the enum counts as LOW. */
int ticket_priority(ticket_level_t impact, ticket_level_t urgency);
/* critical, major -> HIGH; minor, warning -> MEDIUM; info and none -> LOW. */
ticket_level_t ticket_urgency_from_severity(event_severity_t s);
/* "high", "medium", "low"; "?" outside the enum. Static storage. */
const char *ticket_level_name(ticket_level_t l);

/* Look-ups by exact name; NULL when there is none. Valid while r lives. */
const ticket_queue_t *ticket_routing_queue(const ticket_routing_t *r, const char *name);
const sla_policy_t *ticket_routing_policy(const ticket_routing_t *r, const char *name);
const sla_calendar_t *ticket_routing_calendar(const ticket_routing_t *r, const char *name);

#endif

/*
 * notify_people - the people file (setting notifier.people): users and how
 * to reach them, teams, on-call schedules, escalation policies, and which
 * policy pages for which queue and priority.
 *
 * Loaded from YAML (libyaml through common/config.c) with line-precise
 * errors ("people.yml:14: schedules[0].layers[1].participants[2]: unknown
 * user \"bobb\" (did you mean \"bob\"?)"). Every reference (user, team,
 * schedule, policy) is checked at load and stored as a pointer, so a loaded
 * set never dangles. Immutable once loaded: the daemon swaps a whole set on
 * reload and any number of threads may read one. The format, every key and
 * its default: docs/PAGING.md (and the block at the top of notify_people.c).
 *
 * Does not: read a clock, page anybody, or do I/O besides reading the file.
 * Who is on call is oncall_schedule.h; the escalation timeline is
 * notify_escalation.h.
 */
#ifndef ALERTDESK_NOTIFY_PEOPLE_H
#define ALERTDESK_NOTIFY_PEOPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tz.h"

typedef enum {
    NOTIFY_CONTACT_EMAIL = 1, /* address: an e-mail address */
    NOTIFY_CONTACT_SMS,       /* address: an E.164 number, "+31612345678" */
    NOTIFY_CONTACT_WEBHOOK,   /* address: an http(s) URL (generic JSON webhook) */
    NOTIFY_CONTACT_CHAT       /* address: an http(s) URL (Slack/Mattermost incoming hook) */
} notify_contact_type_t;

typedef struct {
    notify_contact_type_t type;
    char *address;
    int line;
} notify_contact_t;

typedef struct notify_user {
    char *name; /* letters, digits, _ and -; unique */
    int line;
    char *display_name;         /* [the name] */
    char *time_zone;            /* IANA name, checked at load [UTC] */
    notify_contact_t *contacts; /* in file order (the order to try them) */
    size_t ncontacts;
} notify_user_t;

typedef struct notify_schedule notify_schedule_t;
typedef struct notify_policy notify_policy_t;

typedef struct notify_team {
    char *name;
    int line;
    const notify_user_t **members; /* point into the set */
    size_t nmembers;
    const notify_schedule_t *schedule; /* its on-call schedule; NULL = none */
    const notify_policy_t *policy;     /* its default escalation policy; NULL = none */
    char **queues;                     /* ticket queues the team works (routing fallback) */
    size_t nqueues;
} notify_team_t;

/* [start, end) minutes of a local day, 0 <= start < end <= 1440. */
typedef struct {
    int start_minute, end_minute;
} oncall_hours_t;

/* One layer of a schedule: a rotation of participants, optionally only
 * within weekly hours (in the schedule's zone). */
typedef struct {
    const notify_user_t **participants; /* in turn order; point into the set */
    size_t nparticipants;
    int64_t turn_s;           /* turn length in local seconds: 12h, 1d, 1w ... (>= 1h) */
    int64_t handoff_local_s;  /* local start of the first turn, as tz_local_seconds() counts */
    bool restricted;          /* false: the layer covers the whole week */
    oncall_hours_t *hours[7]; /* restricted: per weekday, 0 = Monday; sorted, disjoint */
    size_t nhours[7];
    int line;
} oncall_layer_t;

/* "user covers whoever is on call" over [from_us, to_us). */
typedef struct {
    const notify_user_t *user;
    int64_t from_us, to_us;
    char *comment; /* "" when none */
    int line;
} oncall_override_t;

struct notify_schedule {
    char *name;
    int line;
    char *time_zone;        /* IANA name [UTC] */
    tz_t *tz;               /* owned; NULL = UTC */
    oncall_layer_t *layers; /* in order; a later layer wins where it has someone */
    size_t nlayers;
    oncall_override_t *overrides; /* in file order; a later one wins where two overlap */
    size_t noverrides;
};

typedef enum {
    NOTIFY_TARGET_USER = 1,
    NOTIFY_TARGET_SCHEDULE, /* whoever is on call then */
    NOTIFY_TARGET_TEAM      /* its schedule's on-call user, or all members without one */
} notify_target_type_t;

typedef struct {
    notify_target_type_t type;
    const notify_user_t *user;         /* USER */
    const notify_schedule_t *schedule; /* SCHEDULE */
    const notify_team_t *team;         /* TEAM */
} notify_target_t;

typedef struct {
    int64_t delay_us; /* time its targets have to acknowledge before the next level [30m] */
    notify_target_t *targets;
    size_t ntargets;
    int line;
} notify_level_t;

struct notify_policy {
    char *name;
    int line;
    notify_level_t *levels; /* at least one */
    size_t nlevels;
    int repeat;              /* extra passes over all levels after the first [0], <= 9 */
    int64_t ack_reminder_us; /* ping the acknowledger this often while acked; 0 = never */
    int breach_level;        /* SLA breach pages this level (1-based); 0 = the next one */
};

/* routing.policies[i]: first match wins. */
typedef struct {
    char *queue;         /* exact queue name; NULL = any queue */
    unsigned priorities; /* bit p set for priority p (1..4); 0 = any priority */
    const notify_policy_t *policy;
    int line;
} notify_route_t;

typedef struct notify_people {
    char *path; /* the file loaded, for messages */
    notify_user_t *users;
    size_t nusers;
    notify_team_t *teams;
    size_t nteams;
    notify_schedule_t *schedules;
    size_t nschedules;
    notify_policy_t *policies;
    size_t npolicies;
    notify_route_t *routes;
    size_t nroutes;
} notify_people_t;

/* Loads and validates a people file. An empty file is a valid empty set.
 * On error returns -1 with "file:line: key: reason" in err and *out NULL.
 * Caller owns *out; free with notify_people_destroy(). */
int notify_people_load(const char *path, notify_people_t **out, char *err, size_t errlen);
/* The same from memory; name stands for the file in messages and in path. */
int notify_people_parse(const char *text, size_t len, const char *name, notify_people_t **out,
                        char *err, size_t errlen);
/* Accepts NULL; sets *pp to NULL. */
void notify_people_destroy(notify_people_t **pp);

/* Look-ups by exact name; NULL when there is none. Valid while p lives. */
const notify_user_t *notify_people_user(const notify_people_t *p, const char *name);
const notify_team_t *notify_people_team(const notify_people_t *p, const char *name);
const notify_schedule_t *notify_people_schedule(const notify_people_t *p, const char *name);
const notify_policy_t *notify_people_policy(const notify_people_t *p, const char *name);

/* The escalation policy for a ticket of queue and priority (1..4): the first
 * routing.policies entry that matches, else the default policy of the first
 * team that lists the queue in its queues:, else NULL (nobody is paged).
 * Valid while p lives. */
const notify_policy_t *notify_policy_for(const notify_people_t *p, const char *queue, int priority);

/* "email", "sms", "webhook", "chat"; "?" outside the enum. Static storage. */
const char *notify_contact_type_name(notify_contact_type_t t);

#endif

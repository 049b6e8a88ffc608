/*
 * corr_rules - the correlation rule file: rules, topology, maintenance
 * windows, per-source resolve timeouts, flapping and the correlation domain.
 *
 * Loaded from YAML (libyaml) with line-precise errors
 * ("rules.yml:42: group_by: unknown field \"sight\""); immutable once loaded,
 * so the engine can swap a whole rule set atomically on reload. Pure data
 * plus matching: no I/O besides reading the file.
 *
 * A field reference is one of: source, resource, check, severity, status,
 * summary, or labels.<name> (also written as a bare label name when it is not
 * one of the fields above).
 */
#ifndef ALERTDESK_CORR_RULES_H
#define ALERTDESK_CORR_RULES_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "tz.h"

typedef enum { CORR_OP_EQ = 0, CORR_OP_NE, CORR_OP_RE, CORR_OP_NRE } corr_op_t;

/* Which part of the event a field reference reads. UNSET (0) means "work it
 * out from field and label", so hand-built matchers keep working. */
typedef enum {
    CORR_FIELD_UNSET = 0,
    CORR_FIELD_LABEL,
    CORR_FIELD_SOURCE,
    CORR_FIELD_RESOURCE,
    CORR_FIELD_CHECK,
    CORR_FIELD_SEVERITY,
    CORR_FIELD_STATUS,
    CORR_FIELD_SUMMARY,
} corr_field_t;

typedef struct {
    char *field; /* as written: "resource", "labels.site" */
    char *label; /* the label name when field is a label, else NULL */
    corr_op_t op;
    char *value;
    regex_t re; /* compiled, anchored (^(value)$), when op is =~ or !~ */
    int line;
    corr_field_t fid; /* set by the loader and corr_matcher_parse(); UNSET is resolved by name */
} corr_matcher_t;

/* Where an alert that matched no rule goes. */
typedef enum {
    CORR_UNMATCHED_PER_FINGERPRINT = 0, /* an incident per alert (default) */
    CORR_UNMATCHED_PER_RESOURCE,        /* an incident per resource */
    CORR_UNMATCHED_NONE,                /* recorded, no incident */
} corr_unmatched_t;

/* What happens to a parent's incident when the parent recovers while its
 * children still fire. */
typedef enum {
    CORR_PARENT_RECOVERY_PROMOTE = 0, /* the children become the open alerts */
    CORR_PARENT_RECOVERY_SPLIT,       /* each child goes to an incident of its own */
} corr_parent_recovery_t;

typedef struct {
    char *name;
    int line;
    corr_matcher_t *matchers; /* all must match */
    size_t nmatchers;
    char **group_by; /* field references; the group key is their values */
    size_t ngroup_by;
    int64_t join_window_us;   /* a matching alert joins the group's incident if that
                                 incident had activity within this window */
    int64_t hold_down_us;     /* resolve only after the last alert stayed clear this long */
    int64_t reopen_window_us; /* a re-firing alert reopens a resolved incident within this */
    uint32_t min_alerts;      /* open the incident only once this many alerts of the
                                 group fired inside join_window (1 = at once) */
    char **group_by_label;    /* per group_by entry: the label name, or NULL for a field;
                                 pass both to corr_field_value() */
} corr_rule_t;

/* resource -> parents (router -> switch -> host is two edges). */
typedef struct {
    char *resource;
    char **parents;
    size_t nparents;
    int line;
} corr_topology_node_t;

/* A recurring maintenance window: weekly, in a time zone. */
typedef struct {
    char *name;
    int line;
    corr_matcher_t *matchers;
    size_t nmatchers;
    uint8_t days;     /* bit 0 = Monday ... bit 6 = Sunday */
    int start_minute; /* local time of day the window opens, 0..1439 */
    int duration_minutes;
    char *time_zone; /* IANA name, e.g. "Europe/Amsterdam" */
    char *comment;
    tz_t *tz; /* time_zone loaded (owned); NULL is read as UTC */
} corr_maintenance_t;

typedef struct {
    char *source;
    int64_t resolve_timeout_us; /* 0 = never auto-resolve */
} corr_source_timeout_t;

typedef struct corr_rules {
    char *path;       /* the file loaded, for messages */
    char *domain_key; /* label naming the correlation domain ("site"); "" = one domain */

    corr_rule_t *rules; /* in order: first match wins */
    size_t nrules;
    corr_unmatched_t unmatched;

    corr_topology_node_t *topology; /* sorted by resource */
    size_t ntopology;
    char *parent_label;         /* label that names a parent in events ("parent"); "" = off */
    int64_t topology_window_us; /* children first: merged if the parent fires within this */
    corr_parent_recovery_t parent_recovery;

    corr_maintenance_t *maintenance;
    size_t nmaintenance;

    uint32_t flap_changes;  /* this many state changes ... */
    int64_t flap_window_us; /* ... within this window mark an alert flapping */
    int64_t flap_settle_us; /* stable this long to stop flapping */

    int64_t resolve_timeout_us; /* default for sources not listed; 0 = never */
    corr_source_timeout_t *source_timeouts;
    size_t nsource_timeouts;
} corr_rules_t;

/* Loads and validates a rule file. On error returns -1 with
 * "file:line: key: reason" in err. Caller owns *out; free with
 * corr_rules_destroy(). */
int corr_rules_load(const char *path, corr_rules_t **out, char *err, size_t errlen);
/* Same from memory; name is used in messages. */
int corr_rules_parse(const char *text, size_t len, const char *name, corr_rules_t **out, char *err,
                     size_t errlen);
/* Rules with every default and nothing else (no file). */
corr_rules_t *corr_rules_default(void);
void corr_rules_destroy(corr_rules_t **rp);

/* The value of a field reference in an event ("" when absent). */
const char *corr_field_value(const event_t *ev, const char *field, const char *label);
/* True when every matcher matches ev. */
bool corr_matchers_match(const corr_matcher_t *m, size_t n, const event_t *ev);

/* The parents of resource from the topology file (NULL when none). */
const corr_topology_node_t *corr_topology_find(const corr_rules_t *r, const char *resource);
/* The resolve timeout for an event's source. */
int64_t corr_resolve_timeout(const corr_rules_t *r, const char *source);
/* The maintenance window that covers ev at time at_us, or NULL. */
const corr_maintenance_t *corr_maintenance_active(const corr_rules_t *r, const event_t *ev,
                                                  int64_t at_us);

/* ---- Added for the engine, silences and the CLI ------------------------- */

/* Parses one matcher "field op value" (op one of = != =~ !~; the value may be
 * "double" or 'single' quoted; a regex is POSIX extended, anchored, checked
 * here). Returns 0, or -1 with a reason (no file or line) in why; *out is then
 * left empty. On success the caller owns what *out holds; release it with
 * corr_matcher_free(). */
int corr_matcher_parse(const char *text, corr_matcher_t *out, char *why, size_t whylen);
/* Builds a matcher from its three parts (the rule file's map form). Same
 * ownership and errors as corr_matcher_parse(). */
int corr_matcher_build(const char *field, const char *op, const char *value, corr_matcher_t *out,
                       char *why, size_t whylen);
/* Releases the strings and regex inside m (not m itself) and zeroes it. */
void corr_matcher_free(corr_matcher_t *m);
/* "=", "!=", "=~", "!~". */
const char *corr_op_name(corr_op_t op);
/* Resolves a field reference ("resource", "labels.site", "site") as rule files
 * do: a bare name is a label unless it is a field, an event attribute rules
 * cannot read, or within two edits of a field name (refused as a typo).
 * *label points into text for labels, else NULL. Returns 0, or -1 with a
 * reason in why. */
int corr_field_parse(const char *text, corr_field_t *fid, const char **label, char *why,
                     size_t whylen);

/* When window w has an occurrence covering at_us, true with its real start
 * and end (microseconds, UTC; end exclusive) in *start_us and *end_us (either
 * may be NULL). Matchers are not looked at. Wall-clock rule: an occurrence
 * runs from start to start + duration in local time, each end converted like
 * tz_from_local() (a time in a DST gap moves forward, a repeated time is the
 * earlier instant). */
bool corr_maintenance_covers(const corr_maintenance_t *w, int64_t at_us, int64_t *start_us,
                             int64_t *end_us);

#endif

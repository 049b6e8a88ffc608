/*
 * severity_map - how each input format's severity names map to alertdesk's
 * five levels. One table per format, all here, so that a change of policy is
 * one line in one file and reviewers see every format side by side.
 *
 * Lookup is decode_name_lookup() in decode.c; what happens to a name that is
 * not in a table (reject or default) is each decoder's choice.
 */
#include "decode_internal.h"

/* Ours: the canonical names, nothing else (strictness helps our users). */
const decode_name_map_t severity_map_native[] = {
    {"critical", EVENT_SEVERITY_CRITICAL}, {"major", EVENT_SEVERITY_MAJOR},
    {"minor", EVENT_SEVERITY_MINOR},       {"warning", EVENT_SEVERITY_WARNING},
    {"info", EVENT_SEVERITY_INFO},         {NULL, 0},
};

/* Alertmanager has no severity of its own: this is the `severity` label,
 * whose values are a convention. These are the ones seen in common rule sets
 * (Prometheus mixins, kube-prometheus, Zabbix-style names); matched ignoring
 * case. Anything else maps to warning in decode_alertmanager.c. */
const decode_name_map_t severity_map_alertmanager[] = {
    {"critical", EVENT_SEVERITY_CRITICAL},
    {"error", EVENT_SEVERITY_MAJOR},
    {"high", EVENT_SEVERITY_MAJOR},
    {"major", EVENT_SEVERITY_MAJOR},
    {"minor", EVENT_SEVERITY_MINOR},
    {"average", EVENT_SEVERITY_MINOR},
    {"warning", EVENT_SEVERITY_WARNING},
    {"warn", EVENT_SEVERITY_WARNING},
    {"info", EVENT_SEVERITY_INFO},
    {"informational", EVENT_SEVERITY_INFO},
    {"none", EVENT_SEVERITY_INFO},
    {"low", EVENT_SEVERITY_INFO},
    {NULL, 0},
};

/* PagerDuty Events v2 payload.severity: exactly these four. */
const decode_name_map_t severity_map_pagerduty[] = {
    {"critical", EVENT_SEVERITY_CRITICAL},
    {"error", EVENT_SEVERITY_MAJOR},
    {"warning", EVENT_SEVERITY_WARNING},
    {"info", EVENT_SEVERITY_INFO},
    {NULL, 0},
};

/* Zabbix {EVENT.NSEVERITY}: Not classified, Information, Warning, Average,
 * High, Disaster. Zabbix's own PagerDuty script folds Average into warning
 * and High into error; with five levels we keep them apart. */
const event_severity_t severity_map_zabbix[6] = {
    EVENT_SEVERITY_INFO,  EVENT_SEVERITY_INFO,  EVENT_SEVERITY_WARNING,
    EVENT_SEVERITY_MINOR, EVENT_SEVERITY_MAJOR, EVENT_SEVERITY_CRITICAL,
};

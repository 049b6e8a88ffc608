#!/bin/sh
# alertdesk-notify.sh - a Nagios / Naemon / Icinga notification command that
# hands each host or service notification to alertdesk with `alertdesk send`
# (ZeroMQ to alertdesk-ingest; answered only once the event is stored).
#
# It reads the notification from environment variables, the way these
# monitoring servers pass macros to a command:
#   - Nagios, Naemon, Icinga 1: enable_environment_macros=1 gives NAGIOS_*
#     (Icinga 1 also ICINGA_*);
#   - Icinga 2: the NotificationCommand's `env` dictionary, with the plain
#     names below (see README.md in this folder).
# For each name the first set of NAGIOS_<NAME>, ICINGA_<NAME>, <NAME> wins.
#
#   NOTIFICATIONTYPE   PROBLEM | RECOVERY | ACKNOWLEDGEMENT | FLAPPINGSTART |
#                      ... (NOTIFYTYPE is accepted as well)
#   HOSTNAME           the host's name            -> resource (required)
#   SERVICEDESC        the service's name         -> check; unset or empty:
#                                                    a host notification, check "host"
#   SERVICESTATE       OK | WARNING | CRITICAL | UNKNOWN
#   HOSTSTATE          UP | DOWN | UNREACHABLE    (host notifications)
#   SERVICEOUTPUT / HOSTOUTPUT                    -> summary
#   LONGSERVICEOUTPUT / LONGHOSTOUTPUT            -> description
#   HOSTADDRESS        -> label address
#   NOTIFICATIONAUTHOR, NOTIFICATIONCOMMENT, SERVICEATTEMPT / HOSTATTEMPT
#                      -> annotations
#
# Mapping: PROBLEM -> status firing, RECOVERY (or state OK / UP) -> resolved;
# CRITICAL and DOWN -> critical, UNREACHABLE -> major, UNKNOWN -> minor,
# WARNING -> warning. Other notification types (acknowledgements, flapping,
# downtime, custom) are not state changes: they are logged on stderr and
# skipped with exit 0 - alertdesk has its own flap detection, maintenance
# windows and acknowledgements.
#
# The identity of the alert is source + resource + check + labels, so a
# RECOVERY lands on the alert its PROBLEM opened. Keep labels stable
# (no states or times in them): what changes belongs in annotations.
#
# Arguments are passed to `alertdesk send` unchanged, before the event's own:
#   alertdesk-notify.sh --config /etc/alertdesk/alertdesk.yml --label site=ams1
#   alertdesk-notify.sh --endpoint tcp://alertdesk.example:9480
# Environment: ALERTDESK (the CLI, default `alertdesk` on PATH),
# ALERTDESK_SOURCE (default nagios; say icinga if you like).
#
# Exit status: that of `alertdesk send` (0 stored, 1 rejected, 2 usage,
# 3 ingest unreachable: the monitoring server logs the failure); 0 for a
# skipped notification type; 2 when a required variable is missing.
set -u

# pick NAME - print the first non-empty of NAGIOS_NAME, ICINGA_NAME, NAME.
pick() {
    for _v in "NAGIOS_$1" "ICINGA_$1" "$1"; do
        eval "_x=\${$_v:-}"
        if [ -n "$_x" ]; then
            printf '%s' "$_x"
            return 0
        fi
    done
    return 0
}

die() {
    echo "alertdesk-notify: $*" >&2
    exit 2
}

type=$(pick NOTIFICATIONTYPE)
[ -n "$type" ] || type=$(pick NOTIFYTYPE)
type=$(printf '%s' "$type" | tr '[:lower:]' '[:upper:]')
host=$(pick HOSTNAME)
service=$(pick SERVICEDESC)
[ -n "$type" ] || die "no NOTIFICATIONTYPE (nor NAGIOS_NOTIFICATIONTYPE, NOTIFYTYPE) in the environment"
[ -n "$host" ] || die "no HOSTNAME (nor NAGIOS_HOSTNAME) in the environment"

if [ -n "$service" ]; then
    check=$service
    state=$(pick SERVICESTATE)
    output=$(pick SERVICEOUTPUT)
    long=$(pick LONGSERVICEOUTPUT)
    attempt=$(pick SERVICEATTEMPT)
else
    check=host
    state=$(pick HOSTSTATE)
    output=$(pick HOSTOUTPUT)
    long=$(pick LONGHOSTOUTPUT)
    attempt=$(pick HOSTATTEMPT)
fi
state=$(printf '%s' "$state" | tr '[:lower:]' '[:upper:]')

case "$type" in
PROBLEM) status=firing ;;
RECOVERY) status=resolved ;;
*)
    echo "alertdesk-notify: $type notification for $host${service:+/$service} skipped (not a state change)" >&2
    exit 0
    ;;
esac
case "$state" in
OK | UP) status=resolved ;;
esac

severity=""
case "$state" in
CRITICAL | DOWN) severity=critical ;;
UNREACHABLE) severity=major ;;
UNKNOWN) severity=minor ;;
WARNING) severity=warning ;;
esac

# The event's fields, after the caller's arguments (--config, --label ...).
set -- "$@" --source "${ALERTDESK_SOURCE:-nagios}" --resource "$host" --check "$check" \
    --status "$status"
[ -z "$severity" ] || set -- "$@" --severity "$severity"
[ -z "$output" ] || set -- "$@" --summary "$output"
[ -z "$long" ] || set -- "$@" --description "$long"
address=$(pick HOSTADDRESS)
[ -z "$address" ] || set -- "$@" --label "address=$address"
[ -z "$state" ] || set -- "$@" --annotation "state=$state"
set -- "$@" --annotation "notification_type=$type"
[ -z "$attempt" ] || set -- "$@" --annotation "attempt=$attempt"
author=$(pick NOTIFICATIONAUTHOR)
[ -z "$author" ] || set -- "$@" --annotation "author=$author"
comment=$(pick NOTIFICATIONCOMMENT)
[ -z "$comment" ] || set -- "$@" --annotation "comment=$comment"

exec "${ALERTDESK:-alertdesk}" send "$@"

#!/usr/bin/env bash
# test_deploy_db_role.sh - the database set-up of deploy/systemd/README.md and
# deploy/docker/: migrations run as the schema owner, then the four daemons
# log in as a separate role that is only a member of alertdesk_daemon. With
# that role ingest creates its daily events partitions (schema 0006), an
# alert becomes an incident and a ticket, the notifier starts, the retention
# function runs, and the role still cannot rewrite ticket_events.
# Fails if: any daemon hits a permission error, no partition or ticket is
# made, or the daemons' role may UPDATE ticket_events.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_ingest.sh
source "$(dirname "$0")/lib_ingest.sh"
# shellcheck source=tests/integration/lib_correlator.sh
source "$(dirname "$0")/lib_correlator.sh"
# shellcheck source=tests/integration/lib_ticketer.sh
source "$(dirname "$0")/lib_ticketer.sh"
it_require_pg
it_setup deploy_db_role

# Roles belong to the whole cluster: one fixed name, made afresh.
APP=it_deploy_app
printf 'unmatched: per_fingerprint\n' >"$IT_TMP/rules.yml"
tick_config "$IT_TMP/owner.yml" "$IT_TMP/rules.yml" ""
NP=$(it_free_port)
cat >>"$IT_TMP/owner.yml" <<YAML
notifier:
  stream: it-notifier
  http:
    listen: 127.0.0.1:$NP
  tickets: tcp://127.0.0.1:$TICK_PUB_PORT
YAML
ingest_migrate "$IT_TMP/owner.yml"
it_psql "SET client_min_messages = warning; DROP ROLE IF EXISTS $APP" \
    "CREATE ROLE $APP LOGIN IN ROLE alertdesk_daemon" >/dev/null
it_assert_eq "f|f|t" "$(it_psql "SELECT rolsuper, rolcreaterole, pg_has_role('$APP', 'alertdesk_daemon', 'MEMBER')
                                   FROM pg_roles WHERE rolname = '$APP'")" \
    "the daemons' role: no superuser, no CREATEROLE, a member of alertdesk_daemon"
it_assert_eq 0 "$(it_psql "SELECT count(*) FROM pg_tables WHERE tablename ~ '^events_[0-9]{8}$'")" \
    "no partition yet (migrations make none)"

# The same file with the daemons' login.
sed "s/^  url: \"\"\$/  url: \"user=$APP\"/" "$IT_TMP/owner.yml" >"$IT_TMP/a.yml"
grep -q "user=$APP" "$IT_TMP/a.yml" || it_fail "could not set database.url in the config"
ingest_start "$IT_TMP/a.yml"
corr_start "$IT_TMP/a.yml"
tick_start "$IT_TMP/a.yml"
it_bg notifier "$BIN/notifier/alertdesk-notifier" --config "$IT_TMP/a.yml"
it_wait_http "http://127.0.0.1:$NP/healthz" 30

parts() { [[ "$(it_psql "SELECT count(*) FROM pg_tables WHERE tablename ~ '^events_[0-9]{8}\$'")" -ge 1 ]]; }
it_wait_until 10 parts || it_fail "ingest, as $APP, created no events partition"
it_assert_eq "$(it_psql 'SELECT current_user')" \
    "$(it_psql "SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class WHERE relname ~ '^events_[0-9]{8}\$'")" \
    "the partitions were made through the owner's function (owned by the schema owner, not $APP)"
echo "ok - ingest as $APP made the day's partitions"

printf '{"source":"it","resource":"core-sw1","check":"ifDown","severity":"critical"}' >"$IT_TMP/ev.json"
out=$(post /api/v1/events "$IT_TMP/ev.json")
[[ "$out" == 202* ]] || it_fail "ingest (as $APP) refused: $out"
corr_wait_applied 30
tick_wait_applied 30
it_assert_eq "1|1" "$(it_psql "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM tickets)")" \
    "the alert became an incident and a ticket with every daemon as $APP"
it_assert_eq t "$(it_psql "SELECT count(*) > 0 FROM events WHERE tableoid::regclass::text <> 'events_default'")" \
    "the event landed in its day's partition, not events_default"

out=$(it_psql "SET ROLE $APP; SELECT alertdesk_events_drop_older_than('14 days')" 2>&1) ||
    it_fail "the retention function refused $APP: $out"
echo "ok - $APP may run the retention function"
out=$(it_psql "SET ROLE $APP; UPDATE ticket_events SET actor = 'mallory'" 2>&1 || true)
it_assert_match 'permission denied' "$out" "$APP still cannot rewrite ticket_events"

for d in ingest correlator ticketer notifier; do
    if grep -E 'permission denied|sqlstate=42501' "$IT_TMP/$d.log" >/dev/null; then
        it_fail "$d hit a permission error as $APP: $(grep -m 1 -E 'permission denied|42501' "$IT_TMP/$d.log")"
    fi
done
echo "ok - no daemon logged a permission error"

for d in notifier ticketer correlator ingest; do it_stop "$d"; done
it_psql "SET client_min_messages = warning; DROP ROLE $APP" >/dev/null || it_log "could not drop role $APP"
it_pass "migrations as the owner, all four daemons as a member of alertdesk_daemon"

#!/bin/sh
# Run once by the postgres image on a fresh volume (docker-entrypoint-initdb.d),
# as POSTGRES_USER (the schema owner, who runs `alertdesk migrate`).
# Creates the daemons' login role as a member of alertdesk_daemon, the role
# deploy/schema/0004_tickets.sql grants table rights to (read and write
# everything, append-only ticket_events). Creating alertdesk_daemon here,
# before the migrations, is what 0004 expects: it only adds grants.
set -eu
: "${ALERTDESK_DAEMON_PASSWORD:?set ALERTDESK_DAEMON_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v pw="$ALERTDESK_DAEMON_PASSWORD" <<'SQL'
CREATE ROLE alertdesk_daemon NOLOGIN;
CREATE ROLE alertdesk_app LOGIN PASSWORD :'pw' IN ROLE alertdesk_daemon;
SQL

# shellcheck shell=bash
# tests/integration/lib_ingest.sh - starting alertdesk-ingest in a test.
# Source after lib.sh and it_setup. Functions:
#   ingest_config FILE [EXTRA_YAML]
#                      writes an ingest config on free ports into FILE: auth
#                      on with token $INGEST_TOKEN (role ingest), integration
#                      "core" with routing key $ROUTING_KEY and label team=noc.
#                      Sets HTTP_PORT, ZMQ_PORT, PUB_PORT, INGEST_URL. EXTRA_YAML
#                      is appended (top-level keys not already written).
#   ingest_migrate FILE  runs `alertdesk migrate` against the test database.
#   ingest_start FILE    starts alertdesk-ingest (it_bg name "ingest") and waits
#                      for /healthz.
#   post PATH BODY_FILE [TOKEN]
#                      POSTs BODY_FILE to ingest; prints "STATUS BODY".
#   it_private_pg NAME starts a PostgreSQL of the test's own (for tests that stop
#                      it) on a free port as a non-root user; exports PGHOST,
#                      PGPORT, PGDATABASE=postgres; sets PRIVATE_PG_DATA and
#                      defines pg_private_ctl start|stop.

INGEST_TOKEN=test-ingest-token-0123456789
ROUTING_KEY=0123456789abcdef0123456789abcdef

ingest_config() {
    local file=$1 extra=${2:-}
    HTTP_PORT=$(it_free_port)
    ZMQ_PORT=$(it_free_port)
    PUB_PORT=$(it_free_port)
    INGEST_URL="http://127.0.0.1:$HTTP_PORT"
    cat >"$file" <<YAML
database:
  url: ""
  retry_max: 500ms
ingest:
  stream: it-ingest
  http:
    listen: 127.0.0.1:$HTTP_PORT
  zmq:
    listen: tcp://127.0.0.1:$ZMQ_PORT
  publish: tcp://127.0.0.1:$PUB_PORT
  heartbeat_interval: 200ms
auth:
  required: true
  tokens:
    - name: it
      role: ingest
      token: $INGEST_TOKEN
integrations:
  - name: core
    routing_key: $ROUTING_KEY
    labels:
      team: noc
YAML
    if [[ -n "$extra" ]]; then
        printf '%s\n' "$extra" >>"$file"
    fi
}

ingest_migrate() {
    "$BIN/cli/alertdesk" migrate --config "$1" >"$IT_TMP/migrate.log" 2>&1 ||
        it_fail "migrate failed: $(cat "$IT_TMP/migrate.log")"
}

ingest_start() {
    it_bg ingest "$BIN/ingest/alertdesk-ingest" --config "$1"
    it_wait_http "$INGEST_URL/healthz" 30
}

post() {
    local path=$1 body=$2 token=${3-$INGEST_TOKEN} out
    out=$(curl -s -o "$IT_TMP/post.out" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} \
        --data-binary "@$body" "$INGEST_URL$path")
    printf '%s %s\n' "$out" "$(cat "$IT_TMP/post.out")"
}

it_private_pg() {
    local name=$1 bin user=alertdesk-test
    bin=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' | sort -V | tail -n 1)
    PRIVATE_PG_BIN=$(dirname "$bin")
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user" 2>/dev/null ||
        user=postgres
    # The harness database made by it_setup is not used by this test.
    if [[ -n "$IT_DATABASE" ]]; then
        dropdb --if-exists "$IT_DATABASE" >/dev/null 2>&1 || true
        IT_DATABASE=""
    fi
    PRIVATE_PG_DIR="$IT_TMP/pg-$name"
    mkdir -p "$PRIVATE_PG_DIR"
    chmod 755 "$IT_TMP"
    PRIVATE_PG_RUN=()
    if [[ $(id -u) -eq 0 ]]; then
        chown "$user" "$PRIVATE_PG_DIR"
        PRIVATE_PG_RUN=(runuser -u "$user" --)
    fi
    PRIVATE_PG_DATA="$PRIVATE_PG_DIR/data"
    PRIVATE_PG_PORT=$(it_free_port)
    (cd "$PRIVATE_PG_DIR" && "${PRIVATE_PG_RUN[@]}" "$PRIVATE_PG_BIN/initdb" -D "$PRIVATE_PG_DATA" \
        -U alertdesk --auth=trust --no-sync >"$IT_TMP/initdb-$name.log" 2>&1) ||
        it_fail "initdb failed: $(tail -n 5 "$IT_TMP/initdb-$name.log")"
    export PGHOST=$PRIVATE_PG_DIR PGPORT=$PRIVATE_PG_PORT PGDATABASE=postgres PGUSER=alertdesk
    pg_private_ctl start
}

# pg_private_ctl start|stop - the private server runs in the foreground under
# it_bg (name "privatepg"), so the test's cleanup stops it whatever happens.
pg_private_ctl() {
    case $1 in
    start)
        it_bg privatepg "${PRIVATE_PG_RUN[@]}" "$PRIVATE_PG_BIN/postgres" -D "$PRIVATE_PG_DATA" \
            -k "$PRIVATE_PG_DIR" -p "$PRIVATE_PG_PORT" -c listen_addresses=
        it_wait_until 30 pg_isready -q -h "$PRIVATE_PG_DIR" -p "$PRIVATE_PG_PORT" ||
            it_fail "private postgres did not start"
        ;;
    stop)
        # SIGINT to the postmaster alone is PostgreSQL's fast shutdown:
        # clients are cut off, as when the server goes away under a daemon.
        # (Signalling runuser instead makes it SIGKILL the server mid-way.)
        local pm
        pm=$(head -n 1 "$PRIVATE_PG_DATA/postmaster.pid" 2>/dev/null || true)
        [[ -n "$pm" ]] && kill -INT "$pm" 2>/dev/null
        it_wait_until 30 bash -c "[[ ! -e '$PRIVATE_PG_DATA/postmaster.pid' ]]" ||
            it_fail "private postgres did not stop"
        it_stop privatepg
        ;;
    esac
}

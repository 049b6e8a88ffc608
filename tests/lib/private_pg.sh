# shellcheck shell=bash
# tests/lib/private_pg.sh - a private, durable PostgreSQL for one run, shared
# by tests/run.sh and the benchmarks in tests/bench/ (source it).
#
#   free_port                print a TCP port on 127.0.0.1 that nothing uses
#                            (below the ephemeral range, never twice per run)
#   pg_private_start ROOT WHO
#                            initdb in ROOT/data as a non-root user (initdb
#                            refuses root), fsync and synchronous_commit on,
#                            socket in ROOT, a free port on 127.0.0.1; WHO
#                            names the caller in postgresql.conf. Sets PG_BIN,
#                            PGRUN, PG_DATA, PG_PORT; exports PGHOST PGPORT
#                            PGUSER=alertdesk PGDATABASE=postgres. Returns
#                            non-zero (having printed the server's log) on
#                            failure; the caller decides whether that is fatal.
#   pg_private_stop          fast shutdown; a postmaster that will not stop is
#                            killed, so it never outlives the run.
# Uses PG_BIN (default /usr/lib/postgresql/15/bin, else the newest installed)
# and PG_OS_USER (default alertdesk-test).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OS_USER=${PG_OS_USER:-alertdesk-test}
PGRUN=() # prefix that runs a command as the PostgreSQL OS user
PG_DATA=""
PG_PORT=""
PG_ROOT=""
PG_USED_PORTS=" "

free_port() {
    local port _
    for _ in $(seq 1 500); do
        port=$((20000 + RANDOM % 12000))
        [[ "$PG_USED_PORTS" == *" $port "* ]] && continue
        ss -Htan "sport = :$port" 2>/dev/null | grep -q . && continue
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        PG_USED_PORTS+="$port "
        echo "$port"
        return 0
    done
    return 1
}

pg_private_start() {
    local root=$1 who=$2 alt port _
    if [[ ! -x "$PG_BIN/initdb" ]]; then
        # Another major version than the default is fine.
        alt=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)
        [[ -n "$alt" ]] || { echo "no initdb under /usr/lib/postgresql" >&2; return 1; }
        PG_BIN=$(dirname "$alt")
    fi
    PG_ROOT=$root
    mkdir -p "$root"
    if ((EUID == 0)); then
        if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$PG_OS_USER"
        fi
        chown "$PG_OS_USER:" "$root"
        PGRUN=(runuser -u "$PG_OS_USER" --)
    fi
    chmod 0755 "$root"
    PG_DATA=$root/data
    port=$(free_port) || { echo "no free port" >&2; return 1; }
    # initdb --no-sync only skips syncing the fresh cluster's files once; the
    # server itself runs with fsync on, as durability tests and benchmarks need.
    if ! (cd "$root" && "${PGRUN[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U alertdesk \
        --auth=trust -E UTF8 --no-locale --no-sync --no-instructions) \
        >"$root/initdb.log" 2>&1; then
        cat "$root/initdb.log" >&2
        return 1
    fi
    cat >>"$PG_DATA/postgresql.conf" <<CONF

# $who: a private server for this run.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$root'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
CONF
    if ! (cd "$root" && "${PGRUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" \
        -l "$root/postgres.log" -w -t 60 start) >/dev/null 2>&1 9>&-; then
        tail -n 30 "$root/postgres.log" >&2 || true
        return 1
    fi
    for _ in $(seq 1 100); do
        if "$PG_BIN/pg_isready" -q -h "$root" -p "$port"; then
            export PGHOST=$root PGPORT=$port PGUSER=alertdesk PGDATABASE=postgres
            PG_PORT=$port
            return 0
        fi
        sleep 0.1
    done
    echo "postgres not ready after 10 s" >&2
    return 1
}

pg_private_stop() {
    [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]] || return 0
    if ! (cd "$PG_ROOT" && "${PGRUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop) \
        >/dev/null 2>&1; then
        local pid
        pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
        if [[ "$pid" =~ ^[0-9]+$ ]]; then
            echo "!! pg_ctl stop failed; killing postmaster $pid" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}

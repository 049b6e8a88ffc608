#!/usr/bin/env bash
# test_deploy_files.sh - deploy/systemd/ and deploy/docker/ cannot be run
# here (no systemd as init, no container registry), so they are kept
# consistent by parsing them (bash and awk only) against each other, the
# build and the settings table:
#   - every daemon the build makes (alertdesk-*) has a unit and a compose
#     service, and nothing else does; both run the same binary with the same
#     config path /etc/alertdesk/alertdesk.yml;
#   - each unit has Type=simple, User=alertdesk, ExecReload with SIGHUP,
#     Restart=on-failure, LimitNOFILE, Wants=/After= postgresql.service and
#     the hardening options; `systemd-analyze verify` accepts it (with the
#     built binary in ExecStart) and prints nothing, when systemd-analyze
#     exists;
#   - the ports compose publishes, deploy/docker/alertdesk.yml listens on
#     and the Dockerfile EXPOSEs are the defaults of `alertdesk config print`;
#   - every ExecStart binary is a build target, built and installed by the
#     Dockerfile; the Dockerfile's runtime packages hold every shared library
#     the built binaries need (readelf NEEDED -> dpkg -S);
#   - deploy/alertdesk.example.yml and deploy/docker/alertdesk.yml pass each
#     daemon's --check-config (with the example rule files), and the
#     example's pid files are in the units' RuntimeDirectory.
# Fails if: any of those disagree. Needs no PostgreSQL; about 2 s.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_setup deploy_files

UNITS=$SRC/deploy/systemd
DOCKER=$SRC/deploy/docker
COMPOSE=$DOCKER/docker-compose.yml
DOCKERFILE=$DOCKER/Dockerfile
CONFIG=/etc/alertdesk/alertdesk.yml
CLI=$BIN/cli/alertdesk
[[ -x "$CLI" ]] || it_fail "no $CLI: build first"
# The secrets the example configs name as env:NAME.
export DATABASE_URL=postgresql://x@127.0.0.1/x ALERTDESK_TOKEN=it-token-0123456789abcdef \
    ALERTDESK_ADMIN_TOKEN=it-admin-0123456789abcdef ALERTDESK_AGENT_TOKEN=it-agent-0123456789abcdef \
    ALERTDESK_ROUTING_KEY=0123456789abcdef0123456789abcdef ALERTDESK_ACK_SECRET=it-ack-0123456789abcdef

# ---- the daemons, from the build ------------------------------------------
mapfile -t TARGETS < <(cmake --build "$BIN" --target help 2>/dev/null | sed -n 's/^\.\.\. \(alertdesk[a-z-]*\).*/\1/p' | sort -u)
((${#TARGETS[@]} > 0)) || it_fail "cmake --build $BIN --target help listed no alertdesk targets"
DAEMONS=()
for t in "${TARGETS[@]}"; do
    [[ "$t" == alertdesk-* ]] && DAEMONS+=("${t#alertdesk-}")
done
it_assert_eq "correlator ingest notifier ticketer" "${DAEMONS[*]}" "the build makes four daemons"

# ---- systemd units ----------------------------------------------------------
# unit_get FILE KEY - every value of KEY= in FILE, one a line (comments skipped).
unit_get() { awk -v k="$2" -F= '/^[ \t]*#/ { next } $1 == k { sub(/^[^=]*=/, ""); print }' "$1"; }

mapfile -t UNIT_NAMES < <(for f in "$UNITS"/alertdesk-*.service; do basename "$f" .service; done |
    sed 's/^alertdesk-//' | sort)
it_assert_eq "${DAEMONS[*]}" "${UNIT_NAMES[*]}" "one unit per daemon, and no other"

HARDENING=(NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes
    ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" SystemCallFilter=@system-service CapabilityBoundingSet=
    MemoryDenyWriteExecute=yes RestrictSUIDSGID=yes)
declare -A UNIT_EXEC=()
for d in "${DAEMONS[@]}"; do
    f=$UNITS/alertdesk-$d.service
    exec=$(unit_get "$f" ExecStart)
    it_assert_eq "/usr/local/bin/alertdesk-$d --config $CONFIG" "$exec" "unit $d: ExecStart"
    UNIT_EXEC[$d]=$exec
    it_assert_eq "simple|alertdesk|/bin/kill -HUP \$MAINPID|on-failure" \
        "$(unit_get "$f" Type)|$(unit_get "$f" User)|$(unit_get "$f" ExecReload)|$(unit_get "$f" Restart)" \
        "unit $d: Type, User, ExecReload (SIGHUP), Restart"
    it_assert_match '^[0-9]+$' "$(unit_get "$f" LimitNOFILE)" "unit $d: LimitNOFILE"
    it_assert_match 'postgresql\.service' "$(unit_get "$f" Wants)" "unit $d: Wants= postgresql"
    it_assert_match 'postgresql\.service' "$(unit_get "$f" After)" "unit $d: After= postgresql"
    for h in "${HARDENING[@]}"; do
        unit_get "$f" "${h%%=*}" | grep -qxF -- "${h#*=}" || it_fail "unit $d: no $h"
    done
    echo "ok - unit $d: the ${#HARDENING[@]} hardening options"
    # ProtectSystem=strict: the only writable place is the RuntimeDirectory,
    # which must hold the example config's pid file.
    pid=$("$CLI" config print --config "$SRC/deploy/alertdesk.example.yml" |
        awk -v d="$d" '/^[a-z]/ { sec = $1 } sec == d ":" && $1 == "pid_file:" { gsub(/"/, "", $2); print $2 }')
    rt=$(unit_get "$f" RuntimeDirectory)
    if [[ -n "$pid" ]]; then
        it_assert_eq "/run/$rt" "$(dirname "$pid")" "unit $d: the example's pid_file is in its RuntimeDirectory"
    fi
done

if command -v systemd-analyze >/dev/null; then
    # verify needs ExecStart to exist: the copies run the built binaries.
    mkdir -p "$IT_TMP/units"
    for d in "${DAEMONS[@]}"; do
        sed "s|/usr/local/bin/alertdesk-$d|$BIN/$d/alertdesk-$d|g" "$UNITS/alertdesk-$d.service" \
            >"$IT_TMP/units/alertdesk-$d.service"
    done
    out=$(cd "$IT_TMP/units" && systemd-analyze verify ./alertdesk-*.service 2>&1) ||
        it_fail "systemd-analyze verify failed: $out"
    [[ -z "$out" ]] || it_fail "systemd-analyze verify warned: $out"
    echo "ok - systemd-analyze verify: the four units, no warning"
else
    it_log "no systemd-analyze: the units are NOT verified by systemd (only parsed here)"
fi

# ---- docker-compose.yml ------------------------------------------------------
# compose_services - the top-level services' names.
compose_services() { awk '/^services:/ { on = 1; next } /^[a-z]/ { on = 0 } on && /^  [a-z][a-z0-9_-]*:$/ { sub(/:$/, ""); print $1 }' "$COMPOSE"; }
# compose_field SERVICE FIELD - the lines of FIELD's block (or its inline value) in SERVICE.
compose_field() {
    awk -v s="  $1:" -v fld="    $2:" '
        $0 == s { on = 1; next }
        on && /^  [a-z]/ { on = 0 }
        on && index($0, fld) == 1 { inf = 1; v = substr($0, length(fld) + 1); if (v ~ /[^ ]/) print v; next }
        inf && /^      / { print; next }
        inf { inf = 0 }' "$COMPOSE"
}
mapfile -t SERVICES < <(compose_services | sort)
it_assert_eq "correlator ingest migrate notifier postgres ticketer" "${SERVICES[*]}" \
    "compose: postgres, the migrate job and one service per daemon"
grep -q "^      - ./alertdesk.yml:$CONFIG:ro\$" "$COMPOSE" || it_fail "compose mounts no ./alertdesk.yml at $CONFIG"
echo "ok - compose mounts the config at $CONFIG"
it_assert_eq "[\"alertdesk\", \"migrate\", \"--config\", \"$CONFIG\"]" "$(compose_field migrate command | sed 's/^ *//')" \
    "compose: the migrate job runs alertdesk migrate with the same config"

# Default ports, from the settings table: "daemon port..." per line.
"$CLI" config print >"$IT_TMP/defaults.yml"
# flat FILE - "a.b.c value" for every scalar of a printed config.
flat() {
    awk '/^ *#/ || !/:/ { next }
         { match($0, /^ */); depth = RLENGTH / 2; line = substr($0, RLENGTH + 1)
           key = line; sub(/:.*/, "", key); val = line; sub(/^[^:]*: */, "", val)
           path[depth] = key; p = path[0]; for (i = 1; i <= depth; i++) p = p "." path[i]
           if (val != "") { gsub(/"/, "", val); print p, val } }' "$1"
}
port_of() { flat "$1" | awk -v k="$2" '$1 == k { n = split($2, a, ":"); print a[n] }'; }
declare -A WANT_PORTS=(
    [ingest]="$(port_of "$IT_TMP/defaults.yml" ingest.http.listen) $(port_of "$IT_TMP/defaults.yml" ingest.zmq.listen)"
    [correlator]=$(port_of "$IT_TMP/defaults.yml" correlator.http.listen)
    [ticketer]=$(port_of "$IT_TMP/defaults.yml" ticketer.http.listen)
    [notifier]=$(port_of "$IT_TMP/defaults.yml" notifier.http.listen)
)
it_assert_eq "9470 9480|9471|9472|9473" \
    "${WANT_PORTS[ingest]}|${WANT_PORTS[correlator]}|${WANT_PORTS[ticketer]}|${WANT_PORTS[notifier]}" \
    "the defaults of alertdesk config print (README's ports)"

# The docker config, with the example files where the image has them.
sed "s|/usr/local/share/alertdesk/examples/|$SRC/deploy/examples/|" "$DOCKER/alertdesk.yml" >"$IT_TMP/docker.yml"
sed "s|/etc/alertdesk/|$SRC/deploy/examples/|" "$SRC/deploy/alertdesk.example.yml" >"$IT_TMP/example.yml"
"$CLI" config print --config "$IT_TMP/docker.yml" >"$IT_TMP/docker-effective.yml" ||
    it_fail "alertdesk config print refused deploy/docker/alertdesk.yml"

ALL_PORTS=()
for d in "${DAEMONS[@]}"; do
    cmd=$(compose_field "$d" command | sed 's/^ *//')
    it_assert_eq "[\"alertdesk-$d\", \"--config\", \"$CONFIG\"]" "$cmd" "compose $d: the unit's binary and config path"
    [[ "$(tr -d '[]",' <<<"$cmd")" == "$(basename "${UNIT_EXEC[$d]%% *}") ${UNIT_EXEC[$d]#* }" ]] ||
        it_fail "compose $d runs '$cmd', the unit '${UNIT_EXEC[$d]}'"
    published=$(compose_field "$d" ports | sed -n 's/^ *- "\([0-9]*\):\([0-9]*\)".*/\1:\2/p' | tr '\n' ' ' | sed 's/ $//')
    want=""
    for p in ${WANT_PORTS[$d]}; do want+="$p:$p "; done
    it_assert_eq "${want% }" "$published" "compose $d publishes its default ports, host = container"
    listens=""
    for k in http.listen zmq.listen; do
        p=$(port_of "$IT_TMP/docker-effective.yml" "$d.$k")
        [[ -z "$p" ]] || listens+="$p "
    done
    it_assert_eq "${WANT_PORTS[$d]}" "${listens% }" "docker/alertdesk.yml: $d listens on the default ports"
    read -ra ports <<<"${WANT_PORTS[$d]}"
    ALL_PORTS+=("${ports[@]}")
    for cfg in example docker; do
        out=$("$BIN/$d/alertdesk-$d" --config "$IT_TMP/$cfg.yml" --check-config 2>&1) ||
            it_fail "alertdesk-$d --check-config refused the $cfg config: $out"
    done
    echo "ok - alertdesk-$d --check-config accepts deploy/alertdesk.example.yml and deploy/docker/alertdesk.yml"
done
# The daemons reach each other by service name on the default PUB ports.
it_assert_eq "tcp://ingest:$(port_of "$IT_TMP/defaults.yml" ingest.publish)|tcp://correlator:$(port_of "$IT_TMP/defaults.yml" correlator.publish)|tcp://ticketer:$(port_of "$IT_TMP/defaults.yml" ticketer.publish)" \
    "$(flat "$IT_TMP/docker-effective.yml" | awk '$1 == "correlator.events" || $1 == "ticketer.incidents" || $1 == "notifier.tickets" { print $2 }' | tr '\n' '|' | sed 's/|$//')" \
    "docker/alertdesk.yml: each daemon subscribes to the one before it by service name"

# ---- Dockerfile --------------------------------------------------------------
expose=$(awk '$1 == "EXPOSE" { $1 = ""; print }' "$DOCKERFILE" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//')
it_assert_eq "$(printf '%s\n' "${ALL_PORTS[@]}" | sort -n | tr '\n' ' ' | sed 's/ $//')" "$expose" \
    "Dockerfile EXPOSEs the published ports"
# Continuation lines joined, so a RUN is one line.
awk '{ if (sub(/\\$/, "")) { buf = buf $0 } else { print buf $0; buf = "" } }' "$DOCKERFILE" >"$IT_TMP/Dockerfile.joined"
build_targets=$(sed -n 's/.*--target \([a-z -]*\).*/\1/p' "$IT_TMP/Dockerfile.joined" | head -n 1)
for d in "${DAEMONS[@]}" ""; do
    t=alertdesk${d:+-$d}
    [[ " ${TARGETS[*]} " == *" $t "* ]] || it_fail "$t is not a target of the build"
    [[ " $build_targets " == *" $t "* ]] || it_fail "the Dockerfile does not build $t (--target $build_targets)"
    dir=${d:-cli}
    grep -q "/build/$dir/$t " "$IT_TMP/Dockerfile.joined" || it_fail "the Dockerfile does not install /build/$dir/$t"
    [[ -x "$BIN/$dir/$t" ]] || it_fail "the build has no $BIN/$dir/$t"
done
echo "ok - every ExecStart binary and the CLI are build targets, built and installed by the Dockerfile"

runtime=$(awk '/^FROM/ { stage++ } stage == 2' "$IT_TMP/Dockerfile.joined" |
    sed -n 's/.*apt-get install -y --no-install-recommends \([^&]*\)&&.*/\1/p')
[[ -n "$runtime" ]] || it_fail "no apt-get install in the Dockerfile's runtime stage"
if command -v dpkg >/dev/null && command -v readelf >/dev/null; then
    for d in "${DAEMONS[@]}" ""; do
        t=alertdesk${d:+-$d}
        dir=${d:-cli}
        for lib in $(readelf -d "$BIN/$dir/$t" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
            path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found { print $NF; found = 1 }')
            [[ -n "$path" ]] || it_fail "$t needs $lib, which ldconfig does not know"
            # The file's own package (the real file: usrmerge puts links in /lib).
            pkg=$( (dpkg -S "$(readlink -f "$path")" || dpkg -S "$path") 2>/dev/null | awk -F: 'NR == 1 { print $1 }')
            case "$pkg" in
            libc6 | libgcc-s1 | libasan* | libubsan*) continue ;; # the base image / sanitizer builds only
            esac
            [[ " $runtime " == *" $pkg "* ]] || it_fail "$t needs $lib from $pkg, not installed by the Dockerfile's runtime stage ($runtime)"
        done
    done
    echo "ok - the Dockerfile's runtime packages hold every library the binaries need"
else
    it_log "no dpkg/readelf: the Dockerfile's runtime packages are NOT checked against the binaries"
fi

it_pass "systemd units, docker-compose.yml, Dockerfile and the example configs agree with each other and the build"

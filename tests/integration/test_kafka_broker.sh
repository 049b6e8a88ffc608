#!/usr/bin/env bash
# test_kafka_broker.sh - proves that tests/tools/kafka_broker is a Kafka
# broker that real clients (kcat) can use: metadata, produce, consume, its
# control channel (a broker down and up, leadership moved, injected errors),
# and a clean exit 0 on SIGTERM within 5 s. It starts its own broker, not the
# harness's, so it needs neither PostgreSQL nor KAFKA_BOOTSTRAP.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

if ! command -v kcat >/dev/null; then
    echo "SKIP: test_kafka_broker needs kcat"
    exit 77
fi
it_setup kafka_broker

BROKER=$BIN/tests/tools/kafka_broker
[[ -x "$BROKER" ]] || it_fail "$BROKER not built (cmake --build ... --target kafka_broker)"
CTL=$IT_TMP/ctl.sock

# ctl CMD - send one control command; prints the reply, fails on "error ...".
ctl() {
    "$BROKER" --control "$CTL" --send "$*"
}

# kc ARGS... - kcat against our broker, never hanging the test.
kc() {
    timeout 30 kcat -b "$BOOTSTRAP" "$@"
}

# leader_of TOPIC PARTITION - the broker id leading it, from kcat's metadata.
leader_of() {
    kc -L -J -t "$1" | jq -r --arg t "$1" --argjson p "$2" \
        '.topics[] | select(.topic == $t) | .partitions[] | select(.partition == $p) | .leader'
}

# consume_partition TOPIC PARTITION - every message of it, one per line.
consume_partition() {
    kc -C -t "$1" -p "$2" -o beginning -e -q
}

# --- start ------------------------------------------------------------------
it_bg broker "$BROKER" --brokers 3 --topic t1:3 --control "$CTL"
it_wait_until 10 grep -q '^bootstrap=' "$IT_TMP/broker.log" ||
    it_fail "no bootstrap= line within 10 s: the broker did not start"
it_assert_eq 1 "$(grep -c '^bootstrap=' "$IT_TMP/broker.log")" \
    "exactly one bootstrap line (a second one would confuse the harness)"
BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$IT_TMP/broker.log")
it_assert_match '^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' "$BOOTSTRAP" \
    "bootstrap lists 3 brokers (fails if --brokers is ignored)"
[[ -S "$CTL" ]] || it_fail "control socket $CTL was not created"

# --- metadata ---------------------------------------------------------------
meta=$(kc -L -J)
it_assert_eq 3 "$(jq '.brokers | length' <<<"$meta")" "kcat -L sees 3 brokers"
it_assert_eq 3 "$(jq '.topics[] | select(.topic == "t1") | .partitions | length' <<<"$meta")" \
    "topic t1 was created with 3 partitions (fails if --topic NAME:P is ignored)"
it_assert_eq 3 "$(jq '[.topics[] | select(.topic == "t1") | .partitions[0].replicas[]] | length' \
    <<<"$meta")" "replication factor defaults to min(brokers, 3)"

# --- produce 100, consume 100 -----------------------------------------------
seq -f 'msg-%03g' 1 100 >"$IT_TMP/produced"
kc -P -t t1 <"$IT_TMP/produced" || it_fail "kcat could not produce 100 messages to t1"
kc -C -t t1 -o beginning -e -q | sort >"$IT_TMP/consumed"
it_assert_eq 100 "$(wc -l <"$IT_TMP/consumed")" "100 messages consumed back (fails on loss)"
cmp -s "$IT_TMP/produced" "$IT_TMP/consumed" ||
    it_fail "consumed messages differ from the produced ones: $(diff "$IT_TMP/produced" "$IT_TMP/consumed" | head -5)"
echo "ok - consumed contents equal the produced ones"

# --- control channel: errors are reported -----------------------------------
it_assert_eq "ok ping" "$(ctl ping)" "control socket answers ping"
if reply=$(ctl bogus 42); then
    it_fail "an unknown command was acknowledged as ok: $reply"
fi
it_assert_match '^error bogus 42: ' "$reply" "an unknown command gets an error reply"
if reply=$(ctl down 7); then
    it_fail "down 7 on a 3-broker cluster was acknowledged: $reply"
fi
echo "ok - down of a broker that does not exist is refused"

# --- a broker down: the cluster still serves --------------------------------
it_assert_eq "ok down 2" "$(ctl down 2)" "broker 2 taken down"
# The mock never elects a new leader: partitions broker 2 leads stay
# unavailable until the test moves them (as a real cluster's election would).
for p in 0 1 2; do
    if [[ "$(leader_of t1 "$p")" == 2 ]]; then
        it_assert_eq "ok leader t1 $p 1" "$(ctl leader t1 "$p" 1)" "leadership of t1/$p moved off broker 2"
    fi
done
meta=$(kc -L -J) || it_fail "metadata request failed while broker 2 is down"
it_assert_eq 0 "$(jq '[.topics[] | select(.topic == "t1") | .partitions[] | select(.leader == 2)] | length' \
    <<<"$meta")" "no partition of t1 is led by the down broker"
seq -f 'down-%03g' 1 30 >"$IT_TMP/produced_down"
kc -P -t t1 <"$IT_TMP/produced_down" ||
    it_fail "producing failed with broker 2 down (the other brokers should serve)"
kc -C -t t1 -o beginning -e -q | grep '^down-' | sort >"$IT_TMP/consumed_down" || true
cmp -s "$IT_TMP/produced_down" "$IT_TMP/consumed_down" ||
    it_fail "with broker 2 down, consumed $(wc -l <"$IT_TMP/consumed_down") of 30 messages"
echo "ok - with broker 2 down, 30 messages produced and consumed back"

# --- the broker up again serves its partitions -------------------------------
it_assert_eq "ok up 2" "$(ctl up 2)" "broker 2 back up"
it_assert_eq "ok leader t1 0 2" "$(ctl leader t1 0 2)" "t1/0 led by broker 2 again"
it_assert_eq 2 "$(leader_of t1 0)" "metadata shows broker 2 leading t1/0"
printf 'up-%03d\n' 1 2 3 4 5 | kc -P -t t1 -p 0 || it_fail "producing to broker 2 after up failed"
it_assert_eq 5 "$(consume_partition t1 0 | grep -c '^up-')" \
    "5 messages through broker 2 after it came back (fails if up did not reconnect it)"

# --- injected request errors: the client retries through them ---------------
it_assert_eq "ok error Produce NOT_LEADER_FOR_PARTITION 2" \
    "$(ctl error Produce NOT_LEADER_FOR_PARTITION 2)" "two Produce errors injected"
echo 'after-errors' | kc -P -t t1 -p 1 || it_fail "produce did not get through 2 retriable errors"
it_assert_eq 1 "$(consume_partition t1 1 | grep -c '^after-errors$')" \
    "message stored once after the injected errors"
if reply=$(ctl error t1 Produce NOT_LEADER_FOR_PARTITION 1); then
    it_fail "per-topic errors (unsupported by the mock) were acknowledged: $reply"
fi
echo "ok - per-topic request errors are refused, not silently ignored"

# --- topics at runtime --------------------------------------------------------
it_assert_eq "ok topic t2 2" "$(ctl topic t2 2)" "topic t2 created over the control channel"
it_assert_eq 2 "$(kc -L -J -t t2 | jq '.topics[] | select(.topic == "t2") | .partitions | length')" \
    "t2 has 2 partitions"

# --- SIGTERM: exit 0 within 5 s ----------------------------------------------
start=$EPOCHREALTIME
it_stop broker
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
it_assert_eq 0 "$IT_LAST_STATUS" \
    "exit status 0 after SIGTERM in ${elapsed}s (137 = still running after 5 s and killed)"
grep -q 'event=stopped' "$IT_TMP/broker.log" || it_fail "no event=stopped in the log: not a clean exit"
[[ ! -e "$CTL" ]] || it_fail "control socket left behind after exit"
echo "ok - control socket removed on exit"

it_pass "kafka_broker serves kcat, survives a broker down/up and stops cleanly"

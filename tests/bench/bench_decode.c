/*
 * bench_decode - decode throughput per core: events decoded per second for
 * each input format, parse + decode + fingerprint + free, one thread, and
 * jansson's bare parse of the same body for comparison, in thread CPU time.
 *
 * Bodies are embedded: a real Alertmanager webhook (2 alerts, as captured in
 * tests/fixtures/alertmanager/received-raw.jsonl), a 600-byte native event,
 * the captured PagerDuty trigger and the Zabbix media type's problem body.
 * Build without sanitizers for meaningful numbers:
 *     cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release
 *     cmake --build build-bench --target bench_decode && build-bench/tests/bench/bench_decode
 * [seconds] Does not measure: HTTP, storage, more than one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "decode.h"

static const char am_webhook[] =
    "{\"receiver\":\"webhook\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"label"
    "s\":{\"alertname\":\"LinkDown\",\"device\":\"sw1.ams1\",\"ifname\":\"xe-0/0/1\",\"job\":\""
    "snmp\",\"severity\":\"critical\",\"site\":\"ams1\"},\"annotations\":{\"description\":\"ifO"
    "perStatus is down (2) for 2m\",\"summary\":\"Link xe-0/0/1 down on sw1.ams1\"},\"startsAt"
    "\":\"2026-11-25T03:17:49Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://"
    "prometheus.example:9090/graph?g0.expr=ifOperStatus%3D%3D2\",\"fingerprint\":\"97b6c7895668"
    "e6b0\"},{\"status\":\"firing\",\"labels\":{\"alertname\":\"LinkDown\",\"device\":\"sw2.ams"
    "1\",\"ifname\":\"xe-0/0/7\",\"job\":\"snmp\",\"severity\":\"critical\",\"site\":\"ams1\"},"
    "\"annotations\":{\"description\":\"ifOperStatus is down (2) for 2m\",\"summary\":\"Link xe"
    "-0/0/7 down on sw2.ams1\"},\"startsAt\":\"2026-11-25T03:17:49Z\",\"endsAt\":\"0001-01-01T0"
    "0:00:00Z\",\"generatorURL\":\"http://prometheus.example:9090/graph?g0.expr=ifOperStatus%3D"
    "%3D2\",\"fingerprint\":\"2bfb0738fe4d0421\"}],\"groupLabels\":{\"alertname\":\"LinkDown\","
    "\"site\":\"ams1\"},\"commonLabels\":{\"alertname\":\"LinkDown\",\"job\":\"snmp\",\"severit"
    "y\":\"critical\",\"site\":\"ams1\"},\"commonAnnotations\":{\"description\":\"ifOperStatus "
    "is down (2) for 2m\"},\"externalURL\":\"http://127.0.0.1:19093\",\"version\":\"4\",\"group"
    "Key\":\"{}/{}:{alertname=\\\"LinkDown\\\", site=\\\"ams1\\\"}\",\"truncatedAlerts\":0}\n";

static const char native_600[] =
    "{\"source\":\"snmp-trap\",\"resource\":\"sw1.ams1.example.net\",\"check\":\"LinkDown\",\"s"
    "everity\":\"critical\",\"status\":\"firing\",\"summary\":\"Interface xe-0/0/1 (uplink to r"
    "tr1.ams1) is down\",\"description\":\"ifOperStatus changed to down (2); ifAdminStatus is u"
    "p (1). Last flap 3 minutes ago.\",\"labels\":{\"site\":\"ams1\",\"ifname\":\"xe-0/0/1\",\""
    "ifindex\":\"513\",\"role\":\"uplink\",\"team\":\"core-network\",\"customer\":\"internal\","
    "\"rack\":\"r12-b\",\"vendor\":\"juniper\"},\"annotations\":{\"runbook\":\"https://wiki.exa"
    "mple.net/runbooks/link-down\",\"graph\":\"https://grafana.example.net/d/if?var-host=sw1\"}"
    ",\"occurred_at\":\"2026-11-25T03:17:49.123Z\"}";

static const char pd_trigger[] =
    "{\"routing_key\":\"test\",\"dedup_key\":\"53b2f2adac59ecf0325cbacd980fe0040c7eb81d32eaecfd"
    "1d47f7b3505aea84\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"[FIRING:2] Link"
    "Down ams1 (snmp critical)\",\"source\":\"Alertmanager\",\"severity\":\"error\",\"custom_de"
    "tails\":{\"firing\":\"Labels:\\n - alertname = LinkDown\\n - device = sw1.ams1\\n - ifname"
    " = xe-0/0/1\\n - job = snmp\\n - severity = critical\\n - site = ams1\\nAnnotations:\\n - "
    "description = ifOperStatus is down (2) for 2m\\n - summary = Link xe-0/0/1 down on sw1.ams"
    "1\\nSource: http://prometheus.example:9090/graph?g0.expr=ifOperStatus%3D%3D2\\nLabels:\\n "
    "- alertname = LinkDown\\n - device = sw2.ams1\\n - ifname = xe-0/0/7\\n - job = snmp\\n - "
    "severity = critical\\n - site = ams1\\nAnnotations:\\n - description = ifOperStatus is dow"
    "n (2) for 2m\\n - summary = Link xe-0/0/7 down on sw2.ams1\\nSource: http://prometheus.exa"
    "mple:9090/graph?g0.expr=ifOperStatus%3D%3D2\\n\",\"num_firing\":\"2\",\"num_resolved\":\"0"
    "\",\"resolved\":\"\"}},\"client\":\"Alertmanager\",\"client_url\":\"http://127.0.0.1:19093"
    "/#/alerts?receiver=pagerduty\"}\n";

static const char zabbix_problem[] =
    "{\"alertdesk_media_type\":\"zabbix/1\",\"event_source\":0,\"event_id\":\"4711\",\"event_va"
    "lue\":1,\"event_update_status\":0,\"event_ack_status\":\"No\",\"event_nseverity\":4,\"even"
    "t_name\":\"Interface xe-0/0/1 (uplink to rtr1): link down\",\"event_time\":\"2026-11-25T03"
    ":17:49Z\",\"event_tags\":[{\"tag\":\"scope\",\"value\":\"availability\"},{\"tag\":\"site\""
    ",\"value\":\"ams1\"},{\"tag\":\"interface\",\"value\":\"xe-0/0/1\"}],\"host\":\"sw1.ams1\""
    ",\"trigger_name\":\"Interface xe-0/0/1 (uplink to rtr1): link down\",\"host_name\":\"sw1.a"
    "ms1 core switch\",\"host_ip\":\"192.0.2.11\",\"trigger_id\":\"23456\",\"trigger_descriptio"
    "n\":\"Last value of ifOperStatus is down (2) while the interface is admin up.\",\"opdata\""
    ":\"Current state: down (2)\",\"message\":\"Problem started at 03:17:49 on 2026.11.25\\nPro"
    "blem name: Interface xe-0/0/1 (uplink to rtr1): link down\\nHost: sw1.ams1 core switch\\nS"
    "everity: High\\nOperational data: Current state: down (2)\\nOriginal problem ID: 4711\\n\""
    ",\"zabbix_url\":\"https://zabbix.example.net/tr_events.php?triggerid=23456&eventid=4711\"}";

/* CPU time of this thread, not wall time: the figure is per core, and a
 * shared machine's other load must not count against it. */
static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs decode_any on body for about secs seconds; prints bodies/s and
 * events/s. */
static void bench_one(const char *name, event_format_t format, const char *body, double secs)
{
    decode_limits_t lim;
    decode_context_t ctx = {.received_at_us = 1795576700000000LL};
    decode_result_t r;
    size_t len = strlen(body), bodies = 0, events = 0;

    decode_limits_default(&lim);
    double start = bench_now(), elapsed;
    do {
        for (int i = 0; i < 1000; i++) {
            decode_result_init(&r);
            if (decode_any(format, body, len, &lim, &ctx, &r) != 0 || r.nrejects) {
                fprintf(stderr, "bench_decode: %s does not decode cleanly\n", name);
                exit(1);
            }
            events += r.nevents;
            decode_result_clear(&r);
        }
        bodies += 1000;
        elapsed = bench_now() - start;
    } while (elapsed < secs);

    size_t parses = 0;
    json_error_t err;
    start = bench_now();
    double pelapsed;
    do {
        for (int i = 0; i < 1000; i++) {
            json_decref(json_loadb(body, len, JSON_REJECT_DUPLICATES, &err));
        }
        parses += 1000;
        pelapsed = bench_now() - start;
    } while (pelapsed < secs / 2);

    printf("%-28s %5zu B  %9.0f bodies/s  %9.0f events/s  %6.2f us/body  "
           "(jansson parse alone %6.2f us)\n",
           name, len, (double)bodies / elapsed, (double)events / elapsed,
           elapsed / (double)bodies * 1e6, pelapsed / (double)parses * 1e6);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    if (secs <= 0) {
        secs = 2.0;
    }
    bench_one("alertmanager webhook", EVENT_FORMAT_ALERTMANAGER, am_webhook, secs);
    bench_one("native event", EVENT_FORMAT_NATIVE, native_600, secs);
    bench_one("pagerduty trigger", EVENT_FORMAT_PAGERDUTY, pd_trigger, secs);
    bench_one("zabbix problem", EVENT_FORMAT_ZABBIX, zabbix_problem, secs);
    return 0;
}

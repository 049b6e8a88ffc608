/*
 * cli_ticket - `alertdesk ticket list|show|ack|assign|comment|pending|
 * resolve|close|reopen`: the ticketer's JSON API over HTTP (libcurl), so
 * the CLI takes the same path as the console and records the token's user
 * as the actor. URL from --api or ALERTDESK_API_URL, token from --token or
 * ALERTDESK_TOKEN. Tables for people, --json (the API's own JSON) for
 * scripts.
 *
 * Exit codes: 0 done, 1 refused by the API (4xx: the API's sentence is
 * printed), 2 usage error, 3 API unreachable or unavailable (5xx).
 *
 * Does not: talk to the database (the ticketer owns tickets).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "xalloc.h"

#define CLI_TICKET_PAGES_MAX 200

typedef struct {
    const char *api;   /* base URL, no trailing /api/v1 */
    const char *token; /* may be NULL */
    bool json;
} cli_ticket_opts_t;

static void cli_ticket_usage(FILE *out)
{
    fprintf(out,
            "Usage: alertdesk ticket list [--state S] [--queue Q] [--priority P] [--assignee A]\n"
            "                             [--label K=V] [--text T] [--breached] [--sort S]\n"
            "                             [--limit N] [--json]\n"
            "       alertdesk ticket show KEY [--json]\n"
            "       alertdesk ticket ack KEY [--comment TEXT]\n"
            "       alertdesk ticket assign KEY NAME        (NAME \"\" unassigns)\n"
            "       alertdesk ticket comment KEY TEXT\n"
            "       alertdesk ticket pending KEY REASON\n"
            "       alertdesk ticket resolve KEY [--comment TEXT]\n"
            "       alertdesk ticket close KEY [--comment TEXT]\n"
            "       alertdesk ticket reopen KEY [--reason TEXT]\n"
            "Every command takes --api URL (or ALERTDESK_API_URL, e.g. http://127.0.0.1:9472)\n"
            "and --token TOKEN (or ALERTDESK_TOKEN); changes are recorded as the token's user.\n"
            "State S: new, acknowledged, in_progress, pending, resolved, closed or open;\n"
            "several with commas. Exit status: 0 done, 1 refused (the reason is printed),\n"
            "2 usage, 3 API unreachable or unavailable.\n");
}

/* cli_ticket_call - one request to the API (cli_api_call). */
static void cli_ticket_call(const cli_ticket_opts_t *o, const char *method, const char *path,
                            const char *body, long *status, char **out)
{
    cli_api_call(o->api, o->token, method, path, body, status, out);
}

static int cli_ticket_fail(const char *what, long status, const char *body)
{
    return cli_api_fail("ticket", what, status, body);
}

static void cli_ticket_cell(const char *s, int width)
{
    printf("%-*.*s ", width, width, s ? s : "-");
}

static const char *cli_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void cli_ticket_row(json_t *t)
{
    json_t *sla = json_object_get(t, "sla");
    const char *resp =
        json_string_value(json_object_get(json_object_get(sla, "response"), "status"));
    const char *reso =
        json_string_value(json_object_get(json_object_get(sla, "resolution"), "status"));
    char slas[40], alerts[24], opened[20];
    snprintf(slas, sizeof slas, "%s/%s", resp ? resp : "-", reso ? reso : "-");
    snprintf(alerts, sizeof alerts, "%lld/%lld",
             (long long)json_integer_value(json_object_get(t, "active_alerts")),
             (long long)json_integer_value(json_object_get(t, "alert_count")));
    snprintf(opened, sizeof opened, "%.16s",
             cli_str(t, "opened_at") ? cli_str(t, "opened_at") : "");
    cli_ticket_cell(cli_str(t, "key"), 10);
    cli_ticket_cell(cli_str(t, "state"), 12);
    cli_ticket_cell(cli_str(t, "priority"), 3);
    cli_ticket_cell(cli_str(t, "queue"), 10);
    cli_ticket_cell(cli_str(t, "assignee"), 12);
    cli_ticket_cell(alerts, 7);
    cli_ticket_cell(opened, 16);
    cli_ticket_cell(slas, 19);
    printf("%s\n", cli_str(t, "title") ? cli_str(t, "title") : "");
}

static int cli_ticket_list(const cli_ticket_opts_t *o, const char *query)
{
    json_t *all = json_array();
    char *cursor = NULL;
    int rc = 0;
    for (int page = 0; page < CLI_TICKET_PAGES_MAX; page++) {
        char *path = xasprintf("/api/v1/tickets?%s%s%s", query, cursor ? "&cursor=" : "",
                               cursor ? cursor : "");
        long status;
        char *body;
        cli_ticket_call(o, "GET", path, NULL, &status, &body);
        free(path);
        if (status != 200) {
            rc = cli_ticket_fail("list", status, body);
            free(body);
            break;
        }
        json_t *r = json_loads(body, 0, NULL);
        free(body);
        free(cursor);
        cursor = NULL;
        if (!r) {
            fprintf(stderr, "alertdesk ticket list: the API answered something that is not JSON\n");
            rc = 3;
            break;
        }
        json_array_extend(all, json_object_get(r, "tickets"));
        const char *next = cli_str(r, "next_cursor");
        cursor = next ? xstrdup(next) : NULL;
        json_decref(r);
        if (!cursor) {
            break;
        }
    }
    free(cursor);
    if (rc == 0) {
        if (o->json) {
            json_t *out = json_object();
            json_object_set(out, "tickets", all); /* borrows: all is freed below */
            char *text = json_dumps(out, JSON_INDENT(2));
            printf("%s\n", text);
            free(text);
            json_decref(out);
        } else {
            printf("%-10s %-12s %-3s %-10s %-12s %-7s %-16s %-19s %s\n", "KEY", "STATE", "PRI",
                   "QUEUE", "ASSIGNEE", "ALERTS", "OPENED (UTC)", "SLA RESP/RESOL", "TITLE");
            size_t i;
            json_t *t;
            json_array_foreach(all, i, t)
            {
                cli_ticket_row(t);
            }
        }
    }
    json_decref(all);
    return rc;
}

static int cli_ticket_show(const cli_ticket_opts_t *o, const char *key)
{
    char *path = xasprintf("/api/v1/tickets/%s", key);
    long status;
    char *body;
    cli_ticket_call(o, "GET", path, NULL, &status, &body);
    free(path);
    if (status != 200) {
        int rc = cli_ticket_fail("show", status, body);
        free(body);
        return rc;
    }
    if (o->json) {
        printf("%s", body);
        free(body);
        return 0;
    }
    json_t *t = json_loads(body, 0, NULL);
    free(body);
    if (!t) {
        fprintf(stderr, "alertdesk ticket show: the API answered something that is not JSON\n");
        return 3;
    }
    printf("%s  %s\n", cli_str(t, "key"), cli_str(t, "title"));
    printf("  state     %s%s%s\n", cli_str(t, "state"), cli_str(t, "pending_reason") ? " - " : "",
           cli_str(t, "pending_reason") ? cli_str(t, "pending_reason") : "");
    printf("  priority  %s (%s)   queue %s   assignee %s\n", cli_str(t, "priority"),
           cli_str(t, "severity"), cli_str(t, "queue"),
           cli_str(t, "assignee") ? cli_str(t, "assignee") : "-");
    json_t *sla = json_object_get(t, "sla");
    const char *clocks[] = {"response", "resolution"};
    for (size_t i = 0; i < 2; i++) {
        json_t *c = json_object_get(sla, clocks[i]);
        printf("  %-10s %s, due %s\n", clocks[i], cli_str(c, "status"),
               cli_str(c, "due_at") ? cli_str(c, "due_at") : "-");
    }
    printf("  incident  %lld   alerts %lld active of %lld   version %lld\n",
           (long long)json_integer_value(json_object_get(t, "incident_id")),
           (long long)json_integer_value(json_object_get(t, "active_alerts")),
           (long long)json_integer_value(json_object_get(t, "alert_count")),
           (long long)json_integer_value(json_object_get(t, "version")));
    size_t i;
    json_t *a;
    printf("\nAlerts:\n");
    json_array_foreach(json_object_get(t, "alerts"), i, a)
    {
        printf("  %-20s %-20s %-9s %s%s\n", cli_str(a, "resource"),
               cli_str(a, "check") ? cli_str(a, "check") : "-",
               json_is_true(json_object_get(a, "active")) ? "firing" : "cleared",
               cli_str(a, "summary") ? cli_str(a, "summary") : "",
               json_is_true(json_object_get(a, "symptom")) ? " (symptom)" : "");
    }
    printf("\nTimeline:\n");
    json_array_foreach(json_object_get(t, "timeline"), i, a)
    {
        printf("  %.19s  %-12s %-14s", cli_str(a, "at"), cli_str(a, "actor"), cli_str(a, "kind"));
        if (cli_str(a, "field") && *cli_str(a, "field")) {
            printf(" %s: %s -> %s", cli_str(a, "field"),
                   cli_str(a, "before") ? cli_str(a, "before") : "-",
                   cli_str(a, "after") ? cli_str(a, "after") : "-");
        }
        if (cli_str(a, "comment")) {
            printf("  \"%s\"", cli_str(a, "comment"));
        }
        printf("\n");
    }
    json_decref(t);
    return 0;
}

/* cli_ticket_change - POST /tickets/KEY/ACTION with body; prints the new
 * state (or the ticket with --json). */
static int cli_ticket_change(const cli_ticket_opts_t *o, const char *action, const char *key,
                             json_t *body)
{
    char *path = xasprintf("/api/v1/tickets/%s/%s", key, action);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    long status;
    char *answer;
    cli_ticket_call(o, "POST", path, text, &status, &answer);
    free(text);
    free(path);
    int rc = 0;
    if (status != 200) {
        rc = cli_ticket_fail(action, status, answer);
    } else if (o->json) {
        printf("%s", answer);
    } else {
        json_t *t = json_loads(answer, 0, NULL);
        printf("%s %s%s%s (version %lld)\n", key, cli_str(t, "state") ? cli_str(t, "state") : "?",
               cli_str(t, "assignee") ? ", assigned to " : "",
               cli_str(t, "assignee") ? cli_str(t, "assignee") : "",
               (long long)json_integer_value(json_object_get(t, "version")));
        json_decref(t);
    }
    free(answer);
    return rc;
}

int cli_ticket(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_ticket_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    static const char *const subs[] = {"list",    "show",    "ack",   "assign", "comment",
                                       "pending", "resolve", "close", "reopen"};
    bool known = false;
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        known = known || strcmp(sub, subs[i]) == 0;
    }
    if (!known) {
        fprintf(stderr, "alertdesk ticket: unknown subcommand '%s'\n", sub);
        cli_ticket_usage(stderr);
        return 2;
    }
    static const struct option opts[] = {
        {"api", required_argument, NULL, 'a'},      {"token", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},           {"state", required_argument, NULL, 's'},
        {"queue", required_argument, NULL, 'q'},    {"priority", required_argument, NULL, 'p'},
        {"assignee", required_argument, NULL, 'A'}, {"label", required_argument, NULL, 'l'},
        {"text", required_argument, NULL, 'x'},     {"breached", no_argument, NULL, 'b'},
        {"sort", required_argument, NULL, 'S'},     {"limit", required_argument, NULL, 'L'},
        {"comment", required_argument, NULL, 'c'},  {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    cli_ticket_opts_t o = {.api = getenv("ALERTDESK_API_URL"), .token = getenv("ALERTDESK_TOKEN")};
    const char *comment = NULL, *reason = NULL;
    char *query = xstrdup("");
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o.api = optarg;
            break;
        case 't':
            o.token = optarg;
            break;
        case 'j':
            o.json = true;
            break;
        case 's':
            cli_api_query_add(&query, "state", optarg);
            break;
        case 'q':
            cli_api_query_add(&query, "queue", optarg);
            break;
        case 'p':
            cli_api_query_add(&query, "priority", optarg);
            break;
        case 'A':
            cli_api_query_add(&query, "assignee", optarg);
            break;
        case 'l':
            cli_api_query_add(&query, "label", optarg);
            break;
        case 'x':
            cli_api_query_add(&query, "text", optarg);
            break;
        case 'b':
            cli_api_query_add(&query, "breached", "true");
            break;
        case 'S':
            cli_api_query_add(&query, "sort", optarg);
            break;
        case 'L':
            cli_api_query_add(&query, "limit", optarg);
            break;
        case 'c':
            comment = optarg;
            break;
        case 'r':
            reason = optarg;
            break;
        case 'h':
            cli_ticket_usage(stdout);
            free(query);
            return 0;
        default:
            free(query);
            return 2;
        }
    }
    /* Positional arguments after the subcommand (getopt ran on argv + 1). */
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    if (!o.api || !*o.api) {
        fprintf(stderr, "alertdesk ticket: no API URL: pass --api URL or set ALERTDESK_API_URL\n");
        free(query);
        return 2;
    }
    int need =
        strcmp(sub, "list") == 0 ? 0
        : strcmp(sub, "assign") == 0 || strcmp(sub, "comment") == 0 || strcmp(sub, "pending") == 0
            ? 2
            : 1;
    if (npos != need) {
        fprintf(stderr, "alertdesk ticket %s: expected %d argument%s, got %d\n", sub, need,
                need == 1 ? "" : "s", npos);
        cli_ticket_usage(stderr);
        free(query);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (strcmp(sub, "list") == 0) {
        rc = cli_ticket_list(&o, query);
    } else if (strcmp(sub, "show") == 0) {
        rc = cli_ticket_show(&o, pos[0]);
    } else {
        json_t *body = json_object();
        /* json_object_set_new steals the new string's reference. */
        if (strcmp(sub, "assign") == 0) {
            json_object_set_new(body, "assignee", json_string(pos[1]));
        } else if (strcmp(sub, "comment") == 0) {
            json_object_set_new(body, "text", json_string(pos[1]));
        } else if (strcmp(sub, "pending") == 0) {
            json_object_set_new(body, "reason", json_string(pos[1]));
        } else if (strcmp(sub, "reopen") == 0 && reason) {
            json_object_set_new(body, "reason", json_string(reason));
        } else if (comment && strcmp(sub, "reopen") != 0) {
            json_object_set_new(body, "comment", json_string(comment));
        }
        rc = cli_ticket_change(&o, sub, pos[0], body);
    }
    curl_global_cleanup();
    free(query);
    return rc;
}

/*
 * cli_report - `alertdesk report [--since T] [--until T] [--csv|--json]`:
 * the ticketer's summary report (GET /api/v1/reports/summary) as tables for
 * people, CSV (section,key,value rows) for spreadsheets, or the API's JSON.
 *
 * Does not: compute anything itself; the API is the one place reports are
 * defined, so the console, the CLI and scripts agree.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "xalloc.h"

static void cli_report_usage(FILE *out)
{
    fprintf(out, "Usage: alertdesk report [--since T] [--until T] [--csv | --json]\n"
                 "                        [--api URL] [--token TOKEN]\n"
                 "T is a date (2026-11-01) or an RFC 3339 time; default: the last 7 days.\n"
                 "Prints MTTA, MTTR, SLA met %%, tickets by state/queue/priority/source, the\n"
                 "backlog and the noise funnel (events -> alerts -> incidents -> tickets).\n"
                 "--csv prints section,key,value rows. URL from ALERTDESK_API_URL, token from\n"
                 "ALERTDESK_TOKEN. Exit status: 0 done, 1 refused, 2 usage, 3 API unreachable.\n");
}

/* cli_report_value - a JSON scalar as text ("" for null). */
static void cli_report_value(json_t *v, char *buf, size_t len)
{
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(buf, len, "%.1f", json_real_value(v));
    } else if (json_is_string(v)) {
        snprintf(buf, len, "%s", json_string_value(v));
    } else {
        snprintf(buf, len, "%s", "");
    }
}

/* cli_report_row - one line: a table row or a CSV row. */
static void cli_report_row(bool csv, const char *section, const char *key, json_t *v)
{
    char val[128];
    cli_report_value(v, val, sizeof val);
    if (csv) {
        printf("%s,%s,%s\n", section, key, val);
    } else {
        printf("  %-24s %s\n", key, val);
    }
}

/* cli_report_section - the members of an object, flattened one level
 * ("sla.response.met_pct"). */
static void cli_report_section(bool csv, const char *section, json_t *o)
{
    if (!json_is_object(o)) {
        return;
    }
    if (!csv) {
        printf("%s\n", section);
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (json_is_object(v)) {
            const char *k2;
            json_t *v2;
            json_object_foreach(v, k2, v2)
            {
                char name[128];
                snprintf(name, sizeof name, "%s.%s", k, k2);
                cli_report_row(csv, section, name, v2);
            }
        } else {
            cli_report_row(csv, section, k, v);
        }
    }
}

int cli_report(int argc, char **argv)
{
    static const struct option opts[] = {{"api", required_argument, NULL, 'a'},
                                         {"token", required_argument, NULL, 't'},
                                         {"since", required_argument, NULL, 's'},
                                         {"until", required_argument, NULL, 'u'},
                                         {"csv", no_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"config", required_argument, NULL, 'C'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *api = getenv("ALERTDESK_API_URL"), *token = getenv("ALERTDESK_TOKEN");
    bool csv = false, json = false;
    char *query = xstrdup("");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            api = optarg;
            break;
        case 't':
            token = optarg;
            break;
        case 's':
            cli_api_query_add(&query, "since", optarg);
            break;
        case 'u':
            cli_api_query_add(&query, "until", optarg);
            break;
        case 'c':
            csv = true;
            break;
        case 'j':
            json = true;
            break;
        case 'C':
            break; /* accepted like every command; the API needs no settings */
        case 'h':
            cli_report_usage(stdout);
            free(query);
            return 0;
        default:
            cli_report_usage(stderr);
            free(query);
            return 2;
        }
    }
    if (optind < argc || (csv && json) || !api || !*api) {
        fprintf(stderr, "alertdesk report: %s\n",
                !api || !*api ? "no API URL: pass --api URL or set ALERTDESK_API_URL"
                              : "unexpected arguments");
        free(query);
        return 2;
    }
    char *path = xasprintf("/api/v1/reports/summary%s%s", *query ? "?" : "", query);
    long status = 0;
    char *body = NULL;
    cli_api_call(api, token, "GET", path, NULL, &status, &body);
    free(path);
    free(query);
    int rc = 0;
    json_t *r = status == 200 ? json_loads(body, 0, NULL) : NULL;
    if (!r) {
        rc = cli_api_fail("report", "summary", status, body);
    } else if (json) {
        printf("%s\n", body);
    } else {
        if (csv) {
            printf("section,key,value\n");
        } else {
            printf("Report %s .. %s\n", json_string_value(json_object_get(r, "since")),
                   json_string_value(json_object_get(r, "until")));
        }
        json_t *summary = json_object();
        static const char *const scalars[] = {"tickets", "acknowledged", "resolved", "mtta_s",
                                              "mttr_s"};
        for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
            json_t *v = json_object_get(r, scalars[i]);
            json_object_set(summary, scalars[i], v ? v : json_null());
        }
        cli_report_section(csv, "summary", summary);
        json_decref(summary);
        static const char *const sections[] = {"sla",      "funnel",   "satisfaction", "backlog",
                                               "by_state", "by_queue", "by_priority",  "by_source"};
        for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
            cli_report_section(csv, sections[i], json_object_get(r, sections[i]));
        }
    }
    json_decref(r);
    free(body);
    return rc;
}

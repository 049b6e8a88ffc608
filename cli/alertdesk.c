/*
 * alertdesk - the operator command line: run migrations, send events, follow
 * the events stream, print the configuration reference, hash tokens, check
 * and replay rules, silences, and work tickets (over the ticketer's API).
 * Later issues add on-call and reports here.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "xalloc.h"

#ifndef ALERTDESK_VERSION
#define ALERTDESK_VERSION "dev"
#endif

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} cli_commands[] = {
    {"migrate", cli_migrate, "apply database migrations (migrate status: list them)"},
    {"send", cli_send, "send events to alertdesk-ingest over ZeroMQ (for scripts, Nagios, cron)"},
    {"tail", cli_tail, "follow the events stream in order, filling gaps from PostgreSQL"},
    {"config", cli_config, "check, print or document settings (config check|print|reference)"},
    {"token", cli_token, "print the sha256 of a token for auth.tokens (token hash)"},
    {"rules", cli_rules, "check, reload or replay correlation rules (rules check|reload|replay)"},
    {"explain", cli_explain, "why an alert landed where it did, or how an incident formed"},
    {"silence", cli_silence, "add, list or expire silences (silence add|list|expire)"},
    {"ticket", cli_ticket,
     "list, show and work tickets through the ticketer's API (ticket list|show|ack|...)"},
    {"oncall", cli_oncall, "who is on call, from the people file (oncall who|show --team T)"},
    {"report", cli_report, "MTTA, MTTR, SLA met %, backlog, noise funnel (tables or --csv)"},
};

static void cli_usage(FILE *out)
{
    fprintf(out, "Usage: alertdesk COMMAND [options]   (alertdesk COMMAND --help for more)\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof cli_commands / sizeof *cli_commands; i++) {
        fprintf(out, "  %-9s %s\n", cli_commands[i].name, cli_commands[i].help);
    }
    fprintf(out, "\nEvery command takes --config FILE (the deployment settings, alertdesk.yml).\n");
}

int cli_load_settings(const char *config, settings_t *s)
{
    char err[1024];
    if (settings_load(config, s, err, sizeof err) < 0) {
        fprintf(stderr, "alertdesk: %s\n", err);
        return -1;
    }
    return 0;
}

PGconn *cli_db_connect(const char *config, const char *command)
{
    settings_t s;
    if (cli_load_settings(config, &s) < 0) {
        return NULL;
    }
    PGconn *conn = db_connect(s.database_url, s.database_connect_timeout_ms);
    settings_free(&s);
    if (!conn) {
        fprintf(stderr, "alertdesk %s: cannot connect to the database\n", command);
    }
    return conn;
}

char *cli_connect_endpoint(const char *bind)
{
    const char *p;
    if ((p = strstr(bind, "://0.0.0.0:")) != NULL || (p = strstr(bind, "://*:")) != NULL) {
        const char *port = strchr(p + 3, ':');
        return xasprintf("%.*s://127.0.0.1%s", (int)(p - bind), bind, port);
    }
    return xstrdup(bind);
}

int main(int argc, char **argv)
{
    log_init("cli", LOG_WARN);
    daemon_json_init();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cli_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("alertdesk %s\n", ALERTDESK_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof cli_commands / sizeof *cli_commands; i++) {
        if (strcmp(argv[1], cli_commands[i].name) == 0) {
            return cli_commands[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "alertdesk: unknown command '%s'\n\n", argv[1]);
    cli_usage(stderr);
    return 2;
}

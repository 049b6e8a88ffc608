/*
 * cli - the operator command line `alertdesk`: one file per command group
 * (cli_migrate.c, cli_send.c, cli_ticket.c, ...), dispatched from
 * alertdesk.c. Each command returns the process exit status:
 * 0 ok, 1 failure, 2 usage error, 3 temporarily unavailable.
 */
#ifndef ALERTDESK_CLI_H
#define ALERTDESK_CLI_H

#include <libpq-fe.h>

#include "settings.h"

/* Loads the settings named by --config (or defaults), printing errors.
 * Returns 0 or -1. */
int cli_load_settings(const char *config, settings_t *s);

/* Loads the settings of --config and connects to their database, printing
 * "alertdesk COMMAND: ..." on failure. Returns the connection (caller owns
 * it; PQfinish) or NULL. */
PGconn *cli_db_connect(const char *config, const char *command);

/* Turns a bind address (tcp://0.0.0.0:9480 or a "*" host) into one a client
 * can connect to. Caller owns the result; free with free(). */
char *cli_connect_endpoint(const char *bind);

/* One request to the ticketer's JSON API at base URL api (no trailing
 * /api/v1) with a bearer token (may be NULL) and a JSON body (may be NULL).
 * *status is the HTTP status, 0 when the API could not be reached (then
 * *out is a JSON {"error": ...} saying why). Caller owns *out; free(). */
void cli_api_call(const char *api, const char *token, const char *method, const char *path,
                  const char *body, long *status, char **out);
/* Prints "alertdesk COMMAND WHAT: <the API's error> (HTTP n)" and returns
 * the exit status: 3 when unreachable or 5xx, else 1. */
int cli_api_fail(const char *command, const char *what, long status, const char *body);
/* Appends name=value (URL-escaped) to the query string *q, "&"-separated,
 * without the leading "?". *q is malloc'd and replaced. */
void cli_api_query_add(char **q, const char *name, const char *value);

int cli_migrate(int argc, char **argv);
int cli_send(int argc, char **argv);
int cli_tail(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_silence(int argc, char **argv);
int cli_rules(int argc, char **argv);
int cli_explain(int argc, char **argv);
int cli_ticket(int argc, char **argv);
int cli_oncall(int argc, char **argv);
int cli_report(int argc, char **argv);

#endif

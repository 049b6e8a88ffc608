/*
 * settings - alertdesk's one settings table and the struct it fills.
 *
 * Every setting of every binary is declared once in settings.c (name, type,
 * default, bounds, help); loading, --check-config, --print-config and the
 * configuration reference in README.md all come from that table. The YAML
 * file nests by the dots of the names ("ingest.http.listen" is
 * ingest: {http: {listen: ...}}). Unknown keys and bad values are errors
 * naming the file, the line and the key.
 *
 * Secret settings (database.url, tokens, routing keys) accept "env:NAME" (the
 * value of environment variable NAME) or "file:/path" (the file's first line)
 * and are printed as "(secret)".
 */
#ifndef ALERTDESK_SETTINGS_H
#define ALERTDESK_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"

/* Roles of bearer tokens. ingest may only post alerts. On the ticketer's API
 * each role can do what the ones before it can: viewer (read) < agent
 * (work tickets) < operator (also silences, rules) < admin (everything). */
typedef enum {
    AUTH_ROLE_INGEST = 1,
    AUTH_ROLE_OPERATOR = 2,
    AUTH_ROLE_ADMIN = 3,
    AUTH_ROLE_VIEWER = 4,
    AUTH_ROLE_AGENT = 5,
} auth_role_t;

/* True when a token of role `have` may do what needs role `need` on the
 * API (viewer < agent < operator < admin; ingest has no API rights). */
bool settings_role_allows(auth_role_t have, auth_role_t need);
/* "ingest", "operator", "admin", "viewer", "agent". */
const char *settings_role_name(auth_role_t role);

/* A bearer token: only the SHA-256 of the token is kept in memory. */
typedef struct {
    char *name; /* who holds it, for logs and audit */
    auth_role_t role;
    unsigned char sha256[32]; /* from `sha256: <hex>` or by hashing `token:` */
} settings_token_t;

typedef struct {
    char *name;       /* topic name */
    bool auto_format; /* format: auto */
    event_format_t format;
} settings_kafka_topic_t;

typedef struct {
    char *name;
    char *routing_key;     /* secret */
    event_label_t *labels; /* owned, keys and values malloc'd */
    uint32_t nlabels;
} settings_integration_t;

typedef struct settings {
    char *config_path; /* the file loaded, or NULL for defaults only */

    char *log_level; /* log.level */

    char *database_url;                  /* database.url (secret); "" = libpq PG* environment */
    int64_t database_connect_timeout_ms; /* database.connect_timeout */
    int64_t database_retry_max_ms;       /* database.retry_max: back-off ceiling */

    char *ingest_stream;              /* ingest.stream: this instance's stream name */
    char *ingest_http_listen;         /* ingest.http.listen: host:port */
    int64_t ingest_http_threads;      /* ingest.http.threads */
    char *ingest_zmq_listen;          /* ingest.zmq.listen: ROUTER endpoint, "" disables */
    char *ingest_publish;             /* ingest.publish: PUB endpoint of the events stream */
    int64_t ingest_batch_max_events;  /* ingest.batch.max_events */
    int64_t ingest_batch_connections; /* ingest.batch.connections: pipelined writers */
    int64_t ingest_batch_max_wait_us; /* ingest.batch.max_wait (duration) */
    int64_t ingest_queue_max_events;  /* ingest.queue.max_events */
    bool ingest_keep_raw;             /* ingest.keep_raw: store the raw body text */
    int64_t ingest_heartbeat_ms;      /* ingest.heartbeat_interval */
    int64_t ingest_drain_timeout_ms;  /* ingest.drain_timeout: SIGTERM grace */
    int64_t ingest_retention_ms;      /* ingest.retention: age at which events are dropped */

    char *kafka_brokers;                  /* ingest.kafka.brokers, "" disables Kafka intake */
    char *kafka_group;                    /* ingest.kafka.group */
    settings_kafka_topic_t *kafka_topics; /* ingest.kafka.topics */
    size_t nkafka_topics;

    settings_token_t *tokens; /* auth.tokens */
    size_t ntokens;
    bool auth_required; /* auth.required: false accepts requests without a token */

    settings_integration_t *integrations; /* integrations */
    size_t nintegrations;

    decode_limits_t limits; /* limits.* */

    char **fingerprint_ignore_labels; /* fingerprint.ignore_labels */
    size_t nfingerprint_ignore_labels;

    char *correlator_stream;             /* correlator.stream: its incidents stream name */
    char *correlator_rules;              /* correlator.rules: rule file, "" = built-in defaults */
    char *correlator_http_listen;        /* correlator.http.listen: /healthz and /metrics */
    char *correlator_publish;            /* correlator.publish: PUB endpoint of incidents */
    char *correlator_events;             /* correlator.events: ingest publishers, comma-separated */
    int64_t correlator_batch_max_events; /* correlator.batch.max_events */
    int64_t correlator_batch_max_wait_us;  /* correlator.batch.max_wait (duration) */
    int64_t correlator_heartbeat_ms;       /* correlator.heartbeat_interval */
    int64_t correlator_silence_refresh_ms; /* correlator.silence_refresh */
    int64_t correlator_max_lag;            /* correlator.healthz_max_lag: events behind */
    char *correlator_pid_file;             /* correlator.pid_file, "" = none */

    char *ticketer_stream;              /* ticketer.stream: its tickets stream (ticket_events) */
    char *ticketer_routing;             /* ticketer.routing: routing rule file, "" = defaults */
    char *ticketer_http_listen;         /* ticketer.http.listen: API, console, /healthz */
    int64_t ticketer_http_threads;      /* ticketer.http.threads */
    char *ticketer_publish;             /* ticketer.publish: PUB endpoint of tickets */
    char *ticketer_incidents;           /* ticketer.incidents: correlator publishers */
    int64_t ticketer_batch_max_changes; /* ticketer.batch.max_changes */
    int64_t ticketer_batch_max_wait_us; /* ticketer.batch.max_wait (duration) */
    int64_t ticketer_heartbeat_ms;      /* ticketer.heartbeat_interval */
    int64_t ticketer_max_lag;           /* ticketer.healthz_max_lag: changes behind */
    char *ticketer_pid_file;            /* ticketer.pid_file, "" = none */
    char *ticketer_console_dir;         /* ticketer.console_dir: static files, "" = none */

    char *notifier_stream;        /* notifier.stream: consumer name in consumer_offsets */
    char *notifier_people;        /* notifier.people: users, teams, schedules, policies */
    char *notifier_http_listen;   /* notifier.http.listen: /ack, /healthz, /metrics */
    char *notifier_tickets;       /* notifier.tickets: ticketer publishers */
    char *notifier_public_url;    /* notifier.public_url: base of ack links in pages */
    char *notifier_ack_secret;    /* notifier.ack_secret (secret): HMAC key of ack links */
    int64_t notifier_ack_ttl_ms;  /* notifier.ack_ttl */
    char *notifier_smtp_url;      /* notifier.smtp.url: smtp://host:port, "" = no mail */
    char *notifier_smtp_from;     /* notifier.smtp.from */
    char *notifier_smtp_user;     /* notifier.smtp.user */
    char *notifier_smtp_password; /* notifier.smtp.password (secret) */
    bool notifier_smtp_starttls;  /* notifier.smtp.starttls: require STARTTLS */
    char *notifier_sms_url;       /* notifier.sms.url: HTTP gateway, "" = no SMS */
    char *notifier_sms_template;  /* notifier.sms.template: request body */
    char **notifier_allowed_urls; /* notifier.allowed_url_prefixes */
    size_t nnotifier_allowed_urls;
    char *notifier_webhook_secret;        /* notifier.webhook_secret (secret): HMAC signature key */
    bool notifier_survey;                 /* notifier.survey: satisfaction link on close */
    int64_t notifier_timeout_ms;          /* notifier.timeout: per request */
    int64_t notifier_max_attempts;        /* notifier.retry.max_attempts */
    int64_t notifier_retry_base_ms;       /* notifier.retry.base */
    int64_t notifier_retry_max_ms;        /* notifier.retry.max */
    int64_t notifier_rate_per_min;        /* notifier.rate_limit_per_minute: per target */
    int64_t notifier_circuit_failures;    /* notifier.circuit.failures: opens after this many */
    int64_t notifier_circuit_cooldown_ms; /* notifier.circuit.cooldown */
    int64_t notifier_heartbeat_ms;        /* notifier.heartbeat_interval: timers */
    char *notifier_pid_file;              /* notifier.pid_file */
} settings_t;

/* Fills s with the defaults, then (path != NULL) the file. On error returns
 * -1 and writes "file:line: key: reason" into err. Caller owns s's contents;
 * release with settings_free(). */
int settings_load(const char *path, settings_t *s, char *err, size_t errlen);
void settings_free(settings_t *s);

/* Prints the effective settings as YAML, secrets masked. */
void settings_print(const settings_t *s, FILE *out);
/* Prints the configuration reference as a Markdown table. */
void settings_reference_markdown(FILE *out);

/* Finds the token whose SHA-256 equals the presented token's. Hashes token
 * and compares with every stored hash in constant time (CRYPTO_memcmp, all
 * of them, match or not). Returns 0 and sets *out (may be NULL) to the
 * entry, owned by s; -1 and *out = NULL when no token matches or token is
 * NULL. Thread-safe while s is not modified. */
int settings_token_lookup(const settings_t *s, const char *token, const settings_token_t **out);

/* Checks the settings table itself (unique names, grouping, defaults parse).
 * Returns 0, or -1 with the reason in err. For tests. */
int settings_table_check(char *err, size_t errlen);

#endif

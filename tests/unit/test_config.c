/*
 * test_config - the YAML engine (config.c) and alertdesk's table (settings.c).
 *
 * Table-driven: each case is a YAML text written to a temporary file and
 * loaded with settings_load(); a failing case expects the exact error text
 * after the file name ("file" + ":line: key: reason"), a passing case runs
 * a check on the loaded settings. Also: value parsers, defaults, the
 * example configuration in deploy/, print-config masking and the
 * reference. Prints every failing case and exits non-zero if any failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "settings.h"
#include "unit_check.h"

#define TOKEN_INGEST          "ingest-token-abcdefghijkl"
#define TOKEN_OPERATOR        "operator-token-0123456789"
#define TOKEN_OPERATOR_SHA256 "e4ba15bc7411be319ad18f683da1ff6968143f09f0fac67e517a5d6f526598c1"
#define DB_SECRET             "postgres://alertdesk:s3cr3t-pw@db.example/alertdesk"
#define FILE_SECRET           "file-secret-line-one"
#define ROUTING_KEY           "R0UT1NGKEY00000000000000000000AB"

static char secret_file[64];

/* Writes text to a new temporary file; returns its path in buf. */
static const char *write_temp(const char *text, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "/tmp/alertdesk-test-config-XXXXXX");
    int fd = mkstemp(buf);
    if (fd < 0) {
        perror("mkstemp");
        exit(2);
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        perror("write");
        exit(2);
    }
    close(fd);
    return buf;
}

/* ---- Checks run on successfully loaded settings ------------------------ */

typedef int (*check_fn)(const settings_t *s, char *why, size_t whylen);

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            snprintf(why, whylen, __VA_ARGS__);                                                    \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static int check_defaults(const settings_t *s, char *why, size_t whylen)
{
    EXPECT(strcmp(s->log_level, "info") == 0, "log_level=%s", s->log_level);
    EXPECT(strcmp(s->database_url, "") == 0, "database_url not empty");
    EXPECT(s->database_connect_timeout_ms == 5000, "connect_timeout=%lld",
           (long long)s->database_connect_timeout_ms);
    EXPECT(s->database_retry_max_ms == 5000, "retry_max");
    EXPECT(strcmp(s->ingest_stream, "ingest-1") == 0, "stream=%s", s->ingest_stream);
    EXPECT(strcmp(s->ingest_http_listen, "127.0.0.1:9470") == 0, "listen");
    EXPECT(s->ingest_http_threads == 2, "threads");
    EXPECT(strcmp(s->ingest_zmq_listen, "tcp://127.0.0.1:9480") == 0, "zmq");
    EXPECT(strcmp(s->ingest_publish, "tcp://127.0.0.1:9490") == 0, "publish");
    EXPECT(s->ingest_batch_max_events == 1000, "batch.max_events");
    EXPECT(s->ingest_batch_max_wait_us == 2000, "max_wait=%lld",
           (long long)s->ingest_batch_max_wait_us);
    EXPECT(s->ingest_queue_max_events == 100000, "queue");
    EXPECT(!s->ingest_keep_raw, "keep_raw");
    EXPECT(s->ingest_heartbeat_ms == 1000, "heartbeat");
    EXPECT(s->ingest_drain_timeout_ms == 10000, "drain");
    EXPECT(strcmp(s->kafka_brokers, "") == 0, "brokers");
    EXPECT(strcmp(s->kafka_group, "alertdesk-ingest") == 0, "group");
    EXPECT(s->nkafka_topics == 0 && s->ntokens == 0 && s->nintegrations == 0, "lists");
    EXPECT(s->auth_required, "auth.required");
    EXPECT(s->limits.max_body_bytes == 524288, "max_body_bytes=%zu", s->limits.max_body_bytes);
    EXPECT(s->limits.max_depth == 16, "max_depth");
    EXPECT(s->limits.max_labels == 64, "max_labels");
    EXPECT(s->limits.max_key_bytes == 128, "max_key_bytes");
    EXPECT(s->limits.max_value_bytes == 1024, "max_value_bytes");
    EXPECT(s->limits.max_text_bytes == 16384, "max_text_bytes");
    EXPECT(s->limits.max_events == 1000, "max_events");
    EXPECT(s->nfingerprint_ignore_labels == 0, "ignore_labels");
    return 0;
}

static int check_env_secret(const settings_t *s, char *why, size_t whylen)
{
    EXPECT(strcmp(s->database_url, DB_SECRET) == 0, "database_url=%s", s->database_url);
    return 0;
}

static int check_file_secret(const settings_t *s, char *why, size_t whylen)
{
    EXPECT(strcmp(s->database_url, FILE_SECRET) == 0, "database_url=%s", s->database_url);
    return 0;
}

static int check_tokens(const settings_t *s, char *why, size_t whylen)
{
    const settings_token_t *t = NULL;
    EXPECT(s->ntokens == 2, "ntokens=%zu", s->ntokens);
    EXPECT(settings_token_lookup(s, TOKEN_INGEST, &t) == 0 && t &&
               strcmp(t->name, "monitoring") == 0 && t->role == AUTH_ROLE_INGEST,
           "plain token not found");
    EXPECT(settings_token_lookup(s, TOKEN_OPERATOR, &t) == 0 && t && strcmp(t->name, "ci") == 0 &&
               t->role == AUTH_ROLE_OPERATOR,
           "sha256 token not found");
    EXPECT(settings_token_lookup(s, "operator-token-012345678", &t) == -1 && t == NULL,
           "wrong token accepted");
    EXPECT(settings_token_lookup(s, "", &t) == -1, "empty token accepted");
    EXPECT(settings_token_lookup(s, NULL, &t) == -1, "NULL token accepted");
    return 0;
}

static int check_integrations(const settings_t *s, char *why, size_t whylen)
{
    EXPECT(s->nintegrations == 2, "nintegrations=%zu", s->nintegrations);
    const settings_integration_t *a = &s->integrations[0], *b = &s->integrations[1];
    EXPECT(strcmp(a->name, "core-network") == 0, "name=%s", a->name);
    EXPECT(strcmp(a->routing_key, ROUTING_KEY) == 0, "routing_key from env");
    EXPECT(a->nlabels == 3, "nlabels=%u", a->nlabels);
    /* kept sorted by key whatever the file order */
    EXPECT(strcmp(a->labels[0].key, "service") == 0 && strcmp(a->labels[0].value, "backbone") == 0,
           "label 0 %s=%s", a->labels[0].key, a->labels[0].value);
    EXPECT(strcmp(a->labels[1].key, "site") == 0 && strcmp(a->labels[1].value, "par1") == 0,
           "label 1");
    EXPECT(strcmp(a->labels[2].key, "team") == 0 && strcmp(a->labels[2].value, "noc") == 0,
           "label 2");
    EXPECT(strcmp(b->routing_key, "plain-key-2") == 0 && b->nlabels == 0, "second integration");
    return 0;
}

static int check_topics(const settings_t *s, char *why, size_t whylen)
{
    EXPECT(s->nkafka_topics == 3, "ntopics=%zu", s->nkafka_topics);
    EXPECT(strcmp(s->kafka_topics[0].name, "am") == 0 && !s->kafka_topics[0].auto_format &&
               s->kafka_topics[0].format == EVENT_FORMAT_ALERTMANAGER,
           "topic 0");
    EXPECT(s->kafka_topics[1].auto_format, "topic 1 default format is auto");
    EXPECT(!s->kafka_topics[2].auto_format && s->kafka_topics[2].format == EVENT_FORMAT_ZABBIX,
           "topic 2");
    return 0;
}

static int check_units(const settings_t *s, char *why, size_t whylen)
{
    EXPECT(s->ingest_batch_max_wait_us == 1500, "max_wait=%lld",
           (long long)s->ingest_batch_max_wait_us);
    EXPECT(s->ingest_heartbeat_ms == 250, "plain number is ms: %lld",
           (long long)s->ingest_heartbeat_ms);
    EXPECT(s->ingest_drain_timeout_ms == 120000, "2m=%lld", (long long)s->ingest_drain_timeout_ms);
    EXPECT(s->database_retry_max_ms == 3600000, "1h");
    EXPECT(s->limits.max_body_bytes == 1048576, "1MiB");
    EXPECT(s->limits.max_key_bytes == 100, "100");
    EXPECT(s->limits.max_text_bytes == 1000, "1kB");
    EXPECT(s->ingest_keep_raw, "keep_raw: yes");
    EXPECT(!s->auth_required, "required: off");
    EXPECT(s->nfingerprint_ignore_labels == 2 &&
               strcmp(s->fingerprint_ignore_labels[0], "pod") == 0 &&
               strcmp(s->fingerprint_ignore_labels[1], "instance") == 0,
           "ignore_labels");
    EXPECT(strcmp(s->ingest_zmq_listen, "") == 0, "zmq disabled");
    EXPECT(strcmp(s->log_level, "debug") == 0, "log level");
    return 0;
}

/* ---- The cases --------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *yaml;
    const char *error; /* after the file name; NULL = must load */
    check_fn check;
} load_case_t;

static const load_case_t load_cases[] = {
    {"empty file gives defaults", "", NULL, check_defaults},
    {"comments only", "# nothing\n", NULL, check_defaults},
    {"unknown key with suggestion (line 7)",
     "# alertdesk\n"
     "log:\n"
     "  level: info\n"
     "ingest:\n"
     "  stream: ingest-1\n"
     "  http:\n"
     "    listne: 127.0.0.1:9470\n",
     ":7: ingest.http.listne: unknown key (did you mean \"ingest.http.listen\"?)", NULL},
    {"unknown section with suggestion", "ingset:\n  stream: a\n",
     ":1: ingset: unknown key (did you mean \"ingest\"?)", NULL},
    {"unknown key far from any", "frobnicate: 1\n", ":1: frobnicate: unknown key", NULL},
    {"bad duration", "ingest:\n  batch:\n    max_wait: 5x\n",
     ":3: ingest.batch.max_wait: \"5x\" is not a duration (use e.g. 1500us, 250ms, 5s, 2m, 1h, "
     "1d)",
     NULL},
    {"duration out of bounds", "ingest:\n  batch:\n    max_wait: 2s\n",
     ":3: ingest.batch.max_wait: 2s is out of range 0s..1s", NULL},
    {"duration not whole", "database:\n  connect_timeout: 1500us\n",
     ":2: database.connect_timeout: \"1500us\" is not a whole number of ms", NULL},
    {"int out of bounds", "ingest:\n  http:\n    threads: 100\n",
     ":3: ingest.http.threads: 100 is out of range 1..64", NULL},
    {"int not a number", "ingest:\n  http:\n    threads: two\n",
     ":3: ingest.http.threads: \"two\" is not an integer", NULL},
    {"int without value", "ingest:\n  http:\n    threads:\n",
     ":3: ingest.http.threads: a value is required", NULL},
    {"size out of bounds", "limits:\n  max_body_bytes: 1kB\n",
     ":2: limits.max_body_bytes: 1kB is out of range 1KiB..64MiB", NULL},
    {"bad size", "limits:\n  max_body_bytes: 1 MB\n",
     ":2: limits.max_body_bytes: \"1 MB\" is not a size (use bytes or B, kB, MB, GB, KiB, MiB, "
     "GiB, e.g. 512KiB)",
     NULL},
    {"bad bool", "ingest:\n  keep_raw: maybe\n",
     ":2: ingest.keep_raw: \"maybe\" is not a boolean (use true/false, yes/no or on/off)", NULL},
    {"mapping where scalar expected", "ingest:\n  http:\n    listen:\n      host: x\n",
     ":4: ingest.http.listen: expected a scalar, got a mapping", NULL},
    {"sequence where scalar expected", "log:\n  level: [info]\n",
     ":2: log.level: expected a scalar, got a sequence", NULL},
    {"scalar where section expected", "ingest: 5\n", ":1: ingest: expected a mapping, got a scalar",
     NULL},
    {"scalar where list expected", "fingerprint:\n  ignore_labels: pod\n",
     ":2: fingerprint.ignore_labels: expected a sequence, got a scalar", NULL},
    {"top level not a mapping", "- a\n- b\n", ":1: the top level must be a mapping, not a sequence",
     NULL},
    {"duplicate key", "log:\n  level: info\n  level: debug\n",
     ":3: log.level: duplicate key (first at line 2)", NULL},
    {"set twice through dotted key", "ingest.stream: a\ningest:\n  stream: b\n",
     ":3: ingest.stream: set twice (first at line 1)", NULL},
    {"anchor refused", "log:\n  level: &lv info\n",
     ":2: log.level: YAML anchors (&lv) are not supported", NULL},
    {"alias refused", "log:\n  level: info\ningest:\n  stream: *lv\n",
     ":4: ingest.stream: YAML aliases (*lv) are not supported", NULL},
    {"tag refused", "ingest:\n  http:\n    threads: !!int 3\n",
     ":3: ingest.http.threads: YAML tags (tag:yaml.org,2002:int) are not supported", NULL},
    {"two documents refused", "log:\n  level: info\n---\nlog:\n  level: debug\n",
     ":3: only one YAML document per file is supported", NULL},
    {"syntax error", "log:\n  level: [info\n",
     ":3: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at "
     "line 2)",
     NULL},
    {"bad log level", "log:\n  level: verbose\n",
     ":2: log.level: \"verbose\" is not one of debug, info, warn, error", NULL},
    {"bad stream name", "ingest:\n  stream: Ingest 1\n",
     ":2: ingest.stream: \"Ingest 1\" must be 1 to 64 characters of a-z, 0-9, '_', '.', '-'", NULL},
    {"stream name too long",
     "ingest:\n  stream: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     ":2: ingest.stream: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
     "must "
     "be 1 to 64 characters of a-z, 0-9, '_', '.', '-'",
     NULL},
    {"bad listen address", "ingest:\n  http:\n    listen: localhost\n",
     ":3: ingest.http.listen: \"localhost\" is not host:port (e.g. 127.0.0.1:9470, [::1]:9470)",
     NULL},
    {"bad port", "ingest:\n  http:\n    listen: \"0.0.0.0:70000\"\n",
     ":3: ingest.http.listen: \"0.0.0.0:70000\" is not host:port (e.g. 127.0.0.1:9470, "
     "[::1]:9470)",
     NULL},
    {"bad zmq endpoint", "ingest:\n  publish: 127.0.0.1:9490\n",
     ":2: ingest.publish: \"127.0.0.1:9490\" is not a ZeroMQ endpoint (tcp://, ipc:// or "
     "inproc://)",
     NULL},
    {"env secret unset", "database:\n  url: env:ALERTDESK_TEST_UNSET_VAR\n",
     ":2: database.url: environment variable ALERTDESK_TEST_UNSET_VAR is not set", NULL},
    {"env secret set", "database:\n  url: env:ALERTDESK_TEST_DB_URL\n", NULL, check_env_secret},
    {"file secret", "database:\n  url: file:@SECRET_FILE@\n", NULL, check_file_secret},
    {"file secret unreadable", "database:\n  url: file:/nonexistent/alertdesk-secret\n",
     ":2: database.url: cannot read /nonexistent/alertdesk-secret: No such file or directory",
     NULL},
    {"tokens: plain (env) and sha256, both looked up",
     "auth:\n"
     "  tokens:\n"
     "    - name: monitoring\n"
     "      role: ingest\n"
     "      token: env:ALERTDESK_TEST_TOKEN\n"
     "    - name: ci\n"
     "      role: operator\n"
     "      sha256: " TOKEN_OPERATOR_SHA256 "\n",
     NULL, check_tokens},
    {"duplicate token name",
     "auth:\n"
     "  tokens:\n"
     "    - name: a\n"
     "      role: ingest\n"
     "      token: env:ALERTDESK_TEST_TOKEN\n"
     "    - name: a\n"
     "      role: admin\n"
     "      sha256: " TOKEN_OPERATOR_SHA256 "\n",
     ":6: auth.tokens[1].name: duplicate token name \"a\" (first at line 3)", NULL},
    {"same token twice",
     "auth:\n"
     "  tokens:\n"
     "    - name: a\n"
     "      role: ingest\n"
     "      token: " TOKEN_OPERATOR "\n"
     "    - name: b\n"
     "      role: admin\n"
     "      sha256: " TOKEN_OPERATOR_SHA256 "\n",
     ":6: auth.tokens[1]: same token as \"a\"", NULL},
    {"token key misspelt",
     "auth:\n  tokens:\n    - name: a\n      rol: ingest\n      token: env:ALERTDESK_TEST_TOKEN\n",
     ":4: auth.tokens[0].rol: unknown key (did you mean \"role\"?)", NULL},
    {"token role unknown",
     "auth:\n  tokens:\n    - name: a\n      role: root\n      token: env:ALERTDESK_TEST_TOKEN\n",
     ":4: auth.tokens[0].role: \"root\" is not one of ingest, viewer, agent, operator, admin",
     NULL},
    {"token and sha256 both",
     "auth:\n  tokens:\n    - name: a\n      role: ingest\n      token: env:ALERTDESK_TEST_TOKEN\n"
     "      sha256: " TOKEN_OPERATOR_SHA256 "\n",
     ":3: auth.tokens[0]: set token or sha256, not both", NULL},
    {"token missing", "auth:\n  tokens:\n    - name: a\n      role: ingest\n",
     ":3: auth.tokens[0]: token or sha256 is required", NULL},
    {"token too short", "auth:\n  tokens:\n    - name: a\n      role: ingest\n      token: abc\n",
     ":5: auth.tokens[0].token: shorter than 16 characters", NULL},
    {"token env unset",
     "auth:\n  tokens:\n    - name: a\n      role: ingest\n      token: env:ALERTDESK_NOPE\n",
     ":5: auth.tokens[0].token: environment variable ALERTDESK_NOPE is not set", NULL},
    {"bad sha256", "auth:\n  tokens:\n    - name: a\n      role: ingest\n      sha256: abcd\n",
     ":5: auth.tokens[0].sha256: expected 64 hex digits", NULL},
    {"token without name", "auth:\n  tokens:\n    - role: ingest\n      sha256: abcd\n",
     ":3: auth.tokens[0].name: required", NULL},
    {"kafka topics",
     "ingest:\n"
     "  kafka:\n"
     "    brokers: localhost:9092\n"
     "    topics:\n"
     "      - {name: am, format: alertmanager}\n"
     "      - name: mixed\n"
     "      - name: zbx\n"
     "        format: zabbix\n",
     NULL, check_topics},
    {"kafka topic format unknown",
     "ingest:\n  kafka:\n    topics:\n      - name: t\n        format: json\n",
     ":5: ingest.kafka.topics[0].format: \"json\" is not one of native, alertmanager, pagerduty, "
     "zabbix, auto",
     NULL},
    {"kafka duplicate topic", "ingest:\n  kafka:\n    topics:\n      - name: t\n      - name: t\n",
     ":5: ingest.kafka.topics[1].name: duplicate topic \"t\" (first at line 4)", NULL},
    {"kafka brokers without topics", "ingest:\n  kafka:\n    brokers: localhost:9092\n",
     ":3: ingest.kafka.topics: at least one topic is required when ingest.kafka.brokers is set",
     NULL},
    {"integration labels",
     "integrations:\n"
     "  - name: core-network\n"
     "    routing_key: env:ALERTDESK_TEST_ROUTING_KEY\n"
     "    labels:\n"
     "      team: noc\n"
     "      site: par1\n"
     "      service: backbone\n"
     "  - name: other\n"
     "    routing_key: plain-key-2\n",
     NULL, check_integrations},
    {"integration duplicate name",
     "integrations:\n  - name: a\n    routing_key: k1\n  - name: a\n    routing_key: k2\n",
     ":4: integrations[1].name: duplicate integration name \"a\" (first at line 2)", NULL},
    {"integration duplicate routing key (not echoed)",
     "integrations:\n  - name: a\n    routing_key: k1\n  - name: b\n    routing_key: k1\n",
     ":5: integrations[1].routing_key: same routing key as integration \"a\"", NULL},
    {"integration labels not a mapping",
     "integrations:\n  - name: a\n    routing_key: k1\n    labels: [x]\n",
     ":4: integrations[0].labels: expected a mapping, got a sequence", NULL},
    {"integration label value not scalar",
     "integrations:\n  - name: a\n    routing_key: k1\n    labels:\n      team: {x: y}\n",
     ":5: integrations[0].labels.team: expected a scalar, got a mapping", NULL},
    {"integration label key over limit",
     "limits:\n  max_key_bytes: 4\n"
     "integrations:\n  - name: a\n    routing_key: k1\n    labels:\n      ok: 1\n"
     "      toolong: 2\n",
     ":8: integrations[0].labels.toolong: name longer than limits.max_key_bytes (4)", NULL},
    {"batch larger than queue",
     "ingest:\n  batch:\n    max_events: 5000\n  queue:\n"
     "    max_events: 1000\n",
     ":3: ingest.batch.max_events: 5000 is larger than ingest.queue.max_events (1000)", NULL},
    {"units and plain numbers",
     "log: {level: debug}\n"
     "database: {retry_max: 1h}\n"
     "ingest:\n"
     "  batch: {max_wait: 1500us}\n"
     "  heartbeat_interval: 250\n"
     "  drain_timeout: 2m\n"
     "  keep_raw: yes\n"
     "  zmq:\n"
     "    listen: \"\"\n"
     "auth: {required: off}\n"
     "limits: {max_body_bytes: 1MiB, max_key_bytes: 100, max_text_bytes: 1kB}\n"
     "fingerprint:\n"
     "  ignore_labels: [pod, instance]\n",
     NULL, check_units},
    {"list item not scalar", "fingerprint:\n  ignore_labels:\n    - pod\n    - {a: b}\n",
     ":4: fingerprint.ignore_labels[1]: expected a scalar, got a mapping", NULL},
    {"empty section is fine", "ingest:\nlog:\n", NULL, check_defaults},
};

/* Replaces @SECRET_FILE@ in text. Caller frees. */
static char *expand(const char *text)
{
    const char *at = strstr(text, "@SECRET_FILE@");
    size_t len = strlen(text) + sizeof secret_file + 1;
    char *out = malloc(len);
    if (!at) {
        snprintf(out, len, "%s", text);
    } else {
        snprintf(out, len, "%.*s%s%s", (int)(at - text), text, secret_file,
                 at + strlen("@SECRET_FILE@"));
    }
    return out;
}

static void run_load_case(const load_case_t *c)
{
    char path[64], err[512] = "", why[256] = "";
    char *yaml = expand(c->yaml);
    write_temp(yaml, path, sizeof path);
    free(yaml);
    settings_t s;
    int rc = settings_load(path, &s, err, sizeof err);
    if (c->error) {
        size_t plen = strlen(path);
        if (rc == 0) {
            fail(c->name, "loaded, expected error \"%s\"", c->error);
        } else if (strncmp(err, path, plen) != 0 || strcmp(err + plen, c->error) != 0) {
            fail(c->name, "\n  expected: %s%s\n  got:      %s", path, c->error, err);
        }
    } else if (rc != 0) {
        fail(c->name, "did not load: %s", err);
    } else if (c->check && c->check(&s, why, sizeof why) != 0) {
        fail(c->name, "%s", why);
    }
    if (rc == 0 && strcmp(s.config_path, path) != 0) {
        fail(c->name, "config_path not recorded");
    }
    settings_free(&s);
    unlink(path);
}

/* ---- Value parsers ----------------------------------------------------- */

typedef struct {
    const char *text;
    int64_t unit_us; /* duration unit; 0 = size */
    int rc;
    int64_t want;
} value_case_t;

static const value_case_t value_cases[] = {
    {"250ms", 1, 0, 250000},
    {"5s", 1000, 0, 5000},
    {"2m", 1000000, 0, 120},
    {"1h", 1000, 0, 3600000},
    {"1d", 1000000, 0, 86400},
    {"1500us", 1, 0, 1500},
    {"1500us", 1000, -1, 0},
    {"100", 1000, 0, 100},
    {"0", 1, 0, 0},
    {"-5s", 1, -1, 0},
    {"5 s", 1, -1, 0},
    {"5sec", 1, -1, 0},
    {"", 1, -1, 0},
    {"99999999999999999999s", 1, -1, 0},
    {"512KiB", 0, 0, 524288},
    {"1MiB", 0, 0, 1048576},
    {"100", 0, 0, 100},
    {"1kB", 0, 0, 1000},
    {"2GiB", 0, 0, 2147483648LL},
    {"10B", 0, 0, 10},
    {"1KB", 0, -1, 0},
    {"1.5MiB", 0, -1, 0},
};

static void run_value_cases(void)
{
    for (size_t i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
        const value_case_t *c = &value_cases[i];
        char why[256], name[96];
        int64_t got = 0;
        int rc = c->unit_us ? config_parse_duration(c->text, c->unit_us, &got, why, sizeof why)
                            : config_parse_size(c->text, &got, why, sizeof why);
        snprintf(name, sizeof name, "value \"%s\" (unit %lld)", c->text, (long long)c->unit_us);
        if (rc != c->rc || (rc == 0 && got != c->want)) {
            fail(name, "rc=%d got=%lld, want rc=%d value=%lld", rc, (long long)got, c->rc,
                 (long long)c->want);
        }
    }
    static const struct {
        const char *text;
        int rc;
        bool want;
    } bools[] = {{"true", 0, true}, {"False", 0, false}, {"yes", 0, true},
                 {"no", 0, false},  {"on", 0, true},     {"OFF", 0, false},
                 {"1", -1, false},  {"", -1, false},     {"truth", -1, false}};
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        bool b = !bools[i].want;
        char why[128];
        int rc = config_parse_bool(bools[i].text, &b, why, sizeof why);
        if (rc != bools[i].rc || (rc == 0 && b != bools[i].want)) {
            fail("bool", "\"%s\": rc=%d", bools[i].text, rc);
        }
    }
    char buf[32];
    if (strcmp(config_format_duration(2000, 1, buf, sizeof buf), "2ms") != 0 ||
        strcmp(config_format_duration(60000, 1000, buf, sizeof buf), "1m") != 0 ||
        strcmp(config_format_duration(1500, 1, buf, sizeof buf), "1500us") != 0 ||
        strcmp(config_format_duration(0, 1000, buf, sizeof buf), "0s") != 0) {
        fail("format duration", "last: %s", buf);
    }
    if (strcmp(config_format_size(524288, buf, sizeof buf), "512KiB") != 0 ||
        strcmp(config_format_size(1000, buf, sizeof buf), "1000") != 0) {
        fail("format size", "last: %s", buf);
    }
    if (config_edit_distance("listne", "listen", 2) != 2 ||
        config_edit_distance("level", "level", 2) != 0 ||
        config_edit_distance("abc", "xyzxyz", 2) != 3) {
        fail("edit distance", "wrong distance");
    }
}

/* ---- Whole-file checks ------------------------------------------------- */

static void run_defaults(void)
{
    char err[512], why[256];
    settings_t s;
    if (settings_table_check(err, sizeof err) != 0) {
        fail("table check", "%s", err);
    }
    if (settings_load(NULL, &s, err, sizeof err) != 0) {
        fail("defaults only", "%s", err);
        return;
    }
    if (check_defaults(&s, why, sizeof why) != 0) {
        fail("defaults only", "%s", why);
    }
    if (s.config_path != NULL) {
        fail("defaults only", "config_path set");
    }
    settings_free(&s);
    if (settings_load("/nonexistent/alertdesk.yml", &s, err, sizeof err) == 0 ||
        strcmp(err, "/nonexistent/alertdesk.yml: cannot open: No such file or directory") != 0) {
        fail("missing file", "got: %s", err);
    }
    settings_free(&s);
}

static void run_example(void)
{
    char err[512];
    settings_t s;
    const char *path = SOURCE_DIR "/deploy/alertdesk.example.yml";
    if (settings_load(path, &s, err, sizeof err) != 0) {
        fail("example config loads", "%s", err);
        return;
    }
    const settings_token_t *t;
    if (s.ntokens != 3 || settings_token_lookup(&s, TOKEN_OPERATOR, &t) != 0 ||
        t->role != AUTH_ROLE_OPERATOR || s.nintegrations != 1 || s.nkafka_topics != 2) {
        fail("example config loads", "unexpected content");
    }
    settings_free(&s);
}

static char *capture_print(const settings_t *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    settings_print(s, out);
    fclose(out);
    return buf;
}

static void run_print(void)
{
    char path[64], err[512];
    const char *yaml =
        "database:\n  url: env:ALERTDESK_TEST_DB_URL\n"
        "ingest:\n  kafka:\n    brokers: k:9092\n    topics: [{name: t1}]\n"
        "auth:\n  tokens:\n    - name: monitoring\n      role: ingest\n"
        "      token: " TOKEN_INGEST "\n"
        "    - name: ci\n      role: operator\n      sha256: " TOKEN_OPERATOR_SHA256 "\n"
        "integrations:\n  - name: core\n    routing_key: env:ALERTDESK_TEST_ROUTING_KEY\n"
        "    labels: {team: noc}\n";
    write_temp(yaml, path, sizeof path);
    settings_t s;
    if (settings_load(path, &s, err, sizeof err) != 0) {
        fail("print-config", "did not load: %s", err);
        unlink(path);
        return;
    }
    char *text = capture_print(&s);
    static const char *const secrets[] = {DB_SECRET, "s3cr3t-pw", TOKEN_INGEST,
                                          TOKEN_OPERATOR_SHA256, ROUTING_KEY};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        if (strstr(text, secrets[i])) {
            fail("print-config masks secrets", "found \"%s\" in:\n%s", secrets[i], text);
        }
    }
    static const char *const lines[] = {
        "database:\n  url: \"(secret)\"\n  connect_timeout: 5s\n",
        "ingest:\n  stream: \"ingest-1\"\n  http:\n    listen: \"127.0.0.1:9470\"\n    threads: 2\n"
        "  zmq:\n    listen: \"tcp://127.0.0.1:9480\"\n  publish: \"tcp://127.0.0.1:9490\"\n"
        "  batch:\n    max_events: 1000\n    connections: 2\n    max_wait: 2ms\n",
        "    topics:\n      - name: \"t1\"\n        format: auto\n",
        "  tokens:\n    - name: \"monitoring\"\n      role: ingest\n      token: \"(secret)\"\n",
        "  - name: \"core\"\n    routing_key: \"(secret)\"\n    labels: {\"team\": \"noc\"}\n",
        "limits:\n  max_body_bytes: 512KiB\n",
        "fingerprint:\n  ignore_labels: []\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (!strstr(text, lines[i])) {
            fail("print-config content", "missing:\n%s\nin:\n%s", lines[i], text);
        }
    }
    free(text);
    settings_free(&s);

    /* The printed configuration loads again to the same values. */
    if (settings_load(NULL, &s, err, sizeof err) == 0) {
        char *defaults = capture_print(&s);
        char again[64];
        write_temp(defaults, again, sizeof again);
        settings_t t;
        if (settings_load(again, &t, err, sizeof err) != 0) {
            fail("print-config round trip", "%s", err);
        } else {
            char *second = capture_print(&t);
            const char *a = strchr(defaults, '\n'), *b = strchr(second, '\n'); /* skip header */
            if (!a || !b || strcmp(a, b) != 0) {
                fail("print-config round trip", "differs:\n%s\n---\n%s", defaults, second);
            }
            free(second);
            settings_free(&t);
        }
        unlink(again);
        free(defaults);
        settings_free(&s);
    }
    unlink(path);
}

static void run_reference(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    settings_reference_markdown(out);
    fclose(out);
    static const char *const want[] = {
        "| Name | Type | Default | Description |\n| --- | --- | --- | --- |\n",
        "| `ingest.batch.max_wait` | duration | `2ms` | ",
        "Range: 0s..1s. A plain number counts us. |\n",
        "| `database.url` | string | `\"\"` | ",
        "Secret: accepts `env:NAME` and `file:/path`",
        "| `limits.max_body_bytes` | size | `512KiB` |",
        "| `auth.tokens` | list of {name, role, token or sha256} | `[]` |",
        "| `fingerprint.ignore_labels` | list of strings | `[]` |",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(buf, want[i])) {
            fail("reference markdown", "missing \"%s\" in:\n%s", want[i], buf);
        }
    }
    free(buf);
}

int main(void)
{
    setenv("ALERTDESK_TEST_DB_URL", DB_SECRET, 1);
    setenv("ALERTDESK_TEST_TOKEN", TOKEN_INGEST, 1);
    setenv("ALERTDESK_TEST_ROUTING_KEY", ROUTING_KEY, 1);
    unsetenv("ALERTDESK_TEST_UNSET_VAR");
    unsetenv("ALERTDESK_NOPE");
    /* for deploy/alertdesk.example.yml */
    setenv("DATABASE_URL", DB_SECRET, 1);
    setenv("ALERTDESK_TOKEN", TOKEN_INGEST, 1);
    setenv("ALERTDESK_ADMIN_TOKEN", "admin-token-abcdefghijklmnop", 1);
    setenv("ALERTDESK_ROUTING_KEY", ROUTING_KEY, 1);
    setenv("ALERTDESK_ACK_SECRET", "ack-secret-abcdefghijklmnop", 1);

    char tmp[64];
    write_temp(FILE_SECRET "\nsecond line\n", tmp, sizeof tmp);
    snprintf(secret_file, sizeof secret_file, "%s", tmp);

    size_t n = sizeof load_cases / sizeof load_cases[0];
    for (size_t i = 0; i < n; i++) {
        run_load_case(&load_cases[i]);
    }
    run_value_cases();
    run_defaults();
    run_example();
    run_print();
    run_reference();
    unlink(secret_file);

    if (failures) {
        fprintf(stderr, "test_config: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_config: %zu load cases and the rest passed\n", n);
    return 0;
}

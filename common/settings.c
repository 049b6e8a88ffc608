/*
 * settings - alertdesk's one settings table. See settings.h.
 *
 * The table below is the index of every setting: name, type, default,
 * bounds, flags and help. config.c does the parsing, printing and the
 * reference from it; this file adds the alertdesk-specific parts: value
 * checks (stream names, endpoints), the three list-of-records settings
 * (Kafka topics, tokens, integrations), rules that span settings, and the
 * token lookup.
 *
 * Tokens: only the SHA-256 of a token is kept. A plaintext token from the
 * file, the environment or a secret file is hashed at once and its text
 * wiped; lookups hash the presented token and compare against every stored
 * hash in constant time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config.h"
#include "log.h"
#include "settings.h"
#include "xalloc.h"

#define SETTINGS_TOKEN_MIN 16 /* bytes: shorter tokens are guessable */

/* ---- Value checks ------------------------------------------------------- */

static int settings_check_log_level(const char *v, char *why, size_t whylen)
{
    log_level_t level;
    if (log_level_parse(v, &level) == 0) {
        return 0;
    }
    snprintf(why, whylen, "\"%s\" is not one of debug, info, warn, error", v);
    return -1;
}

static int settings_check_stream(const char *v, char *why, size_t whylen)
{
    size_t n = strlen(v);
    bool ok = n >= 1 && n <= 64;
    for (const char *p = v; ok && *p; p++) {
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
             *p == '-';
    }
    if (ok) {
        return 0;
    }
    snprintf(why, whylen, "\"%s\" must be 1 to 64 characters of a-z, 0-9, '_', '.', '-'", v);
    return -1;
}

static int settings_check_host_port(const char *v, char *why, size_t whylen)
{
    const char *colon = strrchr(v, ':');
    bool ok = colon && colon > v;
    if (ok && v[0] == '[') {
        ok = colon[-1] == ']' && colon - v > 2; /* [::1]:9470 */
    } else if (ok) {
        ok = memchr(v, ':', (size_t)(colon - v)) == NULL; /* bare IPv6 needs brackets */
    }
    long port = 0;
    if (ok) {
        const char *p = colon + 1;
        ok = *p != '\0' && strlen(p) <= 5;
        for (; ok && *p; p++) {
            ok = *p >= '0' && *p <= '9';
            port = port * 10 + (*p - '0');
        }
        ok = ok && port >= 1 && port <= 65535;
    }
    if (ok) {
        return 0;
    }
    snprintf(why, whylen, "\"%s\" is not host:port (e.g. 127.0.0.1:9470, [::1]:9470)", v);
    return -1;
}

static int settings_check_endpoint(const char *v, char *why, size_t whylen)
{
    static const char *const schemes[] = {"tcp://", "ipc://", "inproc://"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(v, schemes[i], n) == 0 && v[n] != '\0') {
            return 0;
        }
    }
    snprintf(why, whylen, "\"%s\" is not a ZeroMQ endpoint (tcp://, ipc:// or inproc://)", v);
    return -1;
}

static int settings_check_endpoint_or_empty(const char *v, char *why, size_t whylen)
{
    return v[0] == '\0' ? 0 : settings_check_endpoint(v, why, whylen);
}

/* A comma-separated list of ZeroMQ endpoints (correlator.events). */
static int settings_check_endpoint_list(const char *v, char *why, size_t whylen)
{
    char *list = xstrdup(v), *save = NULL;
    int rc = 0, n = 0;
    for (char *ep = strtok_r(list, ",", &save); ep && rc == 0; ep = strtok_r(NULL, ",", &save)) {
        rc = settings_check_endpoint(ep, why, whylen);
        n++;
    }
    free(list);
    if (rc == 0 && n == 0) {
        snprintf(why, whylen, "must name at least one endpoint");
        rc = -1;
    }
    return rc;
}

static int settings_check_not_empty(const char *v, char *why, size_t whylen)
{
    if (v[0] != '\0') {
        return 0;
    }
    snprintf(why, whylen, "must not be empty");
    return -1;
}

/* ---- Helpers for the record lists ----------------------------------------- */

/* The scalar under key in item: *out NULL when absent and optional. */
static int settings_field(const config_node_t *item, const char *file, const char *path,
                          const char *key, bool required, const config_node_t **out, char *err,
                          size_t errlen)
{
    char full[256];
    snprintf(full, sizeof full, "%s.%s", path, key);
    *out = config_node_get(item, key);
    if (!*out) {
        if (required) {
            config_error(err, errlen, file, item->line, full, "required");
            return -1;
        }
        return 0;
    }
    if (config_expect_scalar(*out, file, full, err, errlen)) {
        return -1;
    }
    if (required && (*out)->value[0] == '\0') {
        config_error(err, errlen, file, (*out)->line, full, "must not be empty");
        return -1;
    }
    return 0;
}

/* A list setting's node: NULL (empty) for a null node, else a sequence. */
static int settings_list(const config_setting_t *d, const config_node_t *node, const char *file,
                         size_t *n, char *err, size_t errlen)
{
    if (config_node_is_null(node)) {
        *n = 0;
        return 0;
    }
    if (node->type != CONFIG_NODE_SEQUENCE) {
        config_error(err, errlen, file, node->line, d->name, "expected a sequence, got a %s",
                     config_node_type_name(node));
        return -1;
    }
    *n = node->n;
    return 0;
}

static void settings_print_indent(FILE *out, int indent)
{
    fprintf(out, "%*s", indent, "");
}

/* ---- ingest.kafka.topics ------------------------------------------------- */

static void settings_topics_release(settings_kafka_topic_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].name);
    }
    free(t);
}

static void settings_topics_free(const config_setting_t *d, void *base)
{
    (void)d;
    settings_t *s = base;
    settings_topics_release(s->kafka_topics, s->nkafka_topics);
    s->kafka_topics = NULL;
    s->nkafka_topics = 0;
}

static int settings_topics_parse(const config_setting_t *d, const config_node_t *node,
                                 const char *file, void *base, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "format", NULL};
    settings_t *s = base;
    size_t n;
    if (settings_list(d, node, file, &n, err, errlen)) {
        return -1;
    }
    settings_kafka_topic_t *topics = xcalloc(n ? n : 1, sizeof *topics);
    int *lines = xcalloc(n ? n : 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        const config_node_t *item = node->children[i], *name, *format;
        char path[128];
        snprintf(path, sizeof path, "%s[%zu]", d->name, i);
        if (config_check_keys(item, file, path, keys, err, errlen) ||
            settings_field(item, file, path, "name", true, &name, err, errlen) ||
            settings_field(item, file, path, "format", false, &format, err, errlen)) {
            goto fail;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(topics[j].name, name->value) == 0) {
                char key[160];
                snprintf(key, sizeof key, "%s.name", path);
                config_error(err, errlen, file, name->line, key,
                             "duplicate topic \"%s\" (first at line %d)", name->value, lines[j]);
                goto fail;
            }
        }
        topics[i].name = xstrdup(name->value);
        lines[i] = name->line;
        topics[i].format = EVENT_FORMAT_NATIVE;
        const char *f = format ? format->value : "auto";
        if (strcmp(f, "auto") == 0) {
            topics[i].auto_format = true;
        } else if (event_format_parse(f, &topics[i].format) != 0) {
            char key[160];
            snprintf(key, sizeof key, "%s.format", path);
            config_error(err, errlen, file, format->line, key,
                         "\"%s\" is not one of native, alertmanager, pagerduty, zabbix, auto", f);
            goto fail;
        }
    }
    settings_topics_free(d, base);
    s->kafka_topics = topics;
    s->nkafka_topics = n;
    free(lines);
    return 0;
fail:
    settings_topics_release(topics, n);
    free(lines);
    return -1;
}

static void settings_topics_print(const config_setting_t *d, const void *base, FILE *out,
                                  int indent)
{
    (void)d;
    const settings_t *s = base;
    if (s->nkafka_topics == 0) {
        fputs(" []\n", out);
        return;
    }
    fputc('\n', out);
    for (size_t i = 0; i < s->nkafka_topics; i++) {
        const settings_kafka_topic_t *t = &s->kafka_topics[i];
        settings_print_indent(out, indent + 2);
        fputs("- name: ", out);
        config_print_quoted(out, t->name);
        fputc('\n', out);
        settings_print_indent(out, indent + 4);
        fprintf(out, "format: %s\n", t->auto_format ? "auto" : event_format_name(t->format));
    }
}

/* ---- auth.tokens ---------------------------------------------------------- */

static const char *const settings_role_names[] = {NULL,    "ingest", "operator",
                                                  "admin", "viewer", "agent"};
#define SETTINGS_NROLES (sizeof settings_role_names / sizeof settings_role_names[0])

const char *settings_role_name(auth_role_t role)
{
    return (size_t)role < SETTINGS_NROLES && role > 0 ? settings_role_names[role] : "none";
}

/* settings_role_rank - API rights in order; ingest has none. */
static int settings_role_rank(auth_role_t r)
{
    switch (r) {
    case AUTH_ROLE_VIEWER:
        return 1;
    case AUTH_ROLE_AGENT:
        return 2;
    case AUTH_ROLE_OPERATOR:
        return 3;
    case AUTH_ROLE_ADMIN:
        return 4;
    case AUTH_ROLE_INGEST:
        break;
    }
    return 0;
}

bool settings_role_allows(auth_role_t have, auth_role_t need)
{
    return settings_role_rank(have) > 0 && settings_role_rank(have) >= settings_role_rank(need);
}

static void settings_tokens_release(settings_token_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].name);
        OPENSSL_cleanse(t[i].sha256, sizeof t[i].sha256);
    }
    free(t);
}

static void settings_tokens_free(const config_setting_t *d, void *base)
{
    (void)d;
    settings_t *s = base;
    settings_tokens_release(s->tokens, s->ntokens);
    s->tokens = NULL;
    s->ntokens = 0;
}

static void settings_sha256(const char *text, size_t len, unsigned char md[32])
{
    unsigned int mdlen = 0;
    /* EVP_Digest fails only on allocation or a broken provider. */
    if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        log_fatal("msg=\"SHA-256 unavailable from libcrypto\"");
    }
}

static int settings_hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Fills t->sha256 from the item's token (hashed, then wiped) or sha256. */
static int settings_token_hash(const config_node_t *item, const char *file, const char *path,
                               settings_token_t *t, char *err, size_t errlen)
{
    const config_node_t *token, *hex;
    char key[160], why[256];
    if (settings_field(item, file, path, "token", false, &token, err, errlen) ||
        settings_field(item, file, path, "sha256", false, &hex, err, errlen)) {
        return -1;
    }
    if (token && hex) {
        config_error(err, errlen, file, item->line, path, "set token or sha256, not both");
        return -1;
    }
    if (!token && !hex) {
        config_error(err, errlen, file, item->line, path, "token or sha256 is required");
        return -1;
    }
    if (hex) {
        snprintf(key, sizeof key, "%s.sha256", path);
        bool ok = strlen(hex->value) == 64;
        for (size_t i = 0; ok && i < 32; i++) {
            int hi = settings_hex_value(hex->value[2 * i]);
            int lo = settings_hex_value(hex->value[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            t->sha256[i] = (unsigned char)(hi << 4 | lo);
        }
        if (!ok) {
            config_error(err, errlen, file, hex->line, key, "expected 64 hex digits");
            return -1;
        }
        return 0;
    }
    snprintf(key, sizeof key, "%s.token", path);
    char *plain = NULL;
    if (config_resolve_secret(token->value, &plain, why, sizeof why)) {
        config_error(err, errlen, file, token->line, key, "%s", why);
        return -1;
    }
    size_t len = strlen(plain);
    if (len < SETTINGS_TOKEN_MIN) {
        config_secret_free(&plain);
        config_error(err, errlen, file, token->line, key, "shorter than %d characters",
                     SETTINGS_TOKEN_MIN);
        return -1;
    }
    settings_sha256(plain, len, t->sha256);
    config_secret_free(&plain);
    return 0;
}

static int settings_tokens_parse(const config_setting_t *d, const config_node_t *node,
                                 const char *file, void *base, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "role", "token", "sha256", NULL};
    settings_t *s = base;
    size_t n;
    if (settings_list(d, node, file, &n, err, errlen)) {
        return -1;
    }
    settings_token_t *tokens = xcalloc(n ? n : 1, sizeof *tokens);
    int *lines = xcalloc(n ? n : 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        const config_node_t *item = node->children[i], *name, *role;
        char path[128], key[160];
        snprintf(path, sizeof path, "%s[%zu]", d->name, i);
        if (config_check_keys(item, file, path, keys, err, errlen) ||
            settings_field(item, file, path, "name", true, &name, err, errlen) ||
            settings_field(item, file, path, "role", true, &role, err, errlen)) {
            goto fail;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(tokens[j].name, name->value) == 0) {
                snprintf(key, sizeof key, "%s.name", path);
                config_error(err, errlen, file, name->line, key,
                             "duplicate token name \"%s\" (first at line %d)", name->value,
                             lines[j]);
                goto fail;
            }
        }
        tokens[i].name = xstrdup(name->value);
        lines[i] = name->line;
        for (size_t r = 1; r < SETTINGS_NROLES; r++) {
            if (strcmp(role->value, settings_role_names[r]) == 0) {
                tokens[i].role = (auth_role_t)r;
            }
        }
        if (tokens[i].role == 0) {
            snprintf(key, sizeof key, "%s.role", path);
            config_error(err, errlen, file, role->line, key,
                         "\"%s\" is not one of ingest, viewer, agent, operator, admin",
                         role->value);
            goto fail;
        }
        if (settings_token_hash(item, file, path, &tokens[i], err, errlen)) {
            goto fail;
        }
        for (size_t j = 0; j < i; j++) {
            if (CRYPTO_memcmp(tokens[j].sha256, tokens[i].sha256, 32) == 0) {
                config_error(err, errlen, file, item->line, path, "same token as \"%s\"",
                             tokens[j].name);
                goto fail;
            }
        }
    }
    settings_tokens_free(d, base);
    s->tokens = tokens;
    s->ntokens = n;
    free(lines);
    return 0;
fail:
    settings_tokens_release(tokens, n);
    free(lines);
    return -1;
}

static void settings_tokens_print(const config_setting_t *d, const void *base, FILE *out,
                                  int indent)
{
    (void)d;
    const settings_t *s = base;
    if (s->ntokens == 0) {
        fputs(" []\n", out);
        return;
    }
    fputc('\n', out);
    for (size_t i = 0; i < s->ntokens; i++) {
        settings_print_indent(out, indent + 2);
        fputs("- name: ", out);
        config_print_quoted(out, s->tokens[i].name);
        fputc('\n', out);
        settings_print_indent(out, indent + 4);
        fprintf(out, "role: %s\n", settings_role_names[s->tokens[i].role]);
        settings_print_indent(out, indent + 4);
        fputs("token: \"(secret)\"\n", out);
    }
}

int settings_token_lookup(const settings_t *s, const char *token, const settings_token_t **out)
{
    const settings_token_t *found = NULL;
    if (out) {
        *out = NULL;
    }
    if (!token) {
        return -1;
    }
    unsigned char md[32];
    settings_sha256(token, strlen(token), md);
    /* Every stored hash is compared, match or not, so timing tells nothing
     * about which token (or how much of one) matched. */
    for (size_t i = 0; i < s->ntokens; i++) {
        int same = CRYPTO_memcmp(md, s->tokens[i].sha256, sizeof md) == 0;
        found = same ? &s->tokens[i] : found;
    }
    OPENSSL_cleanse(md, sizeof md);
    if (out) {
        *out = found;
    }
    return found ? 0 : -1;
}

/* ---- integrations ------------------------------------------------------------ */

static void settings_integrations_release(settings_integration_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(in[i].name);
        config_secret_free(&in[i].routing_key);
        for (uint32_t j = 0; j < in[i].nlabels; j++) {
            free((char *)in[i].labels[j].key);
            free((char *)in[i].labels[j].value);
        }
        free(in[i].labels);
    }
    free(in);
}

static void settings_integrations_free(const config_setting_t *d, void *base)
{
    (void)d;
    settings_t *s = base;
    settings_integrations_release(s->integrations, s->nintegrations);
    s->integrations = NULL;
    s->nintegrations = 0;
}

static int settings_label_cmp(const void *a, const void *b)
{
    return strcmp(((const event_label_t *)a)->key, ((const event_label_t *)b)->key);
}

static int settings_labels_parse(const config_node_t *labels, const char *file, const char *path,
                                 settings_integration_t *in, char *err, size_t errlen)
{
    char key[256];
    snprintf(key, sizeof key, "%s.labels", path);
    if (!labels || config_node_is_null(labels)) {
        return 0;
    }
    if (labels->type != CONFIG_NODE_MAPPING) {
        config_error(err, errlen, file, labels->line, key, "expected a mapping, got a %s",
                     config_node_type_name(labels));
        return -1;
    }
    in->labels = xcalloc(labels->n ? labels->n : 1, sizeof *in->labels);
    for (size_t i = 0; i < labels->n; i++) {
        char lkey[320];
        snprintf(lkey, sizeof lkey, "%s.%s", key, labels->keys[i]);
        if (labels->keys[i][0] == '\0') {
            config_error(err, errlen, file, labels->key_lines[i], key, "empty label name");
            return -1;
        }
        if (config_expect_scalar(labels->children[i], file, lkey, err, errlen)) {
            return -1;
        }
        in->labels[in->nlabels].key = xstrdup(labels->keys[i]);
        in->labels[in->nlabels].value = xstrdup(labels->children[i]->value);
        in->nlabels++;
    }
    qsort(in->labels, in->nlabels, sizeof *in->labels, settings_label_cmp);
    return 0;
}

static int settings_integrations_parse(const config_setting_t *d, const config_node_t *node,
                                       const char *file, void *base, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "routing_key", "labels", NULL};
    settings_t *s = base;
    size_t n;
    if (settings_list(d, node, file, &n, err, errlen)) {
        return -1;
    }
    settings_integration_t *ins = xcalloc(n ? n : 1, sizeof *ins);
    int *lines = xcalloc(n ? n : 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        const config_node_t *item = node->children[i], *name, *rk;
        char path[128], key[160], why[256];
        snprintf(path, sizeof path, "%s[%zu]", d->name, i);
        if (config_check_keys(item, file, path, keys, err, errlen) ||
            settings_field(item, file, path, "name", true, &name, err, errlen) ||
            settings_field(item, file, path, "routing_key", true, &rk, err, errlen)) {
            goto fail;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(ins[j].name, name->value) == 0) {
                snprintf(key, sizeof key, "%s.name", path);
                config_error(err, errlen, file, name->line, key,
                             "duplicate integration name \"%s\" (first at line %d)", name->value,
                             lines[j]);
                goto fail;
            }
        }
        ins[i].name = xstrdup(name->value);
        lines[i] = name->line;
        snprintf(key, sizeof key, "%s.routing_key", path);
        if (config_resolve_secret(rk->value, &ins[i].routing_key, why, sizeof why)) {
            config_error(err, errlen, file, rk->line, key, "%s", why);
            goto fail;
        }
        if (ins[i].routing_key[0] == '\0') {
            config_error(err, errlen, file, rk->line, key, "must not be empty");
            goto fail;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(ins[j].routing_key, ins[i].routing_key) == 0) {
                /* Never echo the key itself: it is a secret. */
                config_error(err, errlen, file, rk->line, key,
                             "same routing key as integration \"%s\"", ins[j].name);
                goto fail;
            }
        }
        if (settings_labels_parse(config_node_get(item, "labels"), file, path, &ins[i], err,
                                  errlen)) {
            goto fail;
        }
    }
    settings_integrations_free(d, base);
    s->integrations = ins;
    s->nintegrations = n;
    free(lines);
    return 0;
fail:
    settings_integrations_release(ins, n);
    free(lines);
    return -1;
}

static void settings_integrations_print(const config_setting_t *d, const void *base, FILE *out,
                                        int indent)
{
    (void)d;
    const settings_t *s = base;
    if (s->nintegrations == 0) {
        fputs(" []\n", out);
        return;
    }
    fputc('\n', out);
    for (size_t i = 0; i < s->nintegrations; i++) {
        const settings_integration_t *in = &s->integrations[i];
        settings_print_indent(out, indent + 2);
        fputs("- name: ", out);
        config_print_quoted(out, in->name);
        fputc('\n', out);
        settings_print_indent(out, indent + 4);
        fputs("routing_key: \"(secret)\"\n", out);
        settings_print_indent(out, indent + 4);
        fputs("labels: {", out);
        for (uint32_t j = 0; j < in->nlabels; j++) {
            fputs(j ? ", " : "", out);
            config_print_quoted(out, in->labels[j].key);
            fputs(": ", out);
            config_print_quoted(out, in->labels[j].value);
        }
        fputs("}\n", out);
    }
}

/* ---- The table ------------------------------------------------------------ */

#define SETTING_FIELD(f) .offset = offsetof(settings_t, f), .size = sizeof(((settings_t *)0)->f)
#define SETTING_US       1LL
#define SETTING_MS       1000LL
#define SETTING_NOCHECK  NULL

#define S_STRING(n, f, def, fl, chk, h)                                                            \
    {                                                                                              \
        .name = n, .type = CONFIG_STRING, SETTING_FIELD(f), .default_value = def, .flags = fl,     \
        .check = chk, .help = h                                                                    \
    }
#define S_INT(n, f, def, lo, hi, fl, h)                                                            \
    {                                                                                              \
        .name = n, .type = CONFIG_INT, SETTING_FIELD(f), .default_value = def, .min = lo,          \
        .max = hi, .flags = fl, .help = h                                                          \
    }
#define S_SIZE(n, f, def, lo, hi, fl, h)                                                           \
    {                                                                                              \
        .name = n, .type = CONFIG_SIZE, SETTING_FIELD(f), .default_value = def, .min = lo,         \
        .max = hi, .flags = fl, .help = h                                                          \
    }
#define S_DURATION(n, f, def, unit, lo, hi, fl, h)                                                 \
    {                                                                                              \
        .name = n, .type = CONFIG_DURATION, SETTING_FIELD(f), .default_value = def,                \
        .unit_us = unit, .min = lo, .max = hi, .flags = fl, .help = h                              \
    }
#define S_BOOL(n, f, def, fl, h)                                                                   \
    {                                                                                              \
        .name = n, .type = CONFIG_BOOL, SETTING_FIELD(f), .default_value = def, .flags = fl,       \
        .help = h                                                                                  \
    }
#define S_STRLIST(n, f, cf, def, fl, h)                                                            \
    {                                                                                              \
        .name = n, .type = CONFIG_STRLIST, SETTING_FIELD(f),                                       \
        .count_offset = offsetof(settings_t, cf), .default_value = def, .flags = fl, .help = h     \
    }
#define S_CUSTOM(n, tn, def, fl, prefix, h)                                                        \
    {                                                                                              \
        .name = n, .type = CONFIG_CUSTOM, .type_name = tn, .default_value = def, .flags = fl,      \
        .parse = prefix##_parse, .print = prefix##_print, .free = prefix##_free, .help = h         \
    }

static const config_setting_t settings_table[] = {
    S_STRING("log.level", log_level, "info", CONFIG_RELOADABLE, settings_check_log_level,
             "Lowest log level written: debug, info, warn or error."),

    S_STRING("database.url", database_url, "", CONFIG_SECRET, SETTING_NOCHECK,
             "PostgreSQL connection URI or key=value string; empty uses libpq's PG* "
             "environment variables."),
    S_DURATION("database.connect_timeout", database_connect_timeout_ms, "5s", SETTING_MS, 1000,
               3600000, 0, "Time allowed for one connection attempt."),
    S_DURATION("database.retry_max", database_retry_max_ms, "5s", SETTING_MS, 100, 3600000, 0,
               "Ceiling of the exponential back-off between reconnection attempts."),

    S_STRING("ingest.stream", ingest_stream, "ingest-1", 0, settings_check_stream,
             "This instance's stream name: unique per ingest instance, 1-64 of a-z 0-9 _ . -; "
             "never reuse one for another instance."),
    S_STRING("ingest.http.listen", ingest_http_listen, "127.0.0.1:9470", 0,
             settings_check_host_port, "Address of the HTTP intake, /healthz and /metrics."),
    S_INT("ingest.http.threads", ingest_http_threads, "2", 1, 64, 0,
          "HTTP server threads (libmicrohttpd thread pool)."),
    S_STRING("ingest.zmq.listen", ingest_zmq_listen, "tcp://127.0.0.1:9480", 0,
             settings_check_endpoint_or_empty,
             "ZeroMQ ROUTER endpoint of the native intake; empty disables it."),
    S_STRING("ingest.publish", ingest_publish, "tcp://127.0.0.1:9490", 0, settings_check_endpoint,
             "ZeroMQ PUB endpoint where committed events and heartbeats are published."),
    S_INT("ingest.batch.max_events", ingest_batch_max_events, "1000", 1, 100000, 0,
          "Most events stored in one database transaction."),
    S_INT("ingest.batch.connections", ingest_batch_connections, "2", 1, 8, 0,
          "Database connections writing batches in a pipeline: while one batch waits for "
          "its commit to reach the disk the next one is already being written. Order is "
          "kept: batches commit and publish in seq order."),
    S_DURATION("ingest.batch.max_wait", ingest_batch_max_wait_us, "2ms", SETTING_US, 0, 1000000, 0,
               "Longest a batch waits for more events before it is committed."),
    S_INT("ingest.queue.max_events", ingest_queue_max_events, "100000", 1, 10000000, 0,
          "Events waiting for a commit before intake answers \"busy\" (HTTP 429/503)."),
    S_BOOL("ingest.keep_raw", ingest_keep_raw, "false", 0,
           "Store each event's raw request body as text beside the typed columns."),
    S_DURATION("ingest.heartbeat_interval", ingest_heartbeat_ms, "1s", SETTING_MS, 10, 60000, 0,
               "Interval of the heartbeat that carries the last committed seq."),
    S_DURATION("ingest.drain_timeout", ingest_drain_timeout_ms, "10s", SETTING_MS, 0, 600000, 0,
               "On SIGTERM, how long to finish queued events before exiting."),
    S_DURATION("ingest.retention", ingest_retention_ms, "14d", SETTING_MS, 0, 3650LL * 86400000, 0,
               "Age at which stored events are dropped, a whole day at a time, once every "
               "consumer applied them; 0 keeps them forever."),
    S_STRING("ingest.kafka.brokers", kafka_brokers, "", 0, SETTING_NOCHECK,
             "Kafka bootstrap servers (host:port,host:port); empty disables Kafka intake."),
    S_STRING("ingest.kafka.group", kafka_group, "alertdesk-ingest", 0, settings_check_not_empty,
             "Kafka consumer group id."),
    S_CUSTOM("ingest.kafka.topics", "list of {name, format}", "[]", 0, settings_topics,
             "Topics to consume; format is native, alertmanager, pagerduty, zabbix or auto "
             "(default: detect per message)."),

    S_BOOL("auth.required", auth_required, "true", CONFIG_RELOADABLE,
           "Require a bearer token on intake requests; false accepts anonymous requests."),
    S_CUSTOM("auth.tokens", "list of {name, role, token or sha256}", "[]", CONFIG_RELOADABLE,
             settings_tokens,
             "Bearer tokens. role is ingest (post alerts), viewer (read tickets), agent (work "
             "tickets), operator (also silences and rules) or admin. token is the token itself "
             "(env:NAME and file:/path accepted, at least 16 characters), or sha256 its SHA-256 "
             "in hex. Only the hash is kept in memory."),

    S_CUSTOM("integrations", "list of {name, routing_key, labels}", "[]", CONFIG_RELOADABLE,
             settings_integrations,
             "PagerDuty-style integrations: routing_key (secret, env:/file: accepted) maps "
             "events sent to /v2/enqueue to this integration, whose labels are added to them."),

    S_SIZE("limits.max_body_bytes", limits.max_body_bytes, "512KiB", 1024, 64LL << 20, 0,
           "Largest request body accepted."),
    S_INT("limits.max_json_depth", limits.max_depth, "16", 2, 64, 0,
          "Deepest nesting of JSON objects and arrays."),
    S_INT("limits.max_labels", limits.max_labels, "64", 1, 1024, 0,
          "Most labels (and annotations) per event."),
    S_SIZE("limits.max_key_bytes", limits.max_key_bytes, "128", 1, 1024, 0,
           "Longest label or annotation key."),
    S_SIZE("limits.max_value_bytes", limits.max_value_bytes, "1KiB", 1, 64LL << 10, 0,
           "Longest label or annotation value and short field (source, resource, check)."),
    S_SIZE("limits.max_text_bytes", limits.max_text_bytes, "16KiB", 1, 1LL << 20, 0,
           "Longest summary or description."),
    S_INT("limits.max_events_per_request", limits.max_events, "1000", 1, 100000, 0,
          "Most events in one request."),

    S_STRLIST("fingerprint.ignore_labels", fingerprint_ignore_labels, nfingerprint_ignore_labels,
              "[]", 0, "Labels left out of the fingerprint (values that change between repeats)."),

    S_STRING("correlator.stream", correlator_stream, "correlator-1", 0, settings_check_stream,
             "The correlator's incidents stream name (its rows in incident_changes and its "
             "consumer name in consumer_offsets); 1-64 of a-z 0-9 _ . -."),
    S_STRING("correlator.rules", correlator_rules, "", CONFIG_RELOADABLE, SETTING_NOCHECK,
             "Correlation rule file (YAML); empty uses the built-in defaults (an incident per "
             "alert). Reloaded on SIGHUP; a bad file keeps the rules running."),
    S_STRING("correlator.http.listen", correlator_http_listen, "127.0.0.1:9471", 0,
             settings_check_host_port, "Address of the correlator's /healthz and /metrics."),
    S_STRING("correlator.publish", correlator_publish, "tcp://127.0.0.1:9491", 0,
             settings_check_endpoint,
             "ZeroMQ PUB endpoint where committed incident changes and heartbeats are published."),
    S_STRING("correlator.events", correlator_events, "tcp://127.0.0.1:9490", 0,
             settings_check_endpoint_list,
             "Comma-separated ZeroMQ endpoints of the ingest publishers (their ingest.publish)."),
    S_INT("correlator.batch.max_events", correlator_batch_max_events, "10000", 1, 100000, 0,
          "Most events whose changes are written in one database transaction. Only a "
          "backlog (a storm, a catch-up) fills a batch; live events commit every max_wait. "
          "Larger batches write each repeated alert once for more events (10000 drained a "
          "1M-event storm 2.4x faster than 1000, tests/bench/STORM_RESULTS.md)."),
    S_DURATION("correlator.batch.max_wait", correlator_batch_max_wait_us, "5ms", SETTING_US, 0,
               1000000, 0, "Longest applied changes wait for more before they are committed."),
    S_DURATION("correlator.heartbeat_interval", correlator_heartbeat_ms, "1s", SETTING_MS, 10,
               60000, 0, "Interval of the incidents stream heartbeat and of the engine timers."),
    S_DURATION("correlator.silence_refresh", correlator_silence_refresh_ms, "2s", SETTING_MS, 100,
               3600000, 0, "How often silences are read again from the silences table."),
    S_INT("correlator.healthz_max_lag", correlator_max_lag, "100000", 1, INT64_MAX, 0,
          "/healthz fails while the correlator is more than this many events behind."),
    S_STRING("correlator.pid_file", correlator_pid_file, "", 0, SETTING_NOCHECK,
             "File the correlator writes its pid to (for alertdesk rules reload); empty = none."),

    S_STRING("ticketer.stream", ticketer_stream, "ticketer-1", 0, settings_check_stream,
             "The ticketer's tickets stream name (its rows in ticket_events and its consumer "
             "name in consumer_offsets); 1-64 of a-z 0-9 _ . -."),
    S_STRING("ticketer.routing", ticketer_routing, "", CONFIG_RELOADABLE, SETTING_NOCHECK,
             "Routing rule file (YAML: queues, priorities, SLA policies and calendars); empty "
             "uses the built-in defaults (queue NOC, no SLA). Reloaded on SIGHUP."),
    S_STRING("ticketer.http.listen", ticketer_http_listen, "127.0.0.1:9472", 0,
             settings_check_host_port,
             "Address of the ticketer's JSON API (/api/v1/...), /healthz and /metrics."),
    S_INT("ticketer.http.threads", ticketer_http_threads, "4", 1, 64, 0,
          "HTTP worker threads of the API (each with its own database connection)."),
    S_STRING("ticketer.publish", ticketer_publish, "tcp://127.0.0.1:9492", 0,
             settings_check_endpoint,
             "ZeroMQ PUB endpoint where committed ticket changes and heartbeats are published."),
    S_STRING("ticketer.incidents", ticketer_incidents, "tcp://127.0.0.1:9491", 0,
             settings_check_endpoint_list,
             "Comma-separated ZeroMQ endpoints of the correlator publishers (their "
             "correlator.publish)."),
    S_INT("ticketer.batch.max_changes", ticketer_batch_max_changes, "500", 1, 100000, 0,
          "Most incident changes applied in one database transaction."),
    S_DURATION("ticketer.batch.max_wait", ticketer_batch_max_wait_us, "5ms", SETTING_US, 0, 1000000,
               0, "Longest applied incident changes wait for more before commit."),
    S_DURATION("ticketer.heartbeat_interval", ticketer_heartbeat_ms, "1s", SETTING_MS, 10, 60000, 0,
               "Interval of the tickets stream heartbeat and of the SLA and auto-close timers."),
    S_INT("ticketer.healthz_max_lag", ticketer_max_lag, "10000", 1, INT64_MAX, 0,
          "/healthz fails while the ticketer is more than this many incident changes behind."),
    S_STRING("ticketer.pid_file", ticketer_pid_file, "", 0, SETTING_NOCHECK,
             "File the ticketer writes its pid to; empty = none."),
    S_STRING("ticketer.console_dir", ticketer_console_dir, "", 0, SETTING_NOCHECK,
             "Directory of the web console's static files served at /; empty = no console."),

    S_STRING("notifier.stream", notifier_stream, "notifier-1", 0, settings_check_stream,
             "The notifier's name in consumer_offsets; 1-64 of a-z 0-9 _ . -."),
    S_STRING("notifier.people", notifier_people, "", CONFIG_RELOADABLE, SETTING_NOCHECK,
             "People file (YAML: users and contact methods, teams, on-call schedules, "
             "escalation policies); empty = nobody is paged. Reloaded on SIGHUP."),
    S_STRING("notifier.http.listen", notifier_http_listen, "127.0.0.1:9473", 0,
             settings_check_host_port,
             "Address of the notifier's acknowledgement links (/ack/...), /healthz and /metrics."),
    S_STRING(
        "notifier.tickets", notifier_tickets, "tcp://127.0.0.1:9492", 0,
        settings_check_endpoint_list,
        "Comma-separated ZeroMQ endpoints of the ticketer publishers (their ticketer.publish)."),
    S_STRING("notifier.public_url", notifier_public_url, "http://127.0.0.1:9473", 0,
             settings_check_not_empty,
             "Base URL people reach the notifier at; acknowledge links in pages start with it."),
    S_STRING("notifier.ack_secret", notifier_ack_secret, "", CONFIG_SECRET, SETTING_NOCHECK,
             "HMAC-SHA256 key signing acknowledge links (env:/file: accepted); empty = links "
             "are not offered."),
    S_DURATION("notifier.ack_ttl", notifier_ack_ttl_ms, "24h", SETTING_MS, 60000, 30LL * 86400000,
               0, "How long an acknowledge link stays valid."),
    S_STRING("notifier.smtp.url", notifier_smtp_url, "", 0, SETTING_NOCHECK,
             "SMTP server (smtp://host:port or smtps://...); empty disables e-mail."),
    S_STRING("notifier.smtp.from", notifier_smtp_from, "alertdesk@localhost", 0,
             settings_check_not_empty, "Sender address of mails."),
    S_STRING("notifier.smtp.user", notifier_smtp_user, "", 0, SETTING_NOCHECK,
             "SMTP user name; empty = no authentication."),
    S_STRING("notifier.smtp.password", notifier_smtp_password, "", CONFIG_SECRET, SETTING_NOCHECK,
             "SMTP password (env:/file: accepted)."),
    S_BOOL("notifier.smtp.starttls", notifier_smtp_starttls, "false", 0,
           "Require STARTTLS on smtp:// connections."),
    S_STRING("notifier.sms.url", notifier_sms_url, "", 0, SETTING_NOCHECK,
             "SMS gateway URL (POST); empty disables SMS."),
    S_STRING("notifier.sms.template", notifier_sms_template,
             "{\"to\": \"{{to}}\", \"text\": \"{{text}}\"}", 0, SETTING_NOCHECK,
             "Body posted to the SMS gateway; {{to}} and {{text}} are replaced (JSON-escaped)."),
    S_STRLIST("notifier.allowed_url_prefixes", notifier_allowed_urls, nnotifier_allowed_urls, "[]",
              0,
              "Webhook, chat and SMS URLs must start with one of these; a target outside "
              "them is refused (no requests to arbitrary hosts from data)."),
    S_BOOL("notifier.survey", notifier_survey, "false", 0,
           "Mail the ticket's watchers a signed satisfaction-survey link (/survey/...) when it "
           "is closed; one answer per ticket, in the reports. Needs notifier.ack_secret."),
    S_STRING("notifier.webhook_secret", notifier_webhook_secret, "", CONFIG_SECRET, SETTING_NOCHECK,
             "Key of the X-Alertdesk-Signature HMAC-SHA256 header on webhooks; empty = unsigned."),
    S_DURATION("notifier.timeout", notifier_timeout_ms, "10s", SETTING_MS, 100, 300000, 0,
               "Timeout of one delivery attempt."),
    S_INT("notifier.retry.max_attempts", notifier_max_attempts, "8", 1, 100, 0,
          "Attempts before a notification is marked failed."),
    S_DURATION("notifier.retry.base", notifier_retry_base_ms, "1s", SETTING_MS, 10, 3600000, 0,
               "First retry delay; doubles each attempt, with jitter."),
    S_DURATION("notifier.retry.max", notifier_retry_max_ms, "5m", SETTING_MS, 10, 86400000, 0,
               "Longest retry delay."),
    S_INT("notifier.rate_limit_per_minute", notifier_rate_per_min, "30", 1, 100000, 0,
          "Most sends to one target (address or URL) per minute; more wait."),
    S_INT("notifier.circuit.failures", notifier_circuit_failures, "5", 1, 1000, 0,
          "Consecutive failures that open an endpoint's circuit breaker."),
    S_DURATION("notifier.circuit.cooldown", notifier_circuit_cooldown_ms, "30s", SETTING_MS, 100,
               3600000, 0, "How long an open circuit refuses sends before one trial."),
    S_DURATION("notifier.heartbeat_interval", notifier_heartbeat_ms, "1s", SETTING_MS, 10, 60000, 0,
               "Interval of the escalation and retry timers."),
    S_STRING("notifier.pid_file", notifier_pid_file, "", 0, SETTING_NOCHECK,
             "File the notifier writes its pid to; empty = none."),
};

#define SETTINGS_N (sizeof settings_table / sizeof settings_table[0])

int settings_table_check(char *err, size_t errlen)
{
    return config_table_check(settings_table, SETTINGS_N, err, errlen);
}

/* ---- Rules across settings ------------------------------------------------- */

typedef struct {
    const char *file;
    const int *lines;
    char *err;
    size_t errlen;
} settings_ctx_t;

/* The line where name was set in the file, 0 if it kept its default. */
static int settings_line(const settings_ctx_t *c, const char *name)
{
    for (size_t i = 0; i < SETTINGS_N; i++) {
        if (strcmp(settings_table[i].name, name) == 0) {
            return c->lines[i];
        }
    }
    return 0;
}

/* "a must not exceed b": reported at a's line, or b's when a is a default. */
static int settings_not_above(const settings_ctx_t *c, const char *a, int64_t va, const char *b,
                              int64_t vb)
{
    if (va <= vb) {
        return 0;
    }
    int line = settings_line(c, a);
    config_error(c->err, c->errlen, c->file, line ? line : settings_line(c, b), a,
                 "%lld is larger than %s (%lld)", (long long)va, b, (long long)vb);
    return -1;
}

static int settings_check_integration_labels(const settings_t *s, const config_node_t *root,
                                             const settings_ctx_t *c)
{
    const config_node_t *list = config_node_get(root, "integrations");
    for (size_t i = 0; i < s->nintegrations; i++) {
        const settings_integration_t *in = &s->integrations[i];
        const config_node_t *labels = NULL;
        if (list && list->type == CONFIG_NODE_SEQUENCE && i < list->n) {
            labels = config_node_get(list->children[i], "labels");
        }
        char key[320];
        int line = labels ? labels->line : settings_line(c, "integrations");
        snprintf(key, sizeof key, "integrations[%zu].labels", i);
        if (in->nlabels > s->limits.max_labels) {
            config_error(c->err, c->errlen, c->file, line, key,
                         "%u labels, more than limits.max_labels (%u)", in->nlabels,
                         s->limits.max_labels);
            return -1;
        }
        for (uint32_t j = 0; j < in->nlabels; j++) {
            const char *k = in->labels[j].key;
            int kline = line;
            for (size_t m = 0; labels && m < labels->n; m++) {
                if (strcmp(labels->keys[m], k) == 0) {
                    kline = labels->key_lines[m];
                }
            }
            snprintf(key, sizeof key, "integrations[%zu].labels.%s", i, k);
            if (strlen(k) > s->limits.max_key_bytes) {
                config_error(c->err, c->errlen, c->file, kline, key,
                             "name longer than limits.max_key_bytes (%zu)",
                             s->limits.max_key_bytes);
                return -1;
            }
            if (strlen(in->labels[j].value) > s->limits.max_value_bytes) {
                config_error(c->err, c->errlen, c->file, kline, key,
                             "value longer than limits.max_value_bytes (%zu)",
                             s->limits.max_value_bytes);
                return -1;
            }
        }
    }
    return 0;
}

static int settings_validate(const settings_t *s, const config_node_t *root,
                             const settings_ctx_t *c)
{
    if (s->kafka_brokers[0] != '\0' && s->nkafka_topics == 0) {
        config_error(c->err, c->errlen, c->file, settings_line(c, "ingest.kafka.brokers"),
                     "ingest.kafka.topics",
                     "at least one topic is required when "
                     "ingest.kafka.brokers is set");
        return -1;
    }
    if (settings_not_above(c, "ingest.batch.max_events", s->ingest_batch_max_events,
                           "ingest.queue.max_events", s->ingest_queue_max_events) ||
        settings_not_above(c, "limits.max_events_per_request", s->limits.max_events,
                           "ingest.queue.max_events", s->ingest_queue_max_events) ||
        settings_not_above(c, "limits.max_text_bytes", (int64_t)s->limits.max_text_bytes,
                           "limits.max_body_bytes", (int64_t)s->limits.max_body_bytes)) {
        return -1;
    }
    return settings_check_integration_labels(s, root, c);
}

/* ---- Entry points ---------------------------------------------------------- */

int settings_load(const char *path, settings_t *s, char *err, size_t errlen)
{
    int lines[SETTINGS_N] = {0};
    config_node_t *root = NULL;
    settings_ctx_t ctx = {path ? path : "(defaults)", lines, err, errlen};
    memset(s, 0, sizeof *s);
    if (config_defaults(settings_table, SETTINGS_N, s, err, errlen)) {
        goto fail;
    }
    if (path) {
        if (config_parse_file(path, &root, err, errlen) ||
            config_apply(settings_table, SETTINGS_N, s, root, path, lines, err, errlen)) {
            goto fail;
        }
    }
    if (settings_validate(s, root, &ctx)) {
        goto fail;
    }
    s->config_path = path ? xstrdup(path) : NULL;
    config_node_destroy(&root);
    return 0;
fail:
    config_node_destroy(&root);
    settings_free(s);
    return -1;
}

void settings_free(settings_t *s)
{
    if (!s) {
        return;
    }
    config_free(settings_table, SETTINGS_N, s);
    free(s->config_path);
    memset(s, 0, sizeof *s);
}

void settings_print(const settings_t *s, FILE *out)
{
    fprintf(out, "# alertdesk effective configuration%s%s\n", s->config_path ? " from " : "",
            s->config_path ? s->config_path : " (defaults)");
    config_print(settings_table, SETTINGS_N, s, out);
}

void settings_reference_markdown(FILE *out)
{
    config_reference_markdown(settings_table, SETTINGS_N, out);
}

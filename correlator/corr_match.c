/*
 * corr_match - field references and matchers: what "labels.site != lab" or
 * "check =~ \"Link(Down|Flap)\"" means, and testing events against them on
 * the hot path (no allocation of ours; regexec is the only library call).
 *
 * Does not: read files (corr_rules.c does) or know about time (silences and
 * maintenance windows check their own ranges). Semantics are documented at
 * the top of corr_rules.c and in docs/CORRELATION_RULES.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "corr_rules.h"
#include "xalloc.h"

/* ---- Field references ------------------------------------------------------ */

static const struct {
    const char *name;
    corr_field_t fid;
} corr_fields[] = {
    {"source", CORR_FIELD_SOURCE}, {"resource", CORR_FIELD_RESOURCE},
    {"check", CORR_FIELD_CHECK},   {"severity", CORR_FIELD_SEVERITY},
    {"status", CORR_FIELD_STATUS}, {"summary", CORR_FIELD_SUMMARY},
};
#define CORR_NFIELDS (sizeof corr_fields / sizeof corr_fields[0])

/* Event attributes that exist but that rules cannot read: refused by name so
 * they are not silently taken for labels. */
static const char *const corr_unreadable[] = {
    "description", "dedup_key",   "fingerprint", "labels", "annotations",
    "format",      "occurred_at", "received_at", NULL,
};

static bool corr_label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':' || c == '/';
}

int corr_field_parse(const char *text, corr_field_t *fid, const char **label, char *why,
                     size_t whylen)
{
    *label = NULL;
    for (size_t i = 0; i < CORR_NFIELDS; i++) {
        if (strcmp(text, corr_fields[i].name) == 0) {
            *fid = corr_fields[i].fid;
            return 0;
        }
    }
    const char *name = text;
    bool explicit_label = strncmp(text, "labels.", 7) == 0;
    if (explicit_label) {
        name = text + 7;
    }
    bool ok = *name != '\0';
    for (const char *p = name; *p && ok; p++) {
        ok = corr_label_char(*p);
    }
    if (!ok) {
        snprintf(why, whylen,
                 "bad field \"%s\" (a field, or labels.<name> with letters, digits and _-.:/)",
                 text);
        return -1;
    }
    if (!explicit_label) {
        for (size_t i = 0; corr_unreadable[i]; i++) {
            if (strcmp(text, corr_unreadable[i]) == 0) {
                snprintf(why, whylen,
                         "field \"%s\" cannot be used in rules (write labels.%s for a label)", text,
                         text);
                return -1;
            }
        }
        const char *dot = strchr(text, '.');
        if (dot) {
            /* "label.site", "lables.site": a misspelt prefix, not a label. */
            snprintf(why, whylen, "unknown field \"%s\" (did you mean \"labels.%s\"?)", text,
                     dot + 1);
            return -1;
        }
        for (size_t i = 0; i < CORR_NFIELDS; i++) {
            if (config_edit_distance(text, corr_fields[i].name, 2) <= 2) {
                snprintf(why, whylen,
                         "unknown field \"%s\" (did you mean \"%s\"? write labels.%s for a label)",
                         text, corr_fields[i].name, text);
                return -1;
            }
        }
    }
    *fid = CORR_FIELD_LABEL;
    *label = name;
    return 0;
}

/* The value of a reference in ev, or NULL when absent. No allocation. */
static const char *corr_value(const event_t *ev, corr_field_t fid, const char *field,
                              const char *label)
{
    if (fid == CORR_FIELD_UNSET) {
        /* A hand-built matcher or a group_by entry: resolve by name. */
        if (label) {
            fid = CORR_FIELD_LABEL;
        } else if (!field) {
            return NULL;
        } else {
            fid = CORR_FIELD_LABEL;
            label = strncmp(field, "labels.", 7) == 0 ? field + 7 : field;
            for (size_t i = 0; i < CORR_NFIELDS; i++) {
                if (strcmp(field, corr_fields[i].name) == 0) {
                    fid = corr_fields[i].fid;
                    break;
                }
            }
        }
    }
    switch (fid) {
    case CORR_FIELD_LABEL:
        return label ? event_label_get(ev, label) : NULL;
    case CORR_FIELD_SOURCE:
        return ev->source;
    case CORR_FIELD_RESOURCE:
        return ev->resource;
    case CORR_FIELD_CHECK:
        return ev->check;
    case CORR_FIELD_SEVERITY:
        return ev->severity == EVENT_SEVERITY_NONE ? NULL : event_severity_name(ev->severity);
    case CORR_FIELD_STATUS:
        return ev->status == EVENT_STATUS_NONE ? NULL : event_status_name(ev->status);
    case CORR_FIELD_SUMMARY:
        return ev->summary;
    case CORR_FIELD_UNSET:
        break;
    }
    return NULL;
}

const char *corr_field_value(const event_t *ev, const char *field, const char *label)
{
    const char *v = corr_value(ev, CORR_FIELD_UNSET, field, label);
    return v ? v : "";
}

/* ---- Matchers -------------------------------------------------------------- */

const char *corr_op_name(corr_op_t op)
{
    switch (op) {
    case CORR_OP_EQ:
        return "=";
    case CORR_OP_NE:
        return "!=";
    case CORR_OP_RE:
        return "=~";
    case CORR_OP_NRE:
        return "!~";
    }
    return "?";
}

bool corr_matchers_match(const corr_matcher_t *m, size_t n, const event_t *ev)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = corr_value(ev, m[i].fid, m[i].field, m[i].label);
        bool hit;
        switch (m[i].op) {
        case CORR_OP_EQ:
            hit = strcmp(v ? v : "", m[i].value) == 0;
            break;
        case CORR_OP_NE:
            hit = strcmp(v ? v : "", m[i].value) != 0;
            break;
        case CORR_OP_RE:
            hit = v && regexec(&m[i].re, v, 0, NULL, 0) == 0;
            break;
        default: /* CORR_OP_NRE */
            hit = !(v && regexec(&m[i].re, v, 0, NULL, 0) == 0);
            break;
        }
        if (!hit) {
            return false;
        }
    }
    return true;
}

void corr_matcher_free(corr_matcher_t *m)
{
    if (!m) {
        return;
    }
    /* The regex exists only once the build succeeded with a regex op. */
    if (m->value && (m->op == CORR_OP_RE || m->op == CORR_OP_NRE)) {
        regfree(&m->re);
    }
    free(m->field);
    free(m->label);
    free(m->value);
    memset(m, 0, sizeof *m);
}

/* True when the value's groups balance. glibc reads a lone ")" in an ERE as a
 * literal, so "a)|(b)" would compile as the unanchored ^(a)|(b)\)$: the
 * anchoring ^(value)$ is only sound for balanced values. Escapes and
 * bracket expressions ("[)]", "[[:alpha:])]") hold no groups. */
static bool corr_parens_balanced(const char *s)
{
    int depth = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\') {
            if (!s[++i]) {
                break;
            }
        } else if (s[i] == '[') {
            size_t j = i + 1;
            j += s[j] == '^';
            j += s[j] == ']'; /* a leading ] is literal */
            while (s[j] && s[j] != ']') {
                if (s[j] == '[' && (s[j + 1] == ':' || s[j + 1] == '.' || s[j + 1] == '=')) {
                    const char *end = strchr(s + j + 2, s[j + 1]);
                    while (end && end[1] != ']') {
                        end = strchr(end + 1, s[j + 1]);
                    }
                    if (!end) {
                        return true; /* unterminated: regcomp will say so */
                    }
                    j = (size_t)(end - s) + 2;
                } else {
                    j++;
                }
            }
            if (!s[j]) {
                return true; /* unterminated: regcomp will say so */
            }
            i = j;
        } else if (s[i] == '(') {
            depth++;
        } else if (s[i] == ')' && --depth < 0) {
            return false;
        }
    }
    return depth == 0;
}

int corr_matcher_build(const char *field, const char *op, const char *value, corr_matcher_t *out,
                       char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    corr_op_t o;
    if (strcmp(op, "=") == 0) {
        o = CORR_OP_EQ;
    } else if (strcmp(op, "!=") == 0) {
        o = CORR_OP_NE;
    } else if (strcmp(op, "=~") == 0) {
        o = CORR_OP_RE;
    } else if (strcmp(op, "!~") == 0) {
        o = CORR_OP_NRE;
    } else {
        snprintf(why, whylen, "unknown operator \"%s\" (use =, !=, =~ or !~)", op);
        return -1;
    }
    corr_field_t fid;
    const char *label;
    if (corr_field_parse(field, &fid, &label, why, whylen) != 0) {
        return -1;
    }
    if (o == CORR_OP_RE || o == CORR_OP_NRE) {
        /* Compile the value alone first so that regcomp's errors are about
         * what was written, then refuse what anchoring would change. */
        regex_t probe;
        char msg[128];
        int rc = regcomp(&probe, value, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            regerror(rc, &probe, msg, sizeof msg);
            snprintf(why, whylen, "bad regex \"%s\": %s", value, msg);
            return -1;
        }
        regfree(&probe);
        if (!corr_parens_balanced(value)) {
            snprintf(why, whylen,
                     "bad regex \"%s\": unbalanced ( ) (write \\( or \\) for a literal one)",
                     value);
            return -1;
        }
        char *anchored = xasprintf("^(%s)$", value);
        rc = regcomp(&out->re, anchored, REG_EXTENDED | REG_NOSUB);
        free(anchored);
        if (rc != 0) {
            regerror(rc, &out->re, msg, sizeof msg);
            snprintf(why, whylen, "bad regex \"%s\": %s", value, msg);
            return -1;
        }
    }
    out->op = o;
    out->fid = fid;
    out->field = xstrdup(field);
    out->label = label ? xstrdup(label) : NULL;
    out->value = xstrdup(value);
    return 0;
}

/* Reads a quoted value starting at *p (at the quote) into out; returns the
 * position after the closing quote, or NULL when unterminated. */
static const char *corr_unquote(const char *p, char *out)
{
    char q = *p++;
    size_t n = 0;
    for (; *p; p++) {
        if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\')) {
            out[n++] = *++p;
        } else if (q == '\'' && *p == '\'' && p[1] == '\'') {
            out[n++] = *++p;
        } else if (*p == q) {
            out[n] = '\0';
            return p + 1;
        } else {
            out[n++] = *p;
        }
    }
    return NULL;
}

static bool corr_space(char c)
{
    return c == ' ' || c == '\t';
}

int corr_matcher_parse(const char *text, corr_matcher_t *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (corr_space(*p)) {
        p++;
    }
    const char *fstart = p;
    while (*p && !corr_space(*p) && *p != '=' && *p != '!' && *p != '~') {
        p++;
    }
    size_t flen = (size_t)(p - fstart);
    while (corr_space(*p)) {
        p++;
    }
    const char *op;
    if (p[0] == '=' && p[1] == '~') {
        op = "=~";
    } else if (p[0] == '!' && p[1] == '~') {
        op = "!~";
    } else if (p[0] == '!' && p[1] == '=') {
        op = "!=";
    } else if (p[0] == '=' && p[1] == '=') {
        snprintf(why, whylen, "\"%s\": use = to compare (not ==)", text);
        return -1;
    } else if (p[0] == '=') {
        op = "=";
    } else {
        snprintf(why, whylen, "\"%s\" is not \"field op value\" (op one of =, !=, =~, !~)", text);
        return -1;
    }
    if (flen == 0) {
        snprintf(why, whylen, "\"%s\": missing field before %s", text, op);
        return -1;
    }
    p += strlen(op);
    while (corr_space(*p)) {
        p++;
    }
    char *field = xstrndup(fstart, flen);
    char *value = xmalloc(strlen(p) + 1);
    int rc = -1;
    if (*p == '"' || *p == '\'') {
        const char *end = corr_unquote(p, value);
        if (!end) {
            snprintf(why, whylen, "\"%s\": unterminated quote", text);
            goto done;
        }
        while (corr_space(*end)) {
            end++;
        }
        if (*end) {
            snprintf(why, whylen, "\"%s\": text after the quoted value", text);
            goto done;
        }
    } else {
        size_t vlen = strlen(p);
        while (vlen > 0 && corr_space(p[vlen - 1])) {
            vlen--;
        }
        if (vlen == 0) {
            snprintf(why, whylen, "\"%s\": missing value after %s (write \"\" for empty)", text,
                     op);
            goto done;
        }
        memcpy(value, p, vlen);
        value[vlen] = '\0';
    }
    rc = corr_matcher_build(field, op, value, out, why, whylen);
done:
    free(field);
    free(value);
    return rc;
}

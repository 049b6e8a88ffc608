/*
 * deliver_http - the HTTP channels: generic JSON webhook (optionally signed
 * with HMAC-SHA256), chat incoming webhook (Slack/Mattermost {"text": ...})
 * and the SMS gateway template; also how HTTP answers are classified and
 * how Retry-After is read.
 *
 * It only builds easy handles; deliver_core.c runs them. Redirects are
 * never followed and only http/https are allowed, so a target cannot lead
 * libcurl outside the allow-list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "deliver_internal.h"
#include "xalloc.h"

#ifndef ALERTDESK_VERSION
#define ALERTDESK_VERSION "dev"
#endif

#define DELIVER_SMS_MAX_TEXT 1600

static size_t http_discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

char *deliver_json_escape(const char *s)
{
    json_t *str = json_string(s ? s : "");
    if (!str) { /* not UTF-8: keep the valid-ASCII view of it */
        char *copy = xstrdup(s);
        for (char *p = copy; *p; p++) {
            if ((unsigned char)*p >= 0x80) {
                *p = '?';
            }
        }
        str = json_string(copy);
        free(copy);
    }
    char *enc = json_dumps(str, JSON_ENCODE_ANY);
    json_decref(str);
    size_t n = strlen(enc);
    char *out = xstrndup(enc + 1, n - 2); /* drop the quotes */
    free(enc);
    return out;
}

/* http_text - subject, text and acknowledge link as lines (chat, SMS). */
static char *http_text(const deliver_msg_t *m, bool bold_subject)
{
    const char *subject = m->subject ? m->subject : "";
    const char *text = m->text ? m->text : "";
    char *ack =
        m->ack_url && *m->ack_url ? xasprintf("\nAcknowledge: %s", m->ack_url) : xstrdup("");
    char *out;
    if (*subject) {
        out = xasprintf(bold_subject ? "*%s*%s%s%s" : "%s%s%s%s", subject, *text ? "\n" : "", text,
                        ack);
    } else {
        out = xasprintf("%s%s", text, ack);
    }
    free(ack);
    return out;
}

/* http_replace - template with every {{name}} replaced by value. Caller owns
 * the result. */
static char *http_replace(const char *tmpl, const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value), cap = strlen(tmpl) + 1, len = 0;
    char *out = xmalloc(cap);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, name, nlen) == 0) {
            cap += vlen;
            out = xrealloc(out, cap);
            memcpy(out + len, value, vlen);
            len += vlen;
            p += nlen;
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    return out;
}

/* http_sign - the X-Alertdesk-Signature value for body at ts. */
static void http_sign(const char *secret, const char *ts, const char *body, size_t len, char *out,
                      size_t outlen)
{
    size_t tlen = strlen(ts);
    unsigned char *msg = xmalloc(tlen + 1 + len);
    memcpy(msg, ts, tlen);
    msg[tlen] = '.';
    memcpy(msg + tlen + 1, body, len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, tlen + 1 + len, mac, &maclen);
    free(msg);
    size_t o = (size_t)snprintf(out, outlen, "sha256=");
    for (unsigned int i = 0; i < maclen && o + 2 < outlen; i++) {
        o += (size_t)snprintf(out + o, outlen - o, "%02x", mac[i]);
    }
}

/* http_header - appends "name: value" (value without CR/LF) to the list. */
static struct curl_slist *http_header(struct curl_slist *l, const char *name, const char *value)
{
    char *h = xasprintf("%s: %s", name, value);
    for (char *p = h; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            *p = ' ';
        }
    }
    l = curl_slist_append(l, h);
    free(h);
    return l;
}

int deliver_http_prepare(deliver_t *d, deliver_attempt_t *a, const deliver_msg_t *m, char *err,
                         size_t errlen)
{
    const char *url = m->target;
    struct curl_slist *h = NULL;
    h = http_header(h, "Content-Type", "application/json");
    h = http_header(h, "User-Agent", "alertdesk/" ALERTDESK_VERSION);
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    if (m->idempotency_key && *m->idempotency_key) {
        h = http_header(h, "Idempotency-Key", m->idempotency_key);
    }

    switch (m->channel) {
    case DELIVER_WEBHOOK:
        if (m->json && *m->json) {
            a->body = xstrdup(m->json);
        } else {
            json_t *o = json_object();
            /* json_object_set_new steals the new values' references. */
            json_object_set_new(o, "id", json_integer(m->id));
            json_object_set_new(o, "subject", json_string(m->subject ? m->subject : ""));
            json_object_set_new(o, "text", json_string(m->text ? m->text : ""));
            if (m->ack_url && *m->ack_url) {
                json_object_set_new(o, "ack_url", json_string(m->ack_url));
            }
            a->body = json_dumps(o, JSON_COMPACT);
            json_decref(o);
        }
        break;
    case DELIVER_CHAT: {
        char *text = http_text(m, true);
        json_t *o = json_object();
        json_object_set_new(o, "text", json_string(text)); /* steals */
        a->body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        free(text);
        break;
    }
    case DELIVER_SMS: {
        url = d->sms_url;
        char *text = http_text(m, false);
        if (strlen(text) > DELIVER_SMS_MAX_TEXT) {
            text[DELIVER_SMS_MAX_TEXT] = '\0';
        }
        char *to = deliver_json_escape(m->target);
        char *etext = deliver_json_escape(text);
        char *step = http_replace(d->sms_template, "{{to}}", to);
        a->body = http_replace(step, "{{text}}", etext);
        free(step);
        free(etext);
        free(to);
        free(text);
        break;
    }
    default:
        curl_slist_free_all(h);
        snprintf(err, errlen, "not an HTTP channel");
        return -1;
    }
    if (!a->body) { /* json_dumps of a non-UTF-8 string */
        curl_slist_free_all(h);
        snprintf(err, errlen, "%s body is not valid UTF-8", deliver_channel_name(m->channel));
        return -1;
    }
    a->body_len = strlen(a->body);

    if (m->channel == DELIVER_WEBHOOK && d->webhook_secret && *d->webhook_secret) {
        char ts[32], sig[80];
        snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
        http_sign(d->webhook_secret, ts, a->body, a->body_len, sig, sizeof sig);
        h = http_header(h, "X-Alertdesk-Timestamp", ts);
        h = http_header(h, "X-Alertdesk-Signature", sig);
    }
    a->headers = h;

    CURL *e = a->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, a->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)a->body_len);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_discard);
    return 0;
}

deliver_result_t deliver_classify_http(long status)
{
    if (status >= 200 && status < 300) {
        return DELIVER_OK;
    }
    if (status == 408 || status == 429 || (status >= 500 && status < 600)) {
        return DELIVER_RETRY;
    }
    return DELIVER_FATAL;
}

deliver_result_t deliver_classify_smtp(long code)
{
    if (code >= 200 && code < 400) {
        return DELIVER_OK;
    }
    if (code >= 400 && code < 500) {
        return DELIVER_RETRY;
    }
    return DELIVER_FATAL;
}

int64_t deliver_retry_after_parse(const char *value, time_t now)
{
    if (!value) {
        return -1;
    }
    while (*value == ' ' || *value == '\t') {
        value++;
    }
    if (*value >= '0' && *value <= '9') {
        char *end;
        unsigned long long s = strtoull(value, &end, 10);
        while (*end == ' ' || *end == '\t') {
            end++;
        }
        if (*end != '\0') {
            return -1;
        }
        if (s > 86400ULL * 365) { /* a year is plenty; avoid overflow */
            s = 86400ULL * 365;
        }
        return (int64_t)s * 1000000;
    }
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". curl_getdate also reads
     * the obsolete RFC 850 and asctime forms, as RFC 9110 asks. */
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1) {
        return -1;
    }
    return t <= now ? 0 : (int64_t)(t - now) * 1000000;
}

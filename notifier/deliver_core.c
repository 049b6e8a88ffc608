/*
 * deliver_core - the sender object: one libcurl multi handle with every
 * attempt in flight on it, the guards checked before an attempt starts,
 * the classification of how it ended, and the metrics. See deliver.h.
 *
 * An attempt is an easy handle plus what it points to (headers, body),
 * freed when done() has been called. Nothing here retries: the daemon owns
 * the notifications rows and their retry times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "deliver_internal.h"
#include "log.h"
#include "xalloc.h"

#define DELIVER_PRUNE_US 60000000LL

static const char *const deliver_channel_names[] = {NULL, "webhook", "chat", "email", "sms"};
static const char *const deliver_refusal_names[] = {"allowlist", "rate_limit", "circuit",
                                                    "disabled", "invalid"};

const char *deliver_channel_name(deliver_channel_t c)
{
    return c >= DELIVER_WEBHOOK && c <= DELIVER_SMS ? deliver_channel_names[c] : NULL;
}

int deliver_channel_parse(const char *name, deliver_channel_t *out)
{
    for (int c = DELIVER_WEBHOOK; c <= DELIVER_SMS; c++) {
        if (name && strcmp(name, deliver_channel_names[c]) == 0) {
            *out = (deliver_channel_t)c;
            return 0;
        }
    }
    return -1;
}

const char *deliver_result_name(deliver_result_t r)
{
    switch (r) {
    case DELIVER_OK:
        return "OK";
    case DELIVER_RETRY:
        return "RETRY";
    case DELIVER_FATAL:
        return "FATAL";
    }
    return "?";
}

static void deliver_register_metrics(deliver_t *d)
{
    static const char *const results[] = {"ok", "retry", "fatal"};
    static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    for (int c = DELIVER_WEBHOOK; c <= DELIVER_SMS; c++) {
        char labels[96];
        for (int r = 0; r < 3; r++) {
            snprintf(labels, sizeof labels, "channel=\"%s\",result=\"%s\"",
                     deliver_channel_names[c], results[r]);
            d->m_sends[c][r] = metrics_counter("alertdesk_notifier_sends_total",
                                               "Delivery attempts by channel and result.", labels);
        }
        snprintf(labels, sizeof labels, "channel=\"%s\"", deliver_channel_names[c]);
        d->m_retries[c] = metrics_counter("alertdesk_notifier_retries_total",
                                          "Delivery attempts that were retries.", labels);
        d->m_seconds[c] = metrics_histogram("alertdesk_notifier_send_seconds",
                                            "Duration of delivery attempts that reached the "
                                            "network.",
                                            labels, bounds, sizeof bounds / sizeof bounds[0]);
    }
    for (int i = 0; i < 5; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "reason=\"%s\"", deliver_refusal_names[i]);
        d->m_refusals[i] = metrics_counter("alertdesk_notifier_refusals_total",
                                           "Sends refused before any network I/O.", labels);
    }
    d->m_circuit_opened = metrics_counter("alertdesk_notifier_circuit_opened_total",
                                          "Times an endpoint's circuit breaker opened.", NULL);
}

deliver_t *deliver_new(const settings_t *s)
{
    static bool curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            log_error("msg=\"libcurl does not start\"");
            return NULL;
        }
        curl_ready = true;
    }
    deliver_t *d = xcalloc(1, sizeof *d);
    d->multi = curl_multi_init();
    if (!d->multi) {
        log_error("msg=\"curl_multi_init failed\"");
        free(d);
        return NULL;
    }
    d->timeout_ms = s->notifier_timeout_ms;
    d->smtp_url = xstrdup(s->notifier_smtp_url ? s->notifier_smtp_url : "");
    d->smtp_from = xstrdup(s->notifier_smtp_from ? s->notifier_smtp_from : "alertdesk@localhost");
    d->smtp_user = xstrdup(s->notifier_smtp_user ? s->notifier_smtp_user : "");
    d->smtp_password = xstrdup(s->notifier_smtp_password ? s->notifier_smtp_password : "");
    d->smtp_starttls = s->notifier_smtp_starttls;
    d->sms_url = xstrdup(s->notifier_sms_url ? s->notifier_sms_url : "");
    d->sms_template = xstrdup(s->notifier_sms_template ? s->notifier_sms_template : "");
    d->webhook_secret = xstrdup(s->notifier_webhook_secret ? s->notifier_webhook_secret : "");
    d->guard = deliver_guard_new(s->notifier_allowed_urls, s->nnotifier_allowed_urls,
                                 s->notifier_rate_per_min, s->notifier_circuit_failures,
                                 s->notifier_circuit_cooldown_ms);
    d->last_prune_us = deliver_now_us();
    deliver_register_metrics(d);
    return d;
}

/* deliver_free_secret - wipes and frees a secret copy. */
static void deliver_free_secret(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p) {
            *p++ = '\0';
        }
        free(s);
    }
}

static void deliver_attempt_free(deliver_attempt_t *a)
{
    if (a->easy) {
        curl_easy_cleanup(a->easy);
    }
    curl_slist_free_all(a->headers);
    free(a->body);
    free(a->endpoint);
    free(a->target_key);
    free(a);
}

/* deliver_finish - counts, then calls done() and frees the attempt. */
static void deliver_finish(deliver_t *d, deliver_attempt_t *a, deliver_result_t r,
                           int64_t retry_after_us, int status, const char *error)
{
    metric_inc(d->m_sends[a->channel][r]);
    a->done(a->arg, a->id, r, retry_after_us, status, error);
    deliver_attempt_free(a);
}

/* deliver_refuse - a refusal before any I/O. */
static void deliver_refuse(deliver_t *d, deliver_attempt_t *a, deliver_refusal_t why,
                           deliver_result_t r, int64_t retry_after_us, const char *error)
{
    metric_inc(d->m_refusals[why]);
    log_info("msg=\"send refused\" id=%lld channel=%s reason=%s result=%s", (long long)a->id,
             deliver_channel_name(a->channel), deliver_refusal_names[why], deliver_result_name(r));
    deliver_finish(d, a, r, retry_after_us, 0, error);
}

void deliver_destroy(deliver_t **dp)
{
    if (!dp || !*dp) {
        return;
    }
    deliver_t *d = *dp;
    while (d->flight) {
        deliver_attempt_t *a = d->flight;
        d->flight = a->next;
        d->nflight--;
        curl_multi_remove_handle(d->multi, a->easy);
        deliver_finish(d, a, DELIVER_RETRY, 0, 0, "shutting down");
    }
    curl_multi_cleanup(d->multi);
    deliver_guard_destroy(&d->guard);
    free(d->smtp_url);
    free(d->smtp_from);
    free(d->smtp_user);
    deliver_free_secret(d->smtp_password);
    free(d->sms_url);
    free(d->sms_template);
    deliver_free_secret(d->webhook_secret);
    free(d);
    *dp = NULL;
}

/* deliver_valid_phone - 3-32 of "+0-9 -()." with at least three digits. */
static bool deliver_valid_phone(const char *p)
{
    size_t n = strlen(p), digits = 0;
    if (n < 3 || n > 32) {
        return false;
    }
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
        } else if (!strchr("+ -().", *p)) {
            return false;
        }
    }
    return digits >= 3;
}

void deliver_submit(deliver_t *d, const deliver_msg_t *m, deliver_done_fn done, void *arg)
{
    char err[DELIVER_ERR_MAX];
    deliver_attempt_t *a = xcalloc(1, sizeof *a);
    a->d = d;
    a->id = m->id;
    a->channel = m->channel;
    a->done = done;
    a->arg = arg;
    const char *target = m->target ? m->target : "";
    const char *name = deliver_channel_name(m->channel);
    if (!name) {
        /* No sends_total{channel} to count it in: only the refusal. */
        metric_inc(d->m_refusals[DELIVER_REFUSE_INVALID]);
        log_warn("msg=\"send refused\" id=%lld channel=%d reason=invalid result=FATAL",
                 (long long)m->id, (int)m->channel);
        done(arg, m->id, DELIVER_FATAL, 0, 0, "unknown channel");
        deliver_attempt_free(a);
        return;
    }
    if (m->attempt > 1) {
        metric_inc(d->m_retries[m->channel]);
    }

    /* Where it goes: the URL to check and the endpoint of the breaker. */
    const char *url = NULL;
    switch (m->channel) {
    case DELIVER_WEBHOOK:
    case DELIVER_CHAT:
        url = target;
        break;
    case DELIVER_SMS:
        if (!*d->sms_url) {
            deliver_refuse(d, a, DELIVER_REFUSE_DISABLED, DELIVER_FATAL, 0,
                           "sms disabled: notifier.sms.url is empty");
            return;
        }
        if (!deliver_valid_phone(target)) {
            deliver_refuse(d, a, DELIVER_REFUSE_INVALID, DELIVER_FATAL, 0,
                           "sms target is not a phone number");
            return;
        }
        url = d->sms_url;
        break;
    case DELIVER_EMAIL:
        if (!*d->smtp_url) {
            deliver_refuse(d, a, DELIVER_REFUSE_DISABLED, DELIVER_FATAL, 0,
                           "email disabled: notifier.smtp.url is empty");
            return;
        }
        a->endpoint = deliver_endpoint(d->smtp_url);
        if (!a->endpoint) {
            deliver_refuse(d, a, DELIVER_REFUSE_INVALID, DELIVER_FATAL, 0,
                           "notifier.smtp.url cannot be parsed");
            return;
        }
        break;
    }
    if (url) {
        if (deliver_guard_url(d->guard, url, err, sizeof err) != 0) {
            char msg[DELIVER_ERR_MAX + 16];
            snprintf(msg, sizeof msg, "%s %s", name, err);
            deliver_refuse(d, a, DELIVER_REFUSE_ALLOWLIST, DELIVER_FATAL, 0, msg);
            return;
        }
        a->endpoint = deliver_endpoint(url);
    }

    /* Build the request before the guards take a token or a trial slot. */
    a->easy = curl_easy_init();
    if (!a->easy) {
        deliver_refuse(d, a, DELIVER_REFUSE_INVALID, DELIVER_RETRY, 0, "curl_easy_init failed");
        return;
    }
    int rc = m->channel == DELIVER_EMAIL ? deliver_smtp_prepare(d, a, m, err, sizeof err)
                                         : deliver_http_prepare(d, a, m, err, sizeof err);
    if (rc != 0) {
        deliver_refuse(d, a, DELIVER_REFUSE_INVALID, DELIVER_FATAL, 0, err);
        return;
    }

    int64_t now = deliver_now_us();
    a->target_key = xasprintf("%s:%s", name, target);
    int64_t wait = deliver_guard_rate_take(d->guard, a->target_key, now);
    if (wait > 0) {
        snprintf(err, sizeof err,
                 "%s rate limit: notifier.rate_limit_per_minute reached for this "
                 "target",
                 name);
        deliver_refuse(d, a, DELIVER_REFUSE_RATE, DELIVER_RETRY, wait, err);
        return;
    }
    wait = deliver_guard_circuit_allow(d->guard, a->endpoint, now);
    if (wait > 0) {
        deliver_guard_rate_refund(d->guard, a->target_key);
        snprintf(err, sizeof err, "%s %s: circuit open", name, a->endpoint);
        deliver_refuse(d, a, DELIVER_REFUSE_CIRCUIT, DELIVER_RETRY, wait, err);
        return;
    }

    curl_easy_setopt(a->easy, CURLOPT_PRIVATE, a);
    curl_easy_setopt(a->easy, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(a->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, (long)d->timeout_ms);
    a->start_us = now;
    if (curl_multi_add_handle(d->multi, a->easy) != CURLM_OK) {
        deliver_guard_circuit_record(d->guard, a->endpoint, false, now); /* free the slot */
        deliver_refuse(d, a, DELIVER_REFUSE_INVALID, DELIVER_RETRY, 0,
                       "curl_multi_add_handle failed");
        return;
    }
    a->next = d->flight;
    d->flight = a;
    d->nflight++;
}

/* deliver_classify_curl - transport failures: configuration-like errors are
 * FATAL (they will not heal by waiting), everything else RETRY. */
static deliver_result_t deliver_classify_curl(CURLcode code)
{
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_LOGIN_DENIED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_TOO_MANY_REDIRECTS:
        return DELIVER_FATAL;
    default:
        return DELIVER_RETRY;
    }
}

/* deliver_outcome - how a finished transfer ended, into r, retry-after,
 * status and a secret-free error line. */
static void deliver_outcome(deliver_attempt_t *a, CURLcode code, deliver_result_t *r,
                            int64_t *retry_after_us, long *status, char *err, size_t errlen)
{
    const char *name = deliver_channel_name(a->channel);
    *status = 0;
    *retry_after_us = 0;
    curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, status);
    /* libcurl's own message names host and port, but be sure it carries no
     * URL (paths of chat hooks are credentials). */
    const char *detail = a->errbuf[0] && !strstr(a->errbuf, "://") && !strchr(a->errbuf, '@')
                             ? a->errbuf
                             : curl_easy_strerror(code);
    if (a->channel == DELIVER_EMAIL) {
        if (code == CURLE_OK) {
            *r = DELIVER_OK;
        } else if (*status >= 400) {
            *r = deliver_classify_smtp(*status);
            snprintf(err, errlen, "%s %s: SMTP %ld: %s", name, a->endpoint, *status, detail);
        } else {
            *r = deliver_classify_curl(code);
            snprintf(err, errlen, "%s %s: %s", name, a->endpoint, detail);
        }
        return;
    }
    if (code != CURLE_OK) {
        *r = deliver_classify_curl(code);
        snprintf(err, errlen, "%s %s: %s", name, a->endpoint, detail);
        return;
    }
    *r = deliver_classify_http(*status);
    if (*r == DELIVER_OK) {
        return;
    }
    snprintf(err, errlen, "%s %s: HTTP %ld", name, a->endpoint, *status);
    struct curl_header *h = NULL;
    if (*r == DELIVER_RETRY &&
        curl_easy_header(a->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK) {
        int64_t wait = deliver_retry_after_parse(h->value, time(NULL));
        if (wait > 0) {
            *retry_after_us = wait;
        }
    }
}

/* deliver_collect - takes every finished transfer off the multi handle,
 * then calls the done()s (so a done() that submits again finds the multi
 * handle in a clean state). Returns how many finished. */
static int deliver_collect(deliver_t *d)
{
    deliver_attempt_t *finished = NULL, **tail = &finished;
    CURLMsg *msg;
    int left, n = 0;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        deliver_attempt_t *a = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&a);
        a->code = msg->data.result;
        curl_multi_remove_handle(d->multi, a->easy);
        for (deliver_attempt_t **pp = &d->flight; *pp; pp = &(*pp)->next) {
            if (*pp == a) {
                *pp = a->next;
                break;
            }
        }
        d->nflight--;
        a->next = NULL;
        *tail = a;
        tail = &a->next;
        n++;
    }
    while (finished) {
        deliver_attempt_t *a = finished;
        finished = a->next;
        deliver_result_t r;
        int64_t retry_after_us;
        long status;
        char err[DELIVER_ERR_MAX + 64] = "";
        deliver_outcome(a, a->code, &r, &retry_after_us, &status, err, sizeof err);
        int64_t now = deliver_now_us();
        metric_observe(d->m_seconds[a->channel], (double)(now - a->start_us) / 1e6);
        if (deliver_guard_circuit_record(d->guard, a->endpoint, r == DELIVER_RETRY, now)) {
            metric_inc(d->m_circuit_opened);
            log_warn("msg=\"circuit opened\" endpoint=%s", a->endpoint);
        }
        log_info("msg=sent id=%lld channel=%s endpoint=%s result=%s status=%ld ms=%lld",
                 (long long)a->id, deliver_channel_name(a->channel), a->endpoint,
                 deliver_result_name(r), status, (long long)((now - a->start_us) / 1000));
        deliver_finish(d, a, r, retry_after_us, (int)status, r == DELIVER_OK ? NULL : err);
    }
    return n;
}

int deliver_poll(deliver_t *d, int timeout_ms)
{
    int64_t now = deliver_now_us();
    int64_t deadline = now + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;
    if (now - d->last_prune_us > DELIVER_PRUNE_US) {
        deliver_guard_prune(d->guard, now);
        d->last_prune_us = now;
    }
    while (d->nflight > 0) {
        int running = 0;
        curl_multi_perform(d->multi, &running);
        if (deliver_collect(d) > 0) {
            break;
        }
        int64_t left = deadline - deliver_now_us();
        if (left <= 0) {
            break;
        }
        int wait_ms = (int)((left + 999) / 1000);
        curl_multi_poll(d->multi, NULL, 0, wait_ms, NULL);
    }
    return d->nflight;
}

int deliver_in_flight(const deliver_t *d)
{
    return d->nflight;
}

/*
 * deliver_internal - what the deliver_*.c files share; not for the daemon.
 *
 * deliver_core.c owns the multi handle and the attempts; deliver_guard.c
 * the allow-list, the rate limiter and the circuit breakers;
 * deliver_http.c builds webhook, chat and SMS requests; deliver_smtp.c
 * builds mails.
 */
#ifndef ALERTDESK_DELIVER_INTERNAL_H
#define ALERTDESK_DELIVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "deliver.h"
#include "metrics.h"

#define DELIVER_ERR_MAX 256

typedef struct deliver_guard deliver_guard_t;

/* One attempt in flight. */
typedef struct deliver_attempt {
    deliver_t *d;
    int64_t id;
    deliver_channel_t channel;
    deliver_done_fn done;
    void *arg;
    CURL *easy;
    struct curl_slist *headers; /* HTTP headers, or SMTP recipients */
    char *body;                 /* request body or whole mail, owned */
    size_t body_len;
    size_t body_off;  /* SMTP read position */
    char *endpoint;   /* scheme://host:port, for the circuit breaker and errors */
    char *target_key; /* "channel:target", the rate limiter's key */
    CURLcode code;    /* how the transfer ended */
    int64_t start_us;
    char errbuf[CURL_ERROR_SIZE];
    struct deliver_attempt *next; /* in flight list */
} deliver_attempt_t;

struct deliver {
    CURLM *multi;
    deliver_attempt_t *flight;
    int nflight;
    int64_t timeout_ms;
    char *smtp_url, *smtp_from, *smtp_user, *smtp_password;
    bool smtp_starttls;
    char *sms_url, *sms_template;
    char *webhook_secret;
    deliver_guard_t *guard;
    int64_t last_prune_us;
    /* metrics, indexed by channel (1..4) and result (0..2) */
    metric_t *m_sends[5][3];
    metric_t *m_retries[5];
    metric_t *m_seconds[5];
    metric_t *m_refusals[5]; /* deliver_refusal_t */
    metric_t *m_circuit_opened;
};

typedef enum {
    DELIVER_REFUSE_ALLOWLIST = 0,
    DELIVER_REFUSE_RATE,
    DELIVER_REFUSE_CIRCUIT,
    DELIVER_REFUSE_DISABLED,
    DELIVER_REFUSE_INVALID,
} deliver_refusal_t;

/* Monotonic clock in microseconds. */
int64_t deliver_now_us(void);

/* deliver_guard.c */

/* Caller owns the result; free with deliver_guard_destroy(). Copies the
 * prefixes. */
deliver_guard_t *deliver_guard_new(char *const *prefixes, size_t nprefixes, int64_t per_minute,
                                   int64_t circuit_failures, int64_t cooldown_ms);
void deliver_guard_destroy(deliver_guard_t **gp);
/* 0 when url is an http(s) URL inside the allow-list, with no userinfo and
 * no dot segments; else -1 and the reason (without the URL's path) in err. */
int deliver_guard_url(const deliver_guard_t *g, const char *url, char *err, size_t errlen);
/* scheme://host:port of a URL (default ports filled in), lower-cased, with
 * no userinfo and no path. Caller owns the result; free with free(). NULL
 * when url has no scheme and host. */
char *deliver_endpoint(const char *url);
/* Takes one token of target's bucket: returns 0, or the wait in
 * microseconds until the next token (nothing taken). */
int64_t deliver_guard_rate_take(deliver_guard_t *g, const char *target, int64_t now_us);
/* Gives back the token taken for an attempt that did not start. */
void deliver_guard_rate_refund(deliver_guard_t *g, const char *target);
/* Asks the endpoint's breaker to let one attempt through: returns 0, or the
 * wait in microseconds (open, or a trial already in flight). */
int64_t deliver_guard_circuit_allow(deliver_guard_t *g, const char *endpoint, int64_t now_us);
/* Records an attempt's outcome (failed = it ended in RETRY); returns true
 * when this outcome opened the circuit. */
bool deliver_guard_circuit_record(deliver_guard_t *g, const char *endpoint, bool failed,
                                  int64_t now_us);
/* Drops the state of targets and endpoints idle for long (called by
 * deliver_poll now and then). */
void deliver_guard_prune(deliver_guard_t *g, int64_t now_us);

/* deliver_http.c: fill a->easy, a->headers, a->body for the channel; 0, or
 * -1 with a FATAL reason in err (e.g. a template that does not fit). */
int deliver_http_prepare(deliver_t *d, deliver_attempt_t *a, const deliver_msg_t *m, char *err,
                         size_t errlen);
/* deliver_smtp.c: the same for DELIVER_EMAIL. */
int deliver_smtp_prepare(deliver_t *d, deliver_attempt_t *a, const deliver_msg_t *m, char *err,
                         size_t errlen);
/* The mail text (headers and body, CRLF lines) for m at time now. Caller
 * owns the result; free with free(). For deliver_smtp_prepare and tests. */
char *deliver_smtp_message(const char *from, const deliver_msg_t *m, time_t now);

/* JSON-escapes s (without the surrounding quotes). Caller owns the result;
 * free with free(). */
char *deliver_json_escape(const char *s);

#endif

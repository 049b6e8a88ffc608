/*
 * deliver - one attempt at sending one page or mail, over libcurl multi.
 *
 * The notifier daemon decides what to send and when to retry; this module
 * makes single attempts and says how each ended: DELIVER_OK, DELIVER_RETRY
 * (try again later, maybe after retry_after_us) or DELIVER_FATAL (never
 * again). Channels:
 *   - DELIVER_WEBHOOK: POST of the daemon's JSON body to the target URL with
 *     Content-Type: application/json, Idempotency-Key, User-Agent
 *     alertdesk/<version> and, when notifier.webhook_secret is set,
 *     X-Alertdesk-Timestamp: <unix seconds> and
 *     X-Alertdesk-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>.
 *     A receiver recomputes the HMAC over the raw body it got and refuses
 *     timestamps older than a few minutes (replays).
 *   - DELIVER_CHAT: Slack/Mattermost incoming webhook, {"text": "..."} made
 *     of the subject (bold), the text and "Acknowledge: <ack_url>".
 *   - DELIVER_SMS: POST of notifier.sms.template to notifier.sms.url with
 *     {{to}} (the target, a phone number) and {{text}} (subject, text, ack
 *     link) replaced, JSON-escaped.
 *   - DELIVER_EMAIL: SMTP to notifier.smtp.url (STARTTLS required when
 *     notifier.smtp.starttls, AUTH when notifier.smtp.user is set); a
 *     text/plain UTF-8 mail with Date, From, To, Subject, Message-ID and
 *     threading headers (see deliver_msg_t.thread_key).
 *
 * Classification (CONVENTIONS.md): HTTP 2xx OK; 408, 429, 5xx RETRY (with
 * the Retry-After header, seconds or HTTP-date, when there is one); other
 * statuses FATAL (redirects are never followed). Timeouts, refused or reset
 * connections, DNS failures RETRY. SMTP: 4xx reply RETRY, 5xx FATAL.
 *
 * Guards, checked in deliver_submit() before any network I/O:
 *   - allow-list: webhook, chat and SMS URLs must start with one of
 *     notifier.allowed_url_prefixes (an empty list refuses every URL), use
 *     http or https, carry no user:password@ and no dot segments; else FATAL.
 *   - rate limit: a token bucket per target (URL, address or number) of
 *     notifier.rate_limit_per_minute, refilled continuously; empty -> RETRY
 *     with the wait for the next token.
 *   - circuit breaker per endpoint (scheme://host:port; for mail the SMTP
 *     server, for SMS the gateway): notifier.circuit.failures consecutive
 *     RETRY outcomes open it for notifier.circuit.cooldown (RETRY with the
 *     remaining cool-down); then one trial attempt is let through while
 *     others wait; its success closes the circuit, its failure reopens it.
 *     Any answer from the endpoint (2xx, or a 4xx/5xx-SMTP FATAL) counts
 *     as success: the endpoint is alive.
 * Error strings name the channel, the endpoint (scheme://host:port, never
 * the path, which often carries a token, nor user:password) and the cause;
 * secrets never appear in them or in logs.
 *
 * Metrics (common/metrics.h): alertdesk_notifier_sends_total{channel,result}
 * (every done() call, refusals included), alertdesk_notifier_refusals_total
 * {reason} (allowlist, rate_limit, circuit, disabled, invalid),
 * alertdesk_notifier_retries_total{channel} (submits with attempt > 1),
 * alertdesk_notifier_send_seconds{channel} (duration of attempts made) and
 * alertdesk_notifier_circuit_opened_total.
 *
 * Not thread-safe: one thread submits and polls (the daemon's loop). It
 * keeps no queue and no retry timers; that is the daemon's job, helped by
 * deliver_backoff_us().
 */
#ifndef ALERTDESK_DELIVER_H
#define ALERTDESK_DELIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "settings.h"

typedef enum { DELIVER_WEBHOOK = 1, DELIVER_CHAT, DELIVER_EMAIL, DELIVER_SMS } deliver_channel_t;
typedef enum { DELIVER_OK = 0, DELIVER_RETRY = 1, DELIVER_FATAL = 2 } deliver_result_t;

typedef struct deliver deliver_t;

/* One message to send. Everything is borrowed for the duration of
 * deliver_submit(); deliver copies what it keeps. NULL strings are empty. */
typedef struct {
    int64_t id;                  /* the notifications row id, handed back to done() */
    deliver_channel_t channel;   /* webhook, chat, email or sms */
    int attempt;                 /* 1 = first attempt; > 1 counts as a retry in metrics */
    const char *target;          /* URL (webhook, chat), e-mail address, phone number (SMS) */
    const char *idempotency_key; /* Idempotency-Key header; Message-ID basis */
    const char *subject;         /* e-mail Subject; first line of chat and SMS */
    const char *text;            /* plain text, UTF-8 */
    const char *json;            /* webhook body (the documented JSON the daemon builds); NULL
                                    = a minimal {"id","subject","text","ack_url"} object */
    const char *thread_key;      /* e-mail: mails with the same key thread together */
    bool thread_first;           /* e-mail: this mail opens the thread (see below) */
    const char *ack_url;         /* shown in chat, mail and SMS when set */
} deliver_msg_t;

/*
 * E-mail threading: with a thread_key, the thread's root id is
 * <t.KEY@DOMAIN> (DOMAIN from notifier.smtp.from). A mail with thread_first
 * uses it as its own Message-ID; every other mail gets
 * Message-ID <IDEMPOTENCY_KEY@DOMAIN> and In-Reply-To/References <t.KEY@DOMAIN>,
 * so mail clients group them even when the first one never arrived.
 * Without a thread_key: Message-ID <IDEMPOTENCY_KEY@DOMAIN>, no threading.
 * Characters other than A-Z a-z 0-9 . _ - in keys become '_'.
 */

/*
 * How an attempt ended. Called exactly once per deliver_submit().
 *   r               DELIVER_OK, DELIVER_RETRY, DELIVER_FATAL
 *   retry_after_us  for RETRY: the wait the peer or a guard asked for
 *                   (Retry-After, remaining circuit cool-down, rate-limit
 *                   wait); 0 = none asked, use deliver_backoff_us()
 *   http_status     HTTP status, or the last SMTP reply code; 0 when no
 *                   answer was received (refusal, timeout, connection)
 *   error           NULL on OK; else a one-line reason without secrets,
 *                   borrowed for the call only
 * done() may call deliver_submit() (it is re-entrant), never
 * deliver_destroy().
 */
typedef void (*deliver_done_fn)(void *arg, int64_t id, deliver_result_t r, int64_t retry_after_us,
                                int http_status, const char *error);

/* Creates the sender from the notifier.* settings (timeout, SMTP, SMS URL
 * and template, allow-list, webhook secret, rate limit, circuit breaker),
 * copying what it needs: s may be freed afterwards. Registers the metrics.
 * Calls curl_global_init() once per process. Returns NULL (logged) only when
 * libcurl cannot start. Caller owns the result; free with deliver_destroy(). */
deliver_t *deliver_new(const settings_t *s);

/* Aborts every attempt still in flight, calling its done() with
 * DELIVER_RETRY and "shutting down" (the page may or may not have left:
 * pages are at least once), and frees everything. Accepts NULL and *dp ==
 * NULL; sets *dp to NULL. */
void deliver_destroy(deliver_t **dp);

/*
 * Starts one attempt. done(arg, ...) is called exactly once: later from
 * deliver_poll(), or before deliver_submit() returns when the message is
 * refused without network I/O: target outside the allow-list, invalid
 * target or channel disabled (no smtp.url / sms.url) -> FATAL; circuit open
 * -> RETRY with the remaining cool-down; rate limit -> RETRY with the wait.
 */
void deliver_submit(deliver_t *d, const deliver_msg_t *m, deliver_done_fn done, void *arg);

/*
 * Drives the transfers for up to timeout_ms (0 = only what is ready now),
 * returning early once at least one attempt has finished; calls done() for
 * every finished attempt. Returns the number of attempts still in flight.
 * With nothing in flight it returns 0 at once without waiting: the caller
 * does its own waiting then.
 */
int deliver_poll(deliver_t *d, int timeout_ms);

/* The number of attempts in flight. */
int deliver_in_flight(const deliver_t *d);

/*
 * Exponential back-off with jitter for retry n (1 = first retry): the
 * ceiling is min(max_us, base_us * 2^n), and the delay is drawn uniformly
 * from [base_us, ceiling], so it never goes under base nor over max, and
 * concurrent retries spread out. *rng is the caller's PRNG state
 * (splitmix64; any value, 0 included, is a valid seed): the same state
 * gives the same sequence (deterministic tests). attempt < 1 counts as 1.
 */
int64_t deliver_backoff_us(int attempt, int64_t base_us, int64_t max_us, uint64_t *rng);

/* "webhook", "chat", "email", "sms"; NULL for anything else. */
const char *deliver_channel_name(deliver_channel_t c);
/* Parses a channel name as above; returns 0, or -1 when unknown. */
int deliver_channel_parse(const char *name, deliver_channel_t *out);
/* "OK", "RETRY", "FATAL" (CONVENTIONS.md's words). */
const char *deliver_result_name(deliver_result_t r);

/* The classification of an HTTP status, as described above. */
deliver_result_t deliver_classify_http(long status);
/* The classification of an SMTP reply code: 2xx/3xx OK, 4xx RETRY, 5xx
 * and anything else FATAL. */
deliver_result_t deliver_classify_smtp(long code);
/* Parses a Retry-After value, delta-seconds or an HTTP-date (IMF-fixdate),
 * against now; returns the wait in microseconds (0 for a date in the
 * past), or -1 when value is not one of the two forms. */
int64_t deliver_retry_after_parse(const char *value, time_t now);

#endif

/*
 * deliver_smtp - e-mail over SMTP with libcurl: the message text (headers
 * with RFC 2047 subjects and threading ids, a text/plain UTF-8 body with CRLF
 * lines) and the easy handle sending it (MAIL FROM, RCPT TO, STARTTLS,
 * AUTH).
 *
 * libcurl does the SMTP dialogue and the dot-stuffing; this file does not
 * wrap long lines (pages are short) nor send HTML or attachments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "deliver_internal.h"
#include "xalloc.h"

/* A growing string. */
typedef struct {
    char *s;
    size_t len, cap;
} smtp_buf_t;

static void smtp_put(smtp_buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void smtp_puts(smtp_buf_t *b, const char *s)
{
    smtp_put(b, s, strlen(s));
}

/* smtp_put_line_text - s with every line ending made CRLF (lone CRs
 * dropped); with header, CR and LF become spaces (no header injection). */
static void smtp_put_text(smtp_buf_t *b, const char *s, bool header)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\r') {
            if (header) {
                smtp_put(b, " ", 1);
            }
        } else if (*p == '\n') {
            smtp_puts(b, header ? " " : "\r\n");
        } else {
            smtp_put(b, p, 1);
        }
    }
}

/* smtp_address - the bare address of "Name <a@b>" or "a@b". Caller owns
 * the result. */
static char *smtp_address(const char *from)
{
    const char *lt = strrchr(from, '<');
    if (lt) {
        const char *gt = strchr(lt, '>');
        return xstrndup(lt + 1, gt ? (size_t)(gt - lt - 1) : strlen(lt + 1));
    }
    return xstrdup(from);
}

/* smtp_valid_address - one plain address: local@domain, printable ASCII,
 * none of the characters that would change the SMTP command or headers. */
static bool smtp_valid_address(const char *a)
{
    const char *at = strchr(a, '@');
    if (!at || at == a || at[1] == '\0' || strchr(at + 1, '@')) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)a; *p; p++) {
        if (*p <= ' ' || *p >= 0x7f || strchr("<>()[],;:\"\\", *p)) {
            return false;
        }
    }
    return strlen(a) <= 254;
}

/* smtp_id - "<prefix><key>@domain>" with unsafe key characters as '_'. */
static void smtp_put_id(smtp_buf_t *b, const char *prefix, const char *key, const char *domain)
{
    smtp_puts(b, "<");
    smtp_puts(b, prefix);
    for (const char *p = key; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        smtp_put(b, ok ? &c : "_", 1);
    }
    smtp_puts(b, "@");
    smtp_puts(b, domain);
    smtp_puts(b, ">");
}

/* smtp_put_subject - plain when ASCII, else RFC 2047 base64 encoded-words
 * of at most 45 bytes of UTF-8 each (never splitting a character), folded. */
static void smtp_put_subject(smtp_buf_t *b, const char *subject)
{
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)subject; *p; p++) {
        if (*p >= 0x80) {
            ascii = false;
        }
    }
    if (ascii) {
        smtp_put_text(b, subject, true);
        return;
    }
    size_t n = strlen(subject), off = 0;
    while (off < n) {
        size_t len = n - off > 45 ? 45 : n - off;
        while (off + len < n && ((unsigned char)subject[off + len] & 0xc0) == 0x80 && len > 1) {
            len--; /* do not cut a UTF-8 sequence */
        }
        unsigned char enc[80];
        unsigned char raw[45];
        memcpy(raw, subject + off, len);
        for (size_t i = 0; i < len; i++) {
            if (raw[i] == '\r' || raw[i] == '\n') {
                raw[i] = ' ';
            }
        }
        EVP_EncodeBlock(enc, raw, (int)len);
        if (off > 0) {
            smtp_puts(b, "\r\n ");
        }
        smtp_puts(b, "=?UTF-8?B?");
        smtp_puts(b, (const char *)enc);
        smtp_puts(b, "?=");
        off += len;
    }
}

char *deliver_smtp_message(const char *from, const deliver_msg_t *m, time_t now)
{
    smtp_buf_t b = {0};
    char *addr = smtp_address(from);
    const char *at = strchr(addr, '@');
    const char *domain = at && at[1] ? at + 1 : "localhost";
    const char *key = m->idempotency_key && *m->idempotency_key ? m->idempotency_key : NULL;
    char idbuf[32];
    if (!key) {
        snprintf(idbuf, sizeof idbuf, "n%lld", (long long)m->id);
        key = idbuf;
    }
    bool threaded = m->thread_key && *m->thread_key;

    char date[64];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    smtp_puts(&b, "Date: ");
    smtp_puts(&b, date);
    smtp_puts(&b, "\r\nFrom: ");
    smtp_put_text(&b, from, true);
    smtp_puts(&b, "\r\nTo: ");
    smtp_put_text(&b, m->target ? m->target : "", true);
    smtp_puts(&b, "\r\nSubject: ");
    smtp_put_subject(&b, m->subject ? m->subject : "");
    smtp_puts(&b, "\r\nMessage-ID: ");
    if (threaded && m->thread_first) {
        smtp_put_id(&b, "t.", m->thread_key, domain);
    } else {
        smtp_put_id(&b, "", key, domain);
    }
    if (threaded && !m->thread_first) {
        smtp_puts(&b, "\r\nIn-Reply-To: ");
        smtp_put_id(&b, "t.", m->thread_key, domain);
        smtp_puts(&b, "\r\nReferences: ");
        smtp_put_id(&b, "t.", m->thread_key, domain);
    }
    smtp_puts(&b, "\r\nMIME-Version: 1.0"
                  "\r\nContent-Type: text/plain; charset=UTF-8"
                  "\r\nContent-Transfer-Encoding: 8bit"
                  "\r\nAuto-Submitted: auto-generated"
                  "\r\n\r\n");
    smtp_put_text(&b, m->text ? m->text : "", false);
    if (m->ack_url && *m->ack_url) {
        smtp_puts(&b, "\r\n\r\nAcknowledge: ");
        smtp_put_text(&b, m->ack_url, true);
    }
    smtp_puts(&b, "\r\n");
    free(addr);
    return b.s;
}

static size_t smtp_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    deliver_attempt_t *a = userdata;
    size_t n = size * nitems, left = a->body_len - a->body_off;
    if (n > left) {
        n = left;
    }
    memcpy(buf, a->body + a->body_off, n);
    a->body_off += n;
    return n;
}

int deliver_smtp_prepare(deliver_t *d, deliver_attempt_t *a, const deliver_msg_t *m, char *err,
                         size_t errlen)
{
    if (!smtp_valid_address(m->target)) {
        snprintf(err, errlen, "email target is not a plain address (local@domain)");
        return -1;
    }
    a->body = deliver_smtp_message(d->smtp_from, m, time(NULL));
    a->body_len = strlen(a->body);
    a->body_off = 0;

    char *from = smtp_address(d->smtp_from);
    char *mail_from = xasprintf("<%s>", from);
    char *rcpt = xasprintf("<%s>", m->target);
    a->headers = curl_slist_append(NULL, rcpt);
    free(rcpt);

    CURL *e = a->easy;
    curl_easy_setopt(e, CURLOPT_URL, d->smtp_url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, mail_from); /* libcurl copies string options */
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, a->headers);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, smtp_read);
    curl_easy_setopt(e, CURLOPT_READDATA, a);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)a->body_len);
    if (d->smtp_starttls) {
        curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    }
    if (d->smtp_user && *d->smtp_user) {
        curl_easy_setopt(e, CURLOPT_USERNAME, d->smtp_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, d->smtp_password ? d->smtp_password : "");
    }
    free(mail_from);
    free(from);
    return 0;
}

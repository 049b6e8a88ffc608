/*
 * notify_token - signs and checks acknowledge-link tokens with
 * HMAC-SHA256 (OpenSSL libcrypto's one-shot HMAC()).
 *
 * The signed text is the token without its MAC, "v1.N.T.E", so what is
 * checked is exactly what was parsed: there is no second encoding that
 * could differ. Fields are plain decimal without sign or leading zeros,
 * so each value has one spelling and an altered token cannot keep its MAC.
 *
 * Does not: remember used tokens (the daemon's notifications row does).
 */
#include "notify_token.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define TOKEN_PREFIX  "v1."
#define TOKEN_MAC_LEN 32
#define TOKEN_MAC_B64 43 /* base64url of 32 bytes without padding */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of n bytes; out has room for 4 * n / 3 + 2. */
static size_t token_b64(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        v |= i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? (uint32_t)in[i + 2] : 0;
        size_t chars = n - i >= 3 ? 4 : n - i + 1;
        for (size_t k = 0; k < chars; k++) {
            out[o++] = b64url[(v >> (18 - 6 * k)) & 63];
        }
    }
    out[o] = '\0';
    return o;
}

static int token_mac(const void *key, size_t keylen, const char *text, size_t len,
                     char out[TOKEN_MAC_B64 + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (keylen > INT32_MAX ||
        !HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)text, len, mac, &maclen) ||
        maclen != TOKEN_MAC_LEN) {
        return -1;
    }
    token_b64(mac, maclen, out);
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

int notify_token_make(const void *key, size_t keylen, int64_t notification_id, int64_t ticket_id,
                      int64_t expires_us, char *out, size_t outlen)
{
    char mac[TOKEN_MAC_B64 + 1];
    if (keylen == 0 || notification_id < 0 || ticket_id < 0 || expires_us < 0) {
        return -1;
    }
    int n = snprintf(out, outlen, TOKEN_PREFIX "%" PRId64 ".%" PRId64 ".%" PRId64, notification_id,
                     ticket_id, expires_us / 1000000);
    if (n < 0 || (size_t)n + 1 + TOKEN_MAC_B64 + 1 > outlen) {
        if (outlen) {
            out[0] = '\0';
        }
        return -1;
    }
    if (token_mac(key, keylen, out, (size_t)n, mac) != 0) {
        out[0] = '\0';
        return -1;
    }
    out[n] = '.';
    memcpy(out + n + 1, mac, TOKEN_MAC_B64 + 1);
    return 0;
}

/* A canonical non-negative decimal field ending at '.'; advances *s past the dot. */
static bool token_field(const char **s, int64_t *out)
{
    const char *p = *s;
    int64_t v = 0;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (v > (INT64_MAX - (*p - '0')) / 10) {
            return false;
        }
        v = v * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || digits > 19 || (digits > 1 && **s == '0') || *p != '.') {
        return false;
    }
    *s = p + 1;
    *out = v;
    return true;
}

notify_token_result_t notify_token_check(const void *key, size_t keylen, const char *token,
                                         int64_t now_us, int64_t *notification_id,
                                         int64_t *ticket_id)
{
    if (!token || strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
        strlen(token) >= NOTIFY_TOKEN_MAX) {
        return NOTIFY_TOKEN_MALFORMED;
    }
    const char *p = token + strlen(TOKEN_PREFIX);
    int64_t nid, tid, exp_s;
    if (!token_field(&p, &nid) || !token_field(&p, &tid) || !token_field(&p, &exp_s)) {
        return NOTIFY_TOKEN_MALFORMED;
    }
    size_t signed_len = (size_t)(p - 1 - token);
    if (strlen(p) != TOKEN_MAC_B64 || strspn(p, b64url) != TOKEN_MAC_B64) {
        return NOTIFY_TOKEN_MALFORMED;
    }
    char mac[TOKEN_MAC_B64 + 1];
    if (keylen == 0 || token_mac(key, keylen, token, signed_len, mac) != 0 ||
        CRYPTO_memcmp(mac, p, TOKEN_MAC_B64) != 0) {
        return NOTIFY_TOKEN_FORGED;
    }
    if (exp_s > INT64_MAX / 1000000 || now_us >= exp_s * 1000000) {
        return NOTIFY_TOKEN_EXPIRED;
    }
    if (notification_id) {
        *notification_id = nid;
    }
    if (ticket_id) {
        *ticket_id = tid;
    }
    return NOTIFY_TOKEN_OK;
}

const char *notify_token_result_name(notify_token_result_t r)
{
    switch (r) {
    case NOTIFY_TOKEN_OK:
        return "ok";
    case NOTIFY_TOKEN_MALFORMED:
        return "malformed";
    case NOTIFY_TOKEN_FORGED:
        return "forged";
    case NOTIFY_TOKEN_EXPIRED:
        return "expired";
    }
    return "?";
}

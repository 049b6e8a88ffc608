/*
 * notify_token - acknowledge-link tokens: "v1.<notification>.<ticket>.
 * <expiry seconds>.<mac>" where mac is base64url (no padding) of
 * HMAC-SHA256(key, everything before the last dot). URL-safe as it stands
 * (digits, '.', A-Z a-z 0-9 - _), so it goes into /ack/<token> unescaped.
 *
 * A valid token proves the holder got the page; that it is used once only
 * is the daemon's job (a database row), as is keeping the key secret.
 *
 * Does not: read a clock, log, or keep state.
 */
#ifndef ALERTDESK_NOTIFY_TOKEN_H
#define ALERTDESK_NOTIFY_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Enough for any token (three int64 fields, the prefix and the MAC). */
#define NOTIFY_TOKEN_MAX 128

typedef enum {
    NOTIFY_TOKEN_OK = 0,
    NOTIFY_TOKEN_MALFORMED = -1, /* not our format (truncated, bad characters, ...) */
    NOTIFY_TOKEN_FORGED = -2,    /* well formed, wrong MAC (other key or altered) */
    NOTIFY_TOKEN_EXPIRED = -3    /* genuine but past its expiry */
} notify_token_result_t;

/* Writes the token for (notification_id, ticket_id), valid until
 * expires_us (rounded down to a whole second), into out. Returns 0, or -1
 * when keylen is 0, an id is negative or outlen is too small. */
int notify_token_make(const void *key, size_t keylen, int64_t notification_id, int64_t ticket_id,
                      int64_t expires_us, char *out, size_t outlen);
/* Checks token at now_us: NOTIFY_TOKEN_OK with the ids in the out-parameters
 * (either may be NULL), or the reason it is refused (out-parameters
 * untouched). The MAC is compared in constant time and checked before the
 * expiry, so an expired answer is only given for genuine tokens. */
notify_token_result_t notify_token_check(const void *key, size_t keylen, const char *token,
                                         int64_t now_us, int64_t *notification_id,
                                         int64_t *ticket_id);

/* "ok", "malformed", "forged", "expired"; "?" otherwise. Static storage. */
const char *notify_token_result_name(notify_token_result_t r);

#endif

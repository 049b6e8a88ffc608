/*
 * ticketer_api_session - who the caller is, and the credential an
 * EventSource carries.
 *
 *   GET  /api/v1/whoami        (viewer) {"name", "role", "may": {...}}: the
 *                              console shows only the actions the role allows.
 *   POST /api/v1/stream/token  (viewer) {"ticket", "expires_in"}: a signed
 *                              credential for GET /api/v1/stream?ticket=...
 *
 * A browser's EventSource cannot send an Authorization header, and the real
 * token must never be in a URL (URLs end up in logs and histories). So the
 * console trades its token for a ticket that is good for API_TICKET_TTL_S
 * seconds, only for opening the stream, and only in this process: it is
 * "v1.EXPIRY.ROLE.NAMEHEX.MAC" with an HMAC-SHA256 under a key drawn at
 * start. A restart invalidates every ticket; the console mints a new one
 * each time it reconnects.
 *
 * Does not: create sessions or cookies (the console keeps its token in the
 * browser session), or grant anything but the stream.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "log.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

#define API_TICKET_TTL_S    60
#define API_TICKET_NAME_MAX 100

static unsigned char api_ticket_key[32];
static pthread_once_t api_ticket_once = PTHREAD_ONCE_INIT;

static void api_ticket_key_init(void)
{
    if (RAND_bytes(api_ticket_key, sizeof api_ticket_key) != 1) {
        log_fatal("msg=\"cannot draw the stream ticket key\"");
    }
}

static void api_hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* api_ticket_mac - hex HMAC-SHA256 of msg under the process key (65 bytes). */
static void api_ticket_mac(const char *msg, char out[65])
{
    pthread_once(&api_ticket_once, api_ticket_key_init);
    unsigned char mac[32];
    unsigned int len = sizeof mac;
    HMAC(EVP_sha256(), api_ticket_key, sizeof api_ticket_key, (const unsigned char *)msg,
         strlen(msg), mac, &len);
    api_hex(mac, 32, out);
}

void api_whoami(api_ctx_t *c)
{
    static const char *const known[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    json_t *may =
        json_pack("{s:b, s:b, s:b}", "tickets", settings_role_allows(c->role, AUTH_ROLE_AGENT),
                  "silences", settings_role_allows(c->role, AUTH_ROLE_OPERATOR), "admin",
                  settings_role_allows(c->role, AUTH_ROLE_ADMIN));
    /* json_pack's "o" steals the reference to may. */
    api_send_json(c, 200,
                  json_pack("{s:s, s:s, s:o}", "name", c->actor, "role",
                            settings_role_name(c->role), "may", may));
}

void api_stream_token(api_ctx_t *c)
{
    static const char *const fields[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER)) {
        return;
    }
    json_t *body = api_body_object(c, fields);
    if (!body) {
        return;
    }
    json_decref(body);
    size_t nlen = strlen(c->actor);
    if (nlen > API_TICKET_NAME_MAX) {
        api_error(c, 422, NULL, "token name too long for a stream ticket");
        return;
    }
    char namehex[2 * API_TICKET_NAME_MAX + 1];
    api_hex((const unsigned char *)c->actor, nlen, namehex);
    int64_t exp = api_now_us() / 1000000 + API_TICKET_TTL_S;
    char msg[320], mac[65];
    snprintf(msg, sizeof msg, "v1.%" PRId64 ".%d.%s", exp, (int)c->role, namehex);
    api_ticket_mac(msg, mac);
    char *ticket = xasprintf("%s.%s", msg, mac);
    api_send_json(c, 200,
                  json_pack("{s:s, s:i}", "ticket", ticket, "expires_in", API_TICKET_TTL_S));
    free(ticket);
}

bool api_stream_ticket_auth(api_ctx_t *c, const char *ticket)
{
    static __thread char actor[API_TICKET_NAME_MAX + 1];
    char buf[400];
    if (strlen(ticket) >= sizeof buf) {
        goto bad;
    }
    strcpy(buf, ticket);
    char *dot = strrchr(buf, '.');
    if (!dot || strlen(dot + 1) != 64) {
        goto bad;
    }
    *dot = '\0';
    char mac[65];
    api_ticket_mac(buf, mac);
    if (CRYPTO_memcmp(mac, dot + 1, 64) != 0) {
        goto bad;
    }
    long long exp = 0;
    int role = 0, used = 0;
    if (sscanf(buf, "v1.%lld.%d.%n", &exp, &role, &used) != 2 || used == 0) {
        goto bad;
    }
    if (exp < api_now_us() / 1000000) {
        api_error(c, 401, "ticket", "the stream ticket has expired; get a new one");
        return false;
    }
    const char *hex = buf + used;
    size_t hl = strlen(hex);
    if (hl % 2 || hl / 2 > API_TICKET_NAME_MAX) {
        goto bad;
    }
    for (size_t i = 0; i < hl / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            goto bad;
        }
        actor[i] = (char)v;
    }
    actor[hl / 2] = '\0';
    c->actor = actor;
    c->role = (auth_role_t)role;
    return true;
bad:
    api_error(c, 401, "ticket", "bad stream ticket");
    return false;
}

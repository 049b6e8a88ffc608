/*
 * test_notify_token - acknowledge-link tokens: a valid token gives back its
 * ids; expired, forged (altered field, altered MAC, other key), truncated
 * and otherwise malformed tokens are refused with their own code; make()
 * refuses an empty key and a short buffer; tokens are URL-safe.
 *
 * Does not test: "used once only" (the daemon's database row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_token.h"
#include "unit_check.h"

static const char KEY[] = "test-ack-secret-0123456789";
#define NOW INT64_C(1796000000000000) /* some instant in 2026 */
#define S   INT64_C(1000000)

static notify_token_result_t check(const char *tok, int64_t now)
{
    return notify_token_check(KEY, strlen(KEY), tok, now, NULL, NULL);
}

int main(void)
{
    char tok[NOTIFY_TOKEN_MAX], bad[NOTIFY_TOKEN_MAX];
    int64_t nid = 0, tid = 0;

    /* Valid: fails if fields are not round-tripped. */
    CHECK(notify_token_make(KEY, strlen(KEY), 4242, 1042, NOW + 3600 * S, tok, sizeof tok) == 0,
          "make");
    CHECK(notify_token_check(KEY, strlen(KEY), tok, NOW, &nid, &tid) == NOTIFY_TOKEN_OK &&
              nid == 4242 && tid == 1042,
          "valid: %s -> %lld %lld", tok, (long long)nid, (long long)tid);
    /* URL-safe: fails if '+', '/', '=' or anything to escape appears. */
    CHECK(strspn(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
              strlen(tok),
          "url-safe: %s", tok);

    /* Expired: at the expiry second and after; fails if the bound is off by one. */
    CHECK(check(tok, NOW + 3600 * S - 1) == NOTIFY_TOKEN_OK, "one microsecond before expiry");
    CHECK(check(tok, NOW + 3600 * S) == NOTIFY_TOKEN_EXPIRED, "at expiry");
    CHECK(check(tok, NOW + 7200 * S) == NOTIFY_TOKEN_EXPIRED, "after expiry");

    /* Forged: another ticket id with the old MAC; fails if the MAC does
     * not cover the fields. */
    snprintf(bad, sizeof bad, "%s", tok);
    char *field = strchr(bad + 3, '.') + 1; /* the ticket id "1042" */
    field[0] = '2';
    CHECK(check(bad, NOW) == NOTIFY_TOKEN_FORGED, "altered ticket id: %s", bad);
    /* Forged: an altered MAC character. */
    snprintf(bad, sizeof bad, "%s", tok);
    bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A';
    CHECK(check(bad, NOW) == NOTIFY_TOKEN_FORGED, "altered mac");
    /* Forged: a longer expiry on an expired token must not pass as merely expired. */
    snprintf(bad, sizeof bad, "%s", tok);
    char *exp = strchr(field, '.') + 1;
    exp[0] = exp[0] == '9' ? '8' : '9';
    CHECK(check(bad, NOW) == NOTIFY_TOKEN_FORGED, "altered expiry");
    /* Other key: fails if the key is not part of the MAC. */
    CHECK(notify_token_check("other", 5, tok, NOW, NULL, NULL) == NOTIFY_TOKEN_FORGED, "other key");
    /* An expired token under another key is "forged", never "expired". */
    CHECK(notify_token_check("other", 5, tok, NOW + 7200 * S, NULL, NULL) == NOTIFY_TOKEN_FORGED,
          "expired + other key");

    /* Truncated and malformed: fails if parsing accepts partial tokens. */
    snprintf(bad, sizeof bad, "%s", tok);
    bad[strlen(bad) - 1] = '\0';
    CHECK(check(bad, NOW) == NOTIFY_TOKEN_MALFORMED, "one character short");
    *strrchr(bad, '.') = '\0';
    CHECK(check(bad, NOW) == NOTIFY_TOKEN_MALFORMED, "no mac");
    CHECK(check("", NOW) == NOTIFY_TOKEN_MALFORMED, "empty");
    CHECK(check("v2.1.2.3.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NOW) ==
              NOTIFY_TOKEN_MALFORMED,
          "unknown version");
    memcpy(bad, "v1.0", 4);
    memcpy(bad + 4, tok + 3, strlen(tok + 3) + 1); /* tok is short: fits */
    CHECK(check(bad, NOW) == NOTIFY_TOKEN_MALFORMED, "leading zero (two spellings of one id)");
    snprintf(bad, sizeof bad, "%s", tok);
    bad[strlen(bad) - 3] = '+';
    CHECK(check(bad, NOW) == NOTIFY_TOKEN_MALFORMED, "a character outside base64url");
    CHECK(check("v1.-1.2.3.abcdefghijabcdefghijabcdefghijabcdefghijabc", NOW) ==
              NOTIFY_TOKEN_MALFORMED,
          "negative id");

    /* make() refusals: fails if an empty key signs or output is cut. */
    CHECK(notify_token_make("", 0, 1, 2, NOW, tok, sizeof tok) == -1, "empty key");
    CHECK(notify_token_make(KEY, strlen(KEY), 1, 2, NOW, tok, 20) == -1, "short buffer");
    CHECK(notify_token_make(KEY, strlen(KEY), -1, 2, NOW, tok, sizeof tok) == -1, "negative id");
    CHECK(notify_token_make(KEY, strlen(KEY), INT64_MAX, INT64_MAX, INT64_MAX, tok, sizeof tok) ==
                  0 &&
              check(tok, NOW) == NOTIFY_TOKEN_OK,
          "largest values fit NOTIFY_TOKEN_MAX");
    CHECK(strcmp(notify_token_result_name(NOTIFY_TOKEN_EXPIRED), "expired") == 0, "names");

    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}

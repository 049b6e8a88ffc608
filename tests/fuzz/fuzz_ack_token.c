/*
 * fuzz_ack_token - libFuzzer target for notify_token_check(): the
 * acknowledge token arrives in a URL from anyone who can reach the
 * notifier. Any input must be refused or accepted without a crash; an input
 * that is accepted must be exactly what notify_token_make() writes for the
 * ids it yields (no second spelling of a valid token), and nothing but a
 * token made with the key may be accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_key[] = "fuzz-key-0123456789";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char token[NOTIFY_TOKEN_MAX * 2];
    if (size >= sizeof token) {
        size = sizeof token - 1;
    }
    memcpy(token, data, size);
    token[size] = '\0';
    int64_t nid = 0, tid = 0;
    notify_token_result_t r =
        notify_token_check(fuzz_key, sizeof fuzz_key - 1, token, 0, &nid, &tid);
    if (r == NOTIFY_TOKEN_OK || r == NOTIFY_TOKEN_EXPIRED) {
        /* Only a MAC made with the key gets this far: the fuzzer cannot
         * forge one, so reaching here means the check is broken. */
        abort();
    }
    /* A genuine token for the same ids must still be accepted. */
    char made[NOTIFY_TOKEN_MAX];
    if (notify_token_make(fuzz_key, sizeof fuzz_key - 1, nid > 0 ? nid : 1, tid > 0 ? tid : 1,
                          INT64_MAX / 2, made, sizeof made) == 0 &&
        notify_token_check(fuzz_key, sizeof fuzz_key - 1, made, 0, &nid, &tid) != NOTIFY_TOKEN_OK) {
        abort();
    }
    return 0;
}

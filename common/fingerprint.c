/*
 * fingerprint - the stable identity of an alert: SHA-256 (OpenSSL EVP) over
 * length-prefixed fields, cut to 128 bits and written as 32 lower-case hex
 * characters. See fingerprint.h for the contract.
 *
 * What is hashed, each field as an 8-byte big-endian length then its bytes
 * (a NULL string hashes like ""):
 *   sender's key:  "afp1" "K" source scope dedup_key
 *   otherwise:     "afp1" "L" source resource check {label key, value}...
 * labels in the event's order (sorted by key, unique), minus the ignore list.
 * The "afp1" tag lets a future scheme never collide with this one; the mode
 * letter keeps a key from ever equalling a label set.
 *
 * Not hashed, ever: severity, status, summary, description, annotations and
 * times - they change during an alert's life, its identity does not.
 *
 * Changing anything here changes every stored fingerprint: the regression
 * vector in tests/unit/test_fingerprint.c is there to make that loud.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprint.h"

/* Fields are gathered in a stack buffer and handed to EVP in few large
 * updates: one update call per field costs more than the hashing itself. */
#define FP_BUF 1024

typedef struct {
    EVP_MD_CTX *md;
    size_t used;
    unsigned char buf[FP_BUF];
} fp_hasher_t;

static EVP_MD *fp_sha256;
static pthread_key_t fp_ctx_key;
static pthread_once_t fp_once = PTHREAD_ONCE_INIT;

static void fp_ctx_free(void *md)
{
    EVP_MD_CTX_free(md);
}

/* OpenSSL 3 looks an algorithm up on every EVP_DigestInit_ex(EVP_sha256())
 * (a locked provider search); fetching once saves that per event. Each
 * thread also keeps one digest context (freed when the thread ends): making
 * and freeing one per event cost as much as the hashing. */
static void fp_init(void)
{
    fp_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!fp_sha256 || pthread_key_create(&fp_ctx_key, fp_ctx_free) != 0) {
        fprintf(stderr, "fingerprint: no SHA256 in OpenSSL or no thread key\n");
        abort();
    }
}

static EVP_MD_CTX *fp_ctx(void)
{
    EVP_MD_CTX *md = pthread_getspecific(fp_ctx_key);
    if (!md) {
        md = EVP_MD_CTX_new();
        if (!md || pthread_setspecific(fp_ctx_key, md) != 0) {
            abort(); /* out of memory, as xmalloc would */
        }
    }
    return md;
}

static void fp_update(fp_hasher_t *h, const void *p, size_t n)
{
    if (h->used + n > FP_BUF) {
        if (EVP_DigestUpdate(h->md, h->buf, h->used) != 1) {
            abort(); /* only fails on a broken context: an invariant */
        }
        h->used = 0;
    }
    if (n > FP_BUF) {
        if (EVP_DigestUpdate(h->md, p, n) != 1) {
            abort();
        }
        return;
    }
    memcpy(h->buf + h->used, p, n);
    h->used += n;
}

static void fp_field(fp_hasher_t *h, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    uint64_t v = n;
    unsigned char len[8];
    for (int i = 7; i >= 0; i--) {
        len[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    fp_update(h, len, sizeof len);
    fp_update(h, s ? s : "", n);
}

static int fp_ignored(const char *key, const char *const *ignore, size_t nignore)
{
    for (size_t i = 0; i < nignore; i++) {
        if (ignore[i] && strcmp(ignore[i], key) == 0) {
            return 1;
        }
    }
    return 0;
}

void fingerprint_compute(event_t *ev, const char *scope, const char *const *ignore, size_t nignore)
{
    static const char hex[] = "0123456789abcdef";
    fp_hasher_t h;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    pthread_once(&fp_once, fp_init);
    h.used = 0;
    h.md = fp_ctx();
    if (EVP_DigestInit_ex(h.md, fp_sha256, NULL) != 1) {
        abort();
    }

    fp_field(&h, "afp1");
    if (ev->dedup_key && ev->dedup_key[0]) {
        fp_field(&h, "K");
        fp_field(&h, ev->source);
        fp_field(&h, scope);
        fp_field(&h, ev->dedup_key);
    } else {
        fp_field(&h, "L");
        fp_field(&h, ev->source);
        fp_field(&h, ev->resource);
        fp_field(&h, ev->check);
        for (uint32_t i = 0; i < ev->nlabels; i++) {
            if (fp_ignored(ev->labels[i].key, ignore, nignore)) {
                continue;
            }
            fp_field(&h, ev->labels[i].key);
            fp_field(&h, ev->labels[i].value);
        }
    }
    if ((h.used && EVP_DigestUpdate(h.md, h.buf, h.used) != 1) ||
        EVP_DigestFinal_ex(h.md, digest, &dlen) != 1 || dlen < EVENT_FINGERPRINT_HEX / 2) {
        abort();
    }

    for (int i = 0; i < EVENT_FINGERPRINT_HEX / 2; i++) {
        ev->fingerprint[2 * i] = hex[digest[i] >> 4];
        ev->fingerprint[2 * i + 1] = hex[digest[i] & 0xf];
    }
    ev->fingerprint[EVENT_FINGERPRINT_HEX] = '\0';
}

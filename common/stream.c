/*
 * stream - publisher and gap-filling consumer of (stream, seq) rows.
 * See stream.h for the rule and the wire frames.
 */
#include <stdint.h>
#include <string.h>

#include <zmq.h>

#include "log.h"
#include "stream.h"
#include "xalloc.h"

#define STREAM_KIND_DATA      'D'
#define STREAM_KIND_HEARTBEAT 'H'
#define STREAM_HEAD_MAX       (1 + 8 + STREAM_NAME_MAX)

struct stream_pub {
    void *sock;
    char *topic;
    char name[STREAM_NAME_MAX + 1];
    size_t name_len;
};

static size_t stream_head(uint8_t *head, char kind, int64_t seq, const char *name, size_t name_len)
{
    head[0] = (uint8_t)kind;
    uint64_t u = (uint64_t)seq;
    for (int i = 0; i < 8; i++) {
        head[1 + i] = (uint8_t)(u >> (8 * i));
    }
    memcpy(head + 9, name, name_len);
    return 9 + name_len;
}

stream_pub_t *stream_pub_new(void *zctx, const char *endpoint, const char *topic,
                             const char *stream_name)
{
    if (strlen(stream_name) > STREAM_NAME_MAX) {
        log_error("msg=\"stream name too long\" stream=%s", stream_name);
        return NULL;
    }
    void *sock = zmq_socket(zctx, ZMQ_PUB);
    int hwm = 200000, linger = 0;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(sock, endpoint) != 0) {
        log_error("msg=\"cannot bind stream publisher\" endpoint=%s error=\"%s\"", endpoint,
                  zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return NULL;
    }
    stream_pub_t *p = xcalloc(1, sizeof *p);
    p->sock = sock;
    p->topic = xstrdup(topic);
    p->name_len = strlen(stream_name);
    memcpy(p->name, stream_name, p->name_len);
    return p;
}

void stream_pub_destroy(stream_pub_t **pp)
{
    if (!pp || !*pp) {
        return;
    }
    zmq_close((*pp)->sock);
    free((*pp)->topic);
    free(*pp);
    *pp = NULL;
}

static void stream_pub_frames(stream_pub_t *p, char kind, int64_t seq, const void *payload,
                              size_t len)
{
    uint8_t head[STREAM_HEAD_MAX];
    size_t hl = stream_head(head, kind, seq, p->name, p->name_len);
    /* ZMQ_DONTWAIT: a PUB socket never blocks, it drops at the HWM; a
     * consumer that misses rows reads them back from PostgreSQL. */
    zmq_send(p->sock, p->topic, strlen(p->topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(p->sock, head, hl, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(p->sock, payload, len, ZMQ_DONTWAIT);
}

void stream_pub_send(stream_pub_t *p, int64_t seq, const void *payload, size_t len)
{
    stream_pub_frames(p, STREAM_KIND_DATA, seq, payload, len);
}

void stream_pub_heartbeat(stream_pub_t *p, int64_t last_seq)
{
    stream_pub_frames(p, STREAM_KIND_HEARTBEAT, last_seq, "", 0);
}

/* ---- consumer ---- */

typedef struct {
    char name[STREAM_NAME_MAX + 1];
    int64_t last_seq;
} stream_offset_t;

struct stream_consumer {
    void *sock;
    stream_fetch_fn fetch;
    void *fetch_arg;
    stream_apply_fn apply;
    void *arg;
    stream_offset_t *offsets;
    size_t noffsets, offsets_cap;
    stream_consumer_stats_t stats;
};

stream_consumer_t *stream_consumer_new(void *zctx, const char *endpoints, const char *topic,
                                       stream_fetch_fn fetch, void *fetch_arg,
                                       stream_apply_fn apply, void *apply_arg)
{
    void *sock = zmq_socket(zctx, ZMQ_SUB);
    int hwm = 200000, linger = 0;
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_SUBSCRIBE, topic, strlen(topic));
    char *list = xstrdup(endpoints);
    char *save = NULL;
    for (char *ep = strtok_r(list, ",", &save); ep; ep = strtok_r(NULL, ",", &save)) {
        if (zmq_connect(sock, ep) != 0) {
            log_error("msg=\"cannot connect stream consumer\" endpoint=%s error=\"%s\"", ep,
                      zmq_strerror(zmq_errno()));
            free(list);
            zmq_close(sock);
            return NULL;
        }
    }
    free(list);
    stream_consumer_t *c = xcalloc(1, sizeof *c);
    c->sock = sock;
    c->fetch = fetch;
    c->fetch_arg = fetch_arg;
    c->apply = apply;
    c->arg = apply_arg;
    return c;
}

void stream_consumer_destroy(stream_consumer_t **cp)
{
    if (!cp || !*cp) {
        return;
    }
    zmq_close((*cp)->sock);
    free((*cp)->offsets);
    free(*cp);
    *cp = NULL;
}

static stream_offset_t *stream_offset_find(const stream_consumer_t *c, const char *stream,
                                           size_t len)
{
    for (size_t i = 0; i < c->noffsets; i++) {
        if (strlen(c->offsets[i].name) == len && memcmp(c->offsets[i].name, stream, len) == 0) {
            return &c->offsets[i];
        }
    }
    return NULL;
}

static stream_offset_t *stream_offset_get(stream_consumer_t *c, const char *stream, size_t len)
{
    stream_offset_t *o = stream_offset_find(c, stream, len);
    if (o) {
        return o;
    }
    if (c->noffsets == c->offsets_cap) {
        c->offsets_cap = c->offsets_cap ? c->offsets_cap * 2 : 8;
        c->offsets = xrealloc(c->offsets, c->offsets_cap * sizeof *c->offsets);
    }
    o = &c->offsets[c->noffsets++];
    memcpy(o->name, stream, len);
    o->name[len] = '\0';
    o->last_seq = 0;
    return o;
}

void stream_consumer_set_offset(stream_consumer_t *c, const char *stream, int64_t last_seq)
{
    stream_offset_get(c, stream, strlen(stream))->last_seq = last_seq;
}

int64_t stream_consumer_offset(const stream_consumer_t *c, const char *stream)
{
    const stream_offset_t *o = stream_offset_find(c, stream, strlen(stream));
    return o ? o->last_seq : 0;
}

/* The fetch callback delivers through this so offsets advance in one place. */
typedef struct {
    stream_consumer_t *c;
    stream_offset_t *o;
} stream_fetch_ctx_t;

static int stream_apply_fetched(void *arg, const char *stream, int64_t seq, const uint8_t *payload,
                                size_t len)
{
    stream_fetch_ctx_t *fc = arg;
    if (seq != fc->o->last_seq + 1) {
        /* The store must hand rows over contiguously; anything else is a bug
         * in the fetch callback or a hole in the table. */
        log_error("msg=\"stream store out of order\" stream=%s expected=%lld got=%lld", stream,
                  (long long)fc->o->last_seq + 1, (long long)seq);
        return -1;
    }
    if (fc->c->apply(fc->c->arg, stream, seq, payload, len) < 0) {
        return -1;
    }
    fc->o->last_seq = seq;
    fc->c->stats.applied_fetched++;
    return 0;
}

static int stream_fill(stream_consumer_t *c, stream_offset_t *o, int64_t upto)
{
    stream_fetch_ctx_t fc = {c, o};
    int64_t before = o->last_seq;
    int64_t got = c->fetch(c->fetch_arg, o->name, o->last_seq, upto, stream_apply_fetched, &fc);
    if (got < 0) {
        return -1;
    }
    if (upto != INT64_MAX && o->last_seq < upto) {
        log_warn("msg=\"stream gap not yet in store\" stream=%s have=%lld want=%lld", o->name,
                 (long long)o->last_seq, (long long)upto);
        return -1;
    }
    if (o->last_seq > before) {
        log_debug("msg=\"stream caught up\" stream=%s from=%lld to=%lld", o->name,
                  (long long)before, (long long)o->last_seq);
    }
    return 0;
}

int stream_consumer_catch_up(stream_consumer_t *c, const char *stream)
{
    return stream_fill(c, stream_offset_get(c, stream, strlen(stream)), INT64_MAX);
}

/* Reads one whole message; returns 1 when one was handled, 0 when none was
 * waiting, -1 on an apply or fetch error. */
static int stream_consumer_one(stream_consumer_t *c, int *applied)
{
    zmq_msg_t topic, head, payload;
    zmq_msg_init(&topic);
    if (zmq_msg_recv(&topic, c->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&topic);
        return 0;
    }
    zmq_msg_init(&head);
    zmq_msg_init(&payload);
    int rc = 1;
    int more = zmq_msg_more(&topic);
    if (!more || zmq_msg_recv(&head, c->sock, 0) < 0 || !zmq_msg_more(&head) ||
        zmq_msg_recv(&payload, c->sock, 0) < 0) {
        goto done; /* malformed: ignore, the heartbeat will reveal a gap */
    }
    const uint8_t *h = zmq_msg_data(&head);
    size_t hl = zmq_msg_size(&head);
    if (hl < 10 || hl > STREAM_HEAD_MAX) {
        goto done;
    }
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) {
        u |= (uint64_t)h[1 + i] << (8 * i);
    }
    int64_t seq = (int64_t)u;
    stream_offset_t *o = stream_offset_get(c, (const char *)h + 9, hl - 9);
    if (h[0] == STREAM_KIND_HEARTBEAT) {
        c->stats.heartbeats++;
        if (seq > o->last_seq) {
            c->stats.gaps++;
            uint64_t before = c->stats.applied_fetched;
            if (stream_fill(c, o, seq) < 0) {
                rc = -1;
            }
            *applied += (int)(c->stats.applied_fetched - before);
        }
        goto done;
    }
    if (seq <= o->last_seq) {
        c->stats.duplicates++;
        goto done;
    }
    if (seq > o->last_seq + 1) {
        c->stats.gaps++;
        uint64_t before = c->stats.applied_fetched;
        if (stream_fill(c, o, seq - 1) < 0) {
            rc = -1;
            goto done;
        }
        *applied += (int)(c->stats.applied_fetched - before);
    }
    if (c->apply(c->arg, o->name, seq, zmq_msg_data(&payload), zmq_msg_size(&payload)) < 0) {
        rc = -1;
        goto done;
    }
    o->last_seq = seq;
    c->stats.applied_live++;
    (*applied)++;
done:
    zmq_msg_close(&topic);
    zmq_msg_close(&head);
    zmq_msg_close(&payload);
    return rc;
}

int stream_consumer_poll(stream_consumer_t *c, int timeout_ms)
{
    zmq_pollitem_t item = {c->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0) {
        return 0;
    }
    int applied = 0;
    /* Bounded so one busy stream cannot starve the caller's other work. */
    for (int i = 0; i < 10000; i++) {
        int rc = stream_consumer_one(c, &applied);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            break;
        }
    }
    return applied;
}

void stream_consumer_stats(const stream_consumer_t *c, stream_consumer_stats_t *out)
{
    *out = c->stats;
}

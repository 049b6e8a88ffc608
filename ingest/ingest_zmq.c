/*
 * ingest_zmq - ROUTER intake thread. See ingest_zmq.h.
 *
 * The committer answers from its own thread, but a ZeroMQ socket belongs to
 * one thread: done() appends the answer to a mailbox and wakes this thread
 * through an eventfd, which zmq_poll watches beside the socket.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <zmq.h>

#include "ingest_zmq.h"
#include "log.h"
#include "xalloc.h"

#define INGEST_ZMQ_MAX_ENVELOPE 8

/* The routing frames of one request (identity, and REQ's empty delimiter). */
typedef struct {
    size_t nframes;
    size_t len[INGEST_ZMQ_MAX_ENVELOPE];
    uint8_t *data[INGEST_ZMQ_MAX_ENVELOPE];
} ingest_zmq_envelope_t;

typedef struct ingest_zmq_reply {
    struct ingest_zmq_reply *next;
    ingest_zmq_envelope_t env;
    char *body;
} ingest_zmq_reply_t;

struct ingest_zmq {
    ingest_t *in;
    void *sock;
    int wake_fd;
    pthread_t thread;
    atomic_bool stop;
    atomic_long in_flight;
    pthread_mutex_t lock;
    ingest_zmq_reply_t *mailbox; /* LIFO; order between clients does not matter */
    intake_req_t *held;          /* refused with FULL: retried before reading more */
};

typedef struct {
    ingest_zmq_t *z;
    ingest_zmq_envelope_t env;
    char *reply;
} ingest_zmq_pending_t;

static void ingest_zmq_envelope_free(ingest_zmq_envelope_t *env)
{
    for (size_t i = 0; i < env->nframes; i++) {
        free(env->data[i]);
    }
    env->nframes = 0;
}

static void ingest_zmq_send(ingest_zmq_t *z, const ingest_zmq_envelope_t *env, const char *body)
{
    for (size_t i = 0; i < env->nframes; i++) {
        zmq_send(z->sock, env->data[i], env->len[i], ZMQ_SNDMORE);
    }
    /* A ROUTER drops replies to peers that are gone; that is the client's
     * loss of the answer, not of the events (they are committed). */
    zmq_send(z->sock, body, strlen(body), 0);
}

static void ingest_zmq_post(ingest_zmq_t *z, ingest_zmq_envelope_t *env, char *body)
{
    ingest_zmq_reply_t *r = xcalloc(1, sizeof *r);
    r->env = *env; /* takes the frames */
    env->nframes = 0;
    r->body = body;
    pthread_mutex_lock(&z->lock);
    r->next = z->mailbox;
    z->mailbox = r;
    pthread_mutex_unlock(&z->lock);
    uint64_t one = 1;
    if (write(z->wake_fd, &one, sizeof one) < 0) {
        log_warn("msg=\"eventfd write failed\"");
    }
}

static char *ingest_zmq_refusal(intake_status_t st)
{
    switch (st) {
    case INTAKE_FULL:
        return xstrdup("{\"accepted\":0,\"rejected\":[],\"error\":\"overloaded\",\"retry\":true}");
    case INTAKE_UNAVAILABLE:
        return xstrdup("{\"accepted\":0,\"rejected\":[],\"error\":\"storage unavailable\","
                       "\"retry\":true}");
    default:
        return xstrdup("{\"accepted\":0,\"rejected\":[],\"error\":\"the events could not be "
                       "stored; see the ingest log\",\"retry\":false}");
    }
}

static void ingest_zmq_done(intake_req_t *req, intake_status_t st, void *arg)
{
    ingest_zmq_pending_t *p = arg;
    char *body = p->reply;
    if (st != INTAKE_COMMITTED) {
        free(body);
        body = ingest_zmq_refusal(st);
    }
    ingest_zmq_post(p->z, &p->env, body);
    atomic_fetch_sub(&p->z->in_flight, 1);
    free(p);
    intake_req_destroy(&req);
}

static void ingest_zmq_flush_mailbox(ingest_zmq_t *z)
{
    uint64_t count;
    if (read(z->wake_fd, &count, sizeof count) < 0) {
        /* EAGAIN: nothing to read; the mailbox is checked anyway. */
    }
    pthread_mutex_lock(&z->lock);
    ingest_zmq_reply_t *r = z->mailbox;
    z->mailbox = NULL;
    pthread_mutex_unlock(&z->lock);
    while (r) {
        ingest_zmq_reply_t *next = r->next;
        ingest_zmq_send(z, &r->env, r->body);
        ingest_zmq_envelope_free(&r->env);
        free(r->body);
        free(r);
        r = next;
    }
}

/* Submits req; a full queue keeps it held (the thread stops reading). */
static void ingest_zmq_submit(ingest_zmq_t *z, intake_req_t *req)
{
    intake_status_t st = intake_submit(z->in->q, req);
    if (st == INTAKE_COMMITTED) {
        z->held = NULL;
        return;
    }
    if (st == INTAKE_FULL && !atomic_load(&z->stop)) {
        z->held = req;
        return;
    }
    z->held = NULL;
    ingest_zmq_done(req, st, req->done_arg);
}

static void ingest_zmq_receive(ingest_zmq_t *z)
{
    ingest_zmq_envelope_t env = {.nframes = 0};
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (;;) {
        if (zmq_msg_recv(&msg, z->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            ingest_zmq_envelope_free(&env);
            return;
        }
        if (!zmq_msg_more(&msg)) {
            break;
        }
        if (env.nframes < INGEST_ZMQ_MAX_ENVELOPE) {
            env.len[env.nframes] = zmq_msg_size(&msg);
            env.data[env.nframes] = xmalloc(env.len[env.nframes] + 1);
            memcpy(env.data[env.nframes], zmq_msg_data(&msg), env.len[env.nframes]);
            env.nframes++;
        }
    }
    ingest_t *in = z->in;
    const char *body = zmq_msg_data(&msg);
    size_t len = zmq_msg_size(&msg);
    decode_result_t r;
    decode_result_init(&r);
    if (len > in->s->limits.max_body_bytes) {
        char *text = xasprintf("{\"accepted\":0,\"rejected\":[{\"index\":-1,\"field\":\"body\","
                               "\"error\":\"larger than %zu bytes\"}]}",
                               in->s->limits.max_body_bytes);
        metric_inc(in->m_rejected[INTAKE_ZMQ][INGEST_REJECT_BODY]);
        ingest_zmq_send(z, &env, text);
        free(text);
        goto out;
    }
    decode_context_t ctx;
    ingest_decode_context(in, &ctx);
    decode_native(body, len, &in->s->limits, &ctx, &r);
    size_t n = r.nevents;
    ingest_count(in, INTAKE_ZMQ, EVENT_FORMAT_NATIVE, &r, n);
    if (n == 0) {
        char *text = ingest_reply_json(0, &r);
        ingest_zmq_send(z, &env, text);
        free(text);
        goto out;
    }
    ingest_zmq_pending_t *p = xcalloc(1, sizeof *p);
    p->z = z;
    p->env = env;
    env.nframes = 0;
    p->reply = ingest_reply_json(n, &r);
    event_t **events = decode_result_take_events(&r, &n);
    intake_req_t *req = intake_req_new(INTAKE_ZMQ, &events, n);
    if (in->s->ingest_keep_raw) {
        req->raw_body = xstrndup(body, len);
    }
    req->done = ingest_zmq_done;
    req->done_arg = p;
    atomic_fetch_add(&z->in_flight, 1);
    ingest_zmq_submit(z, req);
out:
    decode_result_clear(&r);
    ingest_zmq_envelope_free(&env);
    zmq_msg_close(&msg);
}

static void *ingest_zmq_main(void *arg)
{
    ingest_zmq_t *z = arg;
    for (;;) {
        bool stopping = atomic_load(&z->stop);
        if (stopping && z->held) {
            ingest_zmq_submit(z, z->held); /* answered UNAVAILABLE or taken */
        }
        if (stopping && atomic_load(&z->in_flight) == 0) {
            break;
        }
        zmq_pollitem_t items[2] = {{NULL, z->wake_fd, ZMQ_POLLIN, 0}, {z->sock, 0, ZMQ_POLLIN, 0}};
        /* While a request is held (queue full) or stopping, do not read the
         * socket: that is the pause. */
        int nitems = (z->held || stopping) ? 1 : 2;
        int rc = zmq_poll(items, nitems, z->held ? 5 : 100);
        if (rc < 0) {
            continue;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            ingest_zmq_flush_mailbox(z);
        }
        if (z->held) {
            ingest_zmq_submit(z, z->held);
            continue;
        }
        if (nitems == 2 && (items[1].revents & ZMQ_POLLIN)) {
            /* A bounded burst, so answers keep flowing under load. */
            for (int i = 0; i < 256 && !z->held; i++) {
                int events = 0;
                size_t sz = sizeof events;
                zmq_getsockopt(z->sock, ZMQ_EVENTS, &events, &sz);
                if (!(events & ZMQ_POLLIN)) {
                    break;
                }
                ingest_zmq_receive(z);
            }
        }
    }
    ingest_zmq_flush_mailbox(z);
    return NULL;
}

ingest_zmq_t *ingest_zmq_start(ingest_t *in, void *zctx)
{
    void *sock = zmq_socket(zctx, ZMQ_ROUTER);
    int linger = 1000, hwm = 10000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(sock, in->s->ingest_zmq_listen) != 0) {
        log_error("msg=\"cannot bind ZeroMQ intake\" endpoint=%s error=\"%s\"",
                  in->s->ingest_zmq_listen, zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return NULL;
    }
    ingest_zmq_t *z = xcalloc(1, sizeof *z);
    z->in = in;
    z->sock = sock;
    z->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    atomic_init(&z->stop, false);
    atomic_init(&z->in_flight, 0);
    pthread_mutex_init(&z->lock, NULL);
    if (pthread_create(&z->thread, NULL, ingest_zmq_main, z) != 0) {
        log_fatal("msg=\"cannot start ZeroMQ intake thread\"");
    }
    return z;
}

void ingest_zmq_stop(ingest_zmq_t **zp)
{
    if (!zp || !*zp) {
        return;
    }
    ingest_zmq_t *z = *zp;
    atomic_store(&z->stop, true);
    pthread_join(z->thread, NULL);
    zmq_close(z->sock);
    close(z->wake_fd);
    pthread_mutex_destroy(&z->lock);
    free(z);
    *zp = NULL;
}

/*
 * intake - the bounded request queue between intakes and the committer.
 * See intake.h. The committer side (intake_queue_new, intake_take, ...) is
 * declared in intake_queue.h and used only by ingest_commit.c.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "intake.h"
#include "intake_queue.h"
#include "xalloc.h"

struct intake_queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty; /* the committer waits here */
    pthread_cond_t room;     /* blocking submitters wait here */
    intake_req_t *head, *tail;
    size_t events;     /* events queued */
    size_t max_events; /* bound */
    bool db_down;
    bool stopping;
};

intake_req_t *intake_req_new(intake_kind_t kind, event_t ***events, size_t nevents)
{
    intake_req_t *req = xcalloc(1, sizeof *req);
    req->kind = kind;
    req->events = *events;
    req->nevents = nevents;
    *events = NULL;
    return req;
}

void intake_req_add_dead(intake_req_t *req, const char *origin, const char *reason,
                         const void *body, size_t body_len)
{
    req->dead = xrealloc(req->dead, (req->ndead + 1) * sizeof *req->dead);
    intake_dead_letter_t *d = &req->dead[req->ndead++];
    d->origin = xstrdup(origin);
    d->reason = xstrdup(reason);
    d->body = xmalloc(body_len + 1);
    memcpy(d->body, body, body_len);
    d->body[body_len] = '\0';
    d->body_len = body_len;
}

void intake_req_destroy(intake_req_t **reqp)
{
    if (!reqp || !*reqp) {
        return;
    }
    intake_req_t *req = *reqp;
    for (size_t i = 0; i < req->nevents; i++) {
        event_destroy(&req->events[i]);
    }
    free(req->events);
    for (size_t i = 0; i < req->ndead; i++) {
        free(req->dead[i].origin);
        free(req->dead[i].reason);
        free(req->dead[i].body);
    }
    free(req->dead);
    free(req->raw_body);
    free(req);
    *reqp = NULL;
}

static int64_t intake_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Counts a request against the bound: a request with only dead letters
 * still costs one slot so it cannot bypass backpressure. */
static size_t intake_cost(const intake_req_t *req)
{
    return req->nevents ? req->nevents : 1;
}

static void intake_push_locked(intake_queue_t *q, intake_req_t *req)
{
    req->next = NULL;
    req->enqueued_us = intake_now_us();
    if (q->tail) {
        q->tail->next = req;
    } else {
        q->head = req;
    }
    q->tail = req;
    q->events += intake_cost(req);
    pthread_cond_signal(&q->nonempty);
}

intake_status_t intake_submit(intake_queue_t *q, intake_req_t *req)
{
    pthread_mutex_lock(&q->lock);
    intake_status_t st = INTAKE_COMMITTED;
    if (q->stopping || q->db_down) {
        st = INTAKE_UNAVAILABLE;
    } else if (q->events > 0 && q->events + intake_cost(req) > q->max_events) {
        /* An empty queue always takes a request, even a huge one, so a
         * request larger than the bound is not refused forever. */
        st = INTAKE_FULL;
    } else {
        intake_push_locked(q, req);
    }
    pthread_mutex_unlock(&q->lock);
    return st;
}

/* Completion rendezvous for intake_submit_wait. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    intake_status_t status;
} intake_waiter_t;

static void intake_wait_done(intake_req_t *req, intake_status_t status, void *arg)
{
    (void)req;
    intake_waiter_t *w = arg;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    w->status = status;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

intake_status_t intake_submit_wait(intake_queue_t *q, intake_req_t *req)
{
    intake_waiter_t w = {.done = false};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    intake_done_fn saved_done = req->done;
    void *saved_arg = req->done_arg;
    req->done = intake_wait_done;
    req->done_arg = &w;

    intake_status_t st = INTAKE_COMMITTED;
    pthread_mutex_lock(&q->lock);
    while (!q->stopping && !q->db_down && q->events > 0 &&
           q->events + intake_cost(req) > q->max_events) {
        pthread_cond_wait(&q->room, &q->lock);
    }
    if (q->stopping || q->db_down) {
        st = INTAKE_UNAVAILABLE;
    } else {
        intake_push_locked(q, req);
    }
    pthread_mutex_unlock(&q->lock);

    if (st == INTAKE_COMMITTED) {
        pthread_mutex_lock(&w.lock);
        while (!w.done) {
            pthread_cond_wait(&w.cond, &w.lock);
        }
        st = w.status;
        pthread_mutex_unlock(&w.lock);
    }
    req->done = saved_done;
    req->done_arg = saved_arg;
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
    return st;
}

size_t intake_queue_depth(intake_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->events;
    pthread_mutex_unlock(&q->lock);
    return n;
}

bool intake_db_down(intake_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    bool down = q->db_down;
    pthread_mutex_unlock(&q->lock);
    return down;
}

bool intake_stopping(intake_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    bool s = q->stopping;
    pthread_mutex_unlock(&q->lock);
    return s;
}

/* ---- committer side ---- */

intake_queue_t *intake_queue_new(size_t max_events)
{
    intake_queue_t *q = xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->room, NULL);
    q->max_events = max_events;
    return q;
}

void intake_queue_destroy(intake_queue_t **qp)
{
    if (!qp || !*qp) {
        return;
    }
    intake_queue_t *q = *qp;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->nonempty);
    pthread_cond_destroy(&q->room);
    free(q);
    *qp = NULL;
}

intake_req_t *intake_take(intake_queue_t *q, size_t max_events, int64_t wait_us, int64_t linger_us,
                          size_t *nevents)
{
    pthread_mutex_lock(&q->lock);
    if (!q->head && wait_us > 0) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        int64_t ns = deadline.tv_nsec + (wait_us % 1000000) * 1000;
        deadline.tv_sec += (time_t)(wait_us / 1000000 + ns / 1000000000);
        deadline.tv_nsec = (long)(ns % 1000000000);
        while (!q->head && !q->stopping) {
            if (pthread_cond_timedwait(&q->nonempty, &q->lock, &deadline) != 0) {
                break;
            }
        }
    }
    /* Group commit: when the first requests are few, linger briefly so that
     * concurrent senders share one transaction. Under load the queue fills
     * while the previous commit runs and no lingering happens. */
    if (q->head && linger_us > 0 && q->events < max_events && !q->stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        int64_t ns = deadline.tv_nsec + linger_us * 1000;
        deadline.tv_sec += (time_t)(ns / 1000000000);
        deadline.tv_nsec = (long)(ns % 1000000000);
        while (q->events < max_events && !q->stopping) {
            if (pthread_cond_timedwait(&q->nonempty, &q->lock, &deadline) != 0) {
                break;
            }
        }
    }
    intake_req_t *first = q->head, *last = NULL;
    size_t taken = 0;
    for (intake_req_t *r = q->head; r; r = r->next) {
        if (taken > 0 && (taken + intake_cost(r) > max_events || r->isolated || first->isolated)) {
            break;
        }
        taken += intake_cost(r);
        last = r;
    }
    if (last) {
        q->head = last->next;
        if (!q->head) {
            q->tail = NULL;
        }
        last->next = NULL;
        q->events -= taken;
        pthread_cond_broadcast(&q->room);
    } else {
        first = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    *nevents = taken;
    return first;
}

void intake_requeue_isolated(intake_queue_t *q, intake_req_t *chain)
{
    /* Reverse into the front so the original order is kept. */
    intake_req_t *rev = NULL;
    while (chain) {
        intake_req_t *next = chain->next;
        chain->next = rev;
        rev = chain;
        chain = next;
    }
    pthread_mutex_lock(&q->lock);
    while (rev) {
        intake_req_t *next = rev->next;
        rev->isolated = true;
        rev->next = q->head;
        q->head = rev;
        if (!q->tail) {
            q->tail = rev;
        }
        q->events += intake_cost(rev);
        rev = next;
    }
    pthread_cond_broadcast(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
}

void intake_set_db_down(intake_queue_t *q, bool down)
{
    pthread_mutex_lock(&q->lock);
    q->db_down = down;
    pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->lock);
}

void intake_begin_stop(intake_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->room);
    pthread_cond_broadcast(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
}

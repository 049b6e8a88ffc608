/*
 * kafka_broker - a Kafka-protocol broker for tests and the quickstart, made
 * from librdkafka's mock cluster (rdkafka_mock.h).
 *
 *     kafka_broker [--brokers N] [--replication N] [--topic NAME[:PARTITIONS]]...
 *                  [--control PATH|-] [--debug CONTEXTS]
 *     kafka_broker --control PATH --send "COMMAND"
 *
 * It starts N mock brokers listening on 127.0.0.1 (ephemeral ports), creates
 * the topics, prints exactly one line "bootstrap=HOST:PORT,..." on stdout
 * when ready, and serves until SIGTERM or SIGINT, then exits 0. kcat and any
 * Kafka client (alertdesk-ingest too) reach it over TCP.
 *
 * Fault injection goes through a control channel, one command per line, each
 * answered by one line "ok COMMAND" or "error COMMAND: reason":
 *   - --control PATH where PATH is not a FIFO: a unix stream socket is
 *     created there; the reply goes back on the connection. `--send` is the
 *     matching client (exit 0 on "ok"), for shell scripts without socat.
 *   - --control PATH where PATH is an existing FIFO: commands are read from
 *     it (echo "down 2" > PATH) and replies go to stdout.
 *   - --control -: commands on stdin, replies on stdout.
 * The commands are listed in kafka_broker_usage() below.
 *
 * What it does not do: persist anything (state dies with the process), pick
 * ports, or elect leaders when a broker goes down (the mock never does; use
 * the `leader` command to move partitions by hand).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "log.h"
#include "xalloc.h"

#define KAFKA_BROKER_MAX_BROKERS 32
#define KAFKA_BROKER_MAX_CLIENTS 16
#define KAFKA_BROKER_LINE_MAX    1024

typedef struct {
    char *name;
    int partitions;
} kafka_broker_topic_t;

typedef struct {
    int nbrokers;
    int replication; /* 0 = min(brokers, 3) */
    kafka_broker_topic_t *topics;
    size_t ntopics;
    const char *control; /* NULL, "-" or a path */
    const char *send;    /* client mode: the command to send */
    const char *debug;   /* librdkafka debug contexts */
} kafka_broker_opts_t;

typedef struct {
    rd_kafka_t *rk; /* owns the mock cluster's threads */
    rd_kafka_mock_cluster_t *mcluster;
    int nbrokers;
    int replication;
} kafka_broker_t;

/* One line-oriented input: stdin, the FIFO or a socket connection. */
typedef struct {
    int fd;
    int reply_fd; /* where answers go: the connection itself, or stdout */
    bool owned;   /* close fd when done */
    char buf[KAFKA_BROKER_LINE_MAX];
    size_t len;
} kafka_broker_conn_t;

static int kafka_broker_sigpipe[2] = {-1, -1};

/* Kafka protocol request types the mock answers, by name. */
static const struct {
    const char *name;
    int16_t key;
} kafka_broker_apikeys[] = {
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"DescribeGroups", 15},
    {"ListGroups", 16},
    {"SaslHandshake", 17},
    {"ApiVersions", 18},
    {"CreateTopics", 19},
    {"DeleteTopics", 20},
    {"InitProducerId", 22},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

/* kafka_broker_usage - the --help text, which is also the command reference */
static void kafka_broker_usage(FILE *out)
{
    fputs("usage: kafka_broker [--brokers N] [--replication N] [--topic NAME[:PARTITIONS]]...\n"
          "                    [--control PATH|-] [--debug CONTEXTS]\n"
          "       kafka_broker --control PATH --send \"COMMAND\"\n"
          "\n"
          "A Kafka-protocol broker made of librdkafka's mock cluster. Prints one line\n"
          "\"bootstrap=HOST:PORT,...\" on stdout when ready; runs until SIGTERM/SIGINT.\n"
          "\n"
          "  --brokers N        number of brokers, ids 1..N (default 1)\n"
          "  --replication N    replication factor of created topics (default min(N, 3))\n"
          "  --topic NAME[:P]   create topic NAME with P partitions (default 1); repeatable.\n"
          "                     Other topics are auto-created on first use (4 partitions).\n"
          "  --control PATH     control channel: a unix socket created at PATH, or, when\n"
          "                     PATH is an existing FIFO, commands read from it with\n"
          "                     replies on stdout; \"-\" reads commands from stdin\n"
          "  --send COMMAND     client mode: send COMMAND to the socket at --control PATH,\n"
          "                     print the reply, exit 0 when it starts with \"ok\"\n"
          "  --debug CONTEXTS   librdkafka debug contexts (e.g. mock,protocol)\n"
          "  --help             this text\n"
          "\n"
          "Control commands (one per line; each answered \"ok ...\" or \"error ...: reason\"):\n"
          "  down BROKER             disconnect a broker and refuse connections (-1: all);\n"
          "                          partitions it leads stay unavailable (no election)\n"
          "  up BROKER               accept connections again (-1: all)\n"
          "  rtt BROKER MS           delay every response of a broker by MS ms\n"
          "  error APIKEY ERR COUNT  fail the next COUNT requests of APIKEY, on any broker,\n"
          "                          with ERR (APIKEY: Produce, Fetch, OffsetCommit, ... or\n"
          "                          a number; ERR: a Kafka error name such as\n"
          "                          NOT_LEADER_FOR_PARTITION, or a number; _TRANSPORT\n"
          "                          makes the broker disconnect the client)\n"
          "  error TOPIC APIKEY ERR COUNT\n"
          "                          refused: the mock has no per-topic request errors\n"
          "  broker_error BROKER APIKEY ERR COUNT [RTT_MS]\n"
          "                          as error, on one broker only, each answer delayed by\n"
          "                          RTT_MS (ERR NO_ERROR: only the delay)\n"
          "  topic_error TOPIC ERR   report ERR for TOPIC in Metadata (NO_ERROR clears)\n"
          "  clear APIKEY            drop pending cluster errors of APIKEY\n"
          "  topic NAME PARTITIONS   create a topic\n"
          "  leader TOPIC PARTITION BROKER\n"
          "                          move a partition's leadership\n"
          "  coordinator group|transaction KEY BROKER\n"
          "                          pin a group's or transactional id's coordinator\n"
          "  ping                    answers \"ok ping\"\n",
          out);
}

/* kafka_broker_on_signal - wake the main loop; only async-signal-safe calls */
static void kafka_broker_on_signal(int sig)
{
    int saved = errno;
    unsigned char c = (unsigned char)sig;
    ssize_t n = write(kafka_broker_sigpipe[1], &c, 1);
    (void)n;
    errno = saved;
}

/* kafka_broker_on_rdkafka_log - librdkafka's log lines as key=value records */
static void kafka_broker_on_rdkafka_log(const rd_kafka_t *rk, int level, const char *fac,
                                        const char *buf)
{
    char qbuf[1024];
    (void)rk;
    log_level_t lvl = level <= 3   ? LOG_ERROR
                      : level <= 4 ? LOG_WARN
                      : level <= 6 ? LOG_INFO
                                   : LOG_DEBUG;
    log_msg(lvl, "src=rdkafka fac=%s msg=%s", fac, log_q(buf, qbuf, sizeof qbuf));
}

static int kafka_broker_parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int kafka_broker_parse_apikey(const char *s, int16_t *out)
{
    long v;
    if (kafka_broker_parse_int(s, 0, INT16_MAX, &v) == 0) {
        *out = (int16_t)v;
        return 0;
    }
    for (size_t i = 0; i < sizeof kafka_broker_apikeys / sizeof kafka_broker_apikeys[0]; i++) {
        if (strcasecmp(s, kafka_broker_apikeys[i].name) == 0) {
            *out = kafka_broker_apikeys[i].key;
            return 0;
        }
    }
    return -1;
}

/* Accepts a number or a name from rd_kafka_get_err_descs(), with or without
 * the RD_KAFKA_RESP_ERR_ prefix. */
static int kafka_broker_parse_err(const char *s, rd_kafka_resp_err_t *out)
{
    long v;
    if (kafka_broker_parse_int(s, INT16_MIN, INT16_MAX, &v) == 0) {
        *out = (rd_kafka_resp_err_t)v;
        return 0;
    }
    if (strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0) {
        s += 18;
    }
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++) {
        if (descs[i].name && strcasecmp(s, descs[i].name) == 0) {
            *out = descs[i].code;
            return 0;
        }
    }
    return -1;
}

static int kafka_broker_parse_topic(const char *arg, kafka_broker_topic_t *t)
{
    const char *colon = strrchr(arg, ':');
    long p = 1;
    if (colon) {
        if (kafka_broker_parse_int(colon + 1, 1, 100000, &p) != 0) {
            return -1;
        }
    }
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    if (len == 0) {
        return -1;
    }
    t->name = xstrndup(arg, len);
    t->partitions = (int)p;
    return 0;
}

/* Splits line in place on blanks; returns the number of words (at most max). */
static int kafka_broker_split(char *line, char **argv, int max)
{
    int argc = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        if (argc == max) {
            return max + 1;
        }
        argv[argc++] = w;
    }
    return argc;
}

/* Formats the outcome of a mock call into reply; 0 when err is NO_ERROR. */
static int kafka_broker_result(rd_kafka_resp_err_t err, char *reply, size_t replylen)
{
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(reply, replylen, "%s", rd_kafka_err2name(err));
        return -1;
    }
    return 0;
}

/*
 * kafka_broker_exec - run one control command. Returns 0, or -1 with the
 * reason in reply. line is modified.
 */
static int kafka_broker_exec(kafka_broker_t *kb, char *line, char *reply, size_t replylen)
{
    char *argv[8];
    int argc = kafka_broker_split(line, argv, 7);
    long id, n, part;
    int16_t apikey;
    rd_kafka_resp_err_t err;

    reply[0] = '\0';
    if (argc == 0) {
        snprintf(reply, replylen, "empty command");
        return -1;
    }
    const char *cmd = argv[0];
    if (strcmp(cmd, "ping") == 0 && argc == 1) {
        return 0;
    }
    if ((strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) && argc == 2) {
        if (kafka_broker_parse_int(argv[1], -1, kb->nbrokers, &id) != 0 || id == 0) {
            snprintf(reply, replylen, "BROKER must be 1..%d or -1", kb->nbrokers);
            return -1;
        }
        err = cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(kb->mcluster, (int32_t)id)
                            : rd_kafka_mock_broker_set_up(kb->mcluster, (int32_t)id);
        return kafka_broker_result(err, reply, replylen);
    }
    if (strcmp(cmd, "rtt") == 0 && argc == 3) {
        if (kafka_broker_parse_int(argv[1], -1, kb->nbrokers, &id) != 0 || id == 0 ||
            kafka_broker_parse_int(argv[2], 0, 3600 * 1000, &n) != 0) {
            snprintf(reply, replylen, "usage: rtt BROKER MS");
            return -1;
        }
        err = rd_kafka_mock_broker_set_rtt(kb->mcluster, (int32_t)id, (int)n);
        return kafka_broker_result(err, reply, replylen);
    }
    if (strcmp(cmd, "error") == 0 && argc == 5) {
        snprintf(reply, replylen,
                 "per-topic request errors are not supported by the librdkafka mock; "
                 "use \"error APIKEY ERR COUNT\" or \"topic_error TOPIC ERR\"");
        return -1;
    }
    if (strcmp(cmd, "error") == 0 && argc == 4) {
        if (kafka_broker_parse_apikey(argv[1], &apikey) != 0 ||
            kafka_broker_parse_err(argv[2], &err) != 0 ||
            kafka_broker_parse_int(argv[3], 1, 100000, &n) != 0) {
            snprintf(reply, replylen, "usage: error APIKEY ERR COUNT");
            return -1;
        }
        rd_kafka_resp_err_t *errs = xmalloc((size_t)n * sizeof *errs);
        for (long i = 0; i < n; i++) {
            errs[i] = err;
        }
        rd_kafka_mock_push_request_errors_array(kb->mcluster, apikey, (size_t)n, errs);
        free(errs);
        return 0;
    }
    if (strcmp(cmd, "broker_error") == 0 && (argc == 5 || argc == 6)) {
        long rtt = 0;
        if (kafka_broker_parse_int(argv[1], 1, kb->nbrokers, &id) != 0 ||
            kafka_broker_parse_apikey(argv[2], &apikey) != 0 ||
            kafka_broker_parse_err(argv[3], &err) != 0 ||
            kafka_broker_parse_int(argv[4], 1, 100000, &n) != 0 ||
            (argc == 6 && kafka_broker_parse_int(argv[5], 0, 3600 * 1000, &rtt) != 0)) {
            snprintf(reply, replylen, "usage: broker_error BROKER APIKEY ERR COUNT [RTT_MS]");
            return -1;
        }
        /* The broker call is variadic only: push one (err, rtt) tuple at a time. */
        for (long i = 0; i < n; i++) {
            rd_kafka_resp_err_t e = rd_kafka_mock_broker_push_request_error_rtts(
                kb->mcluster, (int32_t)id, apikey, 1, err, (int)rtt);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return kafka_broker_result(e, reply, replylen);
            }
        }
        return 0;
    }
    if (strcmp(cmd, "topic_error") == 0 && argc == 3) {
        if (kafka_broker_parse_err(argv[2], &err) != 0) {
            snprintf(reply, replylen, "usage: topic_error TOPIC ERR");
            return -1;
        }
        rd_kafka_mock_topic_set_error(kb->mcluster, argv[1], err);
        return 0;
    }
    if (strcmp(cmd, "clear") == 0 && argc == 2) {
        if (kafka_broker_parse_apikey(argv[1], &apikey) != 0) {
            snprintf(reply, replylen, "usage: clear APIKEY");
            return -1;
        }
        rd_kafka_mock_clear_request_errors(kb->mcluster, apikey);
        return 0;
    }
    if (strcmp(cmd, "topic") == 0 && argc == 3) {
        if (kafka_broker_parse_int(argv[2], 1, 100000, &n) != 0) {
            snprintf(reply, replylen, "usage: topic NAME PARTITIONS");
            return -1;
        }
        err = rd_kafka_mock_topic_create(kb->mcluster, argv[1], (int)n, kb->replication);
        return kafka_broker_result(err, reply, replylen);
    }
    if (strcmp(cmd, "leader") == 0 && argc == 4) {
        if (kafka_broker_parse_int(argv[2], 0, INT32_MAX, &part) != 0 ||
            kafka_broker_parse_int(argv[3], 1, kb->nbrokers, &id) != 0) {
            snprintf(reply, replylen, "usage: leader TOPIC PARTITION BROKER");
            return -1;
        }
        err = rd_kafka_mock_partition_set_leader(kb->mcluster, argv[1], (int32_t)part, (int32_t)id);
        return kafka_broker_result(err, reply, replylen);
    }
    if (strcmp(cmd, "coordinator") == 0 && argc == 4) {
        if ((strcmp(argv[1], "group") != 0 && strcmp(argv[1], "transaction") != 0) ||
            kafka_broker_parse_int(argv[3], 1, kb->nbrokers, &id) != 0) {
            snprintf(reply, replylen, "usage: coordinator group|transaction KEY BROKER");
            return -1;
        }
        err = rd_kafka_mock_coordinator_set(kb->mcluster, argv[1], argv[2], (int32_t)id);
        return kafka_broker_result(err, reply, replylen);
    }
    snprintf(reply, replylen, "unknown command or wrong number of arguments (see --help)");
    return -1;
}

static void kafka_broker_write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; /* a client that went away gets no answer */
        }
        s += n;
        len -= (size_t)n;
    }
}

/* kafka_broker_answer - run one line and write "ok LINE" / "error LINE: why" */
static void kafka_broker_answer(kafka_broker_t *kb, kafka_broker_conn_t *c, const char *line)
{
    char copy[KAFKA_BROKER_LINE_MAX], reply[256], out[KAFKA_BROKER_LINE_MAX + 320], qbuf[256];
    snprintf(copy, sizeof copy, "%s", line);
    int rc = kafka_broker_exec(kb, copy, reply, sizeof reply);
    int n = rc == 0 ? snprintf(out, sizeof out, "ok %s\n", line)
                    : snprintf(out, sizeof out, "error %s: %s\n", line, reply);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof out) {
        n = (int)sizeof out - 1;
        out[n - 1] = '\n';
    }
    if (rc == 0) {
        log_info("event=control cmd=%s result=ok", log_q(line, qbuf, sizeof qbuf));
    } else {
        log_warn("event=control cmd=%s result=error", log_q(line, qbuf, sizeof qbuf));
    }
    if (c->reply_fd == STDOUT_FILENO) {
        fputs(out, stdout);
        fflush(stdout);
    } else {
        kafka_broker_write_all(c->reply_fd, out, (size_t)n);
    }
}

/*
 * kafka_broker_read - read what is available on c and answer every full
 * line. Returns -1 when the input is finished (EOF or error).
 */
static int kafka_broker_read(kafka_broker_t *kb, kafka_broker_conn_t *c)
{
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return 0;
    }
    if (n <= 0) {
        return -1;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    char *start = c->buf, *nl;
    while ((nl = strchr(start, '\n')) != NULL) {
        *nl = '\0';
        if (nl > start && nl[-1] == '\r') {
            nl[-1] = '\0';
        }
        if (*start != '\0' && *start != '#') {
            kafka_broker_answer(kb, c, start);
        }
        start = nl + 1;
    }
    c->len -= (size_t)(start - c->buf);
    memmove(c->buf, start, c->len);
    if (c->len == sizeof c->buf - 1) {
        kafka_broker_answer(kb, c, "(line too long)");
        c->len = 0;
    }
    return 0;
}

/* Creates the control socket at path (replacing a stale socket). Returns the
 * listening fd or -1. */
static int kafka_broker_listen(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    if (strlen(path) >= sizeof sa.sun_path) {
        log_error("event=control_failed path=%s error=\"path too long\"", path);
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("event=control_failed path=%s error=\"exists and is not a socket\"", path);
            return -1;
        }
        unlink(path);
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0) {
        log_error("event=control_failed path=%s error=\"%s\"", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

/* kafka_broker_send - client mode: one command, one reply */
static int kafka_broker_send(const char *path, const char *cmd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "kafka_broker: control path too long\n");
        return 2;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "kafka_broker: connect %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return 2;
    }
    kafka_broker_write_all(fd, cmd, strlen(cmd));
    kafka_broker_write_all(fd, "\n", 1);
    shutdown(fd, SHUT_WR);
    char reply[KAFKA_BROKER_LINE_MAX + 320];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof reply - 1 && (n = read(fd, reply + len, sizeof reply - 1 - len)) > 0) {
        len += (size_t)n;
        if (memchr(reply, '\n', len)) {
            break;
        }
    }
    close(fd);
    reply[len] = '\0';
    fputs(reply, stdout);
    return strncmp(reply, "ok ", 3) == 0 ? 0 : 1;
}

/*
 * kafka_broker_new - the mock cluster and its topics. Returns 0 or -1 (logged).
 */
static int kafka_broker_new(kafka_broker_t *kb, const kafka_broker_opts_t *o)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_broker_on_rdkafka_log);
    if (o->debug &&
        rd_kafka_conf_set(conf, "debug", o->debug, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        log_error("event=start_failed error=\"%s\"", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    /* rd_kafka_new() takes ownership of conf only on success. */
    kb->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!kb->rk) {
        log_error("event=start_failed error=\"%s\"", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    /* The cluster borrows rk: destroy the cluster before rk. */
    kb->mcluster = rd_kafka_mock_cluster_new(kb->rk, o->nbrokers);
    if (!kb->mcluster) {
        log_error("event=start_failed error=\"rd_kafka_mock_cluster_new failed\"");
        rd_kafka_destroy(kb->rk);
        kb->rk = NULL;
        return -1;
    }
    kb->nbrokers = o->nbrokers;
    kb->replication = o->replication > 0 ? o->replication : (o->nbrokers < 3 ? o->nbrokers : 3);
    for (size_t i = 0; i < o->ntopics; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
            kb->mcluster, o->topics[i].name, o->topics[i].partitions, kb->replication);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_error("event=topic_failed topic=%s error=%s", o->topics[i].name,
                      rd_kafka_err2name(err));
            return -1;
        }
        log_info("event=topic_created topic=%s partitions=%d replication=%d", o->topics[i].name,
                 o->topics[i].partitions, kb->replication);
    }
    return 0;
}

static void kafka_broker_destroy(kafka_broker_t *kb)
{
    if (kb->mcluster) {
        rd_kafka_mock_cluster_destroy(kb->mcluster);
        kb->mcluster = NULL;
    }
    if (kb->rk) {
        rd_kafka_destroy(kb->rk);
        kb->rk = NULL;
    }
}

/*
 * kafka_broker_serve - the main loop: signals, the control socket and its
 * connections, the FIFO or stdin. Returns when a signal arrives.
 */
static void kafka_broker_serve(kafka_broker_t *kb, int listen_fd, int input_fd)
{
    kafka_broker_conn_t *conns = xcalloc(KAFKA_BROKER_MAX_CLIENTS + 1, sizeof *conns);
    size_t nconns = 0;
    if (input_fd >= 0) {
        conns[nconns++] = (kafka_broker_conn_t){.fd = input_fd, .reply_fd = STDOUT_FILENO};
    }
    for (;;) {
        struct pollfd pfd[KAFKA_BROKER_MAX_CLIENTS + 3];
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){.fd = kafka_broker_sigpipe[0], .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
        for (size_t i = 0; i < nconns; i++) {
            pfd[n++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        }
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_error("event=poll_failed error=\"%s\"", strerror(errno));
            break;
        }
        if (pfd[0].revents) {
            unsigned char sig = 0;
            ssize_t r = read(kafka_broker_sigpipe[0], &sig, 1);
            (void)r;
            log_info("event=signal sig=%d", sig);
            break;
        }
        if (listen_fd >= 0 && (pfd[1].revents & POLLIN)) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0 && nconns < KAFKA_BROKER_MAX_CLIENTS + 1) {
                conns[nconns++] = (kafka_broker_conn_t){.fd = fd, .reply_fd = fd, .owned = true};
            } else if (fd >= 0) {
                kafka_broker_write_all(fd, "error too many control connections\n", 36);
                close(fd);
            }
        }
        /* Walk backwards so that removing entry i keeps pfd[2 + j] aligned for j < i. */
        for (size_t i = nconns; i-- > 0;) {
            if (!pfd[2 + i].revents) {
                continue;
            }
            if (kafka_broker_read(kb, &conns[i]) != 0) {
                if (conns[i].owned) {
                    close(conns[i].fd);
                } else {
                    log_info("event=control_input_closed");
                }
                conns[i] = conns[--nconns];
                pfd[2 + i] = pfd[2 + nconns];
            }
        }
    }
    for (size_t i = 0; i < nconns; i++) {
        if (conns[i].owned) {
            close(conns[i].fd);
        }
    }
    free(conns);
}

static int kafka_broker_parse_args(int argc, char **argv, kafka_broker_opts_t *o)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'}, {"replication", required_argument, NULL, 'r'},
        {"topic", required_argument, NULL, 't'},   {"control", required_argument, NULL, 'c'},
        {"send", required_argument, NULL, 's'},    {"debug", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    long v;
    int c;
    o->nbrokers = 1;
    while ((c = getopt_long(argc, argv, "b:r:t:c:s:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (kafka_broker_parse_int(optarg, 1, KAFKA_BROKER_MAX_BROKERS, &v) != 0) {
                fprintf(stderr, "kafka_broker: --brokers must be 1..%d\n",
                        KAFKA_BROKER_MAX_BROKERS);
                return -1;
            }
            o->nbrokers = (int)v;
            break;
        case 'r':
            if (kafka_broker_parse_int(optarg, 1, KAFKA_BROKER_MAX_BROKERS, &v) != 0) {
                fprintf(stderr, "kafka_broker: bad --replication\n");
                return -1;
            }
            o->replication = (int)v;
            break;
        case 't':
            o->topics = xrealloc(o->topics, (o->ntopics + 1) * sizeof *o->topics);
            if (kafka_broker_parse_topic(optarg, &o->topics[o->ntopics]) != 0) {
                fprintf(stderr, "kafka_broker: --topic wants NAME[:PARTITIONS], got %s\n", optarg);
                return -1;
            }
            o->ntopics++;
            break;
        case 'c':
            o->control = optarg;
            break;
        case 's':
            o->send = optarg;
            break;
        case 'd':
            o->debug = optarg;
            break;
        case 'h':
            kafka_broker_usage(stdout);
            exit(0);
        default:
            kafka_broker_usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "kafka_broker: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (o->replication > o->nbrokers) {
        fprintf(stderr, "kafka_broker: --replication %d > --brokers %d\n", o->replication,
                o->nbrokers);
        return -1;
    }
    if (o->send && (!o->control || strcmp(o->control, "-") == 0)) {
        fprintf(stderr, "kafka_broker: --send needs --control PATH (the socket)\n");
        return -1;
    }
    return 0;
}

/* Opens the control channel: sets *listen_fd (socket) or *input_fd (FIFO,
 * stdin). *created is true when a socket file was made (unlink on exit). */
static int kafka_broker_open_control(const char *control, int *listen_fd, int *input_fd,
                                     bool *created)
{
    struct stat st;
    *listen_fd = *input_fd = -1;
    *created = false;
    if (!control) {
        return 0;
    }
    if (strcmp(control, "-") == 0) {
        *input_fd = STDIN_FILENO;
        return 0;
    }
    if (stat(control, &st) == 0 && S_ISFIFO(st.st_mode)) {
        /* O_RDWR keeps a writer open ourselves, so the FIFO never reports EOF
         * between two `echo cmd > fifo`. */
        *input_fd = open(control, O_RDWR | O_CLOEXEC);
        if (*input_fd < 0) {
            log_error("event=control_failed path=%s error=\"%s\"", control, strerror(errno));
            return -1;
        }
        return 0;
    }
    *listen_fd = kafka_broker_listen(control);
    if (*listen_fd < 0) {
        return -1;
    }
    *created = true;
    return 0;
}

int main(int argc, char **argv)
{
    kafka_broker_opts_t o = {0};
    kafka_broker_t kb = {0};
    int listen_fd = -1, input_fd = -1, rc = 1;
    bool created = false;

    if (kafka_broker_parse_args(argc, argv, &o) != 0) {
        rc = 2;
        goto out;
    }
    if (o.send) {
        rc = kafka_broker_send(o.control, o.send);
        goto out;
    }
    log_init("kafka_broker", LOG_INFO);

    /* Signals: block them while librdkafka starts its threads (they inherit
     * the mask), so that only the main thread ever runs the handler. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pipe2(kafka_broker_sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        log_error("event=start_failed error=\"pipe: %s\"", strerror(errno));
        goto out;
    }
    struct sigaction sa = {.sa_handler = kafka_broker_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &set, &old);

    if (kafka_broker_open_control(o.control, &listen_fd, &input_fd, &created) != 0 ||
        kafka_broker_new(&kb, &o) != 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        goto out;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(kb.mcluster);
    log_info("event=ready brokers=%d bootstrap=%s control=%s", kb.nbrokers, bootstrap,
             o.control ? o.control : "none");
    printf("bootstrap=%s\n", bootstrap);
    fflush(stdout);

    kafka_broker_serve(&kb, listen_fd, input_fd);
    rc = 0;
    log_info("event=stopping");

out:
    kafka_broker_destroy(&kb);
    if (listen_fd >= 0) {
        close(listen_fd);
    }
    if (created) {
        unlink(o.control);
    }
    if (input_fd > STDIN_FILENO) {
        close(input_fd);
    }
    for (size_t i = 0; i < o.ntopics; i++) {
        free(o.topics[i].name);
    }
    free(o.topics);
    if (rc == 0 && !o.send) {
        log_info("event=stopped");
    }
    return rc;
}

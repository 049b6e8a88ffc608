/*
 * smtp_sink - a minimal SMTP server for mail tests: it accepts every mail
 * and appends it to a file.
 *
 *     smtp_sink --port N --out FILE [--tempfail ADDR]... [--reject ADDR]...
 *
 * It speaks EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP and QUIT on
 * 127.0.0.1:N, one thread per connection. RCPT TO a --tempfail address is
 * answered 451, a --reject address 550. Each accepted mail becomes one JSON
 * line in FILE: {"from", "rcpt": [...], "data": the message with the
 * dot-stuffing undone and CRLF kept}. It prints "port=N" on stdout when
 * listening and serves until a signal ends it (the default action: every
 * mail is already on disk).
 *
 * Not an MTA: no STARTTLS, no AUTH, no size limits beyond 1 MiB a mail,
 * no pipelining checks; enough to see what libcurl sends.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "xalloc.h"

#define SINK_MAX_ADDRS 16
#define SINK_MAX_MAIL  (1 << 20)
#define SINK_LINE_MAX  4096

static const char *tempfail[SINK_MAX_ADDRS], *reject[SINK_MAX_ADDRS];
static size_t ntempfail, nreject;
static FILE *outf;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    int fd;
    char buf[SINK_LINE_MAX];
    size_t len;
} sink_conn_t;

/* sink_line - reads one line (without CRLF) into line; -1 at EOF. */
static int sink_line(sink_conn_t *c, char *line, size_t max)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            size_t keep = n > 0 && c->buf[n - 1] == '\r' ? n - 1 : n;
            if (keep >= max) {
                keep = max - 1;
            }
            memcpy(line, c->buf, keep);
            line[keep] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return 0;
        }
        if (c->len == sizeof c->buf) {
            c->len = 0; /* an overlong line: drop it */
        }
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r <= 0) {
            return -1;
        }
        c->len += (size_t)r;
    }
}

static void sink_say(sink_conn_t *c, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(c->fd, s, n);
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

/* sink_addr - the address inside "<...>" after "FROM:" / "TO:". */
static char *sink_addr(const char *arg)
{
    const char *lt = strchr(arg, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (!lt || !gt) {
        return xstrdup(arg);
    }
    return xstrndup(lt + 1, (size_t)(gt - lt - 1));
}

static bool sink_listed(const char *addr, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(addr, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void sink_store(const char *from, json_t *rcpt, const char *data, size_t len)
{
    json_t *o = json_object();
    /* json_object_set_new steals; rcpt is the caller's, so incref it. */
    json_object_set_new(o, "from", json_string(from ? from : ""));
    json_object_set(o, "rcpt", rcpt);
    json_object_set_new(o, "data", json_stringn(data, len));
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    pthread_mutex_lock(&out_lock);
    fprintf(outf, "%s\n", line ? line : "{\"error\":\"not UTF-8\"}");
    fflush(outf);
    pthread_mutex_unlock(&out_lock);
    free(line);
}

static void *sink_serve(void *arg)
{
    sink_conn_t *c = arg;
    char line[SINK_LINE_MAX];
    char *from = NULL;
    json_t *rcpt = json_array();
    sink_say(c, "220 smtp_sink ESMTP\r\n");
    while (sink_line(c, line, sizeof line) == 0) {
        if (strncasecmp(line, "EHLO", 4) == 0) {
            sink_say(c, "250-smtp_sink\r\n250-8BITMIME\r\n250 SIZE 1048576\r\n");
        } else if (strncasecmp(line, "HELO", 4) == 0) {
            sink_say(c, "250 smtp_sink\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            free(from);
            from = sink_addr(line + 10);
            json_array_clear(rcpt);
            sink_say(c, "250 Ok\r\n");
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            char *to = sink_addr(line + 8);
            if (sink_listed(to, tempfail, ntempfail)) {
                sink_say(c, "451 4.3.0 try again later\r\n");
            } else if (sink_listed(to, reject, nreject)) {
                sink_say(c, "550 5.1.1 no such user\r\n");
            } else {
                json_array_append_new(rcpt, json_string(to)); /* steals */
                sink_say(c, "250 Ok\r\n");
            }
            free(to);
        } else if (strcasecmp(line, "DATA") == 0) {
            if (!from || json_array_size(rcpt) == 0) {
                sink_say(c, "503 need MAIL and RCPT first\r\n");
                continue;
            }
            sink_say(c, "354 end with <CRLF>.<CRLF>\r\n");
            size_t cap = 4096, len = 0;
            char *data = xmalloc(cap);
            bool ended = false;
            while (sink_line(c, line, sizeof line) == 0) {
                if (strcmp(line, ".") == 0) {
                    ended = true;
                    break;
                }
                const char *l = line[0] == '.' ? line + 1 : line; /* undo dot-stuffing */
                size_t n = strlen(l);
                if (len + n + 3 > cap) {
                    cap = (len + n + 3) * 2;
                    data = xrealloc(data, cap);
                }
                if (len + n + 2 <= SINK_MAX_MAIL) {
                    memcpy(data + len, l, n);
                    memcpy(data + len + n, "\r\n", 2);
                    len += n + 2;
                }
            }
            if (!ended) {
                free(data);
                break;
            }
            sink_store(from, rcpt, data, len);
            free(data);
            sink_say(c, "250 Ok: queued\r\n");
        } else if (strcasecmp(line, "RSET") == 0) {
            free(from);
            from = NULL;
            json_array_clear(rcpt);
            sink_say(c, "250 Ok\r\n");
        } else if (strcasecmp(line, "NOOP") == 0) {
            sink_say(c, "250 Ok\r\n");
        } else if (strcasecmp(line, "QUIT") == 0) {
            sink_say(c, "221 Bye\r\n");
            break;
        } else {
            sink_say(c, "502 command not implemented\r\n");
        }
    }
    free(from);
    json_decref(rcpt);
    close(c->fd);
    free(c);
    return NULL;
}

static void sink_usage(FILE *out)
{
    fprintf(out, "usage: smtp_sink --port N --out FILE [--tempfail ADDR]... [--reject ADDR]...\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},     {"out", required_argument, NULL, 'o'},
        {"tempfail", required_argument, NULL, 't'}, {"reject", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int port = 0, c;
    const char *out = NULL;
    while ((c = getopt_long(argc, argv, "p:o:t:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'o':
            out = optarg;
            break;
        case 't':
            if (ntempfail < SINK_MAX_ADDRS) {
                tempfail[ntempfail++] = optarg;
            }
            break;
        case 'r':
            if (nreject < SINK_MAX_ADDRS) {
                reject[nreject++] = optarg;
            }
            break;
        case 'h':
            sink_usage(stdout);
            return 0;
        default:
            sink_usage(stderr);
            return 2;
        }
    }
    if (!out) {
        sink_usage(stderr);
        return 2;
    }
    outf = fopen(out, "a");
    if (!outf) {
        perror(out);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t slen = sizeof sa;
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 64) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &slen) != 0) {
        perror("smtp_sink: listen");
        return 1;
    }
    printf("port=%u\n", (unsigned)ntohs(sa.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        sink_conn_t *conn = xcalloc(1, sizeof *conn);
        conn->fd = fd;
        pthread_t t;
        if (pthread_create(&t, NULL, sink_serve, conn) != 0) {
            close(fd);
            free(conn);
            continue;
        }
        pthread_detach(t);
    }
}

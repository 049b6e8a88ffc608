/*
 * ticketer_console - serves the NOC web console: the static files of
 * ticketer.console_dir at "/" (index.html for "/"), read from disk on each
 * request so a deploy needs no restart.
 *
 * Safe by construction: a path is served only when every segment is made of
 * [A-Za-z0-9._-] and does not start with "." (no "..", no hidden files, no
 * encoded tricks: the path is checked after decoding), the file is a
 * regular file (directories are never listed: 404) and its real path is
 * still under the real console directory (no symlink out). Only known
 * extensions are served, each with its own content type.
 *
 * Every answer carries the security headers: a Content-Security-Policy
 * allowing scripts, styles and connections only from this origin (no
 * inline scripts, no eval, no framing), X-Content-Type-Options: nosniff,
 * Referrer-Policy: no-referrer. Caching: an ETag from size and mtime;
 * If-None-Match gives 304; vendor/ files may be cached a day, the rest is
 * revalidated on each load ("no-cache") so a new console is picked up.
 *
 * Does not: render anything on the server, or serve /api (the API routes
 * are longer prefixes and win).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

#define CONSOLE_FILE_MAX (8 * 1024 * 1024)

static const struct {
    const char *ext, *type;
} console_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".webmanifest", "application/manifest+json"},
};

static const char *const console_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

/* console_path_ok - every segment of rel is a plain name. */
static bool console_path_ok(const char *rel)
{
    if (!*rel || strlen(rel) > 200) {
        return false;
    }
    const char *seg = rel;
    for (const char *p = rel;; p++) {
        if (*p == '/' || *p == '\0') {
            if (p == seg || *seg == '.') {
                return false;
            }
            if (!*p) {
                return true;
            }
            seg = p + 1;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-')) {
            return false;
        }
    }
}

static const char *console_type(const char *rel)
{
    const char *dot = strrchr(rel, '.');
    for (size_t i = 0; dot && i < sizeof console_types / sizeof *console_types; i++) {
        if (strcmp(dot, console_types[i].ext) == 0) {
            return console_types[i].type;
        }
    }
    return NULL;
}

static void console_headers(http_request_t *req)
{
    http_response_header(req, "Content-Security-Policy", console_csp);
    http_response_header(req, "X-Content-Type-Options", "nosniff");
    http_response_header(req, "Referrer-Policy", "no-referrer");
    http_response_header(req, "X-Frame-Options", "DENY");
    http_response_header(req, "Cross-Origin-Opener-Policy", "same-origin");
}

static void console_not_found(http_request_t *req)
{
    static const char body[] = "not found\n";
    console_headers(req);
    http_respond(req, 404, "text/plain; charset=utf-8", body, sizeof body - 1, 0);
}

/* console_handle - GET /... : one static file. */
static void console_handle(http_request_t *req, void *arg)
{
    const char *dir = arg;
    const char *rel = http_request_path_rest(req);
    if (!*rel) {
        rel = "index.html";
    }
    if (strncmp(http_request_path(req), "/api/", 5) == 0) {
        /* An API path no API route took: the API's own answer. */
        http_respond_json(req, 404, "{\"error\":\"no such endpoint\"}\n", 0);
        return;
    }
    const char *type = console_type(rel);
    if (!console_path_ok(rel) || !type) {
        console_not_found(req);
        return;
    }
    char *path = xasprintf("%s/%s", dir, rel);
    char real_dir[PATH_MAX], real_file[PATH_MAX];
    int fd = -1;
    char *body = NULL;
    struct stat st;
    if (!realpath(dir, real_dir) || !realpath(path, real_file) ||
        strncmp(real_file, real_dir, strlen(real_dir)) != 0 || real_file[strlen(real_dir)] != '/' ||
        (fd = open(real_file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0 ||
        !S_ISREG(st.st_mode) || st.st_size > CONSOLE_FILE_MAX) {
        if (fd >= 0) {
            close(fd);
        }
        free(path);
        console_not_found(req);
        return;
    }
    free(path);
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000ULL +
                 (unsigned long long)(st.st_mtim.tv_nsec / 1000000));
    console_headers(req);
    http_response_header(req, "ETag", etag);
    http_response_header(req, "Cache-Control",
                         strncmp(rel, "vendor/", 7) == 0 ? "public, max-age=86400" : "no-cache");
    const char *inm = http_request_header(req, "If-None-Match");
    if (inm && strcmp(inm, etag) == 0) {
        close(fd);
        http_respond(req, 304, type, "", 0, 0);
        return;
    }
    size_t len = (size_t)st.st_size, got = 0;
    body = xmalloc(len + 1);
    while (got < len) {
        ssize_t n = read(fd, body + got, len - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(body);
        static const char err[] = "cannot read the file\n";
        http_respond(req, 500, "text/plain; charset=utf-8", err, sizeof err - 1, 0);
        return;
    }
    http_respond(req, 200, type, body, len, 0);
    free(body);
}

int ticketer_console_route(const settings_t *s, http_route_t *route)
{
    if (!s->ticketer_console_dir || !*s->ticketer_console_dir) {
        return -1;
    }
    *route = (http_route_t){.method = "GET",
                            .path = "/*",
                            .handler = console_handle,
                            .arg = s->ticketer_console_dir,
                            .max_body = 0};
    return 0;
}

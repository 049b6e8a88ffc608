/*
 * notifier_page - small HTML pages with strict headers. See notifier_page.h.
 */
#include <string.h>

#include "notifier_page.h"

void notifier_html_escape(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    for (; *s && n + 64 < cap; s++) { /* room for the closing markup */
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            break;
        }
        if (rep) {
            size_t k = strlen(rep);
            memcpy(buf + n, rep, k);
            n += k;
        } else {
            buf[n++] = *s;
        }
    }
    buf[n] = '\0';
}

void notifier_page(http_request_t *req, int status, const char *heading, const char *text,
                   const char *form_html)
{
    char body[8192] = "";
    strcat(body, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<title>alertdesk</title></head><body><main><h1>");
    notifier_html_escape(body, sizeof body, heading);
    strcat(body, "</h1><p>");
    notifier_html_escape(body, sizeof body, text);
    strcat(body, "</p>");
    if (form_html && strlen(body) + strlen(form_html) + 64 < sizeof body) {
        strcat(body, form_html);
    }
    strcat(body, "</main></body></html>\n");
    http_response_header(req, "Content-Security-Policy",
                         "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
    http_response_header(req, "Cache-Control", "no-store");
    http_response_header(req, "Referrer-Policy", "no-referrer");
    http_respond(req, status, "text/html; charset=utf-8", body, strlen(body), 0);
}

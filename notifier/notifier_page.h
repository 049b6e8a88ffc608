/*
 * notifier_page - the small HTML pages people reach from a page or a mail
 * (acknowledge links, the satisfaction survey): a heading, one sentence and
 * maybe a form, no script, strict security headers. Every string that came
 * from data (a ticket's title comes from an alert: untrusted) is escaped.
 */
#ifndef ALERTDESK_NOTIFIER_PAGE_H
#define ALERTDESK_NOTIFIER_PAGE_H

#include <stddef.h>

#include "http_server.h"

/* Appends s to the NUL-terminated buf (capacity cap) with & < > " '
 * escaped; stops 64 bytes short of cap (room for closing markup). */
void notifier_html_escape(char *buf, size_t cap, const char *s);

/* Answers req with a page: heading and text (escaped), then form_html
 * (trusted markup written by us, or NULL). */
void notifier_page(http_request_t *req, int status, const char *heading, const char *text,
                   const char *form_html);

#endif

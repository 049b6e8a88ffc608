/*
 * cli_api - the one HTTP client of the ticketer's JSON API that the CLI's
 * API commands share (`ticket`, `report`): libcurl easy, bearer token,
 * JSON in and out, and how an error is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "xalloc.h"

typedef struct {
    char *data;
    size_t len;
} cli_api_buf_t;

static size_t cli_api_write(char *p, size_t size, size_t n, void *arg)
{
    cli_api_buf_t *b = arg;
    b->data = xrealloc(b->data, b->len + size * n + 1);
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

void cli_api_call(const char *api, const char *token, const char *method, const char *path,
                  const char *body, long *status, char **out)
{
    cli_api_buf_t b = {xstrdup(""), 0};
    CURL *curl = curl_easy_init();
    char *url = xasprintf("%s%s", api, path);
    char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    struct curl_slist *h = NULL;
    if (auth) {
        h = curl_slist_append(h, auth);
    }
    if (body) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, cli_api_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    *status = 0;
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    } else {
        free(b.data);
        b.data = xasprintf("{\"error\":\"cannot reach %s: %s\"}", api, curl_easy_strerror(rc));
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    free(auth);
    free(url);
    *out = b.data;
}

int cli_api_fail(const char *command, const char *what, long status, const char *body)
{
    json_t *o = json_loads(body, 0, NULL);
    const char *err = o ? json_string_value(json_object_get(o, "error")) : NULL;
    fprintf(stderr, "alertdesk %s %s: %s%s%ld)\n", command, what, err ? err : body,
            status ? " (HTTP " : " (", status);
    json_decref(o);
    return status == 0 || status >= 500 ? 3 : 1;
}

void cli_api_query_add(char **q, const char *name, const char *value)
{
    CURL *curl = curl_easy_init();
    char *esc = curl_easy_escape(curl, value, 0);
    char *next = xasprintf("%s%s%s=%s", *q, **q ? "&" : "", name, esc ? esc : "");
    curl_free(esc);
    curl_easy_cleanup(curl);
    free(*q);
    *q = next;
}

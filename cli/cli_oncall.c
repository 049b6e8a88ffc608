/*
 * cli_oncall - `alertdesk oncall who|show`: who is on call, read from the
 * people file (notifier.people, or --people FILE) with the notifier's own
 * loader and schedule arithmetic, so the answer is the one the daemon
 * pages by. Times are printed in the schedule's time zone.
 *
 *   who  --team T [--schedule S] [--at TIME]   the on-call user now (or at
 *                                              TIME, RFC 3339) and until when
 *   show --team T [--schedule S] [--at TIME] [--days N]
 *                                              the shifts of the next N days [7]
 *
 * Without --schedule the team's schedule: is used. Does not: touch the
 * database or the running notifier.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"
#include "decode_internal.h" /* decode_time_parse(): RFC 3339, as events read it */
#include "notify_people.h"
#include "oncall_schedule.h"

#define ONCALL_S INT64_C(1000000)

typedef struct {
    const char *team, *schedule, *at, *config, *people;
    long days;
} oncall_args_t;

static void cli_oncall_usage(FILE *out)
{
    fprintf(out, "Usage: alertdesk oncall who  --team T [--schedule S] [--at TIME] [--config F] "
                 "[--people F]\n"
                 "       alertdesk oncall show --team T [--schedule S] [--at TIME] [--days N] "
                 "[--config F] [--people F]\n"
                 "TIME is RFC 3339 (2026-12-24T18:00:00+01:00) [now]; N days 1..366 [7].\n"
                 "The people file is notifier.people of --config, or --people F.\n");
}

/* "2026-12-01 09:00 CET" in the schedule's zone. */
static const char *cli_oncall_time(const notify_schedule_t *s, int64_t us, char *buf, size_t len)
{
    struct tm tm;
    int64_t sec = us / ONCALL_S;
    if (us == INT64_MAX) {
        snprintf(buf, len, "(no change within 400 days)");
        return buf;
    }
    if (s->tz) {
        tz_local(s->tz, sec, &tm);
    } else {
        time_t tt = (time_t)sec;
        gmtime_r(&tt, &tm);
    }
    strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm);
    return buf;
}

static const char *cli_oncall_name(const notify_user_t *u, char *buf, size_t len)
{
    if (!u) {
        snprintf(buf, len, "(nobody)");
    } else if (strcmp(u->display_name, u->name) != 0) {
        snprintf(buf, len, "%s (%s)", u->name, u->display_name);
    } else {
        snprintf(buf, len, "%s", u->name);
    }
    return buf;
}

/* Loads the people file and picks the schedule. Returns 0, 1 or 2 (exit codes). */
static int cli_oncall_open(const oncall_args_t *a, notify_people_t **p, const notify_schedule_t **s)
{
    char err[1024];
    char *path = NULL;
    if (!a->team && !a->schedule) {
        cli_oncall_usage(stderr);
        return 2;
    }
    if (a->people) {
        path = strdup(a->people);
    } else {
        settings_t st;
        if (cli_load_settings(a->config, &st) < 0) {
            return 1;
        }
        path = strdup(st.notifier_people);
        settings_free(&st);
    }
    if (!path || !*path) {
        fprintf(stderr, "alertdesk oncall: notifier.people is not set (or give --people FILE)\n");
        free(path);
        return 1;
    }
    if (notify_people_load(path, p, err, sizeof err) != 0) {
        fprintf(stderr, "alertdesk oncall: %s\n", err);
        free(path);
        return 1;
    }
    free(path);
    const notify_team_t *team = a->team ? notify_people_team(*p, a->team) : NULL;
    if (a->team && !team) {
        fprintf(stderr, "alertdesk oncall: no team \"%s\" in %s\n", a->team, (*p)->path);
        return 1;
    }
    *s = a->schedule ? notify_people_schedule(*p, a->schedule) : team->schedule;
    if (!*s) {
        if (a->schedule) {
            fprintf(stderr, "alertdesk oncall: no schedule \"%s\" in %s\n", a->schedule,
                    (*p)->path);
        } else {
            fprintf(stderr, "alertdesk oncall: team \"%s\" has no schedule: (give --schedule S)\n",
                    team->name);
        }
        return 1;
    }
    return 0;
}

static int cli_oncall_print_shift(const oncall_shift_t *sh, void *arg)
{
    const notify_schedule_t *s = arg;
    char a[64], b[64], who[256];
    printf("%s  %s  %s%s\n", cli_oncall_time(s, sh->start_us, a, sizeof a),
           cli_oncall_time(s, sh->end_us, b, sizeof b), cli_oncall_name(sh->user, who, sizeof who),
           sh->is_override ? "  [override]" : "");
    return 0;
}

int cli_oncall(int argc, char **argv)
{
    static const struct option opts[] = {
        {"team", required_argument, NULL, 't'},   {"schedule", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'a'},     {"days", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'}, {"people", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    oncall_args_t a = {.days = 7};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_oncall_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "who") != 0 && strcmp(sub, "show") != 0) {
        fprintf(stderr, "alertdesk oncall: unknown subcommand \"%s\"\n", sub);
        cli_oncall_usage(stderr);
        return 2;
    }
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "t:s:a:d:c:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            a.team = optarg;
            break;
        case 's':
            a.schedule = optarg;
            break;
        case 'a':
            a.at = optarg;
            break;
        case 'd':
            a.days = strtol(optarg, &end, 10);
            if (*end || a.days < 1 || a.days > 366) {
                fprintf(stderr, "alertdesk oncall: --days takes 1 to 366\n");
                return 2;
            }
            break;
        case 'c':
            a.config = optarg;
            break;
        case 'p':
            a.people = optarg;
            break;
        case 'h':
            cli_oncall_usage(stdout);
            return 0;
        default:
            cli_oncall_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        cli_oncall_usage(stderr);
        return 2;
    }
    int64_t at;
    if (a.at) {
        if (decode_time_parse(a.at, strlen(a.at), 0, &at) != 0) {
            fprintf(stderr, "alertdesk oncall: --at \"%s\" is not an RFC 3339 time\n", a.at);
            return 2;
        }
    } else {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        at = (int64_t)tv.tv_sec * ONCALL_S + tv.tv_usec;
    }
    notify_people_t *p = NULL;
    const notify_schedule_t *s = NULL;
    int rc = cli_oncall_open(&a, &p, &s);
    if (rc != 0) {
        notify_people_destroy(&p);
        return rc;
    }
    char when[64], until_text[64], who[256];
    if (strcmp(sub, "who") == 0) {
        int64_t until;
        bool ovr;
        const notify_user_t *u = oncall_who(s, at, &until, &ovr);
        printf("%s (%s) at %s: %s%s, until %s\n", s->name, s->time_zone,
               cli_oncall_time(s, at, when, sizeof when), cli_oncall_name(u, who, sizeof who),
               ovr ? " [override]" : "", cli_oncall_time(s, until, until_text, sizeof until_text));
    } else {
        printf("%s (%s), %ld days from %s:\n", s->name, s->time_zone, a.days,
               cli_oncall_time(s, at, when, sizeof when));
        oncall_shifts(s, at, at + a.days * 86400 * ONCALL_S, cli_oncall_print_shift, (void *)s);
    }
    notify_people_destroy(&p);
    return 0;
}

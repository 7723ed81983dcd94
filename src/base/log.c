/*
 * One log sink for the whole library. The default writes "mnlp: warn: ..."
 * lines to stderr; programs embedding mnlp install their own.
 */
#include "base/base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {"debug", "info", "warn", "error", "none"};

static mnlp_log_fn sink;
static void *sink_user;
static int min_level = -1; /* -1: not yet read from MNLP_LOG */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

int mnlp_log_level_parse(const char *name)
{
    for (int i = 0; name && i < MN_COUNT(level_names); i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    if (name && strcmp(name, "warning") == 0)
        return MNLP_LOG_WARN;
    return -1;
}

static void read_env(void)
{
    int level = mnlp_log_level_parse(getenv("MNLP_LOG"));

    if (min_level < 0)
        min_level = level >= 0 ? level : MNLP_LOG_WARN;
}

void mnlp_log_set(mnlp_log_fn fn, void *user, mnlp_log_level level)
{
    sink = fn;
    sink_user = user;
    min_level = (int)level;
}

mnlp_log_level mnlp_log_level_get(void)
{
    pthread_once(&env_once, read_env);
    return (mnlp_log_level)min_level;
}

bool mn_log_enabled(mnlp_log_level level)
{
    return (int)level >= (int)mnlp_log_level_get() && level < MNLP_LOG_NONE;
}

void mn_log(mnlp_log_level level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    if (!mn_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (sink)
        sink(level, line, sink_user);
    else
        fprintf(stderr, "mnlp: %s: %s\n", level_names[level], line);
}

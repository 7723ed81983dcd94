/* base: status strings, error messages, logging, allocation, UTF-8, threads. */
#include "test.h"

#include "base/base.h"
#include "base/thread.h"
#include "base/utf8.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

static void strerror_names_every_status(void)
{
    for (int s = MNLP_OK; s >= MNLP_ERR_INTERNAL; s--)
        CHECK(strcmp(mnlp_strerror((mnlp_status)s), "unknown status") != 0);
    CHECK_STR(mnlp_strerror((mnlp_status)-1000), "unknown status");
}

static void error_prefix_builds_context(void)
{
    CHECK_INT(mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": bad", "w"), MNLP_ERR_FORMAT);
    CHECK_INT(mn_error_prefix(MNLP_ERR_FORMAT, "%s", "model.safetensors"), MNLP_ERR_FORMAT);
    CHECK_STR(mnlp_last_error(), "model.safetensors: tensor \"w\": bad");
}

static void *fail_in_thread(void *arg)
{
    mn_errorf(MNLP_ERR_IO, "other thread");
    snprintf(arg, 64, "%s", mnlp_last_error());
    return NULL;
}

static void error_message_is_per_thread(void)
{
    char seen[64] = "";
    pthread_t t;

    mn_errorf(MNLP_ERR_IO, "main thread");
    CHECK(pthread_create(&t, NULL, fail_in_thread, seen) == 0);
    pthread_join(t, NULL);
    CHECK_STR(seen, "other thread");
    CHECK_STR(mnlp_last_error(), "main thread");
}

static int log_calls;
static char log_last[256];

static void capture(mnlp_log_level level, const char *msg, void *user)
{
    (void)level;
    (void)user;
    log_calls++;
    snprintf(log_last, sizeof log_last, "%s", msg);
}

static void log_respects_level_and_sink(void)
{
    log_calls = 0;
    mnlp_log_set(capture, NULL, MNLP_LOG_INFO);
    mn_debug("hidden %d", 1);
    mn_info("loaded %d parameters", 260032);
    CHECK_INT(log_calls, 1);
    CHECK_STR(log_last, "loaded 260032 parameters");
    CHECK_INT(mnlp_log_level_get(), MNLP_LOG_INFO);
    mnlp_log_set(NULL, NULL, MNLP_LOG_ERROR);
}

static void log_level_names_parse(void)
{
    CHECK_INT(mnlp_log_level_parse("debug"), MNLP_LOG_DEBUG);
    CHECK_INT(mnlp_log_level_parse("warn"), MNLP_LOG_WARN);
    CHECK_INT(mnlp_log_level_parse("warning"), MNLP_LOG_WARN);
    CHECK_INT(mnlp_log_level_parse("none"), MNLP_LOG_NONE);
    CHECK_INT(mnlp_log_level_parse("loud"), -1);
    CHECK_INT(mnlp_log_level_parse(NULL), -1);
}

static void calloc_rejects_overflow(void)
{
    CHECK(mn_calloc(SIZE_MAX / 2, 4) == NULL);
    CHECK(mn_reallocn(NULL, SIZE_MAX / 8, 16) == NULL);
}

static void string_builder_formats(void)
{
    mn_sb sb = {0};
    char big[600];

    mn_sb_printf(&sb, "%d-%s", 42, "x");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mn_sb_printf(&sb, "%s", big);
    CHECK_INT(sb.len, 4 + 599);
    CHECK(strncmp(sb.data, "42-x", 4) == 0);
    CHECK(!sb.failed);
    mn_sb_free(&sb);
}

static void utf8_rejects_overlongs_surrogates_and_truncation(void)
{
    static const struct {
        const char *bytes;
        bool valid;
    } cases[] = {
        {"plain", true},         {"\xc3\xa9", true},       {"\xe2\x96\x81", true},
        {"\xf0\x9f\x98\x80", true}, {"\xc0\xaf", false},   {"\xe0\x80\xaf", false},
        {"\xed\xa0\x80", false}, {"\xf4\x90\x80\x80", false}, {"\xe2\x96", false},
        {"\x80", false},         {"\xff", false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t bad = 99;

        CHECK(mn_utf8_valid(cases[i].bytes, strlen(cases[i].bytes), &bad) == cases[i].valid);
        if (!cases[i].valid)
            CHECK_INT(bad, 0);
    }
}

static void utf8_encode_decode_round_trip(void)
{
    for (uint32_t cp = 0; cp <= 0x10ffff; cp += (cp < 0x800 ? 1 : 97)) {
        char buf[4];
        uint32_t back = 0;
        int n = mn_utf8_encode(cp, buf);

        if (cp >= 0xd800 && cp <= 0xdfff) {
            CHECK_INT(n, 0);
            continue;
        }
        CHECK(n > 0);
        CHECK_INT(mn_utf8_decode((const unsigned char *)buf, (size_t)n, &back), n);
        CHECK_INT(back, cp);
    }
}

typedef struct sum_job {
    atomic_long sum;
    atomic_int calls[1000];
} sum_job;

static void add_task(void *ctx, int task)
{
    sum_job *job = ctx;

    atomic_fetch_add(&job->sum, task);
    atomic_fetch_add(&job->calls[task], 1);
}

static void parallel_for_runs_each_task_once(void)
{
    static sum_job job;

    for (int threads = 1; threads <= 4; threads++) {
        memset(&job, 0, sizeof job);
        CHECK_OK(mnlp_set_num_threads(threads));
        mn_parallel_for(1000, add_task, &job);
        CHECK_INT(atomic_load(&job.sum), 999 * 1000 / 2);
        for (int i = 0; i < 1000; i++)
            CHECK_INT(atomic_load(&job.calls[i]), 1);
    }
    CHECK_INT(mnlp_num_threads(), 4);
    CHECK_ERR(mnlp_set_num_threads(0), MNLP_ERR_INVALID_ARGUMENT, "thread count 0");
}

static void nested_task(void *ctx, int task)
{
    (void)task;
    mn_parallel_for(10, add_task, ctx);
}

static void parallel_for_nested_runs_inline(void)
{
    static sum_job job;

    memset(&job, 0, sizeof job);
    CHECK_OK(mnlp_set_num_threads(3));
    mn_parallel_for(5, nested_task, &job);
    CHECK_INT(atomic_load(&job.sum), 5 * 45);
}

static void version_matches_header(void)
{
    CHECK_STR(mnlp_version(), MNLP_VERSION_STRING);
}

TEST_SUITE(base, T(strerror_names_every_status), T(error_prefix_builds_context),
           T(error_message_is_per_thread), T(log_respects_level_and_sink),
           T(log_level_names_parse), T(calloc_rejects_overflow), T(string_builder_formats),
           T(utf8_rejects_overlongs_surrogates_and_truncation),
           T(utf8_encode_decode_round_trip), T(parallel_for_runs_each_task_once),
           T(parallel_for_nested_runs_inline), T(version_matches_header));

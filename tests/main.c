/* Runs one suite (or all): `mnlp_tests SUITE [TEST]`. */
#include "test.h"

#include "base/files.h"
#include "base/json.h"
#include "base/thread.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

extern const test_suite suite_base, suite_json, suite_tensor, suite_safetensors,
    suite_checkpoint, suite_config, suite_hub, suite_validate, suite_normalizers,
    suite_pre_tokenizers, suite_tok_models, suite_decoders, suite_tokenizer, suite_nstr,
    suite_pretrained, suite_convert, suite_template, suite_fast_regex, suite_nn, suite_llama,
    suite_llama_family, suite_generate, suite_archs;

static const test_suite *const suites[] = {
    &suite_base, &suite_json, &suite_tensor, &suite_safetensors, &suite_checkpoint,
    &suite_config, &suite_hub, &suite_validate, &suite_normalizers, &suite_pre_tokenizers,
    &suite_tok_models, &suite_decoders, &suite_tokenizer, &suite_nstr, &suite_pretrained,
    &suite_convert, &suite_template, &suite_fast_regex, &suite_nn, &suite_llama,
    &suite_llama_family, &suite_generate, &suite_archs,
};

static int failures;
static const char *current;

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "  FAIL %s (%s:%d): ", current, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    failures++;
}

int test_failures(void)
{
    return failures;
}

/* ---- Leak accounting through mnlp's allocator hooks ---------------------- */

static long live_blocks;

static void *count_malloc(size_t size, void *user)
{
    void *p = malloc(size);

    (void)user;
    if (p)
        __atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
    return p;
}

static void *count_realloc(void *ptr, size_t size, void *user)
{
    (void)user;
    return realloc(ptr, size);
}

static void count_free(void *ptr, void *user)
{
    (void)user;
    if (ptr)
        __atomic_sub_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
    free(ptr);
}

/* ---- Temporary files ------------------------------------------------------ */

static char tmp_root[4096];
static int tmp_count;

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (d) {
        while ((e = readdir(d))) {
            char child[8192];

            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void cleanup(void)
{
    if (tmp_root[0])
        remove_tree(tmp_root);
}

const char *test_tmpdir(void)
{
    static char dir[4200];

    if (!tmp_root[0]) {
        const char *base = getenv("TMPDIR");

        snprintf(tmp_root, sizeof tmp_root, "%s/mnlp-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmp_root)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(cleanup);
    }
    snprintf(dir, sizeof dir, "%s/%d", tmp_root, ++tmp_count);
    mkdir(dir, 0755);
    return dir;
}

const char *test_write(const char *dir, const char *name, const void *data, size_t n)
{
    static char path[8192];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    return path;
}

const char *test_source_dir(void)
{
    const char *dir = getenv("MNLP_SOURCE_DIR");

    return dir ? dir : MNLP_SOURCE_DIR;
}

const char *test_tokenizer_fixtures(void)
{
    const char *dir = getenv("MNLP_TOKENIZER_FIXTURES");

    return dir ? dir : MNLP_TOKENIZER_FIXTURES;
}

int test_read_jsonl(const char *path, mn_json_doc **docs, int max)
{
    char *text = NULL, *line;
    size_t len;
    int n = 0;

    if (mn_read_file(path, 64u << 20, &text, &len) != MNLP_OK) {
        test_fail(__FILE__, __LINE__, "%s", mnlp_last_error());
        return 0;
    }
    line = text;
    while (line < text + len && n < max) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(text + len - line);

        if (ll && mn_json_parse(line, ll, NULL, &docs[n]) == MNLP_OK)
            n++;
        else if (ll)
            test_fail(__FILE__, __LINE__, "%s line %d: %s", path, n + 1, mnlp_last_error());
        line += ll + 1;
    }
    mn_free(text);
    return n;
}

uint64_t test_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float test_randf(uint64_t *state)
{
    return (float)((double)(test_rand(state) >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}

/* ---- Runner --------------------------------------------------------------- */

static int run_suite(const test_suite *s, const char *only)
{
    int before = failures, ran = 0;

    for (int i = 0; i < s->n_tests; i++) {
        int f0 = failures;
        long live0 = live_blocks;

        if (only && strcmp(only, s->tests[i].name) != 0)
            continue;
        current = s->tests[i].name;
        s->tests[i].fn();
        mn_threads_shutdown();
        if (live_blocks != live0)
            test_fail(__FILE__, __LINE__, "%ld allocations not freed",
                      live_blocks - live0);
        printf("%s %s.%s\n", failures == f0 ? "ok  " : "FAIL", s->name, s->tests[i].name);
        ran++;
    }
    if (ran == 0 && only) {
        fprintf(stderr, "no test %s in suite %s\n", only, s->name);
        return -1;
    }
    return failures - before;
}

int main(int argc, char **argv)
{
    mnlp_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    int total = 0, n_suites = (int)(sizeof suites / sizeof *suites), matched = 0;

    mnlp_set_allocator(&counting);
    mnlp_log_set(NULL, NULL, MNLP_LOG_ERROR);
    for (int i = 0; i < n_suites; i++) {
        if (argc > 1 && strcmp(argv[1], suites[i]->name) != 0)
            continue;
        matched++;
        if (run_suite(suites[i], argc > 2 ? argv[2] : NULL) < 0)
            return 2;
        total += suites[i]->n_tests;
    }
    if (!matched) {
        fprintf(stderr, "no suite %s\n", argv[1]);
        return 2;
    }
    printf("%d tests, %d failures\n", total, failures);
    return failures ? 1 : 0;
}

/*
 * The hand-written matchers of text/fast_regex.c against Oniguruma: for every
 * fast pattern, mn_regex_find must give exactly the runs the same pattern
 * compiled by mn_regex_new_onig gives, on the stress corpus, on every code
 * point in several contexts, and on random strings of tricky pieces.
 */
#include "test.h"

#include "base/json.h"
#include "base/utf8.h"
#include "text/fast_regex.h"
#include "text/tok.h"

#include <stdlib.h>

static const struct {
    const char *name, *pattern;
    mn_rx_kind kind;
} patterns[] = {
    {"gpt2", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
     MN_RX_GPT2},
    {"llama3",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
     " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     MN_RX_LLAMA3},
    {"qwen2",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
     " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     MN_RX_QWEN2},
    {"clip",
     "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|"
     "[^\\s\\p{L}\\p{N}]+",
     MN_RX_CLIP},
    {"spaces", "\\s+", MN_RX_SPACES},
    {"spaces2", " {2,}", MN_RX_SPACES2},
};

#define N_PATTERNS (sizeof patterns / sizeof *patterns)

/* Both compilations of every pattern, and run lists reused between texts. */
static mn_regex *fast_re[N_PATTERNS], *onig_re[N_PATTERNS];
static mn_matches fast_runs, onig_runs;
static int reported;

static void compile_all(void)
{
    for (size_t i = 0; i < N_PATTERNS; i++) {
        size_t len = strlen(patterns[i].pattern);

        CHECK_INT(mn_regex_new(patterns[i].pattern, len, &fast_re[i]), MNLP_OK);
        CHECK_INT(mn_regex_new_onig(patterns[i].pattern, len, &onig_re[i]), MNLP_OK);
    }
    reported = 0;
}

static void free_all(void)
{
    for (size_t i = 0; i < N_PATTERNS; i++) {
        mn_regex_free(fast_re[i]);
        mn_regex_free(onig_re[i]);
        fast_re[i] = onig_re[i] = NULL;
    }
    mn_matches_free(&fast_runs);
    mn_matches_free(&onig_runs);
}

/* The text with non-printable and non-ASCII bytes escaped, for a report. */
static const char *escaped(const char *s, size_t len)
{
    static char buf[512];
    size_t o = 0;

    for (size_t i = 0; i < len && o + 5 < sizeof buf; i++) {
        unsigned char c = (unsigned char)s[i];

        o += (size_t)snprintf(buf + o, sizeof buf - o, c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x",
                              c);
    }
    buf[o] = 0;
    return buf;
}

/* Both runs of pattern i over s agree; the first few differences are reported. */
static bool same_runs(size_t i, const char *s, size_t len)
{
    mn_matches *a = &fast_runs, *b = &onig_runs;
    bool same;

    a->n = b->n = 0;
    CHECK_INT(mn_regex_find(fast_re[i], s, len, a), MNLP_OK);
    CHECK_INT(mn_regex_find(onig_re[i], s, len, b), MNLP_OK);
    same = a->n == b->n;
    for (int k = 0; same && k < a->n; k++)
        same = a->items[k].start == b->items[k].start && a->items[k].end == b->items[k].end &&
               a->items[k].is_match == b->items[k].is_match;
    if (!same && reported++ < 10) {
        int k = 0;

        while (k < a->n && k < b->n && a->items[k].start == b->items[k].start &&
               a->items[k].end == b->items[k].end && a->items[k].is_match == b->items[k].is_match)
            k++;
        test_fail(__FILE__, __LINE__, "%s on \"%s\": run %d is [%zu,%zu) vs onig [%zu,%zu)",
                  patterns[i].name, escaped(s, len), k, k < a->n ? a->items[k].start : 0,
                  k < a->n ? a->items[k].end : 0, k < b->n ? b->items[k].start : 0,
                  k < b->n ? b->items[k].end : 0);
    }
    return same;
}

static void all_same(const char *s, size_t len)
{
    for (size_t i = 0; i < N_PATTERNS; i++)
        same_runs(i, s, len);
}

static void fixture_patterns_choose_their_matcher(void)
{
    for (size_t i = 0; i < N_PATTERNS; i++)
        CHECK_INT(mn_rx_lookup(patterns[i].pattern, strlen(patterns[i].pattern)),
                  patterns[i].kind);
    /* Equality is exact: a prefix or a variant stays with Oniguruma. */
    CHECK_INT(mn_rx_lookup("\\s+", 2), MN_RX_NONE);
    CHECK_INT(mn_rx_lookup("\\s*", 3), MN_RX_NONE);
    CHECK_INT(mn_rx_lookup(" {3,}", 5), MN_RX_NONE);
}

static void known_splits(void)
{
    static const char text[] = "I'm  here\n\n 123456 'S ok";
    mn_matches m = {0};
    mn_regex *re;
    /* GPT-2: "I", "'m", " ", " here", "\n\n", " 123456", " '", "S", " ok" */
    static const size_t gpt2_ends[] = {1, 3, 4, 9, 11, 18, 20, 21, 24};

    CHECK_INT(mn_regex_new(patterns[0].pattern, strlen(patterns[0].pattern), &re), MNLP_OK);
    CHECK_INT(mn_regex_find(re, text, sizeof text - 1, &m), MNLP_OK);
    CHECK_INT(m.n, 9);
    for (int k = 0; k < m.n && k < 9; k++) {
        CHECK_INT(m.items[k].end, gpt2_ends[k]);
        CHECK(m.items[k].is_match);
    }
    mn_matches_free(&m);
    mn_regex_free(re);
}

static void corpus_lines_match_oniguruma(void)
{
    mn_json_doc *docs[512] = {0};
    char path[1024];
    int n;

    snprintf(path, sizeof path, "%s/tests/fixtures/tokenizers/corpus.jsonl", test_source_dir());
    n = test_read_jsonl(path, docs, 512);
    CHECK(n > 400);
    compile_all();
    for (int i = 0; i < n; i++) {
        const mn_json *t = mn_json_root(docs[i]);

        if (t->type == MN_JSON_STRING)
            all_same(t->str, t->len);
        mn_json_free(docs[i]);
    }
    free_all();
}

/*
 * Every code point alone and inside "a_b", " _ " and "'_". Code points are
 * checked alone one by one (the end of the text matters to (?!\S)) and in
 * the contexts 64 at a time, one context after another in a single text.
 */
static void every_code_point_matches_oniguruma(void)
{
    static const char *const around[][2] = {{"a", "b"}, {" ", " "}, {"'", ""}};
    char buf[64 * 8];

    compile_all();
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        char one[4];
        int n;

        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        n = mn_utf8_encode(cp, one);
        all_same(one, (size_t)n);
    }
    for (size_t c = 0; c < sizeof around / sizeof *around; c++) {
        size_t len = 0;

        for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", around[c][0]);
            len += (size_t)mn_utf8_encode(cp, buf + len);
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", around[c][1]);
            if (len > sizeof buf - 16 || cp == 0x10FFFF) {
                all_same(buf, len);
                len = 0;
            }
        }
    }
    free_all();
}

/* Pieces where the patterns' alternatives meet. */
static const char *const pieces[] = {
    " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\xc2\x85", "\xc2\xa0",
    "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x8a", "\xe2\x80\x8b", "\xe2\x80\xa8",
    "\xe2\x80\xaf", "\xe3\x80\x80", "\xe1\xa0\x8e", "\x1c", "\x1f", "'", "'", "'s", "'S",
    "'\xc5\xbf", "'t", "'T", "'re", "'RE", "'Ve", "'m", "'ll", "'lL", "'d", "'D", "'x",
    "\xe2\x80\x99", "a", "Z", "s", "hello", "\xc3\xa9", "\xc3\x9f", "\xc5\xbf",
    "\xe2\x84\xaa", "\xce\xa9", "\xd0\x96", "\xd9\x85", "0", "7", "12345", "\xd9\xa3",
    "\xe0\xa5\xa8", "\xc2\xbd", "\xe2\x85\xa0", "\xc2\xb2", "\xef\xbc\x91", "\xcc\x81",
    "\xe0\xa4\xbe", ".", ",", "!", "?", "-", "<", ">", "|", "<|endoftext|>",
    "<|startoftext|>", "<|", "\xe2\x80\x94", "\xc2\xbf", "$", "_", "\xf0\x9f\x98\x80",
    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\xe4\xb8\xad", "\xe6\x96\x87", "\xe3\x81\x82",
    "\xea\xb0\x80", "\xf0\xa0\x80\x80", "\xe2\x80\x8d", "\x01", "\x7f",
};

static void random_strings_match_oniguruma(void)
{
    size_t n_pieces = sizeof pieces / sizeof *pieces;
    uint64_t state = 0x5eed;
    char buf[256];

    compile_all();
    for (int round = 0; round < 300000; round++) {
        size_t len = 0, count = 1 + test_rand(&state) % 12;

        for (size_t k = 0; k < count; k++) {
            const char *p = pieces[test_rand(&state) % n_pieces];
            size_t n = strlen(p);

            memcpy(buf + len, p, n);
            len += n;
        }
        all_same(buf, len);
    }
    free_all();
}

TEST_SUITE(fast_regex, T(fixture_patterns_choose_their_matcher), T(known_splits),
           T(corpus_lines_match_oniguruma), T(every_code_point_matches_oniguruma),
           T(random_strings_match_oniguruma));

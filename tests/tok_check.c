/*
 * Shared by the tokenizer tests: the 409-line corpus through a tokenizer,
 * compared with a fixture's expected.jsonl (ids, tokens, offsets with and
 * without special tokens, both decodes), and the comparisons it uses.
 */
#include "tok_check.h"

#include "base/json.h"
#include "base/files.h"

#include <stdlib.h>

#define MAX_REPORTED 5

/* Set while checking a line that is known to differ: nothing is printed. */
static bool quiet;

/* Set when the expected decodes get transformers' clean_up_tokenization. */
static bool cleaned;

/*
 * transformers' clean_up_tokenization applied to text[0..*len) in place:
 * each pattern in turn, every non-overlapping occurrence left to right in
 * one pass, as Python's str.replace.
 */
static void clean_up(char *text, size_t *len)
{
    static const char *const pairs[][2] = {
        {" .", "."},   {" ?", "?"},     {" !", "!"},   {" ,", ","},   {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };

    for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
        const char *from = pairs[k][0], *to = pairs[k][1];
        size_t flen = strlen(from), tlen = strlen(to), r = 0, w = 0;

        while (r < *len) {
            if (*len - r >= flen && memcmp(text + r, from, flen) == 0) {
                memmove(text + w, to, tlen);
                w += tlen;
                r += flen;
            } else {
                text[w++] = text[r++];
            }
        }
        *len = w;
        text[w] = '\0';
    }
}

bool test_same_ints(const mn_json *arr, const int32_t *v, size_t n)
{
    if (!arr || arr->type != MN_JSON_ARRAY || arr->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!arr->items[i].is_int || arr->items[i].integer != v[i])
            return false;
    return true;
}

bool test_same_tokens(const mn_json *arr, const mnlp_encoding *e)
{
    if (!arr || arr->len != mnlp_encoding_len(e))
        return false;
    for (size_t i = 0; i < arr->len; i++)
        if (arr->items[i].type != MN_JSON_STRING ||
            strcmp(arr->items[i].str, mnlp_encoding_token(e, i)) != 0)
            return false;
    return true;
}

bool test_same_offsets(const mn_json *arr, const mnlp_encoding *e)
{
    if (!arr || arr->len != mnlp_encoding_len(e))
        return false;
    for (size_t i = 0; i < arr->len; i++) {
        size_t s, en;

        mnlp_encoding_offsets(e, i, &s, &en);
        if (arr->items[i].len != 2 || arr->items[i].items[0].integer != (int64_t)s ||
            arr->items[i].items[1].integer != (int64_t)en)
            return false;
    }
    return true;
}

void test_describe(const char *what, int line, const mnlp_encoding *e,
                   const mn_json *want)
{
    mn_sb sb = {0};

    if (quiet)
        return;
    for (size_t i = 0; i < mnlp_encoding_len(e) && i < 40; i++) {
        size_t s, en;

        mnlp_encoding_offsets(e, i, &s, &en);
        mn_sb_printf(&sb, " %d:%s[%zu,%zu]", mnlp_encoding_ids(e)[i], mnlp_encoding_token(e, i),
                     s, en);
    }
    fprintf(stderr, "    line %d %s differs\n      got: %s\n", line, what, sb.data ? sb.data : "");
    mn_sb_free(&sb);
    (void)want;
}

/* Checks one encoding against expected ids/tokens/offsets; true when equal. */
static bool check_encoding(const mnlp_encoding *e, const mn_json *exp, const char *suffix,
                           int line)
{
    char k_ids[32], k_tok[32], k_off[32];

    snprintf(k_ids, sizeof k_ids, "ids%s", suffix);
    snprintf(k_tok, sizeof k_tok, "tokens%s", suffix);
    snprintf(k_off, sizeof k_off, "offsets%s", suffix);
    if (!test_same_ints(mn_json_get(exp, k_ids), mnlp_encoding_ids(e), mnlp_encoding_len(e))) {
        test_describe(k_ids, line, e, exp);
        return false;
    }
    if (!test_same_tokens(mn_json_get(exp, k_tok), e)) {
        test_describe(k_tok, line, e, exp);
        return false;
    }
    if (!test_same_offsets(mn_json_get(exp, k_off), e)) {
        test_describe(k_off, line, e, exp);
        return false;
    }
    return true;
}

static bool check_decode(const mnlp_tokenizer *tok, const mnlp_encoding *e, bool skip,
                         const mn_json *want, int line)
{
    char *text = NULL, *expect = NULL;
    size_t len, expect_len = 0;
    bool ok;

    if (mnlp_tokenizer_decode(tok, mnlp_encoding_ids(e), mnlp_encoding_len(e), skip, &text,
                              &len) != MNLP_OK) {
        if (!quiet)
            fprintf(stderr, "    line %d decode failed: %s\n", line, mnlp_last_error());
        return false;
    }
    if (want && want->type == MN_JSON_STRING && (expect = malloc(want->len + 1))) {
        memcpy(expect, want->str, want->len + 1);
        expect_len = want->len;
        if (cleaned)
            clean_up(expect, &expect_len);
    }
    ok = expect && expect_len == len && memcmp(expect, text, len) == 0;
    if (!ok && !quiet)
        fprintf(stderr, "    line %d decode%s: got \"%s\", want \"%s\"\n", line,
                skip ? "_skip_special" : "", text, expect ? expect : "?");
    free(expect);
    mnlp_free(text);
    return ok;
}

/* One corpus line: both encodings and both decodes; true when all equal. */
static bool check_line(const mnlp_tokenizer *tok, const mn_json *text, const mn_json *exp,
                       int line)
{
    mnlp_encoding *with = NULL, *without = NULL;
    bool ok = true;

    if (mnlp_tokenizer_encode(tok, text->str, text->len, true, &with) != MNLP_OK ||
        mnlp_tokenizer_encode(tok, text->str, text->len, false, &without) != MNLP_OK) {
        if (!quiet)
            fprintf(stderr, "    line %d: %s\n", line, mnlp_last_error());
        ok = false;
    }
    ok = ok && check_encoding(with, exp, "", line);
    ok = ok && check_encoding(without, exp, "_no_special", line);
    ok = ok && check_decode(tok, with, false, mn_json_get(exp, "decode"), line);
    ok = ok && check_decode(tok, with, true, mn_json_get(exp, "decode_skip_special"), line);
    mnlp_encoding_free(with);
    mnlp_encoding_free(without);
    return ok;
}

static bool listed(const int *lines, int n, int line)
{
    for (int i = 0; i < n; i++)
        if (lines[i] == line)
            return true;
    return false;
}

void test_check_corpus_except(const mnlp_tokenizer *tok, const char *expected_path,
                              const char *name, const int *differ, int n_differ)
{
    char path[4096];
    mn_json_doc *corpus[512] = {0}, *expected[512] = {0};
    int n_corpus, n_expected, bad = 0, stale = 0;

    snprintf(path, sizeof path, "%s/tests/fixtures/tokenizers/corpus.jsonl", test_source_dir());
    n_corpus = test_read_jsonl(path, corpus, 512);
    n_expected = test_read_jsonl(expected_path, expected, 512);
    CHECK_INT(n_corpus, 409);
    CHECK_INT(n_expected, n_corpus);
    for (int i = 0; tok && i < n_corpus && i < n_expected && bad < MAX_REPORTED; i++) {
        bool known = listed(differ, n_differ, i + 1), ok;

        quiet = known;
        ok = check_line(tok, mn_json_root(corpus[i]), mn_json_root(expected[i]), i + 1);
        quiet = false;
        if (known && ok) {
            fprintf(stderr, "    line %d is listed as differing but matches\n", i + 1);
            stale++;
        } else if (!known && !ok && ++bad >= MAX_REPORTED) {
            fprintf(stderr, "    (stopping after %d failing lines)\n", bad);
        }
    }
    if (bad)
        test_fail(__FILE__, __LINE__, "%s: %d corpus lines differ", name, bad);
    if (stale)
        test_fail(__FILE__, __LINE__, "%s: %d lines listed as differing match", name, stale);
    for (int i = 0; i < 512; i++) {
        mn_json_free(corpus[i]);
        mn_json_free(expected[i]);
    }
}

void test_check_corpus(const mnlp_tokenizer *tok, const char *expected_path, const char *name)
{
    test_check_corpus_except(tok, expected_path, name, NULL, 0);
}

void test_check_corpus_cleaned(const mnlp_tokenizer *tok, const char *expected_path,
                               const char *name)
{
    cleaned = true;
    test_check_corpus_except(tok, expected_path, name, NULL, 0);
    cleaned = false;
}

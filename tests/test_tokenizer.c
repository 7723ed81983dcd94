/*
 * text/tokenizer: every fixture tokenizer against the `tokenizers`
 * library's own output on the 409-line stress corpus, with and without
 * special tokens: ids, tokens, offsets (code points) and both decodes; and
 * pair encodings where the fixtures have them. The fixtures
 * (the .tar.xz archives in tests/fixtures/tokenizers, from ../shared/fixtures/tokenizers)
 * are unpacked by ctest into MNLP_TOKENIZER_FIXTURES.
 */
#include "test.h"

#include "base/json.h"
#include "base/files.h"

#include <stdlib.h>

/* The first occurrence of pat in s[0..n), or NULL. */
static char *memmem_at(char *s, size_t n, const char *pat, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(s + i, pat, m) == 0)
            return s + i;
    return NULL;
}

#define MAX_REPORTED 5

static bool same_ints(const mn_json *arr, const int32_t *v, size_t n)
{
    if (!arr || arr->type != MN_JSON_ARRAY || arr->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!arr->items[i].is_int || arr->items[i].integer != v[i])
            return false;
    return true;
}

static bool same_tokens(const mn_json *arr, const mnlp_encoding *e)
{
    if (!arr || arr->len != mnlp_encoding_len(e))
        return false;
    for (size_t i = 0; i < arr->len; i++)
        if (arr->items[i].type != MN_JSON_STRING ||
            strcmp(arr->items[i].str, mnlp_encoding_token(e, i)) != 0)
            return false;
    return true;
}

static bool same_offsets(const mn_json *arr, const mnlp_encoding *e)
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

static void describe(const char *what, int line, const mnlp_encoding *e, const mn_json *want)
{
    mn_sb sb = {0};

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
    if (!same_ints(mn_json_get(exp, k_ids), mnlp_encoding_ids(e), mnlp_encoding_len(e))) {
        describe(k_ids, line, e, exp);
        return false;
    }
    if (!same_tokens(mn_json_get(exp, k_tok), e)) {
        describe(k_tok, line, e, exp);
        return false;
    }
    if (!same_offsets(mn_json_get(exp, k_off), e)) {
        describe(k_off, line, e, exp);
        return false;
    }
    return true;
}

/*
 * transformers' clean_up_tokenization on the library's decode, for models
 * whose tokenizer_config.json sets clean_up_tokenization_spaces: Python's
 * str.replace of each pattern in turn.
 */
static void clean_up(char *s, size_t *len)
{
    static const char *const pairs[][2] = {{" .", "."},     {" ?", "?"},     {" !", "!"},
                                           {" ,", ","},     {" ' ", "'"},    {" n't", "n't"},
                                           {" 'm", "'m"},   {" 's", "'s"},   {" 've", "'ve"},
                                           {" 're", "'re"}};

    for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
        const char *from = pairs[k][0], *to = pairs[k][1];
        size_t flen = strlen(from), tlen = strlen(to);
        char *hit;

        while ((hit = memmem_at(s, *len, from, flen)) != NULL) {
            memmove(hit + tlen, hit + flen, *len - (size_t)(hit - s) - flen + 1);
            memcpy(hit, to, tlen);
            *len -= flen - tlen;
        }
    }
}

static bool check_decode(const mnlp_tokenizer *tok, const mnlp_encoding *e, bool skip,
                         const mn_json *want_json, bool cleaned, int line)
{
    char *text = NULL, want_buf[65536];
    const mn_json *want = want_json;
    size_t len, want_len = 0;
    bool ok;

    if (want && want->type == MN_JSON_STRING && want->len < sizeof want_buf) {
        memcpy(want_buf, want->str, want->len + 1);
        want_len = want->len;
        if (cleaned)
            clean_up(want_buf, &want_len);
    } else {
        want = NULL;
    }

    if (mnlp_tokenizer_decode(tok, mnlp_encoding_ids(e), mnlp_encoding_len(e), skip, &text,
                              &len) != MNLP_OK) {
        fprintf(stderr, "    line %d decode failed: %s\n", line, mnlp_last_error());
        return false;
    }
    ok = want && want_len == len && memcmp(want_buf, text, len) == 0;
    if (!ok)
        fprintf(stderr, "    line %d decode%s: got \"%s\", want \"%s\"\n", line,
                skip ? "_skip_special" : "", text, want ? want_buf : "?");
    mnlp_free(text);
    return ok;
}

/* Whether the fixture's tokenizer_config.json sets clean_up_tokenization_spaces. */
static bool cleans_up(const char *name)
{
    char path[4096], *text = NULL;
    size_t len;
    mn_json_doc *doc = NULL;
    const mn_json *v;
    bool on = false;

    snprintf(path, sizeof path, "%s/%s/tokenizer_config.json", test_tokenizer_fixtures(), name);
    if (!mn_is_file(path))
        return false;
    CHECK_OK(mn_read_file(path, 1 << 24, &text, &len));
    if (text && mn_json_parse(text, len, NULL, &doc) == MNLP_OK) {
        v = mn_json_get(mn_json_root(doc), "clean_up_tokenization_spaces");
        on = v && v->type == MN_JSON_BOOL && v->boolean;
    }
    mn_json_free(doc);
    mn_free(text);
    return on;
}

/*
 * The whole corpus through one fixture tokenizer: its tokenizer.json alone,
 * or (as_folder) its folder as transformers loads it, where tokenizer_config.json
 * may clean up the decoded text.
 */
static void check_fixture(const char *name, bool as_folder)
{
    char path[4096];
    mnlp_tokenizer *tok = NULL;
    mn_json_doc *corpus[512] = {0}, *expected[512] = {0};
    int n_corpus, n_expected, bad = 0;
    bool cleaned = as_folder && cleans_up(name);

    snprintf(path, sizeof path, "%s/%s%s", test_tokenizer_fixtures(), name,
             as_folder ? "" : "/tokenizer.json");
    CHECK_OK(mnlp_tokenizer_load(path, &tok));
    snprintf(path, sizeof path, "%s/tests/fixtures/tokenizers/corpus.jsonl", test_source_dir());
    n_corpus = test_read_jsonl(path, corpus, 512);
    snprintf(path, sizeof path, "%s/%s/expected.jsonl", test_tokenizer_fixtures(), name);
    n_expected = test_read_jsonl(path, expected, 512);
    CHECK_INT(n_corpus, 409);
    CHECK_INT(n_expected, n_corpus);
    for (int i = 0; tok && i < n_corpus && i < n_expected; i++) {
        const mn_json *text = mn_json_root(corpus[i]), *exp = mn_json_root(expected[i]);
        mnlp_encoding *with = NULL, *without = NULL;
        bool ok = true;

        if (mnlp_tokenizer_encode(tok, text->str, text->len, true, &with) != MNLP_OK ||
            mnlp_tokenizer_encode(tok, text->str, text->len, false, &without) != MNLP_OK) {
            fprintf(stderr, "    line %d: %s\n", i + 1, mnlp_last_error());
            ok = false;
        }
        ok = ok && check_encoding(with, exp, "", i + 1);
        ok = ok && check_encoding(without, exp, "_no_special", i + 1);
        ok = ok && check_decode(tok, with, false, mn_json_get(exp, "decode"), cleaned, i + 1);
        ok = ok && check_decode(tok, with, true, mn_json_get(exp, "decode_skip_special"),
                                cleaned, i + 1);
        if (!ok && ++bad >= MAX_REPORTED)
            fprintf(stderr, "    (stopping after %d failing lines)\n", bad);
        mnlp_encoding_free(with);
        mnlp_encoding_free(without);
        if (bad >= MAX_REPORTED)
            break;
    }
    if (bad)
        test_fail(__FILE__, __LINE__, "%s: %d corpus lines differ", name, bad);
    for (int i = 0; i < 512; i++) {
        mn_json_free(corpus[i]);
        mn_json_free(expected[i]);
    }
    mnlp_tokenizer_free(tok);
}

/* pairs.jsonl: encode(a, b) with special tokens; offsets per sequence. */
static void check_pairs(const char *name)
{
    char path[4096];
    mnlp_tokenizer *tok = NULL;
    mn_json_doc *pairs[64] = {0};
    int n;

    snprintf(path, sizeof path, "%s/%s/tokenizer.json", test_tokenizer_fixtures(), name);
    CHECK_OK(mnlp_tokenizer_load(path, &tok));
    snprintf(path, sizeof path, "%s/%s/pairs.jsonl", test_tokenizer_fixtures(), name);
    n = test_read_jsonl(path, pairs, 64);
    CHECK(n > 0);
    for (int i = 0; tok && i < n; i++) {
        const mn_json *p = mn_json_root(pairs[i]);
        const mn_json *a = mn_json_get(p, "a"), *b = mn_json_get(p, "b");
        mnlp_encoding *e = NULL;

        CHECK_OK(mnlp_tokenizer_encode_pair(tok, a->str, a->len, b->str, b->len, true, &e));
        if (!e)
            continue;
        if (!same_ints(mn_json_get(p, "ids"), mnlp_encoding_ids(e), mnlp_encoding_len(e)) ||
            !same_ints(mn_json_get(p, "type_ids"), mnlp_encoding_type_ids(e),
                       mnlp_encoding_len(e)) ||
            !same_tokens(mn_json_get(p, "tokens"), e) ||
            !same_offsets(mn_json_get(p, "offsets"), e)) {
            describe("pair", i + 1, e, p);
            test_fail(__FILE__, __LINE__, "%s: pair %d differs", name, i + 1);
        }
        mnlp_encoding_free(e);
    }
    for (int i = 0; i < 64; i++)
        mn_json_free(pairs[i]);
    mnlp_tokenizer_free(tok);
}

/* Each fixture twice: its tokenizer.json, and its folder as transformers loads it. */
#define FIXTURE(fn, dir)                                                          \
    static void fn(void)                                                          \
    {                                                                             \
        check_fixture(dir, false);                                                \
    }                                                                             \
    static void fn##_folder(void)                                                 \
    {                                                                             \
        check_fixture(dir, true);                                                 \
    }

FIXTURE(gpt2, "gpt2")
FIXTURE(roberta_base, "roberta-base")
FIXTURE(clip_vit_base_patch32, "clip-vit-base-patch32")
FIXTURE(all_minilm_l6_v2, "all-MiniLM-L6-v2")
FIXTURE(bert_base_uncased, "bert-base-uncased")
FIXTURE(llama_2, "llama-2")
FIXTURE(mistral, "mistral")
FIXTURE(llama_3, "llama-3")
FIXTURE(qwen3, "qwen3")
FIXTURE(gemma_3, "gemma-3")
FIXTURE(rut5_large, "ruT5-large")

static void pairs_roberta_base(void)
{
    check_pairs("roberta-base");
}

static void pairs_bert_base_uncased(void)
{
    check_pairs("bert-base-uncased");
}

static void pairs_all_minilm_l6_v2(void)
{
    check_pairs("all-MiniLM-L6-v2");
}

static void invalid_utf8_input_is_an_error(void)
{
    char path[4096];
    mnlp_tokenizer *tok = NULL;
    mnlp_encoding *e = NULL;

    snprintf(path, sizeof path, "%s/gpt2", test_tokenizer_fixtures());
    CHECK_OK(mnlp_tokenizer_load(path, &tok));
    if (!tok)
        return;
    CHECK_ERR(mnlp_tokenizer_encode(tok, "ab\xff", 3, true, &e), MNLP_ERR_INVALID_ARGUMENT,
              "input is not valid UTF-8 at byte 2");
    CHECK(e == NULL);
    mnlp_tokenizer_free(tok);
}

TEST_SUITE(tokenizer, T(gpt2), T(roberta_base), T(clip_vit_base_patch32), T(all_minilm_l6_v2),
           T(bert_base_uncased), T(llama_2), T(mistral), T(llama_3), T(qwen3), T(gemma_3),
           T(rut5_large), T(gpt2_folder), T(roberta_base_folder), T(clip_vit_base_patch32_folder),
           T(all_minilm_l6_v2_folder), T(bert_base_uncased_folder), T(llama_2_folder),
           T(mistral_folder), T(llama_3_folder), T(qwen3_folder), T(gemma_3_folder),
           T(rut5_large_folder), T(pairs_roberta_base), T(pairs_bert_base_uncased),
           T(pairs_all_minilm_l6_v2), T(invalid_utf8_input_is_an_error));

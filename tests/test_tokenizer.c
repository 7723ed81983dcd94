/*
 * text/tokenizer: every fixture tokenizer against the `tokenizers`
 * library's own output on the 409-line stress corpus, with and without
 * special tokens: ids, tokens, offsets (code points) and both decodes; and
 * pair encodings where the fixtures have them. The fixtures
 * (the .tar.xz archives in tests/fixtures/tokenizers, from ../shared/fixtures/tokenizers)
 * are unpacked by ctest into MNLP_TOKENIZER_FIXTURES.
 */
#include "test.h"
#include "tok_check.h"

#include "base/json.h"
#include "base/files.h"

#include <stdlib.h>

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

    snprintf(path, sizeof path, "%s/%s%s", test_tokenizer_fixtures(), name,
             as_folder ? "" : "/tokenizer.json");
    CHECK_OK(mnlp_tokenizer_load(path, &tok));
    snprintf(path, sizeof path, "%s/%s/expected.jsonl", test_tokenizer_fixtures(), name);
    if (tok && as_folder && cleans_up(name))
        test_check_corpus_cleaned(tok, path, name);
    else if (tok)
        test_check_corpus(tok, path, name);
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
        if (!test_same_ints(mn_json_get(p, "ids"), mnlp_encoding_ids(e), mnlp_encoding_len(e)) ||
            !test_same_ints(mn_json_get(p, "type_ids"), mnlp_encoding_type_ids(e),
                       mnlp_encoding_len(e)) ||
            !test_same_tokens(mn_json_get(p, "tokens"), e) ||
            !test_same_offsets(mn_json_get(p, "offsets"), e)) {
            test_describe("pair", i + 1, e, p);
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

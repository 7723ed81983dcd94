/*
 * text/pretrained: what a model folder's tokenizer_config.json adds on top
 * of tokenizer.json, as transformers' AutoTokenizer applies it; batches,
 * truncation and padding asked for through the API. Expected ids come from
 * the fixtures' expected.jsonl (the tokenizers library's output) and the
 * fixture files themselves; the configs written here are inputs.
 */
#include "test.h"

#include "base/files.h"
#include "base/json.h"

#include <stdlib.h>
#include <unistd.h>

#define LINES 60

typedef struct corpus {
    mn_json_doc *text[512], *expected[512];
    int n;
} corpus;

static void corpus_load(corpus *c, const char *name)
{
    char path[4096];
    int n_expected;

    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/tests/fixtures/tokenizers/corpus.jsonl", test_source_dir());
    c->n = test_read_jsonl(path, c->text, 512);
    snprintf(path, sizeof path, "%s/%s/expected.jsonl", test_tokenizer_fixtures(), name);
    n_expected = test_read_jsonl(path, c->expected, 512);
    CHECK_INT(n_expected, c->n);
    if (n_expected < c->n)
        c->n = n_expected;
}

static void corpus_free(corpus *c)
{
    for (int i = 0; i < 512; i++) {
        mn_json_free(c->text[i]);
        mn_json_free(c->expected[i]);
    }
}

static const mn_json *text_of(const corpus *c, int i)
{
    return mn_json_root(c->text[i]);
}

static const mn_json *expected(const corpus *c, int i, const char *key)
{
    return mn_json_get(mn_json_root(c->expected[i]), key);
}

/* A model folder holding fixture name's tokenizer.json and the given
 * tokenizer_config.json / config.json texts (NULL: no such file). */
static const char *folder(const char *name, const char *tok_config, const char *config)
{
    static char dir[4096];
    char src[4096], *text = NULL;
    size_t len;

    snprintf(dir, sizeof dir, "%s/model", test_tmpdir());
    snprintf(src, sizeof src, "%s/%s/tokenizer.json", test_tokenizer_fixtures(), name);
    CHECK_OK(mn_read_file(src, 1u << 30, &text, &len));
    if (text)
        test_write(dir, "tokenizer.json", text, len);
    mn_free(text);
    if (tok_config)
        test_write(dir, "tokenizer_config.json", tok_config, strlen(tok_config));
    if (config)
        test_write(dir, "config.json", config, strlen(config));
    return dir;
}

/* folder() plus more files: pairs of name and text, ending with NULL. */
static const char *folder_with(const char *name, const char *const *files)
{
    const char *dir = folder(name, NULL, NULL);

    for (; files[0]; files += 2)
        test_write(dir, files[0], files[1], strlen(files[1]));
    return dir;
}

static mnlp_tokenizer *load(const char *path)
{
    mnlp_tokenizer *tok = NULL;

    CHECK_OK(mnlp_tokenizer_load(path, &tok));
    return tok;
}

/* enc's ids equal prefix (if >= 0), then the JSON array ids, then suffix (if >= 0). */
static bool ids_are(const mnlp_encoding *enc, int32_t prefix, const mn_json *ids, int32_t suffix)
{
    const int32_t *got = mnlp_encoding_ids(enc);
    size_t n = mnlp_encoding_len(enc), k = 0;

    if (n != ids->len + (prefix >= 0) + (suffix >= 0))
        return false;
    if (prefix >= 0 && got[k++] != prefix)
        return false;
    for (size_t i = 0; i < ids->len; i++)
        if (got[k++] != ids->items[i].integer)
            return false;
    return suffix < 0 || got[k] == suffix;
}

/* Every corpus line's ids: bos, the ids without special tokens, eos. */
static void check_template(mnlp_tokenizer *tok, const corpus *c, int32_t bos, int32_t eos)
{
    for (int i = 0; tok && i < c->n && i < LINES; i++) {
        const mn_json *t = text_of(c, i);
        mnlp_encoding *e = NULL;

        CHECK_OK(mnlp_tokenizer_encode(tok, t->str, t->len, true, &e));
        if (e && !ids_are(e, bos, expected(c, i, "ids_no_special"), eos))
            test_fail(__FILE__, __LINE__, "corpus line %d: ids differ", i + 1);
        mnlp_encoding_free(e);
    }
}

/* ---- Post-processor rebuilt from add_bos_token / add_eos_token ------------ */

static void add_eos_token_rebuilds_the_llama_template(void)
{
    corpus c;
    mnlp_tokenizer *plain = NULL, *tok;
    mnlp_encoding *pair = NULL, *a = NULL, *b = NULL;
    int32_t bos, eos;

    corpus_load(&c, "llama-2");
    tok = load(folder("llama-2", "{\"tokenizer_class\": \"LlamaTokenizerFast\", "
                                 "\"add_eos_token\": true}", NULL));
    if (!tok) {
        corpus_free(&c);
        return;
    }
    /* LlamaTokenizerFast's own defaults name the tokens. */
    CHECK_STR(mnlp_tokenizer_special_token(tok, MNLP_BOS_TOKEN), "<s>");
    CHECK_STR(mnlp_tokenizer_special_token(tok, MNLP_EOS_TOKEN), "</s>");
    bos = mnlp_tokenizer_token_to_id(tok, "<s>");
    eos = mnlp_tokenizer_token_to_id(tok, "</s>");
    CHECK(bos >= 0 && eos >= 0);
    check_template(tok, &c, bos, eos);

    /* A pair: <s> A </s> <s> B </s>, type ids 0 then 1. */
    plain = load(folder("llama-2", NULL, NULL));
    if (plain) {
        const mn_json *x = text_of(&c, 100), *y = text_of(&c, 101);

        CHECK_OK(mnlp_tokenizer_encode_pair(tok, x->str, x->len, y->str, y->len, true, &pair));
        CHECK_OK(mnlp_tokenizer_encode(plain, x->str, x->len, false, &a));
        CHECK_OK(mnlp_tokenizer_encode(plain, y->str, y->len, false, &b));
        if (pair && a && b) {
            size_t na = mnlp_encoding_len(a), nb = mnlp_encoding_len(b);
            const int32_t *ids = mnlp_encoding_ids(pair), *types = mnlp_encoding_type_ids(pair);

            CHECK_INT(mnlp_encoding_len(pair), na + nb + 4);
            CHECK_INT(ids[0], bos);
            CHECK(memcmp(ids + 1, mnlp_encoding_ids(a), na * sizeof *ids) == 0);
            CHECK_INT(ids[na + 1], eos);
            CHECK_INT(ids[na + 2], bos);
            CHECK(memcmp(ids + na + 3, mnlp_encoding_ids(b), nb * sizeof *ids) == 0);
            CHECK_INT(ids[na + nb + 3], eos);
            CHECK_INT(types[na + 1], 0);
            CHECK_INT(types[na + 2], 1);
        }
    }
    mnlp_encoding_free(pair);
    mnlp_encoding_free(a);
    mnlp_encoding_free(b);
    mnlp_tokenizer_free(plain);
    mnlp_tokenizer_free(tok);
    corpus_free(&c);
}

static void config_json_model_type_picks_the_class(void)
{
    corpus c;
    mnlp_tokenizer *tok;

    corpus_load(&c, "llama-2");
    tok = load(folder("llama-2", "{\"add_eos_token\": true}", "{\"model_type\": \"mistral\"}"));
    if (tok)
        check_template(tok, &c, mnlp_tokenizer_token_to_id(tok, "<s>"),
                       mnlp_tokenizer_token_to_id(tok, "</s>"));
    mnlp_tokenizer_free(tok);
    corpus_free(&c);
}

static void add_bos_token_false_drops_gemma_bos(void)
{
    corpus c;
    mnlp_tokenizer *tok;

    corpus_load(&c, "gemma-3");
    tok = load(folder("gemma-3", "{\"tokenizer_class\": \"GemmaTokenizer\", "
                                 "\"add_bos_token\": false}", NULL));
    check_template(tok, &c, -1, -1);
    mnlp_tokenizer_free(tok);
    corpus_free(&c);
}

/* Classes without update_post_processor keep tokenizer.json's post-processor. */
static void other_classes_keep_the_post_processor(void)
{
    corpus c;
    mnlp_tokenizer *tok;

    corpus_load(&c, "gpt2");
    tok = load(folder("gpt2", "{\"tokenizer_class\": \"GPT2Tokenizer\", "
                              "\"add_bos_token\": true}", NULL));
    check_template(tok, &c, -1, -1);
    mnlp_tokenizer_free(tok);
    corpus_free(&c);
}

/* ---- Special and added tokens ------------------------------------------- */

/* The special tokens a fixture's own tokenizer_config.json names. */
static void specials_follow_the_fixture_config(const char *name)
{
    char path[4096], *text = NULL;
    size_t len;
    mn_json_doc *doc = NULL;
    mnlp_tokenizer *tok;
    static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token", "mask_token"};
    const char *const *extra;
    size_t n_extra;

    snprintf(path, sizeof path, "%s/%s/tokenizer_config.json", test_tokenizer_fixtures(), name);
    CHECK_OK(mn_read_file(path, 1 << 24, &text, &len));
    CHECK_OK(mn_json_parse(text ? text : "{}", text ? len : 2, NULL, &doc));
    mn_free(text);
    snprintf(path, sizeof path, "%s/%s", test_tokenizer_fixtures(), name);
    tok = load(path);
    for (int i = 0; tok && doc && i < MNLP_SPECIAL_TOKEN_COUNT; i++) {
        const mn_json *v = mn_json_get(mn_json_root(doc), keys[i]);
        const char *got = mnlp_tokenizer_special_token(tok, (mnlp_special_token)i);

        if (v && v->type == MN_JSON_OBJECT)
            v = mn_json_get(v, "content");
        if (v && v->type == MN_JSON_STRING)
            CHECK_STR(got, v->str);
        else if (v && v->type == MN_JSON_NULL && got)
            test_fail(__FILE__, __LINE__, "%s %s: got \"%s\", expected none", name, keys[i], got);
    }
    if (tok && doc) {
        const mn_json *list = mn_json_get(mn_json_root(doc), "additional_special_tokens");

        n_extra = mnlp_tokenizer_additional_special_tokens(tok, &extra);
        CHECK_INT(n_extra, list && list->type == MN_JSON_ARRAY ? list->len : 0);
        for (size_t i = 0; list && i < n_extra && i < list->len; i++)
            CHECK_STR(extra[i], list->items[i].str);
    }
    mnlp_tokenizer_free(tok);
    mn_json_free(doc);
}

static void special_tokens_come_from_tokenizer_config(void)
{
    specials_follow_the_fixture_config("llama-3");
    specials_follow_the_fixture_config("qwen3");
    specials_follow_the_fixture_config("ruT5-large");
    specials_follow_the_fixture_config("clip-vit-base-patch32");
    specials_follow_the_fixture_config("all-MiniLM-L6-v2");
}

static void missing_special_token_is_added(void)
{
    mnlp_tokenizer *plain = load(folder("gpt2", NULL, NULL)), *tok;
    mnlp_encoding *e = NULL, *a = NULL;
    char *text = NULL;
    size_t base, len;
    int32_t id;

    tok = load(folder("gpt2", "{\"pad_token\": \"<|pad|>\"}", NULL));
    if (!plain || !tok)
        goto done;
    base = mnlp_tokenizer_vocab_size(plain);
    CHECK_INT(mnlp_tokenizer_token_to_id(plain, "<|pad|>"), -1);
    id = mnlp_tokenizer_token_to_id(tok, "<|pad|>");
    CHECK_INT(id, base);
    CHECK_INT(mnlp_tokenizer_vocab_size(tok), base + 1);
    CHECK_OK(mnlp_tokenizer_encode(tok, "a<|pad|>a", 9, true, &e));
    CHECK_OK(mnlp_tokenizer_encode(plain, "a", 1, true, &a));
    if (e && a) {
        CHECK_INT(mnlp_encoding_len(e), 3);
        CHECK_INT(mnlp_encoding_ids(e)[0], mnlp_encoding_ids(a)[0]);
        CHECK_INT(mnlp_encoding_ids(e)[1], id);
        CHECK_OK(mnlp_tokenizer_decode(tok, mnlp_encoding_ids(e), 3, true, &text, &len));
        CHECK_STR(text, "aa");
    }
done:
    mnlp_free(text);
    mnlp_encoding_free(e);
    mnlp_encoding_free(a);
    mnlp_tokenizer_free(tok);
    mnlp_tokenizer_free(plain);
}

static void added_tokens_decoder_adds_in_index_order(void)
{
    mnlp_tokenizer *plain = load(folder("gpt2", NULL, NULL)), *tok;
    size_t base;

    /* Listed out of order: transformers sorts by index before adding. */
    tok = load(folder("gpt2",
                      "{\"added_tokens_decoder\": {"
                      "\"50258\": {\"content\": \"<B>\", \"lstrip\": false, \"normalized\": true, "
                      "\"rstrip\": false, \"single_word\": false, \"special\": false}, "
                      "\"50257\": {\"content\": \"<A>\", \"lstrip\": false, \"normalized\": false, "
                      "\"rstrip\": false, \"single_word\": false, \"special\": true}}}",
                      NULL));
    if (plain && tok) {
        base = mnlp_tokenizer_vocab_size(plain);
        CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<A>"), base);
        CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<B>"), base + 1);
    }
    mnlp_tokenizer_free(tok);
    mnlp_tokenizer_free(plain);
}

/* Without added_tokens_decoder, special_tokens_map.json overrides tokenizer_config.json. */
static void legacy_special_tokens_map_overrides(void)
{
    static const char *const legacy[] = {
        "tokenizer_config.json", "{\"tokenizer_class\": \"GPT2Tokenizer\", "
                                 "\"eos_token\": \"<|endoftext|>\"}",
        "special_tokens_map.json", "{\"eos_token\": {\"content\": \"<|eos|>\"}, "
                                   "\"additional_special_tokens\": [\"<x>\"]}",
        NULL};
    static const char *const current[] = {
        "tokenizer_config.json", "{\"tokenizer_class\": \"GPT2Tokenizer\", "
                                 "\"eos_token\": \"<|endoftext|>\", \"added_tokens_decoder\": {}}",
        "special_tokens_map.json", "{\"eos_token\": \"<|eos|>\"}", NULL};
    mnlp_tokenizer *plain = load(folder("gpt2", NULL, NULL)), *tok;
    const char *const *extra;

    tok = load(folder_with("gpt2", legacy));
    if (plain && tok) {
        CHECK_STR(mnlp_tokenizer_special_token(tok, MNLP_EOS_TOKEN), "<|eos|>");
        CHECK_INT(mnlp_tokenizer_additional_special_tokens(tok, &extra), 1);
        CHECK_STR(extra[0], "<x>");
        /* Both were missing from the vocabulary: added in order, after it. */
        CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<|eos|>"), mnlp_tokenizer_vocab_size(plain));
        CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<x>"), mnlp_tokenizer_vocab_size(plain) + 1);
    }
    mnlp_tokenizer_free(tok);
    tok = load(folder_with("gpt2", current));
    if (tok)
        CHECK_STR(mnlp_tokenizer_special_token(tok, MNLP_EOS_TOKEN), "<|endoftext|>");
    mnlp_tokenizer_free(tok);
    mnlp_tokenizer_free(plain);
}

/* added_tokens.json: added in index order; special when a special token names it. */
static void legacy_added_tokens_json(void)
{
    static const char *const files[] = {
        "added_tokens.json", "{\"<b>\": 50258, \"<a>\": 50257}",
        "special_tokens_map.json", "{\"pad_token\": \"<a>\"}", NULL};
    mnlp_tokenizer *plain = load(folder("gpt2", NULL, NULL));
    mnlp_tokenizer *tok = load(folder_with("gpt2", files));
    mnlp_encoding *e = NULL;
    char *text = NULL;
    size_t len;

    if (plain && tok) {
        int32_t base = (int32_t)mnlp_tokenizer_vocab_size(plain);

        CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<a>"), base);
        CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<b>"), base + 1);
        CHECK_OK(mnlp_tokenizer_encode(tok, "<a>x<b>", 7, true, &e));
        if (e) {
            CHECK_OK(mnlp_tokenizer_decode(tok, mnlp_encoding_ids(e), mnlp_encoding_len(e), true,
                                           &text, &len));
            CHECK_STR(text, "x<b>");
        }
    }
    mnlp_free(text);
    mnlp_encoding_free(e);
    mnlp_tokenizer_free(tok);
    mnlp_tokenizer_free(plain);
}

/* A special token the model's vocabulary has still becomes an added token,
 * so it is split off before pre-tokenization and skipped when decoding. */
static void special_token_in_the_vocabulary_becomes_added(void)
{
    mnlp_tokenizer *plain = load(folder("gpt2", NULL, NULL));
    mnlp_tokenizer *tok = load(folder("gpt2", "{\"bos_token\": \"hello\"}", NULL));
    mnlp_encoding *e = NULL, *x = NULL, *y = NULL;
    char *text = NULL;
    size_t len;

    if (!plain || !tok)
        goto done;
    CHECK(mnlp_tokenizer_token_to_id(plain, "hello") >= 0);
    CHECK_INT(mnlp_tokenizer_token_to_id(tok, "hello"), mnlp_tokenizer_token_to_id(plain, "hello"));
    CHECK_OK(mnlp_tokenizer_encode(tok, "xhelloy", 7, true, &e));
    CHECK_OK(mnlp_tokenizer_encode(plain, "x", 1, true, &x));
    CHECK_OK(mnlp_tokenizer_encode(plain, "y", 1, true, &y));
    if (e && x && y) {
        CHECK_INT(mnlp_encoding_len(e), 3);
        CHECK_INT(mnlp_encoding_ids(e)[0], mnlp_encoding_ids(x)[0]);
        CHECK_INT(mnlp_encoding_ids(e)[1], mnlp_tokenizer_token_to_id(plain, "hello"));
        CHECK_INT(mnlp_encoding_ids(e)[2], mnlp_encoding_ids(y)[0]);
        CHECK_OK(mnlp_tokenizer_decode(tok, mnlp_encoding_ids(e), 3, true, &text, &len));
        CHECK_STR(text, "xy");
    }
done:
    mnlp_free(text);
    mnlp_encoding_free(e);
    mnlp_encoding_free(x);
    mnlp_encoding_free(y);
    mnlp_tokenizer_free(tok);
    mnlp_tokenizer_free(plain);
}

/* T5TokenizerFast: extra_ids <extra_id_N> tokens when the config lists none. */
static void t5_extra_ids(void)
{
    mnlp_tokenizer *tok;
    const char *const *extra;
    char want[32];

    tok = load(folder("ruT5-large", "{\"tokenizer_class\": \"T5Tokenizer\", \"extra_ids\": 5, "
                                    "\"additional_special_tokens\": [\"<x>\"]}", NULL));
    if (tok) {
        CHECK_INT(mnlp_tokenizer_additional_special_tokens(tok, &extra), 6);
        CHECK_STR(extra[0], "<x>");
        for (int i = 0; i < 5; i++) {
            snprintf(want, sizeof want, "<extra_id_%d>", i);
            CHECK_STR(extra[i + 1], want);
        }
    }
    mnlp_tokenizer_free(tok);
    tok = NULL;
    CHECK_ERR(mnlp_tokenizer_load(folder("ruT5-large",
                                         "{\"tokenizer_class\": \"T5TokenizerFast\", "
                                         "\"extra_ids\": 3, \"additional_special_tokens\": "
                                         "[\"<extra_id_0>\", \"<extra_id_1>\"]}",
                                         NULL),
                                  &tok),
              MNLP_ERR_FORMAT, "extra_ids is 3 but additional_special_tokens has 2");
}

static void model_max_length_is_read(void)
{
    char path[4096], *text = NULL;
    size_t len;
    mn_json_doc *doc = NULL;
    mnlp_tokenizer *tok;

    snprintf(path, sizeof path, "%s/bert-base-uncased/tokenizer_config.json",
             test_tokenizer_fixtures());
    CHECK_OK(mn_read_file(path, 1 << 20, &text, &len));
    CHECK_OK(mn_json_parse(text ? text : "{}", text ? len : 2, NULL, &doc));
    snprintf(path, sizeof path, "%s/bert-base-uncased", test_tokenizer_fixtures());
    tok = load(path);
    if (tok && doc)
        CHECK_INT(mnlp_tokenizer_model_max_length(tok),
                  mn_json_get(mn_json_root(doc), "model_max_length")->integer);
    mnlp_tokenizer_free(tok);
    /* llama-3 writes 1e30 for "no limit". */
    snprintf(path, sizeof path, "%s/llama-3", test_tokenizer_fixtures());
    tok = load(path);
    if (tok)
        CHECK(mnlp_tokenizer_model_max_length(tok) == SIZE_MAX);
    mnlp_tokenizer_free(tok);
    mn_json_free(doc);
    mn_free(text);
}

static void bad_configs_name_the_file_and_field(void)
{
    mnlp_tokenizer *tok = NULL;

    CHECK_ERR(mnlp_tokenizer_load(folder("gpt2", "{\"bos_token\": 3}", NULL), &tok),
              MNLP_ERR_FORMAT, "tokenizer_config.json: bos_token: is not a token");
    CHECK_ERR(mnlp_tokenizer_load(folder("gpt2", "{\"tokenizer_class\": \"LlamaTokenizer\", "
                                                 "\"eos_token\": null, \"add_eos_token\": true}",
                                         NULL),
                                  &tok),
              MNLP_ERR_FORMAT, "add_eos_token is true but there is no eos_token");
    CHECK_ERR(mnlp_tokenizer_load(folder("gpt2", "{\"added_tokens_decoder\": {\"x\": {}}}",
                                         NULL),
                                  &tok),
              MNLP_ERR_FORMAT, "added_tokens_decoder.x: is not an index");
    CHECK_ERR(mnlp_tokenizer_load(folder("gpt2", "{\"clean_up_tokenization_spaces\": 1}", NULL),
                                  &tok),
              MNLP_ERR_FORMAT, "clean_up_tokenization_spaces: is number, expected boolean");
    CHECK_ERR(mnlp_tokenizer_load(folder("gpt2", "{", NULL), &tok), MNLP_ERR_FORMAT,
              "tokenizer_config.json: line 1");
    CHECK(tok == NULL);
}

/* ---- Batches, truncation and padding ------------------------------------ */

/* all-MiniLM-L6-v2's tokenizer.json pads BatchLongest: every encoding of a
 * batch grows to the longest with its pad token, attention 0. */
static void batch_pads_to_the_longest(void)
{
    corpus c;
    char path[4096];
    const char *texts[LINES];
    size_t lens[LINES], longest = 0;
    mnlp_encoding *out[LINES] = {0};
    mnlp_tokenizer *tok;
    int32_t pad;

    corpus_load(&c, "all-MiniLM-L6-v2");
    snprintf(path, sizeof path, "%s/all-MiniLM-L6-v2", test_tokenizer_fixtures());
    tok = load(path);
    for (int i = 0; i < LINES && i < c.n; i++) {
        texts[i] = text_of(&c, i)->str;
        lens[i] = text_of(&c, i)->len;
        if (expected(&c, i, "ids")->len > longest)
            longest = expected(&c, i, "ids")->len;
    }
    if (!tok || c.n < LINES)
        goto done;
    pad = mnlp_tokenizer_token_to_id(tok, mnlp_tokenizer_special_token(tok, MNLP_PAD_TOKEN));
    CHECK_OK(mnlp_tokenizer_encode_batch(tok, texts, lens, LINES, true, out));
    for (int i = 0; i < LINES && out[i]; i++) {
        const mn_json *want = expected(&c, i, "ids");
        const int32_t *ids = mnlp_encoding_ids(out[i]);
        const uint8_t *attention = mnlp_encoding_attention_mask(out[i]);
        bool ok = mnlp_encoding_len(out[i]) == longest;

        for (size_t k = 0; ok && k < longest; k++)
            ok = k < want->len ? ids[k] == want->items[k].integer && attention[k] == 1
                               : ids[k] == pad && attention[k] == 0;
        if (!ok)
            test_fail(__FILE__, __LINE__, "batch item %d is not its ids padded to %zu", i,
                      longest);
        mnlp_encoding_free(out[i]);
    }
done:
    mnlp_tokenizer_free(tok);
    corpus_free(&c);
}

static void batch_error_names_the_text(void)
{
    const char *texts[] = {"fine", "bad \xff"};
    size_t lens[] = {4, 5};
    mnlp_encoding *out[2] = {0};
    mnlp_tokenizer *tok = load(folder("gpt2", NULL, NULL));

    if (!tok)
        return;
    CHECK_ERR(mnlp_tokenizer_encode_batch(tok, texts, lens, 2, true, out),
              MNLP_ERR_INVALID_ARGUMENT, "text 1: input is not valid UTF-8 at byte 4");
    CHECK(out[0] == NULL && out[1] == NULL);
    mnlp_tokenizer_free(tok);
}

/* gpt2 adds no special tokens, so truncation keeps a prefix (or suffix) of
 * the expected ids, and fixed left padding puts pad ids before them. */
static void asked_truncation_and_padding(void)
{
    corpus c;
    mnlp_tokenizer *tok;
    mnlp_truncation right = {5, 0, MNLP_TRUNCATE_LONGEST_FIRST, false};
    mnlp_truncation left = {5, 0, MNLP_TRUNCATE_LONGEST_FIRST, true};
    mnlp_padding pad = {8, 0, true, 7, 0, "!"};

    corpus_load(&c, "gpt2");
    tok = load(folder("gpt2", NULL, NULL));
    for (int pass = 0; tok && pass < 2; pass++) {
        CHECK_OK(mnlp_tokenizer_set_truncation(tok, pass ? &left : &right));
        CHECK_OK(mnlp_tokenizer_set_padding(tok, &pad));
        for (int i = 0; i < c.n && i < LINES; i++) {
            const mn_json *t = text_of(&c, i), *want = expected(&c, i, "ids");
            size_t keep = want->len < 5 ? want->len : 5, from = pass ? want->len - keep : 0;
            mnlp_encoding *e = NULL;
            bool ok;

            CHECK_OK(mnlp_tokenizer_encode(tok, t->str, t->len, true, &e));
            if (!e)
                continue;
            ok = mnlp_encoding_len(e) == 8;
            for (size_t k = 0; ok && k < 8; k++)
                ok = k < 8 - keep ? mnlp_encoding_ids(e)[k] == 7 &&
                                        mnlp_encoding_attention_mask(e)[k] == 0
                                  : mnlp_encoding_ids(e)[k] ==
                                        want->items[from + k - (8 - keep)].integer;
            if (!ok)
                test_fail(__FILE__, __LINE__, "line %d (%s truncation) differs", i + 1,
                          pass ? "left" : "right");
            mnlp_encoding_free(e);
        }
    }
    if (tok) {
        mnlp_truncation bad = {4, 4, MNLP_TRUNCATE_LONGEST_FIRST, false};

        CHECK_ERR(mnlp_tokenizer_set_truncation(tok, &bad), MNLP_ERR_INVALID_ARGUMENT,
                  "stride 4");
        CHECK_OK(mnlp_tokenizer_set_truncation(tok, NULL));
        CHECK_OK(mnlp_tokenizer_set_padding(tok, NULL));
    }
    mnlp_tokenizer_free(tok);
    corpus_free(&c);
}

TEST_SUITE(pretrained, T(add_eos_token_rebuilds_the_llama_template),
           T(config_json_model_type_picks_the_class), T(add_bos_token_false_drops_gemma_bos),
           T(other_classes_keep_the_post_processor),
           T(special_tokens_come_from_tokenizer_config), T(missing_special_token_is_added),
           T(added_tokens_decoder_adds_in_index_order), T(legacy_special_tokens_map_overrides),
           T(legacy_added_tokens_json), T(special_token_in_the_vocabulary_becomes_added),
           T(t5_extra_ids), T(model_max_length_is_read),
           T(bad_configs_name_the_file_and_field), T(batch_pads_to_the_longest),
           T(batch_error_names_the_text), T(asked_truncation_and_padding));

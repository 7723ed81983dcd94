/*
 * text/convert and text/spm_model: tokenizer.json built from the slow
 * tokenizer files must tokenize the 409-line corpus exactly as the
 * published tokenizer.json does (the fixture's expected.jsonl, from the
 * `tokenizers` library); the SentencePiece reader must refuse every
 * malformed file with the field and byte offset at fault.
 *
 * The slow files live in the convert.tar.xz fixture archive, unpacked to
 * <fixtures>/convert/<name>/; the expected outputs are the tokenizer
 * fixtures' own, in <fixtures>/<name>/expected.jsonl.
 */
#include "test.h"
#include "tok_check.h"

#include "base/json.h"
#include "base/files.h"
#include "text/convert.h"
#include "text/spm_model.h"

#include <stdlib.h>

/* tokenizer_config.json of dir, or NULL when it has none. */
static mn_json_doc *read_config(const char *dir)
{
    char *path = mn_path_join(dir, "tokenizer_config.json"), *text = NULL;
    size_t len;
    mn_json_doc *doc = NULL;

    if (path && mn_is_file(path) && mn_read_file(path, 16u << 20, &text, &len) == MNLP_OK)
        CHECK_OK(mn_json_parse(text, len, NULL, &doc));
    mn_free(text);
    mn_free(path);
    return doc;
}

/* Convert dir and load the result; NULL (with a test failure) on error. */
static mnlp_tokenizer *convert_dir(const char *dir)
{
    mn_json_doc *config = read_config(dir);
    mnlp_tokenizer *tok = NULL;
    char *json = NULL;
    size_t len;

    CHECK_OK(mn_tokenizer_convert(dir, config ? mn_json_root(config) : NULL, &json, &len));
    if (json)
        CHECK_OK(mnlp_tokenizer_parse(json, len, "converted tokenizer.json", &tok));
    mn_free(json);
    mn_json_free(config);
    return tok;
}

static void check_converted_except(const char *name, const int *differ, int n_differ)
{
    char dir[4096], expected[4096];
    mnlp_tokenizer *tok;

    snprintf(dir, sizeof dir, "%s/convert/%s", test_tokenizer_fixtures(), name);
    snprintf(expected, sizeof expected, "%s/%s/expected.jsonl", test_tokenizer_fixtures(), name);
    tok = convert_dir(dir);
    if (tok)
        test_check_corpus_except(tok, expected, name, differ, n_differ);
    mnlp_tokenizer_free(tok);
}

static void check_converted(const char *name)
{
    check_converted_except(name, NULL, 0);
}

static void llama_2_from_tokenizer_model(void)
{
    check_converted("llama-2");
}

/*
 * The published ruT5-large tokenizer.json was written by an older converter
 * whose normalizer was Precompiled + Replace(" {2,}" -> " "). transformers
 * 4.47's SpmConverter adds Strip(right) and replaces runs with "\u2581", so
 * whitespace at the end of the text, or before an added token, no longer
 * becomes a lone "\u2581" token. These are exactly the corpus lines where
 * the published file gives such a token; all others must match.
 */
static const int rut5_trailing_space_lines[] = {
    11,  23,  24,  25,  26,  27,  28,  29,  30,  31,  32,  34,  35,  37,  41,  46, 49, 51, 52, 53,
    59,  61,  104, 108, 119, 279, 280, 310, 331, 334, 336, 344, 347, 349, 351, 364, 385, 386, 400,
};

static void rut5_large_from_spiece_model(void)
{
    check_converted_except("ruT5-large", rut5_trailing_space_lines,
                           MN_COUNT(rut5_trailing_space_lines));
}

static void gpt2_from_vocab_json_and_merges(void)
{
    check_converted("gpt2");
}

static void clip_from_vocab_json_and_merges(void)
{
    check_converted("clip-vit-base-patch32");
}

static void bert_base_uncased_from_vocab_txt(void)
{
    check_converted("bert-base-uncased");
}

/* A copy of models/stories260K without its tokenizer.json. */
static const char *stories_slow_copy(void)
{
    static const char *files[] = {"tokenizer.model", "tokenizer_config.json"};
    const char *dir = test_tmpdir();
    char path[4096];

    for (int i = 0; i < 2; i++) {
        char *data = NULL;
        size_t len;

        snprintf(path, sizeof path, "%s/models/stories260K/%s", test_source_dir(), files[i]);
        CHECK_OK(mn_read_file(path, 16u << 20, &data, &len));
        if (data)
            test_write(dir, files[i], data, len);
        mn_free(data);
    }
    return dir;
}

static void stories260k_fast_ids(void)
{
    char path[4096];
    mn_json_doc *cases[256] = {0};
    mnlp_tokenizer *tok = convert_dir(stories_slow_copy());
    int n, bad = 0;

    snprintf(path, sizeof path, "%s/tests/fixtures/stories260K/tokenizer_cases.jsonl",
             test_source_dir());
    n = test_read_jsonl(path, cases, 256);
    CHECK_INT(n, 200);
    for (int i = 0; tok && i < n; i++) {
        const mn_json *c = mn_json_root(cases[i]), *text = mn_json_get(c, "text");
        mnlp_encoding *e = NULL;

        CHECK_OK(mnlp_tokenizer_encode(tok, text->str, text->len, true, &e));
        if (e && !test_same_ints(mn_json_get(c, "fast_ids"), mnlp_encoding_ids(e),
                                 mnlp_encoding_len(e))) {
            test_describe("fast_ids", i + 1, e, c);
            bad++;
        }
        mnlp_encoding_free(e);
    }
    CHECK_INT(bad, 0);
    for (int i = 0; i < 256; i++)
        mn_json_free(cases[i]);
    mnlp_tokenizer_free(tok);
}

static void stories260k_model_fields(void)
{
    char path[4096];
    mn_spm_model *m = NULL;

    snprintf(path, sizeof path, "%s/models/stories260K/tokenizer.model", test_source_dir());
    CHECK_OK(mn_spm_load(path, &m));
    if (!m)
        return;
    CHECK_INT(m->n_pieces, 512);
    CHECK_INT(m->trainer_spec.model_type, MN_SPM_BPE);
    CHECK_INT(m->trainer_spec.vocab_size, 512);
    CHECK_INT(m->trainer_spec.unk_id, 0);
    CHECK_INT(m->trainer_spec.bos_id, 1);
    CHECK_INT(m->trainer_spec.eos_id, 2);
    CHECK_INT(m->trainer_spec.pad_id, -1);
    CHECK(m->trainer_spec.byte_fallback);
    CHECK_STR(m->pieces[0].piece, "<unk>");
    CHECK_INT(m->pieces[0].type, MN_SPM_UNKNOWN);
    CHECK_STR(m->pieces[1].piece, "<s>");
    CHECK_INT(m->pieces[1].type, MN_SPM_CONTROL);
    CHECK_STR(m->pieces[3].piece, "<0x00>");
    CHECK_INT(m->pieces[3].type, MN_SPM_BYTE);
    CHECK_STR(m->normalizer_spec.name, "identity");
    CHECK(m->normalizer_spec.precompiled_charsmap == NULL);
    mn_spm_free(m);
}

/* ---- The protobuf reader on hand-made messages ------------------------------ */

static void spm_reads_fields_and_skips_unknown_ones(void)
{
    static const uint8_t data[] = {
        0x0a, 0x15,                                     /* pieces, 21 bytes */
        0x0a, 0x01, 'a',                                /*   piece "a" */
        0x15, 0x00, 0x00, 0xc0, 0xbf,                   /*   score -1.5 */
        0x18, 0x03,                                     /*   type CONTROL */
        0x38, 0x05,                                     /*   field 7: varint */
        0x49, 1, 2, 3, 4, 5, 6, 7, 8,                   /*   field 9: 64-bit */
        0x12, 0x08,                                     /* trainer_spec, 8 bytes */
        0x18, 0x02,                                     /*   model_type BPE */
        0xc0, 0x02, 0x03,                               /*   unk_id 3 */
        0x98, 0x02, 0x01,                               /*   byte_fallback */
        0x1a, 0x07,                                     /* normalizer_spec, 7 bytes */
        0x12, 0x03, 'x', 'y', 'z',                      /*   precompiled_charsmap */
        0x18, 0x00,                                     /*   add_dummy_prefix false */
        0x62, 0x00,                                     /* field 12: empty bytes */
    };
    mn_spm_model *m = NULL;

    CHECK_OK(mn_spm_parse(data, sizeof data, &m));
    if (!m)
        return;
    CHECK_INT(m->n_pieces, 1);
    CHECK_STR(m->pieces[0].piece, "a");
    CHECK(m->pieces[0].score == -1.5f);
    CHECK_INT(m->pieces[0].type, MN_SPM_CONTROL);
    CHECK_INT(m->trainer_spec.model_type, MN_SPM_BPE);
    CHECK_INT(m->trainer_spec.unk_id, 3);
    CHECK_INT(m->trainer_spec.bos_id, 1);
    CHECK_INT(m->trainer_spec.pad_id, -1);
    CHECK_INT(m->trainer_spec.vocab_size, 8000);
    CHECK(m->trainer_spec.byte_fallback);
    CHECK_STR(m->trainer_spec.unk_piece, "<unk>");
    CHECK_INT(m->normalizer_spec.precompiled_charsmap_len, 3);
    CHECK(!m->normalizer_spec.add_dummy_prefix);
    CHECK(m->normalizer_spec.escape_whitespaces);
    mn_spm_free(m);
}

#define CHECK_SPM_ERR(bytes, needle)                                              \
    do {                                                                          \
        static const uint8_t d_[] = bytes;                                        \
        mn_spm_model *m_ = NULL;                                                  \
        CHECK_ERR(mn_spm_parse(d_, sizeof d_, &m_), MNLP_ERR_FORMAT, needle);     \
        CHECK(m_ == NULL);                                                        \
    } while (0)
#define B(...) {__VA_ARGS__}

static void spm_truncated_input_is_an_error(void)
{
    CHECK_SPM_ERR(B(0x80), "field key: varint at byte 0 is truncated");
    CHECK_SPM_ERR(B(0x0a, 0x80), "pieces: varint at byte 1 is truncated");
    CHECK_SPM_ERR(B(0x0a, 0x03, 0x15, 0x00, 0x00),
                  "pieces[0].score: 4-byte value at byte 3 runs past the end of its message "
                  "(byte 5)");
    CHECK_SPM_ERR(B(0x39, 1, 2, 3), "field 7: 8-byte value at byte 1 runs past the end");
    CHECK_SPM_ERR(B(0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
                  "field 8: varint at byte 1 overflows 64 bits");
}

static void spm_length_past_the_end_is_an_error(void)
{
    CHECK_SPM_ERR(B(0x0a, 0x05, 0x0a, 0x01),
                  "pieces: length 5 at byte 0 runs past the end of its message (byte 4)");
    CHECK_SPM_ERR(B(0x0a, 0x03, 0x0a, 0x05, 'a'),
                  "pieces[0].piece: length 5 at byte 2 runs past the end of its message "
                  "(byte 5)");
    CHECK_SPM_ERR(B(0x12, 0x07, 0xaa, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f),
                  "trainer_spec.field 37: length 4294967295 at byte 2 runs past the end");
}

static void spm_wrong_wire_type_is_an_error(void)
{
    CHECK_SPM_ERR(B(0x10, 0x01),
                  "trainer_spec: wire type 0 (varint), expected 2 (length-delimited), at byte 0");
    CHECK_SPM_ERR(B(0x0a, 0x05, 0x0a, 0x01, 'a', 0x10, 0x01),
                  "pieces[0].score: wire type 0 (varint), expected 5 (32-bit), at byte 5");
    CHECK_SPM_ERR(B(0x33, 0x34), "field 6: unsupported wire type 3 (start group) at byte 0");
    CHECK_SPM_ERR(B(0x0e, 0x00), "pieces: wire type 6 (invalid), expected 2");
    CHECK_SPM_ERR(B(0x3e, 0x00), "field 7: unsupported wire type 6 (invalid) at byte 0");
    CHECK_SPM_ERR(B(0x02, 0x00), "field number 0 at byte 0 is out of range");
}

static void spm_bad_values_are_errors(void)
{
    CHECK_SPM_ERR(B(0x0a, 0x05, 0x0a, 0x01, 'a', 0x18, 0x09),
                  "pieces[0].type: unknown piece type 9 at byte 5");
    CHECK_SPM_ERR(B(0x0a, 0x03, 0x0a, 0x01, 0xff), "pieces[0].piece: invalid UTF-8 at byte 4");
    CHECK_SPM_ERR(B(0x0a, 0x02, 0x18, 0x01), "pieces[0]: empty piece at byte 0");
    CHECK_SPM_ERR(B(0x12, 0x02, 0x18, 0x07), "trainer_spec.model_type: unknown model type 7");
}

static void spm_every_prefix_of_a_model_is_safe(void)
{
    char path[4096], *data = NULL;
    size_t len;
    int ok = 0;

    snprintf(path, sizeof path, "%s/models/stories260K/tokenizer.model", test_source_dir());
    CHECK_OK(mn_read_file(path, 16u << 20, &data, &len));
    /* each cut either ends between two top-level fields or is an error */
    for (size_t n = 0; data && n <= len; n += 1 + n / 64) {
        mn_spm_model *m = NULL;
        uint8_t *copy = mn_malloc(n ? n : 1);

        memcpy(copy, data, n);
        if (mn_spm_parse(copy, n, &m) == MNLP_OK)
            ok++;
        else
            CHECK(m == NULL);
        mn_spm_free(m);
        mn_free(copy);
    }
    CHECK(ok >= 2); /* the empty prefix and the whole file at least */
    mn_free(data);
}

static void unknown_class_without_files_names_what_was_looked_for(void)
{
    const char *dir = test_tmpdir();
    mn_json_doc *config = NULL;
    char *json = NULL;
    size_t len;
    static const char text[] = "{\"tokenizer_class\": \"FooTokenizerFast\"}";

    CHECK_OK(mn_json_parse(text, sizeof text - 1, NULL, &config));
    CHECK_ERR(mn_tokenizer_convert(dir, mn_json_root(config), &json, &len), MNLP_ERR_NOT_FOUND,
              "tokenizer_class \"FooTokenizer\" has no converter and none of vocab.txt, "
              "vocab.json + merges.txt, tokenizer.model, spiece.model is there");
    CHECK(json == NULL);
    mn_json_free(config);
}

static void known_class_without_its_files_is_an_error(void)
{
    const char *dir = test_tmpdir();
    mn_json_doc *config = NULL;
    char *json = NULL;
    size_t len;
    static const char text[] = "{\"tokenizer_class\": \"LlamaTokenizer\"}";

    CHECK_OK(mn_json_parse(text, sizeof text - 1, NULL, &config));
    CHECK_ERR(mn_tokenizer_convert(dir, mn_json_root(config), &json, &len), MNLP_ERR_NOT_FOUND,
              "tokenizer_class LlamaTokenizer needs tokenizer.model");
    mn_json_free(config);
}

/* Tokens of added_tokens_decoder that the vocabulary lacks get the ids after
 * it, in the order of their keys; special tokens the class adds come next. */
static void new_added_tokens_follow_the_vocabulary(void)
{
    static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\n";
    static const char config[] =
        "{\"tokenizer_class\": \"BertTokenizerFast\", \"added_tokens_decoder\": {"
        "\"7\": {\"content\": \"<b>\", \"special\": false, \"normalized\": true},"
        "\"6\": {\"content\": \"<a>\", \"special\": true}}}";
    const char *dir = test_tmpdir();
    mnlp_tokenizer *tok;
    mnlp_encoding *e = NULL;

    test_write(dir, "vocab.txt", vocab, sizeof vocab - 1);
    test_write(dir, "tokenizer_config.json", config, sizeof config - 1);
    tok = convert_dir(dir);
    if (!tok)
        return;
    CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<a>"), 6);
    CHECK_INT(mnlp_tokenizer_token_to_id(tok, "<b>"), 7);
    CHECK_INT(mnlp_tokenizer_token_to_id(tok, "[MASK]"), 8);
    CHECK_INT(mnlp_tokenizer_vocab_size(tok), 9);
    CHECK_OK(mnlp_tokenizer_encode(tok, "Hellos<a>", 9, true, &e));
    if (e) {
        static const int32_t want[] = {2, 4, 5, 6, 3};

        CHECK_INT(mnlp_encoding_len(e), 5);
        for (size_t i = 0; i < 5 && i < mnlp_encoding_len(e); i++)
            CHECK_INT(mnlp_encoding_ids(e)[i], want[i]);
    }
    mnlp_encoding_free(e);
    mnlp_tokenizer_free(tok);
}

TEST_SUITE(convert, T(llama_2_from_tokenizer_model), T(rut5_large_from_spiece_model),
           T(gpt2_from_vocab_json_and_merges), T(clip_from_vocab_json_and_merges),
           T(bert_base_uncased_from_vocab_txt), T(stories260k_fast_ids),
           T(stories260k_model_fields), T(spm_reads_fields_and_skips_unknown_ones),
           T(spm_truncated_input_is_an_error), T(spm_length_past_the_end_is_an_error),
           T(spm_wrong_wire_type_is_an_error), T(spm_bad_values_are_errors),
           T(spm_every_prefix_of_a_model_is_safe),
           T(unknown_class_without_files_names_what_was_looked_for),
           T(known_class_without_its_files_is_an_error),
           T(new_added_tokens_follow_the_vocabulary));

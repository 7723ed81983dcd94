/*
 * text: the tokenizer models (BPE, WordPiece, WordLevel, Unigram). Expected
 * outputs come from the unit tests of the Rust tokenizers library
 * (models/bpe/model.rs, models/unigram/model.rs, ...) and from the bundled
 * stories260K tokenizer's reference cases.
 */
#include "test.h"

#include "base/json.h"
#include "base/files.h"
#include "text/tok.h"

#include <stdlib.h>

/* JSON written with single quotes, to keep the C strings readable. */
static mnlp_status build(const char *json, mn_model **out)
{
    char *text = mn_strdup(json);
    mn_json_doc *doc = NULL;
    mnlp_status rc;

    *out = NULL;
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    rc = mn_json_parse(text, strlen(text), NULL, &doc);
    if (rc == MNLP_OK)
        rc = mn_model_from_json(mn_json_root(doc), out);
    mn_json_free(doc);
    mn_free(text);
    return rc;
}

static mn_model *model(const char *json)
{
    mn_model *m = NULL;

    if (build(json, &m) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "model %s: %s", json, mnlp_last_error());
    return m;
}

/* The tokens of s as "id value start end | ...", or the error message. */
static const char *tokens(const mn_model *m, const char *s)
{
    static char buf[4096];
    mn_tokens t = {0};
    size_t used = 0;

    buf[0] = '\0';
    if (!m)
        return "(no model)";
    if (m->tokenize(m, s, strlen(s), &t) != MNLP_OK) {
        snprintf(buf, sizeof buf, "error: %s", mnlp_last_error());
        mn_tokens_free(&t);
        return buf;
    }
    for (int i = 0; i < t.n && used < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%d %s %zu %zu",
                                 i ? " | " : "", t.items[i].id, t.items[i].value,
                                 t.items[i].start, t.items[i].end);
    mn_tokens_free(&t);
    return buf;
}

static void drop(mn_model *m)
{
    if (m)
        m->free(m);
}

/* ---- BPE -------------------------------------------------------------------- */

#define UNRELATED_VOCAB                                                                    \
    "'vocab': {'u': 0, 'n': 1, 'r': 2, 'e': 3, 'l': 4, 'a': 5, 't': 6, 'd': 7, 're': 8,"  \
    " 'at': 9, 'ed': 10, 'un': 11, 'ated': 12, 'rel': 13, 'related': 14, 'unrelated': 15}," \
    " 'merges': [['r', 'e'], ['a', 't'], ['e', 'd'], ['u', 'n'], ['at', 'ed'], ['re', 'l']," \
    " ['rel', 'ated'], ['un', 'related']]"

/* model.rs test_tokenize_with_and_without_dropout. */
static void bpe_merges_unrelated_without_dropout(void)
{
    mn_model *m = model("{'type': 'BPE', " UNRELATED_VOCAB "}");

    CHECK_STR(tokens(m, "unrelated"), "15 unrelated 0 9");
    drop(m);
    m = model("{'type': 'BPE', 'dropout': 0.0, " UNRELATED_VOCAB "}");
    CHECK_STR(tokens(m, "unrelated"), "15 unrelated 0 9");
    CHECK_STR(tokens(m, ""), "");
    drop(m);
}

static void bpe_dropout_other_than_zero_is_rejected(void)
{
    mn_model *m;

    CHECK_ERR(build("{'type': 'BPE', 'dropout': 0.5, " UNRELATED_VOCAB "}", &m),
              MNLP_ERR_UNSUPPORTED, "dropout: dropout 0.5");
    CHECK_ERR(build("{'type': 'BPE', 'dropout': 1.0, " UNRELATED_VOCAB "}", &m),
              MNLP_ERR_UNSUPPORTED, "dropout");
    CHECK_ERR(build("{'type': 'BPE', 'dropout': 1.5, " UNRELATED_VOCAB "}", &m),
              MNLP_ERR_FORMAT, "between 0 and 1");
    CHECK(m == NULL);
}

/* model.rs test_cache_is_per_bpe_instance. */
static void bpe_results_are_cached_per_model(void)
{
    mn_model *a = model("{'type': 'BPE', 'vocab': {'h': 0, 'e': 1, 'l': 2, 'o': 3, 'he': 4,"
                        " 'hel': 5, 'hell': 6, 'hello': 7}, 'merges': ['h e', 'he l',"
                        " 'hel l', 'hell o']}");
    mn_model *b = model("{'type': 'BPE', 'vocab': {'h': 0, 'e': 1, 'l': 2, 'o': 3},"
                        " 'merges': []}");

    for (int i = 0; i < 2; i++) {
        CHECK_STR(tokens(a, "hello"), "7 hello 0 5");
        CHECK_STR(tokens(b, "hello"), "0 h 0 1 | 1 e 1 2 | 2 l 2 3 | 2 l 3 4 | 3 o 4 5");
    }
    drop(a);
    drop(b);
}

#define ABC_UNK "'unk_token': '<unk>', 'vocab': {'<unk>': 0, 'a': 1, 'b': 2}, 'merges': []"

/* model.rs test_unk_not_fused and test_unk_get_fused. */
static void bpe_unknown_chars_fused_or_not(void)
{
    mn_model *m = model("{'type': 'BPE', " ABC_UNK "}");

    CHECK_STR(tokens(m, "c"), "0 <unk> 0 1");
    CHECK_STR(tokens(m, "cc"), "0 <unk> 0 1 | 0 <unk> 1 2");
    CHECK_STR(tokens(m, "accb"), "1 a 0 1 | 0 <unk> 1 2 | 0 <unk> 2 3 | 2 b 3 4");
    drop(m);
    m = model("{'type': 'BPE', 'fuse_unk': true, " ABC_UNK "}");
    CHECK_STR(tokens(m, "c"), "0 <unk> 0 1");
    CHECK_STR(tokens(m, "cc"), "0 <unk> 0 2");
    CHECK_STR(tokens(m, "accb"), "1 a 0 1 | 0 <unk> 1 3 | 2 b 3 4");
    drop(m);
}

/* Offsets add up the lengths of the symbols kept (Word::get_offsets_iter),
 * so dropped characters shift the later ones, as in tokenizers. */
static void bpe_unknown_chars_without_unk_token_are_dropped(void)
{
    mn_model *m = model("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1}, 'merges': []}");

    CHECK_STR(tokens(m, "xaéb"), "0 a 0 1 | 1 b 1 2");
    drop(m);
    m = model("{'type': 'BPE', 'unk_token': '<unk>', 'vocab': {'a': 0}, 'merges': []}");
    CHECK_STR(tokens(m, "a"), "0 a 0 1");
    CHECK(strstr(tokens(m, "b"), "error: BPE unk_token \"<unk>\" is not in the vocab"));
    drop(m);
}

/* model.rs test_bpe_byte_fallback and test_bpe_byte_fallback_newline. */
static void bpe_byte_fallback_for_unknown_char(void)
{
    mn_model *m = model("{'type': 'BPE', 'unk_token': '<unk>', 'byte_fallback': true,"
                        " 'vocab': {'<unk>': 0, '<0x61>': 1, '<0x0A>': 2}, 'merges': []}");

    CHECK_STR(tokens(m, "c"), "0 <unk> 0 1");
    CHECK_STR(tokens(m, "a"), "1 <0x61> 0 1");
    CHECK_STR(tokens(m, "\n"), "2 <0x0A> 0 1");
    drop(m);
}

/* Every byte of a multi-byte character gets its own token, or none does. */
static void bpe_byte_fallback_covers_all_bytes_or_none(void)
{
    mn_model *m = model("{'type': 'BPE', 'unk_token': '<unk>', 'byte_fallback': true,"
                        " 'vocab': {'<unk>': 0, '<0xC3>': 1, '<0xA9>': 2, '<0xA8>': 3,"
                        " 'x': 4}, 'merges': []}");

    CHECK_STR(tokens(m, "é"), "1 <0xC3> 0 1 | 2 <0xA9> 1 2");
    CHECK_STR(tokens(m, "xè"), "4 x 0 1 | 1 <0xC3> 1 2 | 3 <0xA8> 2 3");
    CHECK_STR(tokens(m, "ê"), "0 <unk> 0 2");
    drop(m);
}

/* merge_word keeps a pending unknown token back while byte tokens are
 * added, so it lands after them (the offsets follow the token order). */
static void bpe_pending_unk_follows_byte_tokens(void)
{
    mn_model *m = model("{'type': 'BPE', 'unk_token': '<unk>', 'byte_fallback': true,"
                        " 'fuse_unk': true, 'vocab': {'<unk>': 0, '<0x62>': 1, 'a': 2},"
                        " 'merges': []}");

    CHECK_STR(tokens(m, "xxba"), "1 <0x62> 0 1 | 0 <unk> 1 3 | 2 a 3 4");
    drop(m);
}

/* model.rs test_ignore_merges. */
static void bpe_ignore_merges_takes_whole_words(void)
{
    static const char *vocab =
        "'vocab': {'.:.:': 0, 'Ġbelirtilen': 1, '.': 2, ':': 3, 'bel': 4, 'irtilen': 5,"
        " 'Ġ': 6, '.:': 7, 'belirtilen': 8, '.:.': 9, 'be': 10, 'l': 11, 'ir': 12, 'ti': 13,"
        " 'en': 14, 'irtil': 15, 'irti': 16, 'i': 17, 'r': 18, 't': 19, 'b': 20, 'e': 21,"
        " 'n': 22}, 'merges': [['.', ':'], ['b', 'e'], ['be', 'l'], ['i', 'r'], ['t', 'i'],"
        " ['ir', 'ti'], ['e', 'n'], ['irti', 'l']]}";
    char json[1024];
    mn_model *m;

    snprintf(json, sizeof json, "{'type': 'BPE', 'ignore_merges': true, %s", vocab);
    m = model(json);
    CHECK_STR(tokens(m, ".:.:"), "0 .:.: 0 4");
    CHECK_STR(tokens(m, "Ġbelirtilen"), "1 Ġbelirtilen 0 12");
    drop(m);
    snprintf(json, sizeof json, "{'type': 'BPE', 'ignore_merges': false, %s", vocab);
    m = model(json);
    CHECK_STR(tokens(m, ".:.:"), "7 .: 0 2 | 7 .: 2 4");
    CHECK_STR(tokens(m, "Ġbelirtilen"), "6 Ġ 0 2 | 4 bel 2 5 | 15 irtil 5 10 | 14 en 10 12");
    drop(m);
}

/* model.rs test_bpe_with_continuing_subword_prefix. */
static void bpe_continuing_subword_prefix(void)
{
    mn_model *m = model("{'type': 'BPE', 'unk_token': '[UNK]', 'continuing_subword_prefix':"
                        " '##', 'vocab': {'a': 0, '##b': 1, '##c': 2, 'ab': 3, 'abc': 4},"
                        " 'merges': [['a', '##b'], ['ab', '##c']]}");

    CHECK_STR(tokens(m, "ab"), "3 ab 0 2");
    CHECK_STR(tokens(m, "abc"), "4 abc 0 3");
    CHECK_STR(tokens(m, "acb"), "0 a 0 1 | 2 ##c 1 2 | 1 ##b 2 3");
    drop(m);
}

/* CLIP marks the last symbol of a word with "</w>". */
static void bpe_end_of_word_suffix(void)
{
    mn_model *m = model("{'type': 'BPE', 'continuing_subword_prefix': '', 'end_of_word_suffix':"
                        " '</w>', 'vocab': {'a': 0, 'b': 1, 'b</w>': 2, 'ab</w>': 3, 'a</w>': 4},"
                        " 'merges': ['a b</w>']}");

    CHECK_STR(tokens(m, "ab"), "3 ab</w> 0 2");
    CHECK_STR(tokens(m, "ba"), "1 b 0 1 | 4 a</w> 1 2");
    drop(m);
}

/* Merges apply lowest rank first, and leftmost among equal ranks. */
static void bpe_merges_apply_by_rank_then_position(void)
{
    mn_model *m = model("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1, 'ab': 2, 'ba': 3, 'aa': 4,"
                        " 'aaa': 5}, 'merges': ['b a', 'a b', 'a a', 'aa a']}");

    CHECK_STR(tokens(m, "aba"), "0 a 0 1 | 3 ba 1 3");
    CHECK_STR(tokens(m, "abab"), "0 a 0 1 | 3 ba 1 3 | 1 b 3 4");
    CHECK_STR(tokens(m, "aaaa"), "4 aa 0 2 | 4 aa 2 4");
    CHECK_STR(tokens(m, "aaa"), "5 aaa 0 3");
    drop(m);
}

/*
 * Long SentencePiece pieces are merged word by word, which must give what
 * merging the whole piece gives: no cut where a token (">▁<" here, like
 * Gemma's ">▁</") or a byte-fallback merge ("<0xA9>▁") spans a "▁".
 */
static void bpe_long_pieces_split_only_where_no_token_spans(void)
{
    mn_model *m = model("{'type': 'BPE', 'byte_fallback': true, 'vocab': {'▁': 0, 'a': 1,"
                        " '>': 2, '<': 3, '▁a': 4, '>▁': 5, '>▁<': 6,"
                        " '<0xC3>': 7, '<0xA9>': 8,"
                        " '<0xA9>▁': 9}, 'merges': [['▁', 'a'], ['>', '▁'], ['>▁', '<'],"
                        " ['<0xA9>', '▁']]}");
    char text[256] = "", expect[2048] = "";

    for (int i = 0, at = 0; i < 8; i++, at += 9) {
        strcat(text, "▁a>▁<");
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect),
                 "%s4 ▁a %d %d | 6 >▁< %d %d", i ? " | " : "", at, at + 4, at + 4, at + 9);
    }
    CHECK_STR(tokens(m, text), expect);
    text[0] = expect[0] = '\0';
    for (int i = 0, at = 0; i < 8; i++, at += 5) {
        strcat(text, "é▁");
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect),
                 "%s7 <0xC3> %d %d | 9 <0xA9>▁ %d %d", i ? " | " : "", at, at + 1, at + 1,
                 at + 5);
    }
    CHECK_STR(tokens(m, text), expect);
    drop(m);
}

/* serialization.rs: merges as "a b" strings ("#version" lines skipped), or
 * as pairs, which allow spaces inside tokens. */
static void bpe_reads_both_merge_formats(void)
{
    mn_model *m = model("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1, 'c': 2, 'ab': 3},"
                        " 'merges': ['#version: 0.2', 'a b']}");

    CHECK_STR(tokens(m, "abc"), "3 ab 0 2 | 2 c 2 3");
    drop(m);
    m = model("{'type': 'BPE', 'unk_token': '<unk>', 'ignore_merges': true, 'vocab':"
              " {'<unk>': 0, 'a': 1, 'b c d': 2, 'ab c d': 3}, 'merges': [['a', 'b c d']]}");
    CHECK_STR(tokens(m, "ab c d"), "3 ab c d 0 6");
    drop(m);
}

static void bpe_bad_merges_name_their_path(void)
{
    mn_model *m;

    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1, 'ab': 2}, 'merges': ['a b', 'c']}",
                    &m),
              MNLP_ERR_FORMAT, "merges[1]: merge is not two tokens split by a space");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1, 'ab': 2}, 'merges': ['a b c']}",
                    &m),
              MNLP_ERR_FORMAT, "merges[0]");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1, 'ab': 2}, 'merges': ['a b', 'a d']}",
                    &m),
              MNLP_ERR_FORMAT, "merges[1]: token \"d\" is not in the vocab");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1}, 'merges': [['a', 'b']]}", &m),
              MNLP_ERR_FORMAT, "merges[0]: merged token \"ab\" is not in the vocab");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': 0, 'aa': 1}, 'merges': [['a', 'a'], 'a a']}",
                    &m),
              MNLP_ERR_FORMAT, "merges[1]: merge is not a pair of strings");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': 0}}", &m), MNLP_ERR_FORMAT,
              "needs \"vocab\" and \"merges\"");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': -1}, 'merges': []}", &m), MNLP_ERR_FORMAT,
              "vocab.a: token id is not an unsigned integer");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {'a': 1.5}, 'merges': []}", &m), MNLP_ERR_FORMAT,
              "vocab.a");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': ['a'], 'merges': []}", &m), MNLP_ERR_FORMAT,
              "vocab: is array, expected object");
    CHECK_ERR(build("{'type': 'BPE', 'vocab': {}, 'merges': [], 'fuse_unk': 1}", &m),
              MNLP_ERR_FORMAT, "fuse_unk: is number, expected bool");
    CHECK(m == NULL);
}

static void bpe_vocab_lookups_both_ways(void)
{
    mn_model *m = model("{'type': 'BPE', 'vocab': {'a': 0, 'b': 1, 'ab': 5, 'b': 2},"
                        " 'merges': ['a b']}");

    CHECK_INT(m->vocab_size(m), 3);
    CHECK_INT(m->token_to_id(m, "ab", 2), 5);
    CHECK_INT(m->token_to_id(m, "b", 1), 2);
    CHECK_INT(m->token_to_id(m, "c", 1), -1);
    CHECK_STR(m->id_to_token(m, 5), "ab");
    CHECK_STR(m->id_to_token(m, 2), "b");
    CHECK(m->id_to_token(m, 1) == NULL);
    CHECK(m->id_to_token(m, 3) == NULL);
    CHECK(m->id_to_token(m, 6) == NULL);
    CHECK(m->id_to_token(m, -1) == NULL);
    drop(m);
}

/* Long words leave the stack buffers and the cache's length limit. */
static void bpe_long_words(void)
{
    mn_model *m = model("{'type': 'BPE', 'vocab': {'a': 0, 'aa': 1, 'aaaa': 2},"
                        " 'merges': ['a a', 'aa aa']}");
    char word[1001], expect[64];
    mn_tokens t = {0};

    memset(word, 'a', 1000);
    word[1000] = '\0';
    CHECK_OK(m->tokenize(m, word, 1000, &t));
    CHECK_INT(t.n, 250);
    snprintf(expect, sizeof expect, "%d %zu %zu", t.items[249].id, t.items[249].start,
             t.items[249].end);
    CHECK_STR(expect, "2 996 1000");
    mn_tokens_free(&t);
    CHECK_STR(tokens(m, "aaaaaaa"), "2 aaaa 0 4 | 1 aa 4 6 | 0 a 6 7");
    drop(m);
}

/* ---- Dispatch --------------------------------------------------------------- */

static void models_without_type_are_recognised(void)
{
    mn_model *m = model("{'dropout': null, 'unk_token': null, 'continuing_subword_prefix': '',"
                        " 'end_of_word_suffix': '', 'fuse_unk': false,"
                        " 'vocab': {'a': 0, 'b': 1, 'ab': 2}, 'merges': ['a b']}");

    CHECK_STR(tokens(m, "ab"), "2 ab 0 2");
    drop(m);
    m = model("{'unk_token': '[UNK]', 'continuing_subword_prefix': '##',"
              " 'max_input_chars_per_word': 100, 'vocab': {'[UNK]': 0, 'a': 1, '##b': 2}}");
    CHECK_STR(tokens(m, "ab"), "1 a 0 1 | 2 ##b 1 2");
    drop(m);
    m = model("{'unk_token': '<unk>', 'vocab': {'<unk>': 0, 'ab': 1}}");
    CHECK_STR(tokens(m, "ab"), "1 ab 0 2");
    drop(m);
    m = model("{'unk_id': 0, 'vocab': [['<unk>', 0.0], ['ab', -1.0]]}");
    CHECK_STR(tokens(m, "ab"), "1 ab 0 2");
    drop(m);
}

static void unknown_model_type_is_unsupported(void)
{
    mn_model *m;

    CHECK_ERR(build("{'type': 'Sentencepiece', 'vocab': {}}", &m), MNLP_ERR_UNSUPPORTED,
              "type: unknown model type \"Sentencepiece\"");
    CHECK_ERR(build("{'type': 3}", &m), MNLP_ERR_FORMAT, "type: is number, expected string");
    CHECK_ERR(build("[]", &m), MNLP_ERR_FORMAT, "is array, expected object");
    CHECK(m == NULL);
}

/* ---- WordPiece and WordLevel ------------------------------------------------ */

#define WP_VOCAB                                                                           \
    "'vocab': {'[UNK]': 0, 'un': 1, '##aff': 2, '##able': 3, 'a': 4, '##ff': 5, 'é': 6,"   \
    " '##é': 7, 'unaff': 8}"

static void wordpiece_greedy_longest_match_first(void)
{
    mn_model *m = model("{'type': 'WordPiece', 'unk_token': '[UNK]',"
                        " 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, "
                        WP_VOCAB "}");

    CHECK_STR(tokens(m, "unaffable"), "8 unaff 0 5 | 3 ##able 5 9");
    CHECK_STR(tokens(m, "aff"), "4 a 0 1 | 5 ##ff 1 3");
    CHECK_STR(tokens(m, "éé"), "6 é 0 2 | 7 ##é 2 4");
    CHECK_STR(tokens(m, "unx"), "0 [UNK] 0 3");
    CHECK_STR(tokens(m, "xa"), "0 [UNK] 0 2");
    CHECK_STR(tokens(m, ""), "");
    CHECK_INT(m->vocab_size(m), 9);
    CHECK_STR(m->id_to_token(m, 3), "##able");
    CHECK_INT(m->token_to_id(m, "##ff", 4), 5);
    drop(m);
}

static void wordpiece_long_words_become_unk(void)
{
    mn_model *m = model("{'type': 'WordPiece', 'unk_token': '[UNK]',"
                        " 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 2, "
                        WP_VOCAB "}");

    CHECK_STR(tokens(m, "éé"), "6 é 0 2 | 7 ##é 2 4");
    CHECK_STR(tokens(m, "unx"), "0 [UNK] 0 3");
    CHECK_STR(tokens(m, "aaa"), "0 [UNK] 0 3");
    drop(m);
}

static void wordpiece_requires_its_fields(void)
{
    mn_model *m;

    /* wordpiece/serialization.rs deserialization_should_fail. */
    CHECK_ERR(build("{'type': 'WordPiece', 'continuing_subword_prefix': '##',"
                    " 'max_input_chars_per_word': 100, 'vocab': {}}",
                    &m),
              MNLP_ERR_FORMAT, "missing \"unk_token\"");
    CHECK_ERR(build("{'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix':"
                    " '##', 'vocab': {}}",
                    &m),
              MNLP_ERR_FORMAT, "missing \"max_input_chars_per_word\"");
    CHECK_ERR(build("{'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix':"
                    " null, 'max_input_chars_per_word': 100, 'vocab': {}}",
                    &m),
              MNLP_ERR_FORMAT, "continuing_subword_prefix: is null, expected string");
    CHECK(m == NULL);
    m = model("{'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',"
              " 'max_input_chars_per_word': 100, 'vocab': {'a': 0}}");
    CHECK(strstr(tokens(m, "b"), "error: WordPiece unk_token \"[UNK]\" is not in the vocab"));
    drop(m);
}

/* wordlevel/mod.rs test_tokenize_unk and test_tokenize_missing_unk_token. */
static void wordlevel_whole_pieces_or_unk(void)
{
    mn_model *m = model("{'type': 'WordLevel', 'unk_token': '<unk>',"
                        " 'vocab': {'<unk>': 0, 'a': 1, 'b': 2}}");

    CHECK_STR(tokens(m, "c"), "0 <unk> 0 1");
    CHECK_STR(tokens(m, "a"), "1 a 0 1");
    CHECK_STR(tokens(m, "ab"), "0 <unk> 0 2");
    CHECK_INT(m->vocab_size(m), 3);
    CHECK_STR(m->id_to_token(m, 2), "b");
    drop(m);
    m = model("{'type': 'WordLevel', 'unk_token': '<unk>', 'vocab': {'a': 0, 'b': 1}}");
    CHECK_STR(tokens(m, "a"), "0 a 0 1");
    CHECK(strstr(tokens(m, "c"), "error: WordLevel unk_token"));
    drop(m);
    CHECK_ERR(build("{'type': 'WordLevel', 'vocab': {}}", &m), MNLP_ERR_FORMAT,
              "missing \"unk_token\"");
}

/* ---- Unigram ---------------------------------------------------------------- */

/* model.rs test_encode. */
static void unigram_viterbi_picks_the_best_path(void)
{
    mn_model *m = model("{'type': 'Unigram', 'unk_id': 0, 'vocab': [['<unk>', 0.0], ['a', 0.0],"
                        " ['b', 0.0], ['c', 0.0], ['d', 0.0], ['cd', 1.0], ['ab', 2.0],"
                        " ['abc', 5.0], ['abcd', 10.0]]}");

    CHECK_STR(tokens(m, "abcd"), "8 abcd 0 4");
    /* The doc example of Unigram::encode. */
    CHECK_STR(tokens(m, "abcdacdxx"), "8 abcd 0 4 | 1 a 4 5 | 5 cd 5 7 | 0 xx 7 9");
    drop(m);
}

/* model.rs test_encode2 (fuse_unk is always on when loaded from JSON). */
static void unigram_fuses_unknown_runs(void)
{
    mn_model *m = model(
        "{'type': 'Unigram', 'unk_id': 0, 'vocab': [['<unk>', 0.0], ['ab', 0.0], ['cd', -0.1],"
        " ['abc', -0.2], ['a', -0.3], ['b', -0.4], ['c', -0.5], ['ABC', -0.5],"
        " ['abcdabcd', 20.0], ['q', 20.5], ['r', 20.5], ['qr', -0.5]]}");

    CHECK_STR(tokens(m, "abc"), "3 abc 0 3");
    CHECK_STR(tokens(m, "AB"), "0 AB 0 2");
    CHECK_STR(tokens(m, "abcd"), "1 ab 0 2 | 2 cd 2 4");
    CHECK_STR(tokens(m, "abcc"), "3 abc 0 3 | 6 c 3 4");
    CHECK_STR(tokens(m, "xabcabaabcdd"),
              "0 x 0 1 | 3 abc 1 4 | 1 ab 4 6 | 4 a 6 7 | 1 ab 7 9 | 2 cd 9 11 | 0 d 11 12");
    CHECK_STR(tokens(m, "xyz東京"), "0 xyz東京 0 9");
    CHECK_STR(tokens(m, "ABC"), "7 ABC 0 3");
    CHECK_STR(tokens(m, "abABCcd"), "1 ab 0 2 | 7 ABC 2 5 | 2 cd 5 7");
    CHECK_STR(tokens(m, "ababcdabcdcd"), "1 ab 0 2 | 8 abcdabcd 2 10 | 2 cd 10 12");
    CHECK_STR(tokens(m, "abqrcd"), "1 ab 0 2 | 9 q 2 3 | 10 r 3 4 | 2 cd 4 6");
    CHECK_STR(tokens(m, ""), "");
    drop(m);
}

/* model.rs test_unigram_bytefallback. */
static void unigram_byte_fallback(void)
{
    mn_model *m = model("{'type': 'Unigram', 'unk_id': 0, 'byte_fallback': true,"
                        " 'vocab': [['<unk>', 0.0], ['<0xC3>', -0.01], ['<0xA9>', -0.03]]}");

    CHECK_STR(tokens(m, "é"), "1 <0xC3> 0 2 | 2 <0xA9> 0 2");
    CHECK_STR(tokens(m, "?é"), "0 ?é 0 3");
    drop(m);
}

static void unigram_vocab_and_unk_id(void)
{
    mn_model *m = model("{'type': 'Unigram', 'unk_id': 1, 'vocab': [['a', -0.5], ['<unk>', 0.0],"
                        " ['a', -2.0]]}");

    CHECK_INT(m->vocab_size(m), 3);
    CHECK_INT(m->token_to_id(m, "a", 1), 2);
    CHECK_STR(m->id_to_token(m, 0), "a");
    CHECK_STR(m->id_to_token(m, 1), "<unk>");
    CHECK(m->id_to_token(m, 3) == NULL);
    /* A repeated piece takes its last id and score. */
    CHECK_STR(tokens(m, "ab"), "2 a 0 1 | 1 b 1 2");
    drop(m);

    /* serialization.rs test_serialization_no_unk_id. */
    m = model("{'type': 'Unigram', 'unk_id': null, 'vocab': [['a', -0.5]]}");
    CHECK_STR(tokens(m, "aa"), "0 a 0 1 | 0 a 1 2");
    CHECK(strstr(tokens(m, "ab"), "error: Unigram met an unknown character"));
    drop(m);

    CHECK_ERR(build("{'type': 'Unigram', 'unk_id': 1, 'vocab': [['a', -0.5]]}", &m),
              MNLP_ERR_FORMAT, "unk_id: unk_id 1 is not below the vocab size 1");
    CHECK_ERR(build("{'type': 'Unigram', 'unk_id': 0, 'vocab': []}", &m), MNLP_ERR_FORMAT,
              "the vocab is empty");
    CHECK_ERR(build("{'type': 'Unigram', 'vocab': [['a', -0.5], ['b']]}", &m), MNLP_ERR_FORMAT,
              "vocab[1]: is not a [piece, score] pair");
    CHECK_ERR(build("{'type': 'Unigram', 'vocab': [['a', 'x']]}", &m), MNLP_ERR_FORMAT,
              "vocab[0]");
    CHECK_ERR(build("{'type': 'Unigram', 'unk_id': 0}", &m), MNLP_ERR_FORMAT,
              "missing \"vocab\"");
    CHECK_ERR(build("{'type': 'Unigram', 'byte_fallback': null, 'vocab': []}", &m),
              MNLP_ERR_FORMAT, "byte_fallback: is null, expected bool");
    CHECK(m == NULL);
}

/* With scores above 20, two unknown characters (min - 10 each) beat one
 * piece; a fused run that spells a known piece then takes its id. */
static void unigram_fused_run_is_looked_up(void)
{
    mn_model *m = model("{'type': 'Unigram', 'unk_id': 0, 'vocab': [['<unk>', 30.0],"
                        " ['b', 30.0], ['xy', 30.0]]}");

    CHECK_STR(tokens(m, "xyb"), "2 xy 0 2 | 1 b 2 3");
    CHECK_STR(tokens(m, "<unk>b"), "0 <unk> 0 5 | 1 b 5 6");
    drop(m);
}

/* ---- A real tokenizer.json -------------------------------------------------- */

static mn_json_doc *read_json(const char *rel)
{
    char path[4096], *text = NULL;
    size_t size = 0;
    mn_json_doc *doc = NULL;

    snprintf(path, sizeof path, "%s/%s", test_source_dir(), rel);
    CHECK_OK(mn_read_file(path, 64 << 20, &text, &size));
    if (text)
        CHECK_OK(mn_json_parse(text, size, NULL, &doc));
    mn_free(text);
    return doc;
}

static const char *ids(const mn_model *m, const char *s)
{
    static char buf[4096];
    mn_tokens t = {0};
    size_t used = 0;

    buf[0] = '\0';
    if (m->tokenize(m, s, strlen(s), &t) != MNLP_OK)
        snprintf(buf, sizeof buf, "error: %s", mnlp_last_error());
    for (int i = 0; i < t.n && used < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%d", i ? " " : "",
                                 t.items[i].id);
    mn_tokens_free(&t);
    return buf;
}

/*
 * stories260K is a SentencePiece BPE with byte_fallback; its normalizer
 * prepends "▁" and replaces spaces by "▁", and it has no pre-tokenizer, so
 * the model sees the normalized text whole. Ids from tokenizer_cases.jsonl
 * (without the leading <s>).
 */
static void stories260k_bpe_matches_reference_ids(void)
{
    mn_json_doc *doc = read_json("models/stories260K/tokenizer.json");
    mn_model *m = NULL;

    if (!doc)
        return;
    CHECK_OK(mn_model_from_json(mn_json_get(mn_json_root(doc), "model"), &m));
    mn_json_free(doc);
    if (!m)
        return;
    CHECK_INT(m->vocab_size(m), 512);
    CHECK_STR(ids(m, "▁played"), "349 264");
    CHECK_STR(ids(m, "▁café"), "319 478 198 172");
    /* The case is "e" + U+0301 (decomposed), the combining mark as bytes. */
    CHECK_STR(ids(m, "▁e\xcc\x81"), "325 207 132");
    CHECK_STR(ids(m, "▁é"), "456 198 172");
    CHECK_STR(ids(m, "▁Once▁upon▁a▁time"), "333 377 392 296 261 454");
    CHECK_STR(ids(m, "▁😀😀"), "456 243 162 155 131 243 162 155 131");
    CHECK_STR(ids(m, "▁中文字符"), "456 231 187 176 233 153 138 232 176 154 234 175 169");
    CHECK_STR(ids(m, "▁Hello\nworld"), "362 298 460 13 470 307 339");
    CHECK_STR(ids(m, "▁x\r\ny"), "456 492 16 13 469");
    CHECK_STR(tokens(m, "▁é"), "456 ▁ 0 3 | 198 <0xC3> 3 4 | 172 <0xA9> 4 5");
    CHECK_STR(m->id_to_token(m, 13), "<0x0A>");
    CHECK_INT(m->token_to_id(m, "<unk>", 5), 0);
    m->free(m);
}

/* Every case of tokenizer_cases.jsonl without special-token text. */
static void stories260k_all_plain_cases(void)
{
    char path[4096], *text = NULL, *line, *save = NULL;
    size_t size = 0;
    mn_json_doc *tj = read_json("models/stories260K/tokenizer.json");
    mn_model *m = NULL;
    int checked = 0;

    if (!tj)
        return;
    CHECK_OK(mn_model_from_json(mn_json_get(mn_json_root(tj), "model"), &m));
    mn_json_free(tj);
    snprintf(path, sizeof path, "%s/tests/fixtures/stories260K/tokenizer_cases.jsonl",
             test_source_dir());
    CHECK_OK(mn_read_file(path, 16 << 20, &text, &size));
    for (line = text ? strtok_r(text, "\n", &save) : NULL; line && m;
         line = strtok_r(NULL, "\n", &save)) {
        mn_json_doc *doc = NULL;
        const mn_json *c, *t, *expect;
        mn_sb piece = {0};
        mn_tokens toks = {0};

        CHECK_OK(mn_json_parse(line, strlen(line), NULL, &doc));
        c = mn_json_root(doc);
        t = mn_json_get(c, "text");
        expect = mn_json_get(c, "fast_ids");
        if (t->len > 0 && !strstr(t->str, "<s>") && !strstr(t->str, "</s>") &&
            !strstr(t->str, "<unk>")) {
            mn_sb_puts(&piece, "▁");
            for (size_t i = 0; i < t->len; i++)
                mn_sb_append(&piece, t->str[i] == ' ' ? "▁" : &t->str[i],
                             t->str[i] == ' ' ? strlen("▁") : 1);
            CHECK_OK(m->tokenize(m, piece.data, piece.len, &toks));
            CHECK_INT(toks.n, (int)expect->len - 1);
            for (int i = 0; i < toks.n && i + 1 < (int)expect->len; i++)
                if (toks.items[i].id != expect->items[i + 1].integer)
                    test_fail(__FILE__, __LINE__, "%s: token %d is %d, expected %lld", t->str,
                              i, toks.items[i].id, (long long)expect->items[i + 1].integer);
            checked++;
        }
        mn_tokens_free(&toks);
        mn_sb_free(&piece);
        mn_json_free(doc);
    }
    CHECK(checked > 150);
    mn_free(text);
    if (m)
        m->free(m);
}

TEST_SUITE(tok_models, T(bpe_merges_unrelated_without_dropout),
           T(bpe_dropout_other_than_zero_is_rejected), T(bpe_results_are_cached_per_model),
           T(bpe_unknown_chars_fused_or_not), T(bpe_unknown_chars_without_unk_token_are_dropped),
           T(bpe_byte_fallback_for_unknown_char), T(bpe_byte_fallback_covers_all_bytes_or_none),
           T(bpe_pending_unk_follows_byte_tokens), T(bpe_ignore_merges_takes_whole_words),
           T(bpe_continuing_subword_prefix), T(bpe_end_of_word_suffix),
           T(bpe_merges_apply_by_rank_then_position),
           T(bpe_long_pieces_split_only_where_no_token_spans), T(bpe_reads_both_merge_formats),
           T(bpe_bad_merges_name_their_path), T(bpe_vocab_lookups_both_ways), T(bpe_long_words),
           T(models_without_type_are_recognised), T(unknown_model_type_is_unsupported),
           T(wordpiece_greedy_longest_match_first), T(wordpiece_long_words_become_unk),
           T(wordpiece_requires_its_fields), T(wordlevel_whole_pieces_or_unk),
           T(unigram_viterbi_picks_the_best_path), T(unigram_fuses_unknown_runs),
           T(unigram_byte_fallback), T(unigram_vocab_and_unk_id),
           T(unigram_fused_run_is_looked_up), T(stories260k_bpe_matches_reference_ids),
           T(stories260k_all_plain_cases));

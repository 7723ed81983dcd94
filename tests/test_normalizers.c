/*
 * text: normalizers. Expected texts and alignments come from tokenizers'
 * own unit tests (normalizer.rs, the normalizers directory, the Python binding's
 * test_normalizers.py), spm_precompiled's tests (whose nmt_nfkc.bin is
 * byte-identical to ruT5-large's charsmap), and from token offsets in
 * the fixture tokenizers' expected.jsonl, quoted here.
 */
#include "test.h"

#include "base/json.h"
#include "base/files.h"
#include "text/normalizers.h"

#include <stdlib.h>

/* ---- Helpers --------------------------------------------------------------- */

static mn_normalizer *build(const char *json)
{
    mn_json_doc *doc = NULL;
    mn_normalizer *n = NULL;

    if (mn_json_parse(json, strlen(json), NULL, &doc) != MNLP_OK) {
        test_fail(__FILE__, __LINE__, "parse %s: %s", json, mnlp_last_error());
        return NULL;
    }
    if (mn_normalizer_from_json(mn_json_root(doc), &n) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "build %s: %s", json, mnlp_last_error());
    mn_json_free(doc);
    return n;
}

/* Normalize input with norm into *out (freed by the caller); false on failure. */
static bool run(mn_normalizer *norm, const char *input, mn_nstr *out)
{
    memset(out, 0, sizeof *out);
    if (!norm)
        return false;
    CHECK_OK(mn_nstr_init(out, input, strlen(input), 0));
    if (norm->normalize(norm, out) != MNLP_OK) {
        test_fail(__FILE__, __LINE__, "normalize \"%s\": %s", input, mnlp_last_error());
        return false;
    }
    return true;
}

/* The normalized text of input, in a static buffer. */
static const char *normalize(const char *json, const char *input)
{
    static char buf[4096];
    mn_normalizer *norm = build(json);
    mn_nstr n;

    buf[0] = '\0';
    if (run(norm, input, &n))
        snprintf(buf, sizeof buf, "%s", n.s);
    mn_nstr_free(&n);
    if (norm)
        norm->free(norm);
    return buf;
}

typedef struct span {
    uint32_t start, end;
} span;

/* Every byte's span equals tokenizers' NormalizedString::alignments. */
static void check_aligns(const mn_nstr *n, const span *want, size_t count, int line)
{
    if (n->len != count) {
        test_fail(__FILE__, line, "%zu normalized bytes, expected %zu", n->len, count);
        return;
    }
    for (size_t i = 0; i < count; i++)
        if (n->align[2 * i] != want[i].start || n->align[2 * i + 1] != want[i].end) {
            test_fail(__FILE__, line, "byte %zu spans (%u, %u), expected (%u, %u)", i,
                      n->align[2 * i], n->align[2 * i + 1], want[i].start, want[i].end);
            return;
        }
}

#define CHECK_ALIGNS(n, ...)                                                       \
    do {                                                                           \
        static const span want_[] = {__VA_ARGS__};                                 \
        check_aligns(n, want_, sizeof want_ / sizeof want_[0], __LINE__);          \
    } while (0)

/* A token of a fixture: its text in the normalized string and its offsets
 * (in characters of the original), as expected.jsonl has them. */
typedef struct piece {
    const char *text;
    int start, end;
} piece;

static int chars_before(const char *s, uint32_t byte)
{
    int k = 0;

    for (uint32_t i = 0; i < byte; i++)
        k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

/* The pieces follow each other in n (spaces between them skipped when
 * skip_spaces, as a whitespace pre-tokenizer drops them) and map back to
 * their offsets. */
static void check_pieces(const mn_nstr *n, const char *original, const piece *p, size_t count,
                         bool skip_spaces, int line)
{
    size_t pos = 0;

    for (size_t k = 0; k < count; k++) {
        size_t len = strlen(p[k].text);
        uint32_t os, oe;

        while (skip_spaces && pos < n->len && n->s[pos] == ' ')
            pos++;
        if (pos + len > n->len || memcmp(n->s + pos, p[k].text, len) != 0) {
            test_fail(__FILE__, line, "piece %zu \"%s\" not at byte %zu of \"%s\"", k,
                      p[k].text, pos, n->s);
            return;
        }
        mn_nstr_orig_span(n, pos, pos + len, &os, &oe);
        if (chars_before(original, os) != p[k].start || chars_before(original, oe) != p[k].end)
            test_fail(__FILE__, line, "piece %zu \"%s\" at (%d, %d), expected (%d, %d)", k,
                      p[k].text, chars_before(original, os), chars_before(original, oe),
                      p[k].start, p[k].end);
        pos += len;
    }
    while (skip_spaces && pos < n->len && n->s[pos] == ' ')
        pos++;
    if (pos != n->len)
        test_fail(__FILE__, line, "\"%s\" left over", n->s + pos);
}

#define CHECK_PIECES(json, input, skip, ...)                                       \
    do {                                                                           \
        static const piece want_[] = {__VA_ARGS__};                                \
        mn_normalizer *norm_ = build(json);                                        \
        mn_nstr n_;                                                                \
        if (run(norm_, input, &n_))                                                \
            check_pieces(&n_, input, want_, sizeof want_ / sizeof want_[0], skip,  \
                         __LINE__);                                                \
        mn_nstr_free(&n_);                                                         \
        if (norm_)                                                                 \
            norm_->free(norm_);                                                    \
    } while (0)

static const char *const bert_uncased =
    "{\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true,"
    " \"strip_accents\": null, \"lowercase\": true}";

/* ---- Unicode normal forms ------------------------------------------------- */

static void nfd_adds_new_chars_with_their_base_span(void)
{
    mn_normalizer *norm = build("{\"type\": \"NFD\"}");
    mn_nstr n;

    if (run(norm, "\xc3\xa9l\xc3\xa9gant", &n)) {
        CHECK_STR(n.s, "e\xcc\x81le\xcc\x81gant");
        CHECK_ALIGNS(&n, {0, 2}, {0, 2}, {0, 2}, {2, 3}, {3, 5}, {3, 5}, {3, 5}, {5, 6},
                     {6, 7}, {7, 8}, {8, 9});
    }
    mn_nstr_free(&n);
    norm->free(norm);
}

static void nfkc_ligature_expands_within_its_span(void)
{
    mn_normalizer *norm = build("{\"type\": \"NFKC\"}");
    mn_nstr n;

    if (run(norm, "\xef\xac\x81", &n)) {
        CHECK_STR(n.s, "fi");
        CHECK_ALIGNS(&n, {0, 3}, {0, 3});
    }
    mn_nstr_free(&n);
    norm->free(norm);
}

/* normalizer.rs slice(): under NFKC "G" comes from 𝔾 and "Good" from 𝔾𝕠𝕠𝕕. */
static void nfkc_maps_math_letters_one_to_one(void)
{
    mn_normalizer *norm = build("{\"type\": \"NFKC\"}");
    mn_nstr n;
    uint32_t s, e;

    if (run(norm, "\xf0\x9d\x94\xbe\xf0\x9d\x95\xa0\xf0\x9d\x95\xa0\xf0\x9d\x95\x95 "
                  "\xf0\x9d\x95\x9e\xf0\x9d\x95\xa0\xf0\x9d\x95\xa3\xf0\x9d\x95\x9f"
                  "\xf0\x9d\x95\x9a\xf0\x9d\x95\x9f\xf0\x9d\x95\x98", &n)) {
        CHECK_STR(n.s, "Good morning");
        mn_nstr_orig_span(&n, 0, 1, &s, &e);
        CHECK(s == 0 && e == 4);
        mn_nstr_orig_span(&n, 0, 4, &s, &e);
        CHECK(s == 0 && e == 16);
    }
    mn_nstr_free(&n);
    norm->free(norm);
}

/* qwen3 (NFC) on corpus lines 170 and 271: a composite keeps the span of
 * its base letter only; marks left over keep their own. */
static void nfc_composite_takes_its_base_span(void)
{
    CHECK_PIECES("{\"type\": \"NFC\"}", "nai\xcc\x88ve re\xcc\x81sume\xcc\x81", false,
                 {"na", 0, 2}, {"\xc3\xaf", 2, 3}, {"ve", 4, 6}, {" r\xc3\xa9", 6, 9},
                 {"sum", 10, 13}, {"\xc3\xa9", 13, 14});
    CHECK_PIECES("{\"type\": \"NFC\"}", "e\xcc\x81\xcc\x82\xcc\x83", false,
                 {"\xc3\xa9", 0, 1}, {"\xcc\x82", 2, 3}, {"\xcc\x83", 3, 4});
}

/* strip.rs: NFKD, StripAccents and Lowercase in turn. */
static void nfkd_then_strip_accents_folds_vietnamese_and_thai(void)
{
    const char *seq = "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKD\"},"
                      " {\"type\": \"StripAccents\"}, {\"type\": \"Lowercase\"}]}";

    CHECK_STR(normalize(seq, "\xe1\xba\xad\xe2\x80\xa6"), "a...");
    CHECK_STR(normalize(seq, "C\xe1\xbb\xa5 th\xe1\xbb\x83, b\xe1\xba\xa1n s\xe1\xba\xbd tham "
                             "gia m\xe1\xbb\x99t nh\xc3\xb3m c\xc3\xa1" "c gi\xc3\xa1m \xc4\x91"
                             "\xe1\xbb\x91" "c \xc4\x91i\xe1\xbb\x81u h\xc3\xa0nh t\xe1\xbb\x95 "
                             "ch\xe1\xbb\xa9" "c, c\xc3\xa1" "c nh\xc3\xa0 l\xc3\xa3nh \xc4\x91"
                             "\xe1\xba\xa1o doanh nghi\xe1\xbb\x87p, c\xc3\xa1" "c h\xe1\xbb\x8d"
                             "c gi\xe1\xba\xa3, chuy\xc3\xaan gia ph\xc3\xa1t tri\xe1\xbb\x83n "
                             "v\xc3\xa0 t\xc3\xacnh nguy\xe1\xbb\x87n vi\xc3\xaan ri\xc3\xaang "
                             "bi\xe1\xbb\x87t trong l\xc4\xa9nh v\xe1\xbb\xb1" "c phi l\xe1\xbb"
                             "\xa3i nhu\xe1\xba\xadn\xe2\x80\xa6"),
              "cu the, ban se tham gia mot nhom cac giam \xc4\x91oc \xc4\x91ieu hanh to chuc, "
              "cac nha lanh \xc4\x91\x61o doanh nghiep, cac hoc gia, chuyen gia phat trien va "
              "tinh nguyen vien rieng biet trong linh vuc phi loi nhuan...");
    CHECK_STR(normalize(seq, "\xe0\xb8\xb3\xe0\xb8\x99\xe0\xb9\x89\xe0\xb8\xb3" "3"
                             "\xe0\xb8\xa5\xe0\xb8\xb3"),
              "\xe0\xb8\xb2\xe0\xb8\x99\xe0\xb8\xb2" "3\xe0\xb8\xa5\xe0\xb8\xb2");
}

/* strip.rs test_strip_accents and test_strip_accents_multiple. */
static void strip_accents_drops_marks_with_their_spans(void)
{
    mn_normalizer *norm = build("{\"type\": \"StripAccents\"}");
    mn_nstr n;

    CHECK_STR(normalize("{\"type\": \"StripAccents\"}", "Me llamo\xcc\x81"), "Me llamo");
    CHECK_STR(normalize("{\"type\": \"StripAccents\"}", "\xe8\xbf\x99\xe5\xbe\x88"
                                                        "\xe7\xae\x80\xe5\x8d\x95"),
              "\xe8\xbf\x99\xe5\xbe\x88\xe7\xae\x80\xe5\x8d\x95");
    if (run(norm, "e\xcc\x84\xcc\x84\xcc\x84o", &n)) {
        CHECK_STR(n.s, "eo");
        CHECK_ALIGNS(&n, {0, 1}, {7, 8});
    }
    mn_nstr_free(&n);
    norm->free(norm);
}

/* ---- Lowercase, Strip, Prepend, Replace, ByteLevel ------------------------- */

/* clip (NFC, Replace \s+, Lowercase) on corpus line 406: "İ" lowercases to
 * "i" plus U+0307, both with the span of the capital. */
static void lowercase_inserts_the_extra_char_of_dotted_capital_i(void)
{
    CHECK_PIECES("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFC\"}, {\"type\": "
                 "\"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, \"content\": \" \"}, "
                 "{\"type\": \"Lowercase\"}]}",
                 "\xc4\xb0nce \xc4\xb1slak \xc4\xb1l\xc4\xb1k \xc4\xb0zmir", true,
                 {"i", 0, 1}, {"\xcc\x87", 0, 1}, {"nce", 1, 4}, {"\xc4\xb1slak", 5, 10},
                 {"\xc4\xb1l\xc4\xb1k", 11, 15}, {"i\xcc\x87", 16, 17}, {"zmir", 17, 21});
    CHECK_STR(normalize("{\"type\": \"Lowercase\"}", "HELLO"), "hello");
}

static void strip_removes_whitespace_at_either_end(void)
{
    const char *both = "{\"type\": \"Strip\", \"strip_left\": true, \"strip_right\": true}";

    CHECK_STR(normalize("{\"type\": \"Strip\", \"strip_left\": true, \"strip_right\": false}",
                        "  hello  "), "hello  ");
    CHECK_STR(normalize("{\"type\": \"Strip\", \"strip_left\": false, \"strip_right\": true}",
                        "  hello  "), "  hello");
    CHECK_STR(normalize(both, "  hello  "), "hello");
    /* normalizer.rs lstrip and strip_unicode: the spans stay the original ones. */
    CHECK_PIECES("{\"type\": \"Strip\", \"strip_left\": true, \"strip_right\": false}",
                 "  This is an example  ", false, {"This is an example  ", 2, 22});
    CHECK_PIECES(both, "  \xe4\xbd\xa0\xe5\xa5\xbd" "asa \n", false,
                 {"\xe4\xbd\xa0\xe5\xa5\xbd" "asa", 2, 7});
    CHECK_STR(normalize("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Lowercase\"},"
                        " " "{\"type\": \"Strip\", \"strip_left\": true, \"strip_right\": true}]}",
                        "  HELLO  "), "hello");
}

static void prepend_shares_the_first_char_span(void)
{
    mn_normalizer *norm = build("{\"type\": \"Prepend\", \"prepend\": \"\xe2\x96\x81\"}");
    mn_normalizer *hey = build("{\"type\": \"Prepend\", \"prepend\": \"Hey \"}");
    mn_nstr n;

    if (run(norm, "Hello", &n)) {
        CHECK_STR(n.s, "\xe2\x96\x81Hello");
        CHECK_ALIGNS(&n, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5});
    }
    mn_nstr_free(&n);
    if (run(hey, "there", &n)) {
        CHECK_STR(n.s, "Hey there");
        CHECK_ALIGNS(&n, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {1, 2}, {2, 3}, {3, 4},
                     {4, 5});
    }
    mn_nstr_free(&n);
    if (run(norm, "", &n))
        CHECK_STR(n.s, "");
    mn_nstr_free(&n);
    norm->free(norm);
    hey->free(hey);
}

static void replace_rewrites_string_and_regex_matches(void)
{
    CHECK_STR(normalize("{\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, "
                        "\"content\": \"_\"}", " Hello   friend "), "_Hello___friend_");
    CHECK_STR(normalize("{\"type\": \"Replace\", \"pattern\": {\"String\": \"a\"}, "
                        "\"content\": \"b\"}", "aaaab"), "bbbbb");
    CHECK_STR(normalize("{\"type\": \"Replace\", \"pattern\": {\"String\": \"aaa\"}, "
                        "\"content\": \"b\"}", "aaaab"), "bab");
    CHECK_STR(normalize("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, "
                        "\"content\": \"_\"}", " Hello   friend "), "_Hello_friend_");
    CHECK_STR(normalize("{\"type\": \"Replace\", \"pattern\": {\"String\": \"''\"}, "
                        "\"content\": \"\\\"\"}", "This is a ''test''"),
              "This is a \"test\"");
    CHECK_STR(normalize("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, "
                        "\"content\": \" \"}", "This     is   a         test"),
              "This is a test");
}

/* llama-2 (Prepend "▁", Replace " " -> "▁") on corpus lines 1 and 400. */
static void replace_content_takes_the_span_of_the_match(void)
{
    const char *llama = "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Prepend\", "
                        "\"prepend\": \"\xe2\x96\x81\"}, {\"type\": \"Replace\", \"pattern\": "
                        "{\"String\": \" \"}, \"content\": \"\xe2\x96\x81\"}]}";

    CHECK_PIECES(llama, "Hello world", false, {"\xe2\x96\x81Hello", 0, 5},
                 {"\xe2\x96\x81world", 5, 11});
    CHECK_PIECES(llama, "  Mixed   spacing\tand\nnewlines  with \xc3\xa9mojis "
                        "\xf0\x9f\x8e\x89  ", false,
                 {"\xe2\x96\x81\xe2\x96\x81", 0, 1}, {"\xe2\x96\x81M", 1, 3}, {"ixed", 3, 7},
                 {"\xe2\x96\x81\xe2\x96\x81", 7, 9}, {"\xe2\x96\x81spacing", 9, 17},
                 {"\t", 17, 18}, {"and", 18, 21}, {"\n", 21, 22}, {"newlines", 22, 30},
                 {"\xe2\x96\x81", 30, 31}, {"\xe2\x96\x81with", 31, 36},
                 {"\xe2\x96\x81\xc3\xa9", 36, 38}, {"mojis", 38, 43}, {"\xe2\x96\x81", 43, 44},
                 {"\xf0\x9f\x8e\x89", 44, 45}, {"\xe2\x96\x81\xe2\x96\x81", 45, 47});
}

/* byte_level.rs test_byte_level_normalize. */
static void byte_level_maps_every_byte(void)
{
    mn_normalizer *norm = build("{\"type\": \"ByteLevel\"}");
    const char *in = "Hello \xe6\x88\x91\xe4\xbb\x8a\xe5\xa4\xa9\xe8\x83\xbd\xe4\xb8\xba"
                     "\xe4\xbd\xa0\xe5\x81\x9a\xe4\xbb\x80\xe4\xb9\x88";
    span want[61];
    mn_nstr n;

    for (uint32_t i = 0; i < 5; i++)
        want[i] = (span){i, i + 1};
    want[5] = want[6] = (span){5, 6};
    for (uint32_t c = 0; c < 9; c++)
        for (uint32_t b = 0; b < 6; b++)
            want[7 + 6 * c + b] = (span){6 + 3 * c, 9 + 3 * c};
    if (run(norm, in, &n)) {
        CHECK_STR(n.s, "Hello\xc4\xa0\xc3\xa6\xc4\xaa\xc4\xb3\xc3\xa4\xc2\xbb\xc4\xac\xc3\xa5"
                       "\xc2\xa4\xc2\xa9\xc3\xa8\xc4\xa5\xc2\xbd\xc3\xa4\xc2\xb8\xc2\xba\xc3\xa4"
                       "\xc2\xbd\xc5\x82\xc3\xa5\xc4\xa3\xc4\xbc\xc3\xa4\xc2\xbb\xc4\xa2\xc3\xa4"
                       "\xc2\xb9\xc4\xaa");
        check_aligns(&n, want, 61, __LINE__);
    }
    mn_nstr_free(&n);
    norm->free(norm);
}

/* ---- BertNormalizer -------------------------------------------------------- */

static void bert_options_each_do_their_step(void)
{
    CHECK_STR(normalize("{\"type\": \"BertNormalizer\", \"clean_text\": false, "
                        "\"handle_chinese_chars\": false, \"strip_accents\": true, "
                        "\"lowercase\": false}", "H\xc3\xa9ll\xc3\xb2"), "Hello");
    CHECK_STR(normalize("{\"type\": \"BertNormalizer\", \"clean_text\": false, "
                        "\"handle_chinese_chars\": true, \"strip_accents\": false, "
                        "\"lowercase\": false}", "\xe4\xbd\xa0\xe5\xa5\xbd"),
              " \xe4\xbd\xa0  \xe5\xa5\xbd ");
    CHECK_STR(normalize("{\"type\": \"BertNormalizer\", \"clean_text\": true, "
                        "\"handle_chinese_chars\": false, \"strip_accents\": false, "
                        "\"lowercase\": false}", "\xef\xbb\xbfHello"), "Hello");
    CHECK_STR(normalize("{\"type\": \"BertNormalizer\", \"clean_text\": false, "
                        "\"handle_chinese_chars\": false, \"strip_accents\": false, "
                        "\"lowercase\": true}", "H\xc3\xa9ll\xc3\xb2"), "h\xc3\xa9ll\xc3\xb2");
}

/* normalizer.rs remove_chars_added_by_nfd and added_characters_alignment. */
static void bert_alignments_follow_nfd_and_chinese_padding(void)
{
    mn_normalizer *strip = build("{\"type\": \"BertNormalizer\", \"clean_text\": false, "
                                 "\"handle_chinese_chars\": false, \"strip_accents\": true, "
                                 "\"lowercase\": false}");
    mn_normalizer *cjk = build("{\"type\": \"BertNormalizer\", \"clean_text\": false, "
                               "\"handle_chinese_chars\": true, \"strip_accents\": false, "
                               "\"lowercase\": false}");
    mn_nstr n;

    if (run(strip, "\xc3\xa9l\xc3\xa9gant", &n)) {
        CHECK_STR(n.s, "elegant");
        CHECK_ALIGNS(&n, {0, 2}, {2, 3}, {3, 5}, {5, 6}, {6, 7}, {7, 8}, {8, 9});
    }
    mn_nstr_free(&n);
    if (run(cjk, "\xe9\x87\x8e\xe5\x8f\xa3 No", &n)) {
        CHECK_STR(n.s, " \xe9\x87\x8e  \xe5\x8f\xa3  No");
        CHECK_ALIGNS(&n, {0, 3}, {0, 3}, {0, 3}, {0, 3}, {0, 3}, {3, 6}, {3, 6}, {3, 6},
                     {3, 6}, {3, 6}, {6, 7}, {7, 8}, {8, 9});
    }
    mn_nstr_free(&n);
    strip->free(strip);
    cjk->free(cjk);
}

/* bert-base-uncased on corpus lines 405, 406 and 409 (word pieces joined). */
static void bert_uncased_offsets_match_the_fixture(void)
{
    CHECK_PIECES(bert_uncased, "\xc3\x9c" "berm\xc3\xa4\xc3\x9fig gr\xc3\xb6\xc3\x9f" "ere "
                 "Stra\xc3\x9f" "enbahnhaltestelle", true,
                 {"uber", 0, 4}, {"ma", 4, 6}, {"\xc3\x9f", 6, 7}, {"ig", 7, 9}, {"gr", 10, 12},
                 {"o", 12, 13}, {"\xc3\x9f" "e", 13, 15}, {"re", 15, 17}, {"st", 18, 20},
                 {"ra\xc3\x9f" "e", 20, 24}, {"nbahnhaltestelle", 24, 40});
    CHECK_PIECES(bert_uncased, "\xc4\xb0nce \xc4\xb1slak \xc4\xb1l\xc4\xb1k \xc4\xb0zmir", true,
                 {"ince", 0, 4}, {"\xc4\xb1slak", 5, 10}, {"\xc4\xb1l\xc4\xb1k", 11, 15},
                 {"i", 16, 17}, {"zmir", 17, 21});
    CHECK_PIECES(bert_uncased, "aAbBcC 123 !@# \xc3\xa9\xc3\x89 \xc3\x9f\xe1\xba\x9e \xc4\xb1I",
                 true, {"aabbcc", 0, 6}, {"123", 7, 10}, {"!@#", 11, 14}, {"ee", 15, 17},
                 {"\xc3\x9f\xc3\x9f", 18, 20}, {"\xc4\xb1i", 21, 23});
}

/* ---- Precompiled ----------------------------------------------------------- */

/* ruT5-large's normalizer from its tokenizer.json: the whole Sequence
 * (Precompiled then Replace " {2,}"), or its Precompiled step alone. */
static mn_normalizer *rut5(bool with_replace)
{
    char path[1024];
    char *text = NULL;
    size_t len;
    mn_json_doc *doc = NULL;
    const mn_json *node;
    mn_normalizer *n = NULL;

    snprintf(path, sizeof path, "%s/ruT5-large/tokenizer.json", test_tokenizer_fixtures());
    CHECK_OK(mn_read_file(path, (size_t)1 << 30, &text, &len));
    if (!text)
        return NULL;
    CHECK_OK(mn_json_parse(text, len, NULL, &doc));
    mn_free(text);
    if (!doc)
        return NULL;
    node = mn_json_get(mn_json_root(doc), "normalizer");
    if (!with_replace)
        node = mn_json_at(mn_json_get(node, "normalizers"), 0);
    if (!node)
        test_fail(__FILE__, __LINE__, "%s has no ruT5 normalizer", path);
    else if (mn_normalizer_from_json(node, &n) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "build ruT5 normalizer: %s", mnlp_last_error());
    mn_json_free(doc);
    return n;
}

static const char *precompiled(mn_normalizer *norm, const char *input)
{
    static char buf[1024];
    mn_nstr n;

    buf[0] = '\0';
    if (run(norm, input, &n))
        snprintf(buf, sizeof buf, "%s", n.s);
    mn_nstr_free(&n);
    return buf;
}

/* spm_precompiled's tests on nmt_nfkc.bin. */
static void precompiled_applies_the_nmt_nfkc_charsmap(void)
{
    mn_normalizer *norm = rut5(false);

    if (!norm)
        return;
    CHECK_STR(precompiled(norm, "\xf0\x9d\x94\xbe"), "G");
    CHECK_STR(precompiled(norm, "\xf0\x9d\x95\xa0"), "o");
    CHECK_STR(precompiled(norm, "\xe2\x80\x8d"), " ");
    CHECK_STR(precompiled(norm, "\xef\xac\x81"), "fi");
    /* test_precompiled_failure_mode: Thai graphemes go character by character. */
    CHECK_STR(precompiled(norm, "\xe0\xb9\x80\xe0\xb8\x82\xe0\xb8\xb2\xe0\xb9\x84\xe0\xb8\xa1"
                                "\xe0\xb9\x88\xe0\xb9\x84\xe0\xb8\x94\xe0\xb9\x89\xe0\xb8\x9e"
                                "\xe0\xb8\xb9\xe0\xb8\x94\xe0\xb8\xaa\xe0\xb8\xb1\xe0\xb8\x81"
                                "\xe0\xb8\x84\xe0\xb8\xb3"),
              "\xe0\xb9\x80\xe0\xb8\x82\xe0\xb8\xb2\xe0\xb9\x84\xe0\xb8\xa1\xe0\xb9\x88\xe0\xb9"
              "\x84\xe0\xb8\x94\xe0\xb9\x89\xe0\xb8\x9e\xe0\xb8\xb9\xe0\xb8\x94\xe0\xb8\xaa\xe0"
              "\xb8\xb1\xe0\xb8\x81\xe0\xb8\x84\xe0\xb9\x8d\xe0\xb8\xb2");
    /* test_precompiled_hindi */
    CHECK_STR(precompiled(norm, "\xe0\xa5\x9c\xe0\xa5\x80 \xe0\xa4\xa6\xe0\xa5\x81\xe0\xa4\x96"),
              "\xe0\xa4\xa1\xe0\xa4\xbc\xe0\xa5\x80 \xe0\xa4\xa6\xe0\xa5\x81\xe0\xa4\x96");
    /* test_precompiled_multi_char_replace_bug: a two-character grapheme found whole. */
    CHECK_STR(precompiled(norm, "\xd8\xa7\xd9\x93"), "\xd8\xa2");
    norm->free(norm);
}

/* ruT5-large on corpus lines 407, 408 and 400 (its Metaspace "▁" stands for
 * the space it replaced; a run of spaces takes the span of its last one). */
static void precompiled_offsets_match_the_fixture(void)
{
    mn_normalizer *norm = rut5(true);
    const char *lig = "The \xef\xac\x81rst \xef\xac\x82oor has \xef\xac\x80 ligatures";
    const char *wide = "\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c\xef\xbc\xb7\xef\xbd"
                       "\x89\xef\xbd\x84\xef\xbd\x94\xef\xbd\x88 \xef\xbd\x94\xef\xbd\x85\xef"
                       "\xbd\x98\xef\xbd\x94\xe3\x80\x80\xef\xbd\x97\xef\xbd\x89\xef\xbd\x94"
                       "\xef\xbd\x88\xe3\x80\x80\xef\xbd\x89\xef\xbd\x84\xef\xbd\x85\xef\xbd"
                       "\x8f\xef\xbd\x87\xef\xbd\x92\xef\xbd\x81\xef\xbd\x90\xef\xbd\x88\xef"
                       "\xbd\x89\xef\xbd\x83\xe3\x80\x80\xef\xbd\x93\xef\xbd\x90\xef\xbd\x81"
                       "\xef\xbd\x83\xef\xbd\x85\xef\xbd\x93";
    static const piece lig_pieces[] = {
        {"The", 0, 3}, {" first", 3, 8}, {" f", 8, 10}, {"lo", 9, 11}, {"or", 11, 13},
        {" has", 13, 17}, {" ", 17, 18}, {"ff", 18, 19}, {" ", 19, 20}, {"lig", 20, 23},
        {"ature", 23, 28}, {"s", 28, 29},
    };
    static const piece wide_pieces[] = {
        {"F", 0, 1}, {"ull", 1, 4}, {"W", 4, 5}, {"id", 5, 7}, {"th", 7, 9}, {" ", 9, 10},
        {"text", 10, 14}, {" with", 14, 19}, {" ", 19, 20}, {"ide", 20, 23}, {"o", 23, 24},
        {"graph", 24, 29}, {"ic", 29, 31}, {" space", 31, 37}, {"s", 37, 38},
    };
    const char *spaces = "  Mixed   spacing\tand\nnewlines  with \xc3\xa9mojis \xf0\x9f\x8e\x89  ";
    static const piece space_pieces[] = {
        {" M", 1, 3}, {"ix", 3, 5}, {"ed", 5, 7}, {" sp", 9, 12}, {"ac", 12, 14},
        {"ing", 14, 17}, {" and", 17, 21}, {" new", 21, 25}, {"line", 25, 29}, {"s", 29, 30},
        {" with", 31, 36}, {" ", 36, 37}, {"\xc3\xa9", 37, 38}, {"mo", 38, 40}, {"j", 40, 41},
        {"is", 41, 43}, {" ", 43, 44}, {"\xf0\x9f\x8e\x89", 44, 45}, {" ", 46, 47},
    };
    mn_nstr n;

    if (run(norm, lig, &n))
        check_pieces(&n, lig, lig_pieces, MN_COUNT(lig_pieces), false, __LINE__);
    mn_nstr_free(&n);
    if (run(norm, spaces, &n))
        check_pieces(&n, spaces, space_pieces, MN_COUNT(space_pieces), false, __LINE__);
    mn_nstr_free(&n);
    if (run(norm, wide, &n))
        check_pieces(&n, wide, wide_pieces, MN_COUNT(wide_pieces), false, __LINE__);
    mn_nstr_free(&n);
    if (norm)
        norm->free(norm);
}

/* ---- Building from JSON ---------------------------------------------------- */

static mnlp_status try_build(const char *json)
{
    mn_json_doc *doc = NULL;
    mn_normalizer *n = NULL;
    mnlp_status rc;

    if (mn_json_parse(json, strlen(json), NULL, &doc) != MNLP_OK)
        return MNLP_ERR_INTERNAL;
    rc = mn_normalizer_from_json(mn_json_root(doc), &n);
    if (n)
        n->free(n);
    mn_json_free(doc);
    return rc;
}

/* mod.rs post_processor_deserialization_no_type and normalizer_serialization. */
static void files_without_type_pick_the_variant_by_fields(void)
{
    CHECK_STR(normalize("{\"strip_left\": false, \"strip_right\": true}", "  a  "), "  a");
    CHECK_STR(normalize("{\"prepend\": \"a\"}", "b"), "ab");
    CHECK_OK(try_build("{\"type\": \"Sequence\", \"normalizers\": []}"));
    CHECK_ERR(try_build("{\"trim_offsets\": true, \"add_prefix_space\": true}"),
              MNLP_ERR_FORMAT, "matches no known normalizer");
    CHECK_ERR(try_build("{\"type\": \"Sequence\", \"normalizers\": [{}]}"), MNLP_ERR_FORMAT,
              "normalizers[0]");
    CHECK_ERR(try_build("{\"replacement\": \"_\", \"prepend_scheme\": \"always\"}"),
              MNLP_ERR_FORMAT, "matches no known normalizer");
    CHECK_ERR(try_build("{\"type\": \"Sequence\", \"prepend_scheme\": \"always\"}"),
              MNLP_ERR_FORMAT, "missing \"normalizers\"");
}

static void malformed_nodes_are_errors_naming_their_path(void)
{
    CHECK_ERR(try_build("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Foo\"}]}"),
              MNLP_ERR_UNSUPPORTED, "normalizers[0].type: unknown normalizer type \"Foo\"");
    CHECK_ERR(try_build("{\"type\": \"Strip\", \"strip_left\": true}"), MNLP_ERR_FORMAT,
              "missing \"strip_right\"");
    CHECK_ERR(try_build("{\"type\": \"BertNormalizer\", \"clean_text\": 1, "
                        "\"handle_chinese_chars\": true, \"lowercase\": true}"),
              MNLP_ERR_FORMAT, "clean_text: is number, expected bool");
    CHECK_ERR(try_build("{\"type\": \"Replace\", \"pattern\": {\"Glob\": \"*\"}, "
                        "\"content\": \"\"}"), MNLP_ERR_FORMAT, "pattern.Glob");
    CHECK_ERR(try_build("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"(\"}, "
                        "\"content\": \"\"}"), MNLP_ERR_FORMAT, "pattern.Regex: invalid regex");
    CHECK_ERR(try_build("{\"type\": \"Prepend\"}"), MNLP_ERR_FORMAT, "missing \"prepend\"");
    CHECK_OK(try_build("{\"type\": \"NFC\", \"unknown_field\": 1}"));
    CHECK_ERR(try_build("[1]"), MNLP_ERR_FORMAT, "expected object");
    CHECK_ERR(try_build("{\"type\": 3}"), MNLP_ERR_FORMAT, "type: is number, expected string");
}

static void bad_charsmaps_are_rejected(void)
{
    /* "AAA" is not a multiple of 4; "AB==" has trailing bits; "AAAA" is 3 bytes. */
    CHECK_ERR(try_build("{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAA\"}"),
              MNLP_ERR_FORMAT, "precompiled_charsmap: invalid base64");
    CHECK_ERR(try_build("{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AB==\"}"),
              MNLP_ERR_FORMAT, "non-zero trailing bits");
    CHECK_ERR(try_build("{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAAA\"}"),
              MNLP_ERR_FORMAT, "too short");
    /* trie_size 8 but only one unit follows. */
    CHECK_ERR(try_build("{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"CAAAAAAAAAA=\"}"),
              MNLP_ERR_FORMAT, "does not fit");
    CHECK_ERR(try_build("{\"type\": \"Precompiled\", \"precompiled_charsmap\": null}"),
              MNLP_ERR_FORMAT, "missing \"precompiled_charsmap\"");
}

/* A trie whose offsets point past its end fails at normalization, not by
 * reading out of bounds (tokenizers would panic). */
static void corrupt_trie_fails_cleanly(void)
{
    /* size 4, one unit 0xFFFFFC00 (offset far outside), strings "a". */
    mn_normalizer *norm = build("{\"type\": \"Precompiled\", "
                                "\"precompiled_charsmap\": \"BAAAAAD8//9h\"}");
    mn_nstr n = {0};

    if (!norm)
        return;
    CHECK_OK(mn_nstr_init(&n, "x", 1, 0));
    CHECK_ERR(norm->normalize(norm, &n), MNLP_ERR_FORMAT, "trie points outside itself");
    mn_nstr_free(&n);
    norm->free(norm);
}

TEST_SUITE(normalizers,
           T(nfd_adds_new_chars_with_their_base_span),
           T(nfkc_ligature_expands_within_its_span),
           T(nfkc_maps_math_letters_one_to_one),
           T(nfc_composite_takes_its_base_span),
           T(nfkd_then_strip_accents_folds_vietnamese_and_thai),
           T(strip_accents_drops_marks_with_their_spans),
           T(lowercase_inserts_the_extra_char_of_dotted_capital_i),
           T(strip_removes_whitespace_at_either_end),
           T(prepend_shares_the_first_char_span),
           T(replace_rewrites_string_and_regex_matches),
           T(replace_content_takes_the_span_of_the_match),
           T(byte_level_maps_every_byte),
           T(bert_options_each_do_their_step),
           T(bert_alignments_follow_nfd_and_chinese_padding),
           T(bert_uncased_offsets_match_the_fixture),
           T(precompiled_applies_the_nmt_nfkc_charsmap),
           T(precompiled_offsets_match_the_fixture),
           T(files_without_type_pick_the_variant_by_fields),
           T(malformed_nodes_are_errors_naming_their_path),
           T(bad_charsmaps_are_rejected),
           T(corrupt_trie_fails_cleanly));

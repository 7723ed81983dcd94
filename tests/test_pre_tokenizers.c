/*
 * text: pre_tokenizers. The expected splits and offsets are those of the
 * tokenizers library's own tests (the Rust unit tests in
 * files of tokenizers/src/pre_tokenizers/ and the Node binding's tests), ported
 * as they are; offsets are bytes of the input unless a test says otherwise.
 */
#include "test.h"

#include "base/utf8.h"
#include "text/tok.h"
#include "text/unicode_scripts.h"

typedef struct want {
    const char *s;
    int start, end;
} want;

/* Which offsets a test states, as tokenizers' OffsetReferential: spans of the
 * input, or positions in the concatenated normalized splits. */
typedef enum referential { ORIGINAL, NORMALIZED } referential;

/* Build the pre-tokenizer of {"pre_tokenizer": <json>}; NULL (and a failure)
 * when it does not build. */
static mn_pre_tokenizer *build_at(const char *json, int line)
{
    char text[2048];
    mn_json_doc *doc = NULL;
    mn_pre_tokenizer *p = NULL;

    snprintf(text, sizeof text, "{\"pre_tokenizer\": %s}", json);
    if (mn_json_parse(text, strlen(text), NULL, &doc) != MNLP_OK) {
        test_fail(__FILE__, line, "parse %s: %s", json, mnlp_last_error());
        return NULL;
    }
    if (mn_pre_tokenizer_from_json(mn_json_get(mn_json_root(doc), "pre_tokenizer"), &p) !=
        MNLP_OK)
        test_fail(__FILE__, line, "build %s: %s", json, mnlp_last_error());
    mn_json_free(doc);
    return p;
}
#define build(json) build_at(json, __LINE__)

/* The status and message of building json (which must fail). */
static mnlp_status build_error(const char *json)
{
    char text[2048];
    mn_json_doc *doc = NULL;
    mn_pre_tokenizer *p = NULL;
    mnlp_status rc;

    snprintf(text, sizeof text, "{\"pre_tokenizer\": %s}", json);
    if (mn_json_parse(text, strlen(text), NULL, &doc) != MNLP_OK)
        return MNLP_ERR_INTERNAL;
    rc = mn_pre_tokenizer_from_json(mn_json_get(mn_json_root(doc), "pre_tokenizer"), &p);
    if (p)
        p->free(p);
    mn_json_free(doc);
    return rc;
}

/* A pre-tokenized string of one split holding all of text. */
static void pretok_of(mn_pretok *pt, const char *text)
{
    mn_nstr n;

    memset(pt, 0, sizeof *pt);
    CHECK_OK(mn_nstr_init(&n, text, strlen(text), 0));
    CHECK(mn_pretok_push(pt, &n));
}

static void check_splits_at(const mn_pretok *pt, referential ref, const want *w, int n,
                            int line)
{
    uint32_t norm = 0;

    if (pt->n != n)
        test_fail(__FILE__, line, "%d splits, expected %d", pt->n, n);
    for (int i = 0; i < pt->n && i < n; i++) {
        const mn_nstr *s = &pt->splits[i].n;
        uint32_t start = norm, end = norm + (uint32_t)s->len;

        if (ref == ORIGINAL)
            mn_nstr_orig_span(s, 0, s->len, &start, &end);
        norm += (uint32_t)s->len;
        if (strcmp(s->s, w[i].s) != 0 || start != (uint32_t)w[i].start ||
            end != (uint32_t)w[i].end)
            test_fail(__FILE__, line, "split %d: \"%s\" (%u, %u), expected \"%s\" (%d, %d)", i,
                      s->s, start, end, w[i].s, w[i].start, w[i].end);
    }
}
#define check_splits(pt, ref, w) check_splits_at(pt, ref, w, MN_COUNT(w), __LINE__)

/* Pre-tokenize text with json and compare the splits with w. */
static void expect_at(const char *json, const char *text, referential ref, const want *w,
                      int n, int line)
{
    mn_pre_tokenizer *p = build_at(json, line);
    mn_pretok pt;

    if (!p)
        return;
    pretok_of(&pt, text);
    if (p->pre_tokenize(p, &pt) != MNLP_OK)
        test_fail(__FILE__, line, "pre_tokenize: %s", mnlp_last_error());
    else
        check_splits_at(&pt, ref, w, n, line);
    mn_pretok_free(&pt);
    p->free(p);
}
#define expect(json, text, ref, w) expect_at(json, text, ref, w, MN_COUNT(w), __LINE__)
#define expect_none(json, text) expect_at(json, text, ORIGINAL, NULL, 0, __LINE__)

/* Both pre-tokenizers give the same splits with the same spans on text. */
static void expect_same_at(const char *json_a, const char *json_b, const char *text, int line)
{
    mn_pre_tokenizer *a = build_at(json_a, line), *b = build_at(json_b, line);
    mn_pretok pa, pb;

    if (a && b) {
        pretok_of(&pa, text);
        pretok_of(&pb, text);
        CHECK_OK(a->pre_tokenize(a, &pa));
        CHECK_OK(b->pre_tokenize(b, &pb));
        if (pa.n != pb.n)
            test_fail(__FILE__, line, "%d splits against %d", pa.n, pb.n);
        for (int i = 0; i < pa.n && i < pb.n; i++) {
            const mn_nstr *x = &pa.splits[i].n, *y = &pb.splits[i].n;

            if (strcmp(x->s, y->s) != 0 || x->orig_start != y->orig_start ||
                x->orig_end != y->orig_end)
                test_fail(__FILE__, line, "split %d: \"%s\" against \"%s\"", i, x->s, y->s);
        }
        mn_pretok_free(&pa);
        mn_pretok_free(&pb);
    }
    if (a)
        a->free(a);
    if (b)
        b->free(b);
}
#define expect_same(a, b, text) expect_same_at(a, b, text, __LINE__)

/* ---- ByteLevel (byte_level.rs) ---------------------------------------- */

#define BYTE_LEVEL_NO_PREFIX "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, " \
                             "\"trim_offsets\": true}"

static void byte_level_splits_with_the_gpt2_regex(void)
{
    static const want w[] = {
        {"Hello", 0, 5},   {"\xc4\xa0my", 5, 8},     {"\xc4\xa0" "friend", 8, 15},
        {",", 15, 16},     {"\xc4\xa0how", 16, 20},  {"\xc4\xa0is", 20, 23},
        {"\xc4\xa0your", 23, 28}, {"\xc4\xa0" "day", 28, 32}, {"\xc4\xa0going", 32, 38},
        {"?", 38, 39},
    };

    expect(BYTE_LEVEL_NO_PREFIX, "Hello my friend, how is your day going?", ORIGINAL, w);
}

static void byte_level_without_regex_keeps_the_split_whole(void)
{
    static const want w[] = {
        {"\xc4\xa0Hello\xc4\xa0my\xc4\xa0" "friend,\xc4\xa0how\xc4\xa0is\xc4\xa0your\xc4\xa0"
         "day\xc4\xa0going?", 0, 39},
    };

    expect("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, "
           "\"use_regex\": false}",
           "Hello my friend, how is your day going?", ORIGINAL, w);
}

static void byte_level_adds_a_prefix_space_only_when_missing(void)
{
    static const want w[] = {
        {"\xc4\xa0Hello", 0, 7},  {"\xc4\xa0my", 7, 11},   {"\xc4\xa0" "friend", 11, 19},
        {",", 19, 20},            {"\xc4\xa0how", 20, 25}, {"\xc4\xa0is", 25, 29},
        {"\xc4\xa0your", 29, 35}, {"\xc4\xa0" "day", 35, 40}, {"\xc4\xa0going", 40, 47},
        {"?", 47, 48},
    };
    const char *json = "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, "
                       "\"trim_offsets\": true}";

    expect(json, " Hello my friend, how is your day going?", NORMALIZED, w);
    expect(json, "Hello my friend, how is your day going?", NORMALIZED, w);
}

static void byte_level_maps_newlines_and_space_runs(void)
{
    static const want newlines[] = {
        {"Hello", 0, 5}, {"\xc4\xa0there", 5, 11}, {"\xc4\x8a", 11, 12},
        {"Hello", 12, 17}, {"\xc4\xa0there", 17, 23},
    };
    static const want spaces[] = {
        {"Hello", 0, 5}, {"\xc4\xa0there", 5, 11},
        {"\xc4\xa0\xc4\xa0\xc4\xa0\xc4\xa0\xc4\xa0\xc4\xa0", 11, 17}, {"\xc4\xa0" "dear", 17, 22},
    };

    expect(BYTE_LEVEL_NO_PREFIX, "Hello there\nHello there", ORIGINAL, newlines);
    expect(BYTE_LEVEL_NO_PREFIX, "Hello there       dear", ORIGINAL, spaces);
}

/* "i⭢j": the three bytes of ⭢ become three characters spanning it whole. */
static void byte_level_bytes_of_one_char_share_its_span(void)
{
    static const want original[] = {
        {"i", 0, 1}, {"\xc3\xa2\xc5\x83\xc2\xa2", 1, 4}, {"j", 4, 5},
    };
    static const want normalized[] = {
        {"i", 0, 1}, {"\xc3\xa2\xc5\x83\xc2\xa2", 1, 7}, {"j", 7, 8},
    };

    expect(BYTE_LEVEL_NO_PREFIX, "i\xe2\xad\xa2j", ORIGINAL, original);
    expect(BYTE_LEVEL_NO_PREFIX, "i\xe2\xad\xa2j", NORMALIZED, normalized);
}

/* use_regex defaults to true: files written before it existed split. */
static void byte_level_use_regex_defaults_to_true(void)
{
    expect_same("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false}",
                "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, "
                "\"use_regex\": true}",
                "Hello my friend, how is your day going?");
}

/* ---- Split (split.rs) -------------------------------------------------- */

static void split_inverted_regex_with_every_behavior(void)
{
    static const want removed[] = {
        {"How", 0, 3}, {"are", 4, 7}, {"you", 8, 11}, {"doing", 12, 17}, {"?", 17, 18},
    };
    static const want isolated[] = {
        {"How", 0, 3},  {" ", 3, 4},   {"are", 4, 7},      {" ", 7, 8},
        {"you", 8, 11}, {" ", 11, 12}, {"doing", 12, 17}, {"?", 17, 18},
    };
    static const want previous[] = {
        {"How ", 0, 4}, {"are ", 4, 8}, {"you ", 8, 12}, {"doing", 12, 17}, {"?", 17, 18},
    };
    static const want next[] = {
        {"How", 0, 3}, {" are", 3, 7}, {" you", 7, 11}, {" doing", 11, 17}, {"?", 17, 18},
    };
    static const want contiguous[] = {
        {"How", 0, 3},  {" ", 3, 4},   {"are", 4, 7},       {" ", 7, 8},
        {"you", 8, 11}, {" ", 11, 12}, {"doing?", 12, 18},
    };
    const char *text = "How are you doing?";
#define SPLIT_WS(b) "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\w+|[^\\\\w\\\\s]+\"}, " \
                    "\"behavior\": \"" b "\", \"invert\": true}"

    expect(SPLIT_WS("Removed"), text, ORIGINAL, removed);
    expect(SPLIT_WS("Isolated"), text, ORIGINAL, isolated);
    expect(SPLIT_WS("MergedWithPrevious"), text, ORIGINAL, previous);
    expect(SPLIT_WS("MergedWithNext"), text, ORIGINAL, next);
    expect(SPLIT_WS("Contiguous"), text, ORIGINAL, contiguous);
#undef SPLIT_WS
}

static void split_string_pattern_is_a_literal(void)
{
    expect_same("{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\s+\"}, "
                "\"behavior\": \"Removed\", \"invert\": false}",
                "{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, "
                "\"behavior\": \"Removed\", \"invert\": false}",
                "Hey, man!");
    expect_same("{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, "
                "\"behavior\": \"Removed\", \"invert\": false}",
                "{\"type\": \"Split\", \"pattern\": {\"String\": \"Hello\"}, "
                "\"behavior\": \"Removed\", \"invert\": true}",
                "Hello Hello Hello");
}

/* The serialized forms in split.rs's serialization test load. */
static void split_reads_both_pattern_forms(void)
{
    mn_pre_tokenizer *a = build("{\"type\":\"Split\",\"pattern\":{\"String\":\"Hello\"},"
                                "\"behavior\":\"Removed\",\"invert\":true}");
    mn_pre_tokenizer *b = build("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\s+\"},"
                                "\"behavior\":\"Isolated\",\"invert\":false}");

    CHECK(a && b);
    if (a)
        a->free(a);
    if (b)
        b->free(b);
}

/* ---- Whitespace, WhitespaceSplit (whitespace.rs, Node's pipeline test) -- */

static void whitespace_splits_words_and_punctuation(void)
{
    static const want hey[] = {{"Hey", 0, 3}, {"man", 4, 7}, {"!", 7, 8}};
    static const want how[] = {
        {"How", 0, 3}, {"are", 4, 7}, {"you", 8, 11}, {"doing", 12, 17}, {"?", 17, 18},
    };
    static const want hello[] = {
        {"Hello", 0, 5}, {"!", 5, 6},      {"How", 7, 10},    {"are", 11, 14}, {"you", 15, 18},
        {"?", 18, 19},   {"I", 20, 21},    {"'", 21, 22},     {"m", 22, 23},   {"fine", 24, 28},
        {",", 28, 29},   {"thank", 30, 35}, {"you", 36, 39},  {".", 39, 40},
    };
    const char *json = "{\"type\": \"Whitespace\"}";

    expect(json, "Hey man!", ORIGINAL, hey);
    expect(json, "How are you doing?", ORIGINAL, how);
    expect_none(json, "\n");
    expect(json, "Hello! How are you? I'm fine, thank you.", ORIGINAL, hello);
}

static void whitespace_split_keeps_punctuation_attached(void)
{
    static const want hey[] = {{"Hey", 0, 3}, {"man!", 4, 8}};
    static const want good[] = {{"Hey,", 0, 4}, {"man,", 5, 9}, {"Good?", 10, 15}};
    const char *json = "{\"type\": \"WhitespaceSplit\"}";

    expect(json, "Hey man!", ORIGINAL, hey);
    expect(json, "Hey, man, Good?", ORIGINAL, good);
}

/* ---- BertPreTokenizer (bert.rs) ---------------------------------------- */

static void bert_removes_spaces_and_isolates_punctuation(void)
{
    static const want w[] = {
        {"Hey", 0, 3},   {"friend", 4, 10}, {"!", 10, 11}, {"How", 16, 19}, {"are", 20, 23},
        {"you", 24, 27}, {"?", 27, 28},     {"!", 28, 29}, {"?", 29, 30},
    };

    expect("{\"type\": \"BertPreTokenizer\"}", "Hey friend!     How are you?!?", ORIGINAL, w);
}

/* bert.rs's chinese_chars: a normalizer first surrounds each CJK character
 * with inserted spaces, which then share that character's span. */
static void bert_after_spaces_inserted_around_cjk(void)
{
    static const want w[] = {
        {"\xe9\x87\x8e", 0, 3},  {"\xe5\x8f\xa3", 3, 6}, {"\xe9\x87\x8c", 6, 9},
        {"\xe4\xbd\xb3", 9, 12}, {"Noguchi", 13, 20},    {"Rika", 21, 25},
    };
    const char *text = "\xe9\x87\x8e\xe5\x8f\xa3\xe9\x87\x8c\xe4\xbd\xb3 Noguchi Rika";
    mn_pre_tokenizer *p = build("{\"type\": \"BertPreTokenizer\"}");
    mn_nchange changes[64];
    size_t n_changes = 0, len = strlen(text);
    mn_pretok pt = {0};
    mn_nstr n;

    CHECK_OK(mn_nstr_init(&n, text, len, 0));
    for (size_t i = 0; i < len;) {
        uint32_t cp;

        i += (size_t)mn_utf8_decode((const unsigned char *)text + i, len - i, &cp);
        if (cp > 0x4e00) {
            changes[n_changes++] = (mn_nchange){' ', 0};
            changes[n_changes++] = (mn_nchange){cp, 1};
            changes[n_changes++] = (mn_nchange){' ', 1};
        } else {
            changes[n_changes++] = (mn_nchange){cp, 0};
        }
    }
    CHECK_OK(mn_nstr_transform(&n, 0, len, changes, n_changes, 0));
    CHECK(mn_pretok_push(&pt, &n));
    if (p) {
        CHECK_OK(p->pre_tokenize(p, &pt));
        check_splits(&pt, ORIGINAL, w);
        p->free(p);
    }
    mn_pretok_free(&pt);
}

/* ---- Metaspace (metaspace.rs, mod.rs, Node's test) --------------------- */

#define META "\xe2\x96\x81"
#define METASPACE_ALWAYS "{\"type\": \"Metaspace\", \"replacement\": \"" META "\", " \
                         "\"prepend_scheme\": \"always\", \"split\": true}"

static void metaspace_replaces_spaces_and_splits_before_them(void)
{
    static const want normalized[] = {{META "Hey", 0, 6}, {META "friend!", 6, 16}};
    static const want original[] = {{META "Hey", 0, 3}, {META "friend!", 3, 11}};
    static const want node[] = {
        {META "Hello", 0, 5}, {META "there", 5, 11}, {META "friend", 11, 18},
    };

    expect(METASPACE_ALWAYS, "Hey friend!", NORMALIZED, normalized);
    expect(METASPACE_ALWAYS, "Hey friend!", ORIGINAL, original);
    expect(METASPACE_ALWAYS, "Hello there friend", ORIGINAL, node);
}

static void metaspace_multiple_spaces(void)
{
    static const want normalized[] = {
        {META "Hey", 0, 6}, {META, 6, 9}, {META, 9, 12}, {META "friend!", 12, 22},
    };
    static const want original[] = {
        {META "Hey", 0, 3}, {META, 3, 4}, {META, 4, 5}, {META "friend!", 5, 13},
    };

    expect(METASPACE_ALWAYS, "Hey   friend!", NORMALIZED, normalized);
    expect(METASPACE_ALWAYS, "Hey   friend!", ORIGINAL, original);
}

static mnlp_status find_regex(void *ctx, const mn_nstr *p, mn_matches *m)
{
    return mn_regex_find(ctx, p->s, p->len, m);
}

/* The input split around "<s>" first, as the added tokens would split it. */
static void pretok_split_on_s(mn_pretok *pt, const char *text)
{
    mn_regex *re = NULL;

    pretok_of(pt, text);
    CHECK_OK(mn_regex_new("(<s>)", 5, &re));
    if (re)
        CHECK_OK(mn_pretok_split(pt, find_regex, re, MN_SPLIT_ISOLATED));
    mn_regex_free(re);
}

/* "first" prepends to the split at the start of the input only. */
static void metaspace_prepend_scheme_first(void)
{
    static const want first[] = {
        {META "Hey" META "my" META "friend" META, 0, 23}, {"<s>", 23, 26},
        {"how" META "are" META "you", 26, 41},
    };
    static const want then_always[] = {
        {META "Hey", 0, 6},  {META "my", 6, 11},   {META "friend", 11, 20},
        {META, 20, 23},      {META "<s>", 23, 29}, {META "how", 29, 35},
        {META "are", 35, 41}, {META "you", 41, 47},
    };
    static const want prefixed[] = {{META "Hey" META, 0, 9}, {"<s>", 9, 12}, {"how", 12, 15}};
    static const want many[] = {
        {META "Hey" META, 0, 9}, {"<s>", 9, 12},  {"how" META, 12, 18}, {"<s>", 18, 21},
        {"are" META, 21, 27},    {"<s>", 27, 30}, {META "you", 30, 36},
    };
    mn_pre_tokenizer *f = build("{\"type\": \"Metaspace\", \"replacement\": \"" META "\", "
                                "\"prepend_scheme\": \"first\", \"split\": false}");
    mn_pre_tokenizer *a = build(METASPACE_ALWAYS);
    mn_pretok pt;

    if (!f || !a)
        goto done;
    /* The input holds a ▁ of its own, which "first" must not take for a prefix. */
    pretok_split_on_s(&pt, "Hey my friend <s>how" META "are you");
    CHECK_OK(f->pre_tokenize(f, &pt));
    check_splits(&pt, NORMALIZED, first);
    CHECK_OK(a->pre_tokenize(a, &pt));
    check_splits(&pt, NORMALIZED, then_always);
    mn_pretok_free(&pt);

    pretok_split_on_s(&pt, " Hey <s>how");
    CHECK_OK(f->pre_tokenize(f, &pt));
    check_splits(&pt, NORMALIZED, prefixed);
    mn_pretok_free(&pt);

    pretok_split_on_s(&pt, " Hey <s>how <s>are <s> you");
    CHECK_OK(f->pre_tokenize(f, &pt));
    check_splits(&pt, NORMALIZED, many);
    mn_pretok_free(&pt);
done:
    if (f)
        f->free(f);
    if (a)
        a->free(a);
}

/* The current and legacy forms from metaspace.rs's and mod.rs's tests. */
static void metaspace_reads_current_and_legacy_forms(void)
{
    static const want w[] = {{"_Hey", 0, 3}, {"_friend!", 3, 11}};
    static const want default_w[] = {{META "Hey", 0, 3}, {META "friend!", 3, 11}};

    expect("{\"type\":\"Metaspace\",\"replacement\":\"_\",\"prepend_scheme\":\"always\","
           "\"split\":true}", "Hey friend!", ORIGINAL, w);
    expect("{\"type\":\"Metaspace\",\"str_rep\":\"_\",\"replacement\":\"_\","
           "\"add_prefix_space\":true,\"prepend_scheme\":\"always\"}", "Hey friend!", ORIGINAL, w);
    expect("{\"type\":\"Metaspace\",\"replacement\":\"_\",\"add_prefix_space\":true}",
           "Hey friend!", ORIGINAL, w);
    expect("{\"type\":\"Metaspace\", \"replacement\":\"" META "\" }", "Hey friend!", ORIGINAL,
           default_w);
    CHECK_ERR(build_error("{\"type\":\"Metaspace\",\"replacement\":\"_\","
                          "\"add_prefix_space\":false,\"prepend_scheme\":\"always\"}"),
              MNLP_ERR_FORMAT, "add_prefix_space does not match declared prepend_scheme");
    CHECK_ERR(build_error("{\"type\":\"Metaspace\", \"add_prefix_space\":true }"),
              MNLP_ERR_FORMAT, "pre_tokenizer: missing \"replacement\"");
}

/* ruT5-large's file: the legacy form, which prepends always. */
static void metaspace_legacy_file_prepends(void)
{
    static const want w[] = {{META "Hey", 0, 3}, {META "friend!", 3, 11}};

    expect("{\"type\": \"Metaspace\", \"replacement\": \"" META "\", \"add_prefix_space\": true}",
           "Hey friend!", ORIGINAL, w);
}

/* ---- Punctuation, Digits, CharDelimiterSplit --------------------------- */

static void punctuation_isolates_by_default(void)
{
    static const want w[] = {
        {"Hey friend", 0, 10}, {"!", 10, 11}, {"     How are you", 11, 27},
        {"?", 27, 28},         {"!", 28, 29}, {"?", 29, 30},
    };

    expect("{\"type\": \"Punctuation\"}", "Hey friend!     How are you?!?", ORIGINAL, w);
    expect("{\"type\": \"Punctuation\", \"behavior\": \"Isolated\"}",
           "Hey friend!     How are you?!?", ORIGINAL, w);
}

static void digits_contiguous_or_individual(void)
{
    static const want numbers[] = {{"Hey ", 0, 4}, {"123", 4, 7}, {" friend!", 7, 15}};
    static const want individual[] = {
        {"Hey ", 0, 4}, {"1", 4, 5}, {"2", 5, 6}, {"3", 6, 7}, {" friend!", 7, 15},
    };

    expect("{\"type\": \"Digits\", \"individual_digits\": false}", "Hey 123 friend!", ORIGINAL,
           numbers);
    expect("{\"type\": \"Digits\", \"individual_digits\": false}", "Hey 123 friend!", NORMALIZED,
           numbers);
    expect("{\"type\": \"Digits\", \"individual_digits\": true}", "Hey 123 friend!", ORIGINAL,
           individual);
    expect("{\"type\": \"Digits\", \"individual_digits\": true}", "Hey 123 friend!", NORMALIZED,
           individual);
}

/*
 * delimiter.rs has no test; CharDelimiterSplit(' ') splits like
 * WhitespaceSplit on a text whose only whitespace is single spaces, so
 * whitespace.rs's expectation applies.
 */
static void char_delimiter_split_removes_the_delimiter(void)
{
    static const want w[] = {{"Hey,", 0, 4}, {"man,", 5, 9}, {"Good?", 10, 15}};

    expect("{\"type\": \"CharDelimiterSplit\", \"delimiter\": \" \"}", "Hey, man, Good?", ORIGINAL,
           w);
}

/* ---- Sequence (sequence.rs, mod.rs) ------------------------------------ */

static void sequence_applies_each_in_turn(void)
{
    static const want w[] = {
        {"Hey", 0, 3},   {"friend", 4, 10}, {"!", 10, 11}, {"How", 16, 19}, {"are", 20, 23},
        {"you", 24, 27}, {"?", 27, 28},     {"!", 28, 29}, {"?", 29, 30},
    };

    expect("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"WhitespaceSplit\"}, "
           "{\"type\": \"Punctuation\"}]}",
           "Hey friend!     How are you?!?", ORIGINAL, w);
}

/* mod.rs's test_deserialize: this Sequence is WhitespaceSplit, then a
 * Metaspace that prepends always and splits. */
static void sequence_reads_nested_legacy_metaspace(void)
{
    expect_same("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"WhitespaceSplit\"},"
                "{\"type\":\"Metaspace\",\"replacement\":\"" META "\",\"str_rep\":\"" META "\","
                "\"add_prefix_space\":true}]}",
                "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"WhitespaceSplit\"},"
                "{\"type\":\"Metaspace\",\"replacement\":\"" META "\","
                "\"prepend_scheme\":\"always\",\"split\":true}]}",
                "Hey  my friend");
}

/* ---- UnicodeScripts (unicode_scripts/) --------------------------------- */

static void unicode_scripts_groups_japanese_as_han(void)
{
    /* "どこで生れ。Yes" */
    static const want w[] = {
        {"\xe3\x81\xa9\xe3\x81\x93\xe3\x81\xa7\xe7\x94\x9f\xe3\x82\x8c", 0, 15},
        {"\xe3\x80\x82", 15, 18},
        {"Yes", 18, 21},
    };
    const char *text = "\xe3\x81\xa9\xe3\x81\x93\xe3\x81\xa7\xe7\x94\x9f\xe3\x82\x8c"
                       "\xe3\x80\x82Yes";

    expect("{\"type\": \"UnicodeScripts\"}", text, NORMALIZED, w);
    expect("{\"type\": \"UnicodeScripts\"}", text, ORIGINAL, w);
}

static void unicode_scripts_spaces_join_any_script(void)
{
    /* "Apples are りんご 林檎" */
    static const want w[] = {
        {"Apples are ", 0, 11},
        {"\xe3\x82\x8a\xe3\x82\x93\xe3\x81\x94 \xe6\x9e\x97\xe6\xaa\x8e", 11, 27},
    };
    const char *text = "Apples are \xe3\x82\x8a\xe3\x82\x93\xe3\x81\x94 \xe6\x9e\x97\xe6\xaa\x8e";

    expect("{\"type\": \"UnicodeScripts\"}", text, NORMALIZED, w);
    expect("{\"type\": \"UnicodeScripts\"}", text, ORIGINAL, w);
}

/* scripts.rs's test_unicode_script (the raw table, before the fix-ups). */
static void unicode_script_table(void)
{
    CHECK_INT(mn_unicode_script(0x4eac), MN_SCRIPT_HAN);      /* 京 */
    CHECK_INT(mn_unicode_script(0x592a), MN_SCRIPT_HAN);      /* 太 */
    CHECK_INT(mn_unicode_script(0x3044), MN_SCRIPT_HIRAGANA); /* い */
    CHECK_INT(mn_unicode_script(0x30b0), MN_SCRIPT_KATAKANA); /* グ */
    CHECK_INT(mn_unicode_script(0x30fc), MN_SCRIPT_COMMON);   /* ー */
    CHECK_INT(mn_unicode_script('a'), MN_SCRIPT_LATIN);
    CHECK_INT(mn_unicode_script('A'), MN_SCRIPT_LATIN);
    CHECK_INT(mn_unicode_script('0'), MN_SCRIPT_COMMON);
    CHECK_INT(mn_unicode_script('$'), MN_SCRIPT_COMMON);
    CHECK_INT(mn_unicode_script('@'), MN_SCRIPT_COMMON);
    CHECK_INT(mn_unicode_script('-'), MN_SCRIPT_COMMON);
    CHECK_INT(mn_unicode_script(' '), MN_SCRIPT_COMMON);
    CHECK_INT(mn_unicode_script(0xfffd), MN_SCRIPT_COMMON);
    CHECK_INT(mn_unicode_script(0x110000), MN_SCRIPT_ANY);
}

/* ---- FixedLength (fixed_length.rs) ------------------------------------- */

static void fixed_length_cuts_every_n_chars(void)
{
    static const want hello[] = {{"Hello", 0, 5}, {" worl", 5, 10}, {"d", 10, 11}};
    static const want shrt[] = {{"Short", 0, 5}};
    static const want three[] = {{"Hel", 0, 3}, {"lo ", 3, 6}, {"wor", 6, 9}, {"ld", 9, 11}};
    static const want wave[] = {
        {"Hel", 0, 3}, {"lo ", 3, 6}, {"\xf0\x9f\x91\x8b w", 6, 12}, {"orl", 12, 15},
        {"d", 15, 16},
    };

    expect("{\"type\": \"FixedLength\"}", "Hello world", ORIGINAL, hello);
    expect("{\"type\": \"FixedLength\", \"length\": 5}", "Short", ORIGINAL, shrt);
    expect_none("{\"type\": \"FixedLength\"}", "");
    expect("{\"type\": \"FixedLength\", \"length\": 3}", "Hello world", ORIGINAL, three);
    expect("{\"type\": \"FixedLength\", \"length\": 3}", "Hello \xf0\x9f\x91\x8b world", ORIGINAL,
           wave);
}

/* ---- What every pre-tokenizer shares ----------------------------------- */

/* PreTokenizedString::split and ::normalize leave a split that already has
 * its tokens (an added token) as it is. */
static void tokenized_splits_pass_through(void)
{
    static const want w[] = {{"\xc4\xa0" "a", 0, 1}, {"<s> x", 1, 6}, {"\xc4\xa0" "b", 6, 7}};
    mn_pre_tokenizer *p = build("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, "
                                "\"trim_offsets\": true}");
    mn_pretok pt = {0};
    const char *text = "a<s> xb";
    mn_nstr n;

    for (int i = 0; i < 3; i++) {
        static const int cut[4] = {0, 1, 6, 7};

        CHECK_OK(mn_nstr_init(&n, text + cut[i], (size_t)(cut[i + 1] - cut[i]),
                              (uint32_t)cut[i]));
        CHECK(mn_pretok_push(&pt, &n));
    }
    pt.splits[1].tokenized = true;
    if (p) {
        CHECK_OK(p->pre_tokenize(p, &pt));
        check_splits(&pt, ORIGINAL, w);
        CHECK(pt.splits[1].tokenized);
        p->free(p);
    }
    mn_pretok_free(&pt);
}

static void malformed_nodes_name_their_path(void)
{
    CHECK_ERR(build_error("{\"type\": \"Foo\"}"), MNLP_ERR_UNSUPPORTED,
              "pre_tokenizer: unknown pre-tokenizer type \"Foo\"");
    CHECK_ERR(build_error("{\"type\": \"Sequence\", \"pretokenizers\": "
                          "[{\"type\": \"Whitespace\"}, {\"type\": \"Bar\"}]}"),
              MNLP_ERR_UNSUPPORTED, "pre_tokenizer.pretokenizers[1]: unknown pre-tokenizer");
    CHECK_ERR(build_error("{\"replacement\": \"_\"}"), MNLP_ERR_FORMAT,
              "pre_tokenizer: missing \"type\"");
    CHECK_ERR(build_error("[1]"), MNLP_ERR_FORMAT, "pre_tokenizer: is array, expected object");
    CHECK_ERR(build_error("{\"type\": \"ByteLevel\", \"add_prefix_space\": true}"),
              MNLP_ERR_FORMAT, "missing \"trim_offsets\"");
    CHECK_ERR(build_error("{\"type\": \"ByteLevel\", \"add_prefix_space\": 1, "
                          "\"trim_offsets\": true}"),
              MNLP_ERR_FORMAT, "pre_tokenizer.add_prefix_space: is number, expected bool");
    CHECK_ERR(build_error("{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, "
                          "\"behavior\": \"Sideways\", \"invert\": false}"),
              MNLP_ERR_FORMAT, "pre_tokenizer.behavior: unknown split behavior \"Sideways\"");
    CHECK_ERR(build_error("{\"type\": \"Split\", \"pattern\": {\"Glob\": \"*\"}, "
                          "\"behavior\": \"Removed\", \"invert\": false}"),
              MNLP_ERR_FORMAT, "pre_tokenizer.pattern: unknown pattern kind \"Glob\"");
    CHECK_ERR(build_error("{\"type\": \"Split\", \"pattern\": \" \", "
                          "\"behavior\": \"Removed\", \"invert\": false}"),
              MNLP_ERR_FORMAT, "pre_tokenizer.pattern: must be");
    CHECK_ERR(build_error("{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, "
                          "\"behavior\": \"Removed\", \"invert\": false}"),
              MNLP_ERR_FORMAT, "pre_tokenizer.pattern.Regex: invalid regex");
    CHECK_ERR(build_error("{\"type\": \"Split\", \"pattern\": {\"Regex\": \" \"}, "
                          "\"behavior\": \"Removed\"}"),
              MNLP_ERR_FORMAT, "missing \"invert\"");
    CHECK_ERR(build_error("{\"type\": \"Metaspace\", \"replacement\": \"ab\"}"),
              MNLP_ERR_FORMAT, "pre_tokenizer.replacement: must be exactly one character");
    CHECK_ERR(build_error("{\"type\": \"Metaspace\", \"replacement\": \"_\", "
                          "\"prepend_scheme\": \"sometimes\"}"),
              MNLP_ERR_FORMAT, "unknown prepend_scheme \"sometimes\"");
    CHECK_ERR(build_error("{\"type\": \"CharDelimiterSplit\", \"delimiter\": \"\"}"),
              MNLP_ERR_FORMAT, "pre_tokenizer.delimiter: must be exactly one character");
    CHECK_ERR(build_error("{\"type\": \"Digits\"}"), MNLP_ERR_FORMAT,
              "missing \"individual_digits\"");
    CHECK_ERR(build_error("{\"type\": \"FixedLength\", \"length\": 0}"), MNLP_ERR_FORMAT,
              "pre_tokenizer.length: must be between 1");
    CHECK_ERR(build_error("{\"type\": \"Sequence\", \"pretokenizers\": {}}"), MNLP_ERR_FORMAT,
              "pre_tokenizer.pretokenizers: is object, expected array");
}

/* The pre_tokenizer nodes of the fixture files (shared/fixtures/tokenizers)
 * that the tests above do not already read: clip, gemma-3, llama-3, qwen3. */
static void fixture_pre_tokenizers_build(void)
{
    static const char *const nodes[] = {
        "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
        "{\"Regex\": \"<\\\\|startoftext\\\\|>|<\\\\|endoftext\\\\|>|'s|'t|'re|'ve|'m|'ll|'d|"
        "[\\\\p{L}]+|[\\\\p{N}]|[^\\\\s\\\\p{L}\\\\p{N}]+\"}, \"behavior\": \"Removed\", "
        "\"invert\": true}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, "
        "\"trim_offsets\": true, \"use_regex\": true}]}",
        "{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, \"behavior\": "
        "\"MergedWithPrevious\", \"invert\": false}",
        "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
        "{\"Regex\": \"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|"
        "\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|"
        "\\\\s+(?!\\\\S)|\\\\s+\"}, \"behavior\": \"Isolated\", \"invert\": false}, "
        "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, "
        "\"use_regex\": false}]}",
        "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
        "{\"Regex\": \"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|"
        "\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|"
        "\\\\s+(?!\\\\S)|\\\\s+\"}, \"behavior\": \"Isolated\", \"invert\": false}, "
        "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, "
        "\"use_regex\": false}]}",
    };

    for (int i = 0; i < MN_COUNT(nodes); i++) {
        mn_pre_tokenizer *p = build(nodes[i]);

        if (p)
            p->free(p);
    }
}

TEST_SUITE(pre_tokenizers, T(byte_level_splits_with_the_gpt2_regex),
           T(byte_level_without_regex_keeps_the_split_whole),
           T(byte_level_adds_a_prefix_space_only_when_missing),
           T(byte_level_maps_newlines_and_space_runs),
           T(byte_level_bytes_of_one_char_share_its_span),
           T(byte_level_use_regex_defaults_to_true), T(split_inverted_regex_with_every_behavior),
           T(split_string_pattern_is_a_literal), T(split_reads_both_pattern_forms),
           T(whitespace_splits_words_and_punctuation),
           T(whitespace_split_keeps_punctuation_attached),
           T(bert_removes_spaces_and_isolates_punctuation),
           T(bert_after_spaces_inserted_around_cjk),
           T(metaspace_replaces_spaces_and_splits_before_them), T(metaspace_multiple_spaces),
           T(metaspace_prepend_scheme_first), T(metaspace_reads_current_and_legacy_forms),
           T(metaspace_legacy_file_prepends), T(punctuation_isolates_by_default),
           T(digits_contiguous_or_individual), T(char_delimiter_split_removes_the_delimiter),
           T(sequence_applies_each_in_turn), T(sequence_reads_nested_legacy_metaspace),
           T(unicode_scripts_groups_japanese_as_han), T(unicode_scripts_spaces_join_any_script),
           T(unicode_script_table), T(fixed_length_cuts_every_n_chars),
           T(tokenized_splits_pass_through), T(malformed_nodes_name_their_path),
           T(fixture_pre_tokenizers_build));

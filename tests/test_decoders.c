/*
 * text/decoders: every tokenizers decoder. Expected values come from the
 * unit tests in tokenizers' Rust sources (named per test), and from
 * decodes the library produced for llama-2 and gpt2 (tests/fixtures).
 */
#include "test.h"

#include "base/utf8.h"
#include "base/files.h"
#include "text/decoders.h"

#define U_FFFD "\xef\xbf\xbd"
#define META "\xe2\x96\x81" /* U+2581, SentencePiece's word boundary */

/* The decoder built from the "decoder" member of {"decoder": json}. */
static mnlp_status build_status(const char *json, mn_decoder **out)
{
    char text[4096];
    mn_json_doc *doc = NULL;
    mnlp_status rc;

    *out = NULL;
    snprintf(text, sizeof text, "{\"decoder\": %s}", json);
    if ((rc = mn_json_parse(text, strlen(text), NULL, &doc)) != MNLP_OK)
        return rc;
    rc = mn_decoder_from_json(mn_json_get(mn_json_root(doc), "decoder"), out);
    mn_json_free(doc);
    return rc;
}

static mn_decoder *build(const char *json)
{
    mn_decoder *d;

    if (build_status(json, &d) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "build(%s): %s", json, mnlp_last_error());
    return d;
}

/* The status of building json; a decoder built by mistake is freed. */
static mnlp_status build_error(const char *json)
{
    mn_decoder *d;
    mnlp_status rc = build_status(json, &d);

    if (d)
        d->free(d);
    return rc;
}

static void fill(mn_strs *l, const char *const *items, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(mn_strs_push(l, items[i], strlen(items[i])));
}

/* decode_chain of in gives exactly want. */
static void check_chain(int line, const mn_decoder *d, const char *const *in, int n_in,
                        const char *const *want, int n_want)
{
    mn_strs l = {0};
    mnlp_status rc;

    fill(&l, in, n_in);
    if (!d || (rc = d->decode_chain(d, &l)) != MNLP_OK) {
        test_fail(__FILE__, line, "decode_chain failed: %s", d ? mnlp_last_error() : "no decoder");
    } else if (l.n != n_want) {
        test_fail(__FILE__, line, "%d tokens, expected %d", l.n, n_want);
    } else {
        for (int i = 0; i < n_want; i++)
            if (strcmp(l.items[i], want[i]) != 0)
                test_fail(__FILE__, line, "token %d is \"%s\", expected \"%s\"", i, l.items[i],
                          want[i]);
    }
    mn_strs_free(&l);
}

#define CHAIN(d, in, want) check_chain(__LINE__, d, in, MN_COUNT(in), want, MN_COUNT(want))

/* mn_decoder_decode for texts without NULs. */
static mnlp_status decode_text(const mn_decoder *d, mn_strs *l, char **out)
{
    size_t len;
    mnlp_status rc = mn_decoder_decode(d, l, out, &len);

    if (rc == MNLP_OK && len != strlen(*out))
        test_fail(__FILE__, __LINE__, "decoded length %zu, text length %zu", len, strlen(*out));
    return rc;
}

/* Decoder::decode of in[0..n); the caller frees the result. */
static char *decode(const mn_decoder *d, const char *const *in, int n)
{
    mn_strs l = {0};
    char *out = NULL;

    fill(&l, in, n);
    if (d && decode_text(d, &l, &out) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "decode failed: %s", mnlp_last_error());
    mn_strs_free(&l);
    return out;
}

#define CHECK_DECODE(d, in, want)                                                  \
    do {                                                                           \
        char *got_ = decode(d, in, MN_COUNT(in));                                  \
        CHECK_STR(got_, want);                                                     \
        mn_free(got_);                                                             \
    } while (0)

static void free_decoder(mn_decoder *d)
{
    if (d)
        d->free(d);
}

/* ---- ByteLevel -------------------------------------------------------- */

static const char *const bytelevel_json =
    "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true}";

/* byte_level.rs: decoding */
static void bytelevel_joins_tokens_into_one_string(void)
{
    mn_decoder *d = build(bytelevel_json);
    static const char *const in[] = {"Hello", "\xc4\xa0my", "\xc4\xa0" "friend", ",",
                                     "\xc4\xa0how", "\xc4\xa0is", "\xc4\xa0your",
                                     "\xc4\xa0" "day", "\xc4\xa0going", "?"};
    static const char *const want[] = {"Hello my friend, how is your day going?"};

    CHAIN(d, in, want);
    free_decoder(d);
}

/* byte_level.rs: decode_unknown_characters */
static void bytelevel_keeps_tokens_outside_its_alphabet(void)
{
    mn_decoder *d = build("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, "
                          "\"trim_offsets\": true, \"use_regex\": true}");
    static const char *const in[] = {"Hello", "\xc4\xa0there", "\xc4\xa0" "dear",
                                     "\xc4\xa0" "friend!", "\xc4\xa0", "[PA D]"};
    static const char *const want[] = {"Hello there dear friend! [PA D]"};

    CHAIN(d, in, want);
    free_decoder(d);
}

/*
 * byte_level.rs: decode_works_on_separated_tokens. The pre-tokenized pieces
 * joined are the sample's bytes through GPT-2's alphabet; one token per
 * character splits the multi-byte characters across tokens.
 */
static void bytelevel_rebuilds_characters_split_over_tokens(void)
{
    static const char *const samples[] = {
        "A Nuskhuri abbreviation of \xe1\x83\x98\xe1\x83\x94\xe1\x83\xa1\xe1\x83\xa3 "
        "\xe1\x83\xa5\xe1\x83\xa0\xe1\x83\x98\xe1\x83\xa1\xe1\x83\xa2\xe1\x83\x94 "
        "( iesu kriste ) \" Jesus Christ \"",
        "An equal number have descenders , like p or q in English : \xe1\x83\x92 , "
        "\xe1\x83\x93 , \xe1\x83\x94 , \xe1\x83\x95 , \xe1\x83\x99 , \xe1\x83\x9a , "
        "\xe1\x83\x9f , \xe1\x83\xa2 , \xe1\x83\xa3 , \xe1\x83\xa4 , \xe1\x83\xa6 , "
        "\xe1\x83\xa7 , \xe1\x83\xaa",
    };
    mn_decoder *d = build(bytelevel_json);

    for (int k = 0; k < MN_COUNT(samples); k++) {
        mn_strs l = {0};
        char *out = NULL;

        for (const char *p = samples[k]; *p; p++) {
            char ch[4];
            int len = mn_utf8_encode(mn_bytelevel_char((uint8_t)*p), ch);

            CHECK(mn_strs_push(&l, ch, (size_t)len));
        }
        CHECK_OK(decode_text(d, &l, &out));
        CHECK_STR(out, samples[k]);
        mn_free(out);
        mn_strs_free(&l);
    }
    free_decoder(d);
}

/* Tokens for raw bytes, one token per byte, through GPT-2's alphabet. */
static char *bytelevel_decode_bytes(const mn_decoder *d, const char *bytes, size_t n)
{
    mn_strs l = {0};
    char *out = NULL;

    for (size_t i = 0; i < n; i++) {
        char ch[4];
        int len = mn_utf8_encode(mn_bytelevel_char((uint8_t)bytes[i]), ch);

        CHECK(mn_strs_push(&l, ch, (size_t)len));
    }
    CHECK_OK(decode_text(d, &l, &out));
    mn_strs_free(&l);
    return out;
}

/*
 * String::from_utf8_lossy: one U+FFFD per maximal subpart of an invalid
 * sequence. The first case is the example in Rust's documentation, the
 * second the one in the Unicode Standard (ch. 3, "U+FFFD Substitution of
 * Maximal Subparts"); the others follow the same rule for overlongs,
 * surrogates, code points past U+10FFFF and sequences cut by the end.
 */
static void bytelevel_replaces_invalid_utf8_as_from_utf8_lossy(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Hello \xf0\x90\x80World", "Hello " U_FFFD "World"},
        {"\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
         "a" U_FFFD U_FFFD U_FFFD "b" U_FFFD "c" U_FFFD U_FFFD "d"},
        {"\xc0\x80", U_FFFD U_FFFD},
        {"\xe0\x80\x80", U_FFFD U_FFFD U_FFFD},
        {"\xed\xa0\x80", U_FFFD U_FFFD U_FFFD},
        {"\xf4\x90\x80\x80", U_FFFD U_FFFD U_FFFD U_FFFD},
        {"\xf5\x80", U_FFFD U_FFFD},
        {"x\xe5\x8f", "x" U_FFFD},
        {"\xe5\x8f\xab\xf0\x9f\x98", "\xe5\x8f\xab" U_FFFD},
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
    };
    mn_decoder *d = build(bytelevel_json);

    for (int k = 0; k < MN_COUNT(cases); k++) {
        char *out = bytelevel_decode_bytes(d, cases[k].in, strlen(cases[k].in));

        CHECK_STR(out, cases[k].want);
        mn_free(out);
    }
    free_decoder(d);
}

/* ---- Metaspace -------------------------------------------------------- */

/* metaspace.rs: decode */
static void metaspace_decode(void)
{
    mn_decoder *always = build("{\"type\": \"Metaspace\", \"replacement\": \"" META "\", "
                               "\"prepend_scheme\": \"always\", \"split\": true}");
    mn_decoder *never = build("{\"type\": \"Metaspace\", \"replacement\": \"" META "\", "
                              "\"prepend_scheme\": \"never\", \"split\": true}");
    static const char *const in[] = {META "Hey", META "friend!"};
    static const char *const want_always[] = {"Hey", " friend!"};
    static const char *const want_never[] = {" Hey", " friend!"};

    CHAIN(always, in, want_always);
    CHAIN(never, in, want_never);
    free_decoder(always);
    free_decoder(never);
}

/* Metaspace::decode_chain drops every replacement of the first token, not
 * only a leading one, unless the scheme is "never"; "first" counts. */
static void metaspace_drops_all_replacements_of_the_first_token(void)
{
    mn_decoder *first = build("{\"type\": \"Metaspace\", \"replacement\": \"_\", "
                              "\"prepend_scheme\": \"first\"}");
    static const char *const in[] = {"_a_b_", "_c"};
    static const char *const want[] = {"ab", " c"};

    CHAIN(first, in, want);
    free_decoder(first);
}

/* metaspace.rs: serialization, and mod.rs: decoder_serialization */
static void metaspace_reads_legacy_add_prefix_space(void)
{
    static const char *const in[] = {"_Hey", "_friend"};
    static const char *const drop[] = {"Hey", " friend"};
    static const char *const keep[] = {" Hey", " friend"};
    mn_decoder *d;

    d = build("{\"type\":\"Metaspace\",\"replacement\":\"_\",\"add_prefix_space\":true}");
    CHAIN(d, in, drop);
    free_decoder(d);
    d = build("{\"type\":\"Metaspace\",\"str_rep\":\"_\",\"replacement\":\"_\","
              "\"add_prefix_space\":true,\"prepend_scheme\":\"always\"}");
    CHAIN(d, in, drop);
    free_decoder(d);
    d = build("{\"type\":\"Metaspace\",\"replacement\":\"_\",\"add_prefix_space\":false,"
              "\"prepend_scheme\":\"never\"}");
    CHAIN(d, in, keep);
    free_decoder(d);
    /* The old ruT5-large form. */
    d = build("{\"type\": \"Metaspace\", \"replacement\": \"\\u2581\", "
              "\"add_prefix_space\": true}");
    CHECK_DECODE(d, ((const char *const[]){META "Hey", META "friend"}), "Hey friend");
    free_decoder(d);
    CHECK_ERR(build_error("{\"type\":\"Metaspace\",\"replacement\":\"_\","
                          "\"add_prefix_space\":false,\"prepend_scheme\":\"always\"}"),
              MNLP_ERR_FORMAT, "decoder.add_prefix_space: false does not match prepend_scheme");
    CHECK_ERR(build_error("{\"type\":\"Metaspace\",\"replacement\":\"_\","
                          "\"add_prefix_space\":false}"),
              MNLP_ERR_FORMAT, "does not match prepend_scheme \"always\"");
}

/* ---- WordPiece -------------------------------------------------------- */

/* wordpiece.rs: wordpiece_decoder */
static void wordpiece_decoder(void)
{
    mn_decoder *d = build("{\"type\": \"WordPiece\", \"prefix\": \"##\", \"cleanup\": false}");
    static const char *const in[] = {"##uelo", "Ara", "##\xc3\xbaj", "##o", "No", "##guera"};

    CHECK_DECODE(d, in, "##uelo Ara\xc3\xbajo Noguera");
    free_decoder(d);
}

/* wordpiece::cleanup runs on each token once its space is added. */
static void wordpiece_cleanup_joins_punctuation_and_contractions(void)
{
    mn_decoder *d = build("{\"type\": \"WordPiece\", \"prefix\": \"##\", \"cleanup\": true}");
    static const char *const in[] = {"Hello", ".", "I", "'m", "here", "##s", "?", "it",
                                     "'s", "do not", "n't", "!"};

    CHECK_DECODE(d, in, "Hello. I'm heres? it's don'tn't!");
    free_decoder(d);
}

/* ---- BPEDecoder ------------------------------------------------------- */

/* The suffix becomes a space, except in the last token; str::replace
 * semantics make an empty suffix a space between every character. */
static void bpe_decoder_turns_the_suffix_into_spaces(void)
{
    mn_decoder *d = build("{\"type\": \"BPEDecoder\", \"suffix\": \"</w>\"}");
    mn_decoder *empty = build("{\"type\": \"BPEDecoder\", \"suffix\": \"\"}");
    static const char *const in[] = {"hel", "lo</w>", "wor", "ld</w>"};
    static const char *const want[] = {"hel", "lo ", "wor", "ld"};
    static const char *const in2[] = {"ab", "c"};
    static const char *const want2[] = {" a b ", "c"};

    CHAIN(d, in, want);
    CHAIN(empty, in2, want2);
    CHECK_DECODE(d, in, "hello world");
    free_decoder(d);
    free_decoder(empty);
}

/* ---- ByteFallback ----------------------------------------------------- */

/* byte_fallback.rs: decode */
static void byte_fallback_decode(void)
{
    mn_decoder *d = build("{\"type\": \"ByteFallback\"}");
    static const char *const in1[] = {"Hey", "friend!"}, *const want1[] = {"Hey", "friend!"};
    static const char *const in2[] = {"<0x61>"}, *const want2[] = {"a"};
    static const char *const in3[] = {"<0xE5>"}, *const want3[] = {U_FFFD};
    static const char *const in4[] = {"<0xE5>", "<0x8f>"}, *const want4[] = {U_FFFD, U_FFFD};
    static const char *const in5[] = {"<0xE5>", "<0x8f>", "<0xab>"};
    static const char *const want5[] = {"\xe5\x8f\xab"};
    static const char *const in6[] = {"<0xE5>", "<0x8f>", "<0xab>", "a"};
    static const char *const want6[] = {"\xe5\x8f\xab", "a"};
    static const char *const in7[] = {"<0xE5>", "<0x8f>", "a"};
    static const char *const want7[] = {U_FFFD, U_FFFD, "a"};

    CHAIN(d, in1, want1);
    CHAIN(d, in2, want2);
    CHAIN(d, in3, want3);
    CHAIN(d, in4, want4);
    CHAIN(d, in5, want5);
    CHAIN(d, in6, want6);
    CHAIN(d, in7, want7);
    free_decoder(d);
}

/* u8::from_str_radix takes a leading '+', so "<0x+A>" is byte 0x0A; other
 * six-byte look-alikes stay tokens. */
static void byte_fallback_parses_hex_as_rust_does(void)
{
    mn_decoder *d = build("{\"type\": \"ByteFallback\"}");
    static const char *const in[] = {"<0x+A>", "<0x-1>", "<0xG1>", "<0x0A", "<0x0A>>", "<0x41>"};
    static const char *const want[] = {"\n", "<0x-1>", "<0xG1>", "<0x0A", "<0x0A>>", "A"};

    CHAIN(d, in, want);
    free_decoder(d);
}

/* ---- Fuse, Strip ------------------------------------------------------ */

/* fuse.rs: decode */
static void fuse_decode(void)
{
    mn_decoder *d = build("{\"type\": \"Fuse\"}");
    static const char *const in[] = {"Hey", " friend!"}, *const want[] = {"Hey friend!"};

    CHAIN(d, in, want);
    free_decoder(d);
}

/* strip.rs: decode */
static void strip_decode(void)
{
    mn_decoder *h = build("{\"type\": \"Strip\", \"content\": \"H\", \"start\": 1, \"stop\": 0}");
    mn_decoder *y = build("{\"type\": \"Strip\", \"content\": \"y\", \"start\": 0, \"stop\": 1}");
    static const char *const in1[] = {"Hey", " friend!", "HHH"};
    static const char *const want1[] = {"ey", " friend!", "HH"};
    static const char *const in2[] = {"Hey", " friend!"}, *const want2[] = {"He", " friend!"};

    CHAIN(h, in1, want1);
    CHAIN(y, in2, want2);
    free_decoder(h);
    free_decoder(y);
}

/* Strip counts characters, and strips at most start and stop of them. */
static void strip_counts_characters(void)
{
    mn_decoder *d = build("{\"type\": \"Strip\", \"content\": \"" META "\", "
                          "\"start\": 2, \"stop\": 1}");
    static const char *const in[] = {META META META "a" META META, "b"};
    static const char *const want[] = {META "a" META, "b"};

    CHAIN(d, in, want);
    free_decoder(d);
}

/* tokenizers' Strip indexes past the token (and panics) when stop reaches
 * before its first character or the two cuts cross; mnlp reports an error. */
static void strip_reports_inputs_tokenizers_panics_on(void)
{
    mn_decoder *d = build("{\"type\": \"Strip\", \"content\": \"H\", \"start\": 1, \"stop\": 1}");
    mn_decoder *far = build("{\"type\": \"Strip\", \"content\": \"H\", \"start\": 0, "
                            "\"stop\": 4}");
    mn_strs l = {0};

    CHECK(mn_strs_push(&l, "H", 1));
    CHECK_ERR(d->decode_chain(d, &l), MNLP_ERR_UNSUPPORTED, "strip decoder: cannot strip");
    mn_strs_free(&l);
    CHECK(mn_strs_push(&l, "HHH", 3));
    CHECK_ERR(far->decode_chain(far, &l), MNLP_ERR_UNSUPPORTED, "token \"HHH\"");
    mn_strs_free(&l);
    CHECK(mn_strs_push(&l, "", 0));
    CHECK_ERR(far->decode_chain(far, &l), MNLP_ERR_UNSUPPORTED, "token \"\"");
    mn_strs_free(&l);
    free_decoder(d);
    free_decoder(far);
}

/* ---- Replace ---------------------------------------------------------- */

/* replace.rs: test_replace_decode */
static void replace_decode(void)
{
    mn_decoder *d = build("{\"type\": \"Replace\", \"pattern\": {\"String\": \"_\"}, "
                          "\"content\": \" \"}");
    static const char *const in[] = {"hello", "_hello"}, *const want[] = {"hello", " hello"};

    CHAIN(d, in, want);
    free_decoder(d);
}

/*
 * Matches are those of the onig crate's find_iter (its tests: \d* over
 * "a1b2" gives (0,0) (1,2) (3,4); over "a1bbb2" (0,0) (1,2) (3,3) (4,4)
 * (5,6)), and each one becomes content. An empty token stays empty.
 */
static void replace_regex_counts_empty_matches_like_onig(void)
{
    mn_decoder *d = build("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\d*\"}, "
                          "\"content\": \"-\"}");
    mn_decoder *empty = build("{\"type\": \"Replace\", \"pattern\": {\"String\": \"\"}, "
                              "\"content\": \"X\"}");
    mn_decoder *spaces = build("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, "
                               "\"content\": \" \"}");
    static const char *const in[] = {"a1b2", "a1bbb2", ""};
    static const char *const want[] = {"-a-b-", "-a-b-b-b-", ""};
    static const char *const in2[] = {"ab", "\xc3\xa9", ""};
    static const char *const want2[] = {"XaXbX", "X\xc3\xa9X", ""};
    static const char *const in3[] = {"This     is   a         test"};
    static const char *const want3[] = {"This is a test"};

    CHAIN(d, in, want);
    CHAIN(empty, in2, want2);
    CHAIN(spaces, in3, want3);
    free_decoder(d);
    free_decoder(empty);
    free_decoder(spaces);
}

/* ---- CTC -------------------------------------------------------------- */

static const char *const ctc_json =
    "{\"type\": \"CTC\", \"pad_token\": \"<pad>\", \"word_delimiter_token\": \"|\", "
    "\"cleanup\": true}";

/* ctc.rs's samples are space-separated tokens and their expected outputs
 * single characters, so want is a string of one-character tokens. */
static void check_ctc(int line, const char *input, const char *want)
{
    mn_decoder *d = build(ctc_json);
    mn_strs l = {0};
    const char *p = input;
    int n = (int)strlen(want);

    for (const char *sp; (sp = strchr(p, ' ')); p = sp + 1)
        CHECK(mn_strs_push(&l, p, (size_t)(sp - p)));
    CHECK(mn_strs_push(&l, p, strlen(p)));
    if (!d || d->decode_chain(d, &l) != MNLP_OK)
        test_fail(__FILE__, line, "decode_chain failed: %s", mnlp_last_error());
    else if (l.n != n)
        test_fail(__FILE__, line, "%d tokens, expected %d", l.n, n);
    for (int i = 0; d && i < n && i < l.n; i++)
        if (strlen(l.items[i]) != 1 || l.items[i][0] != want[i])
            test_fail(__FILE__, line, "token %d is \"%s\", expected \"%c\"", i, l.items[i],
                      want[i]);
    mn_strs_free(&l);
    free_decoder(d);
}

/* ctc.rs: handmade_sample, handmade_with_delimiter_sample */
static void ctc_handmade_samples(void)
{
    check_ctc(__LINE__, "<pad> <pad> h e e l l <pad> l o o o <pad>", "hello");
    check_ctc(__LINE__,
              "<pad> <pad> h e e l l <pad> l o o o <pad> <pad> | <pad> w o o o r <pad> <pad> "
              "l l d <pad> <pad> <pad> <pad>",
              "hello world");
}

/* ctc.rs: librispeech_sample, another_librispeech_sample */
static void ctc_librispeech_samples(void)
{
    check_ctc(__LINE__,
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> A | | <pad> M <pad> <pad> <pad> <pad> A <pad> <pad> N "
              "<pad> <pad> <pad> | | | <pad> <pad> <pad> <pad> S <pad> <pad> <pad> A I <pad> D "
              "D | | T T <pad> O <pad> | | T H E E | | | <pad> U U <pad> N N <pad> I <pad> <pad> "
              "V <pad> <pad> <pad> E R R <pad> <pad> <pad> S E E | | <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> S S <pad> <pad> <pad> <pad> I "
              "<pad> R R <pad> <pad> | | | <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> I <pad> <pad> "
              "<pad> | <pad> <pad> <pad> E X <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> I <pad> S <pad> <pad> T <pad> <pad> | | <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad>",
              "A MAN SAID TO THE UNIVERSE SIR I EXIST ");
    check_ctc(__LINE__,
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> H <pad> I <pad> S S | | <pad> <pad> "
              "<pad> I N <pad> <pad> S <pad> T T <pad> <pad> A N C C T <pad> | | | | | <pad> "
              "<pad> <pad> <pad> P <pad> <pad> <pad> <pad> A <pad> <pad> N N N <pad> <pad> I "
              "<pad> C <pad> <pad> | | <pad> W <pad> <pad> A S <pad> | | <pad> <pad> <pad> F "
              "<pad> <pad> O L <pad> <pad> L L O O W E E D | | <pad> B <pad> <pad> <pad> Y "
              "<pad> | | | A | | <pad> S S S <pad> M M <pad> <pad> <pad> A L L <pad> <pad> "
              "<pad> <pad> L <pad> | | | <pad> <pad> <pad> <pad> S H H <pad> <pad> <pad> <pad> "
              "A R R <pad> <pad> P <pad> <pad> | <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> B <pad> <pad> L L <pad> <pad> <pad> <pad> <pad> O W W <pad> <pad> | "
              "| | <pad> <pad> <pad> <pad> <pad> <pad> <pad> H <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> I G H H | | <pad> <pad> O N <pad> | | H <pad> I S S | | <pad> <pad> "
              "C H H <pad> <pad> <pad> E <pad> S S <pad> T T <pad> <pad> | | | <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> "
              "<pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad> <pad>",
              "HIS INSTANCT PANIC WAS FOLLOWED BY A SMALL SHARP BLOW HIGH ON HIS CHEST ");
}

/* The word delimiter only becomes a space with cleanup, as in ctc.rs. */
static void ctc_keeps_the_delimiter_without_cleanup(void)
{
    mn_decoder *d = build("{\"type\": \"CTC\", \"pad_token\": \"<pad>\", "
                          "\"word_delimiter_token\": \"|\", \"cleanup\": false}");
    static const char *const in[] = {"a", "a", "<pad>", "|", "b", " ."};
    static const char *const want[] = {"a", "|", "b", " ."};

    CHAIN(d, in, want);
    free_decoder(d);
}

/* ---- Sequence --------------------------------------------------------- */

/* sequence.rs: sequence_basic (CTC::default, then Metaspace::default) */
static void sequence_basic(void)
{
    char json[1024];
    mn_decoder *d;
    static const char *const in[] = {META, META, "H", "H", "i", "i", META, "y", "o", "u"};

    snprintf(json, sizeof json,
             "{\"type\": \"Sequence\", \"decoders\": [%s, {\"type\": \"Metaspace\", "
             "\"replacement\": \"" META "\", \"prepend_scheme\": \"always\", "
             "\"split\": true}]}",
             ctc_json);
    d = build(json);
    CHECK_DECODE(d, in, "Hi you");
    free_decoder(d);
}

/* Chains over no tokens: ByteLevel and Fuse still give one empty string. */
static void decoders_accept_an_empty_token_list(void)
{
    static const char *const jsons[] = {
        bytelevel_json, "{\"type\": \"Fuse\"}", "{\"type\": \"ByteFallback\"}",
        "{\"type\": \"BPEDecoder\", \"suffix\": \"</w>\"}",
        "{\"type\": \"Sequence\", \"decoders\": []}",
    };
    static const int pieces[] = {1, 1, 0, 0, 0};

    for (int k = 0; k < MN_COUNT(jsons); k++) {
        mn_decoder *d = build(jsons[k]);
        mn_strs l = {0};
        char *out = NULL;

        CHECK_OK(d->decode_chain(d, &l));
        CHECK_INT(l.n, pieces[k]);
        CHECK_OK(decode_text(d, &l, &out));
        CHECK_STR(out, "");
        mn_free(out);
        mn_strs_free(&l);
        free_decoder(d);
    }
}

/* ---- Real decoders against the library's decodes ---------------------- */

/* The decoder node of llama-2's tokenizer.json, as the file has it. */
static const char *const llama2_decoder =
    "{\n"
    "    \"type\": \"Sequence\",\n"
    "    \"decoders\": [\n"
    "      {\n"
    "        \"type\": \"Replace\",\n"
    "        \"pattern\": {\n"
    "          \"String\": \"" META "\"\n"
    "        },\n"
    "        \"content\": \" \"\n"
    "      },\n"
    "      {\n"
    "        \"type\": \"ByteFallback\"\n"
    "      },\n"
    "      {\n"
    "        \"type\": \"Fuse\"\n"
    "      },\n"
    "      {\n"
    "        \"type\": \"Strip\",\n"
    "        \"content\": \" \",\n"
    "        \"start\": 1,\n"
    "        \"stop\": 0\n"
    "      }\n"
    "    ]\n"
    "  }";

/* The decoder node of gpt2's tokenizer.json. */
static const char *const gpt2_decoder =
    "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true}";

/* Each line of fixture (lines copied from expected.jsonl): decoding
 * "tokens" (encode's tokens, special ones included) gives "decode". */
static void check_fixture(const char *decoder_json, const char *fixture, int want_lines)
{
    char path[4096], *text = NULL;
    size_t size = 0;
    int lines = 0;
    mn_decoder *d = build(decoder_json);

    snprintf(path, sizeof path, "%s/tests/fixtures/tokenizers/%s", test_source_dir(), fixture);
    CHECK_OK(mn_read_file(path, 1 << 20, &text, &size));
    for (char *line = text, *end; d && text; line = end + 1) {
        mn_json_doc *doc = NULL;
        const mn_json *tokens, *want;
        mn_strs l = {0};
        char *out = NULL;
        size_t out_len = 0;

        if (!(end = memchr(line, '\n', size - (size_t)(line - text))))
            break;
        CHECK_OK(mn_json_parse(line, (size_t)(end - line), NULL, &doc));
        tokens = mn_json_get(mn_json_root(doc), "tokens");
        want = mn_json_get(mn_json_root(doc), "decode");
        for (size_t i = 0; tokens && i < tokens->len; i++)
            CHECK(mn_strs_push(&l, tokens->items[i].str, tokens->items[i].len));
        CHECK_OK(mn_decoder_decode(d, &l, &out, &out_len));
        if (want && (!out || out_len != want->len || memcmp(out, want->str, out_len) != 0))
            test_fail(__FILE__, __LINE__, "%s line %d: \"%s\", expected \"%s\"", fixture,
                      lines + 1, out ? out : "(null)", want->str);
        mn_free(out);
        mn_strs_free(&l);
        mn_json_free(doc);
        lines++;
    }
    CHECK_INT(lines, want_lines);
    mn_free(text);
    free_decoder(d);
}

/* Replace, ByteFallback, Fuse, Strip: byte tokens (tabs, newlines, CJK,
 * emoji, C1 controls) and the special token "<s>" in front. */
static void llama2_decoder_matches_the_library(void)
{
    check_fixture(llama2_decoder, "llama-2-decode-cases.jsonl", 16);
}

/* Strip only acts when the fused text starts with a space, which the
 * fixture's decodes (all led by "<s>") never do. */
static void llama2_decoder_strips_the_leading_space(void)
{
    mn_decoder *d = build(llama2_decoder);
    static const char *const in[] = {META "Hello", META "world", "<0x0A>", META META "x"};

    CHECK_DECODE(d, in, "Hello world\n  x");
    free_decoder(d);
}

/* ByteLevel over gpt2 tokens whose characters span several tokens. */
static void gpt2_decoder_matches_the_library(void)
{
    check_fixture(gpt2_decoder, "gpt2-decode-cases.jsonl", 10);
}

/* ---- JSON ------------------------------------------------------------- */

/* mod.rs: decoder_serialization, decoder_serialization_other_no_arg, and
 * decoder_serialization_no_decode (which fail in tokenizers too). */
static void decoder_json_forms(void)
{
    mn_decoder *d;

    d = build("{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"ByteFallback\"},"
              "{\"type\":\"Metaspace\",\"replacement\":\"" META "\",\"add_prefix_space\":true,"
              "\"prepend_scheme\":\"always\"}]}");
    CHECK_DECODE(d, ((const char *const[]){META "a", "<0x62>", META "c"}), "ab c");
    free_decoder(d);
    d = build("{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Fuse\"},{\"type\":\"Metaspace\","
              "\"replacement\":\"" META "\",\"prepend_scheme\":\"always\",\"split\":true}]}");
    CHECK_DECODE(d, ((const char *const[]){META "a", META "b"}), "ab");
    free_decoder(d);
    CHECK_ERR(build_error("{\"type\":\"Sequence\",\"decoders\":[{},{\"type\":\"Metaspace\","
                          "\"replacement\":\"" META "\",\"prepend_scheme\":\"always\"}]}"),
              MNLP_ERR_FORMAT, "decoder.decoders[0]: missing \"type\"");
    CHECK_ERR(build_error("{\"replacement\":\"" META "\",\"prepend_scheme\":\"always\"}"),
              MNLP_ERR_FORMAT, "decoder: missing \"type\"");
    CHECK_ERR(build_error("{\"type\":\"Sequence\",\"prepend_scheme\":\"always\"}"),
              MNLP_ERR_FORMAT, "decoder: missing \"decoders\"");
}

/* Malformed nodes give an error naming their JSON path. */
static void json_errors_name_the_path(void)
{
    static const struct {
        const char *json, *message;
        mnlp_status status;
    } cases[] = {
        {"{\"type\": \"Nope\"}", "decoder.type: unknown decoder type \"Nope\"",
         MNLP_ERR_UNSUPPORTED},
        {"{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Fuse\"}, {\"type\": \"X\"}]}",
         "decoder.decoders[1].type: unknown decoder type \"X\"", MNLP_ERR_UNSUPPORTED},
        {"[1]", "decoder: is array, expected object", MNLP_ERR_FORMAT},
        {"{\"type\": 3}", "decoder.type: is number, expected string", MNLP_ERR_FORMAT},
        {"{\"type\": \"Sequence\", \"decoders\": [null]}",
         "decoder.decoders[0]: is null, expected object", MNLP_ERR_FORMAT},
        {"{\"type\": \"Sequence\", \"decoders\": {}}",
         "decoder.decoders: is object, expected array", MNLP_ERR_FORMAT},
        {"{\"type\": \"ByteLevel\", \"add_prefix_space\": true}",
         "decoder: missing \"trim_offsets\"", MNLP_ERR_FORMAT},
        {"{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, "
         "\"use_regex\": null}",
         "decoder.use_regex: is null, expected boolean", MNLP_ERR_FORMAT},
        {"{\"type\": \"WordPiece\", \"prefix\": \"##\", \"cleanup\": 1}",
         "decoder.cleanup: is number, expected boolean", MNLP_ERR_FORMAT},
        {"{\"type\": \"WordPiece\", \"cleanup\": true}", "decoder: missing \"prefix\"",
         MNLP_ERR_FORMAT},
        {"{\"type\": \"BPEDecoder\"}", "decoder: missing \"suffix\"", MNLP_ERR_FORMAT},
        {"{\"type\": \"CTC\", \"pad_token\": \"<pad>\", \"word_delimiter_token\": \"|\"}",
         "decoder: missing \"cleanup\"", MNLP_ERR_FORMAT},
        {"{\"type\": \"Metaspace\", \"replacement\": \"ab\"}",
         "decoder.replacement: is not a single character", MNLP_ERR_FORMAT},
        {"{\"type\": \"Metaspace\", \"replacement\": \"\"}",
         "decoder.replacement: is not a single character", MNLP_ERR_FORMAT},
        {"{\"type\": \"Metaspace\", \"replacement\": \"_\", \"prepend_scheme\": \"sometimes\"}",
         "decoder.prepend_scheme: unknown prepend_scheme \"sometimes\"", MNLP_ERR_FORMAT},
        {"{\"type\": \"Metaspace\", \"replacement\": \"_\", \"split\": \"yes\"}",
         "decoder.split: is string, expected boolean", MNLP_ERR_FORMAT},
        {"{\"type\": \"Strip\", \"content\": \" \", \"start\": -1, \"stop\": 0}",
         "decoder.start: is not a non-negative integer", MNLP_ERR_FORMAT},
        {"{\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0.5}",
         "decoder.stop: is not a non-negative integer", MNLP_ERR_FORMAT},
        {"{\"type\": \"Strip\", \"start\": 1, \"stop\": 0}", "decoder: missing \"content\"",
         MNLP_ERR_FORMAT},
        {"{\"type\": \"Replace\", \"pattern\": \"_\", \"content\": \" \"}",
         "decoder.pattern: is string, expected object", MNLP_ERR_FORMAT},
        {"{\"type\": \"Replace\", \"pattern\": {\"Glob\": \"*\"}, \"content\": \" \"}",
         "decoder.pattern.Glob: unknown pattern kind", MNLP_ERR_FORMAT},
        {"{\"type\": \"Replace\", \"pattern\": {\"String\": \"a\", \"Regex\": \"b\"}, "
         "\"content\": \" \"}",
         "decoder.pattern: has 2 members", MNLP_ERR_FORMAT},
        {"{\"type\": \"Replace\", \"pattern\": {\"String\": 1}, \"content\": \" \"}",
         "decoder.pattern.String: is number, expected string", MNLP_ERR_FORMAT},
        {"{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"(\"}, \"content\": \" \"}",
         "decoder.pattern.Regex: invalid regex", MNLP_ERR_FORMAT},
        {"{\"type\": \"Replace\", \"pattern\": {\"String\": \"_\"}}",
         "decoder: missing \"content\"", MNLP_ERR_FORMAT},
        {"{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Sequence\", \"decoders\": "
         "[{\"type\": \"Strip\", \"content\": \" \", \"start\": 1}]}]}",
         "decoder.decoders[0].decoders[0]: missing \"stop\"", MNLP_ERR_FORMAT},
    };

    for (int k = 0; k < MN_COUNT(cases); k++)
        CHECK_ERR(build_error(cases[k].json), cases[k].status, cases[k].message);
}

TEST_SUITE(decoders, T(bytelevel_joins_tokens_into_one_string),
           T(bytelevel_keeps_tokens_outside_its_alphabet),
           T(bytelevel_rebuilds_characters_split_over_tokens),
           T(bytelevel_replaces_invalid_utf8_as_from_utf8_lossy), T(metaspace_decode),
           T(metaspace_drops_all_replacements_of_the_first_token),
           T(metaspace_reads_legacy_add_prefix_space), T(wordpiece_decoder),
           T(wordpiece_cleanup_joins_punctuation_and_contractions),
           T(bpe_decoder_turns_the_suffix_into_spaces), T(byte_fallback_decode),
           T(byte_fallback_parses_hex_as_rust_does), T(fuse_decode), T(strip_decode),
           T(strip_counts_characters), T(strip_reports_inputs_tokenizers_panics_on),
           T(replace_decode), T(replace_regex_counts_empty_matches_like_onig),
           T(ctc_handmade_samples), T(ctc_librispeech_samples),
           T(ctc_keeps_the_delimiter_without_cleanup), T(sequence_basic),
           T(decoders_accept_an_empty_token_list), T(llama2_decoder_matches_the_library),
           T(llama2_decoder_strips_the_leading_space), T(gpt2_decoder_matches_the_library),
           T(decoder_json_forms), T(json_errors_name_the_path));

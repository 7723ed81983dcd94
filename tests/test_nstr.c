/*
 * text/nstr: normalized strings, their alignments, and splitting. The
 * expected values are those of the tokenizers library's own unit tests
 * (tokenizer/normalizer.rs: split, transform_range_single_bytes).
 */
#include "test.h"

#include "text/tok.h"

static mn_nstr make(const char *s)
{
    mn_nstr n;

    if (mn_nstr_init(&n, s, strlen(s), 0) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "init failed");
    return n;
}

/* Alignments as "(s,e)(s,e)..." for compact comparison. */
static const char *aligns(const mn_nstr *n)
{
    static char buf[1024];
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n->len && used < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "(%u,%u)", n->align[2 * i],
                                 n->align[2 * i + 1]);
    return buf;
}

static void transform_removes_at_the_beginning(void)
{
    mn_nstr n = make("Hello friend");

    CHECK_OK(mn_nstr_transform(&n, 0, 4, (mn_nchange[]){{'Y', 0}}, 1, 3));
    CHECK_STR(n.s, "Yo friend");
    CHECK_STR(aligns(&n), "(3,4)(4,5)(5,6)(6,7)(7,8)(8,9)(9,10)(10,11)(11,12)");
    mn_nstr_free(&n);
}

static void transform_removes_in_the_middle(void)
{
    mn_nstr n = make("Hello friend");

    CHECK_OK(mn_nstr_transform(&n, 3, 10, (mn_nchange[]){{'_', 0}, {'F', 0}, {'R', -2}}, 3, 2));
    CHECK_STR(n.s, "Hel_FRnd");
    CHECK_STR(aligns(&n), "(0,1)(1,2)(2,3)(5,6)(6,7)(7,8)(10,11)(11,12)");
    mn_nstr_free(&n);
}

static void transform_removes_at_the_end(void)
{
    mn_nstr n = make("Hello friend");

    CHECK_OK(mn_nstr_transform(&n, 5, 12, (mn_nchange[]){{'_', 0}, {'F', -5}}, 2, 0));
    CHECK_STR(n.s, "Hello_F");
    CHECK_STR(aligns(&n), "(0,1)(1,2)(2,3)(3,4)(4,5)(5,6)(6,7)");
    mn_nstr_free(&n);
}

static void transform_inserts_at_the_beginning(void)
{
    mn_nstr n = make("Hello friend");

    CHECK_OK(mn_nstr_transform(&n, 0, 1, (mn_nchange[]){{'H', 1}, {'H', 0}}, 2, 0));
    CHECK_STR(n.s, "HHello friend");
    CHECK(strncmp(aligns(&n), "(0,0)(0,1)(1,2)(2,3)", 20) == 0);
    mn_nstr_free(&n);
}

static void multibyte_characters_align_as_a_whole(void)
{
    mn_nstr n = make("a\xc3\xa9" "b");
    uint32_t s, e;

    CHECK_STR(aligns(&n), "(0,1)(1,3)(1,3)(3,4)");
    /* Replace é by two characters: "e" and a combining acute (inserted). */
    CHECK_OK(mn_nstr_transform(&n, 1, 3, (mn_nchange[]){{'e', 0}, {0x301, 1}}, 2, 0));
    CHECK_STR(n.s, "ae\xcc\x81" "b");
    CHECK_STR(aligns(&n), "(0,1)(1,3)(1,3)(1,3)(3,4)");
    mn_nstr_orig_span(&n, 1, 4, &s, &e);
    CHECK(s == 1 && e == 3);
    mn_nstr_free(&n);
}

static mnlp_status find_dash(void *ctx, const mn_nstr *piece, mn_matches *m)
{
    (void)ctx;
    for (size_t i = 0, prev = 0; i <= piece->len; i++) {
        if (i == piece->len || piece->s[i] == '-') {
            if (i > prev)
                mn_matches_push(m, prev, i, false);
            if (i < piece->len)
                mn_matches_push(m, i, i + 1, true);
            prev = i + 1;
        }
    }
    return MNLP_OK;
}

static void check_split(mn_split_behavior behavior, const char *want)
{
    mn_pretok pt = {0};
    mn_nstr n = make("The-final--countdown");
    char got[256] = "";

    mn_pretok_push(&pt, &n);
    CHECK_OK(mn_pretok_split(&pt, find_dash, NULL, behavior));
    for (int i = 0; i < pt.n; i++) {
        strcat(got, i ? "|" : "");
        strcat(got, pt.splits[i].n.s);
    }
    CHECK_STR(got, want);
    mn_pretok_free(&pt);
}

static void split_follows_each_delimiter_behavior(void)
{
    check_split(MN_SPLIT_REMOVED, "The|final|countdown");
    check_split(MN_SPLIT_ISOLATED, "The|-|final|-|-|countdown");
    check_split(MN_SPLIT_MERGED_WITH_PREVIOUS, "The-|final-|-|countdown");
    check_split(MN_SPLIT_MERGED_WITH_NEXT, "The|-final|-|-countdown");
    check_split(MN_SPLIT_CONTIGUOUS, "The|-|final|--|countdown");
}

static void split_pieces_keep_original_offsets(void)
{
    mn_pretok pt = {0};
    mn_nstr n = make("The-final--countdown");
    uint32_t s, e;

    mn_pretok_push(&pt, &n);
    CHECK_OK(mn_pretok_split(&pt, find_dash, NULL, MN_SPLIT_REMOVED));
    CHECK_INT(pt.n, 3);
    mn_nstr_orig_span(&pt.splits[2].n, 0, pt.splits[2].n.len, &s, &e);
    CHECK(s == 11 && e == 20);
    CHECK(pt.splits[1].n.orig_start == 4 && pt.splits[1].n.orig_end == 9);
    mn_pretok_free(&pt);
}

static void behavior_names_parse(void)
{
    CHECK_INT(mn_split_behavior_parse("MergedWithNext"), MN_SPLIT_MERGED_WITH_NEXT);
    CHECK_INT(mn_split_behavior_parse("Contiguous"), MN_SPLIT_CONTIGUOUS);
    CHECK_INT(mn_split_behavior_parse("merged"), -1);
}

static void vocab_table_maps_and_overwrites(void)
{
    mn_vocab v = {0};
    char key[16];

    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "tok%d", i);
        CHECK(mn_vocab_put(&v, key, strlen(key), i));
    }
    CHECK(mn_vocab_put(&v, "tok7", 4, 70));
    CHECK_INT(mn_vocab_get(&v, "tok7", 4), 70);
    CHECK_INT(mn_vocab_get(&v, "tok4999", 7), 4999);
    CHECK_INT(mn_vocab_get(&v, "tok", 3), -1);
    CHECK_INT(v.count, 5000);
    mn_vocab_free(&v);
}

static void regex_finds_runs_like_tokenizers(void)
{
    mn_regex *re = NULL;
    mn_matches m = {0};
    const char *s = "Hello  world!";

    CHECK_OK(mn_regex_new("\\w+", 3, &re));
    CHECK_OK(mn_regex_find(re, s, strlen(s), &m));
    CHECK_INT(m.n, 4);
    CHECK(m.items[0].is_match && m.items[0].end == 5);
    CHECK(!m.items[1].is_match && m.items[1].start == 5 && m.items[1].end == 7);
    CHECK(m.items[2].is_match && m.items[2].end == 12);
    CHECK(!m.items[3].is_match && m.items[3].end == 13);
    mn_matches_free(&m);
    mn_regex_free(re);
    CHECK_ERR(mn_regex_new("(", 1, &re), MNLP_ERR_FORMAT, "invalid regex");
}

static void bytelevel_alphabet_round_trips(void)
{
    for (int b = 0; b < 256; b++)
        CHECK_INT(mn_bytelevel_byte(mn_bytelevel_char((uint8_t)b)), b);
    CHECK_INT(mn_bytelevel_char(' '), 0x120);  /* 'Ġ' */
    CHECK_INT(mn_bytelevel_char('\n'), 0x10a); /* 'Ċ' */
    CHECK_INT(mn_bytelevel_char('A'), 'A');
    CHECK_INT(mn_bytelevel_byte(0x4e00), -1);
}

TEST_SUITE(nstr, T(transform_removes_at_the_beginning), T(transform_removes_in_the_middle),
           T(transform_removes_at_the_end), T(transform_inserts_at_the_beginning),
           T(multibyte_characters_align_as_a_whole), T(split_follows_each_delimiter_behavior),
           T(split_pieces_keep_original_offsets), T(behavior_names_parse),
           T(vocab_table_maps_and_overwrites), T(regex_finds_runs_like_tokenizers),
           T(bytelevel_alphabet_round_trips));

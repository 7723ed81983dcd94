/* base/json: the strict JSON reader. */
#include "test.h"

#include "base/json.h"

static mn_json_doc *parse(const char *text)
{
    mn_json_doc *doc = NULL;

    if (mn_json_parse(text, strlen(text), NULL, &doc) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "parse(%s): %s", text, mnlp_last_error());
    return doc;
}

static void parses_nested_values_in_order(void)
{
    mn_json_doc *doc = parse("{\"a\": [1, -2.5e3, true, null, \"x\"], \"b\": {\"c\": {}}}");
    const mn_json *root = mn_json_root(doc), *a = mn_json_get(root, "a");

    CHECK_INT(root->len, 2);
    CHECK_INT(a->len, 5);
    CHECK(a->items[0].is_int && a->items[0].integer == 1);
    CHECK(!a->items[1].is_int && a->items[1].number == -2500.0);
    CHECK(a->items[2].type == MN_JSON_BOOL && a->items[2].boolean);
    CHECK(a->items[3].type == MN_JSON_NULL);
    CHECK_STR(a->items[4].str, "x");
    CHECK(mn_json_get(mn_json_get(root, "b"), "c")->type == MN_JSON_OBJECT);
    CHECK(mn_json_get(root, "zz") == NULL);
    mn_json_free(doc);
}

static void integers_keep_64_bit_precision(void)
{
    mn_json_doc *doc = parse("[9223372036854775807, -9223372036854775808, "
                             "9223372036854775808, 1.0, 1e2]");
    const mn_json *r = mn_json_root(doc);

    CHECK(r->items[0].is_int && r->items[0].integer == INT64_MAX);
    CHECK(r->items[1].is_int && r->items[1].integer == INT64_MIN);
    CHECK(!r->items[2].is_int && r->items[2].number == 9223372036854775808.0);
    CHECK(!r->items[3].is_int && r->items[3].number == 1.0);
    CHECK(!r->items[4].is_int && r->items[4].number == 100.0);
    mn_json_free(doc);
}

static void strings_decode_escapes_and_surrogates(void)
{
    mn_json_doc *doc = parse("[\"a\\n\\t\\\"\\\\\\/\", \"\\u00e9\\u2581\", \"\\ud83d\\ude00\","
                             " \"nul\\u0000in\"]");
    const mn_json *r = mn_json_root(doc);

    CHECK_STR(r->items[0].str, "a\n\t\"\\/");
    CHECK_STR(r->items[1].str, "\xc3\xa9\xe2\x96\x81");
    CHECK_STR(r->items[2].str, "\xf0\x9f\x98\x80");
    CHECK_INT(r->items[3].len, 6);
    CHECK(memcmp(r->items[3].str, "nul\0in", 6) == 0);
    mn_json_free(doc);
}

static void duplicate_keys_resolve_to_the_last(void)
{
    mn_json_doc *doc = parse("{\"k\": 1, \"k\": 2}");

    CHECK_INT(mn_json_get(mn_json_root(doc), "k")->integer, 2);
    mn_json_free(doc);
}

static void malformed_input_names_line_and_column(void)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"", "line 1, column 1: unexpected end of input"},
        {"{\"a\" 1}", "line 1, column 6: expected ':'"},
        {"[1, 2", "expected ',' or ']'"},
        {"[1,]", "line 1, column 4: invalid number"},
        {"{\n  \"a\": tru}", "line 2, column 8: invalid literal"},
        {"\"abc", "unterminated string"},
        {"\"a\x01\"", "control character"},
        {"\"\\x\"", "invalid escape"},
        {"\"\\ud800\"", "high surrogate"},
        {"\"\\udc00\"", "lone low surrogate"},
        {"\"\xff\"", "invalid UTF-8"},
        {"01", "unexpected data after the JSON value"},
        {"1.", "expected a digit after '.'"},
        {"1e", "expected a digit in exponent"},
        {"NaN", "invalid number"},
        {"{} {}", "unexpected data"},
        {"{1: 2}", "expected a string key"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mn_json_doc *doc = NULL;

        CHECK_ERR(mn_json_parse(cases[i].text, strlen(cases[i].text), NULL, &doc),
                  MNLP_ERR_FORMAT, cases[i].message);
        CHECK(doc == NULL);
    }
}

static void nesting_beyond_the_limit_is_refused(void)
{
    char deep[2000];
    mn_json_limits limits = {.max_depth = 100};
    mn_json_doc *doc = NULL;

    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    CHECK_ERR(mn_json_parse(deep, sizeof deep, &limits, &doc), MNLP_ERR_LIMIT, "nesting");
    limits.max_depth = 1000;
    CHECK_OK(mn_json_parse(deep, sizeof deep, &limits, &doc));
    mn_json_free(doc);
}

static void path_names_keys_and_indices(void)
{
    mn_json_doc *doc = parse("{\"model\": {\"merges\": [\"a b\", [1]], \"vocab\": {\"\xe2\x96\x81"
                             "a\": 5}}}");
    const mn_json *root = mn_json_root(doc);
    const mn_json *model = mn_json_get(root, "model");
    char buf[128];

    CHECK_STR(mn_json_path(&mn_json_get(model, "merges")->items[1].items[0], buf, sizeof buf),
              "model.merges[1][0]");
    CHECK_STR(mn_json_path(&mn_json_get(model, "vocab")->items[0], buf, sizeof buf),
              "model.vocab[\"\xe2\x96\x81" "a\"]");
    CHECK_STR(mn_json_path(root, buf, sizeof buf), "(root)");
    mn_json_free(doc);
}

static void write_string_escapes_like_python(void)
{
    mn_sb sb = {0};

    mn_json_write_string(&sb, "a\"\\\n\x01\xc3\xa9\xf0\x9f\x98\x80", 11, true);
    CHECK_STR(sb.data, "\"a\\\"\\\\\\n\\u0001\\u00e9\\ud83d\\ude00\"");
    sb.len = 0;
    mn_json_write_string(&sb, "\xc3\xa9", 2, false);
    CHECK_STR(sb.data, "\"\xc3\xa9\"");
    mn_sb_free(&sb);
}

TEST_SUITE(json, T(parses_nested_values_in_order), T(integers_keep_64_bit_precision),
           T(strings_decode_escapes_and_surrogates), T(duplicate_keys_resolve_to_the_last),
           T(malformed_input_names_line_and_column), T(nesting_beyond_the_limit_is_refused),
           T(path_names_keys_and_indices), T(write_string_escapes_like_python));

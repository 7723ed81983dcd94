/*
 * Chat templates: each Jinja construct against the output jinja2 documents
 * for it, limits, and the renders of transformers' apply_chat_template for
 * real chat templates (chat_expected.jsonl fixtures).
 */
#include "test.h"

#include "base/files.h"
#include "base/json.h"
#include "text/chat.h"
#include "text/template.h"

#include <stdlib.h>

/* 2024-07-26 12:00:00 UTC, the frozen clock of the fixtures. */
#define FIXTURE_NOW 1721995200

/* Render src with vars; returns the output or "ERROR: message" (static). */
static const char *render_with(const char *src, const char *vars,
                               const mnlp_template_params *params)
{
    static char result[8192];
    mnlp_template *t = NULL;
    char *out = NULL;
    mnlp_status st = mnlp_template_compile(src, strlen(src), params, &t);

    if (st != MNLP_OK) {
        snprintf(result, sizeof result, "SYNTAX: %s", mnlp_last_error());
        return result;
    }
    st = mnlp_template_render(t, vars, strlen(vars), FIXTURE_NOW, &out, NULL);
    if (st != MNLP_OK)
        snprintf(result, sizeof result, "ERROR: %s", mnlp_template_error(t));
    else
        snprintf(result, sizeof result, "%s", out);
    mnlp_free(out);
    mnlp_template_free(t);
    return result;
}

static const char *render(const char *src, const char *vars)
{
    return render_with(src, vars, NULL);
}

#define R(src, expected) CHECK_STR(render(src, "{}"), expected)
#define RV(src, vars, expected) CHECK_STR(render(src, vars), expected)

static void template_prints_python_values(void)
{
    R("{{ 1 }} {{ 1.5 }} {{ true }} {{ none }} {{ 'a' }}", "1 1.5 True None a");
    R("{{ [1, 'a', none, 2.0] }}", "[1, 'a', None, 2.0]");
    R("{{ {'a': 1, 'b': [true]} }}", "{'a': 1, 'b': [True]}");
    R("{{ (1,) }} {{ (1, 2) }} {{ () }}", "(1,) (1, 2) ()");
    R("{{ [\"it's\"] }}", "[\"it's\"]");
    R("{{ 1e20 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 10 / 4 }}",
      "1e+20 0.30000000000000004 1e-05 2.5");
    R("{{ undefined_name }}|", "|");
}

static void template_arithmetic_follows_python(void)
{
    R("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 7 }}", "3 -4 2 1024 1.0");
    R("{{ 'a' ~ 1 ~ none }} {{ 'ab' * 2 }} {{ [1] + [2] }}", "a1None abab [1, 2]");
    R("{{ 1 + true }} {{ 3 - 1.5 }}", "2 1.5");
    R("{{ 'a' + [1] }}", "ERROR: TypeError: can only concatenate str (not \"list\") to str");
    R("{{ 1 + 'a' }}", "ERROR: TypeError: unsupported operand type(s) for +: 'int' and 'str'");
    R("{{ 1 // 0 }}", "ERROR: ZeroDivisionError: integer division or modulo by zero");
    R("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'b' > 'a' }}", "True False True");
    R("{{ 1 in [1, 2] }} {{ 'x' not in 'abc' }} {{ 'a' in {'a': 1} }}", "True True True");
    R("{{ 1 == 1.0 }} {{ 'a' == 1 }} {{ [1, 2] == [1, 2] }}", "True False True");
    R("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not 0 }}", "x y True");
    R("{{ 'yes' if 1 > 2 else 'no' }}|{{ 'only' if false }}|", "no||");
    R("{{ -2 | abs }} {{ - 2 ** 2 }}", "2 4");
}

static void template_whitespace_control_matches_jinja(void)
{
    /* trim_blocks eats the newline after a tag; lstrip_blocks the indent before it */
    R("{% if true %}\n  x\n{% endif %}\n", "  x\n");
    R("  {% if true %}x{% endif %}", "x");
    R("a  {%- if true -%}  b  {%- endif %}  c", "ab  c");
    R("a\n  {%+ if true %}b{% endif %}", "a\n  b");
    R("a {{- ' b ' -}} c", "a b c");
    R("{# comment #}\nx\n  {#- c #}y", "xy");
    R("{% raw %}{{ not parsed }}{% endraw %}", "{{ not parsed }}");
    R("line\r\nnext\n", "line\nnext");
    R("{{ 'a' }}\n{{ 'b' }}", "a\nb");
}

static void template_string_literals_and_escapes(void)
{
    R("{{ 'a\\nb' }}|{{ \"q\\\"\" }}|{{ 'x' 'y' }}|{{ '\\u00e9' }}", "a\nb|q\"|xy|\xc3\xa9");
    R("{{ 'a\\qb' }}", "a\\qb");
}

static void template_access_and_slicing(void)
{
    const char *vars = "{\"m\": {\"role\": \"user\", \"items\": 3}, \"l\": [1, 2, 3, 4]}";

    RV("{{ m.role }} {{ m['role'] }} {{ l[0] }} {{ l[-1] }} {{ l.1 }}", vars, "user user 1 4 2");
    RV("{{ l[1:3] }} {{ l[::-1] }} {{ l[::2] }} {{ 'hello'[1:] }} {{ l[:-1] }}", vars,
       "[2, 3] [4, 3, 2, 1] [1, 3] ello [1, 2, 3]");
    RV("{{ m['items'] }}", vars, "3");
    RV("{{ m.missing }}|{{ m.missing is defined }}", vars, "|False");
    RV("{{ m.missing.x }}", vars, "ERROR: 'dict object' has no attribute 'missing'");
    RV("{{ l[10].x }}", vars, "ERROR: list object has no element 10");
    RV("{{ nothing.x }}", vars, "ERROR: 'nothing' is undefined");
    RV("{{ l.append(5) }}", vars, "ERROR: access to attribute 'append' of 'list' object is "
       "unsafe.");
    RV("{{ l.missing.x }}", vars, "ERROR: 'list object' has no attribute 'missing'");
    RV("{% for x in undefined_name %}x{% endfor %}{{ undefined_name | length }}", vars, "0");
}

static void template_for_loops(void)
{
    R("{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
      "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
      "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
    R("{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}",
      "-2,1-3,2-,");
    R("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.length }}{% endfor %}", "2242");
    R("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }} {% endfor %}", "a=1 b=2 ");
    R("{% for x in [] %}x{% else %}empty{% endfor %}", "empty");
    R("{% for x in range(10) %}{% if x == 3 %}{% break %}{% endif %}{% if x is odd %}"
      "{% continue %}{% endif %}{{ x }}{% endfor %}", "02");
    R("{% for x in 'ab' %}{{ loop.cycle('o', 'e') }}{{ x }}{% endfor %}", "oaeb");
    R("{% for x in [1, 1, 2] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}", "12");
    R("{% set x = 1 %}{% for i in [2] %}{% set x = i %}{% endfor %}{{ x }}", "1");
    R("{% for a in [[1, 2]] %}{% for b in a %}{{ b }}{% endfor %}{% endfor %}", "12");
}

static void template_set_namespace_macro_call_filter(void)
{
    R("{% set a, b = 1, 2 %}{{ a }}{{ b }}", "12");
    R("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}"
      "{% endfor %}{{ ns.n }}", "6");
    R("{% set x %}in {{ 1 }}{% endset %}[{{ x }}]", "[in 1]");
    R("{% macro hi(name, p='!') %}hi {{ name }}{{ p }}{% endmacro %}{{ hi('a') }} "
      "{{ hi('b', p='?') }}", "hi a! hi b?");
    R("{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}in{% endcall %}", "[in]");
    R("{% filter upper %}abc {{ 'd' }}{% endfilter %}", "ABC D");
    R("{% generation %}gen{% endgeneration %}", "gen");
    R("{% if false %}a{% elif true %}b{% else %}c{% endif %}", "b");
    R("{{ raise_exception('bad input') }}", "ERROR: bad input");
    R("{{ strftime_now('%d %b %Y') }}", "26 Jul 2024");
}

static void template_tests(void)
{
    R("{{ none is none }}{{ 1 is number }}{{ 1 is integer }}{{ 1.0 is float }}"
      "{{ 'a' is string }}{{ {} is mapping }}{{ [] is iterable }}{{ 'a' is sequence }}",
      "TrueTrueTrueTrueTrueTrueTrueTrue");
    R("{{ true is boolean }}{{ true is true }}{{ 0 is false }}{{ 3 is odd }}{{ 4 is even }}"
      "{{ 9 is divisibleby 3 }}{{ 1 is equalto 1 }}{{ 1 is eq 2 }}{{ 1 is ne 2 }}",
      "TrueTrueFalseTrueTrueTrueTrueFalseTrue");
    R("{{ 1 is in [1] }}{{ x is defined }}{{ x is undefined }}{{ x is not none }}",
      "TrueFalseTrueTrue");
}

static void template_filters(void)
{
    R("{{ '  a b  ' | trim }}|{{ 'ab' | upper }}|{{ 'AB' | lower }}|{{ 'hello world' | title }}"
      "|{{ 'hELLO' | capitalize }}", "a b|AB|ab|Hello World|Hello");
    R("{{ [1, 2] | length }} {{ 'abc' | count }} {{ [1, 2] | first }} {{ [1, 2] | last }}",
      "2 3 1 2");
    R("{{ [1, 2] | join(', ') }} {{ x | default('d') }} {{ '' | d('e', true) }}", "1, 2 d e");
    R("{{ 'aXbX' | replace('X', '-') }} {{ 1.7 | int }} {{ '3' | int }} {{ 2 | float }}",
      "a-b- 1 3 2.0");
    R("{{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 2.1 | round(0, 'ceil') }}", "2.0 3.14 3.0");
    R("{{ 'ab' | list }} {{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }}",
      "['a', 'b'] [1, 2, 3] [3, 2, 1]");
    R("{{ [{'a': 2}, {'a': 1}] | sort(attribute='a') | map(attribute='a') | list }}", "[1, 2]");
    R("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3] | reject('odd') | list }}",
      "[1, 3] [2]");
    R("{{ [{'t': 1}, {'t': 0}] | selectattr('t') | list }} "
      "{{ [{'t': 'x'}, {'t': 'y'}] | rejectattr('t', 'equalto', 'x') | list }}",
      "[{'t': 1}] [{'t': 'y'}]");
    R("{{ {'b': 1, 'a': 2} | dictsort }} {{ {'a': 1} | items | list }}",
      "[('a', 2), ('b', 1)] [('a', 1)]");
    R("{{ ['a', 'A', 'b'] | unique | list }} {{ [1, 2] | reverse | list }} {{ 'ab' | reverse }}",
      "['a', 'b'] [2, 1] ba");
    R("{{ 'a\nb' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", "a\n  b|  a\n  b");
    R("{{ [1, 2, 3] | batch(2) | list }} {{ 'a b, c' | wordcount }}", "[[1, 2], [3]] 3");
    R("{{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }} {{ [1, 2, 3] | sum }} {{ ['a'] | map('upper') "
      "| list }}", "1 3 6 ['A']");
    R("{{ 1 | string ~ '' }} {{ 'x' | safe }}", "1 x");
}

static void template_tojson_matches_transformers(void)
{
    R("{{ {'a': [1, 2.5, none, true], 'é': 'ü\"'} | tojson }}",
      "{\"a\": [1, 2.5, null, true], \"é\": \"ü\\\"\"}");
    R("{{ {'a': [1], 'b': {}} | tojson(indent=2) }}",
      "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}");
    R("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}", "{\"a\": 2, \"b\": 1}");
    R("{{ x | tojson }}", "ERROR: TypeError: Object of type Undefined is not JSON serializable");
}

static void template_string_methods(void)
{
    R("{{ ' a '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\na'.lstrip('\\n') }}|"
      "{{ 'a\\n'.rstrip() }}|", "a|a|a|a|");
    R("{{ 'a,b'.split(',') }} {{ ' a  b '.split() }} {{ 'a</think>b'.split('</think>')[-1] }}",
      "['a', 'b'] ['a', 'b'] b");
    R("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'aa'.replace('a', 'b') }}",
      "True True bb");
    R("{{ 'ab'.upper() }} {{ 'AB'.lower() }} {{ 'a b'.title() }} {{ '{} {x}'.format(1, x=2) }}",
      "AB ab A B 1 2");
    R("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b', 0) }} {{ {'a': 1}.keys() | list }} "
      "{{ {'a': 1}.values() | list }}", "1 0 ['a'] [1]");
}

static void template_syntax_errors_name_line_and_column(void)
{
    mnlp_template *t = NULL;

#define COMPILE(src) mnlp_template_compile(src, strlen(src), NULL, &t)
    CHECK_ERR(COMPILE("a\n{% if x %}"), MNLP_ERR_FORMAT,
              "template line 2, column 11: unexpected end of template, expected 'endif'");
    CHECK_ERR(COMPILE("a\n  {{ 1 + }}"), MNLP_ERR_FORMAT,
              "template line 2, column 10: unexpected end of print statement");
    CHECK_ERR(COMPILE("{{ x | nofilter }}"), MNLP_ERR_FORMAT, "no filter named 'nofilter'");
    CHECK_ERR(COMPILE("{{ x is nottest }}"), MNLP_ERR_FORMAT, "no test named 'nottest'");
    CHECK_ERR(COMPILE("{% include 'x' %}"), MNLP_ERR_FORMAT, "unsupported tag 'include'");
    CHECK_ERR(COMPILE("{{ 'abc }}"), MNLP_ERR_FORMAT, "line 1, column 4: unterminated string");
    CHECK_ERR(COMPILE("{% for x in y %}{% endif %}"), MNLP_ERR_FORMAT,
              "unknown or unsupported tag 'endif'");
#undef COMPILE
    CHECK(t == NULL);
}

static void template_limits_stop_hostile_templates(void)
{
    mnlp_template_params p = mnlp_template_default_params();
    mnlp_template *t = NULL;
    char deep[4096];

    p.max_steps = 1000;
    CHECK_STR(render_with("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}"
                          "{% endfor %}", "{}", &p),
              "ERROR: template exceeds max_steps (1000 loop iterations and calls)");
    p = mnlp_template_default_params();
    p.max_output = 100;
    CHECK_STR(render_with("{% for i in range(1000) %}xx{% endfor %}", "{}", &p),
              "ERROR: template output exceeds max_output (100 bytes)");
    p = mnlp_template_default_params();
    CHECK_STR(render_with("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "{}", &p),
              "ERROR: template recursion deeper than max_depth (256)");
    p.max_memory = 1 << 20;
    CHECK_STR(render_with("{% set ns = namespace(s='xxxxxxxx') %}{% for i in range(40) %}"
                          "{% set ns.s = ns.s + ns.s %}{% endfor %}", "{}", &p),
              "ERROR: template memory exceeds max_memory (1048576 bytes)");
    memset(deep, '-', sizeof deep);
    memcpy(deep, "{{ ", 3);
    memcpy(deep + sizeof deep - 6, "1 }}", 5);
    CHECK_ERR(mnlp_template_compile(deep, strlen(deep), NULL, &t), MNLP_ERR_LIMIT,
              "nesting deeper than max_depth (256)");
    CHECK(t == NULL);
}

static void template_select_from_tokenizer_config(void)
{
    const char *text = "{\"chat_template\": [{\"name\": \"default\", \"template\": \"D\"},"
                       " {\"name\": \"tool_use\", \"template\": \"T\"}]}";
    mn_json_doc *doc = NULL;
    mn_chat_templates c = {0};
    const mn_chat_template *t;

    CHECK_OK(mn_json_parse(text, strlen(text), NULL, &doc));
    CHECK_OK(mn_chat_templates_load(test_tmpdir(), mn_json_root(doc), &c));
    CHECK_INT(c.n, 2);
    CHECK((t = mn_chat_templates_find(&c, "default")) && t->len == 1 && t->source[0] == 'D');
    CHECK((t = mn_chat_templates_find(&c, "tool_use")) && t->len == 1 && t->source[0] == 'T');
    CHECK(mn_chat_templates_find(&c, "rag") == NULL);
    mn_chat_templates_free(&c);
    mn_json_free(doc);
    /* A malformed entry names its path. */
    text = "{\"chat_template\": [{\"name\": \"default\"}]}";
    CHECK_OK(mn_json_parse(text, strlen(text), NULL, &doc));
    CHECK_ERR(mn_chat_templates_load(test_tmpdir(), mn_json_root(doc), &c), MNLP_ERR_FORMAT,
              "tokenizer_config.json: chat_template[0]: is not a {\"name\", \"template\"}");
    mn_json_free(doc);
}

/* ---- Fixture renders ------------------------------------------------- */

/* The special tokens apply_chat_template passes: plain strings (or the
 * "content" of an added-token object) and additional_special_tokens. */
static void write_special_tokens(mn_sb *sb, const mn_json *config)
{
    static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token", "mask_token"};

    for (int i = 0; i < MN_COUNT(keys); i++) {
        const mn_json *v = mn_json_get(config, keys[i]);
        if (v && v->type == MN_JSON_OBJECT)
            v = mn_json_get(v, "content");
        if (!v || v->type != MN_JSON_STRING)
            continue;
        mn_sb_printf(sb, "\"%s\":", keys[i]);
        mn_json_write_value(sb, v);
        mn_sb_puts(sb, ",");
    }
    const mn_json *extra = mn_json_get(config, "additional_special_tokens");
    if (extra && extra->type == MN_JSON_ARRAY && extra->len) {
        mn_sb_puts(sb, "\"additional_special_tokens\":");
        mn_json_write_value(sb, extra);
        mn_sb_puts(sb, ",");
    }
}

/* Renders every case of dir/chat_expected.jsonl; returns how many match. */
static int check_fixture(const char *model, const char *tpl_text, size_t tpl_len,
                         const mn_json *tokens, int *total)
{
    char path[1024];
    mn_json_doc *cases[64];
    mnlp_template *t = NULL;
    int n, matched = 0;

    snprintf(path, sizeof path, "%s/%s/chat_expected.jsonl", test_tokenizer_fixtures(), model);
    n = test_read_jsonl(path, cases, 64);
    *total = n;
    CHECK_OK(mnlp_template_compile(tpl_text, tpl_len, NULL, &t));
    for (int i = 0; i < n && t; i++) {
        const mn_json *c = mn_json_root(cases[i]), *input = mn_json_get(c, "input");
        const mn_json *want = mn_json_get(c, "output"), *err = mn_json_get(c, "error");
        mn_sb vars = {0};
        char *out = NULL;
        size_t len = 0;
        mnlp_status st;

        mn_sb_puts(&vars, "{\"tools\":null,\"documents\":null,");
        write_special_tokens(&vars, tokens);
        for (size_t k = 0; k < input->len; k++) {
            mn_json_write_string(&vars, input->items[k].key, input->items[k].key_len, false);
            mn_sb_puts(&vars, ":");
            mn_json_write_value(&vars, &input->items[k]);
            mn_sb_puts(&vars, k + 1 < input->len ? "," : "");
        }
        mn_sb_puts(&vars, "}");
        st = mnlp_template_render(t, vars.data, vars.len, FIXTURE_NOW, &out, &len);
        if (want && st == MNLP_OK && len == want->len && memcmp(out, want->str, len) == 0)
            matched++;
        else if (err && st != MNLP_OK && strcmp(mnlp_template_error(t), err->str) == 0)
            matched++;
        else if (getenv("MNLP_TEST_VERBOSE"))
            fprintf(stderr, "  %s case %d: got %s\n[%s]\n  expected\n[%s]\n", model, i,
                    st == MNLP_OK ? "output" : "error",
                    st == MNLP_OK ? out : mnlp_template_error(t),
                    want ? want->str : err ? err->str : "?");
        mnlp_free(out);
        mn_sb_free(&vars);
    }
    for (int i = 0; i < n; i++)
        mn_json_free(cases[i]);
    mnlp_template_free(t);
    return matched;
}

static mn_json_doc *read_json_file(const char *model, const char *name)
{
    char path[1024], *text = NULL;
    size_t len = 0;
    mn_json_doc *doc = NULL;

    snprintf(path, sizeof path, "%s/%s/%s", test_tokenizer_fixtures(), model, name);
    CHECK_OK(mn_read_file(path, 1 << 26, &text, &len));
    if (text)
        CHECK_OK(mn_json_parse(text, len, NULL, &doc));
    mn_free(text);
    return doc;
}

static void template_renders_tokenizer_config_templates(void)
{
    static const char *const models[] = {"llama-3", "qwen3", "gemma-3"};

    for (int i = 0; i < MN_COUNT(models); i++) {
        mn_json_doc *config = read_json_file(models[i], "tokenizer_config.json");
        const char *tpl = NULL;
        size_t len = 0;
        int total = 0, matched;

        if (!config)
            continue;
        mn_chat_templates c = {0};
        const mn_chat_template *def;

        CHECK_OK(mn_chat_templates_load(test_tmpdir(), mn_json_root(config), &c));
        def = mn_chat_templates_find(&c, "default");
        CHECK(def != NULL);
        if (def) {
            tpl = def->source;
            len = def->len;
        }
        matched = def ? check_fixture(models[i], tpl, len, mn_json_root(config), &total) : 0;
        mn_chat_templates_free(&c);
        if (matched != total || total != 27)
            test_fail(__FILE__, __LINE__, "%s: %d of %d renders match", models[i], matched,
                      total);
        mn_json_free(config);
    }
}

static void template_renders_chat_template_files(void)
{
    static const char *const models[] = {"Llama-3.1-8B-Instruct", "Llama-3.2-3B-Instruct",
                                         "Phi-3.5-mini-instruct", "Qwen2.5-7B-Instruct",
                                         "gemma-2-2b-it"};
    static const int cases[] = {30, 29, 27, 27, 27};

    for (int i = 0; i < MN_COUNT(models); i++) {
        char dir[256], path[1024], *text = NULL;
        size_t len = 0;
        mn_json_doc *tokens;
        int total = 0, matched;

        snprintf(dir, sizeof dir, "chat_templates_extra/%s", models[i]);
        tokens = read_json_file(dir, "special_tokens.json");
        snprintf(path, sizeof path, "%s/%s/chat_template.jinja", test_tokenizer_fixtures(), dir);
        CHECK_OK(mn_read_file(path, 1 << 24, &text, &len));
        if (tokens && text) {
            matched = check_fixture(dir, text, len, mn_json_root(tokens), &total);
            if (matched != total || total != cases[i])
                test_fail(__FILE__, __LINE__, "%s: %d of %d renders match", models[i],
                          matched, total);
        }
        mn_free(text);
        mn_json_free(tokens);
    }
}

/*
 * The whole path a user takes: a model folder loaded as AutoTokenizer loads
 * it, and apply_chat_template with each case's variables; the special
 * tokens come from the tokenizer, not from the test.
 */
static void model_folder_applies_its_chat_template(void)
{
    static const char *const models[] = {"llama-3", "qwen3", "gemma-3"};

    for (int m = 0; m < MN_COUNT(models); m++) {
        char path[1024];
        mn_json_doc *cases[64];
        mnlp_tokenizer *tok = NULL;
        int n, matched = 0;

        snprintf(path, sizeof path, "%s/%s", test_tokenizer_fixtures(), models[m]);
        CHECK_OK(mnlp_tokenizer_load(path, &tok));
        snprintf(path, sizeof path, "%s/%s/chat_expected.jsonl", test_tokenizer_fixtures(),
                 models[m]);
        n = test_read_jsonl(path, cases, 64);
        for (int i = 0; i < n && tok; i++) {
            const mn_json *c = mn_json_root(cases[i]), *input = mn_json_get(c, "input");
            const mn_json *want = mn_json_get(c, "output"), *err = mn_json_get(c, "error");
            mn_sb vars = {0};
            char *out = NULL;
            size_t len = 0;
            mnlp_status st;

            mn_json_write_value(&vars, input);
            st = mnlp_tokenizer_apply_chat_template(tok, NULL, vars.data, vars.len, FIXTURE_NOW,
                                                    &out, &len);
            if (want ? st == MNLP_OK && len == want->len && !memcmp(out, want->str, len)
                     : err && st != MNLP_OK && !strcmp(mnlp_tokenizer_error(tok), err->str))
                matched++;
            mnlp_free(out);
            mn_sb_free(&vars);
        }
        if (matched != n || n != 27)
            test_fail(__FILE__, __LINE__, "%s: %d of %d chats match", models[m], matched, n);
        for (int i = 0; i < n; i++)
            mn_json_free(cases[i]);
        mnlp_tokenizer_free(tok);
    }
}

TEST_SUITE(template, T(template_prints_python_values), T(template_arithmetic_follows_python),
           T(template_whitespace_control_matches_jinja),
           T(template_string_literals_and_escapes), T(template_access_and_slicing),
           T(template_for_loops), T(template_set_namespace_macro_call_filter),
           T(template_tests), T(template_filters), T(template_tojson_matches_transformers),
           T(template_string_methods), T(template_syntax_errors_name_line_and_column),
           T(template_limits_stop_hostile_templates),
           T(template_select_from_tokenizer_config),
           T(template_renders_tokenizer_config_templates),
           T(model_folder_applies_its_chat_template),
           T(template_renders_chat_template_files));

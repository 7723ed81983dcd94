/*
 * ref_cases REFERENCE.json REQUESTS.jsonl EXPECTED.jsonl: the generation
 * cases of a fixture's reference.json as `mnlp generate` requests and the
 * lines it must answer. Both fixture layouts are read: "generation"
 * (input_ids, attention_mask, kwargs, output_ids) and stories260K's "cases"
 * (prompt_ids or input_ids, attention_mask, generate_kwargs, sequence or
 * sequences). Used by test_cli.sh.
 */
#include "base/files.h"
#include "base/json.h"

#include <stdio.h>
#include <string.h>

static void write_rows(mn_sb *sb, const mn_json *v)
{
    /* A single sequence (a list of ids) becomes a batch of one. */
    bool single = v->type == MN_JSON_ARRAY && v->len && v->items[0].type != MN_JSON_ARRAY;

    mn_sb_puts(sb, single ? "[" : "");
    mn_json_write_value(sb, v);
    mn_sb_puts(sb, single ? "]" : "");
}

int main(int argc, char **argv)
{
    char *text = NULL;
    size_t len;
    mn_json_doc *doc = NULL;
    const mn_json *cases;
    FILE *req, *exp;
    int n = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: ref_cases REFERENCE.json REQUESTS.jsonl EXPECTED.jsonl\n");
        return 2;
    }
    if (mn_read_file(argv[1], 1u << 28, &text, &len) != MNLP_OK ||
        mn_json_parse(text, len, NULL, &doc) != MNLP_OK) {
        fprintf(stderr, "ref_cases: %s\n", mnlp_last_error());
        return 1;
    }
    cases = mn_json_get(mn_json_root(doc), "generation");
    if (!cases)
        cases = mn_json_get(mn_json_root(doc), "cases");
    req = fopen(argv[2], "w");
    exp = fopen(argv[3], "w");
    for (size_t i = 0; cases && req && exp && i < cases->len; i++) {
        const mn_json *c = &cases->items[i], *ids, *mask, *kwargs, *want;
        mn_sb r = {0}, e = {0};

        ids = mn_json_get(c, "input_ids") ? mn_json_get(c, "input_ids")
                                           : mn_json_get(c, "prompt_ids");
        mask = mn_json_get(c, "attention_mask");
        kwargs = mn_json_get(c, "kwargs") ? mn_json_get(c, "kwargs")
                                           : mn_json_get(c, "generate_kwargs");
        want = mn_json_get(c, "output_ids") ? mn_json_get(c, "output_ids")
               : mn_json_get(c, "sequences") ? mn_json_get(c, "sequences")
                                             : mn_json_get(c, "sequence");
        if (!ids || !kwargs || !want)
            continue;
        mn_sb_puts(&r, "{\"input_ids\":");
        write_rows(&r, ids);
        if (mask) {
            mn_sb_puts(&r, ",\"attention_mask\":");
            write_rows(&r, mask);
        }
        for (size_t k = 0; k < kwargs->len; k++) {
            mn_sb_puts(&r, ",");
            mn_json_write_string(&r, kwargs->items[k].key, kwargs->items[k].key_len, false);
            mn_sb_puts(&r, ":");
            mn_json_write_value(&r, &kwargs->items[k]);
        }
        mn_sb_puts(&r, "}\n");
        mn_sb_puts(&e, "{\"sequences\":");
        write_rows(&e, want);
        mn_sb_puts(&e, "}\n");
        fwrite(r.data, 1, r.len, req);
        fwrite(e.data, 1, e.len, exp);
        mn_sb_free(&r);
        mn_sb_free(&e);
        n++;
    }
    if (req)
        fclose(req);
    if (exp)
        fclose(exp);
    mn_json_free(doc);
    mn_free(text);
    return n > 0 ? 0 : 1;
}

/* mnlp tokenize MODEL: JSON strings in, {"ids", "tokens", "offsets"} out, one per line. */
#include "cli.h"

#include <string.h>

typedef struct job {
    mnlp_tokenizer *tok;
    bool add_special_tokens;
} job;

static int encode_line(const mnlp_json *v, void *ctx, const char **why)
{
    const job *j = ctx;
    mnlp_encoding *e = NULL;
    size_t len, n;
    const char *text = mnlp_json_string(v, &len);

    if (!text) {
        *why = "expected a JSON string";
        return CLI_FAIL;
    }
    if (mnlp_tokenizer_encode(j->tok, text, len, j->add_special_tokens, &e) != MNLP_OK)
        return CLI_FAIL;
    n = mnlp_encoding_len(e);
    printf("{\"ids\":[");
    for (size_t i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", mnlp_encoding_ids(e)[i]);
    printf("],\"tokens\":[");
    for (size_t i = 0; i < n; i++) {
        const char *t = mnlp_encoding_token(e, i);

        printf(i ? "," : "");
        cli_print_json_string(t, strlen(t));
    }
    printf("],\"offsets\":[");
    for (size_t i = 0; i < n; i++) {
        size_t s, end;

        mnlp_encoding_offsets(e, i, &s, &end);
        printf("%s[%zu,%zu]", i ? "," : "", s, end);
    }
    printf("]}\n");
    mnlp_encoding_free(e);
    return CLI_OK;
}

static int run_tokenize(int argc, char **argv)
{
    static const char *const no_special[] = {"--no-special-tokens", NULL};
    static const char *const *const flags[] = {no_special};
    cli_model_args args;
    bool plain = false;
    job j = {NULL, true};
    int rc;

    if ((rc = cli_parse_model_args(&cli_tokenize, argc, argv, flags, &plain, 1, 0, &args)) !=
            CLI_OK ||
        (rc = cli_open_tokenizer(args.model, args.revision, &j.tok)) != CLI_OK)
        return rc;
    j.add_special_tokens = !plain;
    rc = cli_each_line(encode_line, &j);
    mnlp_tokenizer_free(j.tok);
    return rc;
}

const cli_command cli_tokenize = {
    .name = "tokenize",
    .summary = "encode text with a model's tokenizer",
    .usage =
        "usage: mnlp tokenize MODEL [--no-special-tokens] [--revision REV]\n"
        "\n"
        "Read one JSON string per line on stdin; write one JSON object per line:\n"
        "  {\"ids\":[...],\"tokens\":[...],\"offsets\":[[start,end],...]}\n"
        "with offsets in code points of the input, as the tokenizers library reports\n"
        "them. Special tokens ([CLS], <s>, ...) are added unless --no-special-tokens.\n",
    .run = run_tokenize,
};

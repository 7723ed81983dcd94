/* mnlp detokenize MODEL: JSON arrays of ids in, JSON strings out, one per line. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct job {
    mnlp_tokenizer *tok;
    bool skip_special_tokens;
} job;

static int decode_line(const mnlp_json *v, void *ctx, const char **why)
{
    static char msg[64];
    const job *j = ctx;
    size_t n = mnlp_json_len(v);
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    char *text = NULL;
    size_t len = 0;
    int rc = CLI_OK;

    if (!ids) {
        *why = "out of memory";
        return CLI_FAIL;
    }
    if (mnlp_json_typeof(v) != MNLP_JSON_ARRAY) {
        *why = "expected a JSON array of token ids";
        rc = CLI_FAIL;
    }
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        int64_t id;

        if (!mnlp_json_int(mnlp_json_at(v, i), &id) || id < 0 || id > INT32_MAX) {
            snprintf(msg, sizeof msg, "element %zu is not a token id", i);
            *why = msg;
            rc = CLI_FAIL;
        } else {
            ids[i] = (int32_t)id;
        }
    }
    if (rc == CLI_OK &&
        mnlp_tokenizer_decode(j->tok, ids, n, j->skip_special_tokens, &text, &len) != MNLP_OK)
        rc = CLI_FAIL;
    if (rc == CLI_OK) {
        cli_print_json_string(text, len);
        printf("\n");
    }
    mnlp_free(text);
    free(ids);
    return rc;
}

static int run_detokenize(int argc, char **argv)
{
    static const char *const skip[] = {"--skip-special-tokens", NULL};
    static const char *const *const flags[] = {skip};
    cli_model_args args;
    job j = {NULL, false};
    int rc;

    if ((rc = cli_parse_model_args(&cli_detokenize, argc, argv, flags, &j.skip_special_tokens, 1,
                                   0, &args)) != CLI_OK ||
        (rc = cli_open_tokenizer(args.model, args.revision, &j.tok)) != CLI_OK)
        return rc;
    rc = cli_each_line(decode_line, &j);
    mnlp_tokenizer_free(j.tok);
    return rc;
}

const cli_command cli_detokenize = {
    .name = "detokenize",
    .summary = "decode token ids with a model's tokenizer",
    .usage =
        "usage: mnlp detokenize MODEL [--skip-special-tokens] [--revision REV]\n"
        "\n"
        "Read one JSON array of token ids per line on stdin; write the decoded text\n"
        "as one JSON string per line. --skip-special-tokens drops special tokens\n"
        "(<s>, [CLS], ...) as decode(ids, skip_special_tokens=True) does.\n",
    .run = run_detokenize,
};

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
    const char *model = NULL, *revision = NULL;
    job j = {NULL, false};
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--skip-special-tokens"))
            j.skip_special_tokens = true;
        else if (!strcmp(argv[i], "--revision") && i + 1 < argc)
            revision = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(&cli_detokenize, "unknown option %s", argv[i]);
        else if (model)
            return cli_usage_error(&cli_detokenize, "more than one MODEL");
        else
            model = argv[i];
    }
    if (!model)
        return cli_usage_error(&cli_detokenize, "no MODEL given");
    if ((rc = cli_open_tokenizer(model, revision, &j.tok)) != CLI_OK)
        return rc;
    rc = cli_each_line(decode_line, &j);
    mnlp_tokenizer_free(j.tok);
    return rc;
}

const cli_command cli_detokenize = {
    .name = "detokenize",
    .summary = "decode token ids with a model's tokenizer.json",
    .usage =
        "usage: mnlp detokenize MODEL [--skip-special-tokens] [--revision REV]\n"
        "\n"
        "Read one JSON array of token ids per line on stdin; write the decoded text\n"
        "as one JSON string per line. --skip-special-tokens drops special tokens\n"
        "(<s>, [CLS], ...) as decode(ids, skip_special_tokens=True) does.\n",
    .run = run_detokenize,
};

/* Helpers the subcommands share: finding a model's files, reading stdin, printing JSON. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Whether arg is one of the spellings in names (NULL-terminated). */
static bool is_flag(const char *arg, const char *const *names)
{
    for (; *names; names++)
        if (!strcmp(arg, *names))
            return true;
    return false;
}

int cli_parse_model_args(const cli_command *cmd, int argc, char **argv,
                         const char *const *const *flags, bool *on, int n, int max_extra,
                         cli_model_args *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 1; i < argc; i++) {
        int f = 0;

        while (f < n && !is_flag(argv[i], flags[f]))
            f++;
        if (f < n)
            on[f] = true;
        else if (!strcmp(argv[i], "--revision") && i + 1 < argc)
            out->revision = argv[++i];
        else if (!strncmp(argv[i], "--revision=", 11))
            out->revision = argv[i] + 11;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option %s", argv[i]);
        else if (!out->model)
            out->model = argv[i];
        else if (out->n_extra < max_extra && out->n_extra < 4)
            out->extra[out->n_extra++] = argv[i];
        else
            return cli_usage_error(cmd, "unexpected argument %s", argv[i]);
    }
    if (!out->model)
        return cli_usage_error(cmd, "no MODEL given");
    return CLI_OK;
}

int cli_open_tokenizer_quiet(const char *model, const char *revision, mnlp_tokenizer **out)
{
    mnlp_model_location loc;

    *out = NULL;
    if (mnlp_model_locate(model, revision, &loc) != MNLP_OK ||
        mnlp_tokenizer_load(loc.path, out) != MNLP_OK)
        return CLI_FAIL;
    return CLI_OK;
}

int cli_open_tokenizer(const char *model, const char *revision, mnlp_tokenizer **out)
{
    mnlp_model_location loc;

    if (mnlp_model_locate(model, revision, &loc) != MNLP_OK ||
        mnlp_tokenizer_load(loc.path, out) != MNLP_OK)
        return cli_fail(NULL);
    return CLI_OK;
}

void cli_print_json_string(const char *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;

    /* ensure_ascii off: the text stays readable UTF-8, as JSON allows. */
    if (mnlp_json_quote(s, n, false, &buf, &len, &cap) == MNLP_OK)
        fwrite(buf, 1, len, stdout);
    mnlp_free(buf);
}

int cli_each_line(int (*fn)(const mnlp_json *value, void *ctx, const char **why), void *ctx)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = CLI_OK;

    while (rc == CLI_OK && (n = getline(&line, &cap, stdin)) >= 0) {
        mnlp_json_doc *doc = NULL;
        const char *why = NULL;

        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (mnlp_json_parse(line, (size_t)n, &doc) != MNLP_OK) {
            const char *msg = mnlp_last_error();

            /* "line 1, column 3: ..." of a one-line document reads as "line N, column 3". */
            if (strncmp(msg, "line 1, ", 8) == 0)
                fprintf(stderr, "mnlp: error: stdin line %ld, %s\n", lineno, msg + 8);
            else
                fprintf(stderr, "mnlp: error: stdin line %ld: %s\n", lineno, msg);
            rc = CLI_FAIL;
            break;
        }
        rc = fn(mnlp_json_root(doc), ctx, &why);
        if (rc != CLI_OK)
            fprintf(stderr, "mnlp: error: stdin line %ld: %s\n", lineno,
                    why ? why : mnlp_last_error());
        mnlp_json_free(doc);
        fflush(stdout);
    }
    free(line);
    return rc;
}

/* mnlp chat-template MODEL: one JSON object of chat variables in, the rendered prompt out. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" (UTC) as seconds since the epoch. */
static bool parse_date(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n_date = 0, n_time = 0;

    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n_date) != 3)
        return false;
    if (s[n_date] && (sscanf(s + n_date, "T%2d:%2d:%2d%n", &h, &mi, &sec, &n_time) != 3 ||
                      s[n_date + n_time]))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
        mi < 0 || sec < 0)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

/* All of stdin. */
static char *read_stdin(size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap), *grown;

    while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap) {
            if (!(grown = realloc(buf, cap * 2))) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
    }
    *len = n;
    return buf;
}

static int run_chat_template(int argc, char **argv)
{
    const char *name = NULL, *date = NULL;
    char **rest = malloc(sizeof *rest * (size_t)(argc + 1));
    int n_rest = 0, rc;
    int64_t now = MNLP_TEMPLATE_NOW_CLOCK;
    cli_model_args args;
    mnlp_tokenizer *tok = NULL;
    char *vars = NULL, *out = NULL;
    size_t vars_len = 0, out_len = 0;

    if (!rest)
        return CLI_FAIL;
    /* --template NAME and --date DATE here; the rest is MODEL and --revision. */
    for (int i = 0; i < argc; i++) {
        if (i > 0 && (!strcmp(argv[i], "--template") || !strcmp(argv[i], "--date")) &&
            i + 1 < argc) {
            *(argv[i][2] == 't' ? &name : &date) = argv[i + 1];
            i++;
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    rc = cli_parse_model_args(&cli_chat_template, n_rest, rest, NULL, NULL, 0, 0, &args);
    if (rc == CLI_OK && date && !parse_date(date, &now))
        rc = cli_usage_error(&cli_chat_template, "--date %s is not YYYY-MM-DD[THH:MM:SS]", date);
    if (rc == CLI_OK)
        rc = cli_open_tokenizer(args.model, args.revision, &tok);
    if (rc == CLI_OK && !(vars = read_stdin(&vars_len))) {
        fprintf(stderr, "mnlp: error: cannot read stdin\n");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK &&
        mnlp_tokenizer_apply_chat_template(tok, name, vars, vars_len, now, &out, &out_len) !=
            MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK)
        fwrite(out, 1, out_len, stdout);
    mnlp_free(out);
    free(vars);
    free(rest);
    mnlp_tokenizer_free(tok);
    return rc;
}

const cli_command cli_chat_template = {
    .name = "chat-template",
    .summary = "render a chat with a model's chat template",
    .usage =
        "usage: mnlp chat-template MODEL [--template NAME] [--date YYYY-MM-DD[THH:MM:SS]]\n"
        "                          [--revision REV]\n"
        "\n"
        "Read one JSON object from stdin:\n"
        "  {\"messages\": [...], \"tools\": [...], \"documents\": [...],\n"
        "   \"add_generation_prompt\": true, ...extra variables}\n"
        "and write exactly the text the model's chat template renders, as\n"
        "apply_chat_template(tokenize=False) does, with the tokenizer's special tokens\n"
        "(bos_token, ...) passed to it. --template picks a named template (default:\n"
        "\"tool_use\" when tools are given and the model has one, else \"default\").\n"
        "--date fixes the time strftime_now reports (UTC; default: the clock). An\n"
        "error the template raises is printed and the exit status is 1.\n",
    .run = run_chat_template,
};

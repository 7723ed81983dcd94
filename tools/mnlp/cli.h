/* The mnlp command line: one file per subcommand, this table joins them. */
#ifndef MNLP_CLI_H
#define MNLP_CLI_H

#include "mnlp.h"

#include <stdio.h>

/* Exit codes: 0 success, 1 the command failed, 2 it was called wrongly. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;   /* one line for `mnlp --help` */
    const char *usage;     /* full help for `mnlp help NAME` */
    int (*run)(int argc, char **argv);
    bool generates;        /* takes the generation flags (listed after usage) */
} cli_command;

extern const cli_command cli_info, cli_tokenize, cli_detokenize, cli_chat_template, cli_run,
    cli_chat, cli_generate, cli_forward;

/* Print "mnlp: error: <what>: <last error>" to stderr; returns CLI_FAIL. */
int cli_fail(const char *what);

/* Print a usage error and a pointer to the help; returns CLI_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...);

/*
 * The arguments of a command on one model: MODEL, then up to max_extra more
 * positional arguments (extra[]), --revision REV (or --revision=REV), and the
 * boolean options named in flags[0..n) (NULL-terminated lists of spellings,
 * e.g. {"-v", "--verbose", NULL}), whose values go to on[0..n). Returns
 * CLI_OK or a usage error.
 */
typedef struct cli_model_args {
    const char *model, *revision;
    const char *extra[4];
    int n_extra;
} cli_model_args;

int cli_parse_model_args(const cli_command *cmd, int argc, char **argv,
                         const char *const *const *flags, bool *on, int n, int max_extra,
                         cli_model_args *out);

/*
 * Generation parameters by transformers' names (gen_params.c). cli_gen_flag
 * reads argv[*i] as --top-p 0.9 style flag (advancing *i past its value):
 * 1 when it was one, 0 when it is no generation flag, -1 when its value is
 * bad. cli_gen_json sets the field called name from a JSON value; false when
 * there is no such field or the value does not fit it.
 */
int cli_gen_flag(mnlp_generate_params *p, int argc, char **argv, int *i);
bool cli_gen_json(mnlp_generate_params *p, const char *name, const mnlp_json *v);
bool cli_gen_is_param(const char *name);
void cli_gen_help(FILE *out);

/* Load the tokenizer of MODEL (a folder or a cached repo id). */
int cli_open_tokenizer(const char *model, const char *revision, mnlp_tokenizer **out);
/* The same without printing an error (for optional uses). */
int cli_open_tokenizer_quiet(const char *model, const char *revision, mnlp_tokenizer **out);

/* Print s[0..n) as a JSON string literal on stdout. */
void cli_print_json_string(const char *s, size_t n);

/*
 * Call fn with each non-empty line of stdin parsed as JSON; stops at the
 * first failure, reported with its line number and the message fn left in
 * why (a static string), or else mnlp's last error.
 */
int cli_each_line(int (*fn)(const mnlp_json *value, void *ctx, const char **why), void *ctx);

#endif

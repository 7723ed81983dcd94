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

/*
 * A growing sequence of token ids printed as it is decoded (stream.c): the
 * ids from `from` on are decoded again after each new one and the text
 * past what was printed goes out; a tail ending in U+FFFD (a character whose
 * bytes are still arriving) waits, unless final.
 */
typedef struct cli_stream {
    const mnlp_tokenizer *tok;
    int64_t *ids;
    int64_t n, cap, from;
    size_t printed;
    int rc;                       /* the streamer callback's failure */
} cli_stream;

int cli_stream_add(cli_stream *s, int64_t id);
int cli_stream_print(cli_stream *s, bool final);
/* The text of ids[from..n) without special tokens (mnlp_free), or NULL. */
char *cli_stream_text(const cli_stream *s, size_t *len);
/* An mnlp_token_callback: add and print; nonzero (stop) on failure. */
int cli_stream_on_token(int64_t id, void *stream);
void cli_stream_free(cli_stream *s);

/* A conversation as the JSON text of a messages list, without brackets. */
typedef struct cli_messages {
    char *json;
    size_t len, cap;
} cli_messages;

bool cli_messages_add(cli_messages *m, const char *role, const char *text, size_t n);
/* The chat template's rendering of m with the generation prompt, as ids. */
int cli_chat_prompt(const mnlp_tokenizer *tok, const cli_messages *m, int64_t **ids, int64_t *n);

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

/* mnlp: dispatch to a subcommand, and the global help and version. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

static const cli_command *const commands[] = {
    &cli_info,
    &cli_tokenize,
    &cli_detokenize,
    &cli_chat_template,
    &cli_run,
    &cli_chat,
    &cli_generate,
    &cli_forward,
};

static void print_help(FILE *out)
{
    fprintf(out,
            "mnlp %s: run Hugging Face models natively\n"
            "\n"
            "usage: mnlp COMMAND [ARGS]\n"
            "\n"
            "MODEL is a folder with config.json and safetensors weights, or a repo id\n"
            "(org/name) in the local Hugging Face cache.\n"
            "\n"
            "commands:\n",
            mnlp_version());
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n"
            "  mnlp help COMMAND    help for one command\n"
            "  mnlp --version       the version\n"
            "\n"
            "environment: MNLP_LOG=debug|info|warn|error, MNLP_NUM_THREADS=N,\n"
            "HF_HUB_CACHE / HF_HOME for the Hugging Face cache\n");
}

static void print_usage(const cli_command *cmd)
{
    fputs(cmd->usage, stdout);
    if (cmd->generates)
        cli_gen_help(stdout);
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int cli_fail(const char *what)
{
    if (what && *what)
        fprintf(stderr, "mnlp: error: %s: %s\n", what, mnlp_last_error());
    else
        fprintf(stderr, "mnlp: error: %s\n", mnlp_last_error());
    return CLI_FAIL;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "mnlp %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see `mnlp help %s`)\n", cmd->name);
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    const cli_command *cmd;

    if (argc < 2) {
        print_help(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_help(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("mnlp %s\n", mnlp_version());
        return CLI_OK;
    }
    if (!strcmp(argv[1], "help")) {
        if (argc < 3) {
            print_help(stdout);
            return CLI_OK;
        }
        if (!(cmd = find(argv[2]))) {
            fprintf(stderr, "mnlp: no command \"%s\" (see `mnlp --help`)\n", argv[2]);
            return CLI_USAGE;
        }
        print_usage(cmd);
        return CLI_OK;
    }
    if (!(cmd = find(argv[1]))) {
        fprintf(stderr, "mnlp: no command \"%s\" (see `mnlp --help`)\n", argv[1]);
        return CLI_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_usage(cmd);
            return CLI_OK;
        }
    }
    return cmd->run(argc - 1, argv + 1);
}

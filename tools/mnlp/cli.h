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
} cli_command;

extern const cli_command cli_info;

/* Print "mnlp: error: <what>: <last error>" to stderr; returns CLI_FAIL. */
int cli_fail(const char *what);

/* Print a usage error and a pointer to the help; returns CLI_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...);

#endif

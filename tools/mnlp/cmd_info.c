/* mnlp info MODEL: where a model is, what it holds, and whether mnlp can run it. */
#include "cli.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "1.0 MB" style sizes, decimal as the Hub shows them. */
static void human_size(double bytes, char *buf, size_t size)
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;

    while (bytes >= 1000 && u < 4)
        bytes /= 1000, u++;
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

/* 260032 -> "260,032". */
static void grouped(unsigned long long v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", v), j = 0;

    for (int i = 0; i < n && (size_t)j + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
}

static void print_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *names[256];
    int n = 0, more = 0;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n < (int)(sizeof names / sizeof *names) && (names[n] = strdup(e->d_name)))
            n++;
        else
            more++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_string);
    for (int i = 0; i < n; i++) {
        char path[8192], size[32] = "";
        struct stat sb;

        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            human_size((double)sb.st_size, size, sizeof size);
        printf("%-14s%-32s %s\n", i ? "" : "files", names[i], size[0] ? size : "(folder)");
        free(names[i]);
    }
    if (more)
        printf("%-14s(%d more not listed)\n", "", more);
}

static void print_location(const mnlp_model_location *loc)
{
    if (loc->from_cache)
        printf("found         Hugging Face cache %s: %s, revision %s, commit %s\n",
               loc->cache_dir, loc->repo_id, loc->revision, loc->commit);
    else
        printf("found         local folder\n");
    printf("path          %s\n", loc->path);
}

static void print_weights(const mnlp_checkpoint *ckpt, bool verbose)
{
    size_t n = mnlp_checkpoint_count(ckpt), n_files = 0;
    unsigned long long params = 0, dtype_params[MNLP_DTYPE_COUNT] = {0};
    char buf[64];
    mnlp_tensor_info t;
    bool first = true;

    while (mnlp_checkpoint_file(ckpt, n_files))
        n_files++;
    for (size_t i = 0; i < n && mnlp_checkpoint_tensor(ckpt, i, &t) == MNLP_OK; i++) {
        unsigned long long numel = 1;

        for (int d = 0; d < t.ndim; d++)
            numel *= (unsigned long long)t.shape[d];
        params += numel;
        dtype_params[t.dtype] += numel;
    }
    printf("dtype         ");
    for (int d = 0; d < MNLP_DTYPE_COUNT; d++) {
        if (!dtype_params[d])
            continue;
        grouped(dtype_params[d], buf, sizeof buf);
        printf(first ? "%s" : ", %s", mnlp_dtype_name((mnlp_dtype)d));
        if (dtype_params[d] != params)
            printf(" (%s parameters)", buf);
        first = false;
    }
    grouped(params, buf, sizeof buf);
    printf("\nparameters    %s\n", buf);
    printf("tensors       %zu in %zu file%s\n", n, n_files, n_files == 1 ? "" : "s");
    for (size_t i = 0; verbose && i < n && mnlp_checkpoint_tensor(ckpt, i, &t) == MNLP_OK;
         i++) {
        char shape[160];
        size_t used = (size_t)snprintf(shape, sizeof shape, "[");

        for (int d = 0; d < t.ndim && used < sizeof shape; d++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld",
                                     d ? ", " : "", (long long)t.shape[d]);
        if (used < sizeof shape)
            snprintf(shape + used, sizeof shape - used, "]");
        printf("  %-56s %-5s %-16s %s\n", t.name, mnlp_dtype_name(t.dtype), shape,
               n_files > 1 ? t.file : "");
    }
}

static int run_info(int argc, char **argv)
{
    static const char *const verbose_flag[] = {"-v", "--verbose", NULL};
    static const char *const *const flags[] = {verbose_flag};
    cli_model_args args;
    const char *model, *revision;
    bool verbose = false;
    mnlp_model_location loc;
    mnlp_config *config = NULL;
    mnlp_checkpoint *ckpt = NULL;
    mnlp_report *report = NULL;
    int rc = CLI_FAIL;

    if ((rc = cli_parse_model_args(&cli_info, argc, argv, flags, &verbose, 1, 0, &args)) != CLI_OK)
        return rc;
    model = args.model;
    revision = args.revision;
    rc = CLI_FAIL;

    if (mnlp_model_locate(model, revision, &loc) != MNLP_OK)
        return cli_fail(NULL);
    printf("model         %s\n", model);
    print_location(&loc);
    print_files(loc.path);

    if (mnlp_config_load(loc.path, &config) != MNLP_OK)
        return cli_fail(NULL);
    printf("architecture  %s (model_type %s, %s)\n",
           mnlp_config_architecture(config) ? mnlp_config_architecture(config) : "(none)",
           mnlp_config_model_type(config), mnlp_config_class_name(config));
    if (mnlp_checkpoint_open(loc.path, &ckpt) != MNLP_OK) {
        cli_fail(NULL);
        goto done;
    }
    print_weights(ckpt, verbose);
    if (mnlp_model_validate(config, ckpt, &report) != MNLP_OK) {
        cli_fail(NULL);
        goto done;
    }
    for (size_t i = 0; i < mnlp_report_note_count(report); i++)
        printf("note          %s\n", mnlp_report_note(report, i));
    if (mnlp_report_count(report) == 0) {
        printf("validation    valid\n");
        rc = CLI_OK;
    } else {
        printf("validation    invalid: %zu problem%s\n", mnlp_report_count(report),
               mnlp_report_count(report) == 1 ? "" : "s");
        for (size_t i = 0; i < mnlp_report_count(report); i++)
            printf("  %s\n", mnlp_report_item(report, i));
    }
done:
    mnlp_report_free(report);
    mnlp_checkpoint_free(ckpt);
    mnlp_config_free(config);
    return rc;
}

const cli_command cli_info = {
    .name = "info",
    .summary = "where a model is, what it holds, and whether mnlp can run it",
    .usage =
        "usage: mnlp info MODEL [-v] [--revision REV]\n"
        "\n"
        "Locate MODEL (a folder, or a repo id in the Hugging Face cache), list its\n"
        "files, architecture, dtypes and parameter count, and validate it: every\n"
        "tensor the architecture needs present with the right shape, no unexpected\n"
        "tensor, every config field understood. Problems are listed by name and the\n"
        "exit status is 1.\n"
        "\n"
        "  -v, --verbose     list every tensor with its dtype and shape\n"
        "  --revision REV    branch, tag or commit of a cached repo (default: main)\n",
    .run = run_info,
};

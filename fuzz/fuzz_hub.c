/*
 * Fuzz model resolution in a hub cache. The input is three lines: a model
 * id, a revision, and the bytes stored in refs/main of a cached repo. The
 * resolver must never read outside the cache or crash.
 */
#include "mnlp/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ref_path[256];

static void make_cache(void)
{
    static char root[] = "/tmp/mnlp-fuzz-hub-XXXXXX";
    char path[256];

    if (!mkdtemp(root))
        abort();
    snprintf(path, sizeof path, "%s/models--org--name", root);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/models--org--name/refs", root);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/models--org--name/snapshots", root);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/models--org--name/snapshots/"
             "0123456789abcdef0123456789abcdef01234567", root);
    mkdir(path, 0755);
    snprintf(ref_path, sizeof ref_path, "%s/models--org--name/refs/main", root);
    setenv("HF_HUB_CACHE", root, 1);
}

/* Splits off the next line of the input into a NUL-terminated string. */
static char *next_line(const uint8_t **data, size_t *size)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    char *s = malloc(n + 1);

    memcpy(s, *data, n);
    s[n] = '\0';
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mnlp_model_location loc;
    char *model, *revision;
    FILE *f;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (!ref_path[0])
        make_cache();
    model = next_line(&data, &size);
    revision = next_line(&data, &size);
    f = fopen(ref_path, "wb");
    fwrite(data, 1, size, f);
    fclose(f);
    mnlp_model_locate(model, *revision ? revision : NULL, &loc);
    free(model);
    free(revision);
    return 0;
}

/*
 * Fuzz generation_config.json: the input becomes the bundled model's
 * generation_config.json, and a short generation runs with its defaults
 * (at most two new tokens, so every setting is read and checked).
 */
#include "mnlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void cleanup(void)
{
    static const char *const files[] = {"config.json", "model.safetensors",
                                        "generation_config.json"};
    char path[4200];

    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void setup(void)
{
    static const char *const files[] = {"config.json", "model.safetensors"};
    char src[4096], dst[4200];

    snprintf(dir, sizeof dir, "/tmp/mnlp-fuzz-generate-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    for (int i = 0; i < 2; i++) {
        snprintf(src, sizeof src, "%s/models/stories260K/%s", MNLP_SOURCE_DIR, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        if (symlink(src, dst) != 0)
            abort();
    }
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    FILE *f;
    mnlp_lm *lm = NULL;
    mnlp_generate_params p = mnlp_generate_default_params();
    mnlp_generate_output out = {0};
    int64_t prompt[] = {1, 333, 377};

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (!dir[0])
        setup();
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    if (!(f = fopen(path, "wb")))
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    if (mnlp_lm_load(dir, NULL, &lm) != MNLP_OK)
        return 0;
    p.max_new_tokens = 2;
    p.max_length = MNLP_NONE;
    mnlp_generate_sequences(lm, prompt, 3, &p, &out);
    mnlp_generate_output_free(&out);
    mnlp_lm_free(lm);
    return 0;
}

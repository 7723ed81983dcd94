/*
 * Fuzz config.json: parse, read every field of its class through the typed
 * getters (which evaluate derived defaults), and validate it against a
 * fixed tiny checkpoint.
 */
#include "io/io.h"
#include "mnlp/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mnlp_checkpoint *ckpt;

/* A one-tensor checkpoint in a temporary folder, made once. */
static void make_checkpoint(void)
{
    static const char header[] =
        "{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    char dir[] = "/tmp/mnlp-fuzz-XXXXXX", path[64];
    unsigned char len[8] = {sizeof header - 1};
    FILE *f;

    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    fwrite(len, 1, 8, f);
    fwrite(header, 1, sizeof header - 1, f);
    fwrite("\0\0\0\0\0\0\0\0", 1, 8, f);
    fclose(f);
    if (mnlp_checkpoint_open(dir, &ckpt) != MNLP_OK)
        abort();
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mnlp_config *c = NULL;
    mnlp_report *report = NULL;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (!ckpt)
        make_checkpoint();
    if (mnlp_config_parse((const char *)data, size, "config.json", &c) != MNLP_OK)
        return 0;
    for (const mn_config_class *cls = mn_config_class_find(mnlp_config_model_type(c)), *k = cls;
         k; k = k == cls ? mn_config_base_class() : NULL) {
        for (int i = 0; i < k->n_fields; i++) {
            int64_t iv;
            double dv;
            bool bv;
            const char *sv;

            mnlp_config_get_int(c, k->fields[i].name, &iv);
            mnlp_config_get_float(c, k->fields[i].name, &dv);
            mnlp_config_get_bool(c, k->fields[i].name, &bv);
            mnlp_config_get_string(c, k->fields[i].name, &sv);
        }
    }
    if (mnlp_model_validate(c, ckpt, &report) == MNLP_OK)
        mnlp_report_free(report);
    mnlp_config_free(c);
    return 0;
}

/* Fuzz the safetensors validator: any bytes are a candidate file image. */
#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mn_safetensors *st = NULL;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (mn_safetensors_parse(data, size, "fuzz.safetensors", &st) == MNLP_OK) {
        /* A file that passed must describe memory inside the image. */
        for (int i = 0; i < st->n_tensors; i++) {
            const uint8_t *p = st->tensors[i].data;
            size_t n = (size_t)(st->tensors[i].end - st->tensors[i].begin);
            volatile uint8_t sink = 0;

            for (size_t j = 0; j < n; j++)
                sink ^= p[j];
            (void)sink;
        }
        mn_safetensors_free(st);
    }
    return 0;
}

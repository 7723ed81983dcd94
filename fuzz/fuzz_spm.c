/*
 * Fuzz the SentencePiece model reader, then touch every piece and the
 * charsmap so that a bad length or pointer shows up under ASan.
 */
#include "text/spm_model.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mn_spm_model *m = NULL;
    volatile size_t sum = 0;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (mn_spm_parse(data, size, &m) != MNLP_OK)
        return 0;
    for (int32_t i = 0; i < m->n_pieces; i++)
        sum += strlen(m->pieces[i].piece) + m->pieces[i].len + (size_t)m->pieces[i].type;
    for (size_t i = 0; i < m->normalizer_spec.precompiled_charsmap_len; i++)
        sum += m->normalizer_spec.precompiled_charsmap[i];
    sum += strlen(m->trainer_spec.unk_piece) + strlen(m->normalizer_spec.name);
    mn_spm_free(m);
    (void)sum;
    return 0;
}

/*
 * Fuzz tokenizer.json loading: any bytes as a tokenizer file; when one
 * loads, it must also encode and decode a fixed sentence without harm.
 */
#include "mnlp.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char text[] = "Hello  world! <s> 123 \xc3\xa9t\xc3\xa9 \xe4\xb8\xad";
    mnlp_tokenizer *tok = NULL;
    mnlp_encoding *e = NULL;
    char *back = NULL;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (mnlp_tokenizer_parse((const char *)data, size, "fuzz.json", &tok) != MNLP_OK)
        return 0;
    if (mnlp_tokenizer_encode(tok, text, sizeof text - 1, true, &e) == MNLP_OK) {
        mnlp_tokenizer_decode(tok, mnlp_encoding_ids(e), mnlp_encoding_len(e), false, &back,
                              NULL);
        mnlp_free(back);
        mnlp_encoding_free(e);
    }
    mnlp_tokenizer_free(tok);
    return 0;
}

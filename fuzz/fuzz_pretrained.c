/*
 * Fuzz what a model folder's tokenizer_config.json does to a tokenizer:
 * the input is tokenizer_config.json, applied (as a Llama folder's) to the
 * bundled model's tokenizer.json, which is then used to encode and decode.
 */
#include "base/files.h"
#include "base/json.h"
#include "text/pretrained.h"
#include "mnlp.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *backend;
static size_t backend_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mnlp_tokenizer *tok = NULL;
    mnlp_encoding *e = NULL;
    mn_json_doc *doc = NULL;
    mn_pretrained_files files = {NULL, NULL, NULL, "llama"};
    char *text = NULL;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (!backend && mn_read_file(MNLP_SOURCE_DIR "/models/stories260K/tokenizer.json", 1 << 24,
                                 &backend, &backend_len) != MNLP_OK) {
        fprintf(stderr, "fuzz_pretrained: %s\n", mnlp_last_error());
        abort();
    }
    if (mn_json_parse((const char *)data, size, NULL, &doc) != MNLP_OK)
        return 0;
    files.tokenizer_config = mn_json_root(doc);
    if (mnlp_tokenizer_parse(backend, backend_len, "tokenizer.json", &tok) == MNLP_OK &&
        mn_pretrained_apply(tok, &files) == MNLP_OK &&
        mnlp_tokenizer_encode_pair(tok, "Hello <s> world", 15, "<unk>x", 6, true, &e) ==
            MNLP_OK) {
        mnlp_tokenizer_decode(tok, mnlp_encoding_ids(e), mnlp_encoding_len(e), true, &text,
                              NULL);
        mnlp_free(text);
        mnlp_encoding_free(e);
    }
    mnlp_tokenizer_free(tok);
    mn_json_free(doc);
    return 0;
}

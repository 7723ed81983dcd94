/*
 * Fuzz encoding and decoding with real tokenizers: the input's first byte
 * picks a tokenizer (a byte-level BPE, a SentencePiece BPE with byte
 * fallback, a WordPiece, a Unigram), the rest is the text to encode and,
 * read as 16-bit ids, a sequence to decode.
 */
#include "mnlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"gpt2", "llama-2", "bert-base-uncased", "ruT5-large",
                                    "qwen3"};
static mnlp_tokenizer *toks[5];

static void load_all(void)
{
    const char *dir = getenv("MNLP_TOKENIZER_FIXTURES");
    char path[4096];

    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s/tokenizer.json", dir ? dir : ".", names[i]);
        if (mnlp_tokenizer_load(path, &toks[i]) != MNLP_OK) {
            fprintf(stderr, "fuzz_encode: %s (set MNLP_TOKENIZER_FIXTURES)\n",
                    mnlp_last_error());
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mnlp_tokenizer *tok;
    mnlp_encoding *e = NULL;
    int32_t ids[256];
    size_t n_ids = 0;
    char *text = NULL;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (!toks[0])
        load_all();
    if (size < 1)
        return 0;
    tok = toks[data[0] % 5];
    if (mnlp_tokenizer_encode(tok, (const char *)data + 1, size - 1, true, &e) == MNLP_OK)
        mnlp_encoding_free(e);
    for (size_t i = 1; i + 1 < size && n_ids < 256; i += 2)
        ids[n_ids++] = data[i] | data[i + 1] << 8;
    if (mnlp_tokenizer_decode(tok, ids, n_ids, data[0] & 0x80, &text, NULL) == MNLP_OK)
        mnlp_free(text);
    return 0;
}

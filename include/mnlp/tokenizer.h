/*
 * Tokenizers: tokenizer.json interpreted as the Hugging Face `tokenizers`
 * library interprets it, with the same ids, tokens, offsets and decodes.
 */
#ifndef MNLP_TOKENIZER_H
#define MNLP_TOKENIZER_H

#include "mnlp/base.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mnlp_tokenizer mnlp_tokenizer;
typedef struct mnlp_encoding mnlp_encoding;

/*
 * Load a tokenizer from path: a tokenizer.json file, or a model folder
 * holding one. Errors name the JSON path at fault ("model.merges[3]: ...").
 * The caller frees *out with mnlp_tokenizer_free.
 */
mnlp_status mnlp_tokenizer_load(const char *path, mnlp_tokenizer **out);

/* The same from tokenizer.json text; name is used in messages. */
mnlp_status mnlp_tokenizer_parse(const char *json, size_t len, const char *name,
                                 mnlp_tokenizer **out);

void mnlp_tokenizer_free(mnlp_tokenizer *tok);

/* The message of the last failed call on this tokenizer ("" if none). */
const char *mnlp_tokenizer_error(const mnlp_tokenizer *tok);

/*
 * Encode UTF-8 text (text_len bytes; invalid UTF-8 is an error naming the
 * byte offset). With add_special_tokens the post-processor adds what the
 * tokenizer declares ([CLS] ... [SEP], <s>, ...). The caller frees *out.
 */
mnlp_status mnlp_tokenizer_encode(const mnlp_tokenizer *tok, const char *text, size_t text_len,
                                  bool add_special_tokens, mnlp_encoding **out);

/* Encode a pair of texts (sequence A and B), as tokenizers' encode((a, b)). */
mnlp_status mnlp_tokenizer_encode_pair(const mnlp_tokenizer *tok, const char *a, size_t a_len,
                                       const char *b, size_t b_len, bool add_special_tokens,
                                       mnlp_encoding **out);

/*
 * Decode ids into text: *out is NUL-terminated and owned by the caller (free
 * with mnlp_free); *out_len (when not NULL) is its length in bytes, which
 * counts any NULs the text holds. Ids the tokenizer does not know are
 * skipped, as tokenizers skips them.
 */
mnlp_status mnlp_tokenizer_decode(const mnlp_tokenizer *tok, const int32_t *ids, size_t n,
                                  bool skip_special_tokens, char **out, size_t *out_len);

/* Token <-> id, including added tokens; -1 / NULL when unknown. */
int32_t mnlp_tokenizer_token_to_id(const mnlp_tokenizer *tok, const char *token);
const char *mnlp_tokenizer_id_to_token(const mnlp_tokenizer *tok, int32_t id);

/* The vocabulary size including added tokens. */
size_t mnlp_tokenizer_vocab_size(const mnlp_tokenizer *tok);

/* ---- Encodings -------------------------------------------------------- */

size_t mnlp_encoding_len(const mnlp_encoding *enc);
const int32_t *mnlp_encoding_ids(const mnlp_encoding *enc);
const int32_t *mnlp_encoding_type_ids(const mnlp_encoding *enc);
/* Word index of each token, -1 for tokens that belong to no word. */
const int32_t *mnlp_encoding_word_ids(const mnlp_encoding *enc);
const uint8_t *mnlp_encoding_special_tokens_mask(const mnlp_encoding *enc);
const uint8_t *mnlp_encoding_attention_mask(const mnlp_encoding *enc);
/* The i-th token's string (owned by the encoding). */
const char *mnlp_encoding_token(const mnlp_encoding *enc, size_t i);
/* The i-th token's span of the input, in code points, as Python reports it. */
void mnlp_encoding_offsets(const mnlp_encoding *enc, size_t i, size_t *start, size_t *end);
void mnlp_encoding_free(mnlp_encoding *enc);

/* Release memory mnlp returned to the caller (decoded strings). */
void mnlp_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif

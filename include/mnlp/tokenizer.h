/*
 * Tokenizers: tokenizer.json interpreted as the Hugging Face `tokenizers`
 * library interprets it, with the same ids, tokens, offsets and decodes.
 */
#ifndef MNLP_TOKENIZER_H
#define MNLP_TOKENIZER_H

#include "mnlp/base.h"
#include "mnlp/template.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mnlp_tokenizer mnlp_tokenizer;
typedef struct mnlp_encoding mnlp_encoding;

/*
 * Load a tokenizer from path. A tokenizer.json file is interpreted alone,
 * as the tokenizers library's Tokenizer.from_file does. A model folder is
 * loaded as transformers' AutoTokenizer loads it: its tokenizer.json (or,
 * without one, the equivalent built from tokenizer.model, vocab.json +
 * merges.txt or vocab.txt), then what tokenizer_config.json adds: special
 * and added tokens, add_bos_token/add_eos_token, clean_up_tokenization_spaces,
 * model_max_length. Errors name the file and JSON path at fault
 * ("tokenizer.json: model.merges[3]: ..."). Free *out with mnlp_tokenizer_free.
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

/*
 * Encode n texts at once, on the thread pool. With padding on and no fixed
 * length, every encoding is padded to the longest of the batch. out[0..n)
 * receives the encodings (free each with mnlp_encoding_free); on failure
 * all are NULL and the message names the text at fault.
 */
mnlp_status mnlp_tokenizer_encode_batch(const mnlp_tokenizer *tok, const char *const *texts,
                                        const size_t *lens, size_t n, bool add_special_tokens,
                                        mnlp_encoding **out);

typedef enum mnlp_truncation_strategy {
    MNLP_TRUNCATE_LONGEST_FIRST,
    MNLP_TRUNCATE_ONLY_FIRST,
    MNLP_TRUNCATE_ONLY_SECOND
} mnlp_truncation_strategy;

/* tokenizers' enable_truncation: max_length counts the special tokens too. */
typedef struct mnlp_truncation {
    size_t max_length;
    size_t stride;                      /* must be below max_length */
    mnlp_truncation_strategy strategy;
    bool left;                          /* drop tokens from the start */
} mnlp_truncation;

/* tokenizers' enable_padding: length 0 pads to the longest of a batch. */
typedef struct mnlp_padding {
    size_t length;
    size_t multiple_of;                 /* 0: none */
    bool left;
    int32_t pad_id, pad_type_id;
    const char *pad_token;              /* copied; NULL means "[PAD]" */
} mnlp_padding;

/* Turn truncation / padding on with these settings, or off with NULL. */
mnlp_status mnlp_tokenizer_set_truncation(mnlp_tokenizer *tok, const mnlp_truncation *opts);
mnlp_status mnlp_tokenizer_set_padding(mnlp_tokenizer *tok, const mnlp_padding *opts);

/* The special tokens transformers names (bos_token, eos_token, ...). */
typedef enum mnlp_special_token {
    MNLP_BOS_TOKEN,
    MNLP_EOS_TOKEN,
    MNLP_UNK_TOKEN,
    MNLP_SEP_TOKEN,
    MNLP_PAD_TOKEN,
    MNLP_CLS_TOKEN,
    MNLP_MASK_TOKEN,
    MNLP_SPECIAL_TOKEN_COUNT
} mnlp_special_token;

/* The token's text as tokenizer_config.json sets it, or NULL when unset. */
const char *mnlp_tokenizer_special_token(const mnlp_tokenizer *tok, mnlp_special_token which);

/* additional_special_tokens: their count, the strings in *out. */
size_t mnlp_tokenizer_additional_special_tokens(const mnlp_tokenizer *tok,
                                                const char *const **out);

/*
 * transformers' apply_chat_template(tokenize=False) with the model folder's
 * chat template (tokenizer_config.json's "chat_template", or
 * chat_template.jinja): vars is a JSON object with "messages" and any of
 * "tools", "documents", "add_generation_prompt" and extra variables; the
 * tokenizer's special tokens (bos_token, ...) are passed too unless vars
 * sets them. name picks a named template; NULL picks "tool_use" when tools
 * are given and the model has one, else "default". now is the time
 * strftime_now reports (seconds since the epoch, UTC) or
 * MNLP_TEMPLATE_NOW_CLOCK. *out (NUL-terminated, *out_len bytes when
 * out_len is not NULL) is freed with mnlp_free. A template that raises
 * fails with MNLP_ERR_INVALID_ARGUMENT and its message.
 */
mnlp_status mnlp_tokenizer_apply_chat_template(const mnlp_tokenizer *tok, const char *name,
                                               const char *vars, size_t vars_len, int64_t now,
                                               char **out, size_t *out_len);

/* model_max_length from tokenizer_config.json; SIZE_MAX when it sets none. */
size_t mnlp_tokenizer_model_max_length(const mnlp_tokenizer *tok);

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

/*
 * An encoding (tokenizers' Encoding): one row per token, in parallel
 * arrays. Offsets are byte offsets into the input until the tokenizer
 * converts them to code points at the very end.
 */
#ifndef MN_ENCODING_H
#define MN_ENCODING_H

#include "text/tok.h"

typedef struct mn_encoding {
    int32_t *ids;
    int32_t *type_ids;
    int32_t *words;        /* -1: no word (special tokens) */
    char **tokens;         /* owned */
    uint32_t *offsets;     /* 2 per token: start, end */
    uint8_t *special;      /* special_tokens_mask */
    uint8_t *attention;    /* attention_mask */
    int n, cap;
} mn_encoding;

void mn_encoding_free(mn_encoding *e);

/* Append one token (value copied); false when out of memory. */
bool mn_encoding_push(mn_encoding *e, int32_t id, const char *token, int32_t type_id,
                      int32_t word, uint32_t start, uint32_t end, bool special);

/* Append all of src (copied). */
bool mn_encoding_append(mn_encoding *dst, const mn_encoding *src);

/* Keep the first (or last, when from_left) max_len tokens. */
void mn_encoding_truncate(mn_encoding *e, int max_len, bool from_left);

/* ---- Post-processors (tokenizers' processors/) ------------------------- */

typedef struct mn_post_processor mn_post_processor;
struct mn_post_processor {
    /* Rewrite the encodings of a single input (*n == 1) or a pair (*n == 2)
     * in place, as process_encodings does. A processor that joins them
     * into encodings[0] sets *n to 1; the caller merges what remains. */
    mnlp_status (*process)(const mn_post_processor *self, mn_encoding *encodings, int *n,
                           bool add_special_tokens);
    /* Special tokens it adds (for truncation). */
    int (*added_tokens)(const mn_post_processor *self, bool is_pair);
    void (*free)(mn_post_processor *self);
};

mnlp_status mn_post_processor_from_json(const mn_json *node, mn_post_processor **out);

/* ByteLevel's trim_offsets, shared with RobertaProcessing (byte_level.rs
 * process_offsets); offsets must already be in code points. */
void mn_trim_offsets(mn_encoding *e, bool add_prefix_space);

#endif

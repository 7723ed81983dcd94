/*
 * SentencePiece model files (tokenizer.model, spiece.model): a strict
 * reader of the ModelProto message of sentencepiece_model.proto, in the
 * protobuf wire format, keeping what a tokenizer.json conversion needs.
 *
 * The file comes from strangers: every varint, length and wire type is
 * checked, and a malformed file is an error naming the field and the byte
 * offset, e.g. `pieces[12].score: wire type 2, expected 5 (32-bit), at
 * byte 301`. Unknown fields are skipped, as protobuf parsers skip them.
 */
#ifndef MN_SPM_MODEL_H
#define MN_SPM_MODEL_H

#include "base/base.h"

/* ModelProto.SentencePiece.Type */
typedef enum mn_spm_type {
    MN_SPM_NORMAL = 1,
    MN_SPM_UNKNOWN = 2,
    MN_SPM_CONTROL = 3,
    MN_SPM_USER_DEFINED = 4,
    MN_SPM_UNUSED = 5,
    MN_SPM_BYTE = 6,
} mn_spm_type;

/* TrainerSpec.ModelType */
typedef enum mn_spm_model_type {
    MN_SPM_UNIGRAM = 1,
    MN_SPM_BPE = 2,
    MN_SPM_WORD = 3,
    MN_SPM_CHAR = 4,
} mn_spm_model_type;

typedef struct mn_spm_piece {
    char *piece;          /* NUL-terminated, valid UTF-8, owned by the model */
    size_t len;
    float score;
    mn_spm_type type;
} mn_spm_piece;

/* The TrainerSpec fields tokenizers and transformers read; proto defaults
 * apply to fields the file leaves out. */
typedef struct mn_spm_trainer_spec {
    mn_spm_model_type model_type;  /* default UNIGRAM */
    int32_t vocab_size;            /* default 8000 */
    int32_t unk_id, bos_id, eos_id, pad_id; /* defaults 0, 1, 2, -1 */
    bool byte_fallback;
    char *unk_piece, *bos_piece, *eos_piece, *pad_piece; /* "<unk>", "<s>", "</s>", "<pad>" */
} mn_spm_trainer_spec;

typedef struct mn_spm_normalizer_spec {
    char *name;                     /* "" when absent */
    uint8_t *precompiled_charsmap;  /* NULL when absent or empty */
    size_t precompiled_charsmap_len;
    bool add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces; /* default true */
} mn_spm_normalizer_spec;

typedef struct mn_spm_model {
    mn_spm_piece *pieces;
    int32_t n_pieces;
    mn_spm_trainer_spec trainer_spec;
    mn_spm_normalizer_spec normalizer_spec;
} mn_spm_model;

/*
 * Parse a serialized ModelProto from data[0..len). On success the caller
 * owns *out (free with mn_spm_free). Errors are MNLP_ERR_FORMAT (malformed
 * input, message names the field and byte offset), MNLP_ERR_LIMIT (more
 * pieces than an int32 id can number) or MNLP_ERR_OUT_OF_MEMORY.
 */
mnlp_status mn_spm_parse(const uint8_t *data, size_t len, mn_spm_model **out);

/* Read and parse a file (messages start with its path). */
mnlp_status mn_spm_load(const char *path, mn_spm_model **out);

void mn_spm_free(mn_spm_model *m);

/* "NORMAL", "BYTE", ... for messages. */
const char *mn_spm_type_name(int type);

#endif

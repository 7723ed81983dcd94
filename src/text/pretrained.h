/*
 * What transformers' PreTrainedTokenizerFast adds to a tokenizer.json
 * backend from tokenizer_config.json, and the setters on mnlp_tokenizer it
 * goes through. tokenizer.c keeps the state; pretrained.c decides it.
 */
#ifndef MN_PRETRAINED_H
#define MN_PRETRAINED_H

#include "base/json.h"
#include "mnlp/tokenizer.h"

/* The files of a model folder that shape its tokenizer; NULL when absent. */
typedef struct mn_pretrained_files {
    const mn_json *tokenizer_config;     /* tokenizer_config.json */
    const mn_json *special_tokens_map;   /* special_tokens_map.json */
    const mn_json *added_tokens;         /* added_tokens.json */
    const char *model_type;              /* config.json's model_type */
} mn_pretrained_files;

/*
 * Apply the folder's files to t as AutoTokenizer.from_pretrained does after
 * building the backend: the tokenizer class's special-token defaults,
 * tokenizer_config.json's special tokens (and, when it has no
 * added_tokens_decoder, the legacy special_tokens_map.json and
 * added_tokens.json), added_tokens_decoder, special tokens missing from the
 * vocabulary, add_bos_token/add_eos_token for the classes that rebuild their
 * post-processor, clean_up_tokenization_spaces and model_max_length.
 */
mnlp_status mn_pretrained_apply(mnlp_tokenizer *t, const mn_pretrained_files *files);

/*
 * Whether transformers builds this folder's tokenizer from the slow files
 * even when tokenizer.json exists: from_slow, or a Llama tokenizer given
 * add_prefix_space.
 */
bool mn_pretrained_wants_slow(const mn_json *config, const char *model_type);

/* Whether content is an added token (not merely in the model's vocabulary). */
bool mn_tokenizer_has_added(const mnlp_tokenizer *t, const char *content);

/* Add AddedToken objects (tokenizer.json's added_tokens entries) in order. */
mnlp_status mn_tokenizer_add_tokens(mnlp_tokenizer *t, const mn_json *const *entries, size_t n);

/* Replace the post-processor by the one node describes. */
mnlp_status mn_tokenizer_set_post_processor(mnlp_tokenizer *t, const mn_json *node);

mnlp_status mn_tokenizer_set_special(mnlp_tokenizer *t, mnlp_special_token which,
                                     const char *content);
mnlp_status mn_tokenizer_add_additional_special(mnlp_tokenizer *t, const char *content);
void mn_tokenizer_set_options(mnlp_tokenizer *t, bool clean_up_spaces, size_t model_max_length);

#endif

/*
 * tokenizer.json from a model folder's "slow" tokenizer files, as
 * transformers' PreTrainedTokenizerFast builds it when a folder has no
 * tokenizer.json: the converter of convert_slow_tokenizer.py chosen by
 * tokenizer_class, then the added and special tokens the fast tokenizer's
 * __init__ adds, then the post-processor the fast class installs.
 */
#ifndef MN_CONVERT_H
#define MN_CONVERT_H

#include "base/json.h"

/*
 * Build tokenizer.json text for the model folder dir. tokenizer_config is
 * the root of its parsed tokenizer_config.json, or NULL when it has none.
 * The converter is the one transformers maps tokenizer_class to ("Fast"
 * stripped); without a known class it is chosen by the files present
 * (vocab.txt, vocab.json + merges.txt, tokenizer.model, spiece.model).
 * On success *json is NUL-terminated, *len bytes long, owned by the caller
 * (mn_free). Errors name the file and field at fault, or, when nothing
 * usable is found, the class and the files looked for.
 */
mnlp_status mn_tokenizer_convert(const char *dir, const mn_json *tokenizer_config, char **json,
                                 size_t *len);

#endif

/*
 * Causal LM fixtures shared by the parity tests (lm_check.c): a tiny
 * checkpoint with reference.safetensors (inputs, logits, every hidden
 * state, the same on a left-padded batch) and reference.json (tolerance,
 * generate() cases); see DECODERS.md of the fixtures.
 */
#ifndef MNLP_LM_CHECK_H
#define MNLP_LM_CHECK_H

#include "base/json.h"
#include "io/safetensors.h"
#include "mnlp.h"

typedef struct lm_fixture {
    char dir[4096];
    mnlp_lm *lm;
    mn_safetensors *ref;
    mn_json_doc *json;
    double atol, rtol;
} lm_fixture;

/* The largest absolute errors seen, per kind of output. */
typedef struct lm_errors {
    double logits, hidden, batch, padded;
} lm_errors;

/* The unpacked model fixtures folder (MNLP_MODEL_FIXTURES overrides). */
const char *lm_fixtures_dir(void);

/* Open the model in model_dir and the references in ref_dir; false (after
 * recording a failure) when something is missing. */
bool lm_fixture_open(lm_fixture *f, const char *model_dir, const char *ref_dir);
void lm_fixture_close(lm_fixture *f);

/* Each reference row alone (batch 1) against logits and hidden states. */
void lm_check_forward(const lm_fixture *f, lm_errors *e);

/* All reference rows as one batch, against the same references. */
void lm_check_batch_forward(const lm_fixture *f, lm_errors *e);

/* The padded.* batch (left padding, its attention_mask; position ids given
 * and derived) against padded.logits and padded.hidden_states at the
 * positions its mask keeps. */
void lm_check_padded_forward(const lm_fixture *f, lm_errors *e);

/* generate() with a case's ids and kwargs (greedy); the output must equal
 * want token for token. */
void lm_check_generation(const lm_fixture *f, const char *name, const mn_json *prompt,
                         const mn_json *kwargs, const mn_json *want);

/* The greedy cases of reference.json's "generation" list: greedy,
 * eos_stopping, greedy_short_prompt, and greedy_batch_left_padded through
 * mnlp_generate_batch. */
void lm_check_generations(const lm_fixture *f);

/* Every check above on fixture folder `name`, with one summary line. */
void lm_check_fixture(const char *name);

#endif

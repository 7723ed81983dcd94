/*
 * llama_family: the architectures built on the Llama-shaped decoder
 * (models/decoder.c) against transformers' own outputs, with the checks
 * of lm_check.c: logits and hidden states of each row, of the rows as one
 * batch and of the left-padded batch, and the greedy generations.
 */
#include "test.h"

#include "lm_check.h"

static void mistral_sliding_window_matches_transformers(void)
{
    lm_check_fixture("mistral");
}

static void qwen2_matches_transformers(void)
{
    lm_check_fixture("qwen2");
}

static void phi3_matches_transformers(void)
{
    lm_check_fixture("phi3");
    lm_check_fixture("phi3-longrope");
}

static void gemma_matches_transformers(void)
{
    lm_check_fixture("gemma");
}

static void gemma2_matches_transformers(void)
{
    lm_check_fixture("gemma2");
}

TEST_SUITE(llama_family, T(mistral_sliding_window_matches_transformers),
           T(qwen2_matches_transformers), T(phi3_matches_transformers),
           T(gemma_matches_transformers), T(gemma2_matches_transformers));

/*
 * Hand-written matchers for the regexes real tokenizer.json files use, so
 * that the common pre-tokenizers split words without an Oniguruma search per
 * word. mn_regex_new picks one by exact equality of the pattern string; each
 * gives the matches Oniguruma gives (Ruby syntax, UTF-8) on valid UTF-8, and
 * the fast_regex tests compare the two on every code point and on random text.
 */
#ifndef MN_FAST_REGEX_H
#define MN_FAST_REGEX_H

#include "text/tok.h"

#include <stdint.h>

/* What a code point is to \p{L}, \p{N} and \s (Unicode White_Space). */
typedef enum mn_rx_class {
    MN_RX_OTHER,
    MN_RX_LETTER,
    MN_RX_NUMBER,
    MN_RX_SPACE,
} mn_rx_class;

/* The two-stage class table of regex_classes.c (scripts/gen_regex_classes.py). */
extern const uint8_t mn_rx_index[];
extern const uint8_t mn_rx_blocks[];

static inline mn_rx_class mn_rx_class_of(uint32_t cp)
{
    if (cp > 0x10FFFF)
        return MN_RX_OTHER;
    return (mn_rx_class)mn_rx_blocks[(size_t)mn_rx_index[cp >> 7] * 128 + (cp & 127)];
}

typedef enum mn_rx_kind {
    MN_RX_NONE,     /* no fast matcher: Oniguruma */
    MN_RX_GPT2,     /* the ByteLevel pre-tokenizer's pattern (GPT-2, RoBERTa) */
    MN_RX_LLAMA3,   /* Llama-3's Split pattern, \p{N}{1,3} */
    MN_RX_QWEN2,    /* Qwen2/3's: Llama-3's with single digits */
    MN_RX_CLIP,     /* CLIP's Split pattern */
    MN_RX_SPACES,   /* \s+ (CLIP's Replace normalizer) */
    MN_RX_SPACES2,  /* " {2,}" (ruT5's Replace normalizer) */
} mn_rx_kind;

/* The fast matcher for pattern[0..len), or MN_RX_NONE. */
mn_rx_kind mn_rx_lookup(const char *pattern, size_t len);

/* The pattern string kind stands for (NULL for MN_RX_NONE); a static string. */
const char *mn_rx_pattern(mn_rx_kind kind);

/* mn_regex_find for a fast pattern: the same runs appended to out.
 * Fails only when out of memory. */
mnlp_status mn_rx_find(mn_rx_kind kind, const char *s, size_t len, mn_matches *out);

#endif

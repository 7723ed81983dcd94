/*
 * Internals of the normalizers (normalizers.c, unicode_forms.c,
 * precompiled.c): Unicode properties as tokenizers' Rust dependencies see
 * them, the four normal forms with their alignment changes, and
 * SentencePiece's precompiled charsmap.
 */
#ifndef MN_NORMALIZERS_H
#define MN_NORMALIZERS_H

#include "text/tok.h"

/* ---- Unicode properties ------------------------------------------------ */

/*
 * utf8proc gives the data; where it is newer than what a Rust crate was
 * built with, the crate's answer wins (see scripts/gen_unicode_compat.py),
 * so characters added to Unicode later behave as in tokenizers.
 */

#define MN_UNI_DECOMP_MAX 32

/* Canonical combining class (unicode-normalization-alignments, Unicode 9). */
int mn_uni_ccc(uint32_t cp);

/* The full canonical (or, with compat, compatibility) decomposition of cp
 * into out; returns its length (1 when cp does not decompose). */
int mn_uni_decompose(uint32_t cp, bool compat, uint32_t out[MN_UNI_DECOMP_MAX]);

/* The primary composite of a and b, or 0 when they do not compose. */
uint32_t mn_uni_compose(uint32_t a, uint32_t b);

/* General_Category=Mark (unicode-normalization-alignments' is_combining_mark). */
bool mn_uni_is_combining_mark(uint32_t cp);

/* Mn, and Cc|Cf|Co, as the unicode_categories crate (Unicode 8) has them. */
bool mn_uni_is_mark_nonspacing(uint32_t cp);
bool mn_uni_is_other(uint32_t cp);

/* Rust's char::is_whitespace: the White_Space property. */
bool mn_uni_is_whitespace(uint32_t cp);

/* Rust's char::to_lowercase into out; returns how many characters (1 or 2). */
int mn_uni_to_lowercase(uint32_t cp, uint32_t out[2]);

/* ---- Lists of alignment changes ---------------------------------------- */

typedef struct mn_nchanges {
    mn_nchange *items;
    size_t n, cap;
} mn_nchanges;

/* Append one change; false when out of memory. */
bool mn_nchanges_push(mn_nchanges *c, uint32_t cp, int change);
void mn_nchanges_free(mn_nchanges *c);

/*
 * tokenizers' NormalizedString::transform (the whole string, with
 * initial_removed characters dropped first). As in tokenizers, the range
 * replaced starts at the first byte whose original span is not empty.
 */
mnlp_status mn_norm_transform(mn_nstr *n, const mn_nchanges *c, size_t initial_removed);

/* The code point at s[*i..len), advancing *i; an error names the offset
 * of bytes that are not UTF-8. */
mnlp_status mn_norm_next_char(const char *s, size_t len, size_t *i, uint32_t *cp);

/* ---- Normal forms ------------------------------------------------------ */

typedef enum mn_nform { MN_NFD, MN_NFKD, MN_NFC, MN_NFKC } mn_nform;

/*
 * Append to out the characters of form applied to s[0..len), each with
 * its change as unicode-normalization-alignments yields it: extra
 * characters of a decomposition +1, a composite one less for every
 * original character it absorbed.
 */
mnlp_status mn_unorm_changes(const char *s, size_t len, mn_nform form, mn_nchanges *out);

/* ---- SentencePiece's precompiled charsmap (spm_precompiled) ------------ */

typedef struct mn_charsmap mn_charsmap;

/* Decode the base64 precompiled_charsmap of node (a JSON string) and check
 * its layout. The caller owns *out. */
mnlp_status mn_charsmap_from_json(const mn_json *node, mn_charsmap **out);
void mn_charsmap_free(mn_charsmap *m);

/* tokenizers' Precompiled::normalize: grapheme by grapheme, with a per
 * character fallback, recording the alignment changes. */
mnlp_status mn_charsmap_normalize(const mn_charsmap *m, mn_nstr *n);

/* Decode standard base64 as strictly as Rust's BASE64_STANDARD (canonical
 * padding, no whitespace, zero trailing bits). *out (mn_free) is owned by
 * the caller; bad input is MNLP_ERR_FORMAT naming the offset. */
mnlp_status mn_base64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len);

#endif

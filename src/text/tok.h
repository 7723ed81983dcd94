/*
 * The tokenizer's internal pieces, mirroring the Rust `tokenizers` library
 * component by component so that each can be checked against its source:
 *
 *   added tokens -> normalizer -> pre-tokenizer -> model -> post-processor
 *   ids -> decoder -> text
 *
 * Every component is a small object built from its node of tokenizer.json
 * by a *_from_json function, with a vtable of one or two functions. Errors
 * while building name the JSON path of the offending node.
 *
 * Offsets are byte offsets everywhere inside; the public API converts them
 * to code points at the end, as the Python binding returns them.
 */
#ifndef MN_TOK_H
#define MN_TOK_H

#include "base/json.h"

/* ---- Normalized strings (tokenizers' NormalizedString) ---------------- */

/*
 * Text being normalized, and for every byte of it the byte span [start,
 * end) of the original input it came from. Every byte of one normalized
 * character carries the same span. Spans are absolute offsets into the
 * whole input, so pieces split off keep them as they are.
 */
typedef struct mn_nstr {
    char *s;          /* normalized text, NUL-terminated, owned */
    size_t len, cap;
    uint32_t *align;  /* 2 * len entries: start, end per byte */
    uint32_t orig_start, orig_end; /* span of the original this piece covers */
} mn_nstr;

/* A new string equal to text[0..len), whose bytes sit at offset in the input. */
mnlp_status mn_nstr_init(mn_nstr *n, const char *text, size_t len, uint32_t offset);
void mn_nstr_free(mn_nstr *n);

/* A copy of bytes [start, end) of n (character boundaries), alignments kept. */
mnlp_status mn_nstr_slice(const mn_nstr *n, size_t start, size_t end, mn_nstr *out);

/*
 * The original span of normalized bytes [start, end), as tokenizers'
 * convert_offsets(Range::Normalized): the start of the first byte's span to
 * the end of the last's. An empty range maps to the original position of
 * its start (or the end of the piece when start == len).
 */
void mn_nstr_orig_span(const mn_nstr *n, size_t start, size_t end, uint32_t *ostart,
                       uint32_t *oend);

/*
 * One new character of a transform, with tokenizers' change semantics:
 * change == 0: it replaces the next old character (1 to 1);
 * change > 0:  it is inserted (takes the span of the previous character,
 *              or an empty span at the start of the piece);
 * change < 0:  it replaces the next old character and -change more old
 *              characters are removed after it.
 */
typedef struct mn_nchange {
    uint32_t cp;
    int change;
} mn_nchange;

/*
 * Replace normalized bytes [start, end) by the characters of changes,
 * first dropping initial_removed old characters (tokenizers' transform_range
 * with its initial_offset). Alignments follow the rules above.
 */
mnlp_status mn_nstr_transform(mn_nstr *n, size_t start, size_t end, const mn_nchange *changes,
                              size_t n_changes, size_t initial_removed);

/* ---- Splitting (tokenizers' Pattern + SplitDelimiterBehavior) ---------- */

/* A run of normalized bytes and whether the pattern matched it. Runs cover
 * the string in order (tokenizers' Pattern::find_matches). */
typedef struct mn_match {
    size_t start, end;
    bool is_match;
} mn_match;

typedef struct mn_matches {
    mn_match *items;
    int n, cap;
} mn_matches;

/* Append a run; false when out of memory. */
bool mn_matches_push(mn_matches *m, size_t start, size_t end, bool is_match);
void mn_matches_free(mn_matches *m);

typedef enum mn_split_behavior {
    MN_SPLIT_REMOVED,
    MN_SPLIT_ISOLATED,
    MN_SPLIT_MERGED_WITH_PREVIOUS,
    MN_SPLIT_MERGED_WITH_NEXT,
    MN_SPLIT_CONTIGUOUS,
} mn_split_behavior;

/* "Removed", "Isolated", ... as tokenizer.json spells them; -1 if unknown. */
int mn_split_behavior_parse(const char *name);

/* ---- Pre-tokenized strings (tokenizers' PreTokenizedString) ------------ */

typedef struct mn_token {
    int32_t id;
    char *value;          /* owned */
    size_t start, end;    /* byte offsets in the split's normalized text */
} mn_token;

typedef struct mn_tokens {
    mn_token *items;
    int n, cap;
} mn_tokens;

bool mn_tokens_push(mn_tokens *t, int32_t id, const char *value, size_t len, size_t start,
                    size_t end);
void mn_tokens_free(mn_tokens *t);

typedef struct mn_split {
    mn_nstr n;
    mn_tokens tokens;
    bool tokenized;       /* an added token, or already through the model */
} mn_split;

typedef struct mn_pretok {
    mn_split *splits;
    int n, cap;
} mn_pretok;

void mn_pretok_free(mn_pretok *pt);

/* Append a split that takes ownership of n's memory; false when out of memory. */
bool mn_pretok_push(mn_pretok *pt, mn_nstr *n);

/* Move split sp (its string and tokens) to the end of pt; sp is left empty. */
bool mn_pretok_move(mn_pretok *pt, mn_split *sp);

/*
 * Split every split that is not yet tokenized by runs of matches with
 * behavior (tokenizers' NormalizedString::split), dropping empty pieces.
 * find(ctx, piece, matches) fills the runs of one piece.
 */
typedef mnlp_status (*mn_find_fn)(void *ctx, const mn_nstr *piece, mn_matches *matches);
mnlp_status mn_pretok_split(mn_pretok *pt, mn_find_fn find, void *ctx,
                            mn_split_behavior behavior);

/* The same, on one normalized string: its pieces are appended to out. */
mnlp_status mn_nstr_split(const mn_nstr *n, const mn_matches *matches,
                          mn_split_behavior behavior, mn_pretok *out);

/* ---- Components ------------------------------------------------------- */

typedef struct mn_normalizer mn_normalizer;
struct mn_normalizer {
    mnlp_status (*normalize)(const mn_normalizer *self, mn_nstr *n);
    void (*free)(mn_normalizer *self);
};

typedef struct mn_pre_tokenizer mn_pre_tokenizer;
struct mn_pre_tokenizer {
    mnlp_status (*pre_tokenize)(const mn_pre_tokenizer *self, mn_pretok *pt);
    void (*free)(mn_pre_tokenizer *self);
};

typedef struct mn_model mn_model;
struct mn_model {
    /* Tokens of one pre-tokenized piece s[0..len), offsets within it. */
    mnlp_status (*tokenize)(const mn_model *self, const char *s, size_t len, mn_tokens *out);
    int32_t (*token_to_id)(const mn_model *self, const char *token, size_t len); /* -1 */
    const char *(*id_to_token)(const mn_model *self, int32_t id);               /* NULL */
    int32_t (*vocab_size)(const mn_model *self);
    void (*free)(mn_model *self);
};

/* Token strings; each is NUL-terminated but may hold NULs, so lens[i] is its length. */
typedef struct mn_strs {
    char **items;         /* owned */
    size_t *lens;
    int n, cap, lens_cap;
} mn_strs;

bool mn_strs_push(mn_strs *l, const char *s, size_t len);
void mn_strs_free(mn_strs *l);

typedef struct mn_decoder mn_decoder;
struct mn_decoder {
    /* tokenizers' decode_chain: rewrite the token strings in place. */
    mnlp_status (*decode_chain)(const mn_decoder *self, mn_strs *tokens);
    void (*free)(mn_decoder *self);
};

/* Build from a tokenizer.json node (never null: callers handle null). */
mnlp_status mn_normalizer_from_json(const mn_json *node, mn_normalizer **out);
mnlp_status mn_pre_tokenizer_from_json(const mn_json *node, mn_pre_tokenizer **out);
mnlp_status mn_model_from_json(const mn_json *node, mn_model **out);
mnlp_status mn_decoder_from_json(const mn_json *node, mn_decoder **out);

/* "model.normalizers[2]: unknown type \"Foo\"" and friends. */
mnlp_status mn_json_error(const mn_json *node, mnlp_status status, const char *fmt, ...)
    MN_PRINTF(3, 4);

/* Field reads for the builders: a missing or mistyped field is an error
 * naming its path; the _opt forms leave *out alone when the field is
 * absent or null. */
mnlp_status mn_json_str(const mn_json *obj, const char *key, const char **out);
mnlp_status mn_json_str_opt(const mn_json *obj, const char *key, const char **out);
mnlp_status mn_json_bool_opt(const mn_json *obj, const char *key, bool *out);
mnlp_status mn_json_int_opt(const mn_json *obj, const char *key, int64_t *out);
mnlp_status mn_json_num_opt(const mn_json *obj, const char *key, double *out);

/* ---- Regular expressions (Oniguruma, the engine tokenizers uses) ------- */

typedef struct mn_regex mn_regex;

/* Compile a pattern with the syntax and options tokenizers' SysRegex uses.
 * The patterns of common tokenizers get an equivalent hand-written matcher. */
mnlp_status mn_regex_new(const char *pattern, size_t len, mn_regex **out);
/* The same, always through Oniguruma (what the fast matchers are tested
 * against). */
mnlp_status mn_regex_new_onig(const char *pattern, size_t len, mn_regex **out);
void mn_regex_free(mn_regex *re);

/* All non-overlapping matches in s[0..len) as runs (tokenizers' find_matches
 * for a regex): the unmatched runs between matches, and every match, empty
 * ones included, as the onig crate's find_iter yields them. */
mnlp_status mn_regex_find(const mn_regex *re, const char *s, size_t len, mn_matches *out);

/* ---- Byte-level alphabet (GPT-2's bytes_to_unicode) ------------------- */

/* The printable code point GPT-2 uses for byte b. */
uint32_t mn_bytelevel_char(uint8_t b);

/* The byte a byte-level code point stands for, or -1 if cp is not one. */
int mn_bytelevel_byte(uint32_t cp);

/* ---- A string -> id table --------------------------------------------- */

typedef struct mn_vocab {
    struct mn_vocab_slot *slots;
    uint32_t mask;        /* capacity - 1 (a power of two) */
    uint32_t count;
} mn_vocab;

/* Insert or overwrite; false when out of memory. The key is copied. */
bool mn_vocab_put(mn_vocab *v, const char *key, size_t len, int32_t id);
/* The id of key, or -1. */
int32_t mn_vocab_get(const mn_vocab *v, const char *key, size_t len);
void mn_vocab_free(mn_vocab *v);

#endif

/*
 * The tokenizer regexes of fast_regex.h, matched by hand.
 *
 * None of these patterns can match the empty string, so the onig crate's
 * find_iter reduces to: at each position from the end of the last match on,
 * try the pattern anchored there; the first position where it matches gives
 * the next match, and the bytes skipped before it are an unmatched run. Each
 * matcher below answers "where does the pattern, anchored at pos, end" with
 * Oniguruma's leftmost-alternative, greedy-with-backtracking semantics, and
 * returns pos when no alternative matches there.
 *
 * Text is valid UTF-8 in every caller (tokenizers works on Rust strings);
 * on anything else the matchers still stay inside the buffer.
 */
#include "text/fast_regex.h"

#include <string.h>

typedef size_t (*matcher)(const unsigned char *s, size_t len, size_t pos);

/* The code point at s[i] and its length in *n; i < len. A malformed
 * sequence is cut at the end of the buffer and never read past it. */
static inline uint32_t decode(const unsigned char *s, size_t len, size_t i, size_t *n)
{
    unsigned c = s[i];
    uint32_t cp;
    size_t k;

    if (c < 0x80) {
        *n = 1;
        return c;
    }
    if (c < 0xe0) {
        k = c < 0xc0 ? 1 : 2;
        cp = c & 0x1f;
    } else if (c < 0xf0) {
        k = 3;
        cp = c & 0x0f;
    } else {
        k = 4;
        cp = c & 0x07;
    }
    if (k > len - i)
        k = len - i;
    for (size_t j = 1; j < k; j++)
        cp = cp << 6 | (s[i + j] & 0x3f);
    *n = k;
    return k == 1 ? c : cp;
}

static inline mn_rx_class class_at(const unsigned char *s, size_t len, size_t i, size_t *n)
{
    if (s[i] < 0x80) {
        *n = 1;
        return (mn_rx_class)mn_rx_blocks[s[i]];
    }
    return mn_rx_class_of(decode(s, len, i, n));
}

/* The end of the run of characters of class cls that starts at i. */
static size_t run_end(const unsigned char *s, size_t len, size_t i, mn_rx_class cls)
{
    size_t n;

    while (i < len && class_at(s, len, i, &n) == cls)
        i += n;
    return i;
}

static inline bool is_crlf(unsigned char c)
{
    return c == '\r' || c == '\n';
}

/*
 * 's|'t|'re|'ve|'m|'ll|'d at pos: the end of the contraction, or 0. With
 * fold, (?i:...) as Oniguruma folds it: ASCII case, and U+017F LONG S for s
 * (no other code point folds to one of these letters).
 */
static size_t contraction(const unsigned char *s, size_t len, size_t pos, bool fold)
{
    unsigned c1, c2;

    if (s[pos] != '\'' || len - pos < 2)
        return 0;
    c1 = s[pos + 1];
    if (fold && c1 == 0xc5 && len - pos >= 3 && s[pos + 2] == 0xbf)
        return pos + 3;
    if (fold && c1 >= 'A' && c1 <= 'Z')
        c1 += 'a' - 'A';
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
        return pos + 2;
    if ((c1 != 'r' && c1 != 'v' && c1 != 'l') || len - pos < 3)
        return 0;
    c2 = s[pos + 2];
    if (fold && c2 >= 'A' && c2 <= 'Z')
        c2 += 'a' - 'A';
    return c2 == (c1 == 'l' ? 'l' : 'e') ? pos + 3 : 0;
}

/*
 * \s+(?!\S)|\s+ at a space: all of the run when it ends the text, otherwise
 * all but its last character (left to lead the next word), unless that
 * leaves nothing and the plain \s+ takes the one character.
 */
static size_t spaces_not_before_word(const unsigned char *s, size_t len, size_t pos)
{
    size_t e = pos, last = pos, n;

    while (e < len && class_at(s, len, e, &n) == MN_RX_SPACE) {
        last = e;
        e += n;
    }
    return e == len || last == pos ? e : last;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t gpt2_at(const unsigned char *s, size_t len, size_t pos)
{
    size_t p = pos, e = contraction(s, len, pos, false), n;
    mn_rx_class c;

    if (e)
        return e;
    /* The optional space joins whatever non-space run follows it. */
    if (s[p] == ' ' && len - p > 1)
        p++;
    c = class_at(s, len, p, &n);
    if (c != MN_RX_SPACE)
        return run_end(s, len, p + n, c);
    return spaces_not_before_word(s, len, pos);
}

/*
 * Llama-3 (max_digits 3) and Qwen2 (1):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
static size_t llama3_like_at(const unsigned char *s, size_t len, size_t pos, int max_digits)
{
    size_t e = contraction(s, len, pos, true), n0, n1, p = pos, brk;
    mn_rx_class c0, c;

    if (e)
        return e;
    c0 = class_at(s, len, pos, &n0);
    if (c0 == MN_RX_LETTER)
        return run_end(s, len, pos + n0, MN_RX_LETTER);

    /* One character other than \r, \n or a digit may lead a word. */
    if (c0 != MN_RX_NUMBER && !is_crlf(s[pos]) && pos + n0 < len &&
        class_at(s, len, pos + n0, &n1) == MN_RX_LETTER)
        return run_end(s, len, pos + n0 + n1, MN_RX_LETTER);

    if (c0 == MN_RX_NUMBER) {
        e = pos + n0;
        for (int k = 1; k < max_digits && e < len && class_at(s, len, e, &n1) == MN_RX_NUMBER; k++)
            e += n1;
        return e;
    }

    /* Punctuation, after an optional space, takes the line breaks after it. */
    if (s[p] == ' ' && len - p > 1)
        p++;
    c = class_at(s, len, p, &n1);
    if (c == MN_RX_OTHER) {
        e = run_end(s, len, p + n1, MN_RX_OTHER);
        while (e < len && is_crlf(s[e]))
            e++;
        return e;
    }

    /* \s*[\r\n]+ backtracks to the last line break of the run of spaces. */
    e = pos;
    brk = 0;
    while (e < len && class_at(s, len, e, &n1) == MN_RX_SPACE) {
        if (is_crlf(s[e]))
            brk = e + 1;
        e += n1;
    }
    return brk ? brk : spaces_not_before_word(s, len, pos);
}

static size_t llama3_at(const unsigned char *s, size_t len, size_t pos)
{
    return llama3_like_at(s, len, pos, 3);
}

static size_t qwen2_at(const unsigned char *s, size_t len, size_t pos)
{
    return llama3_like_at(s, len, pos, 1);
}

/*
 * <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|
 * [^\s\p{L}\p{N}]+ ; spaces match nothing.
 */
static size_t clip_at(const unsigned char *s, size_t len, size_t pos)
{
    static const char sot[] = "<|startoftext|>", eot[] = "<|endoftext|>";
    size_t e, n;
    mn_rx_class c;

    if (s[pos] == '<') {
        if (len - pos >= sizeof sot - 1 && !memcmp(s + pos, sot, sizeof sot - 1))
            return pos + sizeof sot - 1;
        if (len - pos >= sizeof eot - 1 && !memcmp(s + pos, eot, sizeof eot - 1))
            return pos + sizeof eot - 1;
    }
    if ((e = contraction(s, len, pos, false)))
        return e;
    c = class_at(s, len, pos, &n);
    if (c == MN_RX_SPACE)
        return pos;
    return c == MN_RX_NUMBER ? pos + n : run_end(s, len, pos + n, c);
}

/* \s+ */
static size_t spaces_at(const unsigned char *s, size_t len, size_t pos)
{
    return run_end(s, len, pos, MN_RX_SPACE);
}

/* " {2,}" */
static size_t spaces2_at(const unsigned char *s, size_t len, size_t pos)
{
    size_t e = pos;

    while (e < len && s[e] == ' ')
        e++;
    return e - pos >= 2 ? e : pos;
}

static const struct {
    const char *pattern;
    mn_rx_kind kind;
    matcher at;
} fast[] = {
    {"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
     MN_RX_GPT2, gpt2_at},
    {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
     " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     MN_RX_LLAMA3, llama3_at},
    {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
     " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     MN_RX_QWEN2, qwen2_at},
    {"<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|"
     "[^\\s\\p{L}\\p{N}]+",
     MN_RX_CLIP, clip_at},
    {"\\s+", MN_RX_SPACES, spaces_at},
    {" {2,}", MN_RX_SPACES2, spaces2_at},
};

mn_rx_kind mn_rx_lookup(const char *pattern, size_t len)
{
    for (size_t i = 0; i < sizeof fast / sizeof *fast; i++)
        if (strlen(fast[i].pattern) == len && !memcmp(fast[i].pattern, pattern, len))
            return fast[i].kind;
    return MN_RX_NONE;
}

const char *mn_rx_pattern(mn_rx_kind kind)
{
    for (size_t i = 0; i < sizeof fast / sizeof *fast; i++)
        if (fast[i].kind == kind)
            return fast[i].pattern;
    return NULL;
}

static matcher matcher_of(mn_rx_kind kind)
{
    for (size_t i = 0; i < sizeof fast / sizeof *fast; i++)
        if (fast[i].kind == kind)
            return fast[i].at;
    return NULL;
}

mnlp_status mn_rx_find(mn_rx_kind kind, const char *str, size_t len, mn_matches *out)
{
    const unsigned char *s = (const unsigned char *)str;
    matcher at = matcher_of(kind);
    size_t pos = 0, prev = 0, n;

    if (!at)
        return mn_errorf(MNLP_ERR_INTERNAL, "no fast matcher %d", (int)kind);
    while (pos < len) {
        size_t e = at(s, len, pos);

        if (e == pos) {
            decode(s, len, pos, &n);
            pos += n;
            continue;
        }
        if ((pos > prev && !mn_matches_push(out, prev, pos, false)) ||
            !mn_matches_push(out, pos, e, true))
            return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        prev = pos = e;
    }
    if (prev < len && !mn_matches_push(out, prev, len, false))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    return MNLP_OK;
}

/*
 * tokenizers' decoders (tokenizers/src/decoders/, with the ByteLevel and
 * Metaspace pre-tokenizers and the Replace normalizer, which double as
 * decoders). Each decode_chain step rewrites the list of token strings;
 * Decoder::decode joins what the last step leaves.
 */
#include "text/decoders.h"

#include "base/utf8.h"

#include <limits.h>
#include <oniguruma.h>
#include <string.h>

typedef mnlp_status (*chain_fn)(const mn_decoder *self, mn_strs *tokens);

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
}

static void *new_decoder(size_t size, chain_fn chain, void (*free_fn)(mn_decoder *))
{
    mn_decoder *d = mn_calloc(1, size);

    if (d) {
        d->decode_chain = chain;
        d->free = free_fn;
    }
    return d;
}

static void plain_free(mn_decoder *d)
{
    mn_free(d);
}

/* ---- Strings ---------------------------------------------------------- */

/* The character at s[i] and its length. An invalid byte reads as a unit of
 * its own that equals no character, so that no byte is ever lost. */
static size_t next_char(const char *s, size_t n, size_t i, uint32_t *cp)
{
    int len = mn_utf8_decode((const unsigned char *)s + i, n - i, cp);

    if (len == 0) {
        *cp = UINT32_MAX;
        return 1;
    }
    return (size_t)len;
}

static const char *find_bytes(const char *s, size_t n, const char *pat, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++) {
        const char *p = memchr(s + i, pat[0], n - m - i + 1);

        if (!p)
            return NULL;
        i = (size_t)(p - s);
        if (memcmp(p, pat, m) == 0)
            return p;
    }
    return NULL;
}

/*
 * Rust's str::replace, appended to out: every non-overlapping occurrence of
 * from, left to right. An empty from matches at every character boundary,
 * both ends included, so "ab" with from "" and to "X" gives "XaXbX".
 */
static void str_replace(mn_sb *out, const char *s, size_t n, const char *from, const char *to)
{
    size_t from_len = strlen(from), to_len = strlen(to), i = 0;
    uint32_t cp;

    if (from_len == 0) {
        mn_sb_append(out, to, to_len);
        for (size_t len; i < n; i += len) {
            len = next_char(s, n, i, &cp);
            mn_sb_append(out, s + i, len);
            mn_sb_append(out, to, to_len);
        }
        return;
    }
    while (i < n) {
        const char *hit = find_bytes(s + i, n - i, from, from_len);

        if (!hit)
            break;
        mn_sb_append(out, s + i, (size_t)(hit - (s + i)));
        mn_sb_append(out, to, to_len);
        i = (size_t)(hit - s) + from_len;
    }
    mn_sb_append(out, s + i, n - i);
}

/* Replace sb's text by str_replace of it. */
static void sb_replace(mn_sb *sb, const char *from, const char *to)
{
    mn_sb next = {0};

    if (sb->failed)
        return;
    str_replace(&next, sb->data ? sb->data : "", sb->len, from, to);
    mn_sb_free(sb);
    *sb = next;
}

/* tokenizers' wordpiece::cleanup: these replacements in this order, each
 * over the result of the one before. */
static void cleanup(mn_sb *sb)
{
    static const char *const pairs[][2] = {
        {" .", "."},     {" ?", "?"},     {" !", "!"},           {" ,", ","},
        {" ' ", "'"},    {" n't", "n't"}, {" 'm", "'m"},         {" do not", " don't"},
        {" 's", "'s"},   {" 've", "'ve"}, {" 're", "'re"},
    };

    for (int k = 0; k < MN_COUNT(pairs); k++)
        sb_replace(sb, pairs[k][0], pairs[k][1]);
}

/* How long the UTF-8 sequence that byte b starts is (1-4), or 0 if no valid
 * sequence starts with it. */
static size_t lead_len(unsigned char b)
{
    if (b < 0x80)
        return 1;
    if (b >= 0xc2 && b <= 0xdf)
        return 2;
    if (b >= 0xe0 && b <= 0xef)
        return 3;
    if (b >= 0xf0 && b <= 0xf4)
        return 4;
    return 0;
}

/* Whether c may follow lead as byte k (>= 1) of a valid sequence; the second
 * byte's range is what rules out overlongs, surrogates and > U+10FFFF. */
static bool follows(unsigned char lead, size_t k, unsigned char c)
{
    unsigned char lo = 0x80, hi = 0xbf;

    if (k == 1 && lead == 0xe0)
        lo = 0xa0;
    else if (k == 1 && lead == 0xed)
        hi = 0x9f;
    else if (k == 1 && lead == 0xf0)
        lo = 0x90;
    else if (k == 1 && lead == 0xf4)
        hi = 0x8f;
    return c >= lo && c <= hi;
}

/*
 * Rust's String::from_utf8_lossy, appended to out: each maximal prefix of a
 * valid sequence that cannot be completed (or a byte that starts none)
 * becomes one U+FFFD, Unicode's "substitution of maximal subparts".
 */
static void append_lossy(mn_sb *out, const unsigned char *b, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t len = lead_len(b[i]), k = 1;

        while (k < len && i + k < n && follows(b[i], k, b[i + k]))
            k++;
        if (len != 0 && k == len)
            mn_sb_append(out, (const char *)b + i, len);
        else
            mn_sb_append(out, "\xef\xbf\xbd", 3);
        i += k;
    }
}

/* ---- Token lists ------------------------------------------------------ */

/* Make out (a step's result) the token list, taking its memory. */
static void take_list(mn_strs *tokens, mn_strs *out)
{
    mn_strs_free(tokens);
    *tokens = *out;
    *out = (mn_strs){0};
}

static bool push_sb(mn_strs *out, const mn_sb *sb)
{
    return !sb->failed && mn_strs_push(out, sb->data ? sb->data : "", sb->len);
}

/*
 * Token i of tokens, rewritten into sb (which starts empty); *keep = false
 * drops it. Steps that map each token on its own share map_tokens.
 */
typedef mnlp_status (*token_fn)(const mn_decoder *self, const mn_strs *tokens, int i, mn_sb *sb,
                                bool *keep);

static mnlp_status map_tokens(const mn_decoder *self, mn_strs *tokens, token_fn fn)
{
    mn_strs out = {0};
    mnlp_status rc = MNLP_OK;

    for (int i = 0; i < tokens->n && rc == MNLP_OK; i++) {
        mn_sb sb = {0};
        bool keep = true;

        rc = fn(self, tokens, i, &sb, &keep);
        if (rc == MNLP_OK && keep && !push_sb(&out, &sb))
            rc = oom();
        mn_sb_free(&sb);
    }
    if (rc != MNLP_OK) {
        mn_strs_free(&out);
        return rc;
    }
    take_list(tokens, &out);
    return MNLP_OK;
}

/* ---- JSON fields ------------------------------------------------------ */

/*
 * A field serde requires, or (required false) one it defaults when absent.
 * Unlike an Option field, null there is a type error, as in serde_json.
 */
static mnlp_status strict(const mn_json *obj, const char *key, mn_json_type type,
                          bool required, const mn_json **out)
{
    const mn_json *v = mn_json_get(obj, key);

    *out = NULL;
    if (!v) {
        if (!required)
            return MNLP_OK;
        return mn_json_error(obj, MNLP_ERR_FORMAT, "missing \"%s\"", key);
    }
    if (v->type != type)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is %s, expected %s",
                             mn_json_type_name(v->type), mn_json_type_name(type));
    *out = v;
    return MNLP_OK;
}

/* A required string, copied (the JSON document does not outlive the build). */
static mnlp_status req_strdup(const mn_json *obj, const char *key, char **out)
{
    const mn_json *v;
    mnlp_status rc = strict(obj, key, MN_JSON_STRING, true, &v);

    if (rc != MNLP_OK)
        return rc;
    if (memchr(v->str, '\0', v->len))
        return mn_json_error(v, MNLP_ERR_UNSUPPORTED, "contains a NUL character");
    if (!(*out = mn_strdup(v->str)))
        return oom();
    return MNLP_OK;
}

static mnlp_status req_bool(const mn_json *obj, const char *key, bool *out)
{
    const mn_json *v;
    mnlp_status rc = strict(obj, key, MN_JSON_BOOL, true, &v);

    if (v)
        *out = v->boolean;
    return rc;
}

/* A Rust usize. */
static mnlp_status req_size(const mn_json *obj, const char *key, size_t *out)
{
    const mn_json *v;
    mnlp_status rc = strict(obj, key, MN_JSON_NUMBER, true, &v);

    if (rc != MNLP_OK)
        return rc;
    if (!v->is_int || v->integer < 0)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is not a non-negative integer");
    *out = (size_t)v->integer;
    return MNLP_OK;
}

/* A Rust char: a string of exactly one character. */
static mnlp_status req_char(const mn_json *obj, const char *key, uint32_t *out)
{
    const mn_json *v;
    mnlp_status rc = strict(obj, key, MN_JSON_STRING, true, &v);

    if (rc != MNLP_OK)
        return rc;
    if (v->len == 0 || mn_utf8_decode((const unsigned char *)v->str, v->len, out) != (int)v->len)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is not a single character");
    return MNLP_OK;
}

/* ---- ByteLevel (pre_tokenizers/byte_level.rs) ------------------------- */

/* The bytes token t stands for: its characters mapped back through GPT-2's
 * alphabet, or, when one of them is not in it, its own UTF-8 bytes. */
static void bytelevel_bytes(mn_sb *bytes, const char *t, size_t n)
{
    size_t start = bytes->len;
    uint32_t cp;

    for (size_t i = 0, len; i < n; i += len) {
        int b;
        char c;

        len = (size_t)mn_utf8_decode((const unsigned char *)t + i, n - i, &cp);
        if (len == 0 || (b = mn_bytelevel_byte(cp)) < 0) {
            bytes->len = start;
            mn_sb_append(bytes, t, n);
            return;
        }
        c = (char)(unsigned char)b;
        mn_sb_append(bytes, &c, 1);
    }
}

/* All tokens become one string at once, since a character's bytes may be
 * spread over several tokens; bytes that remain invalid become U+FFFD. */
static mnlp_status bytelevel_chain(const mn_decoder *self, mn_strs *tokens)
{
    mn_sb bytes = {0}, text = {0};
    mn_strs out = {0};
    bool ok;

    (void)self;
    for (int i = 0; i < tokens->n; i++)
        bytelevel_bytes(&bytes, tokens->items[i], tokens->lens[i]);
    append_lossy(&text, (const unsigned char *)bytes.data, bytes.len);
    ok = !bytes.failed && push_sb(&out, &text);
    mn_sb_free(&bytes);
    mn_sb_free(&text);
    if (!ok) {
        mn_strs_free(&out);
        return oom();
    }
    take_list(tokens, &out);
    return MNLP_OK;
}

static mnlp_status bytelevel_from_json(const mn_json *node, mn_decoder **out)
{
    const mn_json *use_regex;
    bool flag;
    mnlp_status rc;

    if ((rc = req_bool(node, "add_prefix_space", &flag)) != MNLP_OK ||
        (rc = req_bool(node, "trim_offsets", &flag)) != MNLP_OK ||
        (rc = strict(node, "use_regex", MN_JSON_BOOL, false, &use_regex)) != MNLP_OK)
        return rc;
    if (!(*out = new_decoder(sizeof **out, bytelevel_chain, plain_free)))
        return oom();
    return MNLP_OK;
}

/* ---- Metaspace (pre_tokenizers/metaspace.rs) -------------------------- */

typedef struct metaspace_dec {
    mn_decoder base;
    uint32_t replacement;
    bool drop_first;      /* prepend_scheme is not "never" */
} metaspace_dec;

/* Every replacement character becomes a space, except in the first token,
 * where they all go when the pre-tokenizer would have prepended one. */
static mnlp_status metaspace_token(const mn_decoder *self, const mn_strs *tokens, int i,
                                   mn_sb *sb, bool *keep)
{
    const metaspace_dec *m = (const metaspace_dec *)self;
    const char *t = tokens->items[i];
    size_t n = tokens->lens[i];
    uint32_t cp;

    (void)keep;
    for (size_t j = 0, len; j < n; j += len) {
        len = next_char(t, n, j, &cp);
        if (cp != m->replacement)
            mn_sb_append(sb, t + j, len);
        else if (i != 0 || !m->drop_first)
            mn_sb_append(sb, " ", 1);
    }
    return MNLP_OK;
}

static mnlp_status metaspace_chain(const mn_decoder *self, mn_strs *tokens)
{
    return map_tokens(self, tokens, metaspace_token);
}

/* The legacy add_prefix_space: false is only accepted with "never", which it
 * implies; tokenizers' default scheme "always" makes it an error alone. */
static mnlp_status metaspace_from_json(const mn_json *node, mn_decoder **out)
{
    const mn_json *scheme;
    const char *scheme_name = "always", *str_rep;
    bool add_prefix_space = true, split;
    uint32_t replacement;
    metaspace_dec *m;
    mnlp_status rc;

    if ((rc = req_char(node, "replacement", &replacement)) != MNLP_OK ||
        (rc = strict(node, "prepend_scheme", MN_JSON_STRING, false, &scheme)) != MNLP_OK ||
        (rc = mn_json_bool_opt(node, "add_prefix_space", &add_prefix_space)) != MNLP_OK ||
        (rc = mn_json_bool_opt(node, "split", &split)) != MNLP_OK ||
        (rc = mn_json_str_opt(node, "str_rep", &str_rep)) != MNLP_OK)
        return rc;
    if (scheme) {
        scheme_name = scheme->str;
        if (strcmp(scheme_name, "first") != 0 && strcmp(scheme_name, "never") != 0 &&
            strcmp(scheme_name, "always") != 0)
            return mn_json_error(scheme, MNLP_ERR_FORMAT,
                                 "unknown prepend_scheme \"%s\", expected first, never or always",
                                 scheme_name);
    }
    if (!add_prefix_space && strcmp(scheme_name, "never") != 0)
        return mn_json_error(mn_json_get(node, "add_prefix_space"), MNLP_ERR_FORMAT,
                             "false does not match prepend_scheme \"%s\"", scheme_name);
    if (!(m = new_decoder(sizeof *m, metaspace_chain, plain_free)))
        return oom();
    m->replacement = replacement;
    m->drop_first = strcmp(scheme_name, "never") != 0;
    *out = &m->base;
    return MNLP_OK;
}

/* ---- WordPiece (decoders/wordpiece.rs) -------------------------------- */

typedef struct wordpiece_dec {
    mn_decoder base;
    char *prefix;
    bool cleanup;
} wordpiece_dec;

/* A continuation piece loses its prefix; any other token after the first
 * starts a new word, so it gets a space. */
static mnlp_status wordpiece_token(const mn_decoder *self, const mn_strs *tokens, int i,
                                   mn_sb *sb, bool *keep)
{
    const wordpiece_dec *w = (const wordpiece_dec *)self;
    const char *t = tokens->items[i];
    size_t n = tokens->lens[i], prefix_len = strlen(w->prefix);

    (void)keep;
    if (i != 0) {
        if (n >= prefix_len && memcmp(t, w->prefix, prefix_len) == 0) {
            t += prefix_len;
            n -= prefix_len;
        } else {
            mn_sb_append(sb, " ", 1);
        }
    }
    mn_sb_append(sb, t, n);
    if (w->cleanup)
        cleanup(sb);
    return MNLP_OK;
}

static mnlp_status wordpiece_chain(const mn_decoder *self, mn_strs *tokens)
{
    return map_tokens(self, tokens, wordpiece_token);
}

static void wordpiece_free(mn_decoder *d)
{
    mn_free(((wordpiece_dec *)d)->prefix);
    mn_free(d);
}

static mnlp_status wordpiece_from_json(const mn_json *node, mn_decoder **out)
{
    wordpiece_dec *w = new_decoder(sizeof *w, wordpiece_chain, wordpiece_free);
    mnlp_status rc;

    if (!w)
        return oom();
    if ((rc = req_strdup(node, "prefix", &w->prefix)) != MNLP_OK ||
        (rc = req_bool(node, "cleanup", &w->cleanup)) != MNLP_OK) {
        wordpiece_free(&w->base);
        return rc;
    }
    *out = &w->base;
    return MNLP_OK;
}

/* ---- BPEDecoder (decoders/bpe.rs) ------------------------------------- */

typedef struct bpe_dec {
    mn_decoder base;
    char *suffix;
} bpe_dec;

/* The end-of-word suffix becomes a space, or nothing in the last token. */
static mnlp_status bpe_token(const mn_decoder *self, const mn_strs *tokens, int i, mn_sb *sb,
                             bool *keep)
{
    const bpe_dec *b = (const bpe_dec *)self;
    const char *t = tokens->items[i];

    (void)keep;
    str_replace(sb, t, tokens->lens[i], b->suffix, i == tokens->n - 1 ? "" : " ");
    return MNLP_OK;
}

static mnlp_status bpe_chain(const mn_decoder *self, mn_strs *tokens)
{
    return map_tokens(self, tokens, bpe_token);
}

static void bpe_free(mn_decoder *d)
{
    mn_free(((bpe_dec *)d)->suffix);
    mn_free(d);
}

static mnlp_status bpe_from_json(const mn_json *node, mn_decoder **out)
{
    bpe_dec *b = new_decoder(sizeof *b, bpe_chain, bpe_free);
    mnlp_status rc;

    if (!b)
        return oom();
    if ((rc = req_strdup(node, "suffix", &b->suffix)) != MNLP_OK) {
        bpe_free(&b->base);
        return rc;
    }
    *out = &b->base;
    return MNLP_OK;
}

/* ---- CTC (decoders/ctc.rs) -------------------------------------------- */

typedef struct ctc_dec {
    mn_decoder base;
    char *pad_token, *word_delimiter_token;
    bool cleanup;
} ctc_dec;

/*
 * Repeats of the previous token go (before anything else, as itertools'
 * dedup), then pad tokens; with cleanup the word delimiter becomes a space.
 * Tokens left empty are dropped.
 */
static mnlp_status ctc_token(const mn_decoder *self, const mn_strs *tokens, int i, mn_sb *sb,
                             bool *keep)
{
    const ctc_dec *c = (const ctc_dec *)self;
    const char *t = tokens->items[i];

    if (i > 0 && tokens->lens[i] == tokens->lens[i - 1] &&
        memcmp(t, tokens->items[i - 1], tokens->lens[i]) == 0) {
        *keep = false;
        return MNLP_OK;
    }
    str_replace(sb, t, tokens->lens[i], c->pad_token, "");
    if (c->cleanup) {
        cleanup(sb);
        sb_replace(sb, c->word_delimiter_token, " ");
    }
    *keep = sb->len > 0 || sb->failed;
    return MNLP_OK;
}

static mnlp_status ctc_chain(const mn_decoder *self, mn_strs *tokens)
{
    return map_tokens(self, tokens, ctc_token);
}

static void ctc_free(mn_decoder *d)
{
    ctc_dec *c = (ctc_dec *)d;

    mn_free(c->pad_token);
    mn_free(c->word_delimiter_token);
    mn_free(c);
}

static mnlp_status ctc_from_json(const mn_json *node, mn_decoder **out)
{
    ctc_dec *c = new_decoder(sizeof *c, ctc_chain, ctc_free);
    mnlp_status rc;

    if (!c)
        return oom();
    if ((rc = req_strdup(node, "pad_token", &c->pad_token)) != MNLP_OK ||
        (rc = req_strdup(node, "word_delimiter_token", &c->word_delimiter_token)) != MNLP_OK ||
        (rc = req_bool(node, "cleanup", &c->cleanup)) != MNLP_OK) {
        ctc_free(&c->base);
        return rc;
    }
    *out = &c->base;
    return MNLP_OK;
}

/* ---- ByteFallback (decoders/byte_fallback.rs) ------------------------- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte a "<0xXX>" token stands for, or -1. The two characters are read
 * as Rust's u8::from_str_radix(_, 16) does, which also takes "+X". */
static int fallback_byte(const char *t, size_t n)
{
    int hi, lo;

    if (n != 6 || memcmp(t, "<0x", 3) != 0 || t[5] != '>')
        return -1;
    hi = hex_digit(t[3]);
    lo = hex_digit(t[4]);
    if (lo < 0 || (hi < 0 && t[3] != '+'))
        return -1;
    return hi < 0 ? lo : hi * 16 + lo;
}

/* A run of byte tokens becomes its text if it is valid UTF-8 as a whole,
 * otherwise one U+FFFD per byte token (not per invalid sequence). */
static bool flush_run(mn_strs *out, mn_sb *run)
{
    bool ok = !run->failed;

    if (ok && run->len > 0 && mn_utf8_valid(run->data, run->len, NULL)) {
        ok = mn_strs_push(out, run->data, run->len);
    } else {
        for (size_t k = 0; ok && k < run->len; k++)
            ok = mn_strs_push(out, "\xef\xbf\xbd", 3);
    }
    run->len = 0;
    return ok;
}

static mnlp_status bytefallback_chain(const mn_decoder *self, mn_strs *tokens)
{
    mn_strs out = {0};
    mn_sb run = {0};
    bool ok = true;

    (void)self;
    for (int i = 0; ok && i < tokens->n; i++) {
        const char *t = tokens->items[i];
        int b = fallback_byte(t, tokens->lens[i]);
        char c = (char)(unsigned char)b;

        if (b >= 0) {
            mn_sb_append(&run, &c, 1);
            continue;
        }
        ok = flush_run(&out, &run) && mn_strs_push(&out, t, tokens->lens[i]);
    }
    ok = ok && flush_run(&out, &run);
    mn_sb_free(&run);
    if (!ok) {
        mn_strs_free(&out);
        return oom();
    }
    take_list(tokens, &out);
    return MNLP_OK;
}

/* ---- Fuse (decoders/fuse.rs) ------------------------------------------ */

static mnlp_status fuse_chain(const mn_decoder *self, mn_strs *tokens)
{
    mn_strs out = {0};
    mn_sb sb = {0};
    bool ok;

    (void)self;
    for (int i = 0; i < tokens->n; i++)
        mn_sb_append(&sb, tokens->items[i], tokens->lens[i]);
    ok = push_sb(&out, &sb);
    mn_sb_free(&sb);
    if (!ok) {
        mn_strs_free(&out);
        return oom();
    }
    take_list(tokens, &out);
    return MNLP_OK;
}

static mnlp_status no_fields_from_json(chain_fn chain, mn_decoder **out)
{
    if (!(*out = new_decoder(sizeof **out, chain, plain_free)))
        return oom();
    return MNLP_OK;
}

static mnlp_status bytefallback_from_json(const mn_json *node, mn_decoder **out)
{
    (void)node;
    return no_fields_from_json(bytefallback_chain, out);
}

static mnlp_status fuse_from_json(const mn_json *node, mn_decoder **out)
{
    (void)node;
    return no_fields_from_json(fuse_chain, out);
}

/* ---- Strip (decoders/strip.rs) ---------------------------------------- */

typedef struct strip_dec {
    mn_decoder base;
    uint32_t content;
    size_t start, stop;
} strip_dec;

/* Where the character ending at t[end] starts (end > 0). */
static size_t char_before(const char *t, size_t end, uint32_t *cp)
{
    size_t p = end - 1;

    while (p > 0 && end - p < 4 && ((unsigned char)t[p] & 0xc0) == 0x80)
        p--;
    if (mn_utf8_decode((const unsigned char *)t + p, end - p, cp) != (int)(end - p)) {
        *cp = UINT32_MAX;
        return end - 1;
    }
    return p;
}

/* An input on which tokenizers' Strip indexes out of bounds and panics. */
static mnlp_status strip_fails(const char *t)
{
    return mn_errorf(MNLP_ERR_UNSUPPORTED,
                     "strip decoder: cannot strip token \"%.64s\" (tokenizers panics on it)", t);
}

/* Up to start leading and stop trailing content characters go. */
static mnlp_status strip_token(const mn_decoder *self, const mn_strs *tokens, int i, mn_sb *sb,
                               bool *keep)
{
    const strip_dec *s = (const strip_dec *)self;
    const char *t = tokens->items[i];
    size_t n = tokens->lens[i], first = 0, last = n;
    uint32_t cp;

    (void)keep;
    for (size_t k = 0; k < s->start && first < n; k++) {
        size_t len = next_char(t, n, first, &cp);

        if (cp != s->content)
            break;
        first += len;
    }
    for (size_t k = 0; k < s->stop; k++) {
        size_t p;

        if (last == 0)
            return strip_fails(t);
        p = char_before(t, last, &cp);
        if (cp != s->content)
            break;
        last = p;
    }
    if (first > last)
        return strip_fails(t);
    mn_sb_append(sb, t + first, last - first);
    return MNLP_OK;
}

static mnlp_status strip_chain(const mn_decoder *self, mn_strs *tokens)
{
    return map_tokens(self, tokens, strip_token);
}

static mnlp_status strip_from_json(const mn_json *node, mn_decoder **out)
{
    strip_dec *s;
    uint32_t content;
    size_t start, stop;
    mnlp_status rc;

    if ((rc = req_char(node, "content", &content)) != MNLP_OK ||
        (rc = req_size(node, "start", &start)) != MNLP_OK ||
        (rc = req_size(node, "stop", &stop)) != MNLP_OK)
        return rc;
    if (!(s = new_decoder(sizeof *s, strip_chain, plain_free)))
        return oom();
    s->content = content;
    s->start = start;
    s->stop = stop;
    *out = &s->base;
    return MNLP_OK;
}

/* ---- Replace (normalizers/replace.rs) --------------------------------- */

typedef struct replace_dec {
    mn_decoder base;
    char *literal;        /* {"String": ...}, or NULL */
    regex_t *re;          /* {"Regex": ...}, or NULL */
    char *content;
} replace_dec;

/* The first match at or after from, if any: a literal occurrence (tokenizers
 * compiles the escaped string, which matches exactly these) or a regex one. */
static mnlp_status next_match(const replace_dec *r, const char *s, size_t n, size_t from,
                              OnigRegion *region, size_t match[2], bool *found)
{
    const OnigUChar *u = (const OnigUChar *)s;
    int rc;

    if (!r->re) {
        size_t len = strlen(r->literal);
        const char *hit = len ? find_bytes(s + from, n - from, r->literal, len) : s + from;

        *found = hit != NULL;
        match[0] = hit ? (size_t)(hit - s) : 0;
        match[1] = match[0] + len;
        return MNLP_OK;
    }
    rc = onig_search(r->re, u, u + n, u + from, u + n, region, ONIG_OPTION_NONE);
    *found = false;
    if (rc == ONIG_MISMATCH)
        return MNLP_OK;
    if (rc < 0)
        return mn_errorf(MNLP_ERR_INTERNAL, "replace decoder: regex search failed (%d)", rc);
    *found = true;
    match[0] = (size_t)region->beg[0];
    match[1] = (size_t)region->end[0];
    return MNLP_OK;
}

/*
 * Every match becomes content. Matches are enumerated as the onig crate's
 * find_iter does, which tokenizers' find_matches uses: empty matches count,
 * except the first one found after a non-empty match, and after an empty
 * match the search resumes one character further.
 */
static mnlp_status replace_token(const mn_decoder *self, const mn_strs *tokens, int i,
                                 mn_sb *sb, bool *keep)
{
    const replace_dec *r = (const replace_dec *)self;
    const char *s = tokens->items[i];
    size_t n = tokens->lens[i], from = 0, prev = 0, m[2];
    OnigRegion *region = NULL;
    bool skip_empty = false, found;
    mnlp_status rc = MNLP_OK;
    uint32_t cp;

    (void)keep;
    if (n == 0)
        return MNLP_OK; /* find_matches gives "" one unmatched run, whatever the pattern */
    if (r->re && !(region = onig_region_new()))
        return oom();
    while (from <= n) {
        if ((rc = next_match(r, s, n, from, region, m, &found)) != MNLP_OK || !found)
            break;
        from = m[1];
        if (m[0] == m[1]) {
            from += m[1] < n ? next_char(s, n, m[1], &cp) : 1;
            if (skip_empty) {
                skip_empty = false;
                continue;
            }
        } else {
            skip_empty = true;
        }
        mn_sb_append(sb, s + prev, m[0] - prev);
        mn_sb_puts(sb, r->content);
        prev = m[1];
    }
    mn_sb_append(sb, s + prev, n - prev);
    if (region)
        onig_region_free(region, 1);
    return rc;
}

static mnlp_status replace_chain(const mn_decoder *self, mn_strs *tokens)
{
    return map_tokens(self, tokens, replace_token);
}

static void replace_free(mn_decoder *d)
{
    replace_dec *r = (replace_dec *)d;

    mn_free(r->literal);
    if (r->re)
        onig_free(r->re);
    mn_free(r->content);
    mn_free(r);
}

/*
 * mn_regex_new checks the pattern with the settings tokenizers' SysRegex
 * uses (and sets Oniguruma up once); the decoder then compiles its own copy
 * because it needs every match, empty ones included, which mn_regex_find
 * leaves out.
 */
static mnlp_status replace_compile(const mn_json *v, regex_t **out)
{
    const OnigUChar *p = (const OnigUChar *)v->str;
    OnigErrorInfo info;
    mn_regex *probe;
    char path[256];
    mnlp_status rc = mn_regex_new(v->str, v->len, &probe);

    if (rc != MNLP_OK)
        return mn_error_prefix(rc, "%s", mn_json_path(v, path, sizeof path));
    mn_regex_free(probe);
    if (onig_new(out, p, p + v->len, ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_RUBY,
                 &info) != ONIG_NORMAL) {
        *out = NULL;
        return oom();
    }
    return MNLP_OK;
}

static bool key_is(const mn_json *member, const char *key)
{
    return member->key_len == strlen(key) && memcmp(member->key, key, member->key_len) == 0;
}

/* pattern is serde's external tagging of ReplacePattern: an object with
 * the one member "String" or "Regex". */
static mnlp_status replace_pattern(const mn_json *node, replace_dec *r)
{
    const mn_json *pattern, *v;
    mnlp_status rc = strict(node, "pattern", MN_JSON_OBJECT, true, &pattern);

    if (rc != MNLP_OK)
        return rc;
    if (pattern->len != 1)
        return mn_json_error(pattern, MNLP_ERR_FORMAT,
                             "has %zu members, expected one: \"String\" or \"Regex\"",
                             pattern->len);
    v = &pattern->items[0];
    if (!key_is(v, "String") && !key_is(v, "Regex"))
        return mn_json_error(v, MNLP_ERR_FORMAT, "unknown pattern kind, expected String or Regex");
    if (v->type != MN_JSON_STRING)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is %s, expected string",
                             mn_json_type_name(v->type));
    if (key_is(v, "Regex"))
        return replace_compile(v, &r->re);
    if (memchr(v->str, '\0', v->len))
        return mn_json_error(v, MNLP_ERR_UNSUPPORTED, "contains a NUL character");
    if (!(r->literal = mn_strdup(v->str)))
        return oom();
    return MNLP_OK;
}

static mnlp_status replace_from_json(const mn_json *node, mn_decoder **out)
{
    replace_dec *r = new_decoder(sizeof *r, replace_chain, replace_free);
    mnlp_status rc;

    if (!r)
        return oom();
    if ((rc = replace_pattern(node, r)) != MNLP_OK ||
        (rc = req_strdup(node, "content", &r->content)) != MNLP_OK) {
        replace_free(&r->base);
        return rc;
    }
    *out = &r->base;
    return MNLP_OK;
}

/* ---- Sequence (decoders/sequence.rs) ---------------------------------- */

typedef struct sequence_dec {
    mn_decoder base;
    mn_decoder **decoders;
    int n;
} sequence_dec;

static mnlp_status sequence_chain(const mn_decoder *self, mn_strs *tokens)
{
    const sequence_dec *s = (const sequence_dec *)self;
    mnlp_status rc = MNLP_OK;

    for (int i = 0; i < s->n && rc == MNLP_OK; i++)
        rc = s->decoders[i]->decode_chain(s->decoders[i], tokens);
    return rc;
}

static void sequence_free(mn_decoder *d)
{
    sequence_dec *s = (sequence_dec *)d;

    for (int i = 0; i < s->n; i++)
        s->decoders[i]->free(s->decoders[i]);
    mn_free(s->decoders);
    mn_free(s);
}

/* Nesting is bounded by the JSON reader's depth limit. */
static mnlp_status sequence_from_json(const mn_json *node, mn_decoder **out)
{
    const mn_json *list;
    sequence_dec *s;
    mnlp_status rc = strict(node, "decoders", MN_JSON_ARRAY, true, &list);

    if (rc != MNLP_OK)
        return rc;
    if (list->len > INT_MAX)
        return mn_json_error(list, MNLP_ERR_LIMIT, "has too many decoders");
    if (!(s = new_decoder(sizeof *s, sequence_chain, sequence_free)))
        return oom();
    if (!(s->decoders = mn_calloc(list->len, sizeof *s->decoders))) {
        mn_free(s);
        return oom();
    }
    for (size_t i = 0; i < list->len; i++) {
        if ((rc = mn_decoder_from_json(&list->items[i], &s->decoders[i])) != MNLP_OK) {
            sequence_free(&s->base);
            return rc;
        }
        s->n++;
    }
    *out = &s->base;
    return MNLP_OK;
}

/* ---- Building and decoding -------------------------------------------- */

static const struct {
    const char *type;
    mnlp_status (*build)(const mn_json *node, mn_decoder **out);
} builders[] = {
    {"BPEDecoder", bpe_from_json},     {"ByteLevel", bytelevel_from_json},
    {"WordPiece", wordpiece_from_json}, {"Metaspace", metaspace_from_json},
    {"CTC", ctc_from_json},             {"Sequence", sequence_from_json},
    {"Replace", replace_from_json},     {"Fuse", fuse_from_json},
    {"Strip", strip_from_json},         {"ByteFallback", bytefallback_from_json},
};

/* tokenizers' DecoderWrapper: the "type" field picks the decoder. Without
 * one, serde's untagged fallback matches no decoder either, since each of
 * them requires its type tag. */
mnlp_status mn_decoder_from_json(const mn_json *node, mn_decoder **out)
{
    const mn_json *type;
    mnlp_status rc;

    *out = NULL;
    if (node->type != MN_JSON_OBJECT)
        return mn_json_error(node, MNLP_ERR_FORMAT, "is %s, expected object",
                             mn_json_type_name(node->type));
    if ((rc = strict(node, "type", MN_JSON_STRING, true, &type)) != MNLP_OK)
        return rc;
    for (int i = 0; i < MN_COUNT(builders); i++) {
        if (strlen(builders[i].type) == type->len && strcmp(builders[i].type, type->str) == 0)
            return builders[i].build(node, out);
    }
    return mn_json_error(type, MNLP_ERR_UNSUPPORTED, "unknown decoder type \"%s\"", type->str);
}

mnlp_status mn_decoder_decode(const mn_decoder *d, mn_strs *tokens, char **out, size_t *len)
{
    mn_sb sb = {0};
    mnlp_status rc;

    *out = NULL;
    *len = 0;
    if ((rc = d->decode_chain(d, tokens)) != MNLP_OK)
        return rc;
    mn_sb_append(&sb, "", 0);
    for (int i = 0; i < tokens->n; i++)
        mn_sb_append(&sb, tokens->items[i], tokens->lens[i]);
    if (sb.failed) {
        mn_sb_free(&sb);
        return oom();
    }
    *out = sb.data;
    *len = sb.len;
    return MNLP_OK;
}

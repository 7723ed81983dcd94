/*
 * Pre-tokenizers (tokenizers' src/pre_tokenizers/): each cuts the splits of
 * a pre-tokenized string into smaller ones; ByteLevel and Metaspace also
 * rewrite the text of the splits, keeping every byte's original span.
 *
 * Splitting goes through mn_pretok_split with a find function that lists the
 * runs of one split: a regex (mn_regex_find), a literal, or a character
 * predicate, which, like tokenizers' Pattern impl for Fn(char) -> bool,
 * reports every matching character as a match of its own.
 */
#include "text/tok.h"

#include "base/utf8.h"
#include "text/unicode_scripts.h"

#include <string.h>
#include <utf8proc.h>

/* Past this code point nothing matches: the mark of an invalid byte. */
#define NO_CHAR UINT32_MAX

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory in the pre-tokenizer");
}

/* The character at s[i..len) and its length; an invalid byte is NO_CHAR, 1. */
static size_t next_char(const char *s, size_t len, size_t i, uint32_t *cp)
{
    int n = mn_utf8_decode((const unsigned char *)s + i, len - i, cp);

    if (n == 0) {
        *cp = NO_CHAR;
        return 1;
    }
    return (size_t)n;
}

/* The first character of n, which must be valid UTF-8 (text we rewrite). */
static mnlp_status first_char(const mn_nstr *n, uint32_t *cp, size_t *cl)
{
    *cl = next_char(n->s, n->len, 0, cp);
    if (*cp == NO_CHAR)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "pre-tokenizer: invalid UTF-8 at byte 0");
    return MNLP_OK;
}

/*
 * tokenizers' NormalizedString::prepend: the new character takes the place
 * of the first one, which is then inserted back after it, so both carry the
 * first character's original span. Nothing happens to an empty string.
 */
static mnlp_status prepend(mn_nstr *n, uint32_t cp)
{
    mn_nchange changes[2];
    uint32_t first;
    size_t cl;
    mnlp_status rc;

    if (n->len == 0)
        return MNLP_OK;
    if ((rc = first_char(n, &first, &cl)) != MNLP_OK)
        return rc;
    changes[0] = (mn_nchange){cp, 0};
    changes[1] = (mn_nchange){first, 1};
    return mn_nstr_transform(n, 0, cl, changes, 2, 0);
}

/*
 * PreTokenizedString::split drops the empty pieces a split function returns;
 * a pre-tokenizer that keeps its split whole (ByteLevel without its regex,
 * Metaspace without splitting) must drop an emptied split the same way.
 */
static void drop_empty(mn_pretok *pt)
{
    int kept = 0;

    for (int i = 0; i < pt->n; i++) {
        mn_split *sp = &pt->splits[i];

        if (!sp->tokenized && sp->n.len == 0) {
            mn_nstr_free(&sp->n);
            mn_tokens_free(&sp->tokens);
            continue;
        }
        pt->splits[kept++] = *sp;
    }
    pt->n = kept;
}

/* ---- Character classes (Rust's char methods) ---------------------------- */

/* char::is_whitespace: the White_Space property. */
static bool is_whitespace(uint32_t cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= '\t' && cp <= '\r');
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* tokenizers' is_bert_punc / is_punc: ASCII punctuation (which counts
 * symbols such as $ + < = > ^ ` | ~) or a Unicode P* category. */
static bool is_punctuation(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '!' && cp <= '/') || (cp >= ':' && cp <= '@') || (cp >= '[' && cp <= '`') ||
               (cp >= '{' && cp <= '~');
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: return true;
    default: return false;
    }
}

/* char::is_numeric: general category Nd, Nl or No. */
static bool is_numeric(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return true;
    default: return false;
    }
}

/* ---- Splitting on a character predicate --------------------------------- */

typedef enum char_class {
    CLASS_CHAR,
    CLASS_WHITESPACE,
    CLASS_PUNCTUATION,
    CLASS_NUMERIC,
} char_class;

typedef struct char_split {
    mn_pre_tokenizer base;
    char_class cls;
    uint32_t cp; /* CLASS_CHAR: the character */
    mn_split_behavior behavior;
} char_split;

static bool class_has(const char_split *cs, uint32_t cp)
{
    if (cp == NO_CHAR)
        return false;
    switch (cs->cls) {
    case CLASS_CHAR: return cp == cs->cp;
    case CLASS_WHITESPACE: return is_whitespace(cp);
    case CLASS_PUNCTUATION: return is_punctuation(cp);
    case CLASS_NUMERIC: return is_numeric(cp);
    }
    return false;
}

/* Pattern for Fn(char) -> bool: each matching character is its own match. */
static mnlp_status find_class(void *ctx, const mn_nstr *p, mn_matches *m)
{
    const char_split *cs = ctx;
    size_t last = 0;

    for (size_t i = 0; i < p->len;) {
        uint32_t cp;
        size_t cl = next_char(p->s, p->len, i, &cp);

        if (class_has(cs, cp)) {
            if ((last < i && !mn_matches_push(m, last, i, false)) ||
                !mn_matches_push(m, i, i + cl, true))
                return oom();
            last = i + cl;
        }
        i += cl;
    }
    if (last < p->len && !mn_matches_push(m, last, p->len, false))
        return oom();
    return MNLP_OK;
}

static mnlp_status char_split_run(const mn_pre_tokenizer *self, mn_pretok *pt)
{
    const char_split *cs = (const char_split *)self;

    return mn_pretok_split(pt, find_class, (void *)cs, cs->behavior);
}

static void plain_free(mn_pre_tokenizer *self)
{
    mn_free(self);
}

static mnlp_status char_split_new(char_class cls, uint32_t cp, mn_split_behavior behavior,
                                  mn_pre_tokenizer **out)
{
    char_split *cs = mn_calloc(1, sizeof *cs);

    if (!cs)
        return oom();
    cs->base.pre_tokenize = char_split_run;
    cs->base.free = plain_free;
    cs->cls = cls;
    cs->cp = cp;
    cs->behavior = behavior;
    *out = &cs->base;
    return MNLP_OK;
}

/* ---- Splitting on a regex or a literal (Split, Whitespace) -------------- */

typedef struct pattern_split {
    mn_pre_tokenizer base;
    mn_regex *re;        /* NULL: split on the literal */
    char *literal;
    size_t literal_len;
    mn_split_behavior behavior;
    bool invert;         /* tokenizers' Invert: flip every run's flag */
} pattern_split;

/*
 * Every leftmost non-overlapping occurrence of the literal, as tokenizers
 * finds them with a regex of the escaped string; an empty literal matches
 * nothing (the regex's empty matches are skipped).
 */
static mnlp_status find_literal(const pattern_split *ps, const mn_nstr *p, mn_matches *m)
{
    size_t last = 0, k = ps->literal_len;

    for (size_t i = 0; k > 0 && i + k <= p->len;) {
        if (memcmp(p->s + i, ps->literal, k) != 0) {
            i++;
            continue;
        }
        if ((last < i && !mn_matches_push(m, last, i, false)) ||
            !mn_matches_push(m, i, i + k, true))
            return oom();
        last = i += k;
    }
    if (last < p->len && !mn_matches_push(m, last, p->len, false))
        return oom();
    return MNLP_OK;
}

static mnlp_status find_pattern(void *ctx, const mn_nstr *p, mn_matches *m)
{
    const pattern_split *ps = ctx;
    mnlp_status rc;

    if (ps->re)
        rc = mn_regex_find(ps->re, p->s, p->len, m);
    else
        rc = find_literal(ps, p, m);
    for (int i = 0; rc == MNLP_OK && ps->invert && i < m->n; i++)
        m->items[i].is_match = !m->items[i].is_match;
    return rc;
}

static mnlp_status pattern_split_run(const mn_pre_tokenizer *self, mn_pretok *pt)
{
    const pattern_split *ps = (const pattern_split *)self;

    return mn_pretok_split(pt, find_pattern, (void *)ps, ps->behavior);
}

static void pattern_split_free(mn_pre_tokenizer *self)
{
    pattern_split *ps = (pattern_split *)self;

    mn_regex_free(ps->re);
    mn_free(ps->literal);
    mn_free(ps);
}

/* A split on regex (compiled here, once) or, when is_regex is false, on the
 * literal text[0..len). */
static mnlp_status pattern_split_new(const char *text, size_t len, bool is_regex,
                                     mn_split_behavior behavior, bool invert,
                                     mn_pre_tokenizer **out)
{
    pattern_split *ps = mn_calloc(1, sizeof *ps);
    mnlp_status rc = MNLP_OK;

    if (!ps)
        return oom();
    ps->base.pre_tokenize = pattern_split_run;
    ps->base.free = pattern_split_free;
    ps->behavior = behavior;
    ps->invert = invert;
    if (is_regex)
        rc = mn_regex_new(text, len, &ps->re);
    else if (!(ps->literal = mn_strndup(text, len)))
        rc = oom();
    ps->literal_len = len;
    if (rc != MNLP_OK) {
        pattern_split_free(&ps->base);
        return rc;
    }
    *out = &ps->base;
    return MNLP_OK;
}

/*
 * Whitespace uses the Rust regex crate's \w+|[^\w\s]+, not Oniguruma. Its \w
 * is Alphabetic, marks, Nd, Pc and Join_Control and its \s is White_Space;
 * Oniguruma's own \w differs (it takes ² ³ ¹ ¼ ½ ¾ and leaves out ZWJ and
 * ZWNJ), so the classes are spelled out by property.
 */
#define RUST_WORD "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}"
static const char whitespace_regex[] = "[" RUST_WORD "]+|[^" RUST_WORD "\\p{White_Space}]+";

/* ---- ByteLevel --------------------------------------------------------- */

typedef struct byte_level {
    mn_pre_tokenizer base;
    bool add_prefix_space;
    mn_regex *re;         /* GPT-2's regex; NULL when use_regex is false */
    uint32_t chars[256];  /* mn_bytelevel_char of every byte */
} byte_level;

static const char gpt2_regex[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* Length of the character a lead byte starts, as the mn_nstr functions count. */
static size_t lead_len(unsigned char c)
{
    return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/*
 * Every byte becomes its byte-level character: the first byte of a
 * character replaces it, the others are inserted after it, so all share
 * the character's original span (tokenizers' ByteLevel::pre_tokenize).
 */
static mnlp_status map_bytes(const byte_level *bl, mn_nstr *n)
{
    mn_nchange *changes;
    mnlp_status rc;

    if (n->len == 0)
        return MNLP_OK;
    if (!(changes = mn_calloc(n->len, sizeof *changes)))
        return oom();
    for (size_t i = 0; i < n->len;) {
        size_t cl = lead_len((unsigned char)n->s[i]);

        for (size_t j = 0; j < cl && i < n->len; j++, i++)
            changes[i] = (mn_nchange){bl->chars[(unsigned char)n->s[i]], j > 0};
    }
    rc = mn_nstr_transform(n, 0, n->len, changes, n->len, 0);
    mn_free(changes);
    return rc;
}

static mnlp_status find_regex(void *ctx, const mn_nstr *p, mn_matches *m)
{
    return mn_regex_find(ctx, p->s, p->len, m);
}

static mnlp_status byte_level_run(const mn_pre_tokenizer *self, mn_pretok *pt)
{
    const byte_level *bl = (const byte_level *)self;
    mnlp_status rc = MNLP_OK;

    /* Every split that does not start with a space gets one, not only the first. */
    for (int i = 0; i < pt->n && rc == MNLP_OK; i++) {
        mn_split *sp = &pt->splits[i];

        if (bl->add_prefix_space && !sp->tokenized && sp->n.len > 0 && sp->n.s[0] != ' ')
            rc = prepend(&sp->n, ' ');
    }
    if (rc != MNLP_OK)
        return rc;
    if (bl->re && (rc = mn_pretok_split(pt, find_regex, bl->re, MN_SPLIT_ISOLATED)) != MNLP_OK)
        return rc;
    if (!bl->re)
        drop_empty(pt);
    for (int i = 0; i < pt->n && rc == MNLP_OK; i++)
        if (!pt->splits[i].tokenized)
            rc = map_bytes(bl, &pt->splits[i].n);
    return rc;
}

static void byte_level_free(mn_pre_tokenizer *self)
{
    byte_level *bl = (byte_level *)self;

    mn_regex_free(bl->re);
    mn_free(bl);
}

/* ---- Metaspace --------------------------------------------------------- */

typedef enum prepend_scheme { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER } prepend_scheme;

typedef struct metaspace {
    mn_pre_tokenizer base;
    char_split by_replacement; /* the split on the replacement, MergedWithNext */
    prepend_scheme scheme;
    bool split;
} metaspace;

/* NormalizedString::replace(' ', replacement): each space becomes the
 * replacement, which keeps the space's original span. */
static mnlp_status replace_spaces(mn_nstr *n, uint32_t replacement)
{
    mn_nchange *changes;
    size_t count = 0;
    mnlp_status rc;

    if (!memchr(n->s, ' ', n->len))
        return MNLP_OK;
    if (!(changes = mn_calloc(n->len, sizeof *changes)))
        return oom();
    for (size_t i = 0; i < n->len;) {
        uint32_t cp;

        i += next_char(n->s, n->len, i, &cp);
        if (cp == NO_CHAR) {
            mn_free(changes);
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "pre-tokenizer: invalid UTF-8 at byte %zu",
                             i - 1);
        }
        changes[count++] = (mn_nchange){cp == ' ' ? replacement : cp, 0};
    }
    rc = mn_nstr_transform(n, 0, n->len, changes, count, 0);
    mn_free(changes);
    return rc;
}

/*
 * tokenizers' Metaspace::pre_tokenize. "first" prepends only to a split
 * whose original span starts at 0, that is the start of the whole input.
 */
static mnlp_status metaspace_rewrite(const metaspace *ms, mn_nstr *n)
{
    uint32_t rep = ms->by_replacement.cp, first;
    size_t cl;
    mnlp_status rc;

    if ((rc = replace_spaces(n, rep)) != MNLP_OK || n->len == 0)
        return rc;
    if (ms->scheme == PREPEND_NEVER || (ms->scheme == PREPEND_FIRST && n->orig_start != 0))
        return MNLP_OK;
    if ((rc = first_char(n, &first, &cl)) != MNLP_OK || first == rep)
        return rc;
    return prepend(n, rep);
}

static mnlp_status metaspace_run(const mn_pre_tokenizer *self, mn_pretok *pt)
{
    const metaspace *ms = (const metaspace *)self;
    mnlp_status rc = MNLP_OK;

    for (int i = 0; i < pt->n && rc == MNLP_OK; i++)
        if (!pt->splits[i].tokenized)
            rc = metaspace_rewrite(ms, &pt->splits[i].n);
    if (rc != MNLP_OK)
        return rc;
    if (ms->split)
        return char_split_run(&ms->by_replacement.base, pt);
    drop_empty(pt);
    return MNLP_OK;
}

/* ---- UnicodeScripts ---------------------------------------------------- */

/* tokenizers' fixed_script: the Japanese scripts and the prolonged sound
 * mark count as Han, and a space belongs to every script. */
static mn_script fixed_script(uint32_t cp)
{
    mn_script s;

    if (cp == 0x30fc)
        return MN_SCRIPT_HAN;
    if (cp == ' ' || cp == NO_CHAR)
        return MN_SCRIPT_ANY;
    s = mn_unicode_script(cp);
    return s == MN_SCRIPT_HIRAGANA || s == MN_SCRIPT_KATAKANA ? MN_SCRIPT_HAN : s;
}

/*
 * A piece starts at every character whose script (other than Any) differs
 * from the last such script. As in tokenizers, what comes before the first
 * cut is dropped: leading spaces, or a split made only of Any characters.
 * Here the dropped part is a match that the Removed behaviour removes.
 */
static mnlp_status find_scripts(void *ctx, const mn_nstr *p, mn_matches *m)
{
    mn_script last = MN_SCRIPT_ANY;
    size_t start = SIZE_MAX;
    bool ok = true;

    (void)ctx;
    for (size_t i = 0; i < p->len && ok;) {
        uint32_t cp;
        size_t cl = next_char(p->s, p->len, i, &cp);
        mn_script s = fixed_script(cp);

        if (s != MN_SCRIPT_ANY && s != last) {
            if (start == SIZE_MAX)
                ok = i == 0 || mn_matches_push(m, 0, i, true);
            else
                ok = mn_matches_push(m, start, i, false);
            start = i;
            last = s;
        }
        i += cl;
    }
    if (ok && start == SIZE_MAX)
        ok = p->len == 0 || mn_matches_push(m, 0, p->len, true);
    else if (ok)
        ok = mn_matches_push(m, start, p->len, false);
    return ok ? MNLP_OK : oom();
}

static mnlp_status unicode_scripts_run(const mn_pre_tokenizer *self, mn_pretok *pt)
{
    (void)self;
    return mn_pretok_split(pt, find_scripts, NULL, MN_SPLIT_REMOVED);
}

/* ---- FixedLength ------------------------------------------------------- */

typedef struct fixed_length {
    mn_pre_tokenizer base;
    size_t length; /* characters per piece, > 0 */
} fixed_length;

static mnlp_status find_chunks(void *ctx, const mn_nstr *p, mn_matches *m)
{
    const fixed_length *fl = ctx;
    size_t start = 0, chars = 0;

    for (size_t i = 0; i < p->len;) {
        uint32_t cp;

        i += next_char(p->s, p->len, i, &cp);
        if (++chars == fl->length || i == p->len) {
            if (!mn_matches_push(m, start, i, false))
                return oom();
            start = i;
            chars = 0;
        }
    }
    return MNLP_OK;
}

static mnlp_status fixed_length_run(const mn_pre_tokenizer *self, mn_pretok *pt)
{
    return mn_pretok_split(pt, find_chunks, (void *)self, MN_SPLIT_ISOLATED);
}

/* ---- Sequence ---------------------------------------------------------- */

typedef struct sequence {
    mn_pre_tokenizer base;
    mn_pre_tokenizer **items;
    int n;
} sequence;

static mnlp_status sequence_run(const mn_pre_tokenizer *self, mn_pretok *pt)
{
    const sequence *sq = (const sequence *)self;
    mnlp_status rc = MNLP_OK;

    for (int i = 0; i < sq->n && rc == MNLP_OK; i++)
        rc = sq->items[i]->pre_tokenize(sq->items[i], pt);
    return rc;
}

static void sequence_free(mn_pre_tokenizer *self)
{
    sequence *sq = (sequence *)self;

    for (int i = 0; i < sq->n; i++)
        sq->items[i]->free(sq->items[i]);
    mn_free(sq->items);
    mn_free(sq);
}

static mnlp_status sequence_new(int n, sequence **out)
{
    sequence *sq = mn_calloc(1, sizeof *sq);

    if (!sq || (n > 0 && !(sq->items = mn_calloc((size_t)n, sizeof *sq->items)))) {
        mn_free(sq);
        return oom();
    }
    sq->base.pre_tokenize = sequence_run;
    sq->base.free = sequence_free;
    *out = sq;
    return MNLP_OK;
}

/* ---- Reading tokenizer.json -------------------------------------------- */

/* A field serde requires: missing or null is an error. */
static mnlp_status bool_req(const mn_json *obj, const char *key, bool *out)
{
    const mn_json *v = mn_json_get(obj, key);

    if (!v || v->type == MN_JSON_NULL)
        return mn_json_error(obj, MNLP_ERR_FORMAT, "missing \"%s\"", key);
    return mn_json_bool_opt(obj, key, out);
}

/* A Rust char: a string of exactly one character. */
static mnlp_status char_field(const mn_json *obj, const char *key, uint32_t *out)
{
    const char *s;
    mnlp_status rc = mn_json_str(obj, key, &s);
    const mn_json *v = mn_json_get(obj, key);

    if (rc != MNLP_OK)
        return rc;
    if (v->len == 0 || (size_t)mn_utf8_decode((const unsigned char *)s, v->len, out) != v->len)
        return mn_json_error(v, MNLP_ERR_FORMAT, "must be exactly one character");
    return MNLP_OK;
}

/* A SplitDelimiterBehavior field; *out keeps its default when it is absent. */
static mnlp_status behavior_field(const mn_json *obj, const char *key, bool required,
                                  mn_split_behavior *out)
{
    const char *name = NULL;
    mnlp_status rc = required ? mn_json_str(obj, key, &name) : mn_json_str_opt(obj, key, &name);
    int b;

    if (rc != MNLP_OK || !name)
        return rc;
    if ((b = mn_split_behavior_parse(name)) < 0)
        return mn_json_error(mn_json_get(obj, key), MNLP_ERR_FORMAT,
                             "unknown split behavior \"%s\"", name);
    *out = (mn_split_behavior)b;
    return MNLP_OK;
}

static mnlp_status byte_level_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    bool add_prefix_space, trim_offsets, use_regex = true;
    byte_level *bl;
    mnlp_status rc;

    /* trim_offsets only matters to the ByteLevel post-processor. */
    if ((rc = bool_req(node, "add_prefix_space", &add_prefix_space)) != MNLP_OK ||
        (rc = bool_req(node, "trim_offsets", &trim_offsets)) != MNLP_OK ||
        (rc = mn_json_bool_opt(node, "use_regex", &use_regex)) != MNLP_OK)
        return rc;
    if (!(bl = mn_calloc(1, sizeof *bl)))
        return oom();
    bl->base.pre_tokenize = byte_level_run;
    bl->base.free = byte_level_free;
    bl->add_prefix_space = add_prefix_space;
    for (int b = 0; b < 256; b++)
        bl->chars[b] = mn_bytelevel_char((uint8_t)b);
    if (use_regex && (rc = mn_regex_new(gpt2_regex, sizeof gpt2_regex - 1, &bl->re)) != MNLP_OK) {
        byte_level_free(&bl->base);
        return rc;
    }
    *out = &bl->base;
    return MNLP_OK;
}

/* "pattern": {"String": s} (a literal) or {"Regex": r}, serde's form of an enum. */
static mnlp_status split_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    const mn_json *pattern = mn_json_get(node, "pattern"), *v;
    mn_split_behavior behavior = MN_SPLIT_REMOVED;
    bool invert, is_regex;
    mnlp_status rc;

    if (!pattern || pattern->type == MN_JSON_NULL)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"pattern\"");
    if (pattern->type != MN_JSON_OBJECT || pattern->len != 1)
        return mn_json_error(pattern, MNLP_ERR_FORMAT,
                             "must be {\"String\": ...} or {\"Regex\": ...}");
    v = &pattern->items[0];
    is_regex = strcmp(v->key, "Regex") == 0;
    if (!is_regex && strcmp(v->key, "String") != 0)
        return mn_json_error(pattern, MNLP_ERR_FORMAT, "unknown pattern kind \"%s\"", v->key);
    if (v->type != MN_JSON_STRING)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is %s, expected string",
                             mn_json_type_name(v->type));
    if ((rc = behavior_field(node, "behavior", true, &behavior)) != MNLP_OK ||
        (rc = bool_req(node, "invert", &invert)) != MNLP_OK)
        return rc;
    rc = pattern_split_new(v->str, v->len, is_regex, behavior, invert, out);
    if (rc == MNLP_ERR_FORMAT) {
        char path[256];

        return mn_error_prefix(rc, "%s", mn_json_path(v, path, sizeof path));
    }
    return rc;
}

static mnlp_status whitespace_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    (void)node;
    return pattern_split_new(whitespace_regex, sizeof whitespace_regex - 1, true,
                             MN_SPLIT_REMOVED, true, out);
}

static mnlp_status whitespace_split_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    (void)node;
    return char_split_new(CLASS_WHITESPACE, 0, MN_SPLIT_REMOVED, out);
}

/* Split on whitespace (removed), then isolate every punctuation character. */
static mnlp_status bert_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    sequence *sq;
    mnlp_status rc;

    (void)node;
    if ((rc = sequence_new(2, &sq)) != MNLP_OK)
        return rc;
    if ((rc = char_split_new(CLASS_WHITESPACE, 0, MN_SPLIT_REMOVED, &sq->items[0])) ==
        MNLP_OK) {
        sq->n = 1;
        if ((rc = char_split_new(CLASS_PUNCTUATION, 0, MN_SPLIT_ISOLATED, &sq->items[1])) ==
            MNLP_OK)
            sq->n = 2;
    }
    if (rc != MNLP_OK) {
        sequence_free(&sq->base);
        return rc;
    }
    *out = &sq->base;
    return MNLP_OK;
}

static mnlp_status prepend_scheme_field(const mn_json *node, prepend_scheme *out)
{
    static const char *const names[] = {"always", "first", "never"};
    const char *name = NULL;
    mnlp_status rc = mn_json_str_opt(node, "prepend_scheme", &name);

    if (rc != MNLP_OK || !name)
        return rc;
    for (int i = 0; i < MN_COUNT(names); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (prepend_scheme)i;
            return MNLP_OK;
        }
    }
    return mn_json_error(mn_json_get(node, "prepend_scheme"), MNLP_ERR_FORMAT,
                         "unknown prepend_scheme \"%s\"", name);
}

/*
 * The legacy form has add_prefix_space and no prepend_scheme; as in
 * tokenizers, add_prefix_space false demands prepend_scheme "never" (the
 * default is "always"), and str_rep is ignored.
 */
static mnlp_status metaspace_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    uint32_t replacement;
    bool add_prefix_space = true, split = true;
    prepend_scheme scheme = PREPEND_ALWAYS;
    metaspace *ms;
    mnlp_status rc;

    if ((rc = char_field(node, "replacement", &replacement)) != MNLP_OK ||
        (rc = mn_json_bool_opt(node, "add_prefix_space", &add_prefix_space)) != MNLP_OK ||
        (rc = prepend_scheme_field(node, &scheme)) != MNLP_OK ||
        (rc = mn_json_bool_opt(node, "split", &split)) != MNLP_OK)
        return rc;
    if (!add_prefix_space && scheme != PREPEND_NEVER)
        return mn_json_error(node, MNLP_ERR_FORMAT,
                             "add_prefix_space does not match declared prepend_scheme");
    if (!(ms = mn_calloc(1, sizeof *ms)))
        return oom();
    ms->base.pre_tokenize = metaspace_run;
    ms->base.free = plain_free;
    ms->by_replacement = (char_split){{char_split_run, NULL}, CLASS_CHAR, replacement,
                                      MN_SPLIT_MERGED_WITH_NEXT};
    ms->scheme = scheme;
    ms->split = split;
    *out = &ms->base;
    return MNLP_OK;
}

static mnlp_status punctuation_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    mn_split_behavior behavior = MN_SPLIT_ISOLATED;
    mnlp_status rc = behavior_field(node, "behavior", false, &behavior);

    return rc != MNLP_OK ? rc : char_split_new(CLASS_PUNCTUATION, 0, behavior, out);
}

static mnlp_status digits_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    bool individual;
    mnlp_status rc = bool_req(node, "individual_digits", &individual);

    if (rc != MNLP_OK)
        return rc;
    return char_split_new(CLASS_NUMERIC, 0,
                          individual ? MN_SPLIT_ISOLATED : MN_SPLIT_CONTIGUOUS, out);
}

static mnlp_status delimiter_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    uint32_t delimiter;
    mnlp_status rc = char_field(node, "delimiter", &delimiter);

    return rc != MNLP_OK ? rc : char_split_new(CLASS_CHAR, delimiter, MN_SPLIT_REMOVED, out);
}

static mnlp_status unicode_scripts_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    mn_pre_tokenizer *p = mn_calloc(1, sizeof *p);

    (void)node;
    if (!p)
        return oom();
    p->pre_tokenize = unicode_scripts_run;
    p->free = plain_free;
    *out = p;
    return MNLP_OK;
}

static mnlp_status fixed_length_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    int64_t length = 5;
    fixed_length *fl;
    mnlp_status rc = mn_json_int_opt(node, "length", &length);

    if (rc != MNLP_OK)
        return rc;
    if (length <= 0 || length > INT32_MAX)
        return mn_json_error(mn_json_get(node, "length"), MNLP_ERR_FORMAT,
                             "must be between 1 and %d", INT32_MAX);
    if (!(fl = mn_calloc(1, sizeof *fl)))
        return oom();
    fl->base.pre_tokenize = fixed_length_run;
    fl->base.free = plain_free;
    fl->length = (size_t)length;
    *out = &fl->base;
    return MNLP_OK;
}

static mnlp_status sequence_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    const mn_json *list = mn_json_get(node, "pretokenizers");
    sequence *sq;
    mnlp_status rc;

    if (!list || list->type == MN_JSON_NULL)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"pretokenizers\"");
    if (list->type != MN_JSON_ARRAY)
        return mn_json_error(list, MNLP_ERR_FORMAT, "is %s, expected array",
                             mn_json_type_name(list->type));
    if (list->len > INT32_MAX)
        return mn_json_error(list, MNLP_ERR_LIMIT, "too many pre-tokenizers");
    if ((rc = sequence_new((int)list->len, &sq)) != MNLP_OK)
        return rc;
    for (size_t i = 0; i < list->len; i++) {
        if ((rc = mn_pre_tokenizer_from_json(&list->items[i], &sq->items[i])) != MNLP_OK) {
            sequence_free(&sq->base);
            return rc;
        }
        sq->n++;
    }
    *out = &sq->base;
    return MNLP_OK;
}

typedef mnlp_status (*builder)(const mn_json *node, mn_pre_tokenizer **out);

/*
 * The "type" names tokenizers reads. CharDelimiterSplit is spelled as it
 * serializes: the tag "Delimiter" in its enum fails to deserialize there.
 */
static const struct {
    const char *type;
    builder build;
} builders[] = {
    {"BertPreTokenizer", bert_from_json},
    {"ByteLevel", byte_level_from_json},
    {"CharDelimiterSplit", delimiter_from_json},
    {"Digits", digits_from_json},
    {"FixedLength", fixed_length_from_json},
    {"Metaspace", metaspace_from_json},
    {"Punctuation", punctuation_from_json},
    {"Sequence", sequence_from_json},
    {"Split", split_from_json},
    {"UnicodeScripts", unicode_scripts_from_json},
    {"Whitespace", whitespace_from_json},
    {"WhitespaceSplit", whitespace_split_from_json},
};

mnlp_status mn_pre_tokenizer_from_json(const mn_json *node, mn_pre_tokenizer **out)
{
    const char *type;
    mnlp_status rc;

    *out = NULL;
    if (node->type != MN_JSON_OBJECT)
        return mn_json_error(node, MNLP_ERR_FORMAT, "is %s, expected object",
                             mn_json_type_name(node->type));
    if ((rc = mn_json_str(node, "type", &type)) != MNLP_OK)
        return rc;
    for (int i = 0; i < MN_COUNT(builders); i++)
        if (strcmp(type, builders[i].type) == 0)
            return builders[i].build(node, out);
    return mn_json_error(node, MNLP_ERR_UNSUPPORTED, "unknown pre-tokenizer type \"%s\"", type);
}

/*
 * The normalizers of tokenizer.json (tokenizers' src/normalizers/): each
 * rewrites an mn_nstr with exactly the (character, change) sequence the
 * matching NormalizedString method produces, so that offsets come out as
 * tokenizers computes them.
 */
#include "text/normalizers.h"

#include "base/utf8.h"

#include <string.h>

typedef struct normalizer normalizer;
typedef mnlp_status (*normalize_fn)(const normalizer *self, mn_nstr *n);

struct normalizer {
    mn_normalizer base;
    normalize_fn run;
    bool clean_text, handle_chinese_chars, strip_accents, lowercase; /* BertNormalizer */
    bool strip_left, strip_right;                                    /* Strip */
    mn_nform form;                                                   /* NFC ... NFKD */
    char *text;            /* Prepend: prepend; Replace: content */
    size_t text_len;
    char *literal;         /* Replace with {"String": ...} */
    size_t literal_len;
    mn_regex *regex;       /* Replace with {"Regex": ...} */
    mn_charsmap *charsmap; /* Precompiled */
    mn_normalizer **children; /* Sequence */
    int n_children;
};

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory in a normalizer");
}

/* ---- Shared helpers (normalizers.h) -------------------------------------- */

bool mn_nchanges_push(mn_nchanges *c, uint32_t cp, int change)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        mn_nchange *p = mn_reallocn(c->items, cap, sizeof *p);

        if (!p)
            return false;
        c->items = p;
        c->cap = cap;
    }
    c->items[c->n++] = (mn_nchange){cp, change};
    return true;
}

void mn_nchanges_free(mn_nchanges *c)
{
    mn_free(c->items);
    memset(c, 0, sizeof *c);
}

/*
 * tokenizers' transform() replaces the normalized range that the whole
 * original maps to; that is the whole string, since no normalizer leaves
 * an inserted character with an empty span at its start.
 */
mnlp_status mn_norm_transform(mn_nstr *n, const mn_nchanges *c, size_t initial_removed)
{
    return mn_nstr_transform(n, 0, n->len, c->items, c->n, initial_removed);
}

mnlp_status mn_norm_next_char(const char *s, size_t len, size_t *i, uint32_t *cp)
{
    int cl = mn_utf8_decode((const unsigned char *)s + *i, len - *i, cp);

    if (cl == 0)
        return mn_errorf(MNLP_ERR_FORMAT, "normalizer input is not UTF-8 at byte %zu", *i);
    *i += (size_t)cl;
    return MNLP_OK;
}

/* ---- NormalizedString methods --------------------------------------------- */

typedef bool (*char_pred)(uint32_t cp);

/*
 * NormalizedString::filter: a kept character carries minus the number of
 * removed characters that follow it; those removed before the first kept
 * one go through initial_removed.
 */
static mnlp_status filter(mn_nstr *n, char_pred keep)
{
    mn_nchanges c = {0};
    size_t removed = 0, removed_start = 0, total_removed = 0;
    uint32_t last = 0;
    bool has_last = false;
    mnlp_status rc = MNLP_OK;

    for (size_t i = 0; i < n->len && rc == MNLP_OK;) {
        uint32_t cp;

        if ((rc = mn_norm_next_char(n->s, n->len, &i, &cp)) != MNLP_OK)
            break;
        if (!keep(cp)) {
            removed++;
            total_removed++;
            continue;
        }
        if (has_last && !mn_nchanges_push(&c, last, -(int)removed))
            rc = oom();
        if (!has_last)
            removed_start = removed;
        last = cp;
        has_last = true;
        removed = 0;
    }
    if (rc == MNLP_OK && has_last && !mn_nchanges_push(&c, last, -(int)removed))
        rc = oom();
    if (rc == MNLP_OK && total_removed > 0)
        rc = mn_norm_transform(n, &c, removed_start);
    mn_nchanges_free(&c);
    return rc;
}

typedef uint32_t (*char_map)(uint32_t cp);

/* NormalizedString::map: one character for one, every change 0. */
static mnlp_status map(mn_nstr *n, char_map f)
{
    mn_nchanges c = {0};
    bool changed = false;
    mnlp_status rc = MNLP_OK;

    for (size_t i = 0; i < n->len && rc == MNLP_OK;) {
        uint32_t cp, to;

        if ((rc = mn_norm_next_char(n->s, n->len, &i, &cp)) != MNLP_OK)
            break;
        to = f(cp);
        changed |= to != cp;
        if (!mn_nchanges_push(&c, to, 0))
            rc = oom();
    }
    if (rc == MNLP_OK && changed)
        rc = mn_norm_transform(n, &c, 0);
    mn_nchanges_free(&c);
    return rc;
}

/* NormalizedString::lowercase: a character that lowercases to two adds one. */
static mnlp_status lowercase(mn_nstr *n)
{
    mn_nchanges c = {0};
    bool changed = false;
    mnlp_status rc = MNLP_OK;

    for (size_t i = 0; i < n->len && rc == MNLP_OK;) {
        uint32_t cp, lower[2];
        int k;

        if ((rc = mn_norm_next_char(n->s, n->len, &i, &cp)) != MNLP_OK)
            break;
        k = mn_uni_to_lowercase(cp, lower);
        changed |= k != 1 || lower[0] != cp;
        for (int j = 0; j < k && rc == MNLP_OK; j++)
            if (!mn_nchanges_push(&c, lower[j], j > 0))
                rc = oom();
    }
    if (rc == MNLP_OK && changed)
        rc = mn_norm_transform(n, &c, 0);
    mn_nchanges_free(&c);
    return rc;
}

static size_t count_chars(const char *s, size_t len)
{
    size_t k = 0;

    for (size_t i = 0; i < len; i++)
        k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

/* Leading (or, backwards, trailing) characters of s[0..len) that are whitespace. */
static mnlp_status count_spaces(const char *s, size_t len, bool backwards, size_t *out)
{
    size_t start = 0, end = len;

    *out = 0;
    while (start < end) {
        size_t at = start, next;
        uint32_t cp;
        mnlp_status rc;

        if (backwards) {
            at = end - 1;
            while (at > start && ((unsigned char)s[at] & 0xc0) == 0x80)
                at--;
        }
        next = at;
        if ((rc = mn_norm_next_char(s, end, &next, &cp)) != MNLP_OK)
            return rc;
        if (!mn_uni_is_whitespace(cp))
            break;
        ++*out;
        if (backwards)
            end = at;
        else
            start = next;
    }
    return MNLP_OK;
}

/*
 * NormalizedString::lrstrip. The last kept character carries the removed
 * trailing spaces only when tokenizers' test (a character index against
 * the byte length) happens to hit it; either way they end up dropped.
 */
static mnlp_status lrstrip(mn_nstr *n, bool left, bool right)
{
    size_t leading = 0, trailing = 0, count, idx = 0;
    mn_nchanges c = {0};
    mnlp_status rc;

    if ((left && (rc = count_spaces(n->s, n->len, false, &leading)) != MNLP_OK) ||
        (right && (rc = count_spaces(n->s, n->len, true, &trailing)) != MNLP_OK))
        return rc;
    if (leading == 0 && trailing == 0)
        return MNLP_OK;
    count = count_chars(n->s, n->len);
    rc = MNLP_OK;
    for (size_t i = 0; i < n->len && rc == MNLP_OK; idx++) {
        uint32_t cp;
        int change;

        if ((rc = mn_norm_next_char(n->s, n->len, &i, &cp)) != MNLP_OK)
            break;
        if (idx < leading || idx >= count - trailing)
            continue;
        change = idx == n->len - trailing - 1 ? -(int)trailing : 0;
        if (!mn_nchanges_push(&c, cp, change))
            rc = oom();
    }
    if (rc == MNLP_OK)
        rc = mn_norm_transform(n, &c, leading);
    mn_nchanges_free(&c);
    return rc;
}

/*
 * NormalizedString::replace: every match gives way to content, whose
 * characters all take the span of the match's last byte (they are
 * inserted after the matched characters are removed).
 */
static mnlp_status replace_matches(mn_nstr *n, const mn_matches *m, const char *content,
                                   size_t clen)
{
    mn_nstr out = {0};
    size_t len = 0;

    for (int k = 0; k < m->n; k++)
        len += m->items[k].is_match ? clen : m->items[k].end - m->items[k].start;
    out.s = mn_malloc(len + 1);
    out.align = mn_reallocn(NULL, len + 1, 2 * sizeof(uint32_t));
    if (!out.s || !out.align) {
        mn_free(out.s);
        mn_free(out.align);
        return oom();
    }
    out.cap = len + 1;
    for (int k = 0; k < m->n; k++) {
        const mn_match *r = &m->items[k];

        if (!r->is_match) {
            memcpy(out.s + out.len, n->s + r->start, r->end - r->start);
            memcpy(out.align + 2 * out.len, n->align + 2 * r->start,
                   (r->end - r->start) * 2 * sizeof(uint32_t));
            out.len += r->end - r->start;
            continue;
        }
        memcpy(out.s + out.len, content, clen);
        for (size_t b = 0; b < clen; b++, out.len++) {
            out.align[2 * out.len] = n->align[2 * (r->end - 1)];
            out.align[2 * out.len + 1] = n->align[2 * (r->end - 1) + 1];
        }
    }
    out.s[out.len] = '\0';
    out.orig_start = n->orig_start;
    out.orig_end = n->orig_end;
    mn_nstr_free(n);
    *n = out;
    return MNLP_OK;
}

/* Runs of a literal pattern, as a regex of the escaped pattern finds them. */
static mnlp_status find_literal(const char *s, size_t len, const char *p, size_t plen,
                                mn_matches *m)
{
    size_t prev = 0;

    for (size_t i = 0; plen > 0 && i + plen <= len;) {
        if (memcmp(s + i, p, plen) != 0) {
            i++;
            continue;
        }
        if ((i > prev && !mn_matches_push(m, prev, i, false)) ||
            !mn_matches_push(m, i, i + plen, true))
            return oom();
        prev = i = i + plen;
    }
    if (prev < len && !mn_matches_push(m, prev, len, false))
        return oom();
    return MNLP_OK;
}

/* ---- The normalizers ------------------------------------------------------ */

/* BertNormalizer's is_control: \t \n \r count as whitespace, not control. */
static bool bert_keep(uint32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return true;
    return !(cp == 0 || cp == 0xFFFD || mn_uni_is_other(cp));
}

static uint32_t bert_space(uint32_t cp)
{
    return mn_uni_is_whitespace(cp) ? ' ' : cp;
}

/* The CJK blocks BertNormalizer puts spaces around. */
static bool is_chinese_char(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* A Chinese character becomes " c ": the first space replaces it, the
 * character and the second space are inserted. */
static mnlp_status pad_chinese_chars(mn_nstr *n)
{
    mn_nchanges c = {0};
    bool changed = false;
    mnlp_status rc = MNLP_OK;

    for (size_t i = 0; i < n->len && rc == MNLP_OK;) {
        uint32_t cp;
        bool ok;

        if ((rc = mn_norm_next_char(n->s, n->len, &i, &cp)) != MNLP_OK)
            break;
        if (is_chinese_char(cp)) {
            changed = true;
            ok = mn_nchanges_push(&c, ' ', 0) && mn_nchanges_push(&c, cp, 1) &&
                 mn_nchanges_push(&c, ' ', 1);
        } else {
            ok = mn_nchanges_push(&c, cp, 0);
        }
        if (!ok)
            rc = oom();
    }
    if (rc == MNLP_OK && changed)
        rc = mn_norm_transform(n, &c, 0);
    mn_nchanges_free(&c);
    return rc;
}

static mnlp_status unorm(mn_nstr *n, mn_nform form)
{
    mn_nchanges c = {0};
    mnlp_status rc = mn_unorm_changes(n->s, n->len, form, &c);

    if (rc == MNLP_OK)
        rc = mn_norm_transform(n, &c, 0);
    mn_nchanges_free(&c);
    return rc;
}

static bool not_mark_nonspacing(uint32_t cp)
{
    return !mn_uni_is_mark_nonspacing(cp);
}

static mnlp_status run_bert(const normalizer *self, mn_nstr *n)
{
    mnlp_status rc = MNLP_OK;

    if (self->clean_text && (rc = filter(n, bert_keep)) == MNLP_OK)
        rc = map(n, bert_space);
    if (rc == MNLP_OK && self->handle_chinese_chars)
        rc = pad_chinese_chars(n);
    if (rc == MNLP_OK && self->strip_accents && (rc = unorm(n, MN_NFD)) == MNLP_OK)
        rc = filter(n, not_mark_nonspacing);
    if (rc == MNLP_OK && self->lowercase)
        rc = lowercase(n);
    return rc;
}

static mnlp_status run_strip(const normalizer *self, mn_nstr *n)
{
    return lrstrip(n, self->strip_left, self->strip_right);
}

static bool not_combining_mark(uint32_t cp)
{
    return !mn_uni_is_combining_mark(cp);
}

static mnlp_status run_strip_accents(const normalizer *self, mn_nstr *n)
{
    (void)self;
    return filter(n, not_combining_mark);
}

static mnlp_status run_unicode(const normalizer *self, mn_nstr *n)
{
    return unorm(n, self->form);
}

static mnlp_status run_lowercase(const normalizer *self, mn_nstr *n)
{
    (void)self;
    return lowercase(n);
}

/* Nmt: drop ASCII control characters, turn other separators into spaces. */
static bool nmt_keep(uint32_t cp)
{
    return !((cp >= 0x01 && cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) ||
             cp == 0x7F || cp == 0x8F || cp == 0x9F);
}

static uint32_t nmt_space(uint32_t cp)
{
    switch (cp) {
    case 0x09: case 0x0A: case 0x0C: case 0x0D: case 0x1680: case 0x2028: case 0x2029:
    case 0x2581: case 0xFEFF: case 0xFFFD:
        return ' ';
    default:
        return cp >= 0x200B && cp <= 0x200F ? ' ' : cp;
    }
}

static mnlp_status run_nmt(const normalizer *self, mn_nstr *n)
{
    mnlp_status rc = filter(n, nmt_keep);

    (void)self;
    return rc == MNLP_OK ? map(n, nmt_space) : rc;
}

static mnlp_status run_precompiled(const normalizer *self, mn_nstr *n)
{
    return mn_charsmap_normalize(self->charsmap, n);
}

static mnlp_status run_replace(const normalizer *self, mn_nstr *n)
{
    mn_matches m = {0};
    mnlp_status rc;
    bool any = false;

    if (self->regex)
        rc = mn_regex_find(self->regex, n->s, n->len, &m);
    else
        rc = find_literal(n->s, n->len, self->literal, self->literal_len, &m);
    for (int k = 0; k < m.n; k++)
        any |= m.items[k].is_match;
    if (rc == MNLP_OK && any)
        rc = replace_matches(n, &m, self->text, self->text_len);
    mn_matches_free(&m);
    return rc;
}

/*
 * NormalizedString::prepend: the first new character replaces the old
 * first one, the rest and the old first character are inserted, so all
 * of them share its span.
 */
static mnlp_status run_prepend(const normalizer *self, mn_nstr *n)
{
    mn_nchanges c = {0};
    size_t i = 0, first_len;
    uint32_t first;
    mnlp_status rc;

    if (n->len == 0)
        return MNLP_OK;
    if ((rc = mn_norm_next_char(n->s, n->len, &i, &first)) != MNLP_OK)
        return rc;
    first_len = i;
    for (size_t j = 0; j < self->text_len && rc == MNLP_OK;) {
        uint32_t cp;
        bool at_start = j == 0;

        if ((rc = mn_norm_next_char(self->text, self->text_len, &j, &cp)) == MNLP_OK &&
            !mn_nchanges_push(&c, cp, !at_start))
            rc = oom();
    }
    if (rc == MNLP_OK && !mn_nchanges_push(&c, first, 1))
        rc = oom();
    if (rc == MNLP_OK)
        rc = mn_nstr_transform(n, 0, first_len, c.items, c.n, 0);
    mn_nchanges_free(&c);
    return rc;
}

/* ByteLevel: every byte becomes its GPT-2 character; bytes after a
 * character's first are inserted. */
static mnlp_status run_byte_level(const normalizer *self, mn_nstr *n)
{
    mn_nchanges c = {0};
    mnlp_status rc = MNLP_OK;

    (void)self;
    for (size_t i = 0; i < n->len && rc == MNLP_OK;) {
        size_t start = i;
        uint32_t cp;

        if ((rc = mn_norm_next_char(n->s, n->len, &i, &cp)) != MNLP_OK)
            break;
        for (size_t b = start; b < i && rc == MNLP_OK; b++)
            if (!mn_nchanges_push(&c, mn_bytelevel_char((uint8_t)n->s[b]), b > start))
                rc = oom();
    }
    if (rc == MNLP_OK && c.n > 0)
        rc = mn_norm_transform(n, &c, 0);
    mn_nchanges_free(&c);
    return rc;
}

static mnlp_status run_sequence(const normalizer *self, mn_nstr *n)
{
    for (int i = 0; i < self->n_children; i++) {
        mnlp_status rc = self->children[i]->normalize(self->children[i], n);

        if (rc != MNLP_OK)
            return rc;
    }
    return MNLP_OK;
}

/* ---- Building from tokenizer.json ----------------------------------------- */

static mnlp_status dispatch(const mn_normalizer *base, mn_nstr *n)
{
    const normalizer *self = (const normalizer *)base;

    return self->run(self, n);
}

static void destroy(mn_normalizer *base)
{
    normalizer *self = (normalizer *)base;

    if (!self)
        return;
    mn_free(self->text);
    mn_free(self->literal);
    mn_regex_free(self->regex);
    mn_charsmap_free(self->charsmap);
    for (int i = 0; i < self->n_children; i++)
        self->children[i]->free(self->children[i]);
    mn_free(self->children);
    mn_free(self);
}

/* A required boolean (serde gives no default for these fields). */
static mnlp_status json_bool(const mn_json *obj, const char *key, bool *out)
{
    const mn_json *v = mn_json_get(obj, key);

    if (!v || v->type == MN_JSON_NULL)
        return mn_json_error(obj, MNLP_ERR_FORMAT, "missing \"%s\"", key);
    return mn_json_bool_opt(obj, key, out);
}

/* A required string field, copied with its length (it may hold NUL). */
static mnlp_status json_text(const mn_json *obj, const char *key, char **out, size_t *len)
{
    const char *s;
    mnlp_status rc = mn_json_str(obj, key, &s);

    if (rc != MNLP_OK)
        return rc;
    *len = mn_json_get(obj, key)->len;
    if (!(*out = mn_strndup(s, *len)))
        return oom();
    return MNLP_OK;
}

static mnlp_status build_bert(const mn_json *node, normalizer *self)
{
    mnlp_status rc;

    if ((rc = json_bool(node, "clean_text", &self->clean_text)) != MNLP_OK ||
        (rc = json_bool(node, "handle_chinese_chars", &self->handle_chinese_chars)) != MNLP_OK ||
        (rc = json_bool(node, "lowercase", &self->lowercase)) != MNLP_OK)
        return rc;
    /* strip_accents: null (or absent) follows lowercase. */
    self->strip_accents = self->lowercase;
    self->run = run_bert;
    return mn_json_bool_opt(node, "strip_accents", &self->strip_accents);
}

static mnlp_status build_strip(const mn_json *node, normalizer *self)
{
    mnlp_status rc;

    self->run = run_strip;
    if ((rc = json_bool(node, "strip_left", &self->strip_left)) != MNLP_OK)
        return rc;
    return json_bool(node, "strip_right", &self->strip_right);
}

static mnlp_status build_sequence(const mn_json *node, normalizer *self)
{
    const mn_json *list = mn_json_get(node, "normalizers");

    self->run = run_sequence;
    if (!list || list->type == MN_JSON_NULL)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"normalizers\"");
    if (list->type != MN_JSON_ARRAY)
        return mn_json_error(list, MNLP_ERR_FORMAT, "is %s, expected array",
                             mn_json_type_name(list->type));
    if (list->len > 0 && !(self->children = mn_calloc(list->len, sizeof *self->children)))
        return oom();
    for (size_t i = 0; i < list->len; i++) {
        mnlp_status rc = mn_normalizer_from_json(&list->items[i], &self->children[i]);

        if (rc != MNLP_OK)
            return rc;
        self->n_children++;
    }
    return MNLP_OK;
}

static mnlp_status build_precompiled(const mn_json *node, normalizer *self)
{
    const mn_json *map = mn_json_get(node, "precompiled_charsmap");
    const char *unused;
    mnlp_status rc = mn_json_str(node, "precompiled_charsmap", &unused);

    self->run = run_precompiled;
    if (rc != MNLP_OK)
        return rc;
    return mn_charsmap_from_json(map, &self->charsmap);
}

/* pattern is {"String": s} or {"Regex": r}, as serde writes an enum. */
static mnlp_status build_replace(const mn_json *node, normalizer *self)
{
    const mn_json *pattern = mn_json_get(node, "pattern"), *p;
    mnlp_status rc;

    self->run = run_replace;
    if (!pattern || pattern->type == MN_JSON_NULL)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"pattern\"");
    if (pattern->type != MN_JSON_OBJECT || pattern->len != 1)
        return mn_json_error(pattern, MNLP_ERR_FORMAT,
                             "expected {\"String\": ...} or {\"Regex\": ...}");
    p = &pattern->items[0];
    if (strcmp(p->key, "String") != 0 && strcmp(p->key, "Regex") != 0)
        return mn_json_error(p, MNLP_ERR_FORMAT, "unknown pattern kind \"%s\"", p->key);
    if (p->type != MN_JSON_STRING)
        return mn_json_error(p, MNLP_ERR_FORMAT, "is %s, expected string",
                             mn_json_type_name(p->type));
    if ((rc = json_text(node, "content", &self->text, &self->text_len)) != MNLP_OK)
        return rc;
    if (strcmp(p->key, "String") == 0) {
        self->literal_len = p->len;
        return (self->literal = mn_strndup(p->str, p->len)) ? MNLP_OK : oom();
    }
    if ((rc = mn_regex_new(p->str, p->len, &self->regex)) != MNLP_OK) {
        char path[256];

        return mn_error_prefix(rc, "%s", mn_json_path(p, path, sizeof path));
    }
    return MNLP_OK;
}

static mnlp_status build_prepend(const mn_json *node, normalizer *self)
{
    self->run = run_prepend;
    return json_text(node, "prepend", &self->text, &self->text_len);
}

static mnlp_status build_plain(const mn_json *node, normalizer *self)
{
    const char *type = mn_json_get(node, "type")->str;

    if (strcmp(type, "StripAccents") == 0)
        self->run = run_strip_accents;
    else if (strcmp(type, "Lowercase") == 0)
        self->run = run_lowercase;
    else if (strcmp(type, "Nmt") == 0)
        self->run = run_nmt;
    else if (strcmp(type, "ByteLevel") == 0)
        self->run = run_byte_level;
    else
        self->run = run_unicode;
    self->form = strcmp(type, "NFD") == 0    ? MN_NFD
                 : strcmp(type, "NFKD") == 0 ? MN_NFKD
                 : strcmp(type, "NFC") == 0  ? MN_NFC
                                             : MN_NFKC;
    return MNLP_OK;
}

typedef mnlp_status (*build_fn)(const mn_json *node, normalizer *self);

/*
 * The "type" names tokenizer.json uses, and for files without "type" the
 * fields whose presence picks the variant (serde's untagged fallback tries
 * them in this order; the field-less normalizers need "type").
 */
static const struct {
    const char *type;
    const char *legacy_fields[3];
    build_fn build;
} kinds[] = {
    {"BertNormalizer", {"clean_text", "handle_chinese_chars", "lowercase"}, build_bert},
    {"Bert", {NULL}, build_bert},
    {"Strip", {"strip_left", "strip_right"}, build_strip},
    {"StripAccents", {NULL}, build_plain},
    {"NFC", {NULL}, build_plain},
    {"NFD", {NULL}, build_plain},
    {"NFKC", {NULL}, build_plain},
    {"NFKD", {NULL}, build_plain},
    {"Sequence", {"normalizers"}, build_sequence},
    {"Lowercase", {NULL}, build_plain},
    {"Nmt", {NULL}, build_plain},
    {"Precompiled", {"precompiled_charsmap"}, build_precompiled},
    {"Replace", {"pattern", "content"}, build_replace},
    {"Prepend", {"prepend"}, build_prepend},
    {"ByteLevel", {NULL}, build_plain},
};

static int legacy_kind(const mn_json *node)
{
    for (int k = 0; k < MN_COUNT(kinds); k++) {
        bool all = kinds[k].legacy_fields[0] != NULL;

        for (int f = 0; f < 3 && kinds[k].legacy_fields[f]; f++)
            all &= mn_json_get(node, kinds[k].legacy_fields[f]) != NULL;
        if (all)
            return k;
    }
    return -1;
}

static int find_kind(const mn_json *node, mnlp_status *rc)
{
    const mn_json *type = mn_json_get(node, "type");

    *rc = MNLP_OK;
    if (!type) {
        int k = legacy_kind(node);

        if (k < 0)
            *rc = mn_json_error(node, MNLP_ERR_FORMAT, "normalizer without \"type\" matches "
                                                       "no known normalizer");
        return k;
    }
    if (type->type != MN_JSON_STRING) {
        *rc = mn_json_error(type, MNLP_ERR_FORMAT, "is %s, expected string",
                            mn_json_type_name(type->type));
        return -1;
    }
    for (int k = 0; k < MN_COUNT(kinds); k++)
        if (strcmp(type->str, kinds[k].type) == 0)
            return k;
    *rc = mn_json_error(type, MNLP_ERR_UNSUPPORTED, "unknown normalizer type \"%s\"", type->str);
    return -1;
}

mnlp_status mn_normalizer_from_json(const mn_json *node, mn_normalizer **out)
{
    normalizer *self;
    mnlp_status rc;
    int k;

    *out = NULL;
    if (node->type != MN_JSON_OBJECT)
        return mn_json_error(node, MNLP_ERR_FORMAT, "is %s, expected object",
                             mn_json_type_name(node->type));
    if ((k = find_kind(node, &rc)) < 0)
        return rc;
    if (!(self = mn_calloc(1, sizeof *self)))
        return oom();
    self->base.normalize = dispatch;
    self->base.free = destroy;
    if ((rc = kinds[k].build(node, self)) != MNLP_OK) {
        destroy(&self->base);
        return rc;
    }
    *out = &self->base;
    return MNLP_OK;
}

/*
 * Normalized strings, splits and pre-tokenized strings: the bookkeeping
 * that lets every token point back at the span of input it came from
 * (tokenizers' normalizer.rs and pre_tokenizer.rs).
 */
#include "text/tok.h"

#include "base/utf8.h"

#include <string.h>

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory in the tokenizer");
}

static bool reserve(mn_nstr *n, size_t need)
{
    size_t cap = n->cap ? n->cap : 16;
    char *s;
    uint32_t *a;

    if (need + 1 <= n->cap)
        return true;
    while (cap < need + 1)
        cap *= 2;
    if (!(s = mn_realloc(n->s, cap)))
        return false;
    n->s = s;
    if (!(a = mn_reallocn(n->align, cap, 2 * sizeof(uint32_t))))
        return false;
    n->align = a;
    n->cap = cap;
    return true;
}

/* Length of the UTF-8 sequence starting with byte c (1 for stray bytes). */
static size_t char_len(unsigned char c)
{
    return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

mnlp_status mn_nstr_init(mn_nstr *n, const char *text, size_t len, uint32_t offset)
{
    memset(n, 0, sizeof *n);
    if (!reserve(n, len))
        return oom();
    memcpy(n->s, text, len);
    n->s[len] = '\0';
    n->len = len;
    for (size_t i = 0; i < len;) {
        size_t cl = char_len((unsigned char)text[i]);

        if (i + cl > len)
            cl = len - i;
        for (size_t j = i; j < i + cl; j++) {
            n->align[2 * j] = offset + (uint32_t)i;
            n->align[2 * j + 1] = offset + (uint32_t)(i + cl);
        }
        i += cl;
    }
    n->orig_start = offset;
    n->orig_end = offset + (uint32_t)len;
    return MNLP_OK;
}

void mn_nstr_free(mn_nstr *n)
{
    mn_free(n->s);
    mn_free(n->align);
    memset(n, 0, sizeof *n);
}

void mn_nstr_orig_span(const mn_nstr *n, size_t start, size_t end, uint32_t *ostart,
                       uint32_t *oend)
{
    if (start >= end || start >= n->len) {
        uint32_t at = start < n->len ? n->align[2 * start] : n->orig_end;

        *ostart = *oend = at;
        return;
    }
    if (end > n->len)
        end = n->len;
    *ostart = n->align[2 * start];
    *oend = n->align[2 * (end - 1) + 1];
}

mnlp_status mn_nstr_slice(const mn_nstr *n, size_t start, size_t end, mn_nstr *out)
{
    memset(out, 0, sizeof *out);
    if (!reserve(out, end - start))
        return oom();
    memcpy(out->s, n->s + start, end - start);
    out->s[end - start] = '\0';
    memcpy(out->align, n->align + 2 * start, (end - start) * 2 * sizeof(uint32_t));
    out->len = end - start;
    mn_nstr_orig_span(n, start, end, &out->orig_start, &out->orig_end);
    return MNLP_OK;
}

mnlp_status mn_nstr_transform(mn_nstr *n, size_t start, size_t end, const mn_nchange *changes,
                              size_t n_changes, size_t initial_removed)
{
    mn_nstr out = {0};
    size_t offset = start;
    mnlp_status rc;

    for (size_t i = 0; i < initial_removed && offset < end; i++)
        offset += char_len((unsigned char)n->s[offset]);
    if (!reserve(&out, n->len + 4 * n_changes))
        return oom();
    memcpy(out.s, n->s, start);
    memcpy(out.align, n->align, start * 2 * sizeof(uint32_t));
    out.len = start;
    for (size_t i = 0; i < n_changes; i++) {
        char buf[4];
        int bl = mn_utf8_encode(changes[i].cp, buf);
        uint32_t a0, a1;

        if (bl == 0) {
            mn_nstr_free(&out);
            return mn_errorf(MNLP_ERR_INTERNAL, "normalizer produced code point U+%04X",
                             changes[i].cp);
        }
        if (changes[i].change > 0) {
            /* An inserted character shares the span of the one before it. */
            a0 = offset > 0 ? n->align[2 * (offset - 1)] : n->orig_start;
            a1 = offset > 0 ? n->align[2 * (offset - 1) + 1] : n->orig_start;
        } else if (offset < end) {
            a0 = n->align[2 * offset];
            a1 = n->align[2 * offset + 1];
            offset += char_len((unsigned char)n->s[offset]);
        } else {
            a0 = a1 = end < n->len ? n->align[2 * end] : n->orig_end;
        }
        for (int r = 0; changes[i].change < 0 && r < -changes[i].change && offset < end; r++)
            offset += char_len((unsigned char)n->s[offset]);
        for (int b = 0; b < bl; b++) {
            out.s[out.len] = buf[b];
            out.align[2 * out.len] = a0;
            out.align[2 * out.len + 1] = a1;
            out.len++;
        }
        if (out.len + 4 > out.cap && !reserve(&out, out.len + 4 + (n->len - end))) {
            mn_nstr_free(&out);
            return oom();
        }
    }
    if (!reserve(&out, out.len + (n->len - end))) {
        mn_nstr_free(&out);
        return oom();
    }
    memcpy(out.s + out.len, n->s + end, n->len - end);
    memcpy(out.align + 2 * out.len, n->align + 2 * end, (n->len - end) * 2 * sizeof(uint32_t));
    out.len += n->len - end;
    out.s[out.len] = '\0';
    out.orig_start = n->orig_start;
    out.orig_end = n->orig_end;
    rc = MNLP_OK;
    mn_nstr_free(n);
    *n = out;
    return rc;
}

/* ---- Runs of matches ---------------------------------------------------- */

bool mn_matches_push(mn_matches *m, size_t start, size_t end, bool is_match)
{
    if (!mn_grow((void **)&m->items, &m->cap, m->n + 1, sizeof *m->items))
        return false;
    m->items[m->n++] = (mn_match){start, end, is_match};
    return true;
}

void mn_matches_free(mn_matches *m)
{
    mn_free(m->items);
    memset(m, 0, sizeof *m);
}

int mn_split_behavior_parse(const char *name)
{
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious",
                                        "MergedWithNext", "Contiguous"};

    for (int i = 0; i < MN_COUNT(names); i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* ---- Tokens and string lists -------------------------------------------- */

bool mn_tokens_push(mn_tokens *t, int32_t id, const char *value, size_t len, size_t start,
                    size_t end)
{
    char *v;

    if (!mn_grow((void **)&t->items, &t->cap, t->n + 1, sizeof *t->items) ||
        !(v = mn_strndup(value, len)))
        return false;
    t->items[t->n++] = (mn_token){id, v, start, end};
    return true;
}

void mn_tokens_free(mn_tokens *t)
{
    for (int i = 0; i < t->n; i++)
        mn_free(t->items[i].value);
    mn_free(t->items);
    memset(t, 0, sizeof *t);
}

bool mn_strs_push(mn_strs *l, const char *s, size_t len)
{
    char *c;

    if (!mn_grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items) ||
        !mn_grow((void **)&l->lens, &l->lens_cap, l->n + 1, sizeof *l->lens) ||
        !(c = mn_strndup(s, len)))
        return false;
    l->lens[l->n] = len;
    l->items[l->n++] = c;
    return true;
}

void mn_strs_free(mn_strs *l)
{
    for (int i = 0; i < l->n; i++)
        mn_free(l->items[i]);
    mn_free(l->items);
    mn_free(l->lens);
    memset(l, 0, sizeof *l);
}

/* ---- Pre-tokenized strings ---------------------------------------------- */

void mn_pretok_free(mn_pretok *pt)
{
    for (int i = 0; i < pt->n; i++) {
        mn_nstr_free(&pt->splits[i].n);
        mn_tokens_free(&pt->splits[i].tokens);
    }
    mn_free(pt->splits);
    memset(pt, 0, sizeof *pt);
}

bool mn_pretok_move(mn_pretok *pt, mn_split *sp)
{
    if (!mn_grow((void **)&pt->splits, &pt->cap, pt->n + 1, sizeof *pt->splits))
        return false;
    pt->splits[pt->n++] = *sp;
    memset(sp, 0, sizeof *sp);
    return true;
}

bool mn_pretok_push(mn_pretok *pt, mn_nstr *n)
{
    if (!mn_grow((void **)&pt->splits, &pt->cap, pt->n + 1, sizeof *pt->splits))
        return false;
    memset(&pt->splits[pt->n], 0, sizeof pt->splits[pt->n]);
    pt->splits[pt->n++].n = *n;
    memset(n, 0, sizeof *n);
    return true;
}

static mnlp_status push_slice(const mn_nstr *n, size_t start, size_t end, mn_pretok *out)
{
    mn_nstr piece;
    mnlp_status rc;

    if (start >= end)
        return MNLP_OK; /* tokenizers drops empty pieces */
    if ((rc = mn_nstr_slice(n, start, end, &piece)) != MNLP_OK)
        return rc;
    if (!mn_pretok_push(out, &piece)) {
        mn_nstr_free(&piece);
        return oom();
    }
    return MNLP_OK;
}

/*
 * tokenizers' NormalizedString::split: the runs are first folded into
 * pieces according to the behaviour, then each kept piece is sliced off.
 * MergedWithPrevious glues a match onto the piece before it, MergedWithNext
 * onto the piece after it (folding from the end), Contiguous joins equal
 * neighbours.
 */
mnlp_status mn_nstr_split(const mn_nstr *n, const mn_matches *m, mn_split_behavior behavior,
                          mn_pretok *out)
{
    mn_matches pieces = {0}; /* is_match here means "remove" */
    bool previous = false;
    mnlp_status rc = MNLP_OK;

    for (int k = 0; k < m->n; k++) {
        bool backward = behavior == MN_SPLIT_MERGED_WITH_NEXT;
        const mn_match *r = &m->items[backward ? m->n - 1 - k : k];
        mn_match *last = pieces.n ? &pieces.items[pieces.n - 1] : NULL;
        bool merge = false;

        switch (behavior) {
        case MN_SPLIT_REMOVED:
        case MN_SPLIT_ISOLATED: break;
        case MN_SPLIT_CONTIGUOUS: merge = r->is_match == previous && last; break;
        case MN_SPLIT_MERGED_WITH_PREVIOUS:
        case MN_SPLIT_MERGED_WITH_NEXT: merge = r->is_match && !previous && last; break;
        }
        previous = r->is_match;
        if (merge && backward)
            last->start = r->start;
        else if (merge)
            last->end = r->end;
        else if (!mn_matches_push(&pieces, r->start, r->end,
                                  behavior == MN_SPLIT_REMOVED && r->is_match))
            rc = oom();
    }
    for (int k = 0; k < pieces.n && rc == MNLP_OK; k++) {
        const mn_match *p = &pieces.items[behavior == MN_SPLIT_MERGED_WITH_NEXT
                                              ? pieces.n - 1 - k : k];

        if (!p->is_match)
            rc = push_slice(n, p->start, p->end, out);
    }
    mn_matches_free(&pieces);
    return rc;
}

mnlp_status mn_pretok_split(mn_pretok *pt, mn_find_fn find, void *ctx,
                            mn_split_behavior behavior)
{
    mn_pretok out = {0};
    mnlp_status rc = MNLP_OK;

    for (int i = 0; i < pt->n && rc == MNLP_OK; i++) {
        mn_split *sp = &pt->splits[i];
        mn_matches m = {0};

        if (sp->tokenized) {
            /* Keep it as is: move it over. */
            if (!mn_pretok_move(&out, sp))
                rc = oom();
            continue;
        }
        if ((rc = find(ctx, &sp->n, &m)) == MNLP_OK)
            rc = mn_nstr_split(&sp->n, &m, behavior, &out);
        mn_matches_free(&m);
    }
    if (rc != MNLP_OK) {
        mn_pretok_free(&out);
        return rc;
    }
    mn_pretok_free(pt);
    *pt = out;
    return MNLP_OK;
}

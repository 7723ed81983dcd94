/*
 * Unicode properties and the normal forms NFD, NFKD, NFC and NFKC with the
 * per-character alignment changes that tokenizers' NormalizedString::nfd()
 * and friends apply (the unicode-normalization-alignments crate).
 */
#include "text/normalizers.h"

#include <string.h>
#include <utf8proc.h>

typedef struct mn_urange {
    uint32_t lo, hi;
} mn_urange;

#include "text/unicode_compat.h"

static bool in_ranges(const mn_urange *r, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

#define IN(table, cp) in_ranges(table, sizeof(table) / sizeof(table[0]), cp)

static int category(uint32_t cp)
{
    return utf8proc_category((utf8proc_int32_t)cp);
}

/* ---- Properties ---------------------------------------------------------- */

int mn_uni_ccc(uint32_t cp)
{
    if (cp < 0x300 || IN(ccc_zero, cp))
        return 0;
    return utf8proc_get_property((utf8proc_int32_t)cp)->combining_class;
}

/* Hangul syllables decompose and compose by arithmetic (Unicode ch. 3.12). */
enum {
    S_BASE = 0xAC00, L_BASE = 0x1100, V_BASE = 0x1161, T_BASE = 0x11A7,
    L_COUNT = 19, V_COUNT = 21, T_COUNT = 28, N_COUNT = V_COUNT * T_COUNT,
    S_COUNT = L_COUNT * N_COUNT,
};

int mn_uni_decompose(uint32_t cp, bool compat, uint32_t out[MN_UNI_DECOMP_MAX])
{
    utf8proc_int32_t buf[MN_UNI_DECOMP_MAX];
    utf8proc_option_t opts = UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0);
    utf8proc_ssize_t n;
    int boundclass = 0;

    if (cp >= S_BASE && cp < S_BASE + S_COUNT) {
        uint32_t s = cp - S_BASE, t = s % T_COUNT;

        out[0] = L_BASE + s / N_COUNT;
        out[1] = V_BASE + (s % N_COUNT) / T_COUNT;
        out[2] = T_BASE + t;
        return t ? 3 : 2;
    }
    out[0] = cp;
    if (cp < 0xA0 || IN(no_decomposition, cp))
        return 1;
    n = utf8proc_decompose_char((utf8proc_int32_t)cp, buf, MN_UNI_DECOMP_MAX, opts, &boundclass);
    if (n < 1 || n > MN_UNI_DECOMP_MAX)
        return 1;
    for (utf8proc_ssize_t i = 0; i < n; i++)
        out[i] = (uint32_t)buf[i];
    return (int)n;
}

uint32_t mn_uni_compose(uint32_t a, uint32_t b)
{
    utf8proc_int32_t pair[2] = {(utf8proc_int32_t)a, (utf8proc_int32_t)b};

    if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE && b < V_BASE + V_COUNT)
        return S_BASE + (a - L_BASE) * N_COUNT + (b - V_BASE) * T_COUNT;
    if (a >= S_BASE && a < S_BASE + S_COUNT && (a - S_BASE) % T_COUNT == 0 &&
        b > T_BASE && b < T_BASE + T_COUNT)
        return a + (b - T_BASE);
    /* Every other composition has a second character from U+0300 on. */
    if (b < 0x300)
        return 0;
    /* STABLE makes utf8proc honour the composition exclusions. */
    if (utf8proc_normalize_utf32(pair, 2, UTF8PROC_COMPOSE | UTF8PROC_STABLE) != 1)
        return 0;
    /* A composite newer than Unicode 9 has no decomposition there. */
    return IN(no_decomposition, (uint32_t)pair[0]) ? 0 : (uint32_t)pair[0];
}

bool mn_uni_is_combining_mark(uint32_t cp)
{
    int cat = category(cp);

    if (IN(mark_yes, cp))
        return true;
    return (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
            cat == UTF8PROC_CATEGORY_ME) && !IN(mark_no, cp);
}

bool mn_uni_is_mark_nonspacing(uint32_t cp)
{
    if (IN(mn_yes, cp))
        return true;
    return category(cp) == UTF8PROC_CATEGORY_MN && !IN(mn_no, cp);
}

bool mn_uni_is_other(uint32_t cp)
{
    int cat = category(cp);

    return (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
            cat == UTF8PROC_CATEGORY_CO) && !IN(other_no, cp);
}

bool mn_uni_is_whitespace(uint32_t cp)
{
    switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

int mn_uni_to_lowercase(uint32_t cp, uint32_t out[2])
{
    /* The one unconditional multi-character lowercase of SpecialCasing.txt. */
    if (cp == 0x130) {
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    out[0] = cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp)
                       : (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
    return 1;
}

/* ---- Decomposition ------------------------------------------------------- */

typedef struct dchar {
    uint32_t cp;
    int change;
    int ccc;
} dchar;

typedef struct dlist {
    dchar *items;
    size_t n, cap;
} dlist;

static bool dlist_push(dlist *d, uint32_t cp, int change)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        dchar *p = mn_reallocn(d->items, cap, sizeof *p);

        if (!p)
            return false;
        d->items = p;
        d->cap = cap;
    }
    d->items[d->n++] = (dchar){cp, change, mn_uni_ccc(cp)};
    return true;
}

/* Stable merge sort by combining class, with tmp as scratch of n items. */
static void sort_by_ccc(dchar *a, size_t n, dchar *tmp)
{
    size_t mid = n / 2, i = 0, j = mid, k = 0;

    if (n < 2)
        return;
    sort_by_ccc(a, mid, tmp);
    sort_by_ccc(a + mid, n - mid, tmp);
    while (i < mid && j < n)
        tmp[k++] = a[j].ccc < a[i].ccc ? a[j++] : a[i++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

/*
 * The Decompositions iterator: every character decomposed (its first
 * character keeps change 0, the others are +1), then every run of
 * non-starters put in canonical order, changes travelling with them.
 */
static mnlp_status decompose(const char *s, size_t len, bool compat, dlist *d)
{
    dchar *tmp = NULL;
    size_t tmp_cap = 0;
    mnlp_status rc;

    for (size_t i = 0; i < len;) {
        uint32_t cp, parts[MN_UNI_DECOMP_MAX];
        int n;

        if ((rc = mn_norm_next_char(s, len, &i, &cp)) != MNLP_OK)
            return rc;
        n = cp < 0x80 ? (parts[0] = cp, 1) : mn_uni_decompose(cp, compat, parts);
        for (int k = 0; k < n; k++)
            if (!dlist_push(d, parts[k], k > 0))
                return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory normalizing");
    }
    rc = MNLP_OK;
    for (size_t i = 0; i < d->n && rc == MNLP_OK;) {
        size_t j = i;

        while (j < d->n && d->items[j].ccc != 0)
            j++;
        if (j - i > 1 && j - i > tmp_cap) {
            mn_free(tmp);
            tmp_cap = j - i;
            if (!(tmp = mn_reallocn(NULL, tmp_cap, sizeof *tmp)))
                rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory normalizing");
        }
        if (rc == MNLP_OK)
            sort_by_ccc(d->items + i, j - i, tmp);
        i = j + 1;
    }
    mn_free(tmp);
    return rc;
}

/* ---- Composition --------------------------------------------------------- */

typedef struct composer {
    mn_nchanges *out;
    mn_nchanges blocked;   /* non-starters waiting behind the composee */
    mn_nchange composee;
    bool has_composee;
    int last_ccc;          /* class of the last blocked character, -1 for none */
    bool oom;
} composer;

static void emit(composer *c, mn_nchange ch)
{
    if (!mn_nchanges_push(c->out, ch.cp, ch.change))
        c->oom = true;
}

/* The composee, then the characters it blocked. */
static void flush(composer *c)
{
    if (c->has_composee)
        emit(c, c->composee);
    for (size_t i = 0; i < c->blocked.n; i++)
        emit(c, c->blocked.items[i]);
    c->blocked.n = 0;
}

static void block(composer *c, mn_nchange ch, int ccc)
{
    if (!mn_nchanges_push(&c->blocked, ch.cp, ch.change))
        c->oom = true;
    c->last_ccc = ccc;
}

/* A composite absorbs ch: it stands for one more old character. */
static bool try_compose(composer *c, mn_nchange ch)
{
    uint32_t r = mn_uni_compose(c->composee.cp, ch.cp);

    if (!r)
        return false;
    c->composee.cp = r;
    c->composee.change += ch.change - 1;
    return true;
}

/* One step of the Recompositions iterator, in its order of tests. */
static void compose_one(composer *c, mn_nchange ch, int ccc)
{
    if (!c->has_composee) {
        if (ccc != 0) {
            emit(c, ch);
            return;
        }
        c->composee = ch;
        c->has_composee = true;
        return;
    }
    if (c->last_ccc >= 0 && c->last_ccc >= ccc) {
        /* ch is blocked from the composee by a character before it. */
        if (ccc != 0) {
            block(c, ch, ccc);
            return;
        }
        flush(c);
        c->composee = ch;
        c->last_ccc = -1;
        return;
    }
    if (try_compose(c, ch))
        return;
    if (c->last_ccc < 0 && ccc == 0) {
        emit(c, c->composee);
        c->composee = ch;
        return;
    }
    block(c, ch, ccc);
}

static mnlp_status recompose(const dlist *d, mn_nchanges *out)
{
    composer c = {.out = out, .last_ccc = -1};

    for (size_t i = 0; i < d->n && !c.oom; i++)
        compose_one(&c, (mn_nchange){d->items[i].cp, d->items[i].change}, d->items[i].ccc);
    flush(&c);
    mn_nchanges_free(&c.blocked);
    return c.oom ? mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory normalizing") : MNLP_OK;
}

/* ---- Entry point --------------------------------------------------------- */

static bool is_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

mnlp_status mn_unorm_changes(const char *s, size_t len, mn_nform form, mn_nchanges *out)
{
    dlist d = {0};
    mnlp_status rc;

    /* ASCII is in every normal form already. */
    if (is_ascii(s, len)) {
        for (size_t i = 0; i < len; i++)
            if (!mn_nchanges_push(out, (unsigned char)s[i], 0))
                return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory normalizing");
        return MNLP_OK;
    }
    rc = decompose(s, len, form == MN_NFKD || form == MN_NFKC, &d);
    if (rc == MNLP_OK && (form == MN_NFC || form == MN_NFKC)) {
        rc = recompose(&d, out);
    } else {
        for (size_t i = 0; i < d.n && rc == MNLP_OK; i++)
            if (!mn_nchanges_push(out, d.items[i].cp, d.items[i].change))
                rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory normalizing");
    }
    mn_free(d.items);
    return rc;
}

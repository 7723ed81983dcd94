/*
 * SentencePiece's precompiled charsmap, as the spm_precompiled crate reads
 * it for tokenizers' Precompiled normalizer:
 *
 *   u32 LE  trie_size (bytes)
 *   u32 LE  trie units, trie_size / 4 of them (a Darts double array)
 *   bytes   the replacement strings, each ended by a NUL
 *
 * A key (UTF-8 bytes) walks the trie; the value at the first leaf reached
 * is the offset of its replacement in the strings.
 */
#include "text/normalizers.h"

#include "base/utf8.h"

#include <string.h>
#include <utf8proc.h>

struct mn_charsmap {
    uint32_t *units;
    size_t n_units;
    char *strings;        /* valid UTF-8 */
    size_t strings_len;
};

/* ---- Base64 --------------------------------------------------------------- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static mnlp_status b64_error(const char *what, size_t at)
{
    return mn_errorf(MNLP_ERR_FORMAT, "invalid base64: %s at offset %zu", what, at);
}

mnlp_status mn_base64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len)
{
    size_t pad = 0, n = 0;
    uint8_t *buf;

    *out = NULL;
    *out_len = 0;
    if (len % 4 != 0)
        return b64_error("length not a multiple of 4", len);
    while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
        pad++;
    if (!(buf = mn_malloc(len / 4 * 3 + 1)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory decoding base64");
    for (size_t i = 0; i < len; i += 4) {
        uint32_t quad = 0;
        size_t data = i + 4 == len ? 4 - pad : 4;

        for (size_t k = 0; k < 4; k++) {
            int v = k < data ? b64_value((unsigned char)s[i + k]) : 0;

            if (v < 0) {
                mn_free(buf);
                return b64_error("unexpected character", i + k);
            }
            quad = quad << 6 | (uint32_t)v;
        }
        /* Canonical encodings leave the bits past the last byte zero. */
        if ((data == 2 && (quad & 0xFFFF)) || (data == 3 && (quad & 0xFF))) {
            mn_free(buf);
            return b64_error("non-zero trailing bits", i + data - 1);
        }
        for (size_t k = 0; k + 1 < data; k++)
            buf[n++] = (uint8_t)(quad >> (16 - 8 * k));
    }
    *out = buf;
    *out_len = n;
    return MNLP_OK;
}

/* ---- Loading -------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* spm_precompiled's parse(): the bytes after the trie's whole units are the
 * strings, including any left over when trie_size is not a multiple of 4. */
static mnlp_status parse(const uint8_t *data, size_t len, mn_charsmap *m)
{
    size_t n_units, strings_at;

    if (len < 4)
        return mn_errorf(MNLP_ERR_FORMAT, "%zu bytes, too short for a charsmap", len);
    n_units = le32(data) / 4;
    if (n_units == 0 || n_units > (len - 4) / 4)
        return mn_errorf(MNLP_ERR_FORMAT, "trie of %zu units does not fit in %zu bytes",
                         n_units, len);
    strings_at = 4 + 4 * n_units;
    m->n_units = n_units;
    m->strings_len = len - strings_at;
    m->units = mn_reallocn(NULL, n_units, sizeof *m->units);
    m->strings = mn_malloc(m->strings_len + 1);
    if (!m->units || !m->strings)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory loading a charsmap");
    for (size_t i = 0; i < n_units; i++)
        m->units[i] = le32(data + 4 + 4 * i);
    memcpy(m->strings, data + strings_at, m->strings_len);
    m->strings[m->strings_len] = '\0';
    if (!mn_utf8_valid(m->strings, m->strings_len, NULL))
        return mn_errorf(MNLP_ERR_FORMAT, "replacement strings are not UTF-8");
    return MNLP_OK;
}

mnlp_status mn_charsmap_from_json(const mn_json *node, mn_charsmap **out)
{
    mn_charsmap *m;
    uint8_t *data = NULL;
    size_t len = 0;
    char path[256];
    mnlp_status rc;

    *out = NULL;
    if (node->type != MN_JSON_STRING)
        return mn_json_error(node, MNLP_ERR_FORMAT, "is %s, expected string",
                             mn_json_type_name(node->type));
    if (!(m = mn_calloc(1, sizeof *m)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory loading a charsmap");
    rc = mn_base64_decode(node->str, node->len, &data, &len);
    if (rc == MNLP_OK)
        rc = parse(data, len, m);
    mn_free(data);
    if (rc != MNLP_OK) {
        mn_charsmap_free(m);
        return mn_error_prefix(rc, "%s", mn_json_path(node, path, sizeof path));
    }
    *out = m;
    return MNLP_OK;
}

void mn_charsmap_free(mn_charsmap *m)
{
    if (!m)
        return;
    mn_free(m->units);
    mn_free(m->strings);
    mn_free(m);
}

/* ---- Lookup --------------------------------------------------------------- */

static size_t unit_offset(uint32_t u)
{
    return (size_t)(u >> 10) << ((u & (1u << 9)) >> 6);
}

static uint32_t unit_label(uint32_t u)
{
    return u & ((1u << 31) | 0xFF);
}

static bool unit_has_leaf(uint32_t u)
{
    return (u >> 8) & 1;
}

static mnlp_status corrupt(void)
{
    return mn_errorf(MNLP_ERR_FORMAT, "precompiled charsmap: trie points outside itself");
}

/*
 * Precompiled::transform: the replacement at the first (shortest) prefix
 * of key that the trie holds, stopping at a NUL byte as
 * DoubleArray::common_prefix_search does. *found is false when none.
 */
static mnlp_status lookup(const mn_charsmap *m, const char *key, size_t len, bool *found,
                          const char **repl, size_t *repl_len)
{
    size_t pos = unit_offset(m->units[0]), at, end;

    *found = false;
    for (size_t i = 0; i < len && key[i] != '\0'; i++) {
        uint32_t u, c = (unsigned char)key[i];

        pos ^= c;
        if (pos >= m->n_units)
            return corrupt();
        u = m->units[pos];
        if (unit_label(u) != c)
            return MNLP_OK;
        pos ^= unit_offset(u);
        if (!unit_has_leaf(u))
            continue;
        if (pos >= m->n_units)
            return corrupt();
        at = m->units[pos] & ((1u << 31) - 1);
        /* tokenizers would panic slicing at a bad offset; refuse instead. */
        if (at > m->strings_len || (((unsigned char)m->strings[at] & 0xc0) == 0x80))
            return corrupt();
        for (end = at; end < m->strings_len && m->strings[end] != '\0'; end++)
            ;
        *found = true;
        *repl = m->strings + at;
        *repl_len = end - at;
        return MNLP_OK;
    }
    return MNLP_OK;
}

/* ---- Normalizing ----------------------------------------------------------- */

static size_t utf8_chars(const char *s, size_t len)
{
    size_t k = 0;

    for (size_t i = 0; i < len; i++)
        k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

/*
 * tokenizers' precompiled.rs replace(): the new characters replace the old
 * one for one; extra new ones are inserted at the end, and when fewer come
 * out the last change so far (possibly an earlier piece's) absorbs the
 * difference.
 */
static mnlp_status replace(mn_nchanges *c, const char *old, size_t old_len, const char *repl,
                           size_t repl_len)
{
    long diff = (long)utf8_chars(repl, repl_len) - (long)utf8_chars(old, old_len);
    for (size_t i = 0; i < repl_len;) {
        uint32_t cp;
        mnlp_status rc = mn_norm_next_char(repl, repl_len, &i, &cp);

        if (rc != MNLP_OK)
            return rc;
        if (!mn_nchanges_push(c, cp, 0))
            return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory normalizing");
    }
    for (long k = 0; k < diff; k++)
        c->items[c->n - 1 - (size_t)k].change = 1;
    if (diff < 0 && c->n > 0)
        c->items[c->n - 1].change += (int)diff;
    return MNLP_OK;
}

/*
 * One grapheme: a short one (under 6 bytes) is looked up whole; otherwise,
 * or when it is not in the map, each character on its own.
 */
static mnlp_status grapheme(const mn_charsmap *m, const char *g, size_t len, mn_nchanges *c,
                           bool *modified)
{
    const char *repl;
    size_t repl_len;
    bool found;
    mnlp_status rc;

    if (len < 6) {
        if ((rc = lookup(m, g, len, &found, &repl, &repl_len)) != MNLP_OK)
            return rc;
        if (found) {
            *modified = true;
            return replace(c, g, len, repl, repl_len);
        }
    }
    for (size_t i = 0; i < len;) {
        size_t start = i;
        uint32_t cp;

        if ((rc = mn_norm_next_char(g, len, &i, &cp)) != MNLP_OK ||
            (rc = lookup(m, g + start, i - start, &found, &repl, &repl_len)) != MNLP_OK)
            return rc;
        if (found) {
            *modified = true;
            rc = replace(c, g + start, i - start, repl, repl_len);
        } else if (!mn_nchanges_push(c, cp, 0)) {
            rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory normalizing");
        }
        if (rc != MNLP_OK)
            return rc;
    }
    return MNLP_OK;
}

mnlp_status mn_charsmap_normalize(const mn_charsmap *m, mn_nstr *n)
{
    mn_nchanges c = {0};
    utf8proc_int32_t state = 0;
    uint32_t prev = 0;
    size_t start = 0;
    bool modified = false;
    mnlp_status rc = MNLP_OK;

    /* Extended grapheme clusters, as unicode-segmentation's graphemes(true). */
    for (size_t i = 0; i < n->len && rc == MNLP_OK;) {
        size_t at = i;
        uint32_t cp;

        if ((rc = mn_norm_next_char(n->s, n->len, &i, &cp)) != MNLP_OK)
            break;
        if (at > 0 && utf8proc_grapheme_break_stateful((utf8proc_int32_t)prev,
                                                       (utf8proc_int32_t)cp, &state)) {
            rc = grapheme(m, n->s + start, at - start, &c, &modified);
            start = at;
        }
        prev = cp;
    }
    if (rc == MNLP_OK && start < n->len)
        rc = grapheme(m, n->s + start, n->len - start, &c, &modified);
    if (rc == MNLP_OK && modified)
        rc = mn_norm_transform(n, &c, 0);
    mn_nchanges_free(&c);
    return rc;
}

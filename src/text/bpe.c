/*
 * The BPE model (tokenizers' models/bpe: model.rs, word.rs,
 * serialization.rs). A word starts as one symbol per character (or per
 * byte with byte_fallback, or an unknown token); merges then apply by rank,
 * lowest first and leftmost among equals, exactly as Word::merge_all does.
 */
#include "text/models.h"

#include "base/utf8.h"

#include <string.h>

#define MAX_BEFORE_MS 32

typedef struct bpe {
    mn_model base;
    mn_vocab_pair vocab;
    mn_u64map merges;        /* id_a << 32 | id_b  ->  rank << 32 | new_id */
    int32_t *rank_new_id;    /* the new id of each rank */
    char *unk_token;         /* NULL: unknown characters are dropped */
    size_t unk_len;
    int32_t unk_id;          /* -1 when unk_token is not in the vocab */
    char *prefix, *suffix;   /* continuing_subword_prefix, end_of_word_suffix */
    size_t prefix_len, suffix_len;
    bool fuse_unk, byte_fallback, ignore_merges;
    int32_t byte_ids[256];
    bool split_words;        /* see tokenize_split */
    int n_before_ms;
    uint32_t before_ms[MAX_BEFORE_MS]; /* characters some token has before a "▁" */
    mn_tok_cache cache;
} bpe;

/* ---- Merging (word.rs) ------------------------------------------------------ */

typedef struct sym {
    int32_t c;
    int32_t prev, next;      /* neighbours still in the word, -1 at the ends */
    uint32_t len;            /* bytes of the piece it covers; 0 once merged away */
} sym;

/*
 * A queued merge of the pair starting at symbol pos, as rank << 32 | pos so
 * that one comparison orders by rank, then position (word.rs's Merge). Its
 * new id is rank_new_id[rank]: a rank names one merge.
 */
typedef uint64_t merge;

static bool find_merge(const bpe *b, int32_t c1, int32_t c2, uint32_t *rank, int32_t *new_id)
{
    uint64_t v;

    if (!mn_u64map_get(&b->merges, (uint64_t)(uint32_t)c1 << 32 | (uint32_t)c2, &v))
        return false;
    *rank = (uint32_t)(v >> 32);
    *new_id = (int32_t)(uint32_t)v;
    return true;
}

/* A 4-ary min-heap, shallower than a binary one, as tokenizers uses. */
static int min_child(const merge *h, int n, int c)
{
    int a, b;

    if (c + 3 >= n) {
        int best = c;

        for (int k = c + 1; k < n; k++)
            best = h[k] < h[best] ? k : best;
        return best;
    }
    a = h[c + 1] < h[c] ? c + 1 : c;
    b = h[c + 3] < h[c + 2] ? c + 3 : c + 2;
    return h[b] < h[a] ? b : a;
}

static void sift_down(merge *h, int n, int i)
{
    merge m = h[i];

    while (4 * i + 1 < n) {
        int best = min_child(h, n, 4 * i + 1);

        if (h[best] >= m)
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = m;
}

static void heap_push(merge *h, int *n, merge m)
{
    int i = (*n)++;

    while (i > 0 && m < h[(i - 1) / 4]) {
        h[i] = h[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    h[i] = m;
}

static merge heap_pop(merge *h, int *n)
{
    merge top = h[0];

    h[0] = h[--*n];
    if (*n > 0)
        sift_down(h, *n, 0);
    return top;
}

static void queue_pair(const bpe *b, const sym *s, int pos, merge *heap, int *hn)
{
    uint32_t rank;
    int32_t new_id;

    if (find_merge(b, s[pos].c, s[s[pos].next].c, &rank, &new_id))
        heap_push(heap, hn, (uint64_t)rank << 32 | (uint32_t)pos);
}

/*
 * Word::merge_all without dropout. heap holds 3 * n entries: n - 1 pairs
 * at first and at most two new ones for each of the n - 1 merges.
 */
static void merge_all(const bpe *b, sym *s, int n, merge *heap)
{
    int hn = 0;

    for (int i = 0; i + 1 < n; i++) {
        uint32_t rank;
        int32_t new_id;

        if (find_merge(b, s[i].c, s[i + 1].c, &rank, &new_id))
            heap[hn++] = (uint64_t)rank << 32 | (uint32_t)i;
    }
    for (int i = (hn - 2) / 4; hn > 1 && i >= 0; i--)
        sift_down(heap, hn, i);
    while (hn > 0) {
        merge top = heap_pop(heap, &hn);
        uint32_t pos = (uint32_t)top, rank;
        int32_t want = b->rank_new_id[top >> 32], new_id;
        sym *cur = &s[pos], right;

        if (cur->len == 0 || cur->next < 0)
            continue;
        right = s[cur->next];
        /* An entry queued before its symbols changed is stale. */
        if (!find_merge(b, cur->c, right.c, &rank, &new_id) || new_id != want)
            continue;
        s[cur->next].len = 0;
        cur->c = want;
        cur->len += right.len;
        cur->next = right.next;
        if (right.next >= 0)
            s[right.next].prev = (int32_t)pos;
        if (cur->prev >= 0)
            queue_pair(b, s, cur->prev, heap, &hn);
        if (cur->next >= 0)
            queue_pair(b, s, (int)pos, heap, &hn);
    }
}

/* ---- Building the word (model.rs merge_word) -------------------------------- */

#define STACK_SYMS 64

typedef struct word {
    sym *s;
    int n, cap;
    int32_t unk_id;          /* a pending unknown token, or -1 */
    uint32_t unk_len;
    sym stack[STACK_SYMS];
} word;

static bool word_add(word *w, int32_t c, size_t len)
{
    if (w->n == w->cap) {
        sym *grown;

        if (w->cap > INT32_MAX / 4)
            return false;
        grown = mn_malloc(2 * (size_t)w->cap * sizeof *grown);
        if (!grown)
            return false;
        memcpy(grown, w->s, (size_t)w->n * sizeof *grown);
        if (w->s != w->stack)
            mn_free(w->s);
        w->s = grown;
        w->cap *= 2;
    }
    if (w->n > 0)
        w->s[w->n - 1].next = w->n;
    w->s[w->n] = (sym){c, w->n - 1, -1, (uint32_t)len};
    w->n++;
    return true;
}

static void word_free(word *w)
{
    if (w->s != w->stack)
        mn_free(w->s);
}

static bool flush_unk(word *w)
{
    bool ok = w->unk_id < 0 || word_add(w, w->unk_id, w->unk_len);

    w->unk_id = -1;
    return ok;
}

/* With byte_fallback, a character missing from the vocab becomes its bytes
 * (of the piece with prefix and suffix, as tokenizers does) if all of
 * them have a <0xXX> token. */
static int add_bytes(const bpe *b, word *w, const char *p, size_t plen)
{
    for (size_t k = 0; k < plen; k++)
        if (b->byte_ids[(unsigned char)p[k]] < 0)
            return 0;
    for (size_t k = 0; k < plen; k++)
        if (!word_add(w, b->byte_ids[(unsigned char)p[k]], 1))
            return -1;
    return 1;
}

/* An unknown character: start an unknown token or extend the pending one. */
static mnlp_status add_unk(const bpe *b, word *w, size_t len)
{
    if (!b->unk_token)
        return MNLP_OK;
    if (w->unk_id >= 0 && b->fuse_unk) {
        w->unk_len += (uint32_t)len;
        return MNLP_OK;
    }
    if (!flush_unk(w))
        return mn_model_oom();
    if (b->unk_id < 0)
        return mn_errorf(MNLP_ERR_FORMAT, "BPE unk_token \"%s\" is not in the vocab",
                         b->unk_token);
    w->unk_id = b->unk_id;
    w->unk_len = (uint32_t)len;
    return MNLP_OK;
}

/* One character, s[i..i+cl) of a word of len bytes, looked up with the
 * prefix (when not first) and suffix (when last) around it. */
static mnlp_status add_char(const bpe *b, word *w, const char *s, size_t i, size_t cl,
                            size_t len, char *buf)
{
    const char *p = s + i;
    size_t plen = cl;
    int32_t id;
    int r;

    if ((i > 0 && b->prefix_len) || (i + cl == len && b->suffix_len)) {
        size_t pre = i > 0 ? b->prefix_len : 0, suf = i + cl == len ? b->suffix_len : 0;

        if (pre)
            memcpy(buf, b->prefix, pre);
        memcpy(buf + pre, p, cl);
        if (suf)
            memcpy(buf + pre + cl, b->suffix, suf);
        p = buf;
        plen = pre + cl + suf;
    }
    if ((id = mn_vocab_get(&b->vocab.map, p, plen)) >= 0)
        return flush_unk(w) && word_add(w, id, cl) ? MNLP_OK : mn_model_oom();
    /* A pending unknown token is not flushed before byte tokens: tokenizers
     * adds it after them (merge_word's `continue`). */
    if (b->byte_fallback && (r = add_bytes(b, w, p, plen)) != 0)
        return r > 0 ? MNLP_OK : mn_model_oom();
    return add_unk(b, w, cl);
}

static mnlp_status build_word(const bpe *b, const char *s, size_t len, word *w)
{
    char small[64], *buf = small;
    size_t need = b->prefix_len + 4 + b->suffix_len;
    mnlp_status rc = MNLP_OK;

    if (need > sizeof small && !(buf = mn_malloc(need)))
        return mn_model_oom();
    for (size_t i = 0, cl; i < len && rc == MNLP_OK; i += cl) {
        cl = mn_char_len(s + i, len - i);
        rc = add_char(b, w, s, i, cl, len, buf);
    }
    if (rc == MNLP_OK && !flush_unk(w))
        rc = mn_model_oom();
    if (buf != small)
        mn_free(buf);
    return rc;
}

/* ---- Tokenize --------------------------------------------------------------- */

/* Append pieces whose offsets start at base; *end receives the end of the
 * last one (base when none). */
static mnlp_status push_pieces(const bpe *b, const mn_piece *pieces, int n, size_t base,
                               mn_tokens *out, size_t *end)
{
    *end = base;
    for (int i = 0; i < n; i++) {
        size_t tlen;
        const char *tok = mn_vocab_pair_token(&b->vocab, pieces[i].id, &tlen);

        if (!tok)
            return mn_errorf(MNLP_ERR_INTERNAL, "BPE id %d has no token", pieces[i].id);
        *end = base + pieces[i].end;
        if (!mn_tokens_push(out, pieces[i].id, tok, tlen, base + pieces[i].start, *end))
            return mn_model_oom();
    }
    return MNLP_OK;
}

/* Merge the word's symbols and list the survivors as pieces, in p (room
 * for STACK_SYMS) or in a new buffer when more. */
static mnlp_status merge_word(const bpe *b, word *w, mn_piece *p, mn_piece **pieces,
                              int *n_pieces)
{
    merge small[3 * STACK_SYMS], *heap = small;
    uint32_t pos = 0;
    int n = 0;

    if (w->n > STACK_SYMS) {
        heap = mn_malloc((size_t)w->n * 3 * sizeof *heap);
        p = mn_malloc((size_t)w->n * sizeof *p);
        if (!heap || !p) {
            mn_free(heap);
            mn_free(p);
            return mn_model_oom();
        }
    }
    merge_all(b, w->s, w->n, heap);
    for (int i = 0; i < w->n; i++) {
        if (w->s[i].len == 0)
            continue;
        p[n++] = (mn_piece){w->s[i].c, pos, pos + w->s[i].len, -1};
        pos += w->s[i].len;
    }
    if (heap != small)
        mn_free(heap);
    *pieces = p;
    *n_pieces = n;
    return MNLP_OK;
}

/* merge_word and word_to_tokens of tokenizers, through the cache. Offsets
 * start at base; *end receives the end of the last token. */
static mnlp_status tokenize_word(const bpe *b, const char *s, size_t len, size_t base,
                                 mn_tokens *out, size_t *end)
{
    mn_tok_cache *cache = (mn_tok_cache *)&b->cache;
    mn_piece small[STACK_SYMS], *pieces = NULL;
    const mn_piece *cached;
    word w;
    int n;
    mnlp_status rc;

    if ((n = mn_tok_cache_get(cache, s, len, &cached)) >= 0)
        return push_pieces(b, cached, n, base, out, end);
    w.s = w.stack;
    w.n = 0;
    w.cap = STACK_SYMS;
    w.unk_id = -1;
    w.unk_len = 0;
    rc = build_word(b, s, len, &w);
    if (rc == MNLP_OK)
        rc = merge_word(b, &w, small, &pieces, &n);
    if (rc == MNLP_OK) {
        mn_tok_cache_put(cache, s, len, pieces, n);
        rc = push_pieces(b, pieces, n, base, out, end);
        if (pieces != small)
            mn_free(pieces);
    }
    word_free(&w);
    return rc;
}

#define METASPACE "\xe2\x96\x81"

/*
 * Whether no symbol can ever span the boundary between the character
 * s[0..cl) and a following "▁": the character is a token by itself, and no
 * vocab token has it right before a "▁" (see find_splits).
 */
static bool splits_before_metaspace(const bpe *b, const char *c, size_t cl)
{
    uint32_t cp;

    if (mn_utf8_decode((const unsigned char *)c, cl, &cp) != (int)cl || cp == 0x2581 ||
        mn_vocab_get(&b->vocab.map, c, cl) < 0)
        return false;
    for (int i = 0; i < b->n_before_ms; i++)
        if (b->before_ms[i] == cp)
            return false;
    return true;
}

/*
 * SentencePiece-style BPE (Llama, Gemma) has no pre-tokenizer, so a whole
 * text is one piece. When no merge can cross the start of a word ("▁"),
 * merging each word alone gives the same symbols as merging the piece, and
 * words can be cached; the offsets continue from word to word as
 * Word::get_offsets_iter counts them.
 */
static mnlp_status tokenize_split(const bpe *b, const char *s, size_t len, mn_tokens *out)
{
    size_t seg = 0, pos = 0, prev = 0, prev_len = 0;
    mnlp_status rc = MNLP_OK;

    for (size_t i = 0, cl; i < len && rc == MNLP_OK; prev = i, prev_len = cl, i += cl) {
        cl = mn_char_len(s + i, len - i);
        if (i == 0 || cl != 3 || memcmp(s + i, METASPACE, 3) != 0 ||
            !splits_before_metaspace(b, s + prev, prev_len))
            continue;
        rc = tokenize_word(b, s + seg, i - seg, pos, out, &pos);
        seg = i;
    }
    if (rc == MNLP_OK)
        rc = tokenize_word(b, s + seg, len - seg, pos, out, &pos);
    return rc;
}

static mnlp_status bpe_tokenize(const mn_model *self, const char *s, size_t len, mn_tokens *out)
{
    const bpe *b = (const bpe *)self;
    int32_t id;
    size_t end;

    if (len == 0)
        return MNLP_OK;
    if (len >= UINT32_MAX)
        return mn_errorf(MNLP_ERR_LIMIT, "BPE piece of %zu bytes", len);
    if (b->ignore_merges && (id = mn_vocab_get(&b->vocab.map, s, len)) >= 0)
        return mn_tokens_push(out, id, s, len, 0, len) ? MNLP_OK : mn_model_oom();
    if (b->split_words && len >= MN_CACHE_MAX_LEN / 4)
        return tokenize_split(b, s, len, out);
    return tokenize_word(b, s, len, 0, out, &end);
}

static int32_t bpe_token_to_id(const mn_model *self, const char *token, size_t len)
{
    return mn_vocab_get(&((const bpe *)self)->vocab.map, token, len);
}

static const char *bpe_id_to_token(const mn_model *self, int32_t id)
{
    return mn_vocab_pair_token(&((const bpe *)self)->vocab, id, NULL);
}

static int32_t bpe_vocab_size(const mn_model *self)
{
    return (int32_t)((const bpe *)self)->vocab.map.count;
}

static void bpe_free(mn_model *self)
{
    bpe *b = (bpe *)self;

    if (!b)
        return;
    mn_vocab_pair_free(&b->vocab);
    mn_u64map_free(&b->merges);
    mn_free(b->rank_new_id);
    mn_free(b->unk_token);
    mn_free(b->prefix);
    mn_free(b->suffix);
    mn_tok_cache_free(&b->cache);
    mn_free(b);
}

/* ---- Loading (serialization.rs, BpeBuilder::build) -------------------------- */

/* One merge "a" + "b" with rank: a, b and a + b[prefix_len..] must all be
 * tokens. buf holds vocab.max_len bytes. */
static mnlp_status add_merge(bpe *b, const mn_json *at, const char *a, size_t a_len,
                             const char *bs, size_t b_len, uint32_t rank, char *buf)
{
    int32_t ia = mn_vocab_get(&b->vocab.map, a, a_len);
    int32_t ib = mn_vocab_get(&b->vocab.map, bs, b_len);
    int32_t inew = -1;
    size_t rest;

    if (ia < 0)
        return mn_json_error(at, MNLP_ERR_FORMAT, "token \"%.*s\" is not in the vocab",
                             (int)a_len, a);
    if (ib < 0)
        return mn_json_error(at, MNLP_ERR_FORMAT, "token \"%.*s\" is not in the vocab",
                             (int)b_len, bs);
    if (b_len < b->prefix_len)
        return mn_json_error(at, MNLP_ERR_FORMAT,
                             "token \"%.*s\" is shorter than continuing_subword_prefix",
                             (int)b_len, bs);
    rest = b_len - b->prefix_len;
    if (a_len + rest <= b->vocab.max_len) {
        memcpy(buf, a, a_len);
        memcpy(buf + a_len, bs + b->prefix_len, rest);
        inew = mn_vocab_get(&b->vocab.map, buf, a_len + rest);
    }
    if (inew < 0)
        return mn_json_error(at, MNLP_ERR_FORMAT, "merged token \"%.*s%.*s\" is not in the vocab",
                             (int)a_len, a, (int)rest, bs + b->prefix_len);
    if (!mn_u64map_put(&b->merges, (uint64_t)(uint32_t)ia << 32 | (uint32_t)ib,
                       (uint64_t)rank << 32 | (uint32_t)inew))
        return mn_model_oom();
    b->rank_new_id[rank] = inew;
    return MNLP_OK;
}

/* A legacy merge "a b": exactly one space (convert_merges_to_hashmap). */
static mnlp_status add_legacy_merge(bpe *b, const mn_json *m, uint32_t rank, char *buf)
{
    const char *sp = memchr(m->str, ' ', m->len);

    if (!sp || memchr(sp + 1, ' ', m->len - (size_t)(sp + 1 - m->str)))
        return mn_json_error(m, MNLP_ERR_FORMAT, "merge is not two tokens split by a space");
    return add_merge(b, m, m->str, (size_t)(sp - m->str), sp + 1,
                     m->len - (size_t)(sp + 1 - m->str), rank, buf);
}

static mnlp_status add_pair_merge(bpe *b, const mn_json *m, uint32_t rank, char *buf)
{
    if (m->type != MN_JSON_ARRAY || m->len != 2 || m->items[0].type != MN_JSON_STRING ||
        m->items[1].type != MN_JSON_STRING)
        return mn_json_error(m, MNLP_ERR_FORMAT, "merge is not a pair of strings");
    return add_merge(b, m, m->items[0].str, m->items[0].len, m->items[1].str, m->items[1].len,
                     rank, buf);
}

/*
 * "merges" is a list of "a b" strings (older files; "#version" lines are
 * skipped and do not count as ranks) or of ["a", "b"] pairs. A repeated
 * pair keeps its last rank, as collecting into a map does.
 */
static mnlp_status read_merges(bpe *b, const mn_json *merges)
{
    bool legacy = merges->len > 0 && merges->items[0].type == MN_JSON_STRING;
    char *buf = mn_malloc(b->vocab.max_len + 1);
    uint32_t rank = 0;
    mnlp_status rc = MNLP_OK;

    if (merges->len >= UINT32_MAX) {
        mn_free(buf);
        return mn_json_error(merges, MNLP_ERR_LIMIT, "%zu merges", merges->len);
    }
    b->rank_new_id = mn_malloc((merges->len + 1) * sizeof *b->rank_new_id);
    if (!buf || !b->rank_new_id || !mn_u64map_reserve(&b->merges, merges->len)) {
        mn_free(buf);
        return mn_model_oom();
    }
    for (size_t i = 0; i < merges->len && rc == MNLP_OK; i++) {
        const mn_json *m = &merges->items[i];

        if (legacy && m->type != MN_JSON_STRING)
            rc = mn_json_error(m, MNLP_ERR_FORMAT, "is %s, expected string",
                               mn_json_type_name(m->type));
        else if (legacy && m->len >= 8 && memcmp(m->str, "#version", 8) == 0)
            continue;
        else if (legacy)
            rc = add_legacy_merge(b, m, rank++, buf);
        else
            rc = add_pair_merge(b, m, rank++, buf);
    }
    mn_free(buf);
    return rc;
}

static mnlp_status read_dropout(const mn_json *node)
{
    const mn_json *d = mn_json_get(node, "dropout");
    float p;

    if (!d || d->type == MN_JSON_NULL)
        return MNLP_OK;
    if (d->type != MN_JSON_NUMBER)
        return mn_json_error(d, MNLP_ERR_FORMAT, "is %s, expected number",
                             mn_json_type_name(d->type));
    /* tokenizers holds it as f32; 0.0 means no dropout. */
    p = (float)d->number;
    if (!(p >= 0.0f && p <= 1.0f))
        return mn_json_error(d, MNLP_ERR_FORMAT, "dropout should be between 0 and 1");
    if (p != 0.0f)
        return mn_json_error(d, MNLP_ERR_UNSUPPORTED,
                             "dropout %g samples merges at random; inference needs 0 or null",
                             d->number);
    return MNLP_OK;
}

static mnlp_status dup_opt(const mn_json *node, const char *key, char **out, size_t *len)
{
    const char *s = NULL;
    const mn_json *v = mn_json_get(node, key);
    mnlp_status rc = mn_json_str_opt(node, key, &s);

    if (rc != MNLP_OK || !s)
        return rc;
    if (!(*out = mn_strndup(s, v->len)))
        return mn_model_oom();
    if (len)
        *len = v->len;
    return MNLP_OK;
}

static mnlp_status read_options(bpe *b, const mn_json *node)
{
    mnlp_status rc;

    if ((rc = read_dropout(node)) != MNLP_OK ||
        (rc = dup_opt(node, "unk_token", &b->unk_token, &b->unk_len)) != MNLP_OK ||
        (rc = dup_opt(node, "continuing_subword_prefix", &b->prefix, &b->prefix_len)) !=
            MNLP_OK ||
        (rc = dup_opt(node, "end_of_word_suffix", &b->suffix, &b->suffix_len)) != MNLP_OK ||
        (rc = mn_json_bool_opt(node, "fuse_unk", &b->fuse_unk)) != MNLP_OK ||
        (rc = mn_json_bool_opt(node, "byte_fallback", &b->byte_fallback)) != MNLP_OK)
        return rc;
    return mn_json_bool_opt(node, "ignore_merges", &b->ignore_merges);
}

static bool note_before_ms(bpe *b, uint32_t cp)
{
    for (int i = 0; i < b->n_before_ms; i++)
        if (b->before_ms[i] == cp)
            return true;
    if (b->n_before_ms == MAX_BEFORE_MS)
        return false;
    b->before_ms[b->n_before_ms++] = cp;
    return true;
}

/*
 * Note every character that some token has right before a "▁" (other than
 * "▁"), so that tokenize_split never cuts where a token could span. Words
 * are split only when "▁" is a token, no prefix or suffix changes the
 * symbols' text, and such characters are few.
 */
static void find_splits(bpe *b, const mn_json *vocab)
{
    b->split_words = !b->prefix_len && !b->suffix_len &&
                     mn_vocab_get(&b->vocab.map, METASPACE, 3) >= 0;
    for (size_t i = 0; i < vocab->len && b->split_words; i++) {
        const char *k = vocab->items[i].key;
        size_t kl = vocab->items[i].key_len;

        for (size_t j = 1; j + 3 <= kl && b->split_words; j++) {
            size_t c = j - 1;
            uint32_t cp;

            if (memcmp(k + j, METASPACE, 3) != 0)
                continue;
            while (c > 0 && ((unsigned char)k[c] & 0xc0) == 0x80 && j - c < 4)
                c--;
            if (mn_utf8_decode((const unsigned char *)k + c, j - c, &cp) != (int)(j - c))
                b->split_words = false;
            else if (cp != 0x2581)
                b->split_words = note_before_ms(b, cp);
        }
    }
}

static mnlp_status read_model(bpe *b, const mn_json *node)
{
    const mn_json *vocab = mn_json_get(node, "vocab"), *merges = mn_json_get(node, "merges");
    mnlp_status rc;

    if ((rc = read_options(b, node)) != MNLP_OK)
        return rc;
    if (!vocab || !merges)
        return mn_json_error(node, MNLP_ERR_FORMAT, "BPE needs \"vocab\" and \"merges\"");
    if (merges->type != MN_JSON_ARRAY)
        return mn_json_error(merges, MNLP_ERR_FORMAT, "is %s, expected array",
                             mn_json_type_name(merges->type));
    if ((rc = mn_vocab_pair_from_json(vocab, &b->vocab)) != MNLP_OK ||
        (rc = read_merges(b, merges)) != MNLP_OK)
        return rc;
    b->unk_id = b->unk_token ? mn_vocab_get(&b->vocab.map, b->unk_token, b->unk_len)
                             : -1;
    mn_byte_fallback_ids(&b->vocab.map, b->byte_ids);
    find_splits(b, vocab);
    return mn_tok_cache_init(&b->cache);
}

mnlp_status mn_bpe_from_json(const mn_json *node, mn_model **out)
{
    bpe *b = mn_calloc(1, sizeof *b);
    mnlp_status rc;

    *out = NULL;
    if (!b)
        return mn_model_oom();
    b->base = (mn_model){bpe_tokenize, bpe_token_to_id, bpe_id_to_token, bpe_vocab_size,
                         bpe_free};
    if ((rc = read_model(b, node)) != MNLP_OK) {
        bpe_free(&b->base);
        return rc;
    }
    *out = &b->base;
    return MNLP_OK;
}

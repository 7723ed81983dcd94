/*
 * The Unigram model (tokenizers' models/unigram: model.rs, trie.rs,
 * serialization.rs): the best-scoring segmentation of a piece by Viterbi
 * over the vocab's prefix trie, as Unigram::encode_optimized computes it.
 * Characters without a one-character token become the unknown token
 * scored min score - 10, and runs of unknown tokens are fused into one
 * (tokenizers always sets fuse_unk for Unigram).
 */
#include "text/models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define UNK_PENALTY 10.0

/* A trie node; the children of a node are contiguous and sorted by label. */
typedef struct tnode {
    uint32_t first;          /* index of the first child */
    int32_t leaf;            /* the id of the piece ending here, or -1 */
    uint16_t n_children;
    uint8_t label;           /* the byte leading here from the parent */
} tnode;

typedef struct unigram {
    mn_model base;
    mn_vocab map;            /* piece -> id; a repeated piece keeps its last id */
    char *arena;             /* every piece, NUL-terminated */
    uint32_t *text;          /* 2 * n: arena offset and length of piece id */
    double *scores;
    int32_t n;
    double min_score;
    int32_t unk_id;          /* -1: none */
    bool byte_fallback;
    int32_t byte_ids[256];
    tnode *nodes;            /* nodes[0] is the root */
    uint32_t n_nodes;
    mn_tok_cache cache;
} unigram;

/* ---- The trie (trie.rs) ------------------------------------------------------ */

static int32_t trie_child(const unigram *u, uint32_t node, uint8_t c)
{
    uint32_t lo = u->nodes[node].first, hi = lo + u->nodes[node].n_children, end = hi;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (u->nodes[mid].label < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < end && u->nodes[lo].label == c ? (int32_t)lo : -1;
}

typedef struct sorted_piece {
    const char *s;
    uint32_t len;
    int32_t id;
} sorted_piece;

static int cmp_piece(const void *pa, const void *pb)
{
    const sorted_piece *a = pa, *b = pb;
    int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

    if (c != 0)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Where a node's pieces lie in the sorted list while building. */
typedef struct tspan {
    uint32_t lo, hi, depth;
} tspan;

static bool add_node(unigram *u, int *cap, tspan **spans, int *span_cap, uint8_t label,
                     tspan span)
{
    if (u->n_nodes >= INT32_MAX / 2 ||
        !mn_grow((void **)&u->nodes, cap, (int)u->n_nodes + 1, sizeof *u->nodes) ||
        !mn_grow((void **)spans, span_cap, (int)u->n_nodes + 1, sizeof **spans))
        return false;
    u->nodes[u->n_nodes] = (tnode){0, -1, 0, label};
    (*spans)[u->n_nodes++] = span;
    return true;
}

/*
 * Breadth first over the sorted pieces: a node's pieces share its prefix of
 * depth bytes; those exactly that long end there (the last id wins, as in
 * token_to_ids), the rest group by their next byte into its children.
 */
static bool build_nodes(unigram *u, const sorted_piece *p, tspan **spans)
{
    int cap = 0, span_cap = 0;

    if (!add_node(u, &cap, spans, &span_cap, 0, (tspan){0, (uint32_t)u->n, 0}))
        return false;
    for (uint32_t i = 0; i < u->n_nodes; i++) {
        tspan sp = (*spans)[i];
        uint32_t k = sp.lo;

        for (; k < sp.hi && p[k].len == sp.depth; k++)
            u->nodes[i].leaf = p[k].id;
        u->nodes[i].first = u->n_nodes;
        while (k < sp.hi) {
            uint8_t c = (uint8_t)p[k].s[sp.depth];
            uint32_t j = k;

            while (j < sp.hi && (uint8_t)p[j].s[sp.depth] == c)
                j++;
            if (!add_node(u, &cap, spans, &span_cap, c, (tspan){k, j, sp.depth + 1}))
                return false;
            k = j;
        }
        u->nodes[i].n_children = (uint16_t)(u->n_nodes - u->nodes[i].first);
    }
    return true;
}

static mnlp_status build_trie(unigram *u)
{
    sorted_piece *p = mn_malloc((size_t)(u->n ? u->n : 1) * sizeof *p);
    tspan *spans = NULL;
    bool ok;

    if (!p)
        return mn_model_oom();
    for (int32_t i = 0; i < u->n; i++)
        p[i] = (sorted_piece){u->arena + u->text[2 * i], u->text[2 * i + 1], i};
    qsort(p, (size_t)u->n, sizeof *p, cmp_piece);
    ok = build_nodes(u, p, &spans);
    mn_free(spans);
    mn_free(p);
    return ok ? MNLP_OK : mn_model_oom();
}

/* ---- Viterbi (encode_optimized) -------------------------------------------- */

/* The best path ending at a byte position. */
typedef struct best {
    double score;
    int32_t start;           /* where its last token starts, -1: none yet */
    int32_t id;
} best;

static void relax(best *t, double score, size_t start, int32_t id)
{
    if (t->start < 0 || score > t->score) {
        t->score = score;
        t->start = (int32_t)start;
        t->id = id;
    }
}

/* Every token starting at pos, then the unknown token if no token covers
 * exactly the first character. */
static mnlp_status extend(const unigram *u, const char *s, size_t len, size_t pos,
                          best *b)
{
    double till = b[pos].score;
    size_t cl = mn_char_len(s + pos, len - pos);
    bool single = false;
    uint32_t node = 0;
    best *t;

    for (size_t k = pos; k < len; k++) {
        int32_t c = trie_child(u, node, (uint8_t)s[k]);

        if (c < 0)
            break;
        node = (uint32_t)c;
        if (u->nodes[node].leaf < 0)
            continue;
        relax(&b[k + 1], u->scores[u->nodes[node].leaf] + till, pos, u->nodes[node].leaf);
        single = single || k + 1 - pos == cl;
    }
    if (single)
        return MNLP_OK;
    t = &b[pos + cl];
    if (t->start >= 0 && !(u->min_score - UNK_PENALTY + till > t->score))
        return MNLP_OK;
    if (u->unk_id < 0)
        return mn_errorf(MNLP_ERR_FORMAT,
                         "Unigram met an unknown character but the model has no unk_id");
    relax(t, u->min_score - UNK_PENALTY + till, pos, u->unk_id);
    return MNLP_OK;
}

/* Walk the best path back from the end, fusing runs of unknown tokens;
 * pieces come out in order. Fused runs get id -2 until resolved. */
static mnlp_status backtrack(const unigram *u, const best *b, size_t len, mn_piece *p, int *n)
{
    size_t end = len, run_end = 0;
    bool in_run = false;
    int k = 0;

    while (end > 0) {
        int32_t st = b[end].start;

        if (st < 0 || (size_t)st >= end)
            return mn_errorf(MNLP_ERR_FORMAT, "Unigram found no path through the input");
        if (b[end].id == u->unk_id) {
            if (!in_run)
                run_end = end;
            in_run = true;
        } else {
            if (in_run)
                p[k++] = (mn_piece){-2, (uint32_t)end, (uint32_t)run_end, -1};
            in_run = false;
            p[k++] = (mn_piece){b[end].id, (uint32_t)st, (uint32_t)end, -1};
        }
        end = (size_t)st;
    }
    if (in_run)
        p[k++] = (mn_piece){-2, 0, (uint32_t)run_end, -1};
    for (int i = 0; i < k / 2; i++) {
        mn_piece t = p[i];

        p[i] = p[k - 1 - i];
        p[k - 1 - i] = t;
    }
    *n = k;
    return MNLP_OK;
}

/*
 * Unigram::tokenize on the fused runs: a run is looked up as a whole, then
 * as <0xXX> byte tokens (each with the run's offsets) with byte_fallback,
 * else it is the unknown token. Writes into q (room for len + n pieces).
 */
static int resolve_runs(const unigram *u, const char *s, const mn_piece *p, int n, mn_piece *q)
{
    int k = 0;

    for (int i = 0; i < n; i++) {
        const char *t = s + p[i].start;
        size_t tl = p[i].end - p[i].start, j = 0;
        int32_t id;

        if (p[i].id != -2) {
            q[k++] = p[i];
            continue;
        }
        if ((id = mn_vocab_get(&u->map, t, tl)) < 0 && u->byte_fallback) {
            while (j < tl && u->byte_ids[(unsigned char)t[j]] >= 0)
                j++;
            if (j == tl) {
                for (j = 0; j < tl; j++)
                    q[k++] = (mn_piece){u->byte_ids[(unsigned char)t[j]], p[i].start, p[i].end,
                                        (unsigned char)t[j]};
                continue;
            }
        }
        q[k++] = (mn_piece){id >= 0 ? id : u->unk_id, p[i].start, p[i].end, -1};
    }
    return k;
}

#define STACK_BYTES 128

/* The tokens of s[0..len) as pieces in a new buffer (*out, owned). */
static mnlp_status encode(const unigram *u, const char *s, size_t len, mn_piece **out, int *n)
{
    best small[STACK_BYTES + 1], *b = small;
    mn_piece *p = NULL, *q = NULL;
    int np = 0;
    mnlp_status rc = MNLP_OK;

    *out = NULL;
    if (len >= INT32_MAX / 2)
        return mn_errorf(MNLP_ERR_LIMIT, "Unigram piece of %zu bytes", len);
    if (len > STACK_BYTES && !(b = mn_malloc((len + 1) * sizeof *b)))
        return mn_model_oom();
    for (size_t i = 0; i <= len; i++)
        b[i] = (best){0.0, -1, -1};
    for (size_t pos = 0; pos < len && rc == MNLP_OK; pos += mn_char_len(s + pos, len - pos))
        rc = extend(u, s, len, pos, b);
    if (rc == MNLP_OK && (!(p = mn_malloc((len + 1) * sizeof *p)) ||
                          !(q = mn_malloc((2 * len + 1) * sizeof *q))))
        rc = mn_model_oom();
    if (rc == MNLP_OK)
        rc = backtrack(u, b, len, p, &np);
    if (rc == MNLP_OK)
        *n = resolve_runs(u, s, p, np, q);
    if (b != small)
        mn_free(b);
    mn_free(p);
    if (rc == MNLP_OK)
        *out = q;
    else
        mn_free(q);
    return rc;
}

static mnlp_status push_pieces(const char *s, const mn_piece *p, int n, mn_tokens *out)
{
    static const char hex[] = "0123456789ABCDEF";

    for (int i = 0; i < n; i++) {
        char name[7] = {'<', '0', 'x', 0, 0, '>', 0};
        const char *v = s + p[i].start;
        size_t vl = p[i].end - p[i].start;

        if (p[i].byte >= 0) {
            name[3] = hex[p[i].byte >> 4];
            name[4] = hex[p[i].byte & 15];
            v = name;
            vl = 6;
        }
        if (!mn_tokens_push(out, p[i].id, v, vl, p[i].start, p[i].end))
            return mn_model_oom();
    }
    return MNLP_OK;
}

static mnlp_status unigram_tokenize(const mn_model *self, const char *s, size_t len,
                                    mn_tokens *out)
{
    const unigram *u = (const unigram *)self;
    mn_tok_cache *cache = (mn_tok_cache *)&u->cache;
    const mn_piece *cached;
    mn_piece *p;
    int n;
    mnlp_status rc;

    if (len == 0)
        return MNLP_OK;
    if ((n = mn_tok_cache_get(cache, s, len, &cached)) >= 0)
        return push_pieces(s, cached, n, out);
    if ((rc = encode(u, s, len, &p, &n)) != MNLP_OK)
        return rc;
    mn_tok_cache_put(cache, s, len, p, n);
    rc = push_pieces(s, p, n, out);
    mn_free(p);
    return rc;
}

static int32_t unigram_token_to_id(const mn_model *self, const char *token, size_t len)
{
    return mn_vocab_get(&((const unigram *)self)->map, token, len);
}

static const char *unigram_id_to_token(const mn_model *self, int32_t id)
{
    const unigram *u = (const unigram *)self;

    return id >= 0 && id < u->n ? u->arena + u->text[2 * id] : NULL;
}

static int32_t unigram_vocab_size(const mn_model *self)
{
    return ((const unigram *)self)->n;
}

static void unigram_free(mn_model *self)
{
    unigram *u = (unigram *)self;

    if (!u)
        return;
    mn_vocab_free(&u->map);
    mn_free(u->arena);
    mn_free(u->text);
    mn_free(u->scores);
    mn_free(u->nodes);
    mn_tok_cache_free(&u->cache);
    mn_free(u);
}

/* ---- Loading (serialization.rs, Unigram::from) ------------------------------ */

static mnlp_status check_entry(const mn_json *e)
{
    if (e->type != MN_JSON_ARRAY || e->len != 2 || e->items[0].type != MN_JSON_STRING ||
        e->items[1].type != MN_JSON_NUMBER)
        return mn_json_error(e, MNLP_ERR_FORMAT, "is not a [piece, score] pair");
    return MNLP_OK;
}

/* "vocab": [[piece, score], ...]; a piece's id is its index. */
static mnlp_status read_vocab(unigram *u, const mn_json *vocab)
{
    size_t size = 0, used = 0;
    mnlp_status rc;

    if (vocab->type != MN_JSON_ARRAY)
        return mn_json_error(vocab, MNLP_ERR_FORMAT, "is %s, expected array",
                             mn_json_type_name(vocab->type));
    for (size_t i = 0; i < vocab->len; i++) {
        if ((rc = check_entry(&vocab->items[i])) != MNLP_OK)
            return rc;
        size += vocab->items[i].items[0].len + 1;
    }
    if (size >= UINT32_MAX || vocab->len >= INT32_MAX)
        return mn_json_error(vocab, MNLP_ERR_LIMIT, "vocab over 4 GiB");
    u->n = (int32_t)vocab->len;
    u->arena = mn_malloc(size + 1);
    u->text = mn_malloc(2 * sizeof(uint32_t) * (vocab->len + 1));
    u->scores = mn_malloc(sizeof(double) * (vocab->len + 1));
    if (!u->arena || !u->text || !u->scores)
        return mn_model_oom();
    u->min_score = INFINITY;
    for (int32_t i = 0; i < u->n; i++) {
        const mn_json *piece = &vocab->items[i].items[0];

        memcpy(u->arena + used, piece->str, piece->len);
        u->arena[used + piece->len] = '\0';
        u->text[2 * i] = (uint32_t)used;
        u->text[2 * i + 1] = (uint32_t)piece->len;
        used += piece->len + 1;
        u->scores[i] = vocab->items[i].items[1].number;
        if (u->scores[i] < u->min_score)
            u->min_score = u->scores[i];
        if (!mn_vocab_put(&u->map, piece->str, piece->len, i))
            return mn_model_oom();
    }
    return MNLP_OK;
}

static mnlp_status read_unk_id(unigram *u, const mn_json *node)
{
    const mn_json *v = mn_json_get(node, "unk_id");

    u->unk_id = -1;
    if (!v || v->type == MN_JSON_NULL)
        return MNLP_OK;
    if (v->type != MN_JSON_NUMBER || !v->is_int || v->integer < 0)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is not an unsigned integer");
    if (u->n == 0)
        return mn_json_error(v, MNLP_ERR_FORMAT, "the vocab is empty but unk_id is set");
    if (v->integer >= u->n)
        return mn_json_error(v, MNLP_ERR_FORMAT, "unk_id %lld is not below the vocab size %d",
                             (long long)v->integer, u->n);
    u->unk_id = (int32_t)v->integer;
    return MNLP_OK;
}

static mnlp_status read_model(unigram *u, const mn_json *node)
{
    const mn_json *vocab = mn_json_get(node, "vocab"), *bf = mn_json_get(node, "byte_fallback");
    mnlp_status rc;

    if (!vocab)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"vocab\"");
    if (bf && bf->type != MN_JSON_BOOL)
        return mn_json_error(bf, MNLP_ERR_FORMAT, "is %s, expected bool",
                             mn_json_type_name(bf->type));
    u->byte_fallback = bf && bf->boolean;
    if ((rc = read_vocab(u, vocab)) != MNLP_OK || (rc = read_unk_id(u, node)) != MNLP_OK ||
        (rc = build_trie(u)) != MNLP_OK)
        return rc;
    mn_byte_fallback_ids(&u->map, u->byte_ids);
    return mn_tok_cache_init(&u->cache);
}

mnlp_status mn_unigram_from_json(const mn_json *node, mn_model **out)
{
    unigram *u = mn_calloc(1, sizeof *u);
    mnlp_status rc;

    *out = NULL;
    if (!u)
        return mn_model_oom();
    u->base = (mn_model){unigram_tokenize, unigram_token_to_id, unigram_id_to_token,
                         unigram_vocab_size, unigram_free};
    if ((rc = read_model(u, node)) != MNLP_OK) {
        unigram_free(&u->base);
        return rc;
    }
    *out = &u->base;
    return MNLP_OK;
}

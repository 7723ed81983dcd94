/*
 * The model dispatch (tokenizers' ModelWrapper) and what the four models
 * share: the vocab with its reverse table, a uint64 hash map and the word
 * cache.
 */
#include "text/models.h"

#include <stdio.h>
#include <string.h>

mnlp_status mn_model_oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory in the tokenizer model");
}

/* ---- Dispatch ------------------------------------------------------------- */

/*
 * Files written before the "type" field (GPT-2's, RoBERTa's) are read by
 * tokenizers as an untagged enum tried in the order BPE, WordPiece,
 * WordLevel, Unigram; the fields each one requires tell them apart.
 */
static mnlp_status from_legacy(const mn_json *node, mn_model **out)
{
    const mn_json *vocab = mn_json_get(node, "vocab");

    if (mn_json_get(node, "merges"))
        return mn_bpe_from_json(node, out);
    if (vocab && vocab->type == MN_JSON_ARRAY)
        return mn_unigram_from_json(node, out);
    if (mn_json_get(node, "max_input_chars_per_word") ||
        mn_json_get(node, "continuing_subword_prefix"))
        return mn_wordpiece_from_json(node, out);
    return mn_wordlevel_from_json(node, out);
}

mnlp_status mn_model_from_json(const mn_json *node, mn_model **out)
{
    const mn_json *type = mn_json_get(node, "type");

    *out = NULL;
    if (node->type != MN_JSON_OBJECT)
        return mn_json_error(node, MNLP_ERR_FORMAT, "is %s, expected object",
                             mn_json_type_name(node->type));
    if (!type)
        return from_legacy(node, out);
    if (type->type != MN_JSON_STRING)
        return mn_json_error(type, MNLP_ERR_FORMAT, "is %s, expected string",
                             mn_json_type_name(type->type));
    if (strcmp(type->str, "BPE") == 0)
        return mn_bpe_from_json(node, out);
    if (strcmp(type->str, "WordPiece") == 0)
        return mn_wordpiece_from_json(node, out);
    if (strcmp(type->str, "WordLevel") == 0)
        return mn_wordlevel_from_json(node, out);
    if (strcmp(type->str, "Unigram") == 0)
        return mn_unigram_from_json(node, out);
    return mn_json_error(type, MNLP_ERR_UNSUPPORTED, "unknown model type \"%s\"", type->str);
}

/* ---- Vocab and reverse vocab ------------------------------------------------ */

static mnlp_status read_id(const mn_json *item, int32_t *id)
{
    if (item->type != MN_JSON_NUMBER || !item->is_int || item->integer < 0)
        return mn_json_error(item, MNLP_ERR_FORMAT, "token id is not an unsigned integer");
    if (item->integer > INT32_MAX)
        return mn_json_error(item, MNLP_ERR_LIMIT, "token id %lld is over 2^31 - 1",
                             (long long)item->integer);
    *id = (int32_t)item->integer;
    return MNLP_OK;
}

/* First pass: the map itself, the highest id and the bytes the keys need. */
static mnlp_status fill_map(const mn_json *obj, mn_vocab_pair *v, size_t *arena_size)
{
    int64_t max_id = -1;

    *arena_size = 0;
    for (size_t i = 0; i < obj->len; i++) {
        const mn_json *item = &obj->items[i];
        int32_t id = 0;
        mnlp_status rc = read_id(item, &id);

        if (rc != MNLP_OK)
            return rc;
        if (!mn_vocab_put(&v->map, item->key, item->key_len, id))
            return mn_model_oom();
        if (id > max_id)
            max_id = id;
        if (item->key_len > v->max_len)
            v->max_len = item->key_len;
        *arena_size += item->key_len + 1;
    }
    /* A vocab is dense in practice; a hole-ridden one would make the
     * reverse table (8 bytes per id) huge for nothing. */
    if (max_id + 1 > 2 * (int64_t)obj->len + 65536)
        return mn_json_error(obj, MNLP_ERR_LIMIT, "token ids up to %lld for %zu tokens",
                             (long long)max_id, obj->len);
    if (*arena_size >= UINT32_MAX)
        return mn_json_error(obj, MNLP_ERR_LIMIT, "vocab text over 4 GiB");
    v->n_ids = (int32_t)(max_id + 1);
    return MNLP_OK;
}

mnlp_status mn_vocab_pair_from_json(const mn_json *obj, mn_vocab_pair *v)
{
    size_t arena_size, used = 0;
    bool repeated;
    mnlp_status rc;

    memset(v, 0, sizeof *v);
    if (obj->type != MN_JSON_OBJECT)
        return mn_json_error(obj, MNLP_ERR_FORMAT, "is %s, expected object",
                             mn_json_type_name(obj->type));
    if ((rc = fill_map(obj, v, &arena_size)) != MNLP_OK)
        return rc;
    v->arena = mn_malloc(arena_size + 1);
    v->by_id = mn_malloc(2 * sizeof(uint32_t) * (size_t)(v->n_ids ? v->n_ids : 1));
    if (!v->arena || !v->by_id)
        return mn_model_oom();
    memset(v->by_id, 0xff, 2 * sizeof(uint32_t) * (size_t)v->n_ids);

    /* tokenizers builds vocab_r from the deduplicated map, so a repeated
     * key only names the id it kept. */
    repeated = v->map.count != obj->len;
    for (size_t i = 0; i < obj->len; i++) {
        const mn_json *item = &obj->items[i];
        int32_t id = (int32_t)item->integer;

        if (repeated && mn_vocab_get(&v->map, item->key, item->key_len) != id)
            continue;
        memcpy(v->arena + used, item->key, item->key_len);
        v->arena[used + item->key_len] = '\0';
        v->by_id[2 * id] = (uint32_t)used;
        v->by_id[2 * id + 1] = (uint32_t)item->key_len;
        used += item->key_len + 1;
    }
    return MNLP_OK;
}

void mn_vocab_pair_free(mn_vocab_pair *v)
{
    mn_vocab_free(&v->map);
    mn_free(v->arena);
    mn_free(v->by_id);
    memset(v, 0, sizeof *v);
}

const char *mn_vocab_pair_token(const mn_vocab_pair *v, int32_t id, size_t *len)
{
    if (id < 0 || id >= v->n_ids || v->by_id[2 * id] == UINT32_MAX)
        return NULL;
    if (len)
        *len = v->by_id[2 * id + 1];
    return v->arena + v->by_id[2 * id];
}

void mn_byte_fallback_ids(const mn_vocab *map, int32_t ids[256])
{
    char name[8];

    for (int b = 0; b < 256; b++) {
        snprintf(name, sizeof name, "<0x%02X>", b);
        ids[b] = mn_vocab_get(map, name, 6);
    }
}

/* ---- uint64 -> uint64 map --------------------------------------------------- */

#define U64_EMPTY UINT64_MAX

/* splitmix64's finaliser: pair and edge keys are far from random. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static bool u64map_rehash(mn_u64map *m, uint64_t cap)
{
    uint64_t *slots = mn_calloc(cap, 2 * sizeof(uint64_t));

    if (!slots)
        return false;
    for (uint64_t i = 0; i < cap; i++)
        slots[2 * i] = U64_EMPTY;
    for (uint64_t i = 0; m->slots && i <= m->mask; i++) {
        uint64_t key = m->slots[2 * i], j;

        if (key == U64_EMPTY)
            continue;
        for (j = mix(key) & (cap - 1); slots[2 * j] != U64_EMPTY; j = (j + 1) & (cap - 1))
            ;
        slots[2 * j] = key;
        slots[2 * j + 1] = m->slots[2 * i + 1];
    }
    mn_free(m->slots);
    m->slots = slots;
    m->mask = cap - 1;
    return true;
}

bool mn_u64map_reserve(mn_u64map *m, uint64_t n)
{
    uint64_t cap = 16;

    while (cap * 3 < n * 4 + 4) {
        if (cap > (UINT64_MAX >> 8))
            return false;
        cap *= 2;
    }
    if (m->slots && cap <= m->mask + 1)
        return true;
    return u64map_rehash(m, cap);
}

bool mn_u64map_put(mn_u64map *m, uint64_t key, uint64_t value)
{
    uint64_t j;

    if (!mn_u64map_reserve(m, m->count + 1))
        return false;
    for (j = mix(key) & m->mask; m->slots[2 * j] != U64_EMPTY; j = (j + 1) & m->mask) {
        if (m->slots[2 * j] == key) {
            m->slots[2 * j + 1] = value;
            return true;
        }
    }
    m->slots[2 * j] = key;
    m->slots[2 * j + 1] = value;
    m->count++;
    return true;
}

bool mn_u64map_get(const mn_u64map *m, uint64_t key, uint64_t *value)
{
    if (!m->slots)
        return false;
    for (uint64_t j = mix(key) & m->mask; m->slots[2 * j] != U64_EMPTY; j = (j + 1) & m->mask) {
        if (m->slots[2 * j] == key) {
            *value = m->slots[2 * j + 1];
            return true;
        }
    }
    return false;
}

void mn_u64map_free(mn_u64map *m)
{
    mn_free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ---- Word cache ------------------------------------------------------------- */

struct mn_cache_entry {
    uint64_t hash;
    uint32_t len;
    int n;
    mn_piece *pieces;       /* n, right after the entry */
    char *key;              /* len bytes, after the pieces */
};

/* A power of two that keeps the table at most 2/3 full when at capacity. */
#define CACHE_SLOTS 16384

mnlp_status mn_tok_cache_init(mn_tok_cache *c)
{
    memset(c, 0, sizeof *c);
    if (!(c->slots = mn_calloc(CACHE_SLOTS, sizeof *c->slots)))
        return mn_model_oom();
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        mn_free(c->slots);
        c->slots = NULL;
        return mn_errorf(MNLP_ERR_INTERNAL, "cannot create the tokenizer cache lock");
    }
    c->mask = CACHE_SLOTS - 1;
    return MNLP_OK;
}

void mn_tok_cache_free(mn_tok_cache *c)
{
    if (!c->slots)
        return;
    for (uint32_t i = 0; i <= c->mask; i++)
        mn_free(c->slots[i]);
    mn_free(c->slots);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof *c);
}

/* The slot holding s, or the empty slot where it would go. */
static uint32_t cache_find(const mn_tok_cache *c, const char *s, size_t len, uint64_t h)
{
    uint32_t j = (uint32_t)h & c->mask;

    for (; c->slots[j]; j = (j + 1) & c->mask) {
        const struct mn_cache_entry *e = c->slots[j];

        if (e->hash == h && e->len == len && memcmp(e->key, s, len) == 0)
            break;
    }
    return j;
}

int mn_tok_cache_get(mn_tok_cache *c, const char *s, size_t len, const mn_piece **pieces)
{
    uint64_t h;
    const struct mn_cache_entry *e;

    if (!c->slots || len >= MN_CACHE_MAX_LEN)
        return -1;
    h = mn_hash(s, len);
    if (pthread_mutex_trylock(&c->lock) != 0)
        return -1;
    e = c->slots[cache_find(c, s, len, h)];
    pthread_mutex_unlock(&c->lock);
    /* Entries are never changed or removed while the cache lives. */
    if (!e)
        return -1;
    *pieces = e->pieces;
    return e->n;
}

void mn_tok_cache_put(mn_tok_cache *c, const char *s, size_t len, const mn_piece *pieces,
                      int n)
{
    struct mn_cache_entry *e;
    uint64_t h;
    uint32_t j;

    if (!c->slots || len >= MN_CACHE_MAX_LEN || n < 0)
        return;
    h = mn_hash(s, len);
    e = mn_malloc(sizeof *e + (size_t)n * sizeof *pieces + len);
    if (!e)
        return;
    e->hash = h;
    e->len = (uint32_t)len;
    e->n = n;
    e->pieces = (mn_piece *)(e + 1);
    e->key = (char *)(e->pieces + n);
    if (n > 0)
        memcpy(e->pieces, pieces, (size_t)n * sizeof *pieces);
    if (len > 0)
        memcpy(e->key, s, len);
    if (pthread_mutex_trylock(&c->lock) != 0) {
        mn_free(e);
        return;
    }
    j = cache_find(c, s, len, h);
    if (c->count < MN_CACHE_CAPACITY && !c->slots[j]) {
        c->slots[j] = e;
        c->count++;
        e = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    mn_free(e);
}

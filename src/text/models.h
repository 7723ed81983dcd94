/*
 * Shared parts of the tokenizer models (BPE, WordPiece, WordLevel,
 * Unigram): the id -> token table, a uint64 -> uint64 hash map for merge
 * pairs and trie edges, and a bounded per-model cache of word results.
 * mn_model_from_json (tok.h) dispatches to the four builders below.
 */
#ifndef MN_TEXT_MODELS_H
#define MN_TEXT_MODELS_H

#include "text/tok.h"

#include <pthread.h>

/* Builders of the four models, each given its "model" object. */
mnlp_status mn_bpe_from_json(const mn_json *node, mn_model **out);
mnlp_status mn_wordpiece_from_json(const mn_json *node, mn_model **out);
mnlp_status mn_wordlevel_from_json(const mn_json *node, mn_model **out);
mnlp_status mn_unigram_from_json(const mn_json *node, mn_model **out);

/* ---- A token -> id vocab with its reverse (tokenizers' vocab + vocab_r) -- */

typedef struct mn_vocab_pair {
    mn_vocab map;           /* token -> id; a repeated key keeps its last id */
    char *arena;            /* the text of every token of by_id, NUL-terminated */
    uint32_t *by_id;        /* 2 * n_ids: arena offset and length, or UINT32_MAX */
    int32_t n_ids;          /* highest id + 1 */
    size_t max_len;         /* longest token in bytes */
} mn_vocab_pair;

/*
 * Read a {"token": id, ...} object (tokenizers' AHashMap<String, u32>). When
 * two tokens share an id, id_to_token gives the later one. Ids must be
 * integers in [0, INT32_MAX] and not so sparse that the reverse table would
 * dwarf the vocab.
 */
mnlp_status mn_vocab_pair_from_json(const mn_json *obj, mn_vocab_pair *v);
void mn_vocab_pair_free(mn_vocab_pair *v);

/* The token of id, or NULL; *len receives its length when not NULL. */
const char *mn_vocab_pair_token(const mn_vocab_pair *v, int32_t id, size_t *len);

/* ids[b] = the id of "<0xXX>" for every byte b, or -1 (byte_fallback). */
void mn_byte_fallback_ids(const mn_vocab *map, int32_t ids[256]);

/* ---- uint64 -> uint64 open-addressing hash map -------------------------- */

typedef struct mn_u64map {
    uint64_t *slots;        /* key, value pairs; key UINT64_MAX marks empty */
    uint64_t mask;          /* capacity - 1 */
    uint64_t count;
} mn_u64map;

/* Room for n entries without growing; false when out of memory. */
bool mn_u64map_reserve(mn_u64map *m, uint64_t n);
/* Insert or overwrite (key != UINT64_MAX); false when out of memory. */
bool mn_u64map_put(mn_u64map *m, uint64_t key, uint64_t value);
/* The value of key in *value; false when absent. */
bool mn_u64map_get(const mn_u64map *m, uint64_t key, uint64_t *value);
void mn_u64map_free(mn_u64map *m);

/* ---- A bounded cache: piece text -> tokens (id and offsets) ------------- */

/*
 * tokenizers caches the results of words shorter than 256 bytes, up to
 * 10000 words per model, and stops inserting when full. The cache is
 * shared by threads; a thread that finds it locked simply goes without.
 */
#define MN_CACHE_MAX_LEN 256
#define MN_CACHE_CAPACITY 10000

typedef struct mn_piece {
    int32_t id;
    uint32_t start, end;
    int32_t byte;           /* Unigram: the byte of a "<0xXX>" token, else -1 */
} mn_piece;

typedef struct mn_tok_cache {
    pthread_mutex_t lock;
    struct mn_cache_entry **slots;
    uint32_t mask, count;
} mn_tok_cache;

mnlp_status mn_tok_cache_init(mn_tok_cache *c);
void mn_tok_cache_free(mn_tok_cache *c);

/* The cached pieces of s (valid while the cache lives) and their count, or
 * -1 when absent or the cache is busy. */
int mn_tok_cache_get(mn_tok_cache *c, const char *s, size_t len, const mn_piece **pieces);
/* Remember the pieces of s; silently does nothing when full, busy or out
 * of memory, since the cache only saves time. */
void mn_tok_cache_put(mn_tok_cache *c, const char *s, size_t len, const mn_piece *pieces,
                      int n);

/* Length of the UTF-8 sequence at s[0..len), 1 for a stray byte, never
 * past len. */
static inline size_t mn_char_len(const char *s, size_t len)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

    return n < len ? n : len;
}

mnlp_status mn_model_oom(void);

#endif

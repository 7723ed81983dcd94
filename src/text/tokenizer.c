/*
 * tokenizer.json, end to end: added tokens are split off first (before
 * normalization for tokens with normalized false, after it for the rest),
 * then each remaining piece is normalized, pre-tokenized and run through
 * the model; the post-processor adds special tokens; offsets are mapped
 * back to the input and reported in code points. This is the order of
 * tokenizers' Tokenizer::encode (tokenizer/mod.rs, added_vocabulary.rs).
 */
#include "text/chat.h"
#include "text/convert.h"
#include "text/decoders.h"
#include "text/encoding.h"
#include "text/pretrained.h"
#include "text/tok.h"
#include "mnlp/tokenizer.h"

#include "base/files.h"
#include "base/thread.h"
#include "base/utf8.h"

#include <string.h>
#include <utf8proc.h>

#define MAX_TOKENIZER_BYTES (256u << 20)

typedef struct added_token {
    char *content;
    char *normalized;     /* the content after the normalizer, when it differs */
    int32_t id;
    bool single_word, lstrip, rstrip, is_normalized, special;
} added_token;

/*
 * A byte trie of added-token patterns, for the leftmost-longest search
 * tokenizers runs with aho-corasick: from each position, the deepest node
 * that ends a pattern is the match. The root's children are indexed by
 * byte; deeper nodes keep their children in a sibling list.
 */
typedef struct trie_node {
    int32_t child, sibling;   /* node indices, -1 for none */
    int32_t token;            /* index into added, -1 if no pattern ends here */
    uint8_t byte;
} trie_node;

typedef struct matcher {
    int32_t root[256];
    trie_node *nodes;
    int n, cap;
    bool any;
} matcher;

typedef struct truncation {
    bool on;
    int max_length, stride;
    bool from_left;
    enum { LONGEST_FIRST, ONLY_FIRST, ONLY_SECOND } strategy;
} truncation;

typedef struct padding {
    bool on, fixed, left;
    int length, multiple;
    int32_t pad_id, pad_type_id;
    char *pad_token;
} padding;

struct mnlp_tokenizer {
    mn_normalizer *normalizer;
    mn_pre_tokenizer *pre_tokenizer;
    mn_model *model;
    mn_post_processor *post_processor;
    mn_decoder *decoder;
    added_token *added;
    int n_added;
    mn_vocab added_ids;           /* content -> id */
    matcher raw, normalized;      /* tokens matched before / after normalization */
    truncation truncation;
    padding padding;
    /* What transformers keeps beside the backend (text/pretrained.c). */
    char *special[MNLP_SPECIAL_TOKEN_COUNT];
    char **additional_special;
    int n_additional_special;
    bool clean_up_spaces;
    size_t model_max_length;
    mn_chat_templates chat;
    char error[MN_ERROR_MAX];
};

struct mnlp_encoding {
    mn_encoding e;
};

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory in the tokenizer");
}

void mnlp_free(void *ptr)
{
    mn_free(ptr);
}

/* ---- Added tokens --------------------------------------------------------- */

static const added_token *added_by_id(const mnlp_tokenizer *t, int32_t id)
{
    for (int i = 0; i < t->n_added; i++)
        if (t->added[i].id == id)
            return &t->added[i];
    return NULL;
}

static const char *pattern_of(const added_token *a)
{
    return a->is_normalized && a->normalized ? a->normalized : a->content;
}

/* The child of parent (-1: the root) for byte b, added when absent; -1 when out of memory. */
static int32_t trie_child(matcher *m, int32_t parent, uint8_t b)
{
    int32_t node = parent < 0 ? m->root[b] : m->nodes[parent].child, last = -1;

    for (; node >= 0; last = node, node = m->nodes[node].sibling)
        if (m->nodes[node].byte == b)
            return node;
    if (!mn_grow((void **)&m->nodes, &m->cap, m->n + 1, sizeof *m->nodes))
        return -1;
    node = m->n++;
    m->nodes[node] = (trie_node){-1, -1, -1, b};
    if (parent < 0)
        m->root[b] = node;
    else if (last < 0)
        m->nodes[parent].child = node;
    else
        m->nodes[last].sibling = node;
    return node;
}

/* Add pattern p for added token index tok; the first token keeps a pattern. */
static bool trie_insert(matcher *m, const char *p, int32_t tok)
{
    int32_t node = -1;

    for (size_t i = 0; p[i]; i++)
        if ((node = trie_child(m, node, (uint8_t)p[i])) < 0)
            return false;
    if (m->nodes[node].token < 0)
        m->nodes[node].token = tok;
    m->any = true;
    return true;
}

/* The longest pattern starting at s[pos]: its token index (and *len), or -1. */
static int32_t trie_longest(const matcher *m, const char *s, size_t len, size_t pos,
                            size_t *match_len)
{
    int32_t node = m->root[(unsigned char)s[pos]], best = -1;

    for (size_t depth = 1; node >= 0; depth++) {
        const trie_node *nd = &m->nodes[node];

        if (nd->token >= 0) {
            best = nd->token;
            *match_len = depth;
        }
        if (pos + depth >= len)
            break;
        for (node = nd->child; node >= 0 && m->nodes[node].byte != (uint8_t)s[pos + depth];)
            node = m->nodes[node].sibling;
    }
    return best;
}

static void matcher_reset(matcher *m)
{
    mn_free(m->nodes);
    memset(m, 0, sizeof *m);
    memset(m->root, 0xff, sizeof m->root);
}

static mnlp_status build_matchers(mnlp_tokenizer *t)
{
    matcher_reset(&t->raw);
    matcher_reset(&t->normalized);
    for (int i = 0; i < t->n_added; i++) {
        const char *p = pattern_of(&t->added[i]);

        if (*p && !trie_insert(t->added[i].is_normalized ? &t->normalized : &t->raw, p, i))
            return oom();
    }
    return MNLP_OK;
}

/* Rust regex's \w: alphanumeric, marks, connector punctuation, joiners. */
static bool is_word_char(uint32_t cp)
{
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);

    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ND) ||
           c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO ||
           c == UTF8PROC_CATEGORY_PC || cp == 0x200c || cp == 0x200d;
}

/* The White_Space property, which Rust regex's \s matches. */
static bool is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static uint32_t cp_before(const char *s, size_t at)
{
    size_t i = at;
    uint32_t cp = 0;

    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i > 0)
        i--;
    mn_utf8_decode((const unsigned char *)s + i, at - i, &cp);
    return cp;
}

static uint32_t cp_at(const char *s, size_t len, size_t at, int *n)
{
    uint32_t cp = 0;

    *n = mn_utf8_decode((const unsigned char *)s + at, len - at, &cp);
    if (*n == 0)
        *n = 1;
    return cp;
}

/* tokenizers' AddedVocabulary::find_matches on one piece. */
static mnlp_status find_added(const mnlp_tokenizer *t, const matcher *m, const mn_nstr *n,
                              mn_matches *runs, int32_t **ids)
{
    size_t pos = 0, start_offset = 0, len = n->len;
    const char *s = n->s;
    int n_ids = 0, cap = 0;

    *ids = NULL;
    while (pos < len) {
        size_t start = pos, stop, match_len = 0;
        int32_t found = trie_longest(m, s, len, pos, &match_len);
        const added_token *hit = found >= 0 ? &t->added[found] : NULL;
        int step;

        if (!hit) {
            cp_at(s, len, pos, &step);
            pos += (size_t)step;
            continue;
        }
        stop = start + match_len;
        pos = stop;
        if (hit->single_word) {
            bool start_space = start == 0 || !is_word_char(cp_before(s, start));
            bool stop_space = stop == len || !is_word_char(cp_at(s, len, stop, &step));

            if (!start_space || !stop_space)
                continue;
        }
        if (hit->lstrip) {
            size_t ns = start;

            while (ns > 0 && is_space(cp_before(s, ns))) {
                size_t k = ns - 1;

                while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
                    k--;
                ns = k;
            }
            start = ns > start_offset ? ns : start_offset;
        }
        if (hit->rstrip)
            while (stop < len && is_space(cp_at(s, len, stop, &step)))
                stop += (size_t)step;
        if ((start_offset < start && !mn_matches_push(runs, start_offset, start, false)) ||
            !mn_matches_push(runs, start, stop, true) ||
            !mn_grow((void **)ids, &cap, n_ids + 1, sizeof **ids))
            return oom();
        (*ids)[n_ids++] = hit->id;
        start_offset = stop;
        pos = stop > pos ? stop : pos;
    }
    if (start_offset < len && !mn_matches_push(runs, start_offset, len, false))
        return oom();
    return MNLP_OK;
}

/*
 * Replace every split that is not yet tokenized by the pieces around the
 * added tokens found in it; the tokens become tokenized splits. With
 * normalize, each piece first goes through the normalizer (as the second
 * pass of extract_and_normalize does).
 */
static mnlp_status split_added(const mnlp_tokenizer *t, const matcher *m, bool normalize,
                               mn_pretok *pt)
{
    mn_pretok out = {0};
    mnlp_status rc = MNLP_OK;

    for (int i = 0; i < pt->n && rc == MNLP_OK; i++) {
        mn_split *sp = &pt->splits[i];
        mn_matches runs = {0};
        int32_t *ids = NULL;
        int next_id = 0;

        if (sp->tokenized) {
            if (!mn_pretok_move(&out, sp))
                rc = oom();
            continue;
        }
        if (normalize && t->normalizer)
            rc = t->normalizer->normalize(t->normalizer, &sp->n);
        if (rc == MNLP_OK && m->any)
            rc = find_added(t, m, &sp->n, &runs, &ids);
        else if (rc == MNLP_OK && !mn_matches_push(&runs, 0, sp->n.len, false))
            rc = oom();
        for (int r = 0; r < runs.n && rc == MNLP_OK; r++) {
            const mn_match *run = &runs.items[r];
            mn_nstr piece;
            mn_split *ns;

            if (run->start == run->end)
                continue;
            if ((rc = mn_nstr_slice(&sp->n, run->start, run->end, &piece)) != MNLP_OK)
                break;
            if (!mn_pretok_push(&out, &piece)) {
                mn_nstr_free(&piece);
                rc = oom();
                break;
            }
            ns = &out.splits[out.n - 1];
            if (run->is_match) {
                ns->tokenized = true;
                if (!mn_tokens_push(&ns->tokens, ids[next_id++], ns->n.s, ns->n.len, 0,
                                    ns->n.len))
                    rc = oom();
            }
        }
        mn_free(ids);
        mn_matches_free(&runs);
    }
    if (rc != MNLP_OK) {
        mn_pretok_free(&out);
        return rc;
    }
    mn_pretok_free(pt);
    *pt = out;
    return MNLP_OK;
}

/* ---- Encoding one sequence ------------------------------------------------ */

/* Byte offsets -> code point offsets, as BytesToCharOffsetConverter::convert. */
static void to_char_offsets(const uint32_t *char_of_byte, size_t len, uint32_t *o)
{
    uint32_t s = o[0], e = o[1];

    if (s >= len)
        return; /* no conversion: tokenizers keeps the offsets as they are */
    o[0] = char_of_byte[s];
    o[1] = e < len ? char_of_byte[e] : (e - 1 < len ? char_of_byte[e - 1] + 1 : o[0] + 1);
}

static mnlp_status into_encoding(const mn_pretok *pt, const char *text, size_t len,
                                 mn_encoding *e)
{
    uint32_t *char_of_byte = mn_calloc(len + 1, sizeof *char_of_byte);
    uint32_t c = 0;

    if (!char_of_byte)
        return oom();
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && ((unsigned char)text[i] & 0xc0) != 0x80)
            c++;
        char_of_byte[i] = c;
    }
    for (int w = 0; w < pt->n; w++) {
        const mn_split *sp = &pt->splits[w];

        for (int k = 0; k < sp->tokens.n; k++) {
            const mn_token *tk = &sp->tokens.items[k];
            uint32_t o[2];

            if (tk->start == tk->end) {
                o[0] = sp->n.orig_start + (uint32_t)tk->start;
                o[1] = sp->n.orig_start + (uint32_t)tk->end;
            } else {
                mn_nstr_orig_span(&sp->n, tk->start, tk->end, &o[0], &o[1]);
            }
            to_char_offsets(char_of_byte, len, o);
            if (!mn_encoding_push(e, tk->id, tk->value, 0, w, o[0], o[1], false)) {
                mn_free(char_of_byte);
                return oom();
            }
        }
    }
    mn_free(char_of_byte);
    return MNLP_OK;
}

static mnlp_status tokenize_splits(const mnlp_tokenizer *t, mn_pretok *pt)
{
    for (int i = 0; i < pt->n; i++) {
        mn_split *sp = &pt->splits[i];
        mnlp_status rc;

        if (sp->tokenized)
            continue;
        if ((rc = t->model->tokenize(t->model, sp->n.s, sp->n.len, &sp->tokens)) != MNLP_OK)
            return rc;
        sp->tokenized = true;
    }
    return MNLP_OK;
}

static mnlp_status encode_one(const mnlp_tokenizer *t, const char *text, size_t len,
                              mn_encoding *e)
{
    mn_pretok pt = {0};
    mn_nstr whole;
    size_t bad;
    mnlp_status rc;

    if (len > UINT32_MAX / 2)
        return mn_errorf(MNLP_ERR_LIMIT, "input of %zu bytes is too long", len);
    if (!mn_utf8_valid(text, len, &bad))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input is not valid UTF-8 at byte %zu",
                         bad);
    if ((rc = mn_nstr_init(&whole, text, len, 0)) != MNLP_OK)
        return rc;
    if (!mn_pretok_push(&pt, &whole)) {
        mn_nstr_free(&whole);
        return oom();
    }
    rc = split_added(t, &t->raw, false, &pt);
    if (rc == MNLP_OK)
        rc = split_added(t, &t->normalized, true, &pt);
    if (rc == MNLP_OK && t->pre_tokenizer)
        rc = t->pre_tokenizer->pre_tokenize(t->pre_tokenizer, &pt);
    if (rc == MNLP_OK)
        rc = tokenize_splits(t, &pt);
    if (rc == MNLP_OK)
        rc = into_encoding(&pt, text, len, e);
    mn_pretok_free(&pt);
    return rc;
}

/* ---- Post-processing: truncate, add special tokens, pad ------------------- */

static void truncate_pair(const truncation *tr, int max_len, mn_encoding *enc, int n)
{
    int total = enc[0].n + (n == 2 ? enc[1].n : 0), remove;

    if (max_len < 0)
        max_len = 0;
    if (total <= max_len)
        return;
    remove = total - max_len;
    if (n == 1 || tr->strategy != LONGEST_FIRST) {
        mn_encoding *target = tr->strategy == ONLY_SECOND && n == 2 ? &enc[1] : &enc[0];

        if (n == 1 || target->n > remove)
            mn_encoding_truncate(target, target->n - remove, tr->from_left);
        return;
    }
    /* LongestFirst on a pair (truncate_encodings): trim the longer one first. */
    {
        int n1 = enc[0].n, n2 = enc[1].n, swap = n1 > n2;

        if (swap) {
            int tmp = n1;
            n1 = n2, n2 = tmp;
        }
        n2 = n1 > max_len ? n1 : (n1 > max_len - n1 ? n1 : max_len - n1);
        if (n1 + n2 > max_len) {
            n1 = max_len / 2;
            n2 = n1 + max_len % 2;
        }
        if (swap) {
            int tmp = n1;
            n1 = n2, n2 = tmp;
        }
        mn_encoding_truncate(&enc[0], n1, tr->from_left);
        mn_encoding_truncate(&enc[1], n2, tr->from_left);
    }
}

static mnlp_status pad(const padding *p, mn_encoding *e)
{
    int target = p->fixed ? p->length : e->n;

    if (p->multiple > 0 && target % p->multiple)
        target += p->multiple - target % p->multiple;
    while (e->n < target) {
        if (!mn_encoding_push(e, p->pad_id, p->pad_token, p->pad_type_id, -1, 0, 0, true))
            return oom();
        e->attention[e->n - 1] = 0;
        if (p->left) {
            /* Rotate the pad to the front. */
            int last = e->n - 1;
            int32_t id = e->ids[last], type = e->type_ids[last], word = e->words[last];
            char *tok = e->tokens[last];

            memmove(e->ids + 1, e->ids, sizeof *e->ids * (size_t)last);
            memmove(e->type_ids + 1, e->type_ids, sizeof *e->type_ids * (size_t)last);
            memmove(e->words + 1, e->words, sizeof *e->words * (size_t)last);
            memmove(e->tokens + 1, e->tokens, sizeof *e->tokens * (size_t)last);
            memmove(e->offsets + 2, e->offsets, sizeof *e->offsets * 2 * (size_t)last);
            memmove(e->special + 1, e->special, (size_t)last);
            memmove(e->attention + 1, e->attention, (size_t)last);
            e->ids[0] = id, e->type_ids[0] = type, e->words[0] = word, e->tokens[0] = tok;
            e->offsets[0] = e->offsets[1] = 0;
            e->special[0] = 1, e->attention[0] = 0;
        }
    }
    return MNLP_OK;
}

static mnlp_status post_process(const mnlp_tokenizer *t, mn_encoding *enc, int n, bool add,
                                mn_encoding *out)
{
    mnlp_status rc = MNLP_OK;

    if (t->truncation.on) {
        int added = add && t->post_processor
                        ? t->post_processor->added_tokens(t->post_processor, n == 2)
                        : 0;

        truncate_pair(&t->truncation, t->truncation.max_length - added, enc, n);
    }
    if (t->post_processor) {
        rc = t->post_processor->process(t->post_processor, enc, &n, add);
    } else {
        /* default_process: each sequence's type id is its index. */
        for (int i = 0; i < n; i++)
            for (int k = 0; k < enc[i].n; k++)
                enc[i].type_ids[k] = i;
    }
    for (int i = 0; i < n && rc == MNLP_OK; i++)
        if (!mn_encoding_append(out, &enc[i]))
            rc = oom();
    if (rc == MNLP_OK && t->padding.on)
        rc = pad(&t->padding, out);
    return rc;
}

static mnlp_status encode(const mnlp_tokenizer *t, const char *a, size_t a_len, const char *b,
                          size_t b_len, bool add, mnlp_encoding **out)
{
    mn_encoding enc[2] = {{0}, {0}};
    int n = b ? 2 : 1;
    mnlp_encoding *result = mn_calloc(1, sizeof *result);
    mnlp_status rc = result ? MNLP_OK : oom();

    *out = NULL;
    if (rc == MNLP_OK)
        rc = encode_one(t, a, a_len, &enc[0]);
    if (rc == MNLP_OK && b)
        rc = encode_one(t, b, b_len, &enc[1]);
    if (rc == MNLP_OK)
        rc = post_process(t, enc, n, add, &result->e);
    mn_encoding_free(&enc[0]);
    mn_encoding_free(&enc[1]);
    if (rc != MNLP_OK) {
        mnlp_encoding_free(result);
        return mn_error_keep(((mnlp_tokenizer *)t)->error, rc);
    }
    *out = result;
    return MNLP_OK;
}

mnlp_status mnlp_tokenizer_encode(const mnlp_tokenizer *tok, const char *text, size_t text_len,
                                  bool add_special_tokens, mnlp_encoding **out)
{
    return encode(tok, text, text_len, NULL, 0, add_special_tokens, out);
}

typedef struct batch_job {
    const mnlp_tokenizer *tok;
    const char *const *texts;
    const size_t *lens;
    bool add;
    mnlp_encoding **out;
    mnlp_status *status;
} batch_job;

static void encode_task(void *ctx, int i)
{
    batch_job *j = ctx;

    j->status[i] = encode(j->tok, j->texts[i], j->lens[i], NULL, 0, j->add, &j->out[i]);
}

mnlp_status mnlp_tokenizer_encode_batch(const mnlp_tokenizer *tok, const char *const *texts,
                                        const size_t *lens, size_t n, bool add_special_tokens,
                                        mnlp_encoding **out)
{
    mnlp_status *status;
    batch_job j = {tok, texts, lens, add_special_tokens, out, NULL};
    mnlp_status rc = MNLP_OK;
    int longest = 0;

    memset(out, 0, n * sizeof *out);
    if (n > INT32_MAX)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "batch of %zu texts is too large", n);
    if (!(status = mn_calloc(n ? n : 1, sizeof *status)))
        return mn_error_keep(((mnlp_tokenizer *)tok)->error, oom());
    j.status = status;
    mn_parallel_for((int)n, encode_task, &j);
    for (size_t i = 0; i < n && rc == MNLP_OK; i++) {
        if (status[i] != MNLP_OK) {
            /* Workers' messages stay on their threads: encode again here for it. */
            mnlp_encoding *again = NULL;

            rc = encode(tok, texts[i], lens[i], NULL, 0, add_special_tokens, &again);
            mnlp_encoding_free(again);
            if (rc == MNLP_OK)
                rc = status[i];
            mn_error_prefix(rc, "text %zu", i);
        } else if (out[i]->e.n > longest) {
            longest = out[i]->e.n;
        }
    }
    /* BatchLongest padding: every encoding grows to the longest of the batch. */
    if (rc == MNLP_OK && tok->padding.on && !tok->padding.fixed) {
        padding p = tok->padding;

        p.fixed = true;
        p.length = longest;
        for (size_t i = 0; i < n && rc == MNLP_OK; i++)
            rc = pad(&p, &out[i]->e);
    }
    mn_free(status);
    if (rc != MNLP_OK) {
        for (size_t i = 0; i < n; i++) {
            mnlp_encoding_free(out[i]);
            out[i] = NULL;
        }
        return mn_error_keep(((mnlp_tokenizer *)tok)->error, rc);
    }
    return MNLP_OK;
}

mnlp_status mnlp_tokenizer_set_truncation(mnlp_tokenizer *tok, const mnlp_truncation *opts)
{
    if (!opts) {
        tok->truncation.on = false;
        return MNLP_OK;
    }
    if (opts->max_length > INT32_MAX || opts->stride >= opts->max_length + (opts->max_length == 0))
        return mn_error_keep(tok->error,
                             mn_errorf(MNLP_ERR_INVALID_ARGUMENT,
                                       "truncation: max_length %zu, stride %zu are invalid",
                                       opts->max_length, opts->stride));
    tok->truncation.on = true;
    tok->truncation.max_length = (int)opts->max_length;
    tok->truncation.stride = (int)opts->stride;
    tok->truncation.from_left = opts->left;
    tok->truncation.strategy = opts->strategy == MNLP_TRUNCATE_ONLY_FIRST    ? ONLY_FIRST
                               : opts->strategy == MNLP_TRUNCATE_ONLY_SECOND ? ONLY_SECOND
                                                                             : LONGEST_FIRST;
    return MNLP_OK;
}

mnlp_status mnlp_tokenizer_set_padding(mnlp_tokenizer *tok, const mnlp_padding *opts)
{
    char *token;

    if (!opts) {
        tok->padding.on = false;
        return MNLP_OK;
    }
    if (opts->length > INT32_MAX || opts->multiple_of > INT32_MAX)
        return mn_error_keep(tok->error, mn_errorf(MNLP_ERR_INVALID_ARGUMENT,
                                                   "padding: length %zu is invalid",
                                                   opts->length));
    if (!(token = mn_strdup(opts->pad_token ? opts->pad_token : "[PAD]")))
        return mn_error_keep(tok->error, oom());
    mn_free(tok->padding.pad_token);
    tok->padding.pad_token = token;
    tok->padding.on = true;
    tok->padding.fixed = opts->length > 0;
    tok->padding.length = (int)opts->length;
    tok->padding.multiple = (int)opts->multiple_of;
    tok->padding.left = opts->left;
    tok->padding.pad_id = opts->pad_id;
    tok->padding.pad_type_id = opts->pad_type_id;
    return MNLP_OK;
}

mnlp_status mnlp_tokenizer_encode_pair(const mnlp_tokenizer *tok, const char *a, size_t a_len,
                                       const char *b, size_t b_len, bool add_special_tokens,
                                       mnlp_encoding **out)
{
    return encode(tok, a, a_len, b, b_len, add_special_tokens, out);
}

/* ---- Decoding ------------------------------------------------------------- */

/*
 * transformers' clean_up_tokenization: spaces before punctuation and
 * English contractions go, each replacement over the whole text in turn.
 */
static void clean_up_tokenization(mn_sb *sb)
{
    static const char *const from[] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " 's",
                                       " 've", " 're"};
    static const char *const to[] = {".", "?", "!", ",", "'", "n't", "'m", "'s", "'ve", "'re"};

    for (size_t k = 0; k < sizeof from / sizeof *from && !sb->failed && sb->data; k++) {
        size_t flen = strlen(from[k]), tlen = strlen(to[k]), w = 0;

        /* Each replacement is no longer than its pattern, so it runs in place. */
        for (size_t i = 0; i < sb->len;) {
            if (sb->len - i >= flen && memcmp(sb->data + i, from[k], flen) == 0) {
                memmove(sb->data + w, to[k], tlen);
                w += tlen;
                i += flen;
            } else {
                sb->data[w++] = sb->data[i++];
            }
        }
        sb->len = w;
        sb->data[w] = '\0';
    }
}

static bool is_special_content(const mnlp_tokenizer *t, const char *token)
{
    for (int i = 0; i < t->n_added; i++)
        if (t->added[i].special && strcmp(t->added[i].content, token) == 0)
            return true;
    return false;
}

const char *mnlp_tokenizer_id_to_token(const mnlp_tokenizer *tok, int32_t id)
{
    const added_token *a = added_by_id(tok, id);

    /* simple_id_to_token: an added token reads as its normalized form. */
    if (a)
        return a->normalized ? a->normalized : a->content;
    return tok->model->id_to_token(tok->model, id);
}

int32_t mnlp_tokenizer_token_to_id(const mnlp_tokenizer *tok, const char *token)
{
    int32_t id = mn_vocab_get(&tok->added_ids, token, strlen(token));

    return id >= 0 ? id : tok->model->token_to_id(tok->model, token, strlen(token));
}

size_t mnlp_tokenizer_vocab_size(const mnlp_tokenizer *tok)
{
    size_t n = (size_t)tok->model->vocab_size(tok->model);

    for (int i = 0; i < tok->n_added; i++)
        if (tok->model->token_to_id(tok->model, tok->added[i].content,
                                    strlen(tok->added[i].content)) < 0)
            n++;
    return n;
}

mnlp_status mnlp_tokenizer_decode(const mnlp_tokenizer *tok, const int32_t *ids, size_t n,
                                  bool skip_special_tokens, char **out, size_t *out_len)
{
    mn_strs tokens = {0};
    mn_sb sb = {0};
    mnlp_status rc = MNLP_OK;

    *out = NULL;
    if (out_len)
        *out_len = 0;
    for (size_t i = 0; i < n && rc == MNLP_OK; i++) {
        const char *t = mnlp_tokenizer_id_to_token(tok, ids[i]);

        if (!t || (skip_special_tokens && is_special_content(tok, t)))
            continue;
        if (!mn_strs_push(&tokens, t, strlen(t)))
            rc = oom();
    }
    if (rc == MNLP_OK && tok->decoder) {
        rc = mn_decoder_decode(tok->decoder, &tokens, &sb.data, &sb.len);
    } else {
        /* Without a decoder, tokenizers joins the tokens with spaces. */
        for (int i = 0; i < tokens.n && rc == MNLP_OK; i++) {
            mn_sb_puts(&sb, i ? " " : "");
            mn_sb_append(&sb, tokens.items[i], tokens.lens[i]);
        }
        mn_sb_append(&sb, "", 0);
    }
    mn_strs_free(&tokens);
    if (rc == MNLP_OK && tok->clean_up_spaces)
        clean_up_tokenization(&sb);
    if (rc == MNLP_OK && sb.failed)
        rc = oom();
    if (rc != MNLP_OK) {
        mn_sb_free(&sb);
        return mn_error_keep(((mnlp_tokenizer *)tok)->error, rc);
    }
    *out = sb.data;
    if (out_len)
        *out_len = sb.len;
    return MNLP_OK;
}

/* ---- What transformers keeps beside the backend ----------------------------- */

bool mn_tokenizer_has_added(const mnlp_tokenizer *t, const char *content)
{
    return mn_vocab_get(&t->added_ids, content, strlen(content)) >= 0;
}

mnlp_status mn_tokenizer_set_post_processor(mnlp_tokenizer *t, const mn_json *node)
{
    mn_post_processor *p = NULL;
    mnlp_status rc = mn_post_processor_from_json(node, &p);

    if (rc != MNLP_OK)
        return rc;
    if (t->post_processor)
        t->post_processor->free(t->post_processor);
    t->post_processor = p;
    return MNLP_OK;
}

mnlp_status mn_tokenizer_set_special(mnlp_tokenizer *t, mnlp_special_token which,
                                     const char *content)
{
    char *copy = NULL;

    if (content && !(copy = mn_strdup(content)))
        return oom();
    mn_free(t->special[which]);
    t->special[which] = copy;
    return MNLP_OK;
}

mnlp_status mn_tokenizer_add_additional_special(mnlp_tokenizer *t, const char *content)
{
    char **grown = mn_reallocn(t->additional_special, (size_t)t->n_additional_special + 1,
                               sizeof *grown);

    if (!grown)
        return oom();
    t->additional_special = grown;
    if (!(grown[t->n_additional_special] = mn_strdup(content)))
        return oom();
    t->n_additional_special++;
    return MNLP_OK;
}

void mn_tokenizer_set_options(mnlp_tokenizer *t, bool clean_up_spaces, size_t model_max_length)
{
    t->clean_up_spaces = clean_up_spaces;
    t->model_max_length = model_max_length;
}

const char *mnlp_tokenizer_special_token(const mnlp_tokenizer *tok, mnlp_special_token which)
{
    return (unsigned)which < MNLP_SPECIAL_TOKEN_COUNT ? tok->special[which] : NULL;
}

size_t mnlp_tokenizer_additional_special_tokens(const mnlp_tokenizer *tok,
                                                const char *const **out)
{
    *out = (const char *const *)tok->additional_special;
    return (size_t)tok->n_additional_special;
}

mnlp_status mnlp_tokenizer_apply_chat_template(const mnlp_tokenizer *tok, const char *name,
                                               const char *vars, size_t vars_len, int64_t now,
                                               char **out, size_t *out_len)
{
    mnlp_status rc = mn_chat_apply(tok, &tok->chat, name, vars, vars_len, now, out, out_len);

    return rc == MNLP_OK ? rc : mn_error_keep(((mnlp_tokenizer *)tok)->error, rc);
}

size_t mnlp_tokenizer_model_max_length(const mnlp_tokenizer *tok)
{
    return tok->model_max_length;
}

/* ---- Loading --------------------------------------------------------------- */

void mnlp_tokenizer_free(mnlp_tokenizer *t)
{
    if (!t)
        return;
    if (t->normalizer)
        t->normalizer->free(t->normalizer);
    if (t->pre_tokenizer)
        t->pre_tokenizer->free(t->pre_tokenizer);
    if (t->model)
        t->model->free(t->model);
    if (t->post_processor)
        t->post_processor->free(t->post_processor);
    if (t->decoder)
        t->decoder->free(t->decoder);
    for (int i = 0; i < t->n_added; i++) {
        mn_free(t->added[i].content);
        mn_free(t->added[i].normalized);
    }
    mn_free(t->raw.nodes);
    mn_free(t->normalized.nodes);
    mn_free(t->added);
    mn_vocab_free(&t->added_ids);
    mn_free(t->padding.pad_token);
    for (int i = 0; i < MNLP_SPECIAL_TOKEN_COUNT; i++)
        mn_free(t->special[i]);
    for (int i = 0; i < t->n_additional_special; i++)
        mn_free(t->additional_special[i]);
    mn_free(t->additional_special);
    mn_chat_templates_free(&t->chat);
    mn_free(t);
}

const char *mnlp_tokenizer_error(const mnlp_tokenizer *tok)
{
    return tok->error;
}

/* The normalizer's output for s, or NULL when it leaves s unchanged. */
static mnlp_status normalized_form(const mnlp_tokenizer *t, const char *s, char **out)
{
    mn_nstr n;
    mnlp_status rc;

    *out = NULL;
    if (!t->normalizer)
        return MNLP_OK;
    if ((rc = mn_nstr_init(&n, s, strlen(s), 0)) != MNLP_OK)
        return rc;
    rc = t->normalizer->normalize(t->normalizer, &n);
    if (rc == MNLP_OK && strcmp(n.s, s) != 0 && !(*out = mn_strdup(n.s)))
        rc = oom();
    mn_nstr_free(&n);
    return rc;
}

/*
 * A token whose content is already added takes the new flags in place, as
 * tokenizers' add_tokens replaces the entry of that id; false when new.
 */
static bool replace_added(mnlp_tokenizer *t, const char *content, const added_token *flags,
                          mnlp_status *rc)
{
    for (int i = 0; i < t->n_added; i++) {
        added_token *old = &t->added[i];

        if (strcmp(old->content, content) != 0)
            continue;
        old->single_word = flags->single_word;
        old->lstrip = flags->lstrip;
        old->rstrip = flags->rstrip;
        old->special = flags->special;
        old->is_normalized = flags->is_normalized;
        mn_free(old->normalized);
        old->normalized = NULL;
        if (old->is_normalized)
            *rc = normalized_form(t, content, &old->normalized);
        return true;
    }
    return false;
}

/*
 * added_tokens, as Tokenizer deserialization feeds them to add_tokens: a
 * token the model or an earlier entry knows keeps that id; a new one takes
 * the next id after the model's vocabulary.
 */
mnlp_status mn_tokenizer_add_tokens(mnlp_tokenizer *t, const mn_json *const *entries, size_t n)
{
    int32_t next = t->model->vocab_size(t->model);
    mnlp_status rc;
    added_token *grown;

    for (int i = 0; i < t->n_added; i++)
        if (t->added[i].id >= next)
            next = t->added[i].id + 1;
    if (n > (size_t)(INT32_MAX - t->n_added - 1) ||
        !(grown = mn_reallocn(t->added, (size_t)t->n_added + n + 1, sizeof *grown)))
        return oom();
    t->added = grown;
    for (size_t i = 0; i < n; i++) {
        const mn_json *e = entries[i];
        added_token *a = &t->added[t->n_added];
        const char *content = NULL;
        int64_t file_id = -1;
        int32_t id;

        memset(a, 0, sizeof *a);
        a->is_normalized = true;
        if ((rc = mn_json_str(e, "content", &content)) || (rc = mn_json_int_opt(e, "id", &file_id))
            || (rc = mn_json_bool_opt(e, "single_word", &a->single_word)) ||
            (rc = mn_json_bool_opt(e, "lstrip", &a->lstrip)) ||
            (rc = mn_json_bool_opt(e, "rstrip", &a->rstrip)) ||
            (rc = mn_json_bool_opt(e, "normalized", &a->is_normalized)) ||
            (rc = mn_json_bool_opt(e, "special", &a->special)))
            return rc;
        if (!*content)
            continue;
        if ((a->special && !mn_json_get(e, "normalized")))
            a->is_normalized = false;
        if (replace_added(t, content, a, &rc)) {
            if (rc != MNLP_OK)
                return rc;
            continue;
        }
        id = mn_vocab_get(&t->added_ids, content, strlen(content));
        if (id < 0)
            id = t->model->token_to_id(t->model, content, strlen(content));
        if (id < 0)
            id = next++;
        if (file_id >= 0 && file_id != id)
            mn_warn("added token \"%s\": tokenizer.json says id %lld, the vocabulary gives %d",
                    content, (long long)file_id, id);
        a->id = id;
        if (!(a->content = mn_strdup(content)) ||
            !mn_vocab_put(&t->added_ids, content, strlen(content), id))
            return oom();
        t->n_added++;
        if (a->is_normalized && (rc = normalized_form(t, content, &a->normalized)) != MNLP_OK)
            return rc;
    }
    return build_matchers(t);
}

static mnlp_status load_added(mnlp_tokenizer *t, const mn_json *list)
{
    const mn_json **entries;
    mnlp_status rc;

    if (!list)
        return MNLP_OK;
    if (list->type != MN_JSON_ARRAY)
        return mn_json_error(list, MNLP_ERR_FORMAT, "is not an array");
    if (!(entries = mn_reallocn(NULL, list->len + 1, sizeof *entries)))
        return oom();
    for (size_t i = 0; i < list->len; i++)
        entries[i] = &list->items[i];
    rc = mn_tokenizer_add_tokens(t, entries, list->len);
    mn_free(entries);
    return rc;
}

static mnlp_status load_truncation(truncation *tr, const mn_json *node)
{
    const char *strategy = "LongestFirst", *direction = "Right";
    int64_t max_length = 0, stride = 0;
    mnlp_status rc;

    if (!node || node->type == MN_JSON_NULL)
        return MNLP_OK;
    if ((rc = mn_json_int_opt(node, "max_length", &max_length)) ||
        (rc = mn_json_int_opt(node, "stride", &stride)) ||
        (rc = mn_json_str_opt(node, "strategy", &strategy)) ||
        (rc = mn_json_str_opt(node, "direction", &direction)))
        return rc;
    if (max_length < 0 || max_length > INT32_MAX || stride < 0 || stride > max_length)
        return mn_json_error(node, MNLP_ERR_FORMAT, "max_length %lld / stride %lld are invalid",
                             (long long)max_length, (long long)stride);
    tr->on = true;
    tr->max_length = (int)max_length;
    tr->stride = (int)stride;
    tr->from_left = strcmp(direction, "Left") == 0;
    tr->strategy = !strcmp(strategy, "OnlyFirst") ? ONLY_FIRST
                   : !strcmp(strategy, "OnlySecond") ? ONLY_SECOND : LONGEST_FIRST;
    return MNLP_OK;
}

static mnlp_status load_padding(padding *p, const mn_json *node)
{
    const mn_json *strategy;
    const char *direction = "Right", *pad_token = "[PAD]";
    int64_t multiple = 0, pad_id = 0, pad_type_id = 0;
    mnlp_status rc;

    if (!node || node->type == MN_JSON_NULL)
        return MNLP_OK;
    strategy = mn_json_get(node, "strategy");
    if ((rc = mn_json_str_opt(node, "direction", &direction)) ||
        (rc = mn_json_int_opt(node, "pad_to_multiple_of", &multiple)) ||
        (rc = mn_json_int_opt(node, "pad_id", &pad_id)) ||
        (rc = mn_json_int_opt(node, "pad_type_id", &pad_type_id)) ||
        (rc = mn_json_str_opt(node, "pad_token", &pad_token)))
        return rc;
    p->on = true;
    if (strategy && strategy->type == MN_JSON_OBJECT) {
        int64_t fixed = 0;

        if ((rc = mn_json_int_opt(strategy, "Fixed", &fixed)) != MNLP_OK)
            return rc;
        if (fixed < 0 || fixed > INT32_MAX)
            return mn_json_error(strategy, MNLP_ERR_FORMAT, "invalid length");
        p->fixed = true;
        p->length = (int)fixed;
    }
    p->left = strcmp(direction, "Left") == 0;
    p->multiple = multiple > 0 && multiple < INT32_MAX ? (int)multiple : 0;
    p->pad_id = (int32_t)pad_id;
    p->pad_type_id = (int32_t)pad_type_id;
    return (p->pad_token = mn_strdup(pad_token)) ? MNLP_OK : oom();
}

static mnlp_status build(mnlp_tokenizer *t, const mn_json *root)
{
    const mn_json *n;
    mnlp_status rc;

    if (root->type != MN_JSON_OBJECT)
        return mn_errorf(MNLP_ERR_FORMAT, "top level is not an object");
    if (!(n = mn_json_get(root, "model")))
        return mn_errorf(MNLP_ERR_FORMAT, "no \"model\"");
    if ((rc = mn_model_from_json(n, &t->model)) != MNLP_OK)
        return rc;
    if ((n = mn_json_get(root, "normalizer")) && n->type != MN_JSON_NULL &&
        (rc = mn_normalizer_from_json(n, &t->normalizer)) != MNLP_OK)
        return rc;
    if ((n = mn_json_get(root, "pre_tokenizer")) && n->type != MN_JSON_NULL &&
        (rc = mn_pre_tokenizer_from_json(n, &t->pre_tokenizer)) != MNLP_OK)
        return rc;
    if ((n = mn_json_get(root, "post_processor")) && n->type != MN_JSON_NULL &&
        (rc = mn_post_processor_from_json(n, &t->post_processor)) != MNLP_OK)
        return rc;
    if ((n = mn_json_get(root, "decoder")) && n->type != MN_JSON_NULL &&
        (rc = mn_decoder_from_json(n, &t->decoder)) != MNLP_OK)
        return rc;
    if ((rc = load_added(t, mn_json_get(root, "added_tokens"))) != MNLP_OK ||
        (rc = load_truncation(&t->truncation, mn_json_get(root, "truncation"))) != MNLP_OK ||
        (rc = load_padding(&t->padding, mn_json_get(root, "padding"))) != MNLP_OK)
        return rc;
    return MNLP_OK;
}

mnlp_status mnlp_tokenizer_parse(const char *json, size_t len, const char *name,
                                 mnlp_tokenizer **out)
{
    mnlp_tokenizer *t = mn_calloc(1, sizeof *t);
    mn_json_doc *doc = NULL;
    mnlp_status rc;

    *out = NULL;
    if (!t)
        return oom();
    t->model_max_length = SIZE_MAX;
    rc = mn_json_parse(json, len, NULL, &doc);
    if (rc == MNLP_OK)
        rc = build(t, mn_json_root(doc));
    mn_json_free(doc);
    if (rc != MNLP_OK) {
        mnlp_tokenizer_free(t);
        return mn_error_prefix(rc, "%s", name);
    }
    *out = t;
    return MNLP_OK;
}

/* A small JSON file of the model folder (config.json, tokenizer_config.json);
 * *doc stays NULL when the file is absent. */
static mnlp_status read_json(const char *dir, const char *name, mn_json_doc **doc)
{
    char *path = mn_path_join(dir, name), *text = NULL;
    size_t len;
    mnlp_status rc;

    *doc = NULL;
    if (!path)
        return oom();
    if (!mn_is_file(path)) {
        mn_free(path);
        return MNLP_OK;
    }
    rc = mn_read_file(path, 64u << 20, &text, &len);
    if (rc == MNLP_OK)
        rc = mn_json_parse(text, len, NULL, doc);
    if (rc != MNLP_OK)
        mn_error_prefix(rc, "%s", name);
    mn_free(text);
    mn_free(path);
    return rc;
}

static mnlp_status load_file(const char *file, mnlp_tokenizer **out)
{
    const char *slash = strrchr(file, '/');
    char *text = NULL;
    size_t len;
    mnlp_status rc = mn_read_file(file, MAX_TOKENIZER_BYTES, &text, &len);

    if (rc == MNLP_OK)
        rc = mnlp_tokenizer_parse(text, len, slash ? slash + 1 : file, out);
    mn_free(text);
    return rc;
}

/* The tokenizer transformers converts from the folder's slow files. */
static mnlp_status load_converted(const char *dir, const mn_json *config, mnlp_tokenizer **out)
{
    char *json = NULL;
    size_t len;
    mnlp_status rc = mn_tokenizer_convert(dir, config, &json, &len);

    *out = NULL;
    if (rc == MNLP_OK)
        rc = mnlp_tokenizer_parse(json, len, "tokenizer.json converted from the slow files", out);
    mn_free(json);
    return rc;
}

/* A model folder, as AutoTokenizer.from_pretrained loads it. */
static mnlp_status load_folder(const char *dir, mnlp_tokenizer **out)
{
    static const char *const names[] = {"config.json", "tokenizer_config.json",
                                        "special_tokens_map.json", "added_tokens.json"};
    mn_json_doc *docs[4] = {NULL, NULL, NULL, NULL};
    const mn_json *roots[4] = {NULL, NULL, NULL, NULL};
    mn_pretrained_files files = {NULL, NULL, NULL, NULL};
    char *file = mn_path_join(dir, "tokenizer.json");
    mnlp_status rc = file ? MNLP_OK : oom();

    for (int i = 0; i < 4 && rc == MNLP_OK; i++)
        if ((rc = read_json(dir, names[i], &docs[i])) == MNLP_OK && docs[i])
            roots[i] = mn_json_root(docs[i]);
    if (rc == MNLP_OK) {
        if (roots[0] && mn_json_str_opt(roots[0], "model_type", &files.model_type))
            files.model_type = NULL;
        files.tokenizer_config = roots[1];
        files.special_tokens_map = roots[2];
        files.added_tokens = roots[3];
        if (!mn_is_file(file) || mn_pretrained_wants_slow(roots[1], files.model_type))
            rc = load_converted(dir, roots[1], out);
        else
            rc = load_file(file, out);
    }
    if (rc == MNLP_OK && ((rc = mn_pretrained_apply(*out, &files)) != MNLP_OK ||
                          (rc = mn_chat_templates_load(dir, roots[1], &(*out)->chat)))) {
        mnlp_tokenizer_free(*out);
        *out = NULL;
    }
    for (int i = 0; i < 4; i++)
        mn_json_free(docs[i]);
    mn_free(file);
    return rc;
}

mnlp_status mnlp_tokenizer_load(const char *path, mnlp_tokenizer **out)
{
    *out = NULL;
    return mn_is_dir(path) ? load_folder(path, out) : load_file(path, out);
}

/* ---- Encoding accessors ---------------------------------------------------- */

size_t mnlp_encoding_len(const mnlp_encoding *enc)
{
    return (size_t)enc->e.n;
}

const int32_t *mnlp_encoding_ids(const mnlp_encoding *enc)
{
    return enc->e.ids;
}

const int32_t *mnlp_encoding_type_ids(const mnlp_encoding *enc)
{
    return enc->e.type_ids;
}

const int32_t *mnlp_encoding_word_ids(const mnlp_encoding *enc)
{
    return enc->e.words;
}

const uint8_t *mnlp_encoding_special_tokens_mask(const mnlp_encoding *enc)
{
    return enc->e.special;
}

const uint8_t *mnlp_encoding_attention_mask(const mnlp_encoding *enc)
{
    return enc->e.attention;
}

const char *mnlp_encoding_token(const mnlp_encoding *enc, size_t i)
{
    return i < (size_t)enc->e.n ? enc->e.tokens[i] : NULL;
}

void mnlp_encoding_offsets(const mnlp_encoding *enc, size_t i, size_t *start, size_t *end)
{
    *start = *end = 0;
    if (i < (size_t)enc->e.n) {
        *start = enc->e.offsets[2 * i];
        *end = enc->e.offsets[2 * i + 1];
    }
}

void mnlp_encoding_free(mnlp_encoding *enc)
{
    if (!enc)
        return;
    mn_encoding_free(&enc->e);
    mn_free(enc);
}

/*
 * The WordPiece model (tokenizers' models/wordpiece): greedy longest match
 * first, continuation pieces carry continuing_subword_prefix, and a word
 * with any part missing from the vocab becomes the single unk_token.
 */
#include "text/models.h"

#include <string.h>

typedef struct wordpiece {
    mn_model base;
    mn_vocab_pair vocab;
    char *unk_token, *prefix;
    size_t unk_len, prefix_len;
    uint64_t max_chars;      /* max_input_chars_per_word */
} wordpiece;

static mnlp_status push_unk(const wordpiece *wp, size_t len, mn_tokens *out)
{
    int32_t id = mn_vocab_get(&wp->vocab.map, wp->unk_token, wp->unk_len);

    if (id < 0)
        return mn_errorf(MNLP_ERR_FORMAT, "WordPiece unk_token \"%s\" is not in the vocab",
                         wp->unk_token);
    return mn_tokens_push(out, id, wp->unk_token, wp->unk_len, 0, len) ? MNLP_OK
                                                                       : mn_model_oom();
}

static size_t count_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i += mn_char_len(s + i, len - i))
        n++;
    return n;
}

/* Start of the last character of s[0..end). */
static size_t last_char_start(const char *s, size_t start, size_t end)
{
    size_t i = end - 1;

    while (i > start && ((unsigned char)s[i] & 0xc0) == 0x80 && end - i < 4)
        i--;
    return i;
}

/*
 * The longest vocab piece at s[start..). buf holds the prefix, then room
 * for the candidate; *tok points at the candidate, with the prefix when
 * start > 0. Candidates longer than the longest token cannot match, so the
 * search starts at the last character boundary that fits (the result is
 * the same as trying them all). Returns the end, or start when nothing
 * matches.
 */
static size_t longest_match(const wordpiece *wp, const char *s, size_t start, size_t len,
                            char *buf, const char **tok, int32_t *id)
{
    size_t pre = start > 0 ? wp->prefix_len : 0, end = len;

    *tok = buf + wp->prefix_len - pre;
    if (pre + (len - start) > wp->vocab.max_len) {
        end = wp->vocab.max_len > pre ? start + wp->vocab.max_len - pre : start;
        while (end > start && ((unsigned char)s[end] & 0xc0) == 0x80)
            end--;
    }
    while (end > start) {
        size_t n = end - start;

        memcpy(buf + wp->prefix_len, s + start, n);
        if ((*id = mn_vocab_get(&wp->vocab.map, *tok, pre + n)) >= 0)
            return end;
        end = last_char_start(s, start, end);
    }
    return start;
}

static mnlp_status wordpiece_tokenize(const mn_model *self, const char *s, size_t len,
                                      mn_tokens *out)
{
    const wordpiece *wp = (const wordpiece *)self;
    int first = out->n;
    char *buf;

    if (count_chars(s, len) > wp->max_chars)
        return push_unk(wp, len, out);
    if (!(buf = mn_malloc(wp->prefix_len + len + 1)))
        return mn_model_oom();
    memcpy(buf, wp->prefix, wp->prefix_len);
    for (size_t start = 0; start < len;) {
        const char *tok;
        int32_t id = -1;
        size_t end = longest_match(wp, s, start, len, buf, &tok, &id);
        size_t pre = start > 0 ? wp->prefix_len : 0;

        if (end == start) {
            /* Drop the pieces found so far: the whole word is unknown. */
            while (out->n > first)
                mn_free(out->items[--out->n].value);
            mn_free(buf);
            return push_unk(wp, len, out);
        }
        if (!mn_tokens_push(out, id, tok, pre + end - start, start, end)) {
            mn_free(buf);
            return mn_model_oom();
        }
        start = end;
    }
    mn_free(buf);
    return MNLP_OK;
}

static int32_t wordpiece_token_to_id(const mn_model *self, const char *token, size_t len)
{
    return mn_vocab_get(&((const wordpiece *)self)->vocab.map, token, len);
}

static const char *wordpiece_id_to_token(const mn_model *self, int32_t id)
{
    return mn_vocab_pair_token(&((const wordpiece *)self)->vocab, id, NULL);
}

static int32_t wordpiece_vocab_size(const mn_model *self)
{
    return (int32_t)((const wordpiece *)self)->vocab.map.count;
}

static void wordpiece_free(mn_model *self)
{
    wordpiece *wp = (wordpiece *)self;

    if (!wp)
        return;
    mn_vocab_pair_free(&wp->vocab);
    mn_free(wp->unk_token);
    mn_free(wp->prefix);
    mn_free(wp);
}

/* A string field tokenizers requires (WordPieceVisitor: no defaults, no null). */
static mnlp_status dup_str(const mn_json *node, const char *key, char **out, size_t *len)
{
    const mn_json *v = mn_json_get(node, key);

    if (!v)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"%s\"", key);
    if (v->type != MN_JSON_STRING)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is %s, expected string",
                             mn_json_type_name(v->type));
    if (!(*out = mn_strndup(v->str, v->len)))
        return mn_model_oom();
    *len = v->len;
    return MNLP_OK;
}

static mnlp_status read_model(wordpiece *wp, const mn_json *node)
{
    const mn_json *max = mn_json_get(node, "max_input_chars_per_word");
    const mn_json *vocab = mn_json_get(node, "vocab");
    mnlp_status rc;

    if ((rc = dup_str(node, "unk_token", &wp->unk_token, &wp->unk_len)) != MNLP_OK ||
        (rc = dup_str(node, "continuing_subword_prefix", &wp->prefix, &wp->prefix_len)) !=
            MNLP_OK)
        return rc;
    if (!max || !vocab)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"%s\"",
                             max ? "vocab" : "max_input_chars_per_word");
    if (max->type != MN_JSON_NUMBER || !max->is_int || max->integer < 0)
        return mn_json_error(max, MNLP_ERR_FORMAT, "is not an unsigned integer");
    wp->max_chars = (uint64_t)max->integer;
    return mn_vocab_pair_from_json(vocab, &wp->vocab);
}

mnlp_status mn_wordpiece_from_json(const mn_json *node, mn_model **out)
{
    wordpiece *wp = mn_calloc(1, sizeof *wp);
    mnlp_status rc;

    *out = NULL;
    if (!wp)
        return mn_model_oom();
    wp->base = (mn_model){wordpiece_tokenize, wordpiece_token_to_id, wordpiece_id_to_token,
                          wordpiece_vocab_size, wordpiece_free};
    if ((rc = read_model(wp, node)) != MNLP_OK) {
        wordpiece_free(&wp->base);
        return rc;
    }
    *out = &wp->base;
    return MNLP_OK;
}

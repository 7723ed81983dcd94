/* The WordLevel model (tokenizers' models/wordlevel): a piece is one token or unk_token. */
#include "text/models.h"

#include <string.h>

typedef struct wordlevel {
    mn_model base;
    mn_vocab_pair vocab;
    char *unk_token;
    size_t unk_len;
} wordlevel;

static mnlp_status wordlevel_tokenize(const mn_model *self, const char *s, size_t len,
                                      mn_tokens *out)
{
    const wordlevel *wl = (const wordlevel *)self;
    int32_t id = mn_vocab_get(&wl->vocab.map, s, len);

    if (id >= 0)
        return mn_tokens_push(out, id, s, len, 0, len) ? MNLP_OK : mn_model_oom();
    id = mn_vocab_get(&wl->vocab.map, wl->unk_token, wl->unk_len);
    if (id < 0)
        return mn_errorf(MNLP_ERR_FORMAT, "WordLevel unk_token \"%s\" is not in the vocab",
                         wl->unk_token);
    return mn_tokens_push(out, id, wl->unk_token, wl->unk_len, 0, len) ? MNLP_OK
                                                                       : mn_model_oom();
}

static int32_t wordlevel_token_to_id(const mn_model *self, const char *token, size_t len)
{
    return mn_vocab_get(&((const wordlevel *)self)->vocab.map, token, len);
}

static const char *wordlevel_id_to_token(const mn_model *self, int32_t id)
{
    return mn_vocab_pair_token(&((const wordlevel *)self)->vocab, id, NULL);
}

static int32_t wordlevel_vocab_size(const mn_model *self)
{
    return (int32_t)((const wordlevel *)self)->vocab.map.count;
}

static void wordlevel_free(mn_model *self)
{
    wordlevel *wl = (wordlevel *)self;

    if (!wl)
        return;
    mn_vocab_pair_free(&wl->vocab);
    mn_free(wl->unk_token);
    mn_free(wl);
}

/* WordLevelVisitor: "vocab" and "unk_token" are both required. */
static mnlp_status read_model(wordlevel *wl, const mn_json *node)
{
    const mn_json *vocab = mn_json_get(node, "vocab"), *unk = mn_json_get(node, "unk_token");

    if (!vocab || !unk)
        return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"%s\"",
                             vocab ? "unk_token" : "vocab");
    if (unk->type != MN_JSON_STRING)
        return mn_json_error(unk, MNLP_ERR_FORMAT, "is %s, expected string",
                             mn_json_type_name(unk->type));
    if (!(wl->unk_token = mn_strndup(unk->str, unk->len)))
        return mn_model_oom();
    wl->unk_len = unk->len;
    return mn_vocab_pair_from_json(vocab, &wl->vocab);
}

mnlp_status mn_wordlevel_from_json(const mn_json *node, mn_model **out)
{
    wordlevel *wl = mn_calloc(1, sizeof *wl);
    mnlp_status rc;

    *out = NULL;
    if (!wl)
        return mn_model_oom();
    wl->base = (mn_model){wordlevel_tokenize, wordlevel_token_to_id, wordlevel_id_to_token,
                          wordlevel_vocab_size, wordlevel_free};
    if ((rc = read_model(wl, node)) != MNLP_OK) {
        wordlevel_free(&wl->base);
        return rc;
    }
    *out = &wl->base;
    return MNLP_OK;
}

/*
 * StopStringCriteria (generation/stopping_criteria.py): a sequence stops
 * when one of the stop strings appears in the text of its last tokens and
 * ends inside the last one. A token's text is its "clean" string: what the
 * tokenizer's decoder makes of it after a fixed prefix, without the prefix,
 * as clean_tokenizer_vocab computes it. Texts are computed for the tokens a
 * check reaches and kept for the rest of the call.
 */
#include "generate/generate.h"

#include "mnlp/tokenizer.h"

#include <string.h>

#define STATIC_PREFIX "abcdef"

struct mn_stop_strings {
    const mnlp_tokenizer *tok;
    const char *const *stops;
    int64_t n_stops;
    size_t longest;
    int32_t *prefix;          /* the ids of STATIC_PREFIX */
    size_t n_prefix;
    char **text;              /* [vocab]: clean strings, NULL until needed */
    int64_t vocab;
    int32_t *scratch;         /* prefix + one id */
    char *joined;
    size_t joined_cap;
};

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
}

void mn_stop_strings_free(mn_stop_strings *s)
{
    if (!s)
        return;
    for (int64_t i = 0; s->text && i < s->vocab; i++)
        mnlp_free(s->text[i]);
    mn_free(s->text);
    mn_free(s->prefix);
    mn_free(s->scratch);
    mn_free(s->joined);
    mn_free(s);
}

mnlp_status mn_stop_strings_new(const mnlp_tokenizer *tok, const char *const *stops,
                                int64_t n_stops, int64_t vocab, mn_stop_strings **out)
{
    mn_stop_strings *s;
    mnlp_encoding *enc = NULL;
    mnlp_status st;

    *out = NULL;
    if (!tok)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT,
                         "stop_strings: the tokenizer is needed to match them");
    if (!(s = mn_calloc(1, sizeof *s)))
        return oom();
    s->tok = tok;
    s->stops = stops;
    s->n_stops = n_stops;
    s->vocab = vocab;
    for (int64_t i = 0; i < n_stops; i++) {
        if (!stops[i] || !*stops[i]) {
            mn_stop_strings_free(s);
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "stop_strings[%lld] is empty",
                             (long long)i);
        }
        if (strlen(stops[i]) > s->longest)
            s->longest = strlen(stops[i]);
    }
    if ((st = mnlp_tokenizer_encode(tok, STATIC_PREFIX, strlen(STATIC_PREFIX), false, &enc))) {
        mn_stop_strings_free(s);
        return st;
    }
    s->n_prefix = mnlp_encoding_len(enc);
    s->prefix = mn_calloc(s->n_prefix + 1, sizeof *s->prefix);
    s->scratch = mn_calloc(s->n_prefix + 1, sizeof *s->scratch);
    s->text = mn_calloc((size_t)vocab, sizeof *s->text);
    if (!s->prefix || !s->scratch || !s->text) {
        mnlp_encoding_free(enc);
        mn_stop_strings_free(s);
        return oom();
    }
    memcpy(s->prefix, mnlp_encoding_ids(enc), sizeof *s->prefix * s->n_prefix);
    memcpy(s->scratch, s->prefix, sizeof *s->scratch * s->n_prefix);
    mnlp_encoding_free(enc);
    *out = s;
    return MNLP_OK;
}

/* The clean string of token id ("" when it cannot be decoded). */
static const char *clean(mn_stop_strings *s, int64_t id)
{
    char *text = NULL, *at;
    size_t len;

    if (id < 0 || id >= s->vocab)
        return "";
    if (s->text[id])
        return s->text[id];
    s->scratch[s->n_prefix] = (int32_t)id;
    if (mnlp_tokenizer_decode(s->tok, s->scratch, s->n_prefix + 1, false, &text, &len) != MNLP_OK)
        return "";
    at = strstr(text, STATIC_PREFIX);
    if (at)
        memmove(text, at + strlen(STATIC_PREFIX), strlen(at + strlen(STATIC_PREFIX)) + 1);
    s->text[id] = text;
    return text;
}

bool mn_stop_strings_hit(mn_stop_strings *s, const int64_t *ids, int64_t len)
{
    size_t total = 0, last_len, need;
    int64_t first = len;

    if (len < 1)
        return false;
    last_len = strlen(clean(s, ids[len - 1]));
    if (last_len == 0)
        return false;
    /* Enough tokens to hold the longest stop string before the last one. */
    need = s->longest + last_len;
    while (first > 0 && total < need && len - first < (int64_t)s->longest + 1)
        total += strlen(clean(s, ids[--first]));
    if (total + 1 > s->joined_cap) {
        char *grown = mn_realloc(s->joined, total + 1);

        if (!grown)
            return false;
        s->joined = grown;
        s->joined_cap = total + 1;
    }
    s->joined[0] = '\0';
    total = 0;
    for (int64_t i = first; i < len; i++) {
        const char *t = clean(s, ids[i]);
        size_t n = strlen(t);

        memcpy(s->joined + total, t, n + 1);
        total += n;
    }
    /* A stop string ending inside the last token's text. */
    for (int64_t k = 0; k < s->n_stops; k++) {
        size_t n = strlen(s->stops[k]);

        for (size_t end = total - last_len + 1; end <= total; end++)
            if (end >= n && memcmp(s->joined + end - n, s->stops[k], n) == 0)
                return true;
    }
    return false;
}

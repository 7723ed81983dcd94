/* Shared helpers of the tokenizer components: JSON field reads, the vocab table, regexes. */
#include "text/tok.h"

#include "text/fast_regex.h"

#include <oniguruma.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------- */

mnlp_status mn_json_error(const mn_json *node, mnlp_status status, const char *fmt, ...)
{
    char path[256], msg[MN_ERROR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mn_errorf(status, "%s: %s", mn_json_path(node, path, sizeof path), msg);
}

static mnlp_status field(const mn_json *obj, const char *key, mn_json_type type,
                         bool optional, const mn_json **out)
{
    const mn_json *v = mn_json_get(obj, key);

    *out = NULL;
    if (!v || v->type == MN_JSON_NULL) {
        if (optional)
            return MNLP_OK;
        return mn_json_error(obj, MNLP_ERR_FORMAT, "missing \"%s\"", key);
    }
    if (v->type != type)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is %s, expected %s",
                             mn_json_type_name(v->type), mn_json_type_name(type));
    *out = v;
    return MNLP_OK;
}

mnlp_status mn_json_str(const mn_json *obj, const char *key, const char **out)
{
    const mn_json *v;
    mnlp_status rc = field(obj, key, MN_JSON_STRING, false, &v);

    if (v)
        *out = v->str;
    return rc;
}

mnlp_status mn_json_str_opt(const mn_json *obj, const char *key, const char **out)
{
    const mn_json *v;
    mnlp_status rc = field(obj, key, MN_JSON_STRING, true, &v);

    if (v)
        *out = v->str;
    return rc;
}

mnlp_status mn_json_bool_opt(const mn_json *obj, const char *key, bool *out)
{
    const mn_json *v;
    mnlp_status rc = field(obj, key, MN_JSON_BOOL, true, &v);

    if (v)
        *out = v->boolean;
    return rc;
}

mnlp_status mn_json_int_opt(const mn_json *obj, const char *key, int64_t *out)
{
    const mn_json *v;
    mnlp_status rc = field(obj, key, MN_JSON_NUMBER, true, &v);

    if (v && !v->is_int)
        return mn_json_error(v, MNLP_ERR_FORMAT, "is not an integer");
    if (v)
        *out = v->integer;
    return rc;
}

mnlp_status mn_json_num_opt(const mn_json *obj, const char *key, double *out)
{
    const mn_json *v;
    mnlp_status rc = field(obj, key, MN_JSON_NUMBER, true, &v);

    if (v)
        *out = v->number;
    return rc;
}

/* ---- Vocab: open addressing, linear probing --------------------------- */

struct mn_vocab_slot {
    char *key;       /* NULL: empty */
    uint32_t len;
    int32_t id;
    uint64_t hash;
};

static bool vocab_grow(mn_vocab *v)
{
    uint32_t cap = v->slots ? (v->mask + 1) * 2 : 64;
    struct mn_vocab_slot *slots = mn_calloc(cap, sizeof *slots);

    if (!slots)
        return false;
    for (uint32_t i = 0; v->slots && i <= v->mask; i++) {
        struct mn_vocab_slot *s = &v->slots[i];
        uint32_t j;

        if (!s->key)
            continue;
        for (j = (uint32_t)s->hash & (cap - 1); slots[j].key; j = (j + 1) & (cap - 1))
            ;
        slots[j] = *s;
    }
    mn_free(v->slots);
    v->slots = slots;
    v->mask = cap - 1;
    return true;
}

bool mn_vocab_put(mn_vocab *v, const char *key, size_t len, int32_t id)
{
    uint64_t h = mn_hash(key, len);
    uint32_t j;

    if (len > UINT32_MAX)
        return false;
    if ((!v->slots || (v->count + 1) * 4 > (v->mask + 1) * 3) && !vocab_grow(v))
        return false;
    for (j = (uint32_t)h & v->mask; v->slots[j].key; j = (j + 1) & v->mask) {
        struct mn_vocab_slot *s = &v->slots[j];

        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            s->id = id;
            return true;
        }
    }
    if (!(v->slots[j].key = mn_strndup(key, len)))
        return false;
    v->slots[j].len = (uint32_t)len;
    v->slots[j].id = id;
    v->slots[j].hash = h;
    v->count++;
    return true;
}

int32_t mn_vocab_get(const mn_vocab *v, const char *key, size_t len)
{
    uint64_t h;

    if (!v->slots)
        return -1;
    h = mn_hash(key, len);
    for (uint32_t j = (uint32_t)h & v->mask; v->slots[j].key; j = (j + 1) & v->mask) {
        const struct mn_vocab_slot *s = &v->slots[j];

        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            return s->id;
    }
    return -1;
}

void mn_vocab_free(mn_vocab *v)
{
    for (uint32_t i = 0; v->slots && i <= v->mask; i++)
        mn_free(v->slots[i].key);
    mn_free(v->slots);
    memset(v, 0, sizeof *v);
}

/* ---- Regexes ---------------------------------------------------------- */

struct mn_regex {
    mn_rx_kind fast;  /* a hand-written matcher, or MN_RX_NONE for re */
    regex_t *re;
};

static pthread_once_t onig_once = PTHREAD_ONCE_INIT;

static void onig_setup(void)
{
    OnigEncoding enc = ONIG_ENCODING_UTF8;

    onig_initialize(&enc, 1);
}

/*
 * The patterns of real tokenizers get a hand-written matcher (fast_regex.c)
 * instead of an Oniguruma regex: Oniguruma's search allocates and copies its
 * backtracking stack on every call, and tokenizers search once per word.
 * Oniguruma is set up either way, as decoders.c compiles its own regexes
 * after checking them here.
 */
mnlp_status mn_regex_new(const char *pattern, size_t len, mn_regex **out)
{
    mn_rx_kind fast = mn_rx_lookup(pattern, len);

    pthread_once(&onig_once, onig_setup);
    if (fast == MN_RX_NONE)
        return mn_regex_new_onig(pattern, len, out);
    *out = mn_calloc(1, sizeof **out);
    if (!*out)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    (*out)->fast = fast;
    return MNLP_OK;
}

/* tokenizers' SysRegex::new is onig::Regex::new: Ruby syntax, no options. */
mnlp_status mn_regex_new_onig(const char *pattern, size_t len, mn_regex **out)
{
    OnigErrorInfo info;
    mn_regex *r = mn_calloc(1, sizeof *r);
    int rc;

    *out = NULL;
    if (!r)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    pthread_once(&onig_once, onig_setup);
    rc = onig_new(&r->re, (const OnigUChar *)pattern, (const OnigUChar *)pattern + len,
                  ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_RUBY, &info);
    if (rc != ONIG_NORMAL) {
        OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];

        onig_error_code_to_str(msg, rc, &info);
        mn_free(r);
        return mn_errorf(MNLP_ERR_FORMAT, "invalid regex: %s", (const char *)msg);
    }
    *out = r;
    return MNLP_OK;
}

void mn_regex_free(mn_regex *re)
{
    if (!re)
        return;
    if (re->re)
        onig_free(re->re);
    mn_free(re);
}

/*
 * tokenizers' find_matches for a regex over the onig crate's find_iter:
 * every match, empty ones included, with the unmatched runs between them.
 * As find_iter does, an empty match right where the previous match ended
 * is skipped by stepping one character.
 */
mnlp_status mn_regex_find(const mn_regex *re, const char *s, size_t len, mn_matches *out)
{
    OnigRegion *region;
    const OnigUChar *start = (const OnigUChar *)s, *end = start + len;
    size_t last_end = 0, prev = 0;
    long last_match_end = -1;
    mnlp_status rc = MNLP_OK;

    if (re->fast != MN_RX_NONE)
        return mn_rx_find(re->fast, s, len, out);
    if (!(region = onig_region_new()))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    while (last_end <= len) {
        int r = onig_search(re->re, start, end, start + last_end, end, region,
                            ONIG_OPTION_NONE);
        size_t ms, me;

        if (r == ONIG_MISMATCH)
            break;
        if (r < 0) {
            rc = mn_errorf(MNLP_ERR_INTERNAL, "regex search failed (%d)", r);
            break;
        }
        ms = (size_t)region->beg[0];
        me = (size_t)region->end[0];
        if (ms == me && last_match_end == (long)me) {
            last_end++;
            while (last_end < len && ((unsigned char)s[last_end] & 0xc0) == 0x80)
                last_end++;
            continue;
        }
        last_end = me;
        last_match_end = (long)me;
        if ((ms > prev && !mn_matches_push(out, prev, ms, false)) ||
            !mn_matches_push(out, ms, me, true)) {
            rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
            break;
        }
        prev = me;
    }
    if (rc == MNLP_OK && prev < len && !mn_matches_push(out, prev, len, false))
        rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    onig_region_free(region, 1);
    return rc;
}

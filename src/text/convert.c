/*
 * Slow tokenizer files -> tokenizer.json, mirroring transformers 4.47:
 * convert_slow_tokenizer.py (BertConverter, GPT2Converter, RobertaConverter,
 * CLIPConverter, SpmConverter, T5Converter, LlamaConverter), the slow
 * classes' defaults for the options they read, and what
 * PreTrainedTokenizerFast.__init__ does after converting: add the
 * tokenizer_config.json added_tokens_decoder entries and the special tokens
 * (add_tokens semantics of the tokenizers library), then, for Llama, install
 * the post-processor of LlamaTokenizerFast.update_post_processor.
 *
 * The output is written component by component into JSON fragments and
 * assembled at the end; mnlp_tokenizer_parse reads it like any other file.
 */
#include "text/convert.h"

#include "text/spm_model.h"
#include "text/tok.h"

#include "base/utf8.h"
#include "base/files.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VOCAB_FILE (256u << 20)
#define META "\xe2\x96\x81" /* "▁", SentencePiece's space */

/* A token the fast tokenizer adds (tokenizers' AddedToken). */
typedef struct added {
    char *content;
    size_t len;
    int32_t id;
    bool single_word, lstrip, rstrip, normalized, special;
} added;

typedef struct conv {
    const char *dir;
    const mn_json *config;        /* tokenizer_config.json, or NULL */
    mn_vocab vocab;               /* the model's token -> id */
    int32_t vocab_size;           /* the model's get_vocab_size() */
    added *added;
    int n_added, added_cap;
    mn_sb model, normalizer, pre_tokenizer, post_processor, decoder; /* empty: null */
    mn_spm_model *spm;
} conv;

/* Special-token attributes, in the order of SPECIAL_TOKENS_ATTRIBUTES. */
enum { BOS, EOS, UNK, SEP, PAD, CLS, MASK, N_SPECIAL };
static const char *const special_keys[N_SPECIAL] = {
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
};

typedef struct converter converter;
struct converter {
    const char *name;
    const char *files;            /* what it reads, for messages */
    bool (*usable)(const conv *c);
    /* model, normalizer, pre-tokenizer, decoder and the converter's own added tokens */
    mnlp_status (*build)(conv *c, const converter *cv);
    /* the post-processor, once every added token has its id */
    mnlp_status (*post)(conv *c, const converter *cv);
    const char *defaults[N_SPECIAL]; /* the slow class's __init__ defaults */
    bool t5_extra_ids;            /* additional_special_tokens default to <extra_id_N> */
    bool mask_lstrip;             /* the mask token strips the space before it */
};

/* ---- tokenizer_config.json ------------------------------------------------ */

static bool cfg_bool(const conv *c, const char *key, bool def)
{
    const mn_json *v = mn_json_get(c->config, key);

    return v && v->type == MN_JSON_BOOL ? v->boolean : def;
}

static int64_t cfg_int(const conv *c, const char *key, int64_t def)
{
    const mn_json *v = mn_json_get(c->config, key);

    return v && v->is_int ? v->integer : def;
}

/* A token given as a string or as a serialized AddedToken ({"content": ...}). */
static const mn_json *token_content(const mn_json *v)
{
    if (v && v->type == MN_JSON_OBJECT)
        v = mn_json_get(v, "content");
    return v && v->type == MN_JSON_STRING ? v : NULL;
}

/* The content of special-token attribute i: the config's value (a null
 * there means none), else the class default; NULL when there is none. */
static const char *special_token(const conv *c, const converter *cv, int i, size_t *len,
                                 const mn_json **node)
{
    const mn_json *v = mn_json_get(c->config, special_keys[i]), *s = token_content(v);

    *node = v;
    if (v) {
        *len = s ? s->len : 0;
        return s ? s->str : NULL;
    }
    *len = cv->defaults[i] ? strlen(cv->defaults[i]) : 0;
    return cv->defaults[i];
}

/* ---- Files ------------------------------------------------------------------ */

static bool has_file(const conv *c, const char *name)
{
    char *path = mn_path_join(c->dir, name);
    bool ok = path && mn_is_file(path);

    mn_free(path);
    return ok;
}

/* A UTF-8 text file, read as Python's open(..., encoding="utf-8") reads it:
 * "\r\n" and "\r" become "\n" (universal newlines). */
static mnlp_status read_text(const conv *c, const char *name, char **text, size_t *len)
{
    char *path = mn_path_join(c->dir, name);
    size_t bad, j = 0;
    mnlp_status rc;

    if (!path)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    rc = mn_read_file(path, MAX_VOCAB_FILE, text, len);
    mn_free(path);
    if (rc != MNLP_OK)
        return rc;
    if (!mn_utf8_valid(*text, *len, &bad)) {
        mn_free(*text);
        return mn_errorf(MNLP_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", name, bad);
    }
    for (size_t i = 0; i < *len; i++) {
        char ch = (*text)[i];

        if (ch == '\r' && i + 1 < *len && (*text)[i + 1] == '\n')
            continue;
        (*text)[j++] = ch == '\r' ? '\n' : ch;
    }
    (*text)[j] = 0;
    *len = j;
    return MNLP_OK;
}

/* ---- Added tokens (tokenizers' AddedVocabulary::add_tokens) ------------------ */

static int find_added(const conv *c, const char *s, size_t len)
{
    for (int i = 0; i < c->n_added; i++)
        if (c->added[i].len == len && memcmp(c->added[i].content, s, len) == 0)
            return i;
    return -1;
}

/* convert_tokens_to_ids: added tokens first, then the model's vocabulary. */
static int32_t token_id(const conv *c, const char *s, size_t len)
{
    int i = find_added(c, s, len);

    return i >= 0 ? c->added[i].id : mn_vocab_get(&c->vocab, s, len);
}

/*
 * Add a token: one with the same content is replaced (its id kept); a new
 * one takes its id from the vocabulary, else the next id after both the
 * vocabulary and the added tokens.
 */
static mnlp_status add_token(conv *c, const added *t)
{
    int i = find_added(c, t->content, t->len);
    int32_t id = -1;

    if (!t->len)
        return MNLP_OK;
    if (i >= 0) {
        id = c->added[i].id;
        mn_free(c->added[i].content);
    } else {
        if (!mn_grow((void **)&c->added, &c->added_cap, c->n_added + 1, sizeof *c->added))
            return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        i = c->n_added++;
        if ((id = mn_vocab_get(&c->vocab, t->content, t->len)) < 0) {
            id = c->vocab_size;
            for (int k = 0; k < i; k++)
                if (c->added[k].id >= id)
                    id = c->added[k].id + 1;
        }
    }
    c->added[i] = *t;
    c->added[i].id = id;
    if (!(c->added[i].content = mn_strndup(t->content, t->len)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    return MNLP_OK;
}

/* An AddedToken from a string or a serialized one; special decides the
 * default of normalized (tokenizers: normalized = !special). */
static void token_flags(const mn_json *v, bool special, added *t)
{
    const mn_json *f;

    t->special = special;
    t->normalized = !special;
    t->single_word = t->lstrip = t->rstrip = false;
    if (!v || v->type != MN_JSON_OBJECT)
        return;
    if ((f = mn_json_get(v, "single_word")) && f->type == MN_JSON_BOOL)
        t->single_word = f->boolean;
    if ((f = mn_json_get(v, "lstrip")) && f->type == MN_JSON_BOOL)
        t->lstrip = f->boolean;
    if ((f = mn_json_get(v, "rstrip")) && f->type == MN_JSON_BOOL)
        t->rstrip = f->boolean;
    if ((f = mn_json_get(v, "normalized")) && f->type == MN_JSON_BOOL)
        t->normalized = f->boolean;
}

/* ---- JSON writing helpers ------------------------------------------------------ */

static void put_str(mn_sb *sb, const char *s, size_t n)
{
    mn_json_write_string(sb, s, n, false);
}

static void put_cstr(mn_sb *sb, const char *s)
{
    mn_json_write_string(sb, s, strlen(s), false);
}

static void put_base64(mn_sb *sb, const uint8_t *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];

    mn_sb_puts(sb, "\"");
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);

        q[0] = tab[v >> 18 & 63];
        q[1] = tab[v >> 12 & 63];
        q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? tab[v & 63] : '=';
        mn_sb_append(sb, q, 4);
    }
    mn_sb_puts(sb, "\"");
}

/* A TemplateProcessing piece: a sequence ("A", "B") or a special token. */
static void tpl_piece(mn_sb *sb, const char *seq, const char *tok, size_t len, int type_id)
{
    if (seq) {
        mn_sb_printf(sb, "{\"Sequence\":{\"id\":\"%s\",\"type_id\":%d}}", seq, type_id);
        return;
    }
    mn_sb_puts(sb, "{\"SpecialToken\":{\"id\":");
    put_str(sb, tok, len);
    mn_sb_printf(sb, ",\"type_id\":%d}}", type_id);
}

static void tpl_special(mn_sb *sb, const char *tok, size_t len, int32_t id)
{
    put_str(sb, tok, len);
    mn_sb_puts(sb, ":{\"id\":");
    put_str(sb, tok, len);
    mn_sb_printf(sb, ",\"ids\":[%d],\"tokens\":[", id);
    put_str(sb, tok, len);
    mn_sb_puts(sb, "]}");
}

/* {"type":"ByteLevel",...}, the serialization of pre_tokenizers.ByteLevel,
 * decoders.ByteLevel and processors.ByteLevel alike. */
static void put_bytelevel(mn_sb *sb, bool add_prefix_space, bool trim_offsets)
{
    mn_sb_printf(sb, "{\"type\":\"ByteLevel\",\"add_prefix_space\":%s,\"trim_offsets\":%s,"
                 "\"use_regex\":true}", add_prefix_space ? "true" : "false",
                 trim_offsets ? "true" : "false");
}

static void put_roberta_processing(conv *c, const char *sep, size_t sep_len, const char *cls,
                                   size_t cls_len, bool trim_offsets, bool add_prefix_space)
{
    mn_sb *sb = &c->post_processor;

    mn_sb_puts(sb, "{\"type\":\"RobertaProcessing\",\"sep\":[");
    put_str(sb, sep, sep_len);
    mn_sb_printf(sb, ",%d],\"cls\":[", token_id(c, sep, sep_len));
    put_str(sb, cls, cls_len);
    mn_sb_printf(sb, ",%d],\"trim_offsets\":%s,\"add_prefix_space\":%s}",
                 token_id(c, cls, cls_len), trim_offsets ? "true" : "false",
                 add_prefix_space ? "true" : "false");
}

/* The id of a token a post-processor needs; an error when it has none. */
static mnlp_status need_id(const conv *c, const char *what, const char *tok, size_t len,
                           int32_t *id)
{
    if (!tok)
        return mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: %s is null, but the "
                         "post-processor needs it", what);
    if ((*id = token_id(c, tok, len)) < 0)
        return mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: %s \"%s\" is not in the "
                         "vocabulary", what, tok);
    return MNLP_OK;
}

/* ---- Byte-level BPE files: vocab.json and merges.txt ----------------------------- */

/* Python's str.isspace() for the separators str.split() uses. */
static bool py_space(uint32_t cp)
{
    return (cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Split s[0..n) at runs of whitespace like str.split(); at most max parts. */
static int py_split(const char *s, size_t n, const char **part, size_t *plen, int max)
{
    int k = 0;
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        int l = mn_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        size_t start;

        if (l > 0 && py_space(cp)) {
            i += (size_t)l;
            continue;
        }
        start = i;
        while (i < n && !((l = mn_utf8_decode((const unsigned char *)s + i, n - i, &cp)) > 0 &&
                          py_space(cp)))
            i += l > 0 ? (size_t)l : 1;
        if (k < max) {
            part[k] = s + start;
            plen[k] = i - start;
        }
        k++;
    }
    return k;
}

/* str.strip(): whitespace off both ends of s[0..len). */
static void py_strip(char **s, size_t *len)
{
    uint32_t cp;
    int l;

    while (*len && (l = mn_utf8_decode((const unsigned char *)*s, *len, &cp)) > 0 &&
           py_space(cp)) {
        *s += l;
        *len -= (size_t)l;
    }
    while (*len) {
        size_t start = *len - 1;

        while (start > 0 && ((unsigned char)(*s)[start] & 0xc0) == 0x80)
            start--;
        l = mn_utf8_decode((const unsigned char *)*s + start, *len - start, &cp);
        if (l <= 0 || !py_space(cp))
            break;
        *len = start;
    }
}

/* vocab.json ({"token": id, ...}) as the model's "vocab" object. */
static mnlp_status bpe_vocab_json(conv *c)
{
    char *text = NULL;
    size_t len;
    mn_json_doc *doc = NULL;
    const mn_json *root;
    mnlp_status rc;

    if ((rc = read_text(c, "vocab.json", &text, &len)) != MNLP_OK)
        return rc;
    rc = mn_json_parse(text, len, NULL, &doc);
    mn_free(text);
    if (rc != MNLP_OK)
        return mn_error_prefix(rc, "vocab.json");
    root = mn_json_root(doc);
    if (root->type != MN_JSON_OBJECT)
        rc = mn_errorf(MNLP_ERR_FORMAT, "vocab.json: not a JSON object");
    mn_sb_puts(&c->model, "\"vocab\":{");
    for (size_t i = 0; rc == MNLP_OK && i < root->len; i++) {
        const mn_json *v = &root->items[i];

        if (!v->is_int || v->integer < 0 || v->integer > INT32_MAX) {
            rc = mn_errorf(MNLP_ERR_FORMAT, "vocab.json: \"%s\": id is not an integer in "
                           "[0, 2^31)", v->key);
            break;
        }
        if (!mn_vocab_put(&c->vocab, v->key, v->key_len, (int32_t)v->integer))
            rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        mn_sb_puts(&c->model, i ? "," : "");
        put_str(&c->model, v->key, v->key_len);
        mn_sb_printf(&c->model, ":%d", (int32_t)v->integer);
    }
    mn_sb_puts(&c->model, "}");
    c->vocab_size = (int32_t)c->vocab.count;
    mn_json_free(doc);
    return rc;
}

/* Whether the merge (a, b) is new; it is remembered. */
static mnlp_status note_pair(mn_vocab *seen, const char **part, const size_t *plen, bool *fresh)
{
    char *key = mn_malloc(plen[0] + plen[1] + 2);
    size_t n = plen[0] + plen[1] + 1;

    if (!key)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    memcpy(key, part[0], plen[0]);
    key[plen[0]] = ' '; /* neither token holds whitespace */
    memcpy(key + plen[0] + 1, part[1], plen[1]);
    *fresh = mn_vocab_get(seen, key, n) < 0;
    if (*fresh && !mn_vocab_put(seen, key, n, 0)) {
        mn_free(key);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    mn_free(key);
    return MNLP_OK;
}

/*
 * merges.txt as the slow classes read it: lines[first, last) of the text
 * split at "\n", each split at whitespace into exactly two tokens, and
 * duplicates dropped after their first occurrence (list(bpe_ranks)).
 */
static mnlp_status bpe_merges_txt(conv *c, bool clip)
{
    char *text = NULL, *s;
    size_t len, n_lines = 1, line = 0, last;
    mn_vocab seen = {0};
    mnlp_status rc;
    bool first = true;

    if ((rc = read_text(c, "merges.txt", &text, &len)) != MNLP_OK)
        return rc;
    s = text;
    if (clip) /* CLIPTokenizer: read().strip().split("\n")[1:49152 - 256 - 2 + 1] */
        py_strip(&s, &len);
    for (size_t i = 0; i < len; i++)
        n_lines += s[i] == '\n';
    /* GPT2Tokenizer and RobertaTokenizer: read().split("\n")[1:-1] */
    last = clip ? (n_lines < 48895 ? n_lines : 48895) : n_lines - 1;
    mn_sb_puts(&c->model, ",\"merges\":[");
    for (char *p = s, *end = s + len; rc == MNLP_OK && p <= end; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *part[2];
        size_t plen[2];
        bool fresh;
        int k;

        if (line >= 1 && line < last) {
            if ((k = py_split(p, ll, part, plen, 2)) != 2)
                rc = mn_errorf(MNLP_ERR_FORMAT, "merges.txt: line %zu has %d tokens, expected "
                               "2", line + 1, k);
            else if ((rc = note_pair(&seen, part, plen, &fresh)) == MNLP_OK && fresh) {
                mn_sb_puts(&c->model, first ? "[" : ",[");
                put_str(&c->model, part[0], plen[0]);
                mn_sb_puts(&c->model, ",");
                put_str(&c->model, part[1], plen[1]);
                mn_sb_puts(&c->model, "]");
                first = false;
            }
        }
        p += ll + 1;
    }
    mn_sb_puts(&c->model, "]");
    mn_vocab_free(&seen);
    mn_free(text);
    return rc;
}

/* A BPE model over vocab.json and merges.txt (GPT2Converter and friends). */
static mnlp_status bpe_files(conv *c, const char *unk, size_t unk_len, const char *suffix,
                             bool clip)
{
    mnlp_status rc;

    mn_sb_puts(&c->model, "{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":");
    if (unk)
        put_str(&c->model, unk, unk_len);
    else
        mn_sb_puts(&c->model, "null");
    mn_sb_puts(&c->model, ",\"continuing_subword_prefix\":\"\",\"end_of_word_suffix\":");
    put_cstr(&c->model, suffix);
    mn_sb_puts(&c->model, ",\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":false,");
    if ((rc = bpe_vocab_json(c)) != MNLP_OK || (rc = bpe_merges_txt(c, clip)) != MNLP_OK)
        return rc;
    mn_sb_puts(&c->model, "}");
    return MNLP_OK;
}

static bool bpe_usable(const conv *c)
{
    return has_file(c, "vocab.json") && has_file(c, "merges.txt");
}

/* GPT2Converter; GPT2Tokenizer defaults add_prefix_space and add_bos_token to false. */
static mnlp_status gpt2_build(conv *c, const converter *cv)
{
    (void)cv;
    put_bytelevel(&c->pre_tokenizer, cfg_bool(c, "add_prefix_space", false), true);
    put_bytelevel(&c->decoder, true, true);
    return bpe_files(c, NULL, 0, "", false);
}

static mnlp_status gpt2_post(conv *c, const converter *cv)
{
    const mn_json *node;
    const char *bos;
    size_t len;
    int32_t id = -1;
    mnlp_status rc;
    mn_sb *sb = &c->post_processor;

    if (!cfg_bool(c, "add_bos_token", false)) {
        /* trim_offsets false: this post-processor changes nothing */
        put_bytelevel(sb, true, false);
        return MNLP_OK;
    }
    bos = special_token(c, cv, BOS, &len, &node);
    if ((rc = need_id(c, "bos_token", bos, len, &id)) != MNLP_OK)
        return rc;
    mn_sb_puts(sb, "{\"type\":\"TemplateProcessing\",\"single\":[");
    tpl_piece(sb, NULL, bos, len, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, "A", NULL, 0, 0);
    mn_sb_puts(sb, "],\"pair\":[");
    tpl_piece(sb, NULL, bos, len, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, "A", NULL, 0, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, "B", NULL, 0, 1);
    mn_sb_puts(sb, "],\"special_tokens\":{");
    tpl_special(sb, bos, len, id);
    mn_sb_puts(sb, "}}");
    return MNLP_OK;
}

/* RobertaConverter; RobertaTokenizerFast keeps trim_offsets (default true). */
static mnlp_status roberta_build(conv *c, const converter *cv)
{
    (void)cv;
    put_bytelevel(&c->pre_tokenizer, cfg_bool(c, "add_prefix_space", false), true);
    put_bytelevel(&c->decoder, true, true);
    return bpe_files(c, NULL, 0, "", false);
}

static mnlp_status roberta_post(conv *c, const converter *cv)
{
    const mn_json *node;
    size_t sep_len, cls_len;
    const char *sep = special_token(c, cv, SEP, &sep_len, &node);
    const char *cls = special_token(c, cv, CLS, &cls_len, &node);
    int32_t id = -1;
    mnlp_status rc;

    if ((rc = need_id(c, "sep_token", sep, sep_len, &id)) != MNLP_OK ||
        (rc = need_id(c, "cls_token", cls, cls_len, &id)) != MNLP_OK)
        return rc;
    put_roberta_processing(c, sep, sep_len, cls, cls_len, cfg_bool(c, "trim_offsets", true),
                           cfg_bool(c, "add_prefix_space", false));
    return MNLP_OK;
}

/* CLIPConverter: words are letter runs, single digits or other non-space
 * runs, each ending in "</w>". */
static mnlp_status clip_build(conv *c, const converter *cv)
{
    const mn_json *node;
    size_t unk_len;
    const char *unk = special_token(c, cv, UNK, &unk_len, &node);

    mn_sb_puts(&c->normalizer, "{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFC\"},"
               "{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"content\":\" \"},"
               "{\"type\":\"Lowercase\"}]}");
    mn_sb_puts(&c->pre_tokenizer, "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":"
               "\"Split\",\"pattern\":{\"Regex\":");
    put_cstr(&c->pre_tokenizer,
             "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+");
    mn_sb_puts(&c->pre_tokenizer, "},\"behavior\":\"Removed\",\"invert\":true},");
    put_bytelevel(&c->pre_tokenizer, false, true);
    mn_sb_puts(&c->pre_tokenizer, "]}");
    put_bytelevel(&c->decoder, true, true);
    return bpe_files(c, unk, unk_len, "</w>", true);
}

/* A RobertaProcessing with trim_offsets off stands in for a template that
 * keeps the byte-level offsets. */
static mnlp_status clip_post(conv *c, const converter *cv)
{
    const mn_json *node;
    size_t eos_len, bos_len;
    const char *eos = special_token(c, cv, EOS, &eos_len, &node);
    const char *bos = special_token(c, cv, BOS, &bos_len, &node);
    int32_t id = -1;
    mnlp_status rc;

    if ((rc = need_id(c, "eos_token", eos, eos_len, &id)) != MNLP_OK ||
        (rc = need_id(c, "bos_token", bos, bos_len, &id)) != MNLP_OK)
        return rc;
    put_roberta_processing(c, eos, eos_len, bos, bos_len, false, false);
    return MNLP_OK;
}

/* ---- BertConverter: vocab.txt ------------------------------------------------------ */

static bool bert_usable(const conv *c)
{
    return has_file(c, "vocab.txt");
}

/* vocab.txt: one token per line (load_vocab); a repeated token keeps the
 * later index, as the dict assignment does. */
static mnlp_status bert_vocab(conv *c)
{
    char *text = NULL;
    size_t len;
    int32_t n = 0;
    mnlp_status rc;
    bool first = true;

    if ((rc = read_text(c, "vocab.txt", &text, &len)) != MNLP_OK)
        return rc;
    for (char *p = text, *end = text + len; p < end && rc == MNLP_OK; n++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

        if (n == INT32_MAX)
            rc = mn_errorf(MNLP_ERR_LIMIT, "vocab.txt: more than %d lines", INT32_MAX);
        else if (!mn_vocab_put(&c->vocab, p, ll, n))
            rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        p += ll + 1;
    }
    mn_sb_puts(&c->model, ",\"vocab\":{");
    n = 0;
    for (char *p = text, *end = text + len; p < end && rc == MNLP_OK; n++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

        if (mn_vocab_get(&c->vocab, p, ll) == n) {
            mn_sb_puts(&c->model, first ? "" : ",");
            put_str(&c->model, p, ll);
            mn_sb_printf(&c->model, ":%d", n);
            first = false;
        }
        p += ll + 1;
    }
    mn_sb_puts(&c->model, "}}");
    c->vocab_size = (int32_t)c->vocab.count;
    mn_free(text);
    return rc;
}

/*
 * BertTokenizer's options: do_lower_case (default true),
 * tokenize_chinese_chars (true), strip_accents (None, written null); with
 * do_basic_tokenize false there is no basic tokenizer and all are off.
 */
static mnlp_status bert_build(conv *c, const converter *cv)
{
    const mn_json *node, *sa = mn_json_get(c->config, "strip_accents");
    size_t unk_len;
    const char *unk = special_token(c, cv, UNK, &unk_len, &node);
    bool basic = cfg_bool(c, "do_basic_tokenize", true);

    mn_sb_printf(&c->normalizer, "{\"type\":\"BertNormalizer\",\"clean_text\":true,"
                 "\"handle_chinese_chars\":%s,\"strip_accents\":%s,\"lowercase\":%s}",
                 basic && cfg_bool(c, "tokenize_chinese_chars", true) ? "true" : "false",
                 !basic ? "false" : sa && sa->type == MN_JSON_BOOL ? (sa->boolean ? "true" :
                 "false") : "null",
                 basic && cfg_bool(c, "do_lower_case", true) ? "true" : "false");
    mn_sb_puts(&c->pre_tokenizer, "{\"type\":\"BertPreTokenizer\"}");
    mn_sb_puts(&c->decoder, "{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true}");
    mn_sb_puts(&c->model, "{\"type\":\"WordPiece\",\"unk_token\":");
    if (!unk)
        return mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: unk_token is null");
    put_str(&c->model, unk, unk_len);
    mn_sb_puts(&c->model, ",\"continuing_subword_prefix\":\"##\","
               "\"max_input_chars_per_word\":100");
    return bert_vocab(c);
}

static mnlp_status bert_post(conv *c, const converter *cv)
{
    const mn_json *node;
    size_t sep_len, cls_len;
    const char *sep = special_token(c, cv, SEP, &sep_len, &node);
    const char *cls = special_token(c, cv, CLS, &cls_len, &node);
    int32_t sep_id = -1, cls_id = -1;
    mnlp_status rc;
    mn_sb *sb = &c->post_processor;

    if ((rc = need_id(c, "sep_token", sep, sep_len, &sep_id)) != MNLP_OK ||
        (rc = need_id(c, "cls_token", cls, cls_len, &cls_id)) != MNLP_OK)
        return rc;
    mn_sb_puts(sb, "{\"type\":\"TemplateProcessing\",\"single\":[");
    tpl_piece(sb, NULL, cls, cls_len, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, "A", NULL, 0, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, NULL, sep, sep_len, 0);
    mn_sb_puts(sb, "],\"pair\":[");
    tpl_piece(sb, NULL, cls, cls_len, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, "A", NULL, 0, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, NULL, sep, sep_len, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, "B", NULL, 0, 1);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, NULL, sep, sep_len, 1);
    mn_sb_puts(sb, "],\"special_tokens\":{");
    tpl_special(sb, cls, cls_len, cls_id);
    mn_sb_puts(sb, ",");
    tpl_special(sb, sep, sep_len, sep_id);
    mn_sb_puts(sb, "}}");
    return MNLP_OK;
}

/* ---- SentencePiece converters ------------------------------------------------------ */

/* The converter's vocab(proto): (piece, score) in id order. */
typedef struct spm_vocab {
    const char **tok;
    size_t *len;
    double *score;
    int32_t n;
    char **owned;                 /* strings made here (<extra_id_N>) */
    int32_t n_owned;
} spm_vocab;

static void spm_vocab_free(spm_vocab *v)
{
    for (int32_t i = 0; i < v->n_owned; i++)
        mn_free(v->owned[i]);
    mn_free(v->owned);
    mn_free(v->tok);
    mn_free(v->len);
    mn_free(v->score);
}

/* The pieces, then n_extra more entries for the caller to fill. */
static mnlp_status spm_vocab_init(const mn_spm_model *m, int32_t n_extra, spm_vocab *v)
{
    size_t n = (size_t)m->n_pieces + (size_t)n_extra;

    memset(v, 0, sizeof *v);
    if (n > INT32_MAX)
        return mn_errorf(MNLP_ERR_LIMIT, "%zu tokens", n);
    v->tok = mn_calloc(n + 1, sizeof *v->tok);
    v->len = mn_calloc(n + 1, sizeof *v->len);
    v->score = mn_calloc(n + 1, sizeof *v->score);
    v->owned = mn_calloc((size_t)n_extra + 1, sizeof *v->owned);
    if (!v->tok || !v->len || !v->score || !v->owned)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int32_t i = 0; i < m->n_pieces; i++) {
        v->tok[i] = m->pieces[i].piece;
        v->len[i] = m->pieces[i].len;
        v->score[i] = m->pieces[i].score;
    }
    v->n = m->n_pieces;
    return MNLP_OK;
}

/* Index the converter's vocabulary; the model's token -> id must be a
 * function, so a repeated token is an error. */
static mnlp_status spm_index(conv *c, const spm_vocab *v, const char *file)
{
    for (int32_t i = 0; i < v->n; i++) {
        if (mn_vocab_get(&c->vocab, v->tok[i], v->len[i]) >= 0)
            return mn_errorf(MNLP_ERR_FORMAT, "%s: piece %d \"%s\" occurs twice", file, i,
                             v->tok[i]);
        if (!isfinite(v->score[i]))
            return mn_errorf(MNLP_ERR_FORMAT, "%s: piece %d \"%s\": score is not finite", file,
                             i, v->tok[i]);
        if (!mn_vocab_put(&c->vocab, v->tok[i], v->len[i], i))
            return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    c->vocab_size = v->n;
    return MNLP_OK;
}

/* One merge of generate_merges: piece i split at byte cut. */
typedef struct merge {
    int32_t piece, cut;
    int32_t a, b;                 /* ids of the halves in the model file */
    int32_t len_a, len_b;         /* in code points, as Python's len() */
    int64_t seq;
} merge;

static const spm_vocab *sort_vocab;

/* sorted(key=(score, len(a), len(b)), reverse=True), stable */
static int merge_cmp(const void *x, const void *y)
{
    const merge *p = x, *q = y;
    double sp = sort_vocab->score[p->piece], sq = sort_vocab->score[q->piece];

    if (sp != sq)
        return sp > sq ? -1 : 1;
    if (p->len_a != q->len_a)
        return p->len_a > q->len_a ? -1 : 1;
    if (p->len_b != q->len_b)
        return p->len_b > q->len_b ? -1 : 1;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* The splits of piece i whose halves are both pieces of the model file,
 * ordered by (id of a, id of b) as generate_merges orders them locally. */
static mnlp_status piece_merges(const mn_vocab *pieces, const spm_vocab *v, int32_t i, merge **m,
                                int *n, int *cap)
{
    const char *s = v->tok[i];
    int32_t total = 0, k = 0, first = *n;
    uint32_t cp;

    for (size_t p = 0; p < v->len[i]; total++)
        p += (size_t)mn_utf8_decode((const unsigned char *)s + p, v->len[i] - p, &cp);
    for (size_t cut = 0; k < total; k++) {
        merge t = {i, (int32_t)cut, -1, -1, k, total - k, 0};

        if (k > 0) {
            t.a = mn_vocab_get(pieces, s, cut);
            t.b = mn_vocab_get(pieces, s + cut, v->len[i] - cut);
        }
        if (t.a >= 0 && t.b >= 0) {
            if (!mn_grow((void **)m, cap, *n + 1, sizeof **m))
                return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
            for (int j = (*n)++; ; j--) {
                if (j == first || (*m)[j - 1].a < t.a ||
                    ((*m)[j - 1].a == t.a && (*m)[j - 1].b <= t.b)) {
                    (*m)[j] = t;
                    break;
                }
                (*m)[j] = (*m)[j - 1];
            }
        }
        cut += (size_t)mn_utf8_decode((const unsigned char *)s + cut, v->len[i] - cut, &cp);
    }
    return MNLP_OK;
}

/* generate_merges(vocab, vocab_scores) of SentencePieceExtractor, written
 * as the BPE model's "merges". */
static mnlp_status spm_merges(conv *c, const spm_vocab *v)
{
    mn_vocab pieces = {0};
    merge *m = NULL;
    int n = 0, cap = 0;
    mnlp_status rc = MNLP_OK;

    for (int32_t i = 0; i < c->spm->n_pieces && rc == MNLP_OK; i++)
        if (!mn_vocab_put(&pieces, c->spm->pieces[i].piece, c->spm->pieces[i].len, i))
            rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int32_t i = 0; i < v->n && rc == MNLP_OK; i++)
        rc = piece_merges(&pieces, v, i, &m, &n, &cap);
    for (int i = 0; i < n; i++)
        m[i].seq = i;
    sort_vocab = v;
    if (n)
        qsort(m, (size_t)n, sizeof *m, merge_cmp);
    mn_sb_puts(&c->model, ",\"merges\":[");
    for (int i = 0; i < n && rc == MNLP_OK; i++) {
        const char *s = v->tok[m[i].piece];

        mn_sb_puts(&c->model, i ? ",[" : "[");
        put_str(&c->model, s, (size_t)m[i].cut);
        mn_sb_puts(&c->model, ",");
        put_str(&c->model, s + m[i].cut, v->len[m[i].piece] - (size_t)m[i].cut);
        mn_sb_puts(&c->model, "]");
    }
    mn_sb_puts(&c->model, "]");
    mn_free(m);
    mn_vocab_free(&pieces);
    return rc;
}

/* SpmConverter.tokenizer(): a Unigram or BPE model over the vocabulary, and
 * the CONTROL (special) and USER_DEFINED pieces as added tokens. */
static mnlp_status spm_model(conv *c, const spm_vocab *v, int32_t unk_id, bool byte_fallback,
                             const char *file)
{
    const mn_spm_trainer_spec *t = &c->spm->trainer_spec;
    mnlp_status rc;

    if ((rc = spm_index(c, v, file)) != MNLP_OK)
        return rc;
    if (t->model_type == MN_SPM_UNIGRAM) {
        if (unk_id < 0 || unk_id >= v->n)
            return mn_errorf(MNLP_ERR_FORMAT, "%s: trainer_spec.unk_id %d is not a piece id",
                             file, unk_id);
        mn_sb_printf(&c->model, "{\"type\":\"Unigram\",\"unk_id\":%d,\"vocab\":[", unk_id);
        for (int32_t i = 0; i < v->n; i++) {
            mn_sb_puts(&c->model, i ? ",[" : "[");
            put_str(&c->model, v->tok[i], v->len[i]);
            mn_sb_printf(&c->model, ",%.17g]", v->score[i]);
        }
        mn_sb_printf(&c->model, "],\"byte_fallback\":%s}", byte_fallback ? "true" : "false");
    } else if (t->model_type == MN_SPM_BPE) {
        mn_sb_puts(&c->model, "{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":");
        put_cstr(&c->model, t->unk_piece);
        mn_sb_printf(&c->model, ",\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,"
                     "\"fuse_unk\":true,\"byte_fallback\":%s,\"ignore_merges\":false,"
                     "\"vocab\":{", byte_fallback ? "true" : "false");
        for (int32_t i = 0; i < v->n; i++) {
            mn_sb_puts(&c->model, i ? "," : "");
            put_str(&c->model, v->tok[i], v->len[i]);
            mn_sb_printf(&c->model, ":%d", i);
        }
        mn_sb_puts(&c->model, "}");
        if ((rc = spm_merges(c, v)) != MNLP_OK)
            return rc;
        mn_sb_puts(&c->model, "}");
    } else {
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: trainer_spec.model_type %s: transformers "
                         "converts only UNIGRAM and BPE models", file,
                         t->model_type == MN_SPM_WORD ? "WORD" : "CHAR");
    }
    for (int32_t i = 0; i < c->spm->n_pieces; i++) {
        const mn_spm_piece *p = &c->spm->pieces[i];
        added a = {p->piece, p->len, -1, false, false, false, false, p->type == MN_SPM_CONTROL};

        if ((p->type == MN_SPM_CONTROL || p->type == MN_SPM_USER_DEFINED) &&
            (rc = add_token(c, &a)) != MNLP_OK)
            return rc;
    }
    return MNLP_OK;
}

/* _get_prepend_scheme: "always", or "first" for a non-legacy tokenizer. */
static const char *prepend_scheme(const conv *c, bool add_prefix_space)
{
    if (!add_prefix_space)
        return "never";
    return cfg_bool(c, "legacy", true) ? "always" : "first";
}

static void put_metaspace(mn_sb *sb, const char *scheme, bool split)
{
    mn_sb_printf(sb, "{\"type\":\"Metaspace\",\"replacement\":\"" META "\",\"prepend_scheme\":"
                 "\"%s\",\"split\":%s}", scheme, split ? "true" : "false");
}

static mnlp_status spm_load(conv *c, const char *file)
{
    char *path = mn_path_join(c->dir, file);
    mnlp_status rc;

    if (!path)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    rc = mn_spm_load(path, &c->spm);
    mn_free(path);
    return rc;
}

/* SpmConverter's normalizer, pre-tokenizer and decoder. */
static void spm_pipeline(conv *c)
{
    const mn_spm_normalizer_spec *ns = &c->spm->normalizer_spec;
    bool aps = cfg_bool(c, "add_prefix_space", true);

    mn_sb_puts(&c->normalizer, "{\"type\":\"Sequence\",\"normalizers\":[");
    if (ns->precompiled_charsmap_len) {
        mn_sb_puts(&c->normalizer, "{\"type\":\"Precompiled\",\"precompiled_charsmap\":");
        put_base64(&c->normalizer, ns->precompiled_charsmap, ns->precompiled_charsmap_len);
        mn_sb_puts(&c->normalizer, "},");
    }
    mn_sb_puts(&c->normalizer, "{\"type\":\"Strip\",\"strip_left\":false,\"strip_right\":true},"
               "{\"type\":\"Replace\",\"pattern\":{\"Regex\":\" {2,}\"},\"content\":\"" META
               "\"}]}");
    put_metaspace(&c->pre_tokenizer, prepend_scheme(c, aps), true);
    put_metaspace(&c->decoder, prepend_scheme(c, aps), true);
}

static bool spiece_usable(const conv *c)
{
    return has_file(c, "spiece.model");
}

/* The generic SpmConverter, for a spiece.model of no known class. */
static mnlp_status spm_build(conv *c, const converter *cv)
{
    spm_vocab v;
    mnlp_status rc;

    (void)cv;
    if ((rc = spm_load(c, "spiece.model")) != MNLP_OK)
        return rc;
    if ((rc = spm_vocab_init(c->spm, 0, &v)) == MNLP_OK)
        rc = spm_model(c, &v, c->spm->trainer_spec.unk_id, false, "spiece.model");
    spm_vocab_free(&v);
    if (rc == MNLP_OK)
        spm_pipeline(c);
    return rc;
}

/* T5Converter: the pieces, then <extra_id_99> ... <extra_id_0>. */
static mnlp_status t5_build(conv *c, const converter *cv)
{
    int64_t extra = cfg_int(c, "extra_ids", 100);
    spm_vocab v;
    mnlp_status rc;

    (void)cv;
    if (extra < 0 || extra > 1000000)
        return mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: extra_ids %lld is out of "
                         "range", (long long)extra);
    if ((rc = spm_load(c, "spiece.model")) != MNLP_OK)
        return rc;
    if ((rc = spm_vocab_init(c->spm, (int32_t)extra, &v)) != MNLP_OK) {
        spm_vocab_free(&v);
        return rc;
    }
    for (int32_t i = (int32_t)extra - 1; i >= 0 && rc == MNLP_OK; i--) {
        char *s = mn_asprintf("<extra_id_%d>", i);

        if (!s) {
            rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
            break;
        }
        v.owned[v.n_owned++] = s;
        v.tok[v.n] = s;
        v.len[v.n++] = strlen(s);
    }
    if (rc == MNLP_OK)
        rc = spm_model(c, &v, c->spm->trainer_spec.unk_id, false, "spiece.model");
    spm_vocab_free(&v);
    if (rc == MNLP_OK)
        spm_pipeline(c);
    return rc;
}

static mnlp_status t5_post(conv *c, const converter *cv)
{
    int32_t id = -1;
    mnlp_status rc;
    mn_sb *sb = &c->post_processor;

    (void)cv;
    if ((rc = need_id(c, "\"</s>\"", "</s>", 4, &id)) != MNLP_OK)
        return rc;
    mn_sb_puts(sb, "{\"type\":\"TemplateProcessing\",\"single\":[");
    tpl_piece(sb, "A", NULL, 0, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, NULL, "</s>", 4, 0);
    mn_sb_puts(sb, "],\"pair\":[");
    tpl_piece(sb, "A", NULL, 0, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, NULL, "</s>", 4, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, "B", NULL, 0, 0);
    mn_sb_puts(sb, ",");
    tpl_piece(sb, NULL, "</s>", 4, 0);
    mn_sb_puts(sb, "],\"special_tokens\":{");
    tpl_special(sb, "</s>", 4, id);
    mn_sb_puts(sb, "}}");
    return MNLP_OK;
}

static bool llama_usable(const conv *c)
{
    return has_file(c, "tokenizer.model");
}

/*
 * LlamaConverter: ids 0-2 are renamed to the slow tokenizer's tokens for
 * them (tokenizer_config.json's added_tokens_decoder wins over the file)
 * with score 0; a BPE model (or Unigram) with byte fallback. legacy (default
 * true) keeps the old normalizer that prepends and replaces spaces itself.
 */
static mnlp_status llama_build(conv *c, const converter *cv)
{
    const mn_json *decoder = mn_json_get(c->config, "added_tokens_decoder");
    bool aps = cfg_bool(c, "add_prefix_space", true), legacy = cfg_bool(c, "legacy", true);
    spm_vocab v;
    mnlp_status rc;

    (void)cv;
    if ((rc = spm_load(c, "tokenizer.model")) != MNLP_OK)
        return rc;
    if (c->spm->n_pieces < 3)
        return mn_errorf(MNLP_ERR_FORMAT, "tokenizer.model: %d pieces; Llama needs at least 3",
                         c->spm->n_pieces);
    if ((rc = spm_vocab_init(c->spm, 0, &v)) != MNLP_OK) {
        spm_vocab_free(&v);
        return rc;
    }
    for (int i = 0; i < 3; i++) {
        char key[2] = {(char)('0' + i), 0};
        const mn_json *t = token_content(mn_json_get(decoder, key));

        if (t) {
            v.tok[i] = t->str;
            v.len[i] = t->len;
        }
        v.score[i] = 0.0;
    }
    rc = spm_model(c, &v, 0, true, "tokenizer.model");
    spm_vocab_free(&v);
    if (rc != MNLP_OK)
        return rc;
    if (legacy) {
        mn_sb_puts(&c->normalizer, "{\"type\":\"Sequence\",\"normalizers\":[");
        if (aps)
            mn_sb_puts(&c->normalizer, "{\"type\":\"Prepend\",\"prepend\":\"" META "\"},");
        mn_sb_puts(&c->normalizer, "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},"
                   "\"content\":\"" META "\"}]}");
    } else {
        put_metaspace(&c->pre_tokenizer, prepend_scheme(c, aps), false);
    }
    mn_sb_puts(&c->decoder, "{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\","
               "\"pattern\":{\"String\":\"" META "\"},\"content\":\" \"},{\"type\":"
               "\"ByteFallback\"},{\"type\":\"Fuse\"}");
    if (aps)
        mn_sb_puts(&c->decoder, ",{\"type\":\"Strip\",\"content\":\" \",\"start\":1,\"stop\":0}");
    mn_sb_puts(&c->decoder, "]}");
    return MNLP_OK;
}

/* LlamaTokenizerFast.update_post_processor: bos (add_bos_token, default
 * true) and eos (add_eos_token, default false) around each sequence. */
static mnlp_status llama_post(conv *c, const converter *cv)
{
    const mn_json *node;
    bool add_bos = cfg_bool(c, "add_bos_token", true);
    bool add_eos = cfg_bool(c, "add_eos_token", false);
    size_t bos_len, eos_len;
    const char *bos = special_token(c, cv, BOS, &bos_len, &node);
    const char *eos = special_token(c, cv, EOS, &eos_len, &node);
    int32_t bos_id = -1, eos_id = -1;
    mnlp_status rc;
    mn_sb *sb = &c->post_processor;

    if ((add_bos && (rc = need_id(c, "bos_token", bos, bos_len, &bos_id)) != MNLP_OK) ||
        (add_eos && (rc = need_id(c, "eos_token", eos, eos_len, &eos_id)) != MNLP_OK))
        return rc;
    mn_sb_puts(sb, "{\"type\":\"TemplateProcessing\",\"single\":[");
    for (int pair = 0; pair < 2; pair++) {
        for (int seq = 0; seq <= pair; seq++) {
            if (add_bos) {
                tpl_piece(sb, NULL, bos, bos_len, seq);
                mn_sb_puts(sb, ",");
            }
            tpl_piece(sb, seq ? "B" : "A", NULL, 0, seq);
            if (add_eos) {
                mn_sb_puts(sb, ",");
                tpl_piece(sb, NULL, eos, eos_len, seq);
            }
            mn_sb_puts(sb, seq < pair ? "," : "");
        }
        mn_sb_puts(sb, pair ? "]" : "],\"pair\":[");
    }
    mn_sb_puts(sb, ",\"special_tokens\":{");
    if (add_bos)
        tpl_special(sb, bos, bos_len, bos_id);
    if (add_eos && !(add_bos && bos_len == eos_len && memcmp(bos, eos, bos_len) == 0)) {
        mn_sb_puts(sb, add_bos ? "," : "");
        tpl_special(sb, eos, eos_len, eos_id);
    }
    mn_sb_puts(sb, "}}");
    return MNLP_OK;
}

/* ---- Choosing a converter ------------------------------------------------------ */

static const converter converters[] = {
    {"LlamaConverter", "tokenizer.model", llama_usable, llama_build, llama_post,
     {"<s>", "</s>", "<unk>", NULL, NULL, NULL, NULL}, false, false},
    {"T5Converter", "spiece.model", spiece_usable, t5_build, t5_post,
     {NULL, "</s>", "<unk>", NULL, "<pad>", NULL, NULL}, true, false},
    {"GPT2Converter", "vocab.json and merges.txt", bpe_usable, gpt2_build, gpt2_post,
     {"<|endoftext|>", "<|endoftext|>", "<|endoftext|>", NULL, NULL, NULL, NULL}, false, false},
    {"CLIPConverter", "vocab.json and merges.txt", bpe_usable, clip_build, clip_post,
     {"<|startoftext|>", "<|endoftext|>", "<|endoftext|>", NULL, "<|endoftext|>", NULL, NULL},
     false, false},
    {"RobertaConverter", "vocab.json and merges.txt", bpe_usable, roberta_build, roberta_post,
     {"<s>", "</s>", "<unk>", "</s>", "<pad>", "<s>", "<mask>"}, false, true},
    {"BertConverter", "vocab.txt", bert_usable, bert_build, bert_post,
     {NULL, NULL, "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"}, false, false},
    {"SpmConverter", "spiece.model", spiece_usable, spm_build, NULL,
     {NULL, NULL, NULL, NULL, NULL, NULL, NULL}, false, false},
};

enum { LLAMA, T5, GPT2, CLIP, ROBERTA, BERT, SPM };

/* SLOW_TO_FAST_CONVERTERS, for the converters above. */
static const struct {
    const char *cls;
    int converter;
} classes[] = {
    {"LlamaTokenizer", LLAMA},        {"CodeLlamaTokenizer", LLAMA},
    {"Phi3Tokenizer", LLAMA},         {"T5Tokenizer", T5},
    {"GPT2Tokenizer", GPT2},          {"CodeGenTokenizer", GPT2},
    {"CLIPTokenizer", CLIP},          {"RobertaTokenizer", ROBERTA},
    {"BartTokenizer", ROBERTA},       {"LongformerTokenizer", ROBERTA},
    {"LEDTokenizer", ROBERTA},        {"MvpTokenizer", ROBERTA},
    {"BertTokenizer", BERT},          {"DistilBertTokenizer", BERT},
    {"ElectraTokenizer", BERT},       {"ConvBertTokenizer", BERT},
    {"LxmertTokenizer", BERT},        {"MobileBertTokenizer", BERT},
    {"SqueezeBertTokenizer", BERT},   {"RetriBertTokenizer", BERT},
    {"RealmTokenizer", BERT},         {"LayoutLMTokenizer", BERT},
    {"DPRReaderTokenizer", BERT},     {"DPRQuestionEncoderTokenizer", BERT},
    {"DPRContextEncoderTokenizer", BERT},
};

/* Without a known class, the files decide, in this order. */
static const int by_files[] = {BERT, GPT2, LLAMA, SPM};

static mnlp_status choose(const conv *c, const converter **out)
{
    const mn_json *v = mn_json_get(c->config, "tokenizer_class");
    char cls[128] = "";
    size_t n;

    if (v && v->type == MN_JSON_STRING && v->len < sizeof cls) {
        memcpy(cls, v->str, v->len + 1);
        n = strlen(cls);
        if (n > 4 && strcmp(cls + n - 4, "Fast") == 0)
            cls[n - 4] = 0;
    }
    for (int i = 0; cls[0] && i < MN_COUNT(classes); i++) {
        if (strcmp(classes[i].cls, cls) != 0)
            continue;
        *out = &converters[classes[i].converter];
        if (!(*out)->usable(c))
            return mn_errorf(MNLP_ERR_NOT_FOUND, "%s: tokenizer_class %s needs %s to build "
                             "tokenizer.json, and the folder has none", c->dir, cls,
                             (*out)->files);
        return MNLP_OK;
    }
    for (int i = 0; i < MN_COUNT(by_files); i++) {
        *out = &converters[by_files[i]];
        if ((*out)->usable(c))
            return MNLP_OK;
    }
    *out = NULL;
    return mn_errorf(MNLP_ERR_NOT_FOUND, "%s: no tokenizer.json, and %s%s%s has no converter "
                     "and none of vocab.txt, vocab.json + merges.txt, tokenizer.model, "
                     "spiece.model is there", c->dir, cls[0] ? "tokenizer_class \"" : "",
                     cls[0] ? cls : "no tokenizer_class", cls[0] ? "\"" : "");
}

/* ---- Special tokens (PreTrainedTokenizerFast.__init__) ------------------------------ */

/* One special token: its content and its tokenizer_config.json node. */
typedef struct special {
    const char *s;
    size_t len;
    const mn_json *node;
    char *owned;
} special;

typedef struct specials {
    special *items;
    int n, cap;
} specials;

static mnlp_status push_special(specials *l, const char *s, size_t len, const mn_json *node,
                                char *owned)
{
    if (!mn_grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items)) {
        mn_free(owned);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    l->items[l->n++] = (special){s, len, node, owned};
    return MNLP_OK;
}

static bool in_specials(const specials *l, const char *s, size_t len)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i].len == len && memcmp(l->items[i].s, s, len) == 0)
            return true;
    return false;
}

/* T5Tokenizer: additional_special_tokens without <extra_id_N> get all of
 * them appended; with some, their number must be extra_ids. */
static mnlp_status t5_extra_tokens(const conv *c, specials *l, int have)
{
    int64_t extra = cfg_int(c, "extra_ids", 100);
    mnlp_status rc = MNLP_OK;

    if (have > 0) {
        if (extra > 0 && extra != have)
            return mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: extra_ids is %lld but "
                             "additional_special_tokens has %d <extra_id_N> tokens",
                             (long long)extra, have);
        return MNLP_OK;
    }
    for (int64_t i = 0; i < extra && i < 1000000 && rc == MNLP_OK; i++) {
        char *s = mn_asprintf("<extra_id_%lld>", (long long)i);

        rc = s ? push_special(l, s, strlen(s), NULL, s)
               : mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return rc;
}

/* all_special_tokens_extended: the attributes, then additional_special_tokens,
 * each content once (the first wins). */
static mnlp_status collect_specials(const conv *c, const converter *cv, specials *l)
{
    const mn_json *extra = mn_json_get(c->config, "additional_special_tokens"), *node;
    specials all = {0};
    int n_extra_ids = 0;
    mnlp_status rc = MNLP_OK;

    for (int i = 0; i < N_SPECIAL && rc == MNLP_OK; i++) {
        size_t len;
        const char *s = special_token(c, cv, i, &len, &node);

        if (s)
            rc = push_special(&all, s, len, node, NULL);
    }
    for (size_t i = 0; extra && extra->type == MN_JSON_ARRAY && i < extra->len; i++) {
        const mn_json *t = token_content(&extra->items[i]);

        if (!t || rc != MNLP_OK) {
            rc = rc ? rc : mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: "
                                     "additional_special_tokens[%zu] is not a token", i);
            break;
        }
        n_extra_ids += strstr(t->str, "<extra_id_") != NULL;
        rc = push_special(&all, t->str, t->len, &extra->items[i], NULL);
    }
    if (rc == MNLP_OK && cv->t5_extra_ids)
        rc = t5_extra_tokens(c, &all, n_extra_ids);
    for (int i = 0; i < all.n && rc == MNLP_OK; i++) {
        if (in_specials(l, all.items[i].s, all.items[i].len)) {
            mn_free(all.items[i].owned);
            continue;
        }
        rc = push_special(l, all.items[i].s, all.items[i].len, all.items[i].node,
                          all.items[i].owned);
        all.items[i].owned = NULL;
    }
    for (int i = 0; i < all.n && rc != MNLP_OK; i++)
        mn_free(all.items[i].owned);
    mn_free(all.items);
    return rc;
}

static int key_cmp(const void *x, const void *y)
{
    const mn_json *a = *(const mn_json *const *)x, *b = *(const mn_json *const *)y;
    long long ka = strtoll(a->key, NULL, 10), kb = strtoll(b->key, NULL, 10);

    return ka < kb ? -1 : ka > kb;
}

/* tokenizer_config.json's added_tokens_decoder, in the order of its ids. */
static mnlp_status add_decoder_tokens(conv *c, const specials *sp)
{
    const mn_json *dec = mn_json_get(c->config, "added_tokens_decoder");
    const mn_json **order;
    mnlp_status rc = MNLP_OK;

    if (!dec || dec->type != MN_JSON_OBJECT || !dec->len)
        return MNLP_OK;
    if (!(order = mn_calloc(dec->len, sizeof *order)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < dec->len && rc == MNLP_OK; i++) {
        const char *k = dec->items[i].key;
        char *end;

        order[i] = &dec->items[i];
        if (!*k || strtoll(k, &end, 10) < 0 || *end || !token_content(order[i]))
            rc = mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: added_tokens_decoder.%s: "
                           "expected an id and a token", k);
    }
    if (rc == MNLP_OK)
        qsort(order, dec->len, sizeof *order, key_cmp);
    for (size_t i = 0; i < dec->len && rc == MNLP_OK; i++) {
        const mn_json *t = token_content(order[i]), *f = mn_json_get(order[i], "special");
        added a = {(char *)t->str, t->len, -1, false, false, false, false, false};

        token_flags(order[i], (f && f->type == MN_JSON_BOOL && f->boolean) ||
                              in_specials(sp, t->str, t->len), &a);
        rc = add_token(c, &a);
    }
    mn_free(order);
    return rc;
}

static mnlp_status add_config_tokens(conv *c, const converter *cv)
{
    specials sp = {0};
    mnlp_status rc;

    if ((rc = collect_specials(c, cv, &sp)) == MNLP_OK)
        rc = add_decoder_tokens(c, &sp);
    for (int i = 0; i < sp.n && rc == MNLP_OK; i++) {
        added a = {(char *)sp.items[i].s, sp.items[i].len, -1, false, false, false, false, true};

        token_flags(sp.items[i].node, true, &a);
        /* RobertaTokenizer: the mask token behaves like a normal word */
        if (cv->mask_lstrip && sp.items[i].node == NULL && cv->defaults[MASK] &&
            strcmp(sp.items[i].s, cv->defaults[MASK]) == 0)
            a.lstrip = true;
        rc = add_token(c, &a);
    }
    for (int i = 0; i < sp.n; i++)
        mn_free(sp.items[i].owned);
    mn_free(sp.items);
    return rc;
}

/* ---- Assembly ---------------------------------------------------------------------- */

static int added_cmp(const void *x, const void *y)
{
    const added *a = x, *b = y;

    return a->id < b->id ? -1 : a->id > b->id;
}

static void put_part(mn_sb *sb, const char *name, const mn_sb *part)
{
    mn_sb_printf(sb, ",\"%s\":", name);
    if (part->len)
        mn_sb_append(sb, part->data, part->len);
    else
        mn_sb_puts(sb, "null");
}

static void assemble(conv *c, mn_sb *sb)
{
    if (c->n_added)
        qsort(c->added, (size_t)c->n_added, sizeof *c->added, added_cmp);
    mn_sb_puts(sb, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[");
    for (int i = 0; i < c->n_added; i++) {
        const added *a = &c->added[i];

        mn_sb_printf(sb, "%s{\"id\":%d,\"content\":", i ? "," : "", a->id);
        put_str(sb, a->content, a->len);
        mn_sb_printf(sb, ",\"single_word\":%s,\"lstrip\":%s,\"rstrip\":%s,\"normalized\":%s,"
                     "\"special\":%s}", a->single_word ? "true" : "false",
                     a->lstrip ? "true" : "false", a->rstrip ? "true" : "false",
                     a->normalized ? "true" : "false", a->special ? "true" : "false");
    }
    mn_sb_puts(sb, "]");
    put_part(sb, "normalizer", &c->normalizer);
    put_part(sb, "pre_tokenizer", &c->pre_tokenizer);
    put_part(sb, "post_processor", &c->post_processor);
    put_part(sb, "decoder", &c->decoder);
    put_part(sb, "model", &c->model);
    mn_sb_puts(sb, "}");
}

static bool any_failed(const conv *c)
{
    return c->model.failed || c->normalizer.failed || c->pre_tokenizer.failed ||
           c->post_processor.failed || c->decoder.failed;
}

mnlp_status mn_tokenizer_convert(const char *dir, const mn_json *tokenizer_config, char **json,
                                 size_t *len)
{
    conv c = {0};
    const converter *cv = NULL;
    mn_sb out = {0};
    mnlp_status rc;

    *json = NULL;
    *len = 0;
    c.dir = dir;
    c.config = tokenizer_config && tokenizer_config->type == MN_JSON_OBJECT ? tokenizer_config
                                                                            : NULL;
    if ((rc = choose(&c, &cv)) == MNLP_OK && (rc = cv->build(&c, cv)) == MNLP_OK &&
        (rc = add_config_tokens(&c, cv)) == MNLP_OK && cv->post)
        rc = cv->post(&c, cv);
    if (rc == MNLP_OK && !any_failed(&c)) {
        assemble(&c, &out);
        if (out.failed)
            rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory writing tokenizer.json");
    } else if (rc == MNLP_OK) {
        rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory writing tokenizer.json");
    }
    if (rc == MNLP_OK) {
        *json = out.data;
        *len = out.len;
    } else {
        mn_sb_free(&out);
        if (cv)
            mn_error_prefix(rc, "%s", cv->name);
    }
    for (int i = 0; i < c.n_added; i++)
        mn_free(c.added[i].content);
    mn_free(c.added);
    mn_vocab_free(&c.vocab);
    mn_sb_free(&c.model);
    mn_sb_free(&c.normalizer);
    mn_sb_free(&c.pre_tokenizer);
    mn_sb_free(&c.post_processor);
    mn_sb_free(&c.decoder);
    mn_spm_free(c.spm);
    return rc;
}

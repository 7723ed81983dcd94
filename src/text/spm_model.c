/*
 * SentencePiece ModelProto reader. The wire format: a message is a list of
 * fields, each a varint key (field number << 3 | wire type) and a payload:
 * wire type 0 a varint, 1 eight bytes, 2 a varint length and that many
 * bytes (strings, bytes, nested messages), 5 four bytes. Repeated fields
 * repeat; for a scalar the last occurrence wins and a nested message that
 * occurs twice is merged, as protobuf's parsers do. Groups (wire types 3
 * and 4) are obsolete and no SentencePiece file has them: they are refused.
 */
#include "text/spm_model.h"

#include "base/utf8.h"
#include "base/files.h"

#include <stdio.h>
#include <string.h>

#define MAX_MODEL_BYTES (1u << 30)
#define MAX_FIELD_NUMBER ((1u << 29) - 1)

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

/* The current message is data[pos..end); offsets in messages count from
 * the start of the file, so that they can be checked with a hex dump. */
typedef struct reader {
    const uint8_t *data;
    size_t pos, end;
    const char *ctx;      /* "", "pieces[3].", "trainer_spec." */
} reader;

/* What the schema says about a field we read. */
typedef struct field_def {
    uint32_t number;
    const char *name;
    int wire_type;
} field_def;

/* One field as read: its number, wire type and payload. */
typedef struct field {
    uint32_t number;
    int wire_type;
    const field_def *def; /* NULL for a field we skip */
    char name[128];       /* "pieces[3].score", for messages */
    uint64_t u;           /* VARINT, I64, I32 */
    size_t at, n;         /* LEN: payload data[at..at+n) */
    size_t key_at;        /* where the field starts */
} field;

static const char *wire_name(int wt)
{
    static const char *names[] = {"varint", "64-bit", "length-delimited", "start group",
                                  "end group", "32-bit", "invalid", "invalid"};
    return names[wt & 7];
}

const char *mn_spm_type_name(int type)
{
    static const char *names[] = {"?",      "NORMAL", "UNKNOWN", "CONTROL",
                                  "USER_DEFINED", "UNUSED", "BYTE"};
    return type >= 1 && type <= 6 ? names[type] : "?";
}

/* A varint of at most 10 bytes that fits 64 bits. */
static mnlp_status read_varint(reader *r, const char *what, uint64_t *out)
{
    size_t start = r->pos;
    uint64_t v = 0;

    for (int i = 0; i < 10; i++) {
        uint8_t b;

        if (r->pos >= r->end)
            return mn_errorf(MNLP_ERR_FORMAT, "%s%s: varint at byte %zu is truncated", r->ctx,
                             what, start);
        b = r->data[r->pos++];
        if (i == 9 && b > 1)
            return mn_errorf(MNLP_ERR_FORMAT, "%s%s: varint at byte %zu overflows 64 bits",
                             r->ctx, what, start);
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return MNLP_OK;
        }
    }
    return MNLP_ERR_FORMAT; /* unreachable: the tenth byte is at most 1 */
}

static mnlp_status read_fixed(reader *r, field *f, size_t size)
{
    if (r->end - r->pos < size)
        return mn_errorf(MNLP_ERR_FORMAT, "%s: %zu-byte value at byte %zu runs past the end "
                         "of its message (byte %zu)", f->name, size, r->pos, r->end);
    f->u = 0;
    for (size_t i = 0; i < size; i++)
        f->u |= (uint64_t)r->data[r->pos + i] << (8 * i);
    r->pos += size;
    return MNLP_OK;
}

static mnlp_status read_payload(reader *r, field *f)
{
    uint64_t n;
    mnlp_status rc;

    switch (f->wire_type) {
    case WT_VARINT:
        return read_varint(r, f->name + strlen(r->ctx), &f->u);
    case WT_I64:
        return read_fixed(r, f, 8);
    case WT_I32:
        return read_fixed(r, f, 4);
    case WT_LEN:
        if ((rc = read_varint(r, f->name + strlen(r->ctx), &n)) != MNLP_OK)
            return rc;
        if (n > r->end - r->pos)
            return mn_errorf(MNLP_ERR_FORMAT, "%s: length %llu at byte %zu runs past the end "
                             "of its message (byte %zu)", f->name, (unsigned long long)n,
                             f->key_at, r->end);
        f->at = r->pos;
        f->n = (size_t)n;
        r->pos += (size_t)n;
        return MNLP_OK;
    default:
        return mn_errorf(MNLP_ERR_FORMAT, "%s: unsupported wire type %d (%s) at byte %zu",
                         f->name, f->wire_type, wire_name(f->wire_type), f->key_at);
    }
}

/* The next field of the message; defs (n_defs entries) names known fields
 * and their wire types, so that a known field with another type is an error. */
static mnlp_status next_field(reader *r, const field_def *defs, int n_defs, field *f)
{
    uint64_t key;
    mnlp_status rc;

    f->key_at = r->pos;
    if ((rc = read_varint(r, "field key", &key)) != MNLP_OK)
        return rc;
    if ((key >> 3) == 0 || (key >> 3) > MAX_FIELD_NUMBER)
        return mn_errorf(MNLP_ERR_FORMAT, "%sfield number %llu at byte %zu is out of range",
                         r->ctx, (unsigned long long)(key >> 3), f->key_at);
    f->number = (uint32_t)(key >> 3);
    f->wire_type = (int)(key & 7);
    f->def = NULL;
    for (int i = 0; i < n_defs; i++)
        if (defs[i].number == f->number)
            f->def = &defs[i];
    if (f->def)
        snprintf(f->name, sizeof f->name, "%s%s", r->ctx, f->def->name);
    else
        snprintf(f->name, sizeof f->name, "%sfield %u", r->ctx, f->number);
    if (f->def && f->def->wire_type != f->wire_type)
        return mn_errorf(MNLP_ERR_FORMAT, "%s: wire type %d (%s), expected %d (%s), at byte %zu",
                         f->name, f->wire_type, wire_name(f->wire_type), f->def->wire_type,
                         wire_name(f->def->wire_type), f->key_at);
    return read_payload(r, f);
}

static reader sub_reader(const reader *r, const field *f, const char *ctx)
{
    reader s = {r->data, f->at, f->at + f->n, ctx};

    return s;
}

/* A string field: valid UTF-8 without NUL, copied (replacing *out). */
static mnlp_status take_string(const reader *r, const field *f, char **out, size_t *len)
{
    const char *s = (const char *)r->data + f->at;
    size_t bad;
    char *copy;

    if (!mn_utf8_valid(s, f->n, &bad))
        return mn_errorf(MNLP_ERR_FORMAT, "%s: invalid UTF-8 at byte %zu", f->name, f->at + bad);
    if (memchr(s, 0, f->n))
        return mn_errorf(MNLP_ERR_FORMAT, "%s: NUL character in the string at byte %zu",
                         f->name, f->at);
    if (!(copy = mn_strndup(s, f->n)))
        return MNLP_ERR_OUT_OF_MEMORY;
    mn_free(*out);
    *out = copy;
    if (len)
        *len = f->n;
    return MNLP_OK;
}

static float take_float(const field *f)
{
    uint32_t bits = (uint32_t)f->u;
    float v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

/* ---- ModelProto.SentencePiece ------------------------------------------ */

static const field_def piece_fields[] = {
    {1, "piece", WT_LEN},
    {2, "score", WT_I32},
    {3, "type", WT_VARINT},
};

static mnlp_status parse_piece(reader *r, mn_spm_piece *p)
{
    field f;
    mnlp_status rc;

    p->type = MN_SPM_NORMAL;
    while (r->pos < r->end) {
        if ((rc = next_field(r, piece_fields, MN_COUNT(piece_fields), &f)) != MNLP_OK)
            return rc;
        if (f.number == 1 && (rc = take_string(r, &f, &p->piece, &p->len)) != MNLP_OK)
            return rc;
        if (f.number == 2)
            p->score = take_float(&f);
        if (f.number == 3) {
            if (f.u < MN_SPM_NORMAL || f.u > MN_SPM_BYTE)
                return mn_errorf(MNLP_ERR_FORMAT, "%s: unknown piece type %llu at byte %zu",
                                 f.name, (unsigned long long)f.u, f.key_at);
            p->type = (mn_spm_type)f.u;
        }
    }
    return MNLP_OK;
}

static mnlp_status add_piece(mn_spm_model *m, int *cap, const reader *r, const field *f)
{
    char ctx[48];
    reader s;
    mn_spm_piece *p;
    mnlp_status rc;

    if (m->n_pieces == INT32_MAX)
        return mn_errorf(MNLP_ERR_LIMIT, "pieces: more than %d pieces", INT32_MAX);
    if (!mn_grow((void **)&m->pieces, cap, m->n_pieces + 1, sizeof *m->pieces))
        return MNLP_ERR_OUT_OF_MEMORY;
    p = &m->pieces[m->n_pieces++];
    memset(p, 0, sizeof *p);
    snprintf(ctx, sizeof ctx, "pieces[%d].", m->n_pieces - 1);
    s = sub_reader(r, f, ctx);
    if ((rc = parse_piece(&s, p)) != MNLP_OK)
        return rc;
    /* sentencepiece refuses to load a model with an empty piece */
    if (!p->len)
        return mn_errorf(MNLP_ERR_FORMAT, "pieces[%d]: empty piece at byte %zu",
                         m->n_pieces - 1, f->key_at);
    return MNLP_OK;
}

/* ---- TrainerSpec ---------------------------------------------------------- */

static const field_def trainer_fields[] = {
    {3, "model_type", WT_VARINT}, {4, "vocab_size", WT_VARINT},
    {35, "byte_fallback", WT_VARINT}, {40, "unk_id", WT_VARINT},
    {41, "bos_id", WT_VARINT},    {42, "eos_id", WT_VARINT},
    {43, "pad_id", WT_VARINT},    {45, "unk_piece", WT_LEN},
    {46, "bos_piece", WT_LEN},    {47, "eos_piece", WT_LEN},
    {48, "pad_piece", WT_LEN},
};

static mnlp_status trainer_field(const reader *r, const field *f, mn_spm_trainer_spec *t)
{
    /* int32 fields keep the low 32 bits of the varint, as protobuf does */
    int32_t v = (int32_t)(uint32_t)f->u;

    switch (f->number) {
    case 3:
        if (f->u < MN_SPM_UNIGRAM || f->u > MN_SPM_CHAR)
            return mn_errorf(MNLP_ERR_FORMAT, "%s: unknown model type %llu at byte %zu", f->name,
                             (unsigned long long)f->u, f->key_at);
        t->model_type = (mn_spm_model_type)f->u;
        return MNLP_OK;
    case 4: t->vocab_size = v; return MNLP_OK;
    case 35: t->byte_fallback = f->u != 0; return MNLP_OK;
    case 40: t->unk_id = v; return MNLP_OK;
    case 41: t->bos_id = v; return MNLP_OK;
    case 42: t->eos_id = v; return MNLP_OK;
    case 43: t->pad_id = v; return MNLP_OK;
    case 45: return take_string(r, f, &t->unk_piece, NULL);
    case 46: return take_string(r, f, &t->bos_piece, NULL);
    case 47: return take_string(r, f, &t->eos_piece, NULL);
    case 48: return take_string(r, f, &t->pad_piece, NULL);
    default: return MNLP_OK;
    }
}

static mnlp_status parse_trainer(reader *r, mn_spm_trainer_spec *t)
{
    field f;
    mnlp_status rc;

    while (r->pos < r->end) {
        if ((rc = next_field(r, trainer_fields, MN_COUNT(trainer_fields), &f)) != MNLP_OK ||
            (rc = trainer_field(r, &f, t)) != MNLP_OK)
            return rc;
    }
    return MNLP_OK;
}

/* ---- NormalizerSpec --------------------------------------------------------- */

static const field_def normalizer_fields[] = {
    {1, "name", WT_LEN},
    {2, "precompiled_charsmap", WT_LEN},
    {3, "add_dummy_prefix", WT_VARINT},
    {4, "remove_extra_whitespaces", WT_VARINT},
    {5, "escape_whitespaces", WT_VARINT},
    {6, "normalization_rule_tsv", WT_LEN},
};

static mnlp_status take_bytes(const reader *r, const field *f, mn_spm_normalizer_spec *n)
{
    uint8_t *copy = NULL;

    if (f->n && !(copy = mn_malloc(f->n)))
        return MNLP_ERR_OUT_OF_MEMORY;
    if (f->n)
        memcpy(copy, r->data + f->at, f->n);
    mn_free(n->precompiled_charsmap);
    n->precompiled_charsmap = copy;
    n->precompiled_charsmap_len = f->n;
    return MNLP_OK;
}

static mnlp_status parse_normalizer(reader *r, mn_spm_normalizer_spec *n)
{
    field f;
    mnlp_status rc;

    while (r->pos < r->end) {
        if ((rc = next_field(r, normalizer_fields, MN_COUNT(normalizer_fields), &f)) != MNLP_OK)
            return rc;
        if (f.number == 1 && (rc = take_string(r, &f, &n->name, NULL)) != MNLP_OK)
            return rc;
        if (f.number == 2 && (rc = take_bytes(r, &f, n)) != MNLP_OK)
            return rc;
        if (f.number == 3)
            n->add_dummy_prefix = f.u != 0;
        if (f.number == 4)
            n->remove_extra_whitespaces = f.u != 0;
        if (f.number == 5)
            n->escape_whitespaces = f.u != 0;
    }
    return MNLP_OK;
}

/* ---- ModelProto ---------------------------------------------------------------- */

static const field_def model_fields[] = {
    {1, "pieces", WT_LEN},
    {2, "trainer_spec", WT_LEN},
    {3, "normalizer_spec", WT_LEN},
    {4, "self_test_data", WT_LEN},
    {5, "denormalizer_spec", WT_LEN},
};

static mnlp_status set_defaults(mn_spm_model *m)
{
    mn_spm_trainer_spec *t = &m->trainer_spec;
    mn_spm_normalizer_spec *n = &m->normalizer_spec;

    t->model_type = MN_SPM_UNIGRAM;
    t->vocab_size = 8000;
    t->unk_id = 0;
    t->bos_id = 1;
    t->eos_id = 2;
    t->pad_id = -1;
    t->unk_piece = mn_strdup("<unk>");
    t->bos_piece = mn_strdup("<s>");
    t->eos_piece = mn_strdup("</s>");
    t->pad_piece = mn_strdup("<pad>");
    n->name = mn_strdup("");
    n->add_dummy_prefix = n->remove_extra_whitespaces = n->escape_whitespaces = true;
    if (!t->unk_piece || !t->bos_piece || !t->eos_piece || !t->pad_piece || !n->name)
        return MNLP_ERR_OUT_OF_MEMORY;
    return MNLP_OK;
}

static mnlp_status parse_model(reader *r, mn_spm_model *m)
{
    int cap = 0;
    field f;
    reader s;
    mnlp_status rc;

    while (r->pos < r->end) {
        if ((rc = next_field(r, model_fields, MN_COUNT(model_fields), &f)) != MNLP_OK)
            return rc;
        if (f.number == 1 && (rc = add_piece(m, &cap, r, &f)) != MNLP_OK)
            return rc;
        if (f.number == 2) {
            s = sub_reader(r, &f, "trainer_spec.");
            if ((rc = parse_trainer(&s, &m->trainer_spec)) != MNLP_OK)
                return rc;
        }
        if (f.number == 3) {
            s = sub_reader(r, &f, "normalizer_spec.");
            if ((rc = parse_normalizer(&s, &m->normalizer_spec)) != MNLP_OK)
                return rc;
        }
    }
    return MNLP_OK;
}

mnlp_status mn_spm_parse(const uint8_t *data, size_t len, mn_spm_model **out)
{
    reader r = {data, 0, len, ""};
    mn_spm_model *m;
    mnlp_status rc;

    *out = NULL;
    if (!data && len)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "no data");
    if (!(m = mn_calloc(1, sizeof *m)))
        return MNLP_ERR_OUT_OF_MEMORY;
    if ((rc = set_defaults(m)) != MNLP_OK || (rc = parse_model(&r, m)) != MNLP_OK) {
        if (rc == MNLP_ERR_OUT_OF_MEMORY)
            mn_errorf(rc, "out of memory reading a SentencePiece model");
        mn_spm_free(m);
        return rc;
    }
    *out = m;
    return MNLP_OK;
}

mnlp_status mn_spm_load(const char *path, mn_spm_model **out)
{
    char *data = NULL;
    size_t len;
    mnlp_status rc;

    *out = NULL;
    if ((rc = mn_read_file(path, MAX_MODEL_BYTES, &data, &len)) != MNLP_OK)
        return rc;
    if ((rc = mn_spm_parse((const uint8_t *)data, len, out)) != MNLP_OK)
        mn_error_prefix(rc, "%s", path);
    mn_free(data);
    return rc;
}

void mn_spm_free(mn_spm_model *m)
{
    if (!m)
        return;
    for (int32_t i = 0; i < m->n_pieces; i++)
        mn_free(m->pieces[i].piece);
    mn_free(m->pieces);
    mn_free(m->trainer_spec.unk_piece);
    mn_free(m->trainer_spec.bos_piece);
    mn_free(m->trainer_spec.eos_piece);
    mn_free(m->trainer_spec.pad_piece);
    mn_free(m->normalizer_spec.name);
    mn_free(m->normalizer_spec.precompiled_charsmap);
    mn_free(m);
}

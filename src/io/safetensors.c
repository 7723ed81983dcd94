#include "io/safetensors.h"
#include "mnlp/io.h"

#include "base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static mnlp_status bad(const char *fmt, const char *name, const char *detail)
{
    return mn_errorf(MNLP_ERR_FORMAT, fmt, name, detail);
}

static mnlp_status parse_uint(const mn_json *v, uint64_t *out)
{
    if (v->type != MN_JSON_NUMBER || !v->is_int || v->integer < 0)
        return MNLP_ERR_FORMAT;
    *out = (uint64_t)v->integer;
    return MNLP_OK;
}

/* Reads one tensor's entry {"dtype": .., "shape": [..], "data_offsets": [b, e]}. */
static mnlp_status read_entry(const mn_json *entry, mn_st_tensor *t)
{
    const mn_json *dtype = mn_json_get(entry, "dtype");
    const mn_json *shape = mn_json_get(entry, "shape");
    const mn_json *offsets = mn_json_get(entry, "data_offsets");
    const char *name = entry->key;
    uint64_t numel = 1, nbytes;

    t->name = name;
    if (strlen(name) != entry->key_len)
        return mn_errorf(MNLP_ERR_FORMAT, "tensor name \"%s\\u0000...\" contains a NUL", name);
    if (entry->type != MN_JSON_OBJECT)
        return bad("tensor \"%s\": entry is not an object but %s", name,
                   mn_json_type_name(entry->type));
    for (size_t i = 0; i < entry->len; i++) {
        const char *k = entry->items[i].key;

        if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets"))
            return mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": unknown field \"%s\"", name, k);
    }
    if (!dtype || dtype->type != MN_JSON_STRING)
        return bad("tensor \"%s\": %s", name, "\"dtype\" missing or not a string");
    if (mnlp_dtype_parse(dtype->str, &t->dtype) != MNLP_OK)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "tensor \"%s\": unknown dtype \"%s\"", name,
                         dtype->str);
    if (!shape || shape->type != MN_JSON_ARRAY)
        return bad("tensor \"%s\": %s", name, "\"shape\" missing or not an array");
    if (shape->len > MN_MAX_DIMS)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "tensor \"%s\": rank %zu exceeds %d", name,
                         shape->len, MN_MAX_DIMS);
    t->ndim = (int)shape->len;
    for (int i = 0; i < t->ndim; i++) {
        uint64_t d;

        if (parse_uint(&shape->items[i], &d) != MNLP_OK)
            return bad("tensor \"%s\": %s", name, "shape holds a value that is not a size");
        if (mn_mul_overflow(numel, d, &numel) || numel > INT64_MAX)
            return mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": shape overflows", name);
        t->shape[i] = (int64_t)d;
    }
    if (!offsets || offsets->type != MN_JSON_ARRAY || offsets->len != 2 ||
        parse_uint(&offsets->items[0], &t->begin) != MNLP_OK ||
        parse_uint(&offsets->items[1], &t->end) != MNLP_OK)
        return bad("tensor \"%s\": %s", name, "\"data_offsets\" must be two byte offsets");
    if (t->end < t->begin)
        return mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": data_offsets [%llu, %llu) end before"
                         " they begin", name, (unsigned long long)t->begin,
                         (unsigned long long)t->end);
    if (mn_mul_overflow(numel, mnlp_dtype_size(t->dtype), &nbytes) ||
        nbytes != t->end - t->begin) {
        char s[160];

        return mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": shape %s of %s is %llu bytes but "
                         "data_offsets [%llu, %llu) hold %llu", name,
                         mn_shape_str(t->ndim, t->shape, s, sizeof s),
                         mnlp_dtype_name(t->dtype), (unsigned long long)nbytes,
                         (unsigned long long)t->begin, (unsigned long long)t->end,
                         (unsigned long long)(t->end - t->begin));
    }
    return MNLP_OK;
}

static mnlp_status read_metadata(const mn_json *meta, mn_safetensors *st)
{
    if (meta->type != MN_JSON_OBJECT)
        return mn_errorf(MNLP_ERR_FORMAT, "__metadata__ is a %s, not an object",
                         mn_json_type_name(meta->type));
    st->metadata = mn_calloc(meta->len + 1, sizeof *st->metadata);
    if (!st->metadata)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < meta->len; i++) {
        if (meta->items[i].type != MN_JSON_STRING)
            return mn_errorf(MNLP_ERR_FORMAT, "__metadata__[\"%s\"] is a %s, not a string",
                             meta->items[i].key, mn_json_type_name(meta->items[i].type));
        st->metadata[i] = (mn_st_meta){meta->items[i].key, meta->items[i].str};
    }
    st->n_metadata = (int)meta->len;
    return MNLP_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const mn_st_tensor *const *)a)->name, (*(const mn_st_tensor *const *)b)->name);
}

static int by_offset(const void *a, const void *b)
{
    const mn_st_tensor *x = *(const mn_st_tensor *const *)a, *y = *(const mn_st_tensor *const *)b;

    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/*
 * The tensors must tile the data section exactly, as the reference
 * implementation requires: no duplicates, no overlaps, no gaps, nothing
 * past the end and no bytes left over.
 */
static mnlp_status check_layout(mn_safetensors *st)
{
    int n = st->n_tensors;
    const mn_st_tensor **order = mn_calloc((size_t)n + 1, sizeof *order);
    mnlp_status rc = MNLP_OK;
    uint64_t pos = 0;

    if (!order)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < n; i++)
        order[i] = &st->tensors[i];
    qsort(order, (size_t)n, sizeof *order, by_name);
    for (int i = 1; i < n && rc == MNLP_OK; i++)
        if (strcmp(order[i - 1]->name, order[i]->name) == 0)
            rc = mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\" appears twice", order[i]->name);
    qsort(order, (size_t)n, sizeof *order, by_offset);
    for (int i = 0; i < n && rc == MNLP_OK; i++) {
        const mn_st_tensor *t = order[i];

        if (t->end > st->data_size)
            rc = mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": data_offsets [%llu, %llu) run past "
                           "the %llu bytes of data", t->name, (unsigned long long)t->begin,
                           (unsigned long long)t->end, (unsigned long long)st->data_size);
        else if (t->begin < pos)
            rc = mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": data_offsets [%llu, %llu) overlap "
                           "\"%s\"", t->name, (unsigned long long)t->begin,
                           (unsigned long long)t->end, order[i - 1]->name);
        else if (t->begin > pos)
            rc = mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\": data_offsets [%llu, %llu) leave "
                           "bytes [%llu, %llu) unused", t->name, (unsigned long long)t->begin,
                           (unsigned long long)t->end, (unsigned long long)pos,
                           (unsigned long long)t->begin);
        pos = t->end;
    }
    if (rc == MNLP_OK && pos != st->data_size)
        rc = mn_errorf(MNLP_ERR_FORMAT, "tensors cover %llu of the %llu data bytes",
                       (unsigned long long)pos, (unsigned long long)st->data_size);
    mn_free(order);
    return rc;
}

static mnlp_status read_header(mn_safetensors *st, const unsigned char *buf, size_t size)
{
    uint64_t n = 0;
    const mn_json *root;
    mnlp_status rc;

    if (size < 8)
        return mn_errorf(MNLP_ERR_FORMAT, "file is %zu bytes, too short for a header", size);
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | buf[i];
    if (n > MN_SAFETENSORS_MAX_HEADER)
        return mn_errorf(MNLP_ERR_LIMIT, "header length %llu exceeds the limit of %u bytes",
                         (unsigned long long)n, MN_SAFETENSORS_MAX_HEADER);
    if (n > size - 8)
        return mn_errorf(MNLP_ERR_FORMAT, "header length %llu runs past the end of the "
                         "%zu-byte file", (unsigned long long)n, size);
    if (n == 0 || buf[8] != '{')
        return mn_errorf(MNLP_ERR_FORMAT, "header does not start with '{'");
    if ((rc = mn_json_parse((const char *)buf + 8, (size_t)n, NULL, &st->header)) != MNLP_OK)
        return mn_error_prefix(rc, "header");
    root = mn_json_root(st->header);
    st->data = buf + 8 + n;
    st->data_size = size - 8 - n;
    st->tensors = mn_calloc(root->len + 1, sizeof *st->tensors);
    if (!st->tensors)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < root->len; i++) {
        const mn_json *e = &root->items[i];

        if (strcmp(e->key, "__metadata__") == 0) {
            if (st->metadata)
                return mn_errorf(MNLP_ERR_FORMAT, "__metadata__ appears twice");
            if ((rc = read_metadata(e, st)) != MNLP_OK)
                return rc;
            continue;
        }
        if ((rc = read_entry(e, &st->tensors[st->n_tensors])) != MNLP_OK)
            return rc;
        st->n_tensors++;
    }
    if ((rc = check_layout(st)) != MNLP_OK)
        return rc;
    for (int i = 0; i < st->n_tensors; i++)
        st->tensors[i].data = st->data + st->tensors[i].begin;
    return MNLP_OK;
}

mnlp_status mn_safetensors_parse(const void *buf, size_t size, const char *name,
                                 mn_safetensors **out)
{
    mn_safetensors *st = mn_calloc(1, sizeof *st);
    mnlp_status rc;

    *out = NULL;
    if (!st || !(st->path = mn_strdup(name))) {
        mn_free(st);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    rc = read_header(st, buf, size);
    if (rc != MNLP_OK) {
        mn_safetensors_free(st);
        return mn_error_prefix(rc, "%s", name);
    }
    *out = st;
    return MNLP_OK;
}

mnlp_status mn_safetensors_open(const char *path, mn_safetensors **out)
{
    const char *name = base_name(path);
    struct stat sb;
    void *map;
    mnlp_status rc;
    int fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mn_errorf(errno == ENOENT ? MNLP_ERR_NOT_FOUND : MNLP_ERR_IO, "%s: %s", path,
                         strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return mn_errorf(MNLP_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size < 8) {
        close(fd);
        return mn_errorf(MNLP_ERR_FORMAT, "%s: file is %lld bytes, too short for a header",
                         name, (long long)sb.st_size);
    }
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return mn_errorf(MNLP_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    rc = mn_safetensors_parse(map, (size_t)sb.st_size, name, out);
    if (rc != MNLP_OK) {
        munmap(map, (size_t)sb.st_size);
        return rc;
    }
    (*out)->map = map;
    (*out)->map_size = (size_t)sb.st_size;
    mn_free((*out)->path);
    if (!((*out)->path = mn_strdup(path))) {
        mn_safetensors_free(*out);
        *out = NULL;
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return MNLP_OK;
}

void mn_safetensors_free(mn_safetensors *st)
{
    if (!st)
        return;
    if (st->map)
        munmap(st->map, st->map_size);
    mn_json_free(st->header);
    mn_free(st->tensors);
    mn_free(st->metadata);
    mn_free(st->path);
    mn_free(st);
}

const mn_st_tensor *mn_safetensors_find(const mn_safetensors *st, const char *name)
{
    for (int i = 0; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0)
            return &st->tensors[i];
    return NULL;
}

/* ---- The public file API ------------------------------------------------ */

struct mnlp_safetensors {
    mn_safetensors *st;
};

mnlp_status mnlp_safetensors_open(const char *path, mnlp_safetensors **out)
{
    mnlp_safetensors *s = mn_calloc(1, sizeof *s);
    mnlp_status rc;

    *out = NULL;
    if (!s)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if ((rc = mn_safetensors_open(path, &s->st)) != MNLP_OK) {
        mn_free(s);
        return rc;
    }
    *out = s;
    return MNLP_OK;
}

void mnlp_safetensors_free(mnlp_safetensors *s)
{
    if (s) {
        mn_safetensors_free(s->st);
        mn_free(s);
    }
}

size_t mnlp_safetensors_count(const mnlp_safetensors *s)
{
    return (size_t)s->st->n_tensors;
}

static void describe(const mn_st_tensor *t, mnlp_tensor_info *info, const void **data)
{
    memset(info, 0, sizeof *info);
    info->name = t->name;
    info->dtype = t->dtype;
    info->ndim = t->ndim;
    for (int d = 0; d < t->ndim && d < 8; d++)
        info->shape[d] = t->shape[d];
    info->nbytes = t->end - t->begin;
    if (data)
        *data = t->data;
}

mnlp_status mnlp_safetensors_tensor(const mnlp_safetensors *s, size_t i, mnlp_tensor_info *info,
                                    const void **data)
{
    if (i >= (size_t)s->st->n_tensors)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "tensor index %zu of %d", i,
                         s->st->n_tensors);
    describe(&s->st->tensors[i], info, data);
    return MNLP_OK;
}

mnlp_status mnlp_safetensors_find(const mnlp_safetensors *s, const char *name,
                                  mnlp_tensor_info *info, const void **data)
{
    const mn_st_tensor *t = mn_safetensors_find(s->st, name);

    if (!t)
        return mn_errorf(MNLP_ERR_NOT_FOUND, "%s: no tensor \"%s\"", s->st->path, name);
    describe(t, info, data);
    return MNLP_OK;
}

/*
 * The header the Python serializer writes: tensors in name order (it sorts
 * by alignment first, and every dtype here keeps 8-byte alignment when the
 * data section starts aligned), data packed in that order, the header
 * padded with spaces to a multiple of 8 bytes.
 */
static int out_by_name(const void *a, const void *b)
{
    return strcmp((*(const mnlp_tensor_out *const *)a)->name,
                  (*(const mnlp_tensor_out *const *)b)->name);
}

static uint64_t tensor_bytes(const mnlp_tensor_out *t)
{
    uint64_t n = mnlp_dtype_size(t->dtype);

    for (int d = 0; d < t->ndim; d++)
        n *= (uint64_t)t->shape[d];
    return n;
}

mnlp_status mnlp_safetensors_write(const char *path, const mnlp_tensor_out *tensors, size_t n)
{
    const mnlp_tensor_out **order = mn_calloc(n ? n : 1, sizeof *order);
    mn_sb header = {0};
    uint64_t offset = 0, len;
    unsigned char len_le[8];
    mnlp_status rc = MNLP_OK;
    FILE *f = NULL;

    if (!order)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!tensors[i].name || !*tensors[i].name || tensors[i].ndim < 0 ||
            tensors[i].ndim > 8 || !mnlp_dtype_size(tensors[i].dtype)) {
            mn_free(order);
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "%s: tensor %zu is not describable",
                             path, i);
        }
        order[i] = &tensors[i];
    }
    qsort(order, n, sizeof *order, out_by_name);
    mn_sb_puts(&header, "{");
    for (size_t i = 0; i < n; i++) {
        const mnlp_tensor_out *t = order[i];

        if (i && strcmp(order[i - 1]->name, t->name) == 0)
            rc = mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "%s: tensor \"%s\" given twice", path,
                           t->name);
        mn_sb_puts(&header, i ? "," : "");
        mn_json_write_string(&header, t->name, strlen(t->name), false);
        mn_sb_printf(&header, ":{\"dtype\":\"%s\",\"shape\":[", mnlp_dtype_name(t->dtype));
        for (int d = 0; d < t->ndim; d++)
            mn_sb_printf(&header, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        len = tensor_bytes(t);
        mn_sb_printf(&header, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
                     (unsigned long long)(offset + len));
        offset += len;
    }
    mn_sb_puts(&header, "}");
    while (header.len % 8)
        mn_sb_puts(&header, " ");
    if (rc == MNLP_OK && header.failed)
        rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if (rc == MNLP_OK && !(f = fopen(path, "wb")))
        rc = mn_errorf(MNLP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    for (int b = 0; b < 8; b++)
        len_le[b] = (unsigned char)((uint64_t)header.len >> (8 * b));
    if (rc == MNLP_OK && (fwrite(len_le, 1, 8, f) != 8 ||
                          fwrite(header.data, 1, header.len, f) != header.len))
        rc = mn_errorf(MNLP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    for (size_t i = 0; rc == MNLP_OK && i < n; i++) {
        len = tensor_bytes(order[i]);
        if (len && fwrite(order[i]->data, 1, len, f) != len)
            rc = mn_errorf(MNLP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    if (f && fclose(f) != 0 && rc == MNLP_OK)
        rc = mn_errorf(MNLP_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    mn_sb_free(&header);
    mn_free(order);
    return rc;
}

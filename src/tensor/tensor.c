#include "tensor/tensor.h"

#include <stdio.h>
#include <string.h>

int64_t mn_shape_numel(int ndim, const int64_t *shape)
{
    uint64_t n = 1;

    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || mn_mul_overflow(n, (uint64_t)shape[i], &n) || n > INT64_MAX)
            return -1;
    }
    return (int64_t)n;
}

const char *mn_shape_str(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t used = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "",
                                 (long long)shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

static mnlp_status set_shape(mn_tensor *t, mnlp_dtype dtype, int ndim, const int64_t *shape)
{
    char buf[128];
    int64_t stride = 1;

    if (ndim < 0 || ndim > MN_MAX_DIMS)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "tensor rank %d exceeds %d", ndim, MN_MAX_DIMS);
    if (mn_shape_numel(ndim, shape) < 0)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "invalid shape %s",
                         mn_shape_str(ndim, shape, buf, sizeof buf));
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = ndim - 1; i >= 0; i--) {
        t->shape[i] = shape[i];
        t->stride[i] = stride;
        stride *= shape[i] ? shape[i] : 1;
    }
    return MNLP_OK;
}

int64_t mn_tensor_numel(const mn_tensor *t)
{
    return mn_shape_numel(t->ndim, t->shape);
}

size_t mn_tensor_nbytes(const mn_tensor *t)
{
    return (size_t)mn_tensor_numel(t) * mnlp_dtype_size(t->dtype);
}

bool mn_tensor_is_contiguous(const mn_tensor *t)
{
    int64_t expect = 1;

    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != expect)
            return false;
        expect *= t->shape[i];
    }
    return true;
}

mnlp_status mn_tensor_new(const mn_backend *be, mnlp_dtype dtype, int ndim,
                          const int64_t *shape, mn_tensor **out)
{
    mn_tensor *t = mn_calloc(1, sizeof *t);
    mn_buffer *buf = mn_calloc(1, sizeof *buf);
    uint64_t size;
    mnlp_status st = MNLP_ERR_OUT_OF_MEMORY;

    *out = NULL;
    if (!t || !buf)
        goto fail;
    if ((st = set_shape(t, dtype, ndim, shape)) != MNLP_OK)
        goto fail;
    if (mn_mul_overflow((uint64_t)mn_tensor_numel(t), mnlp_dtype_size(dtype), &size) ||
        size > SIZE_MAX) {
        st = mn_errorf(MNLP_ERR_LIMIT, "tensor too large");
        goto fail;
    }
    if ((st = be->alloc(be, (size_t)size, buf)) != MNLP_OK)
        goto fail;
    buf->backend = be;
    t->buffer = buf;
    *out = t;
    return MNLP_OK;
fail:
    mn_free(buf);
    mn_free(t);
    return st == MNLP_ERR_OUT_OF_MEMORY ? mn_errorf(st, "out of memory allocating tensor") : st;
}

mnlp_status mn_tensor_wrap(mnlp_dtype dtype, int ndim, const int64_t *shape,
                           const void *data, size_t size, mn_tensor **out)
{
    mn_tensor *t = mn_calloc(1, sizeof *t);
    mn_buffer *buf = mn_calloc(1, sizeof *buf);
    mnlp_status st;

    *out = NULL;
    if (!t || !buf) {
        mn_free(t);
        mn_free(buf);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory wrapping tensor");
    }
    st = set_shape(t, dtype, ndim, shape);
    if (st == MNLP_OK && mn_tensor_nbytes(t) > size)
        st = mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "tensor needs %zu bytes, buffer has %zu",
                       mn_tensor_nbytes(t), size);
    if (st != MNLP_OK) {
        mn_free(t);
        mn_free(buf);
        return st;
    }
    *buf = (mn_buffer){mn_backend_cpu(), (void *)data, size, true};
    t->buffer = buf;
    *out = t;
    return MNLP_OK;
}

void mn_tensor_free(mn_tensor *t)
{
    if (!t)
        return;
    if (t->buffer && !t->buffer->borrowed)
        t->buffer->backend->release(t->buffer);
    mn_free(t->buffer);
    mn_free(t);
}

void *mn_tensor_data(const mn_tensor *t)
{
    if (!t->buffer->backend->host_memory)
        return NULL;
    return (char *)t->buffer->data + t->offset;
}

static mnlp_status check_copy(const mn_tensor *t, size_t n)
{
    if (!mn_tensor_is_contiguous(t))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "copy needs a contiguous tensor");
    if (n > mn_tensor_nbytes(t))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "copy of %zu bytes into a %zu-byte tensor",
                         n, mn_tensor_nbytes(t));
    return MNLP_OK;
}

mnlp_status mn_tensor_write(mn_tensor *t, const void *src, size_t n)
{
    mnlp_status st = check_copy(t, n);

    return st ? st : t->buffer->backend->write(t->buffer, t->offset, src, n);
}

mnlp_status mn_tensor_read(const mn_tensor *t, void *dst, size_t n)
{
    mnlp_status st = check_copy(t, n);

    return st ? st : t->buffer->backend->read(t->buffer, t->offset, dst, n);
}

mnlp_status mn_tensor_cols(const mn_tensor *t, int64_t col0, int64_t n, mn_tensor *out)
{
    if (t->ndim != 2 || !mn_tensor_is_contiguous(t) || col0 < 0 || n < 0 ||
        col0 > t->shape[1] || n > t->shape[1] - col0)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "columns [%lld, %lld) of a 2-d tensor "
                         "with %lld", (long long)col0, (long long)(col0 + n),
                         (long long)(t->ndim == 2 ? t->shape[1] : 0));
    *out = *t;
    out->shape[1] = n;
    out->stride[0] = t->shape[1];
    out->stride[1] = 1;
    out->offset += (size_t)col0 * mnlp_dtype_size(t->dtype);
    return MNLP_OK;
}

mnlp_status mn_tensor_rows(const mn_tensor *t, int64_t row0, int64_t n, int ndim,
                           const int64_t *shape, mn_tensor *out)
{
    int64_t row_elems = t->ndim && t->shape[0] ? mn_tensor_numel(t) / t->shape[0] : 0;
    int64_t dims[MN_MAX_DIMS];

    if (!t->ndim || !mn_tensor_is_contiguous(t) || row0 < 0 || n < 0 || row0 > t->shape[0] ||
        n > t->shape[0] - row0)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "rows [%lld, %lld) of a tensor with %lld",
                         (long long)row0, (long long)(row0 + n),
                         (long long)(t->ndim ? t->shape[0] : 0));
    if (!shape) {
        ndim = t->ndim;
        memcpy(dims, t->shape, sizeof(int64_t) * (size_t)ndim);
        dims[0] = n;
        shape = dims;
    }
    if (ndim < 1 || ndim > MN_MAX_DIMS || mn_shape_numel(ndim, shape) != n * row_elems)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "a view of %lld rows of %lld elements "
                         "cannot take that shape", (long long)n, (long long)row_elems);
    *out = *t;
    set_shape(out, t->dtype, ndim, shape);
    out->offset = t->offset + (size_t)(row0 * row_elems) * mnlp_dtype_size(t->dtype);
    return MNLP_OK;
}

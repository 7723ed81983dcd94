/* Checkpoint tensors handed to a model: mapped in place, or widened to F32. */
#include "models/lm.h"

#include <stdio.h>
#include <string.h>

static mnlp_status keep(mn_weights *w, mn_tensor *t)
{
    if (!mn_grow((void **)&w->items, &w->cap, w->n + 1, sizeof *w->items)) {
        mn_tensor_free(t);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    w->items[w->n++] = t;
    return MNLP_OK;
}

mnlp_status mn_weight(mn_weights *w, bool f32, const mn_tensor **out, const char *fmt, ...)
{
    char name[512];
    const mn_st_tensor *st_t;
    mn_tensor *mapped = NULL, *copy = NULL;
    size_t size;
    mnlp_status st;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    *out = NULL;
    if (!(st_t = mn_checkpoint_get(w->ckpt, name)))
        return mn_errorf(MNLP_ERR_NOT_FOUND, "missing tensor \"%s\"", name);
    size = (size_t)(st_t->end - st_t->begin);
    /* Mapped data is used in place when aligned for its dtype, as
     * safetensors writers align it; otherwise it is copied once. */
    if ((uintptr_t)st_t->data % mnlp_dtype_size(st_t->dtype) == 0)
        st = mn_tensor_wrap(st_t->dtype, st_t->ndim, st_t->shape, st_t->data, size, &mapped);
    else if ((st = mn_tensor_new(mn_backend_cpu(), st_t->dtype, st_t->ndim, st_t->shape,
                                 &mapped)) == MNLP_OK)
        memcpy(mn_tensor_data(mapped), st_t->data, size);
    if (st)
        return mn_error_prefix(st, "tensor \"%s\"", name);
    if (!f32 || st_t->dtype == MNLP_DTYPE_F32) {
        *out = mapped;
        return keep(w, mapped);
    }
    st = mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, st_t->ndim, st_t->shape, &copy);
    if (st == MNLP_OK)
        st = mn_op_to_f32(mapped, copy);
    mn_tensor_free(mapped);
    if (st) {
        mn_tensor_free(copy);
        return mn_error_prefix(st, "tensor \"%s\"", name);
    }
    *out = copy;
    return keep(w, copy);
}

void mn_weights_free(mn_weights *w)
{
    for (int i = 0; i < w->n; i++)
        mn_tensor_free(w->items[i]);
    mn_free(w->items);
    *w = (mn_weights){0};
}

/*
 * The portable reference backend: plain C, one thread, float accumulation
 * in index order. Readable first; every other path is checked against it.
 */
#include "tensor/cpu.h"

#include "tensor/dtype.h"

#include <math.h>
#include <string.h>

mnlp_status mn_cpu_alloc(const mn_backend *be, size_t size, mn_buffer *out)
{
    void *p = mn_malloc(size);

    if (!p)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory allocating %zu bytes", size);
    *out = (mn_buffer){be, p, size, false};
    return MNLP_OK;
}

void mn_cpu_release(mn_buffer *buf)
{
    mn_free(buf->data);
}

mnlp_status mn_cpu_write(mn_buffer *dst, size_t offset, const void *src, size_t n)
{
    memcpy((char *)dst->data + offset, src, n);
    return MNLP_OK;
}

mnlp_status mn_cpu_read(const mn_buffer *src, size_t offset, void *dst, size_t n)
{
    memcpy(dst, (const char *)src->data + offset, n);
    return MNLP_OK;
}

static const float *f32(const mn_tensor *t)
{
    return (const float *)mn_tensor_data(t);
}

static float *f32_out(mn_tensor *t)
{
    return (float *)mn_tensor_data(t);
}

static int64_t rows_of(const mn_tensor *t)
{
    int64_t cols = t->ndim ? t->shape[t->ndim - 1] : 1;

    return cols ? mn_tensor_numel(t) / cols : 0;
}

void mn_cpu_row_to_f32(const mn_tensor *m, int64_t r, float *dst)
{
    int64_t n = m->shape[1];
    size_t row_bytes = (size_t)n * mnlp_dtype_size(m->dtype);
    const char *row = (const char *)mn_tensor_data(m) + (size_t)r * row_bytes;
    const uint16_t *h = (const uint16_t *)row;

    /* The weight dtypes get direct loops; anything else the generic path. */
    if (m->dtype == MNLP_DTYPE_F32)
        memcpy(dst, row, sizeof(float) * (size_t)n);
    else if (m->dtype == MNLP_DTYPE_BF16)
        for (int64_t i = 0; i < n; i++)
            dst[i] = mn_bf16_to_f32(h[i]);
    else if (m->dtype == MNLP_DTYPE_F16)
        for (int64_t i = 0; i < n; i++)
            dst[i] = mn_f16_to_f32(h[i]);
    else
        mnlp_dtype_to_f32(m->dtype, row, dst, (size_t)n);
}

float mn_dot_portable(const float *a, const float *b, int64_t n)
{
    float sum = 0.0f;

    for (int64_t i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

void mn_rope_row(const float *x, const float *cos, const float *sin, int64_t half, int64_t d,
                 float *out)
{
    /* rotate_half(x) is (-x2, x1) over the rotated dims; read both halves
     * before writing, since out may be x. */
    for (int64_t i = 0; i < half; i++) {
        float x1 = x[i], x2 = x[i + half];

        out[i] = x1 * cos[i] - x2 * sin[i];
        out[i + half] = x2 * cos[i + half] + x1 * sin[i + half];
    }
    if (out != x)
        memcpy(out + 2 * half, x + 2 * half, sizeof(float) * (size_t)(d - 2 * half));
}

static mnlp_status ref_linear(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                              mn_tensor *out)
{
    int64_t m = rows_of(x), n = w->shape[0], k = w->shape[1];
    float *wrow = mn_calloc((size_t)k + 1, sizeof(float));
    float b = 0.0f;

    if (!wrow)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "linear: out of memory");
    for (int64_t j = 0; j < n; j++) {
        mn_cpu_row_to_f32(w, j, wrow);
        if (bias)
            mnlp_dtype_to_f32(bias->dtype,
                              (const char *)mn_tensor_data(bias) +
                                  (size_t)j * mnlp_dtype_size(bias->dtype),
                              &b, 1);
        for (int64_t i = 0; i < m; i++)
            f32_out(out)[i * n + j] = mn_dot_portable(f32(x) + i * k, wrow, k) + b;
    }
    mn_free(wrow);
    return MNLP_OK;
}

static mnlp_status ref_rms_norm(const mn_tensor *x, const mn_tensor *w, float eps,
                                mn_tensor *out)
{
    int64_t rows = rows_of(x), d = w->shape[0];

    for (int64_t r = 0; r < rows; r++) {
        const float *xr = f32(x) + r * d;
        float *o = f32_out(out) + r * d;
        float ss = 0.0f, scale;

        for (int64_t i = 0; i < d; i++)
            ss += xr[i] * xr[i];
        /* LlamaRMSNorm: x * rsqrt(mean(x^2) + eps), then times the weight. */
        scale = 1.0f / sqrtf(ss / (float)d + eps);
        for (int64_t i = 0; i < d; i++)
            o[i] = xr[i] * scale * f32(w)[i];
    }
    return MNLP_OK;
}

static mnlp_status ref_softmax(const mn_tensor *x, mn_tensor *out)
{
    int64_t rows = rows_of(x), d = x->ndim ? x->shape[x->ndim - 1] : 1;

    for (int64_t r = 0; r < rows; r++) {
        const float *xr = f32(x) + r * d;
        float *o = f32_out(out) + r * d;
        float max = -INFINITY, sum = 0.0f;

        for (int64_t i = 0; i < d; i++)
            max = xr[i] > max ? xr[i] : max;
        for (int64_t i = 0; i < d; i++)
            sum += o[i] = max == -INFINITY ? 0.0f : expf(xr[i] - max);
        for (int64_t i = 0; i < d; i++)
            o[i] = sum > 0.0f ? o[i] / sum : NAN;
    }
    return MNLP_OK;
}

/* b is either a's shape or one row repeated over a's rows. */
static mnlp_status elementwise(const mn_tensor *a, const mn_tensor *b, mn_tensor *out,
                               bool multiply)
{
    int64_t n = mn_tensor_numel(a), nb = mn_tensor_numel(b);

    for (int64_t i = 0; i < n; i++) {
        float y = f32(b)[nb ? i % nb : 0];

        f32_out(out)[i] = multiply ? f32(a)[i] * y : f32(a)[i] + y;
    }
    return MNLP_OK;
}

static mnlp_status ref_add(const mn_tensor *a, const mn_tensor *b, mn_tensor *out)
{
    return elementwise(a, b, out, false);
}

static mnlp_status ref_mul(const mn_tensor *a, const mn_tensor *b, mn_tensor *out)
{
    return elementwise(a, b, out, true);
}

static mnlp_status ref_silu(const mn_tensor *x, mn_tensor *out)
{
    int64_t n = mn_tensor_numel(x);

    for (int64_t i = 0; i < n; i++)
        f32_out(out)[i] = f32(x)[i] / (1.0f + expf(-f32(x)[i]));
    return MNLP_OK;
}

static mnlp_status ref_get_rows(const mn_tensor *table, const mn_tensor *ids, mn_tensor *out)
{
    int64_t n = ids->shape[0], vocab = table->shape[0], d = table->shape[1];

    for (int64_t i = 0; i < n; i++) {
        int64_t id = ids->dtype == MNLP_DTYPE_I64 ? ((const int64_t *)mn_tensor_data(ids))[i]
                                                  : ((const int32_t *)mn_tensor_data(ids))[i];

        if (id < 0 || id >= vocab)
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT,
                             "get_rows: id %lld at position %lld is outside [0, %lld)",
                             (long long)id, (long long)i, (long long)vocab);
        mn_cpu_row_to_f32(table, id, f32_out(out) + i * d);
    }
    return MNLP_OK;
}

static mnlp_status ref_to_f32(const mn_tensor *x, mn_tensor *out)
{
    mnlp_dtype_to_f32(x->dtype, mn_tensor_data(x), f32_out(out), (size_t)mn_tensor_numel(x));
    return MNLP_OK;
}

static mnlp_status ref_rope(const mn_tensor *x, const mn_tensor *cos, const mn_tensor *sin,
                            mn_tensor *out)
{
    int64_t t_len = x->shape[0], heads = x->shape[1], d = x->shape[2];
    int64_t half = cos->shape[1] / 2;

    for (int64_t t = 0; t < t_len; t++) {
        const float *c = f32(cos) + t * 2 * half, *s = f32(sin) + t * 2 * half;

        for (int64_t h = 0; h < heads; h++) {
            const float *xr = f32(x) + (t * heads + h) * d;
            float *o = f32_out(out) + (t * heads + h) * d;

            mn_rope_row(xr, c, s, half, d, o);
        }
    }
    return MNLP_OK;
}

/* The score of query q against key row j: scaled, soft-capped when asked
 * (Gemma 2 caps before the mask is added), plus the mask. */
static float score(const mn_attention_args *a, const float *q, const float *mask, int64_t j,
                   int64_t kvh)
{
    float s = mn_dot_portable(q, a->k + (j * a->hkv + kvh) * a->d, a->d) * a->scale;

    if (a->softcap > 0.0f)
        s = tanhf(s / a->softcap) * a->softcap;
    return s + (mask ? mask[j] : 0.0f);
}

/* Softmax weights need the row's max and sum; recomputing the dot products
 * in three passes keeps the op free of scratch memory. */
void mn_attention_row(const mn_attention_args *a, int64_t i, int64_t h, float *o)
{
    int64_t d = a->d, kvh = h / a->group, visible = a->tk;
    const float *q = a->q + (i * a->hq + h) * d;
    const float *mask = a->mask ? a->mask + i * a->tk : NULL;
    float max = -INFINITY, sum = 0.0f;

    if (a->causal)
        visible = i + a->tk - a->tq + 1 < a->tk ? i + a->tk - a->tq + 1 : a->tk;
    for (int64_t j = 0; j < visible; j++) {
        float s = score(a, q, mask, j, kvh);

        max = s > max ? s : max;
    }
    for (int64_t j = 0; j < visible && max > -INFINITY; j++)
        sum += expf(score(a, q, mask, j, kvh) - max);
    memset(o, 0, sizeof(float) * (size_t)d);
    if (!(sum > 0.0f))
        return;
    for (int64_t j = 0; j < visible; j++) {
        float p = expf(score(a, q, mask, j, kvh) - max) / sum;
        const float *v = a->v + (j * a->hkv + kvh) * d;

        for (int64_t c = 0; c < d; c++)
            o[c] += p * v[c];
    }
}

void mn_attention_args_init(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                            const mn_tensor *mask, float scale, bool causal, mn_tensor *out,
                            mn_attention_args *a)
{
    *a = (mn_attention_args){
        .q = f32(q), .k = f32(k), .v = f32(v), .mask = mask ? f32(mask) : NULL,
        .out = f32_out(out), .tq = q->shape[0], .tk = k->shape[0], .hq = q->shape[1],
        .hkv = k->shape[1], .d = q->shape[2], .group = q->shape[1] / k->shape[1],
        .scale = scale, .causal = causal,
    };
}

static mnlp_status ref_attention_softcap(const mn_tensor *q, const mn_tensor *k,
                                         const mn_tensor *v, const mn_tensor *mask, float scale,
                                         float softcap, bool causal, mn_tensor *out)
{
    mn_attention_args a;

    mn_attention_args_init(q, k, v, mask, scale, causal, out, &a);
    a.softcap = softcap;
    for (int64_t i = 0; i < a.tq; i++)
        for (int64_t h = 0; h < a.hq; h++)
            mn_attention_row(&a, i, h, a.out + (i * a.hq + h) * a.d);
    return MNLP_OK;
}

static mnlp_status ref_attention(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                                 const mn_tensor *mask, float scale, bool causal,
                                 mn_tensor *out)
{
    return ref_attention_softcap(q, k, v, mask, scale, 0.0f, causal, out);
}

static mnlp_status ref_gelu_tanh(const mn_tensor *x, mn_tensor *out)
{
    /* torch's kernel: kBeta = sqrt(2) * (2 / sqrt(pi)) * 0.5, kKappa = 0.044715. */
    const float beta = 0.7978845608028654f, kappa = 0.044715f;
    int64_t n = mn_tensor_numel(x);

    for (int64_t i = 0; i < n; i++) {
        float v = f32(x)[i], inner = beta * (v + kappa * v * v * v);

        f32_out(out)[i] = 0.5f * v * (1.0f + tanhf(inner));
    }
    return MNLP_OK;
}

static mnlp_status ref_softcap(const mn_tensor *x, float cap, mn_tensor *out)
{
    int64_t n = mn_tensor_numel(x);

    for (int64_t i = 0; i < n; i++)
        f32_out(out)[i] = tanhf(f32(x)[i] / cap) * cap;
    return MNLP_OK;
}

/* Row r of a 2-d float matrix whose rows may be strided, as float. */
static void strided_row_to_f32(const mn_tensor *m, int64_t r, float *dst)
{
    const char *row = (const char *)mn_tensor_data(m) +
                      (size_t)(r * m->stride[0]) * mnlp_dtype_size(m->dtype);

    if (m->dtype == MNLP_DTYPE_F32)
        memcpy(dst, row, sizeof(float) * (size_t)m->shape[1]);
    else
        mnlp_dtype_to_f32(m->dtype, row, dst, (size_t)m->shape[1]);
}

/* Conv1D: each output row is the bias plus x[i, k] times w's row k, summed
 * in k order, which reads w row by row. */
static mnlp_status ref_linear_t(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                                mn_tensor *out)
{
    int64_t m = rows_of(x), k = w->shape[0], n = w->shape[1];
    float *wrow = mn_calloc((size_t)n + 1, sizeof(float));

    if (!wrow)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "linear_t: out of memory");
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            f32_out(out)[i * n + j] = 0.0f;
    for (int64_t c = 0; c < k; c++) {
        strided_row_to_f32(w, c, wrow);
        for (int64_t i = 0; i < m; i++) {
            float a = f32(x)[i * k + c], *o = f32_out(out) + i * n;

            for (int64_t j = 0; j < n; j++)
                o[j] += a * wrow[j];
        }
    }
    for (int64_t i = 0; bias && i < m; i++)
        for (int64_t j = 0; j < n; j++)
            f32_out(out)[i * n + j] += f32(bias)[j];
    mn_free(wrow);
    return MNLP_OK;
}

static mnlp_status ref_layer_norm(const mn_tensor *x, const mn_tensor *w, const mn_tensor *b,
                                  float eps, mn_tensor *out)
{
    int64_t rows = rows_of(x), d = w->shape[0];

    for (int64_t r = 0; r < rows; r++) {
        const float *xr = f32(x) + r * d;
        float *o = f32_out(out) + r * d;
        float mean = 0.0f, var = 0.0f, inv;

        for (int64_t i = 0; i < d; i++)
            mean += xr[i];
        mean /= (float)d;
        for (int64_t i = 0; i < d; i++)
            var += (xr[i] - mean) * (xr[i] - mean);
        inv = 1.0f / sqrtf(var / (float)d + eps);
        for (int64_t i = 0; i < d; i++)
            o[i] = (xr[i] - mean) * inv * f32(w)[i] + f32(b)[i];
    }
    return MNLP_OK;
}

static mnlp_status ref_gelu(const mn_tensor *x, mn_tensor *out)
{
    int64_t n = mn_tensor_numel(x);

    /* torch.nn.functional.gelu: x * Phi(x) with the error function. */
    for (int64_t i = 0; i < n; i++)
        f32_out(out)[i] = 0.5f * f32(x)[i] * (1.0f + erff(f32(x)[i] * 0.70710678118654752f));
    return MNLP_OK;
}

static mnlp_status ref_relu(const mn_tensor *x, mn_tensor *out)
{
    int64_t n = mn_tensor_numel(x);

    for (int64_t i = 0; i < n; i++)
        f32_out(out)[i] = f32(x)[i] > 0.0f ? f32(x)[i] : 0.0f;
    return MNLP_OK;
}

static mnlp_status ref_scale(const mn_tensor *x, float s, mn_tensor *out)
{
    int64_t n = mn_tensor_numel(x);

    for (int64_t i = 0; i < n; i++)
        f32_out(out)[i] = f32(x)[i] * s;
    return MNLP_OK;
}

const mn_ops mn_cpu_ref_ops = {
    .linear = ref_linear,
    .rms_norm = ref_rms_norm,
    .softmax = ref_softmax,
    .add = ref_add,
    .mul = ref_mul,
    .silu = ref_silu,
    .get_rows = ref_get_rows,
    .to_f32 = ref_to_f32,
    .rope = ref_rope,
    .attention = ref_attention,
    .attention_softcap = ref_attention_softcap,
    .gelu_tanh = ref_gelu_tanh,
    .softcap = ref_softcap,
    .linear_t = ref_linear_t,
    .layer_norm = ref_layer_norm,
    .gelu = ref_gelu,
    .relu = ref_relu,
    .scale = ref_scale,
};

static const mn_backend cpu_ref = {
    .name = "cpu-ref",
    .host_memory = true,
    .alloc = mn_cpu_alloc,
    .release = mn_cpu_release,
    .write = mn_cpu_write,
    .read = mn_cpu_read,
    .ops = &mn_cpu_ref_ops,
};

const mn_backend *mn_backend_cpu_ref(void)
{
    return &cpu_ref;
}

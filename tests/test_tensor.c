/*
 * tensor: dtype conversions, tensors, and one harness that runs every
 * operation of every backend against the portable reference, which is in
 * turn checked against double precision.
 */
#include "test.h"

#include "tensor/cpu.h"
#include "tensor/dtype.h"
#include "tensor/tensor.h"

#include <float.h>
#include <stdlib.h>

/* ---- dtypes ------------------------------------------------------------- */

static void dtype_names_round_trip(void)
{
    for (int d = 0; d < MNLP_DTYPE_COUNT; d++) {
        mnlp_dtype back;

        CHECK_OK(mnlp_dtype_parse(mnlp_dtype_name((mnlp_dtype)d), &back));
        CHECK_INT(back, d);
        CHECK(mnlp_dtype_size((mnlp_dtype)d) > 0);
    }
    CHECK(mnlp_dtype_parse("F7", &(mnlp_dtype){0}) == MNLP_ERR_NOT_FOUND);
}

/* Every half and bfloat16 value survives the trip through float. */
static void f16_bf16_round_trip_exhaustive(void)
{
    for (uint32_t h = 0; h < 65536; h++) {
        float f = mn_f16_to_f32((uint16_t)h), g = mn_bf16_to_f32((uint16_t)h);

        if (f == f)
            CHECK_INT(mn_f32_to_f16(f), h);
        if (g == g)
            CHECK_INT(mn_f32_to_bf16(g), h);
    }
}

/* float -> half picks the nearer neighbour, ties to even. */
static void f32_to_f16_rounds_to_nearest_even(void)
{
    uint64_t seed = 7;

    for (int i = 0; i < 100000; i++) {
        float f = test_randf(&seed) * (i % 3 == 0 ? 70000.0f : i % 3 == 1 ? 1.0f : 1e-5f);
        uint16_t h = mn_f32_to_f16(f);
        double err = fabs((double)mn_f16_to_f32(h) - f);
        double up = fabs((double)mn_f16_to_f32((uint16_t)(h + 1)) - f);
        double down = (h & 0x7fff) ? fabs((double)mn_f16_to_f32((uint16_t)(h - 1)) - f) : up;

        if ((h & 0x7c00) == 0x7c00) {
            CHECK(fabsf(f) >= 65504.0f);
            continue;
        }
        CHECK(err <= up && err <= down);
        if (err == up || err == down)
            CHECK((h & 1) == 0 || err == 0);
    }
}

/* Anchors from the OCP 8-bit floating point specification. */
static void f8_formats_decode_per_spec(void)
{
    CHECK(mn_f8_e4m3_to_f32(0x7e) == 448.0f);           /* largest E4M3 */
    CHECK(mn_f8_e4m3_to_f32(0x01) == ldexpf(1, -9));    /* smallest subnormal */
    CHECK(mn_f8_e4m3_to_f32(0x38) == 1.0f);
    CHECK(mn_f8_e4m3_to_f32(0xb8) == -1.0f);
    CHECK(isnan(mn_f8_e4m3_to_f32(0x7f)) && isnan(mn_f8_e4m3_to_f32(0xff)));
    CHECK(mn_f8_e5m2_to_f32(0x7b) == 57344.0f);         /* largest E5M2 */
    CHECK(mn_f8_e5m2_to_f32(0x3c) == 1.0f);
    CHECK(isinf(mn_f8_e5m2_to_f32(0x7c)));
    CHECK(mn_f8_e5m2_to_f32(0x01) == ldexpf(1, -16));
}

static void to_f32_converts_integers_and_bool(void)
{
    int64_t i64[] = {-3, 0, 1 << 20};
    uint8_t b[] = {0, 1};
    float out[3];

    mnlp_dtype_to_f32(MNLP_DTYPE_I64, i64, out, 3);
    CHECK(out[0] == -3.0f && out[1] == 0.0f && out[2] == 1048576.0f);
    mnlp_dtype_to_f32(MNLP_DTYPE_BOOL, b, out, 2);
    CHECK(out[0] == 0.0f && out[1] == 1.0f);
}

/* ---- tensors ------------------------------------------------------------ */

static void tensor_shape_and_strides(void)
{
    mn_tensor *t = NULL;
    char buf[64];

    CHECK_OK(mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_BF16, 3, (int64_t[]){2, 3, 4}, &t));
    CHECK_INT(mn_tensor_numel(t), 24);
    CHECK_INT(mn_tensor_nbytes(t), 48);
    CHECK_INT(t->stride[0], 12);
    CHECK_INT(t->stride[2], 1);
    CHECK(mn_tensor_is_contiguous(t));
    CHECK_STR(mn_shape_str(t->ndim, t->shape, buf, sizeof buf), "[2, 3, 4]");
    mn_tensor_free(t);
    mn_tensor_free(NULL);
    CHECK_ERR(mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 2, (int64_t[]){-1, 3}, &t),
              MNLP_ERR_INVALID_ARGUMENT, "invalid shape [-1, 3]");
    CHECK_ERR(mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 7,
                            (int64_t[]){1, 1, 1, 1, 1, 1, 1}, &t),
              MNLP_ERR_UNSUPPORTED, "rank 7");
}

static void wrap_borrows_memory(void)
{
    float data[6] = {1, 2, 3, 4, 5, 6};
    mn_tensor *t = NULL;

    CHECK_OK(mn_tensor_wrap(MNLP_DTYPE_F32, 2, (int64_t[]){2, 3}, data, sizeof data, &t));
    CHECK(mn_tensor_data(t) == data);
    mn_tensor_free(t); /* must not free data */
    CHECK_ERR(mn_tensor_wrap(MNLP_DTYPE_F32, 2, (int64_t[]){3, 3}, data, sizeof data, &t),
              MNLP_ERR_INVALID_ARGUMENT, "needs 36 bytes");
}

/* ---- An emulated device backend ----------------------------------------- */
/*
 * Its memory is not host-visible to the rest of mnlp (host_memory false):
 * data moves only through write/read, as with a GPU. Its operations make
 * host views of their own memory and run the reference, which proves the
 * op layer never touches a device buffer directly.
 */

static mn_tensor host_view(const mn_tensor *t)
{
    static mn_buffer views[8];
    static int next;
    mn_tensor v = *t;
    mn_buffer *b = &views[next++ % 8];

    *b = *t->buffer;
    b->backend = mn_backend_cpu_ref();
    v.buffer = b;
    return v;
}

static mnlp_status dev_linear(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                              mn_tensor *out)
{
    mn_tensor hx = host_view(x), hw = host_view(w), ho = host_view(out), hb;

    if (bias)
        hb = host_view(bias);
    return mn_cpu_ref_ops.linear(&hx, &hw, bias ? &hb : NULL, &ho);
}

static mnlp_status dev_rms_norm(const mn_tensor *x, const mn_tensor *w, float eps,
                                mn_tensor *out)
{
    mn_tensor hx = host_view(x), hw = host_view(w), ho = host_view(out);

    return mn_cpu_ref_ops.rms_norm(&hx, &hw, eps, &ho);
}

static mnlp_status dev_softmax(const mn_tensor *x, mn_tensor *out)
{
    mn_tensor hx = host_view(x), ho = host_view(out);

    return mn_cpu_ref_ops.softmax(&hx, &ho);
}

static const mn_ops dev_ops = {
    .linear = dev_linear,
    .rms_norm = dev_rms_norm,
    .softmax = dev_softmax,
};

static const mn_backend dev_backend = {
    .name = "emulated-device",
    .host_memory = false,
    .alloc = mn_cpu_alloc,
    .release = mn_cpu_release,
    .write = mn_cpu_write,
    .read = mn_cpu_read,
    .ops = &dev_ops,
};

static void device_memory_is_not_host_visible(void)
{
    float in[4] = {1, 2, 3, 4}, out[4] = {0};
    mn_tensor *t = NULL, *o = NULL;

    CHECK_OK(mn_tensor_new(&dev_backend, MNLP_DTYPE_F32, 1, (int64_t[]){4}, &t));
    CHECK(mn_tensor_data(t) == NULL);
    CHECK_OK(mn_tensor_write(t, in, sizeof in));
    CHECK_OK(mn_tensor_read(t, out, sizeof out));
    CHECK(memcmp(in, out, sizeof in) == 0);
    CHECK_OK(mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 1, (int64_t[]){4}, &o));
    CHECK_ERR(mn_op_silu(t, t), MNLP_ERR_UNSUPPORTED, "silu: not implemented by backend "
              "emulated-device");
    CHECK_ERR(mn_op_softmax(t, o), MNLP_ERR_INVALID_ARGUMENT, "operands on backends");
    mn_tensor_free(t);
    mn_tensor_free(o);
}

/* ---- The op harness ---------------------------------------------------- */

enum { OP_LINEAR, OP_LINEAR_BIAS, OP_RMS_NORM, OP_SOFTMAX, OP_ADD, OP_MUL, OP_MUL_ROW,
       OP_SILU, OP_GET_ROWS, OP_TO_F32 };

typedef struct op_case {
    const char *name;
    int op;
    mnlp_dtype wdtype;  /* dtype of the second operand (weights, table) */
    int64_t m, n, k;    /* rows, output columns, inner size */
} op_case;

static const op_case cases[] = {
    {"linear f32 1x1", OP_LINEAR, MNLP_DTYPE_F32, 1, 1, 1},
    {"linear f32 odd", OP_LINEAR, MNLP_DTYPE_F32, 3, 37, 61},
    {"linear f32 wide", OP_LINEAR, MNLP_DTYPE_F32, 5, 130, 256},
    {"linear f16", OP_LINEAR, MNLP_DTYPE_F16, 4, 33, 100},
    {"linear bf16", OP_LINEAR, MNLP_DTYPE_BF16, 2, 48, 172},
    {"linear bias", OP_LINEAR_BIAS, MNLP_DTYPE_F32, 3, 20, 64},
    {"rms_norm", OP_RMS_NORM, MNLP_DTYPE_F32, 7, 0, 64},
    {"softmax", OP_SOFTMAX, MNLP_DTYPE_F32, 5, 0, 512},
    {"add", OP_ADD, MNLP_DTYPE_F32, 3, 0, 50},
    {"mul", OP_MUL, MNLP_DTYPE_F32, 3, 0, 50},
    {"mul by row", OP_MUL_ROW, MNLP_DTYPE_F32, 4, 0, 9},
    {"silu", OP_SILU, MNLP_DTYPE_F32, 2, 0, 300},
    {"get_rows f32", OP_GET_ROWS, MNLP_DTYPE_F32, 6, 0, 16},
    {"get_rows bf16", OP_GET_ROWS, MNLP_DTYPE_BF16, 6, 0, 16},
    {"to_f32 f16", OP_TO_F32, MNLP_DTYPE_F16, 3, 0, 11},
};

/* Inputs of one case, on the host, and the expected value in double. */
typedef struct inputs {
    float *x, *wf, *b;   /* wf: the weights as float (after rounding to wdtype) */
    void *w;             /* the weights in wdtype */
    int64_t *ids;
} inputs;

static void make_inputs(const op_case *c, uint64_t seed, inputs *in)
{
    int64_t rows = c->op == OP_GET_ROWS ? 10 : c->n ? c->n : c->op == OP_MUL_ROW ? 1 : c->m;
    int64_t nw = rows * c->k, nx = c->m * c->k;
    size_t es = mnlp_dtype_size(c->wdtype);

    in->x = calloc((size_t)nx, sizeof(float));
    in->wf = calloc((size_t)nw, sizeof(float));
    in->w = calloc((size_t)nw, es);
    in->b = calloc((size_t)(c->n + 1), sizeof(float));
    in->ids = calloc((size_t)c->m, sizeof(int64_t));
    for (int64_t i = 0; i < nx; i++)
        in->x[i] = test_randf(&seed) * (c->op == OP_SOFTMAX ? 20.0f : 3.0f);
    for (int64_t i = 0; i < nw; i++) {
        float f = test_randf(&seed);

        if (c->wdtype == MNLP_DTYPE_F16)
            ((uint16_t *)in->w)[i] = mn_f32_to_f16(f);
        else if (c->wdtype == MNLP_DTYPE_BF16)
            ((uint16_t *)in->w)[i] = mn_f32_to_bf16(f);
        else
            ((float *)in->w)[i] = f;
    }
    mnlp_dtype_to_f32(c->wdtype, in->w, in->wf, (size_t)nw);
    for (int64_t i = 0; i < c->n; i++)
        in->b[i] = test_randf(&seed);
    for (int64_t i = 0; i < c->m; i++)
        in->ids[i] = (int64_t)(test_rand(&seed) % 10);
}

static void free_inputs(inputs *in)
{
    free(in->x);
    free(in->wf);
    free(in->w);
    free(in->b);
    free(in->ids);
}

static mn_tensor *upload(const mn_backend *be, mnlp_dtype dt, int ndim, const int64_t *shape,
                         const void *data)
{
    mn_tensor *t = NULL;

    if (mn_tensor_new(be, dt, ndim, shape, &t) != MNLP_OK)
        return NULL;
    if (data)
        mn_tensor_write(t, data, mn_tensor_nbytes(t));
    return t;
}

/* Runs the case on backend be; returns the output (malloc'd floats) or NULL
 * when the backend lacks the op. */
static float *run_case(const mn_backend *be, const op_case *c, const inputs *in, size_t *n)
{
    int64_t m = c->m, k = c->k, wrows = c->op == OP_GET_ROWS ? 10 : c->n;
    int64_t out_cols = c->n ? c->n : k;
    mn_tensor *x = upload(be, MNLP_DTYPE_F32, 2, (int64_t[]){m, k}, in->x);
    mn_tensor *w = NULL, *b = NULL, *ids = NULL, *out = NULL;
    mnlp_status st = MNLP_ERR_INTERNAL;
    float *result = NULL;

    *n = (size_t)(m * out_cols);
    out = upload(be, MNLP_DTYPE_F32, 2, (int64_t[]){m, out_cols}, NULL);
    switch (c->op) {
    case OP_LINEAR:
    case OP_LINEAR_BIAS:
        w = upload(be, c->wdtype, 2, (int64_t[]){wrows, k}, in->w);
        if (c->op == OP_LINEAR_BIAS)
            b = upload(be, MNLP_DTYPE_F32, 1, (int64_t[]){c->n}, in->b);
        st = mn_op_linear(x, w, b, out);
        break;
    case OP_RMS_NORM:
        w = upload(be, MNLP_DTYPE_F32, 1, (int64_t[]){k}, in->wf);
        st = mn_op_rms_norm(x, w, 1e-5f, out);
        break;
    case OP_SOFTMAX: st = mn_op_softmax(x, out); break;
    case OP_SILU: st = mn_op_silu(x, out); break;
    case OP_ADD:
    case OP_MUL:
    case OP_MUL_ROW:
        if (c->op == OP_MUL_ROW)
            w = upload(be, MNLP_DTYPE_F32, 1, (int64_t[]){k}, in->wf);
        else
            w = upload(be, MNLP_DTYPE_F32, 2, (int64_t[]){m, k}, in->wf);
        st = c->op == OP_ADD ? mn_op_add(x, w, out) : mn_op_mul(x, w, out);
        break;
    case OP_GET_ROWS:
        w = upload(be, c->wdtype, 2, (int64_t[]){10, k}, in->w);
        ids = upload(be, MNLP_DTYPE_I64, 1, (int64_t[]){m}, in->ids);
        st = mn_op_get_rows(w, ids, out);
        break;
    case OP_TO_F32:
        w = upload(be, c->wdtype, 2, (int64_t[]){m, k}, in->w);
        st = mn_op_to_f32(w, out);
        break;
    }
    if (st == MNLP_OK) {
        result = malloc(*n * sizeof(float));
        mn_tensor_read(out, result, *n * sizeof(float));
    } else if (st != MNLP_ERR_UNSUPPORTED || !strstr(mnlp_last_error(), "not implemented")) {
        test_fail(__FILE__, __LINE__, "%s on %s: %s", c->name, be->name, mnlp_last_error());
    }
    mn_tensor_free(x);
    mn_tensor_free(w);
    mn_tensor_free(b);
    mn_tensor_free(ids);
    mn_tensor_free(out);
    return result;
}

/* The exact result in double, and per element the error a float
 * computation may make (summation-order bound, a few ulps elsewhere). */
static void exact(const op_case *c, const inputs *in, double *val, double *bound)
{
    int64_t m = c->m, k = c->k, n = c->n;
    const double u = ldexp(1, -24);

    for (int64_t i = 0; i < m; i++) {
        const float *xr = in->x + i * k;
        double ss = 0, mx = -INFINITY, se = 0;

        for (int64_t j = 0; j < k; j++) {
            ss += (double)xr[j] * xr[j];
            mx = xr[j] > mx ? xr[j] : mx;
        }
        for (int64_t j = 0; j < k; j++)
            se += exp(xr[j] - mx);
        for (int64_t j = 0; j < (n ? n : k); j++) {
            int64_t o = i * (n ? n : k) + j;
            double v = 0, mag = 0;

            switch (c->op) {
            case OP_LINEAR:
            case OP_LINEAR_BIAS:
                for (int64_t t = 0; t < k; t++) {
                    v += (double)xr[t] * in->wf[j * k + t];
                    mag += fabs((double)xr[t] * in->wf[j * k + t]);
                }
                if (c->op == OP_LINEAR_BIAS)
                    v += in->b[j], mag += fabs(in->b[j]);
                bound[o] = (double)(k + 2) * u * mag;
                break;
            case OP_RMS_NORM:
                v = xr[j] / sqrt(ss / k + 1e-5) * in->wf[j];
                bound[o] = (double)(k + 8) * u * fabs(v);
                break;
            case OP_SOFTMAX:
                v = exp(xr[j] - mx) / se;
                bound[o] = (double)(k + 8) * u * v;
                break;
            case OP_ADD:
            case OP_MUL:
            case OP_MUL_ROW: {
                double y = in->wf[c->op == OP_MUL_ROW ? j : i * k + j];

                v = c->op == OP_ADD ? xr[j] + y : xr[j] * y;
                bound[o] = u * fabs(v);
                break;
            }
            case OP_SILU:
                v = xr[j] / (1 + exp(-(double)xr[j]));
                bound[o] = 8 * u * fabs(v) + 1e-30;
                break;
            case OP_GET_ROWS: v = in->wf[in->ids[i] * k + j]; bound[o] = 0; break;
            case OP_TO_F32: v = in->wf[i * k + j]; bound[o] = 0; break;
            }
            val[o] = v;
        }
    }
}

/* Every backend, every case: within the error bound of the exact result,
 * and the reference's own result within it too. */
static void every_op_of_every_backend_matches_reference(void)
{
    int n_be;
    const mn_backend *const *list = mn_backends(&n_be);
    const mn_backend *all[8];

    for (int i = 0; i < n_be; i++)
        all[i] = list[i];
    all[n_be++] = &dev_backend;
    for (int threads = 1; threads <= 3; threads += 2) {
        mnlp_set_num_threads(threads);
        for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
            const op_case *c = &cases[ci];
            inputs in;
            size_t n = 0;
            double *val, *bound;

            make_inputs(c, 1000 + ci, &in);
            val = calloc((size_t)(c->m * (c->n ? c->n : c->k)), sizeof(double));
            bound = calloc((size_t)(c->m * (c->n ? c->n : c->k)), sizeof(double));
            exact(c, &in, val, bound);
            for (int b = 0; b < n_be; b++) {
                float *got = run_case(all[b], c, &in, &n);
                int bad = 0;

                for (size_t i = 0; got && i < n && bad < 3; i++) {
                    if (fabs((double)got[i] - val[i]) > bound[i]) {
                        test_fail(__FILE__, __LINE__, "%s on %s: [%zu] = %.9g, exact %.9g, "
                                  "bound %.3g", c->name, all[b]->name, i, got[i], val[i],
                                  bound[i]);
                        bad++;
                    }
                }
                if (!got && b < 2)
                    test_fail(__FILE__, __LINE__, "%s: CPU backend %s lacks it", c->name,
                              all[b]->name);
                free(got);
            }
            free(val);
            free(bound);
            free_inputs(&in);
        }
    }
}

/* ---- rope and attention against double precision ------------------------ */

static float *random_floats(int64_t n, float scale, uint64_t *seed)
{
    float *f = malloc(sizeof(float) * (size_t)n);

    for (int64_t i = 0; i < n; i++)
        f[i] = test_randf(seed) * scale;
    return f;
}

/* x[T, H, D] rotated over its first R dims, in place and out of place. */
static void rope_matches_double(void)
{
    enum { T = 5, H = 3, D = 10, R = 8 };
    uint64_t seed = 11;
    float *x = random_floats(T * H * D, 2.0f, &seed), *cs = random_floats(T * R, 1.0f, &seed);
    float *sn = random_floats(T * R, 1.0f, &seed), got[T * H * D];
    int n_be;
    const mn_backend *const *list = mn_backends(&n_be);

    for (int b = 0; b < n_be; b++) {
        for (int in_place = 0; in_place < 2; in_place++) {
            mn_tensor *tx = upload(list[b], MNLP_DTYPE_F32, 3, (int64_t[]){T, H, D}, x);
            mn_tensor *tc = upload(list[b], MNLP_DTYPE_F32, 2, (int64_t[]){T, R}, cs);
            mn_tensor *ts = upload(list[b], MNLP_DTYPE_F32, 2, (int64_t[]){T, R}, sn);
            mn_tensor *to = in_place ? tx : upload(list[b], MNLP_DTYPE_F32, 3,
                                                   (int64_t[]){T, H, D}, NULL);

            CHECK_OK(mn_op_rope(tx, tc, ts, to));
            mn_tensor_read(to, got, sizeof got);
            for (int t = 0; t < T; t++)
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < D; i++) {
                        const float *xr = x + (t * H + h) * D;
                        int j = i < R / 2 ? i + R / 2 : i - R / 2;
                        double rot = i < R / 2 ? -(double)xr[j] : xr[j];
                        double want = i >= R ? xr[i]
                                             : xr[i] * (double)cs[t * R + i] +
                                                   rot * sn[t * R + i];
                        double bound = i >= R ? 0 : 3 * ldexp(1, -24) *
                                       (fabs(xr[i] * (double)cs[t * R + i]) +
                                        fabs(rot * sn[t * R + i]));

                        if (fabs(got[(t * H + h) * D + i] - want) > bound)
                            test_fail(__FILE__, __LINE__, "rope on %s: [%d,%d,%d] = %.9g, "
                                      "exact %.9g", list[b]->name, t, h, i,
                                      got[(t * H + h) * D + i], want);
                    }
            if (!in_place)
                mn_tensor_free(to);
            mn_tensor_free(tx);
            mn_tensor_free(tc);
            mn_tensor_free(ts);
        }
    }
    free(x);
    free(cs);
    free(sn);
}

typedef struct attn_case {
    const char *name;
    int64_t tq, tk, hq, hkv, d;
    bool causal, masked;
} attn_case;

/* The exact attention of one query row and head, and its error bound: the
 * summation bound of softmax . v plus the score errors carried through exp. */
static void attention_exact(const attn_case *c, const float *q, const float *k, const float *v,
                            const float *mask, float scale, int64_t i, int64_t h, double *val,
                            double *bound)
{
    int64_t kvh = h / (c->hq / c->hkv), visible = c->tk;
    double s[64], mx = -INFINITY, sum = 0, smax = 0;

    if (c->causal && i + c->tk - c->tq + 1 < visible)
        visible = i + c->tk - c->tq + 1;
    for (int64_t j = 0; j < visible; j++) {
        double dot = 0, mag = 0;

        for (int64_t t = 0; t < c->d; t++) {
            dot += (double)q[(i * c->hq + h) * c->d + t] * k[(j * c->hkv + kvh) * c->d + t];
            mag += fabs((double)q[(i * c->hq + h) * c->d + t] *
                        k[(j * c->hkv + kvh) * c->d + t]);
        }
        s[j] = dot * scale + (mask ? mask[i * c->tk + j] : 0);
        smax = fmax(smax, mag * scale);
        mx = fmax(mx, s[j]);
    }
    for (int64_t j = 0; j < visible; j++)
        sum += exp(s[j] - mx);
    for (int64_t t = 0; t < c->d; t++) {
        double acc = 0, mag = 0;

        for (int64_t j = 0; j < visible && sum > 0; j++) {
            double p = exp(s[j] - mx) / sum;

            acc += p * v[(j * c->hkv + kvh) * c->d + t];
            mag += p * fabs((double)v[(j * c->hkv + kvh) * c->d + t]);
        }
        val[t] = acc;
        bound[t] = ldexp(1, -24) * mag * (double)(visible + 16 + 4 * (c->d + 4) * (smax + 1));
    }
}

static void attention_matches_double(void)
{
    static const attn_case cases_[] = {
        {"prefill causal gqa", 6, 6, 4, 2, 16, true, false},
        {"decode one query", 1, 9, 4, 1, 8, true, false},
        {"chunk after cache", 3, 11, 2, 2, 8, true, false},
        {"mask, not causal", 4, 5, 3, 3, 6, false, true},
    };
    int n_be;
    const mn_backend *const *list = mn_backends(&n_be);

    for (int ci = 0; ci < MN_COUNT(cases_); ci++) {
        const attn_case *c = &cases_[ci];
        uint64_t seed = 50 + (uint64_t)ci;
        int64_t nq = c->tq * c->hq * c->d, nk = c->tk * c->hkv * c->d;
        float *q = random_floats(nq, 2.0f, &seed), *k = random_floats(nk, 2.0f, &seed);
        float *v = random_floats(nk, 1.0f, &seed), *mask = random_floats(c->tq * c->tk, 1.0f,
                                                                          &seed);
        float *got = malloc(sizeof(float) * (size_t)nq);
        float scale = 1.0f / sqrtf((float)c->d);

        for (int64_t j = 0; j < c->tq * c->tk; j += 3)
            mask[j] = -INFINITY; /* padding: the key is hidden */
        for (int b = 0; b < n_be; b++) {
            mn_tensor *tq = upload(list[b], MNLP_DTYPE_F32, 3, (int64_t[]){c->tq, c->hq, c->d}, q);
            mn_tensor *tk = upload(list[b], MNLP_DTYPE_F32, 3, (int64_t[]){c->tk, c->hkv, c->d}, k);
            mn_tensor *tv = upload(list[b], MNLP_DTYPE_F32, 3, (int64_t[]){c->tk, c->hkv, c->d}, v);
            mn_tensor *tm = c->masked ? upload(list[b], MNLP_DTYPE_F32, 2,
                                               (int64_t[]){c->tq, c->tk}, mask) : NULL;
            mn_tensor *to = upload(list[b], MNLP_DTYPE_F32, 3, (int64_t[]){c->tq, c->hq, c->d},
                                   NULL);

            CHECK_OK(mn_op_attention(tq, tk, tv, tm, scale, c->causal, to));
            mn_tensor_read(to, got, sizeof(float) * (size_t)nq);
            for (int64_t i = 0; i < c->tq; i++)
                for (int64_t h = 0; h < c->hq; h++) {
                    double val[64], bound[64];

                    attention_exact(c, q, k, v, c->masked ? mask : NULL, scale, i, h, val,
                                    bound);
                    for (int64_t t = 0; t < c->d; t++)
                        if (fabs(got[(i * c->hq + h) * c->d + t] - val[t]) > bound[t])
                            test_fail(__FILE__, __LINE__, "%s on %s: [%lld,%lld,%lld] = %.9g, "
                                      "exact %.9g, bound %.3g", c->name, list[b]->name,
                                      (long long)i, (long long)h, (long long)t,
                                      got[(i * c->hq + h) * c->d + t], val[t], bound[t]);
                }
            mn_tensor_free(tq);
            mn_tensor_free(tk);
            mn_tensor_free(tv);
            mn_tensor_free(tm);
            mn_tensor_free(to);
        }
        free(q);
        free(k);
        free(v);
        free(mask);
        free(got);
    }
}

/* A view of rows shares the buffer and starts at the row's byte offset. */
static void rows_view_borrows_the_buffer(void)
{
    mn_tensor *t = upload(mn_backend_cpu(), MNLP_DTYPE_F32, 2, (int64_t[]){4, 6}, NULL);
    mn_tensor v;

    CHECK_OK(mn_tensor_rows(t, 1, 2, 3, (int64_t[]){2, 2, 3}, &v));
    CHECK(v.buffer == t->buffer && v.offset == 6 * sizeof(float));
    CHECK(mn_tensor_data(&v) == (float *)mn_tensor_data(t) + 6);
    CHECK_INT(v.stride[0], 6);
    CHECK_OK(mn_tensor_rows(t, 4, 0, 0, NULL, &v));
    CHECK_INT(v.shape[0], 0);
    CHECK_ERR(mn_tensor_rows(t, 3, 2, 0, NULL, &v), MNLP_ERR_INVALID_ARGUMENT, "rows [3, 5)");
    CHECK_ERR(mn_tensor_rows(t, 0, 2, 2, (int64_t[]){2, 5}, &v), MNLP_ERR_INVALID_ARGUMENT,
              "cannot take that shape");
    mn_tensor_free(t);
}

static void op_shape_errors_name_the_operand(void)
{
    const mn_backend *be = mn_backend_cpu();
    mn_tensor *x = upload(be, MNLP_DTYPE_F32, 2, (int64_t[]){2, 4}, NULL);
    mn_tensor *w = upload(be, MNLP_DTYPE_F32, 2, (int64_t[]){3, 5}, NULL);
    mn_tensor *o = upload(be, MNLP_DTYPE_F32, 2, (int64_t[]){2, 3}, NULL);
    mn_tensor *ids = upload(be, MNLP_DTYPE_I64, 1, (int64_t[]){1}, (int64_t[]){7});
    mn_tensor *rows = upload(be, MNLP_DTYPE_F32, 2, (int64_t[]){1, 5}, NULL);

    CHECK_ERR(mn_op_linear(x, w, NULL, o), MNLP_ERR_INVALID_ARGUMENT,
              "linear: x's last dim differs from w's columns");
    CHECK_ERR(mn_op_rms_norm(x, w, 1e-5f, o), MNLP_ERR_INVALID_ARGUMENT, "rms_norm:");
    CHECK_ERR(mn_op_get_rows(w, ids, rows), MNLP_ERR_INVALID_ARGUMENT,
              "id 7 at position 0 is outside [0, 3)");
    mn_tensor_free(x);
    mn_tensor_free(w);
    mn_tensor_free(o);
    mn_tensor_free(ids);
    mn_tensor_free(rows);
}

TEST_SUITE(tensor, T(dtype_names_round_trip), T(f16_bf16_round_trip_exhaustive),
           T(f32_to_f16_rounds_to_nearest_even), T(f8_formats_decode_per_spec),
           T(to_f32_converts_integers_and_bool), T(tensor_shape_and_strides),
           T(wrap_borrows_memory), T(device_memory_is_not_host_visible),
           T(every_op_of_every_backend_matches_reference), T(rope_matches_double),
           T(attention_matches_double), T(rows_view_borrows_the_buffer),
           T(op_shape_errors_name_the_operand));

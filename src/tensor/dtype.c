#include "tensor/dtype.h"

#include "base/base.h"

#include <math.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[MNLP_DTYPE_COUNT] = {
    [MNLP_DTYPE_F64] = {"F64", 8},         [MNLP_DTYPE_F32] = {"F32", 4},
    [MNLP_DTYPE_F16] = {"F16", 2},         [MNLP_DTYPE_BF16] = {"BF16", 2},
    [MNLP_DTYPE_F8_E4M3] = {"F8_E4M3", 1}, [MNLP_DTYPE_F8_E5M2] = {"F8_E5M2", 1},
    [MNLP_DTYPE_I64] = {"I64", 8},         [MNLP_DTYPE_I32] = {"I32", 4},
    [MNLP_DTYPE_I16] = {"I16", 2},         [MNLP_DTYPE_I8] = {"I8", 1},
    [MNLP_DTYPE_U64] = {"U64", 8},         [MNLP_DTYPE_U32] = {"U32", 4},
    [MNLP_DTYPE_U16] = {"U16", 2},         [MNLP_DTYPE_U8] = {"U8", 1},
    [MNLP_DTYPE_BOOL] = {"BOOL", 1},
};

const char *mnlp_dtype_name(mnlp_dtype dtype)
{
    return (unsigned)dtype < MNLP_DTYPE_COUNT ? dtypes[dtype].name : "?";
}

size_t mnlp_dtype_size(mnlp_dtype dtype)
{
    return (unsigned)dtype < MNLP_DTYPE_COUNT ? dtypes[dtype].size : 0;
}

mnlp_status mnlp_dtype_parse(const char *name, mnlp_dtype *out)
{
    for (int i = 0; i < MNLP_DTYPE_COUNT; i++) {
        if (strcmp(name, dtypes[i].name) == 0) {
            *out = (mnlp_dtype)i;
            return MNLP_OK;
        }
    }
    return MNLP_ERR_NOT_FOUND;
}

float mn_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;

    if (exp == 0x1f)
        return mn_bits_to_f32(sign | 0x7f800000 | (man << 13));
    if (exp == 0) {
        /* Subnormal: the value is man * 2^-24, exact in float. */
        float f = ldexpf((float)man, -24);
        return sign ? -f : f;
    }
    return mn_bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t mn_f32_to_f16(float f)
{
    uint32_t u = mn_f32_to_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t abs = u & 0x7fffffff;

    if (abs > 0x7f800000)
        return sign | 0x7e00;
    if (abs >= 0x477ff000) /* rounds to >= 65520: infinity */
        return sign | 0x7c00;
    if (abs < 0x38800000) {
        /* Result is subnormal or zero: round abs * 2^24 to nearest even. */
        float scaled = mn_bits_to_f32(abs) * 16777216.0f;
        return sign | (uint16_t)lrintf(scaled);
    }
    abs += 0xfff + ((abs >> 13) & 1) - (112u << 23);
    return sign | (uint16_t)(abs >> 13);
}

/* E4M3FN: bias 7, no infinities; S.1111.111 is NaN. */
float mn_f8_e4m3_to_f32(uint8_t v)
{
    int exp = (v >> 3) & 0xf, man = v & 7;
    float f;

    if (exp == 0xf && man == 7)
        return NAN;
    f = exp ? ldexpf(1.0f + man / 8.0f, exp - 7) : ldexpf(man / 8.0f, -6);
    return (v & 0x80) ? -f : f;
}

/* E5M2 is the top byte of an IEEE half. */
float mn_f8_e5m2_to_f32(uint8_t v)
{
    return mn_f16_to_f32((uint16_t)(v << 8));
}

void mnlp_dtype_to_f32(mnlp_dtype dtype, const void *src, float *dst, size_t n)
{
    const unsigned char *p = src;

    for (size_t i = 0; i < n; i++) {
        const void *e = p + i * mnlp_dtype_size(dtype);
        union {
            double f64; float f32; uint16_t u16; int64_t i64; int32_t i32; int16_t i16;
            uint64_t u64; uint32_t u32;
        } x;

        memcpy(&x, e, mnlp_dtype_size(dtype));
        switch (dtype) {
        case MNLP_DTYPE_F64: dst[i] = (float)x.f64; break;
        case MNLP_DTYPE_F32: dst[i] = x.f32; break;
        case MNLP_DTYPE_F16: dst[i] = mn_f16_to_f32(x.u16); break;
        case MNLP_DTYPE_BF16: dst[i] = mn_bf16_to_f32(x.u16); break;
        case MNLP_DTYPE_F8_E4M3: dst[i] = mn_f8_e4m3_to_f32(*(const uint8_t *)e); break;
        case MNLP_DTYPE_F8_E5M2: dst[i] = mn_f8_e5m2_to_f32(*(const uint8_t *)e); break;
        case MNLP_DTYPE_I64: dst[i] = (float)x.i64; break;
        case MNLP_DTYPE_I32: dst[i] = (float)x.i32; break;
        case MNLP_DTYPE_I16: dst[i] = (float)x.i16; break;
        case MNLP_DTYPE_I8: dst[i] = (float)*(const int8_t *)e; break;
        case MNLP_DTYPE_U64: dst[i] = (float)x.u64; break;
        case MNLP_DTYPE_U32: dst[i] = (float)x.u32; break;
        case MNLP_DTYPE_U16: dst[i] = (float)x.u16; break;
        case MNLP_DTYPE_U8:
        case MNLP_DTYPE_BOOL: dst[i] = (float)*(const uint8_t *)e; break;
        case MNLP_DTYPE_COUNT: dst[i] = 0; break;
        }
    }
}

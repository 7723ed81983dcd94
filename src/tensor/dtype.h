/* Scalar conversions between float and the reduced-precision formats. */
#ifndef MN_DTYPE_H
#define MN_DTYPE_H

#include "mnlp/tensor.h"

#include <stdint.h>
#include <string.h>

static inline float mn_bits_to_f32(uint32_t u)
{
    float f;

    memcpy(&f, &u, 4);
    return f;
}

static inline uint32_t mn_f32_to_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

static inline float mn_bf16_to_f32(uint16_t h)
{
    return mn_bits_to_f32((uint32_t)h << 16);
}

/* Round to nearest even, as torch's float -> bfloat16 conversion does. */
static inline uint16_t mn_f32_to_bf16(float f)
{
    uint32_t u = mn_f32_to_bits(f);

    if ((u & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((u >> 16) | 0x40); /* keep NaN a quiet NaN */
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

float mn_f16_to_f32(uint16_t h);
uint16_t mn_f32_to_f16(float f);
float mn_f8_e4m3_to_f32(uint8_t v);
float mn_f8_e5m2_to_f32(uint8_t v);

#endif

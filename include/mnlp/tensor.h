/*
 * Element types, named as safetensors names them.
 */
#ifndef MNLP_TENSOR_H
#define MNLP_TENSOR_H

#include "mnlp/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mnlp_dtype {
    MNLP_DTYPE_F64,
    MNLP_DTYPE_F32,
    MNLP_DTYPE_F16,
    MNLP_DTYPE_BF16,
    MNLP_DTYPE_F8_E4M3, /* float8_e4m3fn: no infinities, NaN is S.1111.111 */
    MNLP_DTYPE_F8_E5M2,
    MNLP_DTYPE_I64,
    MNLP_DTYPE_I32,
    MNLP_DTYPE_I16,
    MNLP_DTYPE_I8,
    MNLP_DTYPE_U64,
    MNLP_DTYPE_U32,
    MNLP_DTYPE_U16,
    MNLP_DTYPE_U8,
    MNLP_DTYPE_BOOL,
    MNLP_DTYPE_COUNT
} mnlp_dtype;

/* The safetensors name ("F32", "BF16", "F8_E4M3", ...). */
const char *mnlp_dtype_name(mnlp_dtype dtype);

/* Bytes per element. */
size_t mnlp_dtype_size(mnlp_dtype dtype);

/* Look up a safetensors dtype name; MNLP_ERR_NOT_FOUND if unknown. */
mnlp_status mnlp_dtype_parse(const char *name, mnlp_dtype *out);

/*
 * Convert n elements of any dtype to float. Integer and boolean values are
 * converted exactly where float can hold them.
 */
void mnlp_dtype_to_f32(mnlp_dtype dtype, const void *src, float *dst, size_t n);

#ifdef __cplusplus
}
#endif

#endif

/*
 * safetensors files: an 8-byte little-endian header length, a JSON header
 * describing each tensor, then the tensor bytes. Files are mapped, and
 * every claim of the header is checked before any tensor is handed out.
 */
#ifndef MN_SAFETENSORS_H
#define MN_SAFETENSORS_H

#include "base/json.h"
#include "tensor/tensor.h"

/* The reference implementation's cap on header size. */
#define MN_SAFETENSORS_MAX_HEADER 100000000u

typedef struct mn_st_tensor {
    const char *name;
    mnlp_dtype dtype;
    int ndim;
    int64_t shape[MN_MAX_DIMS];
    uint64_t begin, end;    /* data_offsets, relative to the data section */
    const void *data;       /* inside the mapping; may be unaligned */
} mn_st_tensor;

typedef struct mn_st_meta {
    const char *key, *value;
} mn_st_meta;

typedef struct mn_safetensors {
    char *path;
    void *map;              /* the whole file, when opened from a path */
    size_t map_size;
    const unsigned char *data;
    uint64_t data_size;
    mn_st_tensor *tensors;  /* in header order */
    int n_tensors;
    mn_st_meta *metadata;   /* __metadata__, in header order */
    int n_metadata;
    mn_json_doc *header;
} mn_safetensors;

/*
 * Map and validate the file at path. Errors name the file and the tensor,
 * e.g. `model.safetensors: tensor "w": shape [2, 3] of F32 is 24 bytes but
 * data_offsets [0, 20) hold 20`. The caller owns *out.
 */
mnlp_status mn_safetensors_open(const char *path, mn_safetensors **out);

/*
 * Validate a file image already in memory (buf must outlive *out); name is
 * used in messages. Used by the fuzzer and tests.
 */
mnlp_status mn_safetensors_parse(const void *buf, size_t size, const char *name,
                                 mn_safetensors **out);

void mn_safetensors_free(mn_safetensors *st);

/* The tensor named name, or NULL. */
const mn_st_tensor *mn_safetensors_find(const mn_safetensors *st, const char *name);

#endif

/*
 * Finding and reading a model as published: a folder, or a repo id in the
 * local Hugging Face cache; its config.json; its safetensors weights.
 */
#ifndef MNLP_IO_H
#define MNLP_IO_H

#include "mnlp/tensor.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Where a model lives ---------------------------------------------- */

typedef struct mnlp_model_location {
    char path[4096];     /* the folder holding config.json and weights */
    bool from_cache;     /* found in the Hugging Face hub cache */
    char repo_id[512];   /* from_cache: "org/name" */
    char revision[256];  /* from_cache: the revision asked for ("main") */
    char commit[64];     /* from_cache: the snapshot's commit hash */
    char cache_dir[4096];/* from_cache: the hub cache that held it */
} mnlp_model_location;

/*
 * Resolve model as transformers does offline: an existing folder is used
 * as is; otherwise model must be a repo id ("org/name" or "name") present
 * in the hub cache (HF_HUB_CACHE, else HF_HOME/hub, else
 * ~/.cache/huggingface/hub), at revision (NULL means "main"; a branch or
 * tag name under refs/, or a commit hash). Nothing is ever downloaded.
 * MNLP_ERR_NOT_FOUND says where it looked.
 */
mnlp_status mnlp_model_locate(const char *model, const char *revision,
                              mnlp_model_location *out);

/* ---- config.json ------------------------------------------------------ */

typedef struct mnlp_config mnlp_config;

/*
 * Parse a config.json (path names the file, or a folder holding it) and
 * check each known field's JSON type against the model_type's Hugging Face
 * config class. Fields the class does not know
 * are kept and listed by mnlp_config_unknown_field(). The caller frees
 * *out with mnlp_config_free.
 */
mnlp_status mnlp_config_load(const char *path, mnlp_config **out);

/* Same, from JSON text; name is used in messages. */
mnlp_status mnlp_config_parse(const char *json, size_t len, const char *name,
                              mnlp_config **out);

void mnlp_config_free(mnlp_config *config);

/* "llama"; owned by config. */
const char *mnlp_config_model_type(const mnlp_config *config);

/* The config class name ("LlamaConfig"). */
const char *mnlp_config_class_name(const mnlp_config *config);

/* architectures[0] ("LlamaForCausalLM"), or NULL when absent. */
const char *mnlp_config_architecture(const mnlp_config *config);

/* The i-th field of config.json that the config class does not define,
 * or NULL past the last. */
const char *mnlp_config_unknown_field(const mnlp_config *config, size_t i);

/* The message of the last failed call on this config ("" if none). Each
 * handle keeps its own; the thread's last failure is mnlp_last_error(). */
const char *mnlp_config_error(const mnlp_config *config);

/* Typed reads that apply the class default when config.json omits the
 * field. MNLP_ERR_NOT_FOUND if neither has it (or it is null). */
mnlp_status mnlp_config_get_int(const mnlp_config *config, const char *field, int64_t *out);
mnlp_status mnlp_config_get_float(const mnlp_config *config, const char *field, double *out);
mnlp_status mnlp_config_get_bool(const mnlp_config *config, const char *field, bool *out);
/* The string stays owned by config. */
mnlp_status mnlp_config_get_string(const mnlp_config *config, const char *field,
                                   const char **out);

/* ---- Weights ---------------------------------------------------------- */

typedef struct mnlp_checkpoint mnlp_checkpoint;

/*
 * Open the weights in folder dir: model.safetensors, or the shards listed
 * by model.safetensors.index.json. Files are mapped, not read; every
 * header is validated. The caller frees *out with mnlp_checkpoint_free.
 */
mnlp_status mnlp_checkpoint_open(const char *dir, mnlp_checkpoint **out);
void mnlp_checkpoint_free(mnlp_checkpoint *ckpt);

typedef struct mnlp_tensor_info {
    const char *name;    /* owned by the checkpoint */
    mnlp_dtype dtype;
    int ndim;
    int64_t shape[8];
    uint64_t nbytes;
    const char *file;    /* the file holding it, relative to dir */
} mnlp_tensor_info;

/* Number of tensors, and the i-th in name order. */
size_t mnlp_checkpoint_count(const mnlp_checkpoint *ckpt);
mnlp_status mnlp_checkpoint_tensor(const mnlp_checkpoint *ckpt, size_t i,
                                   mnlp_tensor_info *out);

/* Look a tensor up by name; MNLP_ERR_NOT_FOUND if absent. */
mnlp_status mnlp_checkpoint_find(const mnlp_checkpoint *ckpt, const char *name,
                                 mnlp_tensor_info *out);

/* The message of the last failed call on this checkpoint ("" if none). */
const char *mnlp_checkpoint_error(const mnlp_checkpoint *ckpt);

/* The weight files, relative to dir ("model.safetensors"); NULL past the last. */
const char *mnlp_checkpoint_file(const mnlp_checkpoint *ckpt, size_t i);

/* ---- One safetensors file ------------------------------------------------ */

typedef struct mnlp_safetensors mnlp_safetensors;

/* Map and validate the file at path, as checkpoints are. Free with mnlp_safetensors_free. */
mnlp_status mnlp_safetensors_open(const char *path, mnlp_safetensors **out);
void mnlp_safetensors_free(mnlp_safetensors *st);

/* Tensors in header order, or by name. *data (when data is not NULL) points
 * into the mapping and may be unaligned; info->file is NULL. */
size_t mnlp_safetensors_count(const mnlp_safetensors *st);
mnlp_status mnlp_safetensors_tensor(const mnlp_safetensors *st, size_t i, mnlp_tensor_info *info,
                                    const void **data);
mnlp_status mnlp_safetensors_find(const mnlp_safetensors *st, const char *name,
                                  mnlp_tensor_info *info, const void **data);

typedef struct mnlp_tensor_out {
    const char *name;
    mnlp_dtype dtype;
    int ndim;
    int64_t shape[8];
    const void *data;    /* the shape's bytes, little-endian, row-major */
} mnlp_tensor_out;

/* Write tensors to path as a safetensors file, as the Python library writes it
 * (tensors in name order, header padded to 8 bytes). */
mnlp_status mnlp_safetensors_write(const char *path, const mnlp_tensor_out *tensors, size_t n);

#ifdef __cplusplus
}
#endif

#endif

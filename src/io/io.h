/* Internal views of the io handles, for the layers above. */
#ifndef MN_IO_H
#define MN_IO_H

#include "base/json.h"
#include "io/config_schema.h"
#include "io/safetensors.h"
#include "mnlp/io.h"

typedef struct mn_ckpt_entry {
    const mn_st_tensor *tensor;
    int file;                  /* index into files */
} mn_ckpt_entry;

struct mnlp_checkpoint {
    char *dir;
    mn_safetensors **files;
    char **file_names;         /* relative to dir */
    int n_files, files_cap, names_cap;
    mn_ckpt_entry *entries;    /* sorted by name */
    int n_entries;
    char error[MN_ERROR_MAX];  /* this handle's last failure */
};

/* The tensor named name, or NULL. */
const mn_st_tensor *mn_checkpoint_get(const mnlp_checkpoint *ckpt, const char *name);

/* A config field's effective JSON value: config.json's (under its name or
 * an alias), else the class default; NULL when neither has one. Derived
 * defaults ("=expr") are evaluated by the typed getters, not here. */
const mn_json *mn_config_value(const mnlp_config *config, const char *field);

/* The schema entry of a field, from the class or the base; NULL if unknown. */
const mn_config_field *mn_config_field_find(const mnlp_config *config, const char *field);

/* The JSON object of config.json. */
const mn_json *mn_config_json(const mnlp_config *config);

/* Whether config.json itself sets field (by name or alias). */
bool mn_config_has(const mnlp_config *config, const char *field);

/* The file name used in messages ("config.json"). */
const char *mn_config_name(const mnlp_config *config);

/* generation_config.json of folder dir parsed into *out, or *out NULL when
 * the folder has none; a file that is not a JSON object is an error. */
mnlp_status mn_generation_config_load(const char *dir, mn_json_doc **out);

#endif

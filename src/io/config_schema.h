/*
 * Hugging Face config classes as data: for each model_type, the fields its
 * PretrainedConfig subclass accepts, the JSON types each may hold, and the
 * default its __init__ gives when config.json omits it.
 *
 * The tables mirror transformers 4.47 (configuration_<model_type>.py and
 * configuration_utils.py). They are read by io/config.c; nothing else
 * should need to know their layout.
 */
#ifndef MN_CONFIG_SCHEMA_H
#define MN_CONFIG_SCHEMA_H

/* JSON types a field may hold (bit set). An int is accepted where FLOAT is. */
enum {
    MN_JT_NULL = 1u << 0,
    MN_JT_BOOL = 1u << 1,
    MN_JT_INT = 1u << 2,
    MN_JT_FLOAT = 1u << 3,
    MN_JT_STRING = 1u << 4,
    MN_JT_ARRAY = 1u << 5,
    MN_JT_OBJECT = 1u << 6,
    MN_JT_ANY = 0x7fu,
};

/* What a field is for; drives "honoured or rejected by name" in models/. */
typedef enum mn_field_role {
    MN_ROLE_MATH,  /* changes what the forward pass computes */
    MN_ROLE_GEN,   /* a generation default (PretrainedConfig's legacy copy) */
    MN_ROLE_TOKEN, /* a special token id (bos/eos/pad/...) */
    MN_ROLE_META,  /* identity and bookkeeping: model_type, architectures, ... */
    MN_ROLE_TRAIN, /* no effect on inference: dropout, initializer_range, ... */
} mn_field_role;

/*
 * default_json is JSON text ("10000.0", "null", "\"silu\"", "[]"), or an
 * expression over fields of the same config when it starts with '=':
 *   "=name"            the value of another field
 *   "=name//name"      integer floor division of two int fields
 *   "=name*N"          an int field times an integer literal
 * NULL means the class has no default (the field must be present).
 */
typedef struct mn_config_field {
    const char *name;
    unsigned types;
    const char *default_json;
    mn_field_role role;
} mn_config_field;

/* attribute_map: a JSON name that is another spelling of a canonical field. */
typedef struct mn_config_alias {
    const char *alias;
    const char *field;
} mn_config_alias;

typedef struct mn_config_class {
    const char *model_type;     /* "llama"; NULL for the PretrainedConfig base */
    const char *class_name;     /* "LlamaConfig" */
    const mn_config_field *fields;
    int n_fields;
    const mn_config_alias *aliases;
    int n_aliases;
} mn_config_class;

/* The PretrainedConfig fields every class shares. */
const mn_config_class *mn_config_base_class(void);

/* The class for a model_type, or NULL when mnlp does not know it. */
const mn_config_class *mn_config_class_find(const char *model_type);

/* All known classes (excluding the base), for listings and tests. */
const mn_config_class *const *mn_config_classes(int *n);

#endif

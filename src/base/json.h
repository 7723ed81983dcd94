/*
 * A strict JSON reader (RFC 8259) for the files Hugging Face publishes.
 *
 * A document is parsed once into an immutable tree owned by an mn_json_doc.
 * Strings are decoded UTF-8 with their byte length (they may hold NUL).
 * Every node knows its parent, so an error about any value can name its
 * path in the document, e.g. `model.merges[3]` or `added_tokens[0].content`.
 */
#ifndef MN_JSON_H
#define MN_JSON_H

#include "base/base.h"

typedef enum mn_json_type {
    MN_JSON_NULL,
    MN_JSON_BOOL,
    MN_JSON_NUMBER,
    MN_JSON_STRING,
    MN_JSON_ARRAY,
    MN_JSON_OBJECT,
} mn_json_type;

typedef struct mn_json mn_json;
struct mn_json {
    mn_json_type type;
    bool boolean;
    bool is_int;           /* a number without fraction or exponent that fits int64 */
    int64_t integer;       /* valid when is_int */
    double number;         /* every number, as the nearest double */
    const char *str;       /* STRING: decoded text, NUL-terminated */
    size_t len;            /* STRING: bytes; ARRAY/OBJECT: members */
    mn_json *items;        /* ARRAY/OBJECT: the members in document order */
    const char *key;       /* a member of an OBJECT: its key, NUL-terminated */
    size_t key_len;
    const mn_json *parent; /* NULL for the root */
    size_t index;          /* position among the parent's members */
    size_t offset;         /* byte offset of the value in the source text */
};

typedef struct mn_json_doc mn_json_doc;

typedef struct mn_json_limits {
    int max_depth;         /* nesting of arrays and objects */
} mn_json_limits;

/*
 * Parse text[0..len). On failure returns MNLP_ERR_FORMAT (or LIMIT, or
 * OUT_OF_MEMORY) with a message like `line 3, column 7: expected ':'`.
 * limits may be NULL for the defaults (depth 512). The caller owns *out.
 */
mnlp_status mn_json_parse(const char *text, size_t len, const mn_json_limits *limits,
                          mn_json_doc **out);
void mn_json_free(mn_json_doc *doc);
const mn_json *mn_json_root(const mn_json_doc *doc);

/* The member of an object named key (the last one, as Python's json keeps),
 * or NULL. NULL obj or a non-object gives NULL. */
const mn_json *mn_json_get(const mn_json *obj, const char *key);

/* Element i of an array or object, or NULL when out of range. */
const mn_json *mn_json_at(const mn_json *node, size_t i);

const char *mn_json_type_name(mn_json_type type);

/* The path of node from the root, written into buf (always terminated). */
const char *mn_json_path(const mn_json *node, char *buf, size_t size);

/* Append s[0..n) as a JSON string literal. ensure_ascii escapes non-ASCII
 * as \uXXXX (with surrogate pairs), as Python's json.dumps does by default. */
void mn_json_write_string(mn_sb *sb, const char *s, size_t n, bool ensure_ascii);

/* Append node as compact JSON text (numbers exact: integers as read, other
 * numbers with 17 significant digits). Out of memory shows in sb->failed. */
void mn_json_write_value(mn_sb *sb, const mn_json *node);

#endif

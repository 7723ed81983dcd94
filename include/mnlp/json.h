/*
 * JSON, as mnlp reads it (strict RFC 8259, UTF-8 checked): for programs and
 * tools that pass Hugging Face-shaped JSON (token ids, chat messages,
 * generation arguments) to mnlp.
 */
#ifndef MNLP_JSON_H
#define MNLP_JSON_H

#include "mnlp/base.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mnlp_json_doc mnlp_json_doc;
typedef struct mnlp_json mnlp_json; /* a value inside a document */

typedef enum mnlp_json_type {
    MNLP_JSON_NULL,
    MNLP_JSON_BOOL,
    MNLP_JSON_NUMBER,
    MNLP_JSON_STRING,
    MNLP_JSON_ARRAY,
    MNLP_JSON_OBJECT,
} mnlp_json_type;

/* Parse text[0..len); errors give line and column. Free with mnlp_json_free. */
mnlp_status mnlp_json_parse(const char *text, size_t len, mnlp_json_doc **out);
void mnlp_json_free(mnlp_json_doc *doc);
const mnlp_json *mnlp_json_root(const mnlp_json_doc *doc);

mnlp_json_type mnlp_json_typeof(const mnlp_json *v);
/* Members of an array or object; 0 for other values. */
size_t mnlp_json_len(const mnlp_json *v);
/* Element i of an array or object (NULL past the end), and an object's
 * member by key (NULL if absent). */
const mnlp_json *mnlp_json_at(const mnlp_json *v, size_t i);
const mnlp_json *mnlp_json_get(const mnlp_json *obj, const char *key);
/* The key of a member of an object (NULL otherwise). */
const char *mnlp_json_key(const mnlp_json *v);
/* A string's bytes (NUL-terminated; *len may be NULL), or NULL. */
const char *mnlp_json_string(const mnlp_json *v, size_t *len);
/* A number that is an exact integer; false otherwise. */
bool mnlp_json_int(const mnlp_json *v, int64_t *out);
double mnlp_json_number(const mnlp_json *v);
bool mnlp_json_bool(const mnlp_json *v);

/*
 * Append s[0..n) to out as a JSON string literal, growing *out (owned by
 * the caller, free with mnlp_free; *len and *cap track it). ensure_ascii
 * escapes non-ASCII as Python's json.dumps does by default.
 */
mnlp_status mnlp_json_quote(const char *s, size_t n, bool ensure_ascii, char **out,
                            size_t *len, size_t *cap);

#ifdef __cplusplus
}
#endif

#endif

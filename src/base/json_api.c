/* The public face of the JSON reader (include/mnlp/json.h). */
#include "base/json.h"
#include "mnlp/json.h"

#include <string.h>

/* The public handles are the internal types under other names. */
struct mnlp_json_doc;
struct mnlp_json;

mnlp_status mnlp_json_parse(const char *text, size_t len, mnlp_json_doc **out)
{
    return mn_json_parse(text, len, NULL, (mn_json_doc **)out);
}

void mnlp_json_free(mnlp_json_doc *doc)
{
    mn_json_free((mn_json_doc *)doc);
}

const mnlp_json *mnlp_json_root(const mnlp_json_doc *doc)
{
    return (const mnlp_json *)mn_json_root((const mn_json_doc *)doc);
}

static const mn_json *in(const mnlp_json *v)
{
    return (const mn_json *)v;
}

mnlp_json_type mnlp_json_typeof(const mnlp_json *v)
{
    return (mnlp_json_type)in(v)->type;
}

size_t mnlp_json_len(const mnlp_json *v)
{
    return in(v)->type == MN_JSON_ARRAY || in(v)->type == MN_JSON_OBJECT ? in(v)->len : 0;
}

const mnlp_json *mnlp_json_at(const mnlp_json *v, size_t i)
{
    return (const mnlp_json *)mn_json_at(in(v), i);
}

const mnlp_json *mnlp_json_get(const mnlp_json *obj, const char *key)
{
    return (const mnlp_json *)mn_json_get(in(obj), key);
}

const char *mnlp_json_key(const mnlp_json *v)
{
    return in(v)->key;
}

const char *mnlp_json_string(const mnlp_json *v, size_t *len)
{
    if (in(v)->type != MN_JSON_STRING)
        return NULL;
    if (len)
        *len = in(v)->len;
    return in(v)->str;
}

bool mnlp_json_int(const mnlp_json *v, int64_t *out)
{
    if (in(v)->type != MN_JSON_NUMBER || !in(v)->is_int)
        return false;
    *out = in(v)->integer;
    return true;
}

double mnlp_json_number(const mnlp_json *v)
{
    return in(v)->type == MN_JSON_NUMBER ? in(v)->number : 0.0;
}

bool mnlp_json_bool(const mnlp_json *v)
{
    return in(v)->type == MN_JSON_BOOL && in(v)->boolean;
}

mnlp_status mnlp_json_quote(const char *s, size_t n, bool ensure_ascii, char **out,
                            size_t *len, size_t *cap)
{
    mn_sb sb = {*out, *len, *cap, false};

    mn_json_write_string(&sb, s, n, ensure_ascii);
    *out = sb.data;
    *len = sb.len;
    *cap = sb.cap;
    return sb.failed ? mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory") : MNLP_OK;
}

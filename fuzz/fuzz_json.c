/* Fuzz the JSON reader, then walk the tree and name every node's path. */
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const mn_json *v, int depth)
{
    char path[256];

    mn_json_path(v, path, sizeof path);
    if (v->type != MN_JSON_ARRAY && v->type != MN_JSON_OBJECT)
        return;
    for (size_t i = 0; i < v->len; i++)
        walk(&v->items[i], depth + 1);
    if (v->type == MN_JSON_OBJECT && v->len)
        mn_json_get(v, v->items[0].key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mn_json_doc *doc = NULL;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    if (mn_json_parse((const char *)data, size, NULL, &doc) == MNLP_OK) {
        walk(mn_json_root(doc), 0);
        mn_json_free(doc);
    }
    return 0;
}

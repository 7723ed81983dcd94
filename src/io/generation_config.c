/* generation_config.json: the defaults generate() starts from. */
#include "base/files.h"
#include "io/io.h"

mnlp_status mn_generation_config_load(const char *dir, mn_json_doc **out)
{
    char *path = mn_path_join(dir, "generation_config.json"), *text = NULL;
    size_t len = 0;
    mnlp_status st = MNLP_OK;

    *out = NULL;
    if (!path)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if (mn_is_file(path)) {
        if ((st = mn_read_file(path, 16u << 20, &text, &len)) == MNLP_OK &&
            (st = mn_json_parse(text, len, NULL, out)) == MNLP_OK &&
            mn_json_root(*out)->type != MN_JSON_OBJECT) {
            mn_json_free(*out);
            *out = NULL;
            st = mn_errorf(MNLP_ERR_FORMAT, "not a JSON object");
        }
        if (st)
            st = mn_error_prefix(st, "generation_config.json");
    }
    mn_free(text);
    mn_free(path);
    return st;
}

/* Small file-system helpers. */
#include "base/files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

bool mn_is_dir(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool mn_is_file(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

char *mn_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);

    return mn_asprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

mnlp_status mn_read_file(const char *path, size_t max_size, char **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    mn_sb sb = {0};
    char buf[65536];
    size_t n;

    *out = NULL;
    if (!f)
        return mn_errorf(errno == ENOENT ? MNLP_ERR_NOT_FOUND : MNLP_ERR_IO, "%s: %s", path,
                         strerror(errno));
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (sb.len + n > max_size) {
            fclose(f);
            mn_sb_free(&sb);
            return mn_errorf(MNLP_ERR_LIMIT, "%s: larger than the limit of %zu bytes", path,
                             max_size);
        }
        mn_sb_append(&sb, buf, n);
    }
    if (ferror(f) || sb.failed) {
        mnlp_status rc = sb.failed ? MNLP_ERR_OUT_OF_MEMORY : MNLP_ERR_IO;

        fclose(f);
        mn_sb_free(&sb);
        return mn_errorf(rc, "%s: read failed", path);
    }
    fclose(f);
    mn_sb_append(&sb, "", 0);
    if (sb.failed || !sb.data) {
        mn_sb_free(&sb);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    *out = sb.data;
    *size = sb.len;
    return MNLP_OK;
}

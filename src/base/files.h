/* Small file-system helpers: whole-file reads and path joins. */
#ifndef MN_FILES_H
#define MN_FILES_H

#include "base/base.h"

/* Read a whole file into memory (NUL-terminated); the caller frees *out. */
mnlp_status mn_read_file(const char *path, size_t max_size, char **out, size_t *size);

/* dir + "/" + name, owned by the caller; NULL when out of memory. */
char *mn_path_join(const char *dir, const char *name);

bool mn_is_dir(const char *path);
bool mn_is_file(const char *path);

#endif

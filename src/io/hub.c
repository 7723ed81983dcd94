/*
 * Model resolution as transformers does it offline (huggingface_hub's
 * try_to_load_from_cache): a local folder wins; otherwise a repo id is
 * looked up in the hub cache, whose layout is
 *
 *   <cache>/models--<org>--<name>/refs/<revision>      commit hash (text)
 *   <cache>/models--<org>--<name>/snapshots/<commit>/  the files
 */
#include "base/files.h"
#include "io/io.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REF_BYTES 4096

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* One part of a repo id: [\w\-.]{1,96}, starting and ending with \w. */
static bool valid_part(const char *s, size_t n, size_t max)
{
    if (n == 0 || n > max || !word_char(s[0]) || !word_char(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!word_char(s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

/* huggingface_hub's validate_repo_id rules. */
static bool valid_repo_id(const char *id)
{
    const char *slash = strchr(id, '/');
    size_t n = strlen(id);

    if (strstr(id, "--") || strstr(id, "..") || (n >= 4 && !strcmp(id + n - 4, ".git")))
        return false;
    if (!slash)
        return valid_part(id, n, 96);
    if (strchr(slash + 1, '/'))
        return false;
    return valid_part(id, (size_t)(slash - id), 256) &&
           valid_part(slash + 1, strlen(slash + 1), 96);
}

/* A revision may hold '/' (refs/pr/1) but no "." or ".." segment. */
static bool valid_revision(const char *rev)
{
    const char *seg = rev;

    if (!*rev || rev[0] == '/' || strlen(rev) > 200)
        return false;
    for (const char *p = rev;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - seg);

            if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && !strncmp(seg, "..", 2)))
                return false;
            if (*p == '\0')
                return true;
            seg = p + 1;
        } else if ((unsigned char)*p < 0x20 || *p == '\\') {
            return false;
        }
    }
}

static bool is_commit_hash(const char *s, size_t n)
{
    if (n != 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return true;
}

/* HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub,
 * ~/.cache/huggingface/hub: huggingface_hub.constants in that order. */
static mnlp_status cache_dir(char *out, size_t size)
{
    const char *v, *home = getenv("HOME");
    int n;

    if ((v = getenv("HF_HUB_CACHE")) && *v)
        n = snprintf(out, size, "%s", v);
    else if ((v = getenv("HUGGINGFACE_HUB_CACHE")) && *v)
        n = snprintf(out, size, "%s", v);
    else if ((v = getenv("HF_HOME")) && *v)
        n = snprintf(out, size, "%s/hub", v);
    else if ((v = getenv("XDG_CACHE_HOME")) && *v)
        n = snprintf(out, size, "%s/huggingface/hub", v);
    else if (home && *home)
        n = snprintf(out, size, "%s/.cache/huggingface/hub", home);
    else
        return mn_errorf(MNLP_ERR_NOT_FOUND, "no Hugging Face cache: HF_HUB_CACHE, HF_HOME "
                         "and HOME are all unset");
    if (n < 0 || (size_t)n >= size)
        return mn_errorf(MNLP_ERR_LIMIT, "Hugging Face cache path is too long");
    /* Python expands a leading ~ in these variables. */
    if (out[0] == '~' && (out[1] == '/' || out[1] == '\0') && home) {
        size_t hn = strlen(home), rest = strlen(out + 1);

        if (hn + rest + 1 > size)
            return mn_errorf(MNLP_ERR_LIMIT, "Hugging Face cache path is too long");
        memmove(out + hn, out + 1, rest + 1);
        memcpy(out, home, hn);
    }
    return MNLP_OK;
}

/* Reads refs/<revision> into commit; NOT_FOUND when there is no such ref. */
static mnlp_status read_ref(const char *repo_dir, const char *revision, char commit[64])
{
    char *path = mn_asprintf("%s/refs/%s", repo_dir, revision);
    char *text;
    size_t len, start = 0;
    mnlp_status rc;

    if (!path)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if (!mn_is_file(path)) {
        mn_free(path);
        return MNLP_ERR_NOT_FOUND;
    }
    rc = mn_read_file(path, MAX_REF_BYTES, &text, &len);
    mn_free(path);
    if (rc != MNLP_OK)
        return rc;
    while (start < len && isspace((unsigned char)text[start]))
        start++;
    while (len > start && isspace((unsigned char)text[len - 1]))
        len--;
    if (!is_commit_hash(text + start, len - start)) {
        mn_free(text);
        return mn_errorf(MNLP_ERR_FORMAT, "%s/refs/%s: does not hold a 40-digit commit hash",
                         repo_dir, revision);
    }
    memcpy(commit, text + start, 40);
    commit[40] = '\0';
    mn_free(text);
    return MNLP_OK;
}

static mnlp_status not_in_cache(const char *model, const char *cache, const char *folder)
{
    return mn_errorf(MNLP_ERR_NOT_FOUND, "%s is not a folder, and not in the Hugging Face "
                     "cache %s (no %s); mnlp never downloads: fetch it first, e.g. with "
                     "`huggingface-cli download %s`", model, cache, folder, model);
}

/* "org/name" -> "models--org--name", as the cache names repo folders. */
static char *repo_folder(const char *model)
{
    mn_sb sb = {0};

    mn_sb_puts(&sb, "models--");
    for (const char *p = model; *p; p++)
        mn_sb_append(&sb, *p == '/' ? "--" : p, *p == '/' ? 2 : 1);
    if (sb.failed)
        mn_sb_free(&sb);
    return sb.data;
}

static mnlp_status find_snapshot(const char *model, const char *revision,
                                 const char *repo_dir, mnlp_model_location *out)
{
    mnlp_status rc = read_ref(repo_dir, revision, out->commit);
    char *snap;

    if (rc == MNLP_ERR_NOT_FOUND && is_commit_hash(revision, strlen(revision)))
        snprintf(out->commit, sizeof out->commit, "%s", revision), rc = MNLP_OK;
    if (rc == MNLP_ERR_NOT_FOUND)
        return mn_errorf(rc, "%s: revision \"%s\" is not in the cache (no refs/%s in %s)",
                         model, revision, revision, repo_dir);
    if (rc != MNLP_OK)
        return rc;
    if (!(snap = mn_asprintf("%s/snapshots/%s", repo_dir, out->commit)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if (!mn_is_dir(snap))
        rc = mn_errorf(MNLP_ERR_NOT_FOUND, "%s: revision \"%s\" is commit %s, whose snapshot "
                       "folder %s is missing", model, revision, out->commit, snap);
    else if (strlen(snap) >= sizeof out->path)
        rc = mn_errorf(MNLP_ERR_LIMIT, "%s: snapshot path is too long", model);
    else
        memcpy(out->path, snap, strlen(snap) + 1);
    mn_free(snap);
    return rc;
}

static mnlp_status locate_in_cache(const char *model, const char *revision,
                                   mnlp_model_location *out)
{
    char *folder = NULL, *repo_dir = NULL;
    mnlp_status rc;

    if ((rc = cache_dir(out->cache_dir, sizeof out->cache_dir)) != MNLP_OK)
        return rc;
    if (!(folder = repo_folder(model)) ||
        !(repo_dir = mn_asprintf("%s/%s", out->cache_dir, folder)))
        rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    else if (!mn_is_dir(repo_dir))
        rc = not_in_cache(model, out->cache_dir, folder);
    else
        rc = find_snapshot(model, revision, repo_dir, out);
    mn_free(folder);
    mn_free(repo_dir);
    if (rc != MNLP_OK)
        return rc;
    /* Both fit: valid_repo_id and valid_revision bound their lengths. */
    memcpy(out->repo_id, model, strlen(model) + 1);
    memcpy(out->revision, revision, strlen(revision) + 1);
    out->from_cache = true;
    return MNLP_OK;
}

mnlp_status mnlp_model_locate(const char *model, const char *revision,
                              mnlp_model_location *out)
{
    memset(out, 0, sizeof *out);
    if (!model || !*model)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "no model given");
    if (mn_is_dir(model)) {
        if (strlen(model) >= sizeof out->path)
            return mn_errorf(MNLP_ERR_LIMIT, "model path is too long");
        if (revision)
            mn_warn("%s is a local folder: revision \"%s\" is ignored", model, revision);
        snprintf(out->path, sizeof out->path, "%s", model);
        return MNLP_OK;
    }
    if (!valid_repo_id(model))
        return mn_errorf(MNLP_ERR_NOT_FOUND, "%s is neither a folder nor a valid repo id "
                         "(\"org/name\": letters, digits, '-', '_', '.')", model);
    if (!revision)
        revision = "main";
    if (!valid_revision(revision))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "revision \"%s\" is not a valid branch, "
                         "tag or commit name", revision);
    return locate_in_cache(model, revision, out);
}

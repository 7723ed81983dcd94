/*
 * A model's weights: one model.safetensors, or shards listed in
 * model.safetensors.index.json as transformers writes them with
 * save_pretrained(max_shard_size=...).
 */
#include "base/files.h"
#include "io/io.h"

#include <stdlib.h>
#include <string.h>

#define SINGLE_FILE "model.safetensors"
#define INDEX_FILE "model.safetensors.index.json"
#define MAX_INDEX_BYTES (64u << 20)

void mnlp_checkpoint_free(mnlp_checkpoint *ckpt)
{
    if (!ckpt)
        return;
    for (int i = 0; i < ckpt->n_files; i++) {
        mn_safetensors_free(ckpt->files[i]);
        mn_free(ckpt->file_names[i]);
    }
    mn_free(ckpt->files);
    mn_free(ckpt->file_names);
    mn_free(ckpt->entries);
    mn_free(ckpt->dir);
    mn_free(ckpt);
}

/* Index of file name in ckpt, opening it on first use. */
static mnlp_status add_file(mnlp_checkpoint *ckpt, const char *name, int *index)
{
    char *path;
    mnlp_status rc;

    for (int i = 0; i < ckpt->n_files; i++) {
        if (strcmp(ckpt->file_names[i], name) == 0) {
            *index = i;
            return MNLP_OK;
        }
    }
    if (!mn_grow((void **)&ckpt->files, &ckpt->files_cap, ckpt->n_files + 1,
                 sizeof *ckpt->files) ||
        !mn_grow((void **)&ckpt->file_names, &ckpt->names_cap, ckpt->n_files + 1,
                 sizeof *ckpt->file_names) ||
        !(path = mn_path_join(ckpt->dir, name)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    rc = mn_safetensors_open(path, &ckpt->files[ckpt->n_files]);
    mn_free(path);
    if (rc != MNLP_OK)
        return rc;
    if (!(ckpt->file_names[ckpt->n_files] = mn_strdup(name))) {
        mn_safetensors_free(ckpt->files[ckpt->n_files]);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    *index = ckpt->n_files++;
    return MNLP_OK;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const mn_ckpt_entry *)a)->tensor->name,
                  ((const mn_ckpt_entry *)b)->tensor->name);
}

/* Every tensor of every file, sorted; a name in two files is an error. */
static mnlp_status build_entries(mnlp_checkpoint *ckpt)
{
    size_t total = 0;

    for (int f = 0; f < ckpt->n_files; f++)
        total += (size_t)ckpt->files[f]->n_tensors;
    if (total > INT32_MAX)
        return mn_errorf(MNLP_ERR_LIMIT, "%zu tensors", total);
    ckpt->entries = mn_calloc(total + 1, sizeof *ckpt->entries);
    if (!ckpt->entries)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int f = 0; f < ckpt->n_files; f++)
        for (int t = 0; t < ckpt->files[f]->n_tensors; t++)
            ckpt->entries[ckpt->n_entries++] = (mn_ckpt_entry){&ckpt->files[f]->tensors[t], f};
    qsort(ckpt->entries, total, sizeof *ckpt->entries, entry_cmp);
    for (int i = 1; i < ckpt->n_entries; i++) {
        const mn_ckpt_entry *a = &ckpt->entries[i - 1], *b = &ckpt->entries[i];

        if (strcmp(a->tensor->name, b->tensor->name) == 0)
            return mn_errorf(MNLP_ERR_FORMAT, "tensor \"%s\" is in both %s and %s",
                             a->tensor->name, ckpt->file_names[a->file],
                             ckpt->file_names[b->file]);
    }
    return MNLP_OK;
}

static bool plain_file_name(const char *name)
{
    return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* Opens each shard named by weight_map, then checks map and shards agree. */
static mnlp_status open_sharded(mnlp_checkpoint *ckpt, const char *index_path)
{
    const mn_json *map;
    mn_json_doc *doc = NULL;
    char *text = NULL;
    size_t len;
    mnlp_status rc;

    if ((rc = mn_read_file(index_path, MAX_INDEX_BYTES, &text, &len)) != MNLP_OK)
        return rc;
    rc = mn_json_parse(text, len, NULL, &doc);
    mn_free(text);
    if (rc != MNLP_OK)
        return mn_error_prefix(rc, INDEX_FILE);
    map = mn_json_get(mn_json_root(doc), "weight_map");
    if (!map || map->type != MN_JSON_OBJECT) {
        mn_json_free(doc);
        return mn_errorf(MNLP_ERR_FORMAT, INDEX_FILE ": no \"weight_map\" object");
    }
    for (size_t i = 0; i < map->len && rc == MNLP_OK; i++) {
        const mn_json *e = &map->items[i];
        int f;

        if (e->type != MN_JSON_STRING || !plain_file_name(e->str))
            rc = mn_errorf(MNLP_ERR_FORMAT, INDEX_FILE ": weight_map[\"%s\"] is not a file "
                           "name in the model folder", e->key);
        else if ((rc = add_file(ckpt, e->str, &f)) != MNLP_OK)
            rc = mn_error_prefix(rc, INDEX_FILE ": weight_map[\"%s\"]", e->key);
        else if (!mn_safetensors_find(ckpt->files[f], e->key))
            rc = mn_errorf(MNLP_ERR_MISMATCH, INDEX_FILE ": weight_map puts \"%s\" in %s, "
                           "which has no such tensor", e->key, e->str);
    }
    if (rc == MNLP_OK && (rc = build_entries(ckpt)) == MNLP_OK && (size_t)ckpt->n_entries
        != map->len) {
        /* Every key of weight_map was found above, so some shard holds more. */
        for (int i = 0; i < ckpt->n_entries && rc == MNLP_OK; i++)
            if (!mn_json_get(map, ckpt->entries[i].tensor->name))
                rc = mn_errorf(MNLP_ERR_MISMATCH, "%s: tensor \"%s\" is missing from "
                               INDEX_FILE "'s weight_map",
                               ckpt->file_names[ckpt->entries[i].file],
                               ckpt->entries[i].tensor->name);
    }
    mn_json_free(doc);
    return rc;
}

static mnlp_status no_weights(const char *dir)
{
    char *bin = mn_path_join(dir, "pytorch_model.bin");
    bool has_bin = bin && mn_is_file(bin);

    mn_free(bin);
    if (has_bin)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: weights are only in pytorch_model.bin "
                         "(pickle), which mnlp does not read; save them as safetensors", dir);
    return mn_errorf(MNLP_ERR_NOT_FOUND, "%s: no " SINGLE_FILE " or " INDEX_FILE, dir);
}

mnlp_status mnlp_checkpoint_open(const char *dir, mnlp_checkpoint **out)
{
    mnlp_checkpoint *ckpt = mn_calloc(1, sizeof *ckpt);
    char *index = NULL, *single = NULL;
    mnlp_status rc;
    int f;

    *out = NULL;
    if (!ckpt || !(ckpt->dir = mn_strdup(dir)) || !(index = mn_path_join(dir, INDEX_FILE)) ||
        !(single = mn_path_join(dir, SINGLE_FILE))) {
        rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    } else if (mn_is_file(index)) {
        rc = open_sharded(ckpt, index);
    } else if (mn_is_file(single)) {
        rc = add_file(ckpt, SINGLE_FILE, &f);
        if (rc == MNLP_OK)
            rc = build_entries(ckpt);
    } else {
        rc = no_weights(dir);
    }
    mn_free(index);
    mn_free(single);
    if (rc != MNLP_OK) {
        mnlp_checkpoint_free(ckpt);
        return rc;
    }
    *out = ckpt;
    return MNLP_OK;
}

static int find_entry(const mnlp_checkpoint *ckpt, const char *name)
{
    int lo = 0, hi = ckpt->n_entries - 1;

    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(ckpt->entries[mid].tensor->name, name);

        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

const mn_st_tensor *mn_checkpoint_get(const mnlp_checkpoint *ckpt, const char *name)
{
    int i = find_entry(ckpt, name);

    return i < 0 ? NULL : ckpt->entries[i].tensor;
}

size_t mnlp_checkpoint_count(const mnlp_checkpoint *ckpt)
{
    return (size_t)ckpt->n_entries;
}

mnlp_status mnlp_checkpoint_tensor(const mnlp_checkpoint *ckpt, size_t i,
                                   mnlp_tensor_info *out)
{
    const mn_st_tensor *t;

    if (i >= (size_t)ckpt->n_entries)
        return mn_error_keep(((mnlp_checkpoint *)ckpt)->error,
                             mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "tensor index %zu is past the "
                                       "last (%d tensors)", i, ckpt->n_entries));
    t = ckpt->entries[i].tensor;
    memset(out, 0, sizeof *out);
    out->name = t->name;
    out->dtype = t->dtype;
    out->ndim = t->ndim;
    memcpy(out->shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
    out->nbytes = t->end - t->begin;
    out->file = ckpt->file_names[ckpt->entries[i].file];
    return MNLP_OK;
}

mnlp_status mnlp_checkpoint_find(const mnlp_checkpoint *ckpt, const char *name,
                                 mnlp_tensor_info *out)
{
    int i = find_entry(ckpt, name);

    if (i < 0)
        return mn_error_keep(((mnlp_checkpoint *)ckpt)->error,
                             mn_errorf(MNLP_ERR_NOT_FOUND, "no tensor \"%s\"", name));
    return mnlp_checkpoint_tensor(ckpt, (size_t)i, out);
}

const char *mnlp_checkpoint_error(const mnlp_checkpoint *ckpt)
{
    return ckpt->error;
}

const char *mnlp_checkpoint_file(const mnlp_checkpoint *ckpt, size_t i)
{
    return i < (size_t)ckpt->n_files ? ckpt->file_names[i] : NULL;
}

/* io/checkpoint: single-file and sharded weights. */
#include "test.h"

#include "st_build.h"

#include <stdlib.h>

static void write_image(const char *dir, const char *name, const char *header, size_t data)
{
    size_t size;
    unsigned char *img = st_image(header, data, &size);

    test_write(dir, name, img, size);
    free(img);
}

#define ENTRY(name, begin, end) \
    "\"" name "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" #begin "," #end "]}"

static const char *sharded_model(const char *index)
{
    const char *dir = test_tmpdir();

    write_image(dir, "model-00001-of-00002.safetensors",
                "{" ENTRY("b", 0, 4) "," ENTRY("a", 4, 8) "}", 8);
    write_image(dir, "model-00002-of-00002.safetensors", "{" ENTRY("c", 0, 4) "}", 4);
    test_write(dir, "model.safetensors.index.json", index, strlen(index));
    return dir;
}

static const char *good_index =
    "{\"metadata\": {\"total_size\": 12}, \"weight_map\": {"
    "\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00001-of-00002.safetensors\","
    "\"c\": \"model-00002-of-00002.safetensors\"}}";

static void sharded_checkpoint_lists_all_tensors_in_name_order(void)
{
    mnlp_checkpoint *ckpt = NULL;
    mnlp_tensor_info t;

    CHECK_OK(mnlp_checkpoint_open(sharded_model(good_index), &ckpt));
    if (!ckpt)
        return;
    CHECK_INT(mnlp_checkpoint_count(ckpt), 3);
    CHECK_OK(mnlp_checkpoint_tensor(ckpt, 0, &t));
    CHECK_STR(t.name, "a");
    CHECK_STR(t.file, "model-00001-of-00002.safetensors");
    CHECK_OK(mnlp_checkpoint_find(ckpt, "c", &t));
    CHECK_STR(t.file, "model-00002-of-00002.safetensors");
    CHECK_INT(t.nbytes, 4);
    CHECK_ERR(mnlp_checkpoint_find(ckpt, "d", &t), MNLP_ERR_NOT_FOUND, "no tensor \"d\"");
    CHECK_STR(mnlp_checkpoint_error(ckpt), "no tensor \"d\"");
    CHECK_ERR(mnlp_checkpoint_tensor(ckpt, 3, &t), MNLP_ERR_INVALID_ARGUMENT,
              "tensor index 3 is past the last (3 tensors)");
    CHECK_STR(mnlp_checkpoint_file(ckpt, 0), "model-00001-of-00002.safetensors");
    CHECK(mnlp_checkpoint_file(ckpt, 2) == NULL);
    mnlp_checkpoint_free(ckpt);
}

static void index_and_shards_must_agree(void)
{
    mnlp_checkpoint *ckpt = NULL;

    CHECK_ERR(mnlp_checkpoint_open(sharded_model(
                  "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", "
                  "\"c\": \"model-00001-of-00002.safetensors\"}}"), &ckpt),
              MNLP_ERR_MISMATCH, "weight_map puts \"c\" in model-00001-of-00002.safetensors, "
              "which has no such tensor");
    CHECK_ERR(mnlp_checkpoint_open(sharded_model(
                  "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\"}}"), &ckpt),
              MNLP_ERR_MISMATCH, "tensor \"b\" is missing from model.safetensors.index.json's "
              "weight_map");
    CHECK_ERR(mnlp_checkpoint_open(sharded_model(
                  "{\"weight_map\": {\"a\": \"../model-00001-of-00002.safetensors\"}}"), &ckpt),
              MNLP_ERR_FORMAT, "weight_map[\"a\"] is not a file name in the model folder");
    CHECK_ERR(mnlp_checkpoint_open(sharded_model(
                  "{\"weight_map\": {\"a\": \"model-00003.safetensors\"}}"), &ckpt),
              MNLP_ERR_NOT_FOUND, "weight_map[\"a\"]: ");
    CHECK_ERR(mnlp_checkpoint_open(sharded_model("{\"metadata\": {}}"), &ckpt),
              MNLP_ERR_FORMAT, "no \"weight_map\" object");
    CHECK_ERR(mnlp_checkpoint_open(sharded_model("{"), &ckpt), MNLP_ERR_FORMAT,
              "model.safetensors.index.json: line 1, column 2");
    CHECK(ckpt == NULL);
}

static void same_tensor_in_two_shards_is_an_error(void)
{
    const char *dir = test_tmpdir();
    mnlp_checkpoint *ckpt = NULL;
    const char *index = "{\"weight_map\": {\"a\": \"one.safetensors\", \"b\": "
                        "\"two.safetensors\"}}";

    write_image(dir, "one.safetensors", "{" ENTRY("a", 0, 4) "}", 4);
    write_image(dir, "two.safetensors", "{" ENTRY("a", 0, 4) "," ENTRY("b", 4, 8) "}", 8);
    test_write(dir, "model.safetensors.index.json", index, strlen(index));
    CHECK_ERR(mnlp_checkpoint_open(dir, &ckpt), MNLP_ERR_FORMAT,
              "tensor \"a\" is in both one.safetensors and two.safetensors");
}

static void folder_without_weights_says_what_is_missing(void)
{
    const char *dir = test_tmpdir();
    mnlp_checkpoint *ckpt = NULL;

    CHECK_ERR(mnlp_checkpoint_open(dir, &ckpt), MNLP_ERR_NOT_FOUND,
              "no model.safetensors or model.safetensors.index.json");
    test_write(dir, "pytorch_model.bin", "x", 1);
    CHECK_ERR(mnlp_checkpoint_open(dir, &ckpt), MNLP_ERR_UNSUPPORTED, "pytorch_model.bin");
}

static void malformed_shard_error_names_the_file(void)
{
    const char *dir = test_tmpdir();
    mnlp_checkpoint *ckpt = NULL;

    write_image(dir, "model.safetensors", "{" ENTRY("a", 0, 8) "}", 8);
    CHECK_ERR(mnlp_checkpoint_open(dir, &ckpt), MNLP_ERR_FORMAT,
              "model.safetensors: tensor \"a\": shape [1] of F32 is 4 bytes");
}

TEST_SUITE(checkpoint, T(sharded_checkpoint_lists_all_tensors_in_name_order),
           T(index_and_shards_must_agree), T(same_tensor_in_two_shards_is_an_error),
           T(folder_without_weights_says_what_is_missing),
           T(malformed_shard_error_names_the_file));

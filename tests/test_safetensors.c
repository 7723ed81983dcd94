/* io/safetensors: strict validation of hand-made files, good and bad. */
#include "test.h"

#include "base/files.h"

#include "io/safetensors.h"
#include "st_build.h"

#include <stdlib.h>

/* Writes the image to a file and opens it through the mapping path. */
static mnlp_status open_image(const char *header, size_t data_len, mn_safetensors **st)
{
    size_t size;
    unsigned char *img = st_image(header, data_len, &size);
    const char *path = test_write(test_tmpdir(), "model.safetensors", img, size);
    mnlp_status rc = mn_safetensors_open(path, st);

    free(img);
    return rc;
}

static void reads_tensors_dtypes_and_metadata(void)
{
    mn_safetensors *st = NULL;
    const mn_st_tensor *t;

    CHECK_OK(open_image("{\"__metadata__\":{\"format\":\"pt\"},"
                        "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[24,32]},"
                        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        "\"s\":{\"dtype\":\"F8_E4M3\",\"shape\":[],\"data_offsets\":[32,33]},"
                        "\"e\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[33,33]}}  ",
                        33, &st));
    if (!st)
        return;
    CHECK_INT(st->n_tensors, 4);
    CHECK_INT(st->n_metadata, 1);
    CHECK_STR(st->metadata[0].key, "format");
    CHECK_STR(st->metadata[0].value, "pt");
    t = mn_safetensors_find(st, "b");
    CHECK(t && t->dtype == MNLP_DTYPE_BF16 && t->ndim == 2 && t->shape[1] == 2);
    CHECK(t && ((const unsigned char *)t->data)[0] == 24);
    t = mn_safetensors_find(st, "s");
    CHECK(t && t->ndim == 0 && t->dtype == MNLP_DTYPE_F8_E4M3);
    CHECK(mn_safetensors_find(st, "zz") == NULL);
    mn_safetensors_free(st);
}

static void every_hf_dtype_is_known(void)
{
    static const char *const names[] = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16",
                                        "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2"};

    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char header[128];
        mnlp_dtype d;
        mn_safetensors *st = NULL;

        CHECK_OK(mnlp_dtype_parse(names[i], &d));
        snprintf(header, sizeof header, "{\"t\":{\"dtype\":\"%s\",\"shape\":[3],"
                 "\"data_offsets\":[0,%zu]}}", names[i], 3 * mnlp_dtype_size(d));
        CHECK_OK(open_image(header, 3 * mnlp_dtype_size(d), &st));
        mn_safetensors_free(st);
    }
}

/* Each malformed file: its error, naming the problem. */
static void malformed_files_are_rejected_by_name(void)
{
    static const struct {
        const char *header;
        size_t data;
        mnlp_status status;
        const char *message;
    } cases[] = {
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
         MNLP_ERR_FORMAT, "model.safetensors: tensor \"b\": data_offsets [4, 12) overlap \"w\""},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20,
         MNLP_ERR_FORMAT, "tensor \"w\": shape [2, 3] of F32 is 24 bytes but data_offsets "
         "[0, 20) hold 20"},
        {"{\"w\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
         MNLP_ERR_UNSUPPORTED, "tensor \"w\": unknown dtype \"F7\""},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
         MNLP_ERR_FORMAT, "tensor \"w\" appears twice"},
        {"{\"\xffw\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
         MNLP_ERR_FORMAT, "header: line 1, column 3: invalid UTF-8 in string"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
         MNLP_ERR_FORMAT, "data_offsets [0, 16) run past the 8 bytes of data"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
         MNLP_ERR_FORMAT, "leave bytes [0, 4) unused"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 9,
         MNLP_ERR_FORMAT, "tensors cover 4 of the 9 data bytes"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
         MNLP_ERR_FORMAT, "end before they begin"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
         MNLP_ERR_FORMAT, "shape holds a value that is not a size"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
         MNLP_ERR_UNSUPPORTED, "rank 7 exceeds 6"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
         "\"data_offsets\":[0,4]}}", 4, MNLP_ERR_FORMAT, "shape overflows"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
         MNLP_ERR_FORMAT, "\"data_offsets\" must be two byte offsets"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
         MNLP_ERR_FORMAT, "tensor \"w\": unknown field \"x\""},
        {"{\"w\":[1]}", 0, MNLP_ERR_FORMAT, "tensor \"w\": entry is not an object but array"},
        {"{\"__metadata__\":{\"k\":1}}", 0, MNLP_ERR_FORMAT,
         "__metadata__[\"k\"] is a number, not a string"},
        {"{\"w\\u0000x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
         MNLP_ERR_FORMAT, "contains a NUL"},
        {"[]", 0, MNLP_ERR_FORMAT, "header does not start with '{'"},
        {"{\"w\": ", 0, MNLP_ERR_FORMAT, "header: line 1, column 7: unexpected end of input"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mn_safetensors *st = NULL;

        CHECK_ERR(open_image(cases[i].header, cases[i].data, &st), cases[i].status,
                  cases[i].message);
        CHECK(st == NULL);
        CHECK(strchr(mnlp_last_error(), '\n') == NULL);
    }
}

static void truncated_and_giant_headers_are_rejected(void)
{
    unsigned char img[16] = {0};
    mn_safetensors *st = NULL;

    CHECK_ERR(mn_safetensors_parse(img, 5, "x.safetensors", &st), MNLP_ERR_FORMAT,
              "x.safetensors: file is 5 bytes, too short for a header");
    img[0] = 100; /* header of 100 bytes in a 16-byte file */
    CHECK_ERR(mn_safetensors_parse(img, 16, "x.safetensors", &st), MNLP_ERR_FORMAT,
              "header length 100 runs past the end of the 16-byte file");
    memset(img, 0xff, 8);
    CHECK_ERR(mn_safetensors_parse(img, 16, "x.safetensors", &st), MNLP_ERR_LIMIT,
              "header length 18446744073709551615 exceeds the limit");
    memset(img, 0, 8);
    CHECK_ERR(mn_safetensors_parse(img, 16, "x.safetensors", &st), MNLP_ERR_FORMAT,
              "header does not start with '{'");
    CHECK_ERR(mn_safetensors_open("/nonexistent/model.safetensors", &st), MNLP_ERR_NOT_FOUND,
              "/nonexistent/model.safetensors");
}

/* Every prefix of a valid file fails cleanly: the truncation sweep. */
static void every_truncation_fails_cleanly(void)
{
    size_t size;
    unsigned char *img = st_image("{\"a\":{\"dtype\":\"F16\",\"shape\":[3],"
                                  "\"data_offsets\":[0,6]}}", 6, &size);
    mn_safetensors *st = NULL;

    for (size_t n = 0; n < size; n++) {
        unsigned char *copy = malloc(n + 1);

        memcpy(copy, img, n);
        CHECK(mn_safetensors_parse(copy, n, "t", &st) != MNLP_OK);
        CHECK(st == NULL);
        free(copy);
    }
    CHECK_OK(mn_safetensors_parse(img, size, "t", &st));
    mn_safetensors_free(st);
    free(img);
}

static void bundled_model_opens(void)
{
    char path[4096];
    mn_safetensors *st = NULL;
    const mn_st_tensor *t;

    snprintf(path, sizeof path, "%s/models/stories260K/model.safetensors", test_source_dir());
    CHECK_OK(mn_safetensors_open(path, &st));
    if (!st)
        return;
    CHECK_INT(st->n_tensors, 47);
    t = mn_safetensors_find(st, "model.embed_tokens.weight");
    CHECK(t && t->dtype == MNLP_DTYPE_F32 && t->shape[0] == 512 && t->shape[1] == 64);
    mn_safetensors_free(st);
}

/* A file the Python library wrote, read and written again, is the same bytes. */
static void writer_reproduces_the_python_serializer(void)
{
    char path[4096], *orig = NULL, *again = NULL;
    size_t orig_len = 0, again_len = 0;
    mnlp_safetensors *st = NULL;
    mnlp_tensor_out *outs = NULL;
    size_t n = 0;
    const char *dir = test_tmpdir();

    snprintf(path, sizeof path, "%s/tests/fixtures/stories260K/reference.safetensors",
             test_source_dir());
    CHECK_OK(mnlp_safetensors_open(path, &st));
    if (!st)
        return;
    n = mnlp_safetensors_count(st);
    CHECK(n > 3);
    outs = calloc(n, sizeof *outs);
    for (size_t i = 0; outs && i < n; i++) {
        mnlp_tensor_info info;

        CHECK_OK(mnlp_safetensors_tensor(st, i, &info, &outs[i].data));
        outs[i].name = info.name;
        outs[i].dtype = info.dtype;
        outs[i].ndim = info.ndim;
        memcpy(outs[i].shape, info.shape, sizeof info.shape);
    }
    CHECK_OK(mnlp_safetensors_write(test_write(dir, "again.safetensors", "", 0), outs, n));
    CHECK_OK(mn_read_file(path, 1u << 30, &orig, &orig_len));
    snprintf(path, sizeof path, "%s/again.safetensors", dir);
    CHECK_OK(mn_read_file(path, 1u << 30, &again, &again_len));
    CHECK(orig && again && orig_len == again_len && memcmp(orig, again, orig_len) == 0);
    /* A name given twice is refused. */
    if (outs && n > 1) {
        outs[1].name = outs[0].name;
        CHECK_ERR(mnlp_safetensors_write(path, outs, n), MNLP_ERR_INVALID_ARGUMENT,
                  "given twice");
    }
    mn_free(orig);
    mn_free(again);
    free(outs);
    mnlp_safetensors_free(st);
}

TEST_SUITE(safetensors, T(writer_reproduces_the_python_serializer),
           T(reads_tensors_dtypes_and_metadata), T(every_hf_dtype_is_known),
           T(malformed_files_are_rejected_by_name), T(truncated_and_giant_headers_are_rejected),
           T(every_truncation_fails_cleanly), T(bundled_model_opens));

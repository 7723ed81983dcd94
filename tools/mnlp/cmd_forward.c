/* mnlp forward MODEL --input IN --output OUT: logits and hidden states of token ids. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* An [batch, seq] I64 tensor of the input file, or NULL with *rc set when absent or wrong. */
static const int64_t *ids_tensor(const mnlp_safetensors *in, const char *name, bool required,
                                 int64_t *batch, int64_t *seq, int *rc)
{
    mnlp_tensor_info info;
    const void *data;

    if (mnlp_safetensors_find(in, name, &info, &data) != MNLP_OK) {
        if (required)
            *rc = cli_fail(NULL);
        return NULL;
    }
    if (info.dtype != MNLP_DTYPE_I64 || info.ndim != 2 ||
        (*batch >= 0 && (info.shape[0] != *batch || info.shape[1] != *seq))) {
        fprintf(stderr, "mnlp: error: %s must be I64 [batch, seq] (like input_ids)\n", name);
        *rc = CLI_FAIL;
        return NULL;
    }
    *batch = info.shape[0];
    *seq = info.shape[1];
    return data;
}

static int run_forward(int argc, char **argv)
{
    const char *in_path = NULL, *out_path = NULL;
    char **rest = malloc(sizeof *rest * (size_t)(argc + 1));
    int n_rest = 0, rc;
    cli_model_args args;
    mnlp_safetensors *in = NULL;
    mnlp_lm *lm = NULL;
    const int64_t *ids = NULL, *mask = NULL;
    int64_t batch = -1, seq = 0, vocab, hidden, layers;
    float *logits = NULL, *states = NULL;
    int64_t *ids_copy = NULL, *mask_copy = NULL;
    mnlp_tensor_out *outs = NULL;
    char (*names)[40] = NULL;

    if (!rest)
        return CLI_FAIL;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && (!strcmp(argv[i], "--input") || !strcmp(argv[i], "--output")) &&
            i + 1 < argc) {
            *(argv[i][2] == 'i' ? &in_path : &out_path) = argv[i + 1];
            i++;
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    rc = cli_parse_model_args(&cli_forward, n_rest, rest, NULL, NULL, 0, 0, &args);
    if (rc == CLI_OK && (!in_path || !out_path))
        rc = cli_usage_error(&cli_forward, "both --input and --output are needed");
    if (rc == CLI_OK && mnlp_safetensors_open(in_path, &in) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK)
        ids = ids_tensor(in, "input_ids", true, &batch, &seq, &rc);
    if (rc == CLI_OK)
        mask = ids_tensor(in, "attention_mask", false, &batch, &seq, &rc);
    if (rc == CLI_OK && mnlp_lm_load(args.model, args.revision, &lm) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK) {
        vocab = mnlp_lm_vocab_size(lm);
        hidden = mnlp_lm_hidden_size(lm);
        layers = mnlp_lm_num_hidden_layers(lm);
        logits = malloc(sizeof *logits * (size_t)(batch * seq * vocab));
        states = malloc(sizeof *states * (size_t)((layers + 1) * batch * seq * hidden));
        /* The mapping may be unaligned: the ids are copied. */
        ids_copy = malloc(sizeof *ids_copy * (size_t)(batch * seq));
        mask_copy = mask ? malloc(sizeof *mask_copy * (size_t)(batch * seq)) : NULL;
        outs = calloc((size_t)layers + 3, sizeof *outs);
        names = calloc((size_t)layers + 1, sizeof *names);
        if (!logits || !states || !ids_copy || (mask && !mask_copy) || !outs || !names)
            rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        mnlp_lm_inputs inputs = {ids_copy, batch, seq, mask_copy, NULL, NULL, false};
        mnlp_lm_outputs outputs = {logits, states};

        memcpy(ids_copy, ids, sizeof *ids_copy * (size_t)(batch * seq));
        if (mask)
            memcpy(mask_copy, mask, sizeof *mask_copy * (size_t)(batch * seq));
        if (mnlp_lm_forward(lm, &inputs, &outputs) != MNLP_OK)
            rc = cli_fail(NULL);
    }
    if (rc == CLI_OK) {
        size_t n = 0, per_state = (size_t)(batch * seq * hidden);

        outs[n++] = (mnlp_tensor_out){"logits", MNLP_DTYPE_F32, 3, {batch, seq, vocab}, logits};
        outs[n++] = (mnlp_tensor_out){"last_hidden_state", MNLP_DTYPE_F32, 3,
                                      {batch, seq, hidden}, states + layers * per_state};
        for (int64_t l = 0; l <= layers; l++) {
            snprintf(names[l], sizeof names[l], "hidden_states.%lld", (long long)l);
            outs[n++] = (mnlp_tensor_out){names[l], MNLP_DTYPE_F32, 3, {batch, seq, hidden},
                                          states + l * per_state};
        }
        if (mnlp_safetensors_write(out_path, outs, n) != MNLP_OK)
            rc = cli_fail(NULL);
    }
    free(names);
    free(outs);
    free(mask_copy);
    free(ids_copy);
    free(states);
    free(logits);
    mnlp_lm_free(lm);
    mnlp_safetensors_free(in);
    free(rest);
    return rc;
}

const cli_command cli_forward = {
    .name = "forward",
    .summary = "logits and hidden states of token ids, safetensors in and out",
    .usage =
        "usage: mnlp forward MODEL --input IN.safetensors --output OUT.safetensors\n"
        "                    [--revision REV]\n"
        "\n"
        "Read input_ids (I64 [batch, seq]) and, when present, attention_mask from IN;\n"
        "run the model's forward in float32 and write OUT with logits [batch, seq,\n"
        "vocab], last_hidden_state and hidden_states.0 ... hidden_states.N (the\n"
        "embeddings, then each layer's output, as output_hidden_states gives them).\n",
    .run = run_forward,
};

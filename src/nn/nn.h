/*
 * The blocks decoder architectures share, parameterised by config values:
 * linear layers, RMSNorm, the rotary embedding with every rope_scaling rule
 * of transformers 4.47, attention over a KV cache, and the gated MLP. A
 * model file fills these structs from its checkpoint and stacks them.
 *
 * Weights are borrowed (the model owns them); activations are tensors the
 * caller passes in, so that a block never allocates while decoding.
 */
#ifndef MN_NN_H
#define MN_NN_H

#include "io/io.h"
#include "tensor/tensor.h"

/* ---- Rotary position embedding (modeling_rope_utils.py) ----------------- */

typedef enum mn_rope_type {
    MN_ROPE_DEFAULT,
    MN_ROPE_LINEAR,
    MN_ROPE_DYNAMIC,
    MN_ROPE_YARN,
    MN_ROPE_LONGROPE,
    MN_ROPE_LLAMA3,
} mn_rope_type;

typedef struct mn_rope {
    mn_rope_type type;
    int64_t dim;                      /* rotated dims per head, even */
    double theta;                     /* rope_theta */
    double factor;                    /* rope_scaling.factor (dynamic) */
    int64_t max_position_embeddings;
    float attention_factor;           /* cos and sin are multiplied by it */
    float *inv_freq;                  /* [dim / 2], fixed at load */
} mn_rope;

/*
 * Read rope_theta, max_position_embeddings and rope_scaling from config for
 * dim rotated dims, and compute the inverse frequencies as the matching
 * _compute_*_parameters does (in float32, as transformers does). Unknown
 * types and malformed keys are an MNLP_ERR_UNSUPPORTED naming the key.
 */
mnlp_status mn_rope_init(mn_rope *rope, const mnlp_config *config, int64_t dim);
void mn_rope_free(mn_rope *rope);

/*
 * cos and sin [n, dim] for positions[0..n), as LlamaRotaryEmbedding.forward
 * returns them (the frequencies repeated over both halves, times the
 * attention factor). Dynamic NTK scaling recomputes the frequencies from the
 * largest position of the call, into scratch[dim / 2].
 */
void mn_rope_tables(const mn_rope *rope, const int64_t *positions, int64_t n, float *scratch,
                    float *cos, float *sin);

/* The same with seq_len given: a batch's largest position + 1, since
 * transformers takes torch.max over every row's position_ids. */
void mn_rope_tables_seq(const mn_rope *rope, const int64_t *positions, int64_t n,
                        int64_t seq_len, float *scratch, float *cos, float *sin);

/* ---- Linear and norms -------------------------------------------------- */

typedef struct mn_linear {
    const mn_tensor *weight;          /* [out, in], F32, F16 or BF16 */
    const mn_tensor *bias;            /* [out] or NULL */
    bool transposed;                  /* weight is [in, out] (Conv1D), maybe a column view */
} mn_linear;

mnlp_status mn_linear_forward(const mn_linear *l, const mn_tensor *x, mn_tensor *out);

typedef struct mn_rms_norm {
    const mn_tensor *weight;          /* [hidden], F32 */
    float eps;
} mn_rms_norm;

mnlp_status mn_rms_norm_forward(const mn_rms_norm *n, const mn_tensor *x, mn_tensor *out);

typedef struct mn_layer_norm {
    const mn_tensor *weight, *bias;   /* [hidden], F32 */
    float eps;
} mn_layer_norm;

mnlp_status mn_layer_norm_forward(const mn_layer_norm *n, const mn_tensor *x, mn_tensor *out);

/*
 * x[n, hidden] += table[positions[i] + offset] for each row i: learned
 * absolute positions (GPT-2's wpe, OPT's offset-2 table). row is [1, hidden]
 * F32 working memory for tables stored in F16 or BF16. A position outside
 * the table is an MNLP_ERR_INVALID_ARGUMENT naming it.
 */
mnlp_status mn_position_embedding_add(const mn_tensor *table, const int64_t *positions,
                                      int64_t n, int64_t offset, mn_tensor *row, mn_tensor *x);

/* ---- Activations -------------------------------------------------------- */

typedef enum mn_activation {
    MN_ACT_SILU,
    MN_ACT_GELU,                      /* exact, with erf ("gelu") */
    MN_ACT_GELU_TANH,                 /* "gelu_new", "gelu_pytorch_tanh" */
    MN_ACT_RELU,
} mn_activation;

/* The activation named by a config's hidden_act (transformers' ACT2FN key);
 * MNLP_ERR_UNSUPPORTED for one mnlp does not run yet. */
mnlp_status mn_activation_parse(const char *name, mn_activation *out);

/* act applied to x in place. */
mnlp_status mn_activation_forward(mn_activation act, mn_tensor *x);

/* ---- Attention with a KV cache ----------------------------------------- */

typedef struct mn_attention {
    mn_linear q_proj, k_proj, v_proj, o_proj;
    int64_t num_heads, num_key_value_heads, head_dim;
    float scale;                      /* 1 / sqrt(head_dim) for Llama */
    float softcap;                    /* attn_logit_softcapping; 0: none */
} mn_attention;

/* Working memory of one attention call: two [T, num_heads * head_dim]. */
typedef struct mn_attention_scratch {
    mn_tensor *query, *context;
} mn_attention_scratch;

/*
 * Self-attention of x[T, hidden] at cache positions [past, past + T): the
 * new keys and values are written, rotated, into rows past.. of key_cache
 * and value_cache ([max, num_key_value_heads * head_dim]); every query then
 * attends causally to rows [0, past + T). cos and sin are [T, rotary dims],
 * or NULL for a model without rotary positions. out is [T, hidden].
 */
mnlp_status mn_attention_forward(const mn_attention *a, const mn_tensor *x, const mn_tensor *cos,
                                 const mn_tensor *sin, mn_tensor *key_cache,
                                 mn_tensor *value_cache, int64_t past,
                                 const mn_attention_scratch *scratch, mn_tensor *out);

/*
 * The same with an additive mask [T, past + T] (F32, -inf where a key is
 * hidden: padding, a sliding window) on top of the causal rule; mask NULL
 * is mn_attention_forward.
 */
mnlp_status mn_attention_forward_masked(const mn_attention *a, const mn_tensor *x,
                                        const mn_tensor *cos, const mn_tensor *sin,
                                        mn_tensor *key_cache, mn_tensor *value_cache,
                                        int64_t past, const mn_tensor *mask,
                                        const mn_attention_scratch *scratch, mn_tensor *out);

/* ---- Gated MLP (LlamaMLP) --------------------------------------------- */

typedef struct mn_gated_mlp {
    mn_linear gate_proj, up_proj, down_proj;
    mn_activation act;
} mn_gated_mlp;

/* out = down_proj(act(gate_proj(x)) * up_proj(x)); gate and up are
 * [T, intermediate] working memory. */
mnlp_status mn_gated_mlp_forward(const mn_gated_mlp *m, const mn_tensor *x, mn_tensor *gate,
                                 mn_tensor *up, mn_tensor *out);

/* ---- Plain MLP (GPT2MLP, OPT's fc1/fc2, PhiMLP, GPTNeoXMLP) ----------- */

typedef struct mn_mlp {
    mn_linear fc1, fc2;
    mn_activation act;
} mn_mlp;

/* out = fc2(act(fc1(x))); mid is [T, intermediate] working memory. */
mnlp_status mn_mlp_forward(const mn_mlp *m, const mn_tensor *x, mn_tensor *mid, mn_tensor *out);

/* ---- Mixture of experts (MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock) -- */

#define MN_MOE_MAX_EXPERTS 512

typedef struct mn_moe {
    mn_linear gate;                   /* the router: [num_experts, hidden] */
    const mn_gated_mlp *experts;      /* [num_experts] */
    int64_t num_experts, top_k;
    bool norm_topk_prob;              /* renormalise the top-k weights to sum 1 */
    /* Qwen2-MoE: sigmoid(shared_expert_gate(x)) * shared_expert(x) is added;
     * unused when shared_expert_gate.weight is NULL. */
    mn_gated_mlp shared_expert;
    mn_linear shared_expert_gate;     /* [1, hidden] */
} mn_moe;

/* Working memory of one call: router [T, num_experts], gate and up [T, at
 * least the largest intermediate size], expert_out [T, hidden]. */
typedef struct mn_moe_scratch {
    mn_tensor *router, *gate, *up, *expert_out;
} mn_moe_scratch;

/*
 * Each token's router probabilities are the softmax over all experts; its
 * top_k experts run and their outputs, weighted by those probabilities
 * (renormalised when norm_topk_prob), are summed in expert order, as
 * index_add_ sums them. out is [T, hidden].
 */
mnlp_status mn_moe_forward(const mn_moe *m, const mn_tensor *x, const mn_moe_scratch *s,
                           mn_tensor *out);

#endif

/* mnlp run MODEL PROMPT: the prompt's continuation, printed as it is decoded. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The prompt as input ids: the text itself, or with --chat one user turn
 * through the model's chat template. */
static int prompt_ids(const mnlp_tokenizer *tok, const char *prompt, bool chat, int64_t **ids,
                      int64_t *n)
{
    mnlp_encoding *enc = NULL;
    cli_messages m = {NULL, 0, 0};
    int rc = CLI_OK;

    if (chat) {
        rc = cli_messages_add(&m, "user", prompt, strlen(prompt))
                 ? cli_chat_prompt(tok, &m, ids, n)
                 : CLI_FAIL;
        free(m.json);
        return rc;
    }
    if (mnlp_tokenizer_encode(tok, prompt, strlen(prompt), true, &enc) != MNLP_OK)
        return cli_fail(NULL);
    *n = (int64_t)mnlp_encoding_len(enc);
    if (!(*ids = malloc(sizeof **ids * (size_t)(*n ? *n : 1))))
        rc = CLI_FAIL;
    for (int64_t i = 0; rc == CLI_OK && i < *n; i++)
        (*ids)[i] = mnlp_encoding_ids(enc)[i];
    mnlp_encoding_free(enc);
    return rc;
}

static int run_run(int argc, char **argv)
{
    static const char *const chat_flag[] = {"--chat", NULL};
    static const char *const *const flags[] = {chat_flag};
    char **rest = malloc(sizeof *rest * (size_t)(argc + 1));
    char **stops = malloc(sizeof *stops * (size_t)(argc + 1));
    int n_rest = 0, rc = CLI_OK;
    bool chat = false;
    cli_model_args args;
    mnlp_tokenizer *tok = NULL;
    mnlp_lm *lm = NULL;
    mnlp_generate_params params = mnlp_generate_default_params();
    mnlp_generate_output out = {0};
    int64_t *ids = NULL, n_ids = 0;
    cli_stream s = {NULL, NULL, 0, 0, 0, 0, CLI_OK};

    if (!rest || !stops) {
        free(rest);
        free(stops);
        return CLI_FAIL;
    }
    /* 200 new tokens unless asked: generation_config.json's max_length (20 by
     * default) is meant for generate calls, not for reading a continuation. */
    params.max_new_tokens = 200;
    for (int i = 0; i < argc && rc == CLI_OK; i++) {
        int g = i > 0 ? cli_gen_flag(&params, argc, argv, &i) : 0;

        if (g < 0)
            rc = cli_usage_error(&cli_run, "%s needs a value of its type", argv[i]);
        else if (g == 0 && i > 0 && !strcmp(argv[i], "--stop-string") && i + 1 < argc)
            stops[params.n_stop_strings++] = argv[++i];
        else if (g == 0)
            rest[n_rest++] = argv[i];
    }
    params.stop_strings = (const char *const *)stops;
    if (rc == CLI_OK)
        rc = cli_parse_model_args(&cli_run, n_rest, rest, flags, &chat, 1, 1, &args);
    if (rc == CLI_OK && !args.n_extra)
        rc = cli_usage_error(&cli_run, "no PROMPT given");
    /* The model first: validation names what it cannot run before anything else. */
    if (rc == CLI_OK && mnlp_lm_load(args.model, args.revision, &lm) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK)
        rc = cli_open_tokenizer(args.model, args.revision, &tok);
    params.tokenizer = tok;
    if (rc == CLI_OK)
        rc = prompt_ids(tok, args.extra[0], chat, &ids, &n_ids);
    for (int64_t i = 0; rc == CLI_OK && i < n_ids; i++)
        rc = cli_stream_add(&s, ids[i]);
    if (rc == CLI_OK) {
        s.tok = tok;
        /* With --chat only the answer is shown; otherwise the prompt and its continuation. */
        s.from = chat ? n_ids : 0;
        if (!chat)
            rc = cli_stream_print(&s, false);
        /* Beams only know their winner at the end: they print then. */
        if ((params.num_beams == MNLP_UNSET || params.num_beams <= 1) &&
            (params.num_return_sequences == MNLP_UNSET || params.num_return_sequences <= 1)) {
            params.streamer = cli_stream_on_token;
            params.streamer_data = &s;
        }
    }
    if (rc == CLI_OK && mnlp_generate_sequences(lm, ids, n_ids, &params, &out) != MNLP_OK)
        rc = s.rc != CLI_OK ? s.rc : cli_fail(NULL);
    /* Without the streamer, the first sequence's new tokens join at the end
     * (special tokens such as the padding after an eos are not printed). */
    for (int64_t i = n_ids; rc == CLI_OK && !params.streamer && i < out.length; i++)
        rc = cli_stream_add(&s, out.sequences[i]);
    if (rc == CLI_OK)
        rc = cli_stream_print(&s, true);
    if (rc == CLI_OK)
        printf("\n");
    mnlp_generate_output_free(&out);
    cli_stream_free(&s);
    free(ids);
    free(rest);
    free(stops);
    mnlp_lm_free(lm);
    mnlp_tokenizer_free(tok);
    return rc;
}

const cli_command cli_run = {
    .name = "run",
    .summary = "continue a prompt with a causal language model",
    .usage =
        "usage: mnlp run MODEL PROMPT [--chat] [--stop-string TEXT]... [--revision REV]\n"
        "                [generation flags]\n"
        "\n"
        "Generate the continuation of PROMPT as transformers' generate does with the\n"
        "model's generation_config.json (greedy unless it or --do-sample says\n"
        "otherwise) and print the prompt and the continuation as it is decoded,\n"
        "without special tokens. --chat sends PROMPT as one user turn through the\n"
        "model's chat template and prints only the answer. --max-new-tokens\n"
        "defaults to 200. Generation ends after the token that completes a\n"
        "--stop-string (stop_strings).\n",
    .run = run_run,
    .generates = true,
};

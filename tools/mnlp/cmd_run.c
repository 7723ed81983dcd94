/* mnlp run MODEL PROMPT: the prompt's continuation, printed as it is decoded. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/*
 * Printing a growing sequence: the whole sequence is decoded again and the
 * text past what was printed goes out, except a tail that ends in U+FFFD
 * (a character whose bytes are still arriving in later tokens).
 */
typedef struct printer {
    const mnlp_tokenizer *tok;
    size_t printed;
} printer;

static int print_new_text(printer *p, const int64_t *ids, int64_t n, bool final)
{
    int32_t *ids32 = malloc(sizeof *ids32 * (size_t)(n ? n : 1));
    char *text = NULL;
    size_t len = 0, end;

    if (!ids32)
        return CLI_FAIL;
    for (int64_t i = 0; i < n; i++)
        ids32[i] = (int32_t)ids[i];
    if (mnlp_tokenizer_decode(p->tok, ids32, (size_t)n, true, &text, &len) != MNLP_OK) {
        free(ids32);
        return cli_fail(NULL);
    }
    end = len;
    if (!final && end >= 3 && memcmp(text + end - 3, "\xef\xbf\xbd", 3) == 0)
        end -= 3;
    if (end > p->printed) {
        fwrite(text + p->printed, 1, end - p->printed, stdout);
        fflush(stdout);
        p->printed = end;
    }
    mnlp_free(text);
    free(ids32);
    return CLI_OK;
}

/* The prompt as input ids: the text itself, or with --chat one user turn
 * through the model's chat template (whose text already holds the special
 * tokens, so none are added). */
static int prompt_ids(const mnlp_tokenizer *tok, const char *prompt, bool chat, int64_t **ids,
                      int64_t *n)
{
    mnlp_encoding *enc = NULL;
    char *text = NULL;
    size_t len = strlen(prompt);
    const char *src = prompt;
    int rc = CLI_OK;

    if (chat) {
        size_t cap = 2 * len + 128, vlen = 0;
        char *vars = malloc(cap);

        if (!vars)
            return CLI_FAIL;
        vlen += (size_t)snprintf(vars, cap, "{\"add_generation_prompt\": true, \"messages\": "
                                            "[{\"role\": \"user\", \"content\": \"");
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)prompt[i];

            if (c == '"' || c == '\\')
                vars[vlen++] = '\\', vars[vlen++] = (char)c;
            else if (c < 0x20)
                vlen += (size_t)snprintf(vars + vlen, cap - vlen, "\\u%04x", c);
            else
                vars[vlen++] = (char)c;
            if (vlen + 16 > cap && !(vars = realloc(vars, cap *= 2)))
                return CLI_FAIL;
        }
        vlen += (size_t)snprintf(vars + vlen, cap - vlen, "\"}]}");
        if (mnlp_tokenizer_apply_chat_template(tok, NULL, vars, vlen, MNLP_TEMPLATE_NOW_CLOCK,
                                               &text, &len) != MNLP_OK)
            rc = cli_fail(NULL);
        free(vars);
        src = text;
    }
    if (rc == CLI_OK && mnlp_tokenizer_encode(tok, src, len, !chat, &enc) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK) {
        *n = (int64_t)mnlp_encoding_len(enc);
        if (!(*ids = malloc(sizeof **ids * (size_t)(*n ? *n : 1))))
            rc = CLI_FAIL;
        for (int64_t i = 0; rc == CLI_OK && i < *n; i++)
            (*ids)[i] = mnlp_encoding_ids(enc)[i];
    }
    mnlp_encoding_free(enc);
    mnlp_free(text);
    return rc;
}

/* The streamer: each new token joins the sequence, and the text it completes is printed. */
typedef struct stream {
    printer p;
    int64_t *ids;
    int64_t n, cap, from;     /* ids held, room; where the printed part starts */
    int rc;
} stream;

static int on_token(int64_t id, void *data)
{
    stream *s = data;

    if (s->n == s->cap) {
        int64_t *grown = realloc(s->ids, sizeof *grown * (size_t)(s->cap *= 2));

        if (!grown)
            return (s->rc = CLI_FAIL);
        s->ids = grown;
    }
    s->ids[s->n++] = id;
    s->rc = print_new_text(&s->p, s->ids + s->from, s->n - s->from, false);
    return s->rc != CLI_OK;
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
    stream s = {{NULL, 0}, NULL, 0, 0, 0, CLI_OK};

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
    s.cap = n_ids + 256;
    if (rc == CLI_OK && !(s.ids = malloc(sizeof *s.ids * (size_t)s.cap)))
        rc = CLI_FAIL;
    if (rc == CLI_OK) {
        memcpy(s.ids, ids, sizeof *ids * (size_t)n_ids);
        s.n = n_ids;
        s.p.tok = tok;
        /* With --chat only the answer is shown; otherwise the prompt and its continuation. */
        s.from = chat ? n_ids : 0;
        if (!chat)
            rc = print_new_text(&s.p, s.ids, s.n, false);
        /* Beams only know their winner at the end: they print then. */
        if ((params.num_beams == MNLP_UNSET || params.num_beams <= 1) &&
            (params.num_return_sequences == MNLP_UNSET || params.num_return_sequences <= 1)) {
            params.streamer = on_token;
            params.streamer_data = &s;
        }
    }
    if (rc == CLI_OK && mnlp_generate_sequences(lm, ids, n_ids, &params, &out) != MNLP_OK)
        rc = s.rc != CLI_OK ? s.rc : cli_fail(NULL);
    /* Without the streamer, the first sequence's new tokens join at the end
     * (special tokens such as the padding after an eos are not printed). */
    for (int64_t i = n_ids; rc == CLI_OK && !params.streamer && i < out.length; i++)
        if (on_token(out.sequences[i], &s))
            rc = s.rc;
    if (rc == CLI_OK)
        rc = print_new_text(&s.p, s.ids + s.from, s.n - s.from, true);
    if (rc == CLI_OK)
        printf("\n");
    mnlp_generate_output_free(&out);
    free(s.ids);
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

/*
 * mnlp chat MODEL: a conversation on stdin, one user turn per line; each
 * answer streams out as it is generated and joins the history that the
 * chat template renders for the next turn.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int run_chat(int argc, char **argv)
{
    char **rest = malloc(sizeof *rest * (size_t)(argc + 1)), *line = NULL;
    const char *system = NULL;
    size_t line_cap = 0;
    ssize_t got;
    int n_rest = 0, rc = CLI_OK;
    cli_model_args args;
    mnlp_tokenizer *tok = NULL;
    mnlp_lm *lm = NULL;
    mnlp_generate_params params = mnlp_generate_default_params();
    cli_messages h = {NULL, 0, 0};

    if (!rest)
        return CLI_FAIL;
    params.max_new_tokens = 512;
    for (int i = 0; i < argc && rc == CLI_OK; i++) {
        int g = i > 0 ? cli_gen_flag(&params, argc, argv, &i) : 0;

        if (g < 0)
            rc = cli_usage_error(&cli_chat, "%s needs a value of its type", argv[i]);
        else if (g == 0 && i > 0 && !strcmp(argv[i], "--system") && i + 1 < argc)
            system = argv[++i];
        else if (g == 0)
            rest[n_rest++] = argv[i];
    }
    if (rc == CLI_OK)
        rc = cli_parse_model_args(&cli_chat, n_rest, rest, NULL, NULL, 0, 0, &args);
    /* The model first: validation names what it cannot run before anything else. */
    if (rc == CLI_OK && mnlp_lm_load(args.model, args.revision, &lm) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK)
        rc = cli_open_tokenizer(args.model, args.revision, &tok);
    if (rc == CLI_OK && system && !cli_messages_add(&h, "system", system, strlen(system)))
        rc = CLI_FAIL;
    while (rc == CLI_OK && (got = getline(&line, &line_cap, stdin)) >= 0) {
        cli_stream t = {tok, NULL, 0, 0, 0, 0, CLI_OK};
        mnlp_generate_output out = {0};
        int64_t *ids = NULL, n_ids = 0;
        char *answer = NULL;
        size_t answer_len = 0;

        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0)
            continue;
        if (!cli_messages_add(&h, "user", line, (size_t)got) ||
            (rc = cli_chat_prompt(tok, &h, &ids, &n_ids)) != CLI_OK) {
            rc = rc == CLI_OK ? CLI_FAIL : rc;
            free(ids);
            break;
        }
        params.streamer = cli_stream_on_token;
        params.streamer_data = &t;
        if (mnlp_generate_sequences(lm, ids, n_ids, &params, &out) != MNLP_OK)
            rc = t.rc != CLI_OK ? t.rc : cli_fail(NULL);
        if (rc == CLI_OK)
            rc = cli_stream_print(&t, true);
        printf("\n");
        fflush(stdout);
        if (rc == CLI_OK && (!(answer = cli_stream_text(&t, &answer_len)) ||
                             !cli_messages_add(&h, "assistant", answer, answer_len)))
            rc = CLI_FAIL;
        mnlp_free(answer);
        mnlp_generate_output_free(&out);
        cli_stream_free(&t);
        free(ids);
    }
    free(line);
    free(h.json);
    free(rest);
    mnlp_lm_free(lm);
    mnlp_tokenizer_free(tok);
    return rc;
}

const cli_command cli_chat = {
    .name = "chat",
    .summary = "a conversation with a chat model, one user turn per line",
    .usage =
        "usage: mnlp chat MODEL [--system TEXT] [--revision REV] [generation flags]\n"
        "\n"
        "Read one user turn per line on stdin. Each turn joins the conversation, which\n"
        "the model's chat template renders with the generation prompt; the answer is\n"
        "generated (as transformers' generate does with generation_config.json's\n"
        "defaults), printed as it is decoded, and kept for the next turns.\n"
        "--system starts the conversation with a system message. --max-new-tokens\n"
        "defaults to 512.\n",
    .run = run_chat,
    .generates = true,
};

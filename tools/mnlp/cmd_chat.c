/*
 * mnlp chat MODEL: a conversation on stdin, one user turn per line; each
 * answer streams out as it is generated and joins the history that the
 * chat template renders for the next turn.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The conversation as the JSON text of a messages list (without brackets). */
typedef struct history {
    char *json;
    size_t len, cap;
} history;

static bool add_message(history *h, const char *role, const char *text, size_t n)
{
    char *quoted = NULL;
    size_t qlen = 0, qcap = 0, need;

    if (mnlp_json_quote(text, n, false, &quoted, &qlen, &qcap) != MNLP_OK)
        return false;
    need = h->len + qlen + strlen(role) + 40;
    if (need > h->cap) {
        char *grown = realloc(h->json, need * 2);

        if (!grown) {
            mnlp_free(quoted);
            return false;
        }
        h->json = grown;
        h->cap = need * 2;
    }
    h->len += (size_t)snprintf(h->json + h->len, h->cap - h->len,
                               "%s{\"role\": \"%s\", \"content\": %.*s}", h->len ? ", " : "",
                               role, (int)qlen, quoted);
    mnlp_free(quoted);
    return true;
}

typedef struct turn {
    const mnlp_tokenizer *tok;
    int64_t *ids;
    int64_t n, cap;
    size_t printed;
    int rc;
} turn;

/* The answer so far, decoded without special tokens. */
static char *answer_text(const turn *t, size_t *len)
{
    int32_t *ids32 = malloc(sizeof *ids32 * (size_t)(t->n ? t->n : 1));
    char *text = NULL;

    for (int64_t i = 0; ids32 && i < t->n; i++)
        ids32[i] = (int32_t)t->ids[i];
    if (!ids32 || mnlp_tokenizer_decode(t->tok, ids32, (size_t)t->n, true, &text, len) != MNLP_OK)
        text = NULL;
    free(ids32);
    return text;
}

static int on_token(int64_t id, void *data)
{
    turn *t = data;
    char *text;
    size_t len, end;

    if (t->n == t->cap) {
        int64_t *grown = realloc(t->ids, sizeof *grown * (size_t)(t->cap = t->cap * 2 + 64));

        if (!grown)
            return (t->rc = CLI_FAIL);
        t->ids = grown;
    }
    t->ids[t->n++] = id;
    if (!(text = answer_text(t, &len)))
        return (t->rc = cli_fail(NULL));
    /* Hold back a character whose bytes are still arriving (U+FFFD at the end). */
    end = len >= 3 && !memcmp(text + len - 3, "\xef\xbf\xbd", 3) ? len - 3 : len;
    if (end > t->printed) {
        fwrite(text + t->printed, 1, end - t->printed, stdout);
        fflush(stdout);
        t->printed = end;
    }
    mnlp_free(text);
    return 0;
}

/* Render the history with the generation prompt and tokenize it. */
static int prompt_of(const mnlp_tokenizer *tok, const history *h, int64_t now, int64_t **ids,
                     int64_t *n)
{
    size_t cap = h->len + 64, len;
    char *vars = malloc(cap), *text = NULL;
    mnlp_encoding *enc = NULL;
    int rc = CLI_OK;

    if (!vars)
        return CLI_FAIL;
    len = (size_t)snprintf(vars, cap, "{\"add_generation_prompt\": true, \"messages\": [%.*s]}",
                           (int)h->len, h->json ? h->json : "");
    if (mnlp_tokenizer_apply_chat_template(tok, NULL, vars, len, now, &text, &len) != MNLP_OK ||
        mnlp_tokenizer_encode(tok, text, len, false, &enc) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK && !(*ids = malloc(sizeof **ids * (mnlp_encoding_len(enc) + 1))))
        rc = CLI_FAIL;
    for (size_t i = 0; rc == CLI_OK && i < mnlp_encoding_len(enc); i++)
        (*ids)[i] = mnlp_encoding_ids(enc)[i];
    if (rc == CLI_OK)
        *n = (int64_t)mnlp_encoding_len(enc);
    mnlp_encoding_free(enc);
    mnlp_free(text);
    free(vars);
    return rc;
}

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
    history h = {NULL, 0, 0};

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
    if (rc == CLI_OK && system && !add_message(&h, "system", system, strlen(system)))
        rc = CLI_FAIL;
    while (rc == CLI_OK && (got = getline(&line, &line_cap, stdin)) >= 0) {
        turn t = {tok, NULL, 0, 0, 0, CLI_OK};
        mnlp_generate_output out = {0};
        int64_t *ids = NULL, n_ids = 0;
        char *answer = NULL;
        size_t answer_len = 0;

        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0)
            continue;
        if (!add_message(&h, "user", line, (size_t)got) ||
            (rc = prompt_of(tok, &h, MNLP_TEMPLATE_NOW_CLOCK, &ids, &n_ids)) != CLI_OK) {
            rc = rc == CLI_OK ? CLI_FAIL : rc;
            free(ids);
            break;
        }
        params.streamer = on_token;
        params.streamer_data = &t;
        if (mnlp_generate_sequences(lm, ids, n_ids, &params, &out) != MNLP_OK)
            rc = t.rc != CLI_OK ? t.rc : cli_fail(NULL);
        printf("\n");
        fflush(stdout);
        if (rc == CLI_OK && (!(answer = answer_text(&t, &answer_len)) ||
                             !add_message(&h, "assistant", answer, answer_len)))
            rc = CLI_FAIL;
        mnlp_free(answer);
        mnlp_generate_output_free(&out);
        free(t.ids);
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

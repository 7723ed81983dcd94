/* Token streams printed as they are decoded, and chat prompts: what `run` and `chat` share. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

void cli_stream_free(cli_stream *s)
{
    free(s->ids);
    s->ids = NULL;
    s->n = s->cap = 0;
}

int cli_stream_add(cli_stream *s, int64_t id)
{
    if (s->n == s->cap) {
        int64_t cap = s->cap * 2 + 64, *grown = realloc(s->ids, sizeof *grown * (size_t)cap);

        if (!grown)
            return CLI_FAIL;
        s->ids = grown;
        s->cap = cap;
    }
    s->ids[s->n++] = id;
    return CLI_OK;
}

char *cli_stream_text(const cli_stream *s, size_t *len)
{
    int64_t n = s->n - s->from;
    int32_t *ids32 = malloc(sizeof *ids32 * (size_t)(n > 0 ? n : 1));
    char *text = NULL;

    for (int64_t i = 0; ids32 && i < n; i++)
        ids32[i] = (int32_t)s->ids[s->from + i];
    if (ids32 && mnlp_tokenizer_decode(s->tok, ids32, (size_t)n, true, &text, len) != MNLP_OK)
        text = NULL;
    free(ids32);
    return text;
}

int cli_stream_print(cli_stream *s, bool final)
{
    size_t len = 0, end;
    char *text = cli_stream_text(s, &len);

    if (!text)
        return cli_fail(NULL);
    /* A tail that ends in U+FFFD is a character whose bytes are still arriving. */
    end = len;
    if (!final && end >= 3 && memcmp(text + end - 3, "\xef\xbf\xbd", 3) == 0)
        end -= 3;
    if (end > s->printed) {
        fwrite(text + s->printed, 1, end - s->printed, stdout);
        fflush(stdout);
        s->printed = end;
    }
    mnlp_free(text);
    return CLI_OK;
}

int cli_stream_on_token(int64_t id, void *data)
{
    cli_stream *s = data;

    if ((s->rc = cli_stream_add(s, id)) == CLI_OK)
        s->rc = cli_stream_print(s, false);
    return s->rc != CLI_OK;
}

bool cli_messages_add(cli_messages *m, const char *role, const char *text, size_t n)
{
    char *quoted = NULL;
    size_t qlen = 0, qcap = 0, need;

    if (mnlp_json_quote(text, n, false, &quoted, &qlen, &qcap) != MNLP_OK)
        return false;
    need = m->len + qlen + strlen(role) + 40;
    if (need > m->cap) {
        char *grown = realloc(m->json, need * 2);

        if (!grown) {
            mnlp_free(quoted);
            return false;
        }
        m->json = grown;
        m->cap = need * 2;
    }
    m->len += (size_t)snprintf(m->json + m->len, m->cap - m->len,
                               "%s{\"role\": \"%s\", \"content\": %.*s}", m->len ? ", " : "",
                               role, (int)qlen, quoted);
    mnlp_free(quoted);
    return true;
}

int cli_chat_prompt(const mnlp_tokenizer *tok, const cli_messages *m, int64_t **ids, int64_t *n)
{
    size_t cap = m->len + 64, len;
    char *vars = malloc(cap), *text = NULL;
    mnlp_encoding *enc = NULL;
    int rc = CLI_OK;

    *ids = NULL;
    if (!vars)
        return CLI_FAIL;
    len = (size_t)snprintf(vars, cap, "{\"add_generation_prompt\": true, \"messages\": [%.*s]}",
                           (int)m->len, m->json ? m->json : "");
    /* The rendered text holds the special tokens already: none are added. */
    if (mnlp_tokenizer_apply_chat_template(tok, NULL, vars, len, MNLP_TEMPLATE_NOW_CLOCK, &text,
                                           &len) != MNLP_OK ||
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

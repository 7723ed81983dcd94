/*
 * Tokenizer load time and single-thread encode throughput.
 *
 * usage: bench_tokenizer CORPUS.jsonl TOKENIZER.json [SECONDS]
 * CORPUS has one JSON string per line; every line is encoded in turn (with
 * special tokens), repeatedly, for SECONDS (default 2). Prints one line:
 *   <load ms> <MB/s> <tokens per pass>
 */
#include "mnlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 3 ? atof(argv[3]) : 2.0, t0, load_ms, elapsed;
    FILE *f;
    char *line = NULL, *texts[4096];
    size_t lens[4096], cap = 0, bytes = 0, tokens = 0;
    ssize_t n;
    int count = 0;
    long passes = 0;
    mnlp_tokenizer *tok;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_tokenizer CORPUS.jsonl TOKENIZER.json [SECONDS]\n");
        return 2;
    }
    if (!(f = fopen(argv[1], "r"))) {
        perror(argv[1]);
        return 1;
    }
    while ((n = getline(&line, &cap, f)) > 0 && count < 4096) {
        mnlp_json_doc *doc;
        size_t len;
        const char *s;

        if (mnlp_json_parse(line, (size_t)n, &doc) != MNLP_OK)
            continue;
        if ((s = mnlp_json_string(mnlp_json_root(doc), &len))) {
            texts[count] = malloc(len + 1);
            memcpy(texts[count], s, len + 1);
            lens[count++] = len;
            bytes += len;
        }
        mnlp_json_free(doc);
    }
    free(line);
    fclose(f);

    t0 = now();
    if (mnlp_tokenizer_load(argv[2], &tok) != MNLP_OK) {
        fprintf(stderr, "%s\n", mnlp_last_error());
        return 1;
    }
    load_ms = (now() - t0) * 1e3;

    t0 = now();
    do {
        for (int i = 0; i < count; i++) {
            mnlp_encoding *e;

            if (mnlp_tokenizer_encode(tok, texts[i], lens[i], true, &e) != MNLP_OK) {
                fprintf(stderr, "%s\n", mnlp_last_error());
                return 1;
            }
            if (passes == 0)
                tokens += mnlp_encoding_len(e);
            mnlp_encoding_free(e);
        }
        passes++;
        elapsed = now() - t0;
    } while (elapsed < seconds);
    printf("%.1f %.2f %zu\n", load_ms, (double)bytes * (double)passes / elapsed / 1e6, tokens);
    for (int i = 0; i < count; i++)
        free(texts[i]);
    mnlp_tokenizer_free(tok);
    return 0;
}

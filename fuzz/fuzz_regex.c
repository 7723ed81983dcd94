/*
 * Fuzz the hand-written tokenizer regexes: on any valid UTF-8 input, every
 * fast pattern must give exactly the runs Oniguruma gives for it. A
 * difference aborts, so libFuzzer keeps the input.
 */
#include "base/utf8.h"
#include "text/fast_regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_KINDS (MN_RX_SPACES2 + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mn_regex *fast_re[N_KINDS], *onig_re[N_KINDS];

static void compile_once(void)
{
    for (int k = MN_RX_NONE + 1; k < N_KINDS; k++) {
        const char *p = mn_rx_pattern((mn_rx_kind)k);

        if (fast_re[k])
            continue;
        if (!p || mn_regex_new(p, strlen(p), &fast_re[k]) != MNLP_OK ||
            mn_regex_new_onig(p, strlen(p), &onig_re[k]) != MNLP_OK)
            abort();
    }
}

static bool same(const mn_matches *a, const mn_matches *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (a->items[i].start != b->items[i].start || a->items[i].end != b->items[i].end ||
            a->items[i].is_match != b->items[i].is_match)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    if (!mn_utf8_valid(s, size, NULL))
        return 0;
    compile_once();
    for (int k = MN_RX_NONE + 1; k < N_KINDS; k++) {
        mn_matches a = {0}, b = {0};

        if (mn_regex_find(fast_re[k], s, size, &a) != MNLP_OK ||
            mn_regex_find(onig_re[k], s, size, &b) != MNLP_OK)
            abort();
        if (!same(&a, &b)) {
            fprintf(stderr, "fast matcher differs from oniguruma: %s\n",
                    mn_rx_pattern((mn_rx_kind)k));
            abort();
        }
        mn_matches_free(&a);
        mn_matches_free(&b);
    }
    return 0;
}

/*
 * Random draws for sampling. torch's generator cannot be reproduced
 * outside torch, so mnlp has its own: xoshiro256** (Blackman and Vigna)
 * seeded through splitmix64. A seed gives the same draws everywhere;
 * sampled tokens match transformers in distribution, not draw for draw.
 */
#include "generate/generate.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void mn_rng_seed(mn_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t mn_rng_next(mn_rng *rng)
{
    uint64_t *s = rng->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double mn_rng_uniform(mn_rng *rng)
{
    return (double)(mn_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* The index where the running sum of w passes u * total; never one of
 * weight 0 (the last positive one if rounding runs past the end). */
static int64_t draw(const float *w, int64_t n, double total, mn_rng *rng)
{
    double u = mn_rng_uniform(rng) * total, cum = 0;
    int64_t last = -1;

    for (int64_t i = 0; i < n; i++) {
        if (w[i] <= 0)
            continue;
        last = i;
        cum += w[i];
        if (u < cum)
            return i;
    }
    return last;
}

int64_t mn_sample(const float *scores, int64_t n, float *probs, mn_rng *rng)
{
    double total = 0;
    int64_t i;

    mn_softmax(scores, n, probs);
    for (int64_t j = 0; j < n; j++)
        total += probs[j];
    i = draw(probs, n, total, rng);
    return i < 0 ? 0 : i;
}

void mn_sample_k(float *probs, int64_t n, int64_t k, int64_t *out, mn_rng *rng)
{
    for (int64_t j = 0; j < k; j++) {
        double total = 0;
        int64_t i;

        for (int64_t m = 0; m < n; m++)
            total += probs[m] > 0 ? probs[m] : 0;
        i = draw(probs, n, total, rng);
        /* Fewer positive weights than k: torch errors; take the first
         * index not drawn yet, as a zero-probability pick. */
        if (i < 0)
            for (i = 0; i < n && probs[i] < 0; i++)
                ;
        out[j] = i;
        probs[i] = -1;  /* drawn */
    }
}

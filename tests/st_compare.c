/*
 * st_compare A B ATOL RTOL NAME...: each named F32 tensor of A equals B's
 * within |a - b| <= ATOL + RTOL * |b|, with the same shape. Exit 0 when all
 * do; otherwise a line per difference and exit 1. Used by test_cli.sh.
 */
#include "mnlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    mnlp_safetensors *a = NULL, *b = NULL;
    double atol, rtol;
    int bad = 0;

    if (argc < 6) {
        fprintf(stderr, "usage: st_compare A B ATOL RTOL NAME...\n");
        return 2;
    }
    atol = atof(argv[3]);
    rtol = atof(argv[4]);
    if (mnlp_safetensors_open(argv[1], &a) != MNLP_OK ||
        mnlp_safetensors_open(argv[2], &b) != MNLP_OK) {
        fprintf(stderr, "st_compare: %s\n", mnlp_last_error());
        return 1;
    }
    for (int i = 5; i < argc; i++) {
        mnlp_tensor_info ia, ib;
        const void *da, *db;
        double worst = 0;
        unsigned long long fails = 0;

        if (mnlp_safetensors_find(a, argv[i], &ia, &da) != MNLP_OK ||
            mnlp_safetensors_find(b, argv[i], &ib, &db) != MNLP_OK || ia.dtype != ib.dtype ||
            ia.dtype != MNLP_DTYPE_F32 || ia.nbytes != ib.nbytes || ia.ndim != ib.ndim ||
            memcmp(ia.shape, ib.shape, sizeof ia.shape) != 0) {
            printf("%s: missing, not F32, or shapes differ\n", argv[i]);
            bad++;
            continue;
        }
        for (uint64_t k = 0; k < ia.nbytes / 4; k++) {
            float x, y;
            double d;

            memcpy(&x, (const char *)da + 4 * k, 4);
            memcpy(&y, (const char *)db + 4 * k, 4);
            d = fabs((double)x - y);
            if (!(d <= atol + rtol * fabs((double)y))) {
                fails++;
                if (!(d <= worst))
                    worst = d;
            }
        }
        if (fails) {
            printf("%s: %llu values differ, by up to %g\n", argv[i], fails, worst);
            bad++;
        }
    }
    mnlp_safetensors_free(a);
    mnlp_safetensors_free(b);
    return bad ? 1 : 0;
}

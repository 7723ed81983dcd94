/* Builds safetensors images by hand for tests: header text plus n data bytes. */
#ifndef MNLP_TEST_ST_BUILD_H
#define MNLP_TEST_ST_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Returns a malloc'd image of 8 + strlen(header) + data_len bytes; data
 * bytes are 0, 1, 2, ... so tests can check which bytes a tensor sees. */
static inline unsigned char *st_image(const char *header, size_t data_len, size_t *size)
{
    size_t h = strlen(header);
    unsigned char *img = malloc(8 + h + data_len + 1);

    for (int i = 0; i < 8; i++)
        img[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(img + 8, header, h);
    for (size_t i = 0; i < data_len; i++)
        img[8 + h + i] = (unsigned char)i;
    *size = 8 + h + data_len;
    return img;
}

#endif

/* GPT-2's byte-to-unicode table (tokenizers' bytes_char). */
#include "text/tok.h"

/*
 * Printable Latin-1 bytes map to themselves; the other 68 bytes map, in
 * order, to U+0100 onwards, so that every byte has a visible character.
 */
static bool printable(unsigned b)
{
    return (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
}

uint32_t mn_bytelevel_char(uint8_t b)
{
    uint32_t n = 0;

    if (printable(b))
        return b;
    for (unsigned i = 0; i < b; i++)
        n += !printable(i);
    return 256 + n;
}

int mn_bytelevel_byte(uint32_t cp)
{
    if (cp < 256)
        return printable(cp) ? (int)cp : -1;
    for (unsigned b = 0, n = 0; b < 256; b++) {
        if (printable(b))
            continue;
        if (256 + n == cp)
            return (int)b;
        n++;
    }
    return -1;
}

/* UTF-8 decoding and validation (RFC 3629: no overlongs, no surrogates). */
#ifndef MN_UTF8_H
#define MN_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode the code point at s[0..n). Returns its length in bytes (1-4) and
 * stores it in *cp, or returns 0 when the bytes are not valid UTF-8.
 */
int mn_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Encode cp (<= 0x10FFFF, not a surrogate) into out; returns 1-4, or 0. */
int mn_utf8_encode(uint32_t cp, char out[4]);

/*
 * True when s[0..n) is valid UTF-8. On false, *bad_offset (if not NULL)
 * receives the byte offset of the first invalid sequence.
 */
bool mn_utf8_valid(const char *s, size_t n, size_t *bad_offset);

#endif

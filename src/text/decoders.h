/*
 * Turning token strings back into text: tokenizers' Decoder::decode on top
 * of the decoders that mn_decoder_from_json (text/tok.h) builds.
 */
#ifndef MN_DECODERS_H
#define MN_DECODERS_H

#include "text/tok.h"

/*
 * tokenizers' Decoder::decode: run d's decode_chain over tokens, which it
 * rewrites in place (the caller still owns and frees them), then join the
 * resulting pieces into *out, a new NUL-terminated string of *len bytes
 * (which may hold NULs) that the caller frees with mn_free. On failure *out
 * is NULL and the status says why.
 */
mnlp_status mn_decoder_decode(const mn_decoder *d, mn_strs *tokens, char **out, size_t *len);

#endif

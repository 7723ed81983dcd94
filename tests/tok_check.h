/* Corpus comparison shared by the tokenizer tests (tok_check.c). */
#ifndef MNLP_TOK_CHECK_H
#define MNLP_TOK_CHECK_H

#include "test.h"

#include "base/json.h"

/* Whether an expected JSON array equals the encoding's ids, tokens or
 * offsets (code points). */
bool test_same_ints(const mn_json *arr, const int32_t *v, size_t n);
bool test_same_tokens(const mn_json *arr, const mnlp_encoding *e);
bool test_same_offsets(const mn_json *arr, const mnlp_encoding *e);

/* Print the first tokens of e after "line N WHAT differs". */
void test_describe(const char *what, int line, const mnlp_encoding *e, const mn_json *want);

/*
 * Encode every corpus line with and without special tokens and decode it
 * both ways; compare with expected_path (expected.jsonl). Each differing
 * line is printed (up to 5) and the test fails naming name.
 */
void test_check_corpus(const mnlp_tokenizer *tok, const char *expected_path, const char *name);

/* The same, with the expected decodes passed through transformers'
 * clean_up_tokenization (clean_up_tokenization_spaces). */
void test_check_corpus_cleaned(const mnlp_tokenizer *tok, const char *expected_path,
                               const char *name);

/* The same, where the corpus lines numbered in differ (1-based) are known
 * to differ: each of them must differ (a listed line that matches fails,
 * so the list cannot go stale), every other line must match. */
void test_check_corpus_except(const mnlp_tokenizer *tok, const char *expected_path,
                              const char *name, const int *differ, int n_differ);

#endif

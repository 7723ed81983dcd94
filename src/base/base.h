/*
 * Internal base services: error recording, logging, allocation, arrays.
 * Internal names start with mn_; public ones (include/mnlp/) with mnlp_.
 */
#ifndef MN_BASE_H
#define MN_BASE_H

#include "mnlp/base.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MN_ERROR_MAX 1024

#if defined(__GNUC__) || defined(__clang__)
#define MN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MN_PRINTF(f, a)
#endif

/* ---- Errors ---------------------------------------------------------- */

/*
 * Record a failure on this thread and return its status, so that callers
 * write `return mn_errorf(MNLP_ERR_FORMAT, "...", ...);`.
 */
mnlp_status mn_errorf(mnlp_status status, const char *fmt, ...) MN_PRINTF(2, 3);

/*
 * Put context in front of the current message: after a nested call failed
 * with `tensor "w": bad dtype`, mn_error_prefix("%s", path) makes it
 * `model.safetensors: tensor "w": bad dtype`. Returns status unchanged.
 */
mnlp_status mn_error_prefix(mnlp_status status, const char *fmt, ...) MN_PRINTF(2, 3);

/*
 * Handles keep the message of their own last failure, as SQLite keeps one
 * per connection: a failed call on a handle returns mn_error_keep(h->error,
 * rc), which copies the thread's message there and returns rc. The buffer
 * is not synchronised; threads sharing a handle read mnlp_last_error().
 */
mnlp_status mn_error_keep(char *handle_error, mnlp_status status);

/* ---- Logging --------------------------------------------------------- */

void mn_log(mnlp_log_level level, const char *fmt, ...) MN_PRINTF(2, 3);
bool mn_log_enabled(mnlp_log_level level);

#define mn_debug(...) mn_log(MNLP_LOG_DEBUG, __VA_ARGS__)
#define mn_info(...) mn_log(MNLP_LOG_INFO, __VA_ARGS__)
#define mn_warn(...) mn_log(MNLP_LOG_WARN, __VA_ARGS__)

/* ---- Allocation ------------------------------------------------------ */

/* These never record an error; callers turn NULL into MNLP_ERR_OUT_OF_MEMORY. */
void *mn_malloc(size_t size);
void *mn_calloc(size_t count, size_t size); /* NULL when count * size overflows */
void *mn_realloc(void *ptr, size_t size);
void *mn_reallocn(void *ptr, size_t count, size_t size);
void mn_free(void *ptr);
char *mn_strdup(const char *s);
char *mn_strndup(const char *s, size_t n);

/* printf into a new string owned by the caller (mn_free); NULL on failure. */
char *mn_asprintf(const char *fmt, ...) MN_PRINTF(1, 2);

/* Overflow-checked arithmetic on sizes read from untrusted files. */
static inline bool mn_mul_overflow(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline bool mn_add_overflow(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_add_overflow(a, b, out);
}

/*
 * Grow *items (of elem_size bytes each) so that it holds at least need
 * elements; *cap tracks the capacity. Returns false when out of memory or
 * when the size would overflow, leaving the array untouched.
 */
bool mn_grow(void **items, int *cap, int need, size_t elem_size);

/* ---- Strings --------------------------------------------------------- */

/* A growable byte string; mn_sb_* report out-of-memory through ok. */
typedef struct mn_sb {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} mn_sb;

void mn_sb_append(mn_sb *sb, const char *s, size_t n);
void mn_sb_puts(mn_sb *sb, const char *s);
void mn_sb_printf(mn_sb *sb, const char *fmt, ...) MN_PRINTF(2, 3);
void mn_sb_free(mn_sb *sb);

/* Hash of n bytes (FNV-1a, 64 bit). */
uint64_t mn_hash(const void *data, size_t n);

#endif

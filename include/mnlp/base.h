/*
 * mnlp base: status codes, error messages, logging, allocation, threads.
 *
 * Every public mnlp function that can fail returns an mnlp_status. The
 * detailed message (what failed and where) is kept per thread and read with
 * mnlp_last_error(); each handle also keeps the message of its own last
 * failure (mnlp_config_error(), mnlp_checkpoint_error(), ...).
 */
#ifndef MNLP_BASE_H
#define MNLP_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MNLP_VERSION_MAJOR 0
#define MNLP_VERSION_MINOR 1
#define MNLP_VERSION_PATCH 0
#define MNLP_VERSION_STRING "0.1.0"

/* ---- Status ---------------------------------------------------------- */

typedef enum mnlp_status {
    MNLP_OK = 0,
    MNLP_ERR_INVALID_ARGUMENT = -1, /* a caller passed something unusable */
    MNLP_ERR_OUT_OF_MEMORY = -2,
    MNLP_ERR_IO = -3,               /* the operating system refused a read */
    MNLP_ERR_NOT_FOUND = -4,        /* a file, model, tensor or key is absent */
    MNLP_ERR_FORMAT = -5,           /* a file is malformed */
    MNLP_ERR_UNSUPPORTED = -6,      /* well-formed, but mnlp cannot run it */
    MNLP_ERR_LIMIT = -7,            /* a size or count exceeds a safety limit */
    MNLP_ERR_MISMATCH = -8,         /* parts that must agree do not */
    MNLP_ERR_INTERNAL = -9,         /* a bug in mnlp */
} mnlp_status;

/* A short static description of a status code ("malformed input"). */
const char *mnlp_strerror(mnlp_status status);

/*
 * The message of the last failure on the calling thread, e.g.
 * `model.safetensors: tensor "w": data_offsets [0, 64) overlap "b"`.
 * The string is owned by mnlp and valid until the thread's next failure.
 * Returns "" when nothing failed yet.
 */
const char *mnlp_last_error(void);

/* The library version, "MAJOR.MINOR.PATCH". */
const char *mnlp_version(void);

/* ---- Logging --------------------------------------------------------- */

typedef enum mnlp_log_level {
    MNLP_LOG_DEBUG = 0,
    MNLP_LOG_INFO = 1,
    MNLP_LOG_WARN = 2,
    MNLP_LOG_ERROR = 3,
    MNLP_LOG_NONE = 4,
} mnlp_log_level;

/* Receives one complete log line, without a trailing newline. */
typedef void (*mnlp_log_fn)(mnlp_log_level level, const char *message, void *user);

/*
 * Route all of mnlp's log lines to fn (NULL restores the default sink,
 * which writes to stderr). Lines below min_level are dropped before
 * formatting. The default level is MNLP_LOG_WARN, or what the MNLP_LOG
 * environment variable says (debug, info, warn, error, none).
 */
void mnlp_log_set(mnlp_log_fn fn, void *user, mnlp_log_level min_level);

/* The level below which lines are dropped. */
mnlp_log_level mnlp_log_level_get(void);

/* Parse "debug", "info", "warn", "error" or "none"; -1 if none match. */
int mnlp_log_level_parse(const char *name);

/* ---- Allocation ------------------------------------------------------ */

/*
 * Replacement allocator. All three functions must be set; they receive the
 * user pointer. realloc(p, 0) is never called; free(NULL) may be.
 * Install before any other mnlp call: memory is always released through
 * the allocator that was current when it was obtained only if that stays
 * installed, so switching allocators with live objects is an error.
 */
typedef struct mnlp_allocator {
    void *(*malloc)(size_t size, void *user);
    void *(*realloc)(void *ptr, size_t size, void *user);
    void (*free)(void *ptr, void *user);
    void *user;
} mnlp_allocator;

/* Install an allocator (NULL restores the C library's). */
void mnlp_set_allocator(const mnlp_allocator *allocator);

/* ---- Threads --------------------------------------------------------- */

/*
 * Number of threads mnlp's compute uses. Defaults to MNLP_NUM_THREADS when
 * set to a positive integer, otherwise the number of online processors.
 */
int mnlp_num_threads(void);

/*
 * Change the thread count (n >= 1). Takes effect for the next parallel
 * operation; must not be called while one is running.
 */
mnlp_status mnlp_set_num_threads(int n);

#ifdef __cplusplus
}
#endif

#endif

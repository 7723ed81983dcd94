/* Allocation through replaceable hooks, and small growable containers. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t size, void *user)
{
    (void)user;
    return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *user)
{
    (void)user;
    return realloc(ptr, size);
}

static void libc_free(void *ptr, void *user)
{
    (void)user;
    free(ptr);
}

static mnlp_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

void mnlp_set_allocator(const mnlp_allocator *allocator)
{
    if (allocator && allocator->malloc && allocator->realloc && allocator->free)
        current = *allocator;
    else
        current = (mnlp_allocator){libc_malloc, libc_realloc, libc_free, NULL};
}

void *mn_malloc(size_t size)
{
    return current.malloc(size ? size : 1, current.user);
}

void *mn_calloc(size_t count, size_t size)
{
    uint64_t total;
    void *p;

    if (mn_mul_overflow(count, size, &total) || total > SIZE_MAX)
        return NULL;
    p = mn_malloc((size_t)total);
    if (p)
        memset(p, 0, (size_t)total);
    return p;
}

void *mn_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return mn_malloc(size);
    return current.realloc(ptr, size ? size : 1, current.user);
}

void *mn_reallocn(void *ptr, size_t count, size_t size)
{
    uint64_t total;

    if (mn_mul_overflow(count, size, &total) || total > SIZE_MAX)
        return NULL;
    return mn_realloc(ptr, (size_t)total);
}

void mn_free(void *ptr)
{
    if (ptr)
        current.free(ptr, current.user);
}

char *mn_strndup(const char *s, size_t n)
{
    char *d = mn_malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *mn_strdup(const char *s)
{
    return mn_strndup(s, strlen(s));
}

char *mn_asprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = mn_malloc((size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

bool mn_grow(void **items, int *cap, int need, size_t elem_size)
{
    int new_cap;
    void *p;

    if (need <= *cap)
        return true;
    if (need < 0 || need > INT32_MAX / 2)
        return false;
    new_cap = *cap ? *cap : 8;
    while (new_cap < need)
        new_cap *= 2;
    p = mn_reallocn(*items, (size_t)new_cap, elem_size);
    if (!p)
        return false;
    *items = p;
    *cap = new_cap;
    return true;
}

void mn_sb_append(mn_sb *sb, const char *s, size_t n)
{
    if (sb->failed)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        char *p;

        while (cap < sb->len + n + 1)
            cap *= 2;
        p = mn_realloc(sb->data, cap);
        if (!p) {
            sb->failed = true;
            return;
        }
        sb->data = p;
        sb->cap = cap;
    }
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void mn_sb_puts(mn_sb *sb, const char *s)
{
    mn_sb_append(sb, s, strlen(s));
}

void mn_sb_printf(mn_sb *sb, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = true;
    } else if ((size_t)n < sizeof small) {
        mn_sb_append(sb, small, (size_t)n);
    } else {
        char *big = mn_malloc((size_t)n + 1);

        if (!big) {
            sb->failed = true;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        mn_sb_append(sb, big, (size_t)n);
        mn_free(big);
    }
}

void mn_sb_free(mn_sb *sb)
{
    mn_free(sb->data);
    *sb = (mn_sb){0};
}

uint64_t mn_hash(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

#include "base/json.h"

#include "base/utf8.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Arena: every node and string of a document lives in its chunks ---- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

struct mn_json_doc {
    chunk *chunks;
    mn_json *root;
};

static void *arena_alloc(mn_json_doc *doc, size_t size)
{
    chunk *c = doc->chunks;
    size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);

    if (!c || c->cap - c->used < need) {
        size_t cap = need > 65536 ? need : 65536;

        c = mn_malloc(sizeof(chunk) + cap);
        if (!c)
            return NULL;
        c->next = doc->chunks;
        c->used = 0;
        c->cap = cap;
        doc->chunks = c;
    }
    c->used += need;
    return (char *)c->data + c->used - need;
}

void mn_json_free(mn_json_doc *doc)
{
    if (!doc)
        return;
    for (chunk *c = doc->chunks, *next; c; c = next) {
        next = c->next;
        mn_free(c);
    }
    mn_free(doc);
}

const mn_json *mn_json_root(const mn_json_doc *doc)
{
    return doc->root;
}

/* ---- Parser ----------------------------------------------------------- */

typedef struct parser {
    const char *s;
    size_t n, pos;
    int depth, max_depth;
    mn_json_doc *doc;
    /* Members of the containers being parsed, innermost last. */
    mn_json *stack;
    int stack_len, stack_cap;
    mn_sb scratch;
} parser;

static mnlp_status fail_at(parser *p, size_t pos, mnlp_status st, const char *what)
{
    size_t line = 1, col = 1;

    for (size_t i = 0; i < pos && i < p->n; i++) {
        if (p->s[i] == '\n')
            line++, col = 1;
        else if (((unsigned char)p->s[i] & 0xc0) != 0x80)
            col++;
    }
    return mn_errorf(st, "line %zu, column %zu: %s", line, col, what);
}

static mnlp_status fail(parser *p, const char *what)
{
    return fail_at(p, p->pos, MNLP_ERR_FORMAT, what);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->n) {
        char c = p->s[p->pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool literal(parser *p, const char *word)
{
    size_t len = strlen(word);

    if (p->n - p->pos < len || memcmp(p->s + p->pos, word, len) != 0)
        return false;
    p->pos += len;
    return true;
}

static int hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Reads a \uXXXX escape (after the backslash-u) including a surrogate pair. */
static mnlp_status unicode_escape(parser *p, uint32_t *cp)
{
    int hi, lo;

    if (p->n - p->pos < 4 || (hi = hex4(p->s + p->pos)) < 0)
        return fail(p, "\\u must be followed by four hex digits");
    p->pos += 4;
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return fail(p, "lone low surrogate in \\u escape");
    if (hi < 0xd800 || hi > 0xdbff) {
        *cp = (uint32_t)hi;
        return MNLP_OK;
    }
    if (p->n - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
        (lo = hex4(p->s + p->pos + 2)) < 0xdc00 || lo > 0xdfff)
        return fail(p, "high surrogate in \\u escape not followed by a low surrogate");
    p->pos += 6;
    *cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
    return MNLP_OK;
}

/* Parses a string literal into p->scratch (cleared first). */
static mnlp_status string_body(parser *p)
{
    p->scratch.len = 0;
    p->pos++; /* opening quote */
    for (;;) {
        size_t start = p->pos;
        unsigned char c;

        while (p->pos < p->n && (c = (unsigned char)p->s[p->pos]) != '"' && c != '\\' &&
               c >= 0x20)
            p->pos++;
        if (p->pos > start) {
            size_t bad;

            if (!mn_utf8_valid(p->s + start, p->pos - start, &bad))
                return fail_at(p, start + bad, MNLP_ERR_FORMAT, "invalid UTF-8 in string");
            mn_sb_append(&p->scratch, p->s + start, p->pos - start);
        }
        if (p->pos >= p->n)
            return fail(p, "unterminated string");
        c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20)
            return fail(p, "control character in string (must be escaped)");
        if (++p->pos >= p->n)
            return fail(p, "unterminated string");
        c = (unsigned char)p->s[p->pos++];
        switch (c) {
        case '"': mn_sb_append(&p->scratch, "\"", 1); break;
        case '\\': mn_sb_append(&p->scratch, "\\", 1); break;
        case '/': mn_sb_append(&p->scratch, "/", 1); break;
        case 'b': mn_sb_append(&p->scratch, "\b", 1); break;
        case 'f': mn_sb_append(&p->scratch, "\f", 1); break;
        case 'n': mn_sb_append(&p->scratch, "\n", 1); break;
        case 'r': mn_sb_append(&p->scratch, "\r", 1); break;
        case 't': mn_sb_append(&p->scratch, "\t", 1); break;
        case 'u': {
            uint32_t cp = 0;
            char buf[4];
            mnlp_status st = unicode_escape(p, &cp);

            if (st != MNLP_OK)
                return st;
            mn_sb_append(&p->scratch, buf, (size_t)mn_utf8_encode(cp, buf));
            break;
        }
        default:
            p->pos--;
            return fail(p, "invalid escape in string");
        }
    }
    if (p->scratch.failed)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory reading JSON string");
    return MNLP_OK;
}

static char *scratch_copy(parser *p, size_t *len)
{
    char *s = arena_alloc(p->doc, p->scratch.len + 1);

    if (s) {
        if (p->scratch.len)
            memcpy(s, p->scratch.data, p->scratch.len);
        s[p->scratch.len] = '\0';
    }
    *len = p->scratch.len;
    return s;
}

/* strtod in the "C" locale, whatever locale the host program set. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static double c_strtod(const char *s)
{
    locale_t old;
    double d;

    pthread_once(&c_locale_once, make_c_locale);
    if (!c_locale)
        return strtod(s, NULL);
    old = uselocale(c_locale);
    d = strtod(s, NULL);
    uselocale(old);
    return d;
}

static mnlp_status number(parser *p, mn_json *v)
{
    size_t start = p->pos;
    bool integral = true;
    char buf[64];
    size_t len;

    if (p->pos < p->n && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return fail(p, "invalid number");
    if (p->s[p->pos] == '0')
        p->pos++;
    else
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    if (p->pos < p->n && p->s[p->pos] == '.') {
        integral = false;
        p->pos++;
        if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return fail(p, "expected a digit after '.'");
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integral = false;
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return fail(p, "expected a digit in exponent");
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    len = p->pos - start;
    if (len >= sizeof buf)
        return fail_at(p, start, MNLP_ERR_LIMIT, "number longer than 63 characters");
    memcpy(buf, p->s + start, len);
    buf[len] = '\0';
    v->type = MN_JSON_NUMBER;
    v->number = c_strtod(buf);
    if (integral) {
        bool neg = buf[0] == '-';
        uint64_t mag = 0;
        bool fits = true;

        for (const char *d = buf + neg; *d && fits; d++)
            fits = !mn_mul_overflow(mag, 10, &mag) && !mn_add_overflow(mag, (uint64_t)(*d - '0'),
                                                                       &mag);
        if (fits && mag <= (uint64_t)INT64_MAX + neg) {
            v->is_int = true;
            v->integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        }
    }
    return MNLP_OK;
}

static mnlp_status value(parser *p, mn_json *v);

static bool push(parser *p, const mn_json *v)
{
    if (!mn_grow((void **)&p->stack, &p->stack_cap, p->stack_len + 1, sizeof *v))
        return false;
    p->stack[p->stack_len++] = *v;
    return true;
}

/* Moves the top count members of the stack into the arena as v's items. */
static mnlp_status close_container(parser *p, mn_json *v, int count)
{
    v->len = (size_t)count;
    if (count > 0) {
        v->items = arena_alloc(p->doc, sizeof(mn_json) * (size_t)count);
        if (!v->items)
            return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory parsing JSON");
        memcpy(v->items, p->stack + p->stack_len - count, sizeof(mn_json) * (size_t)count);
        p->stack_len -= count;
    }
    p->depth--;
    return MNLP_OK;
}

static mnlp_status container(parser *p, mn_json *v, bool is_object)
{
    char close = is_object ? '}' : ']';
    int count = 0;
    mnlp_status st;

    if (++p->depth > p->max_depth)
        return fail_at(p, p->pos, MNLP_ERR_LIMIT, "nesting deeper than the limit");
    v->type = is_object ? MN_JSON_OBJECT : MN_JSON_ARRAY;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
        return close_container(p, v, 0);
    }
    for (;;) {
        mn_json member = {0};

        skip_ws(p);
        if (is_object) {
            if (p->pos >= p->n || p->s[p->pos] != '"')
                return fail(p, "expected a string key");
            if ((st = string_body(p)) != MNLP_OK)
                return st;
            member.key = scratch_copy(p, &member.key_len);
            if (!member.key)
                return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory parsing JSON");
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':')
                return fail(p, "expected ':'");
            p->pos++;
            skip_ws(p);
        }
        if ((st = value(p, &member)) != MNLP_OK)
            return st;
        if (!push(p, &member))
            return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory parsing JSON");
        count++;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == close) {
            p->pos++;
            return close_container(p, v, count);
        }
        return fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static mnlp_status value(parser *p, mn_json *v)
{
    mnlp_status st;

    skip_ws(p);
    v->offset = p->pos;
    if (p->pos >= p->n)
        return fail(p, "unexpected end of input");
    switch (p->s[p->pos]) {
    case '{': return container(p, v, true);
    case '[': return container(p, v, false);
    case '"':
        if ((st = string_body(p)) != MNLP_OK)
            return st;
        v->type = MN_JSON_STRING;
        v->str = scratch_copy(p, &v->len);
        return v->str ? MNLP_OK : mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    case 't':
    case 'f':
    case 'n':
        if (literal(p, "true")) {
            v->type = MN_JSON_BOOL;
            v->boolean = true;
        } else if (literal(p, "false")) {
            v->type = MN_JSON_BOOL;
        } else if (literal(p, "null")) {
            v->type = MN_JSON_NULL;
        } else {
            return fail(p, "invalid literal");
        }
        return MNLP_OK;
    default:
        return number(p, v);
    }
}

/* Parents are set once the tree stops moving (members are copied on close). */
static void link_parents(mn_json *v)
{
    for (size_t i = 0; i < v->len && v->items; i++) {
        v->items[i].parent = v;
        v->items[i].index = i;
        if (v->items[i].type == MN_JSON_ARRAY || v->items[i].type == MN_JSON_OBJECT)
            link_parents(&v->items[i]);
    }
}

mnlp_status mn_json_parse(const char *text, size_t len, const mn_json_limits *limits,
                          mn_json_doc **out)
{
    parser p = {.s = text, .n = len, .max_depth = limits ? limits->max_depth : 512};
    mn_json root = {0};
    mnlp_status st;

    *out = NULL;
    p.doc = mn_calloc(1, sizeof *p.doc);
    if (!p.doc)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory parsing JSON");
    st = value(&p, &root);
    if (st == MNLP_OK) {
        skip_ws(&p);
        if (p.pos < p.n)
            st = fail(&p, "unexpected data after the JSON value");
    }
    if (st == MNLP_OK && !(p.doc->root = arena_alloc(p.doc, sizeof root)))
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory parsing JSON");
    mn_free(p.stack);
    mn_sb_free(&p.scratch);
    if (st != MNLP_OK) {
        mn_json_free(p.doc);
        return st;
    }
    *p.doc->root = root;
    link_parents(p.doc->root);
    *out = p.doc;
    return MNLP_OK;
}

/* ---- Access ----------------------------------------------------------- */

const mn_json *mn_json_get(const mn_json *obj, const char *key)
{
    size_t key_len;

    if (!obj || obj->type != MN_JSON_OBJECT)
        return NULL;
    key_len = strlen(key);
    for (size_t i = obj->len; i-- > 0;)
        if (obj->items[i].key_len == key_len && memcmp(obj->items[i].key, key, key_len) == 0)
            return &obj->items[i];
    return NULL;
}

const mn_json *mn_json_at(const mn_json *node, size_t i)
{
    if (!node || (node->type != MN_JSON_ARRAY && node->type != MN_JSON_OBJECT) ||
        i >= node->len)
        return NULL;
    return &node->items[i];
}

const char *mn_json_type_name(mn_json_type type)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "array",
                                        "object"};

    return (unsigned)type < (unsigned)MN_COUNT(names) ? names[type] : "?";
}

static bool is_identifier(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static void path_into(const mn_json *node, mn_sb *sb)
{
    if (!node->parent)
        return;
    path_into(node->parent, sb);
    if (node->parent->type == MN_JSON_ARRAY) {
        mn_sb_printf(sb, "[%zu]", node->index);
    } else if (is_identifier(node->key, node->key_len)) {
        if (node->parent->parent)
            mn_sb_append(sb, ".", 1);
        mn_sb_append(sb, node->key, node->key_len);
    } else {
        mn_sb_append(sb, "[", 1);
        mn_json_write_string(sb, node->key, node->key_len, false);
        mn_sb_append(sb, "]", 1);
    }
}

const char *mn_json_path(const mn_json *node, char *buf, size_t size)
{
    mn_sb sb = {0};

    if (size == 0)
        return buf;
    path_into(node, &sb);
    snprintf(buf, size, "%s", sb.len ? sb.data : "(root)");
    mn_sb_free(&sb);
    return buf;
}

void mn_json_write_string(mn_sb *sb, const char *s, size_t n, bool ensure_ascii)
{
    const unsigned char *u = (const unsigned char *)s;

    mn_sb_append(sb, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        uint32_t cp;
        int len;

        if (c == '"' || c == '\\') {
            mn_sb_append(sb, "\\", 1);
            mn_sb_append(sb, s + i, 1);
            i++;
        } else if (c < 0x20) {
            static const char short_esc[] = "btn?fr";

            if (c >= '\b' && c <= '\r' && c != 0x0b)
                mn_sb_printf(sb, "\\%c", short_esc[c - '\b']);
            else
                mn_sb_printf(sb, "\\u%04x", c);
            i++;
        } else if (c < 0x80 || !ensure_ascii) {
            mn_sb_append(sb, s + i, 1);
            i++;
        } else if ((len = mn_utf8_decode(u + i, n - i, &cp)) == 0) {
            mn_sb_printf(sb, "\\ufffd");
            i++;
        } else {
            if (cp >= 0x10000) {
                cp -= 0x10000;
                mn_sb_printf(sb, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            } else {
                mn_sb_printf(sb, "\\u%04x", cp);
            }
            i += (size_t)len;
        }
    }
    mn_sb_append(sb, "\"", 1);
}

void mn_json_write_value(mn_sb *sb, const mn_json *v)
{
    switch (v->type) {
    case MN_JSON_NULL:
        mn_sb_puts(sb, "null");
        break;
    case MN_JSON_BOOL:
        mn_sb_puts(sb, v->boolean ? "true" : "false");
        break;
    case MN_JSON_NUMBER:
        if (v->is_int)
            mn_sb_printf(sb, "%lld", (long long)v->integer);
        else
            mn_sb_printf(sb, "%.17g", v->number);
        break;
    case MN_JSON_STRING:
        mn_json_write_string(sb, v->str, v->len, false);
        break;
    case MN_JSON_ARRAY:
    case MN_JSON_OBJECT:
        mn_sb_puts(sb, v->type == MN_JSON_ARRAY ? "[" : "{");
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                mn_sb_puts(sb, ",");
            if (v->type == MN_JSON_OBJECT) {
                mn_json_write_string(sb, v->items[i].key, v->items[i].key_len, false);
                mn_sb_puts(sb, ":");
            }
            mn_json_write_value(sb, &v->items[i]);
        }
        mn_sb_puts(sb, v->type == MN_JSON_ARRAY ? "]" : "}");
        break;
    }
}

/*
 * Jinja values with Python's semantics: truthiness, equality, ordering,
 * str() and repr() (True, None, ['a', 1], floats as Python's repr), and
 * json.dumps as transformers' tojson calls it (ensure_ascii=False).
 * Everything lives in the render's arena.
 */
#include "text/jinja.h"

#include "base/json.h"
#include "base/utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- Arena ----------------------------------------------------------- */

struct jn_block {
    jn_block *next;
    size_t size, used;
    max_align_t data[];
};

void jn_failf(jn_fail *f, mnlp_status status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    f->status = status;
    longjmp(f->jump, 1);
}

void *jn_alloc(jn_arena *a, jn_fail *f, size_t size)
{
    jn_block *b = a->head;
    size_t need = (size + 15) & ~(size_t)15;
    void *p;

    if (size > SIZE_MAX / 2)
        jn_failf(f, MNLP_ERR_LIMIT, "template memory exceeds max_memory (%zu bytes)", a->limit);
    if (!b || b->size - b->used < need) {
        size_t bsize = need > 60000 ? need : 65536 - sizeof *b;

        if (a->limit && a->used + bsize > a->limit)
            jn_failf(f, MNLP_ERR_LIMIT, "template memory exceeds max_memory (%zu bytes)",
                     a->limit);
        b = mn_malloc(sizeof *b + bsize);
        if (!b)
            jn_failf(f, MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        b->next = a->head;
        b->size = bsize;
        b->used = 0;
        a->head = b;
        a->used += bsize;
    }
    p = (char *)b->data + b->used;
    b->used += need;
    memset(p, 0, size);
    return p;
}

void jn_arena_free(jn_arena *a)
{
    while (a->head) {
        jn_block *next = a->head->next;
        mn_free(a->head);
        a->head = next;
    }
    a->used = 0;
}

/* ---- Constructors ---------------------------------------------------- */

jv jv_none(void)
{
    return (jv){.t = JV_NONE};
}

jv jv_bool(bool b)
{
    return (jv){.t = JV_BOOL, .b = b};
}

jv jv_int(int64_t i)
{
    return (jv){.t = JV_INT, .i = i};
}

jv jv_float(double f)
{
    return (jv){.t = JV_FLOAT, .f = f};
}

jv jv_str_n(jn_ctx *c, const char *s, size_t n)
{
    jv v = {.t = JV_STR};

    v.s = jn_new(c, sizeof *v.s + n + 1);
    v.s->len = n;
    if (n && s)
        memcpy(v.s->s, s, n);
    return v;
}

jv jv_cstr(jn_ctx *c, const char *s)
{
    return jv_str_n(c, s, strlen(s));
}

jv jv_list_new(jn_ctx *c, jv_type t, size_t cap)
{
    jv v = {.t = t};

    v.l = jn_new(c, sizeof *v.l);
    if (cap) {
        v.l->v = jn_new(c, cap * sizeof *v.l->v);
        v.l->cap = cap;
    }
    return v;
}

void jv_list_push(jn_ctx *c, jv list, jv v)
{
    jv_list *l = list.l;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        jv *g = jn_new(c, cap * sizeof *g);

        if (l->n)
            memcpy(g, l->v, l->n * sizeof *g);
        l->v = g;
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

jv jv_dict_new(jn_ctx *c, jv_type t)
{
    jv v = {.t = t};

    v.d = jn_new(c, sizeof *v.d);
    return v;
}

static bool dict_find(const jv_dict *d, jv key, size_t *at)
{
    for (size_t i = 0; i < d->n; i++) {
        if (jv_equal(d->k[i], key)) {
            *at = i;
            return true;
        }
    }
    return false;
}

void jv_dict_set(jn_ctx *c, jv dict, jv key, jv v)
{
    jv_dict *d = dict.d;
    size_t at;

    if (dict_find(d, key, &at)) {
        d->v[at] = v;
        return;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        jv *k = jn_new(c, cap * sizeof *k);
        jv *vals = jn_new(c, cap * sizeof *vals);

        if (d->n) {
            memcpy(k, d->k, d->n * sizeof *k);
            memcpy(vals, d->v, d->n * sizeof *vals);
        }
        d->k = k;
        d->v = vals;
        d->cap = cap;
    }
    d->k[d->n] = key;
    d->v[d->n++] = v;
}

bool jv_dict_get(jv dict, jv key, jv *out)
{
    size_t at;

    if (!dict_find(dict.d, key, &at))
        return false;
    *out = dict.d->v[at];
    return true;
}

/* ---- Undefined ------------------------------------------------------- */

jv jv_undef_new(jn_ctx *c, const char *msg)
{
    jv v = {.t = JV_UNDEF};

    v.u = jn_new(c, sizeof *v.u);
    v.u->msg = msg;
    return v;
}

static char *sb_take(jn_ctx *c, mn_sb *sb)
{
    return jn_sb_take(c, sb).s->s;
}

jv jv_undef_name(jn_ctx *c, const char *name)
{
    mn_sb *sb = jn_sb(c);

    jv_write_repr(c, sb, jv_cstr(c, name));
    mn_sb_puts(sb, " is undefined");
    return jv_undef_new(c, sb_take(c, sb));
}

/* jinja2's object_type_repr: "dict object", or "None" for None. */
static void write_object_type(mn_sb *sb, jv obj)
{
    static const char *const full[] = {
        [JV_UNDEF] = "jinja2.runtime.Undefined", [JV_NS] = "jinja2.utils.Namespace",
        [JV_LOOP] = "jinja2.runtime.LoopContext", [JV_MACRO] = "jinja2.runtime.Macro",
    };

    if (obj.t == JV_NONE) {
        mn_sb_puts(sb, "None");
        return;
    }
    if (obj.t < MN_COUNT(full) && full[obj.t])
        mn_sb_puts(sb, full[obj.t]);
    else
        mn_sb_puts(sb, jv_type_name(obj));
    mn_sb_puts(sb, " object");
}

jv jv_undef_attr(jn_ctx *c, jv obj, jv name)
{
    mn_sb *sb = jn_sb(c), *type = jn_sb(c);

    write_object_type(type, obj);
    if (name.t == JV_STR) {
        jv_write_repr(c, sb, jn_sb_take(c, type));
        mn_sb_puts(sb, " has no attribute ");
    } else {
        mn_sb_append(sb, type->data ? type->data : "", type->len);
        mn_sb_puts(sb, " has no element ");
    }
    jv_write_repr(c, sb, name);
    return jv_undef_new(c, sb_take(c, sb));
}

void jv_undef_fail(jn_ctx *c, jv u)
{
    jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "%s", u.u->msg);
}

void jv_check(jn_ctx *c, jv v)
{
    if (v.t == JV_UNDEF)
        jv_undef_fail(c, v);
}

/* ---- Truth, equality, order ------------------------------------------ */

bool jv_truthy(jv v)
{
    switch (v.t) {
    case JV_UNDEF:
    case JV_NONE: return false;
    case JV_BOOL: return v.b;
    case JV_INT: return v.i != 0;
    case JV_FLOAT: return v.f != 0;
    case JV_STR: return v.s->len > 0;
    case JV_LIST:
    case JV_TUPLE: return v.l->n > 0;
    case JV_DICT: return v.d->n > 0;
    default: return true;
    }
}

bool jv_is_number(jv v)
{
    return v.t == JV_BOOL || v.t == JV_INT || v.t == JV_FLOAT;
}

double jv_num(jv v)
{
    return v.t == JV_FLOAT ? v.f : v.t == JV_INT ? (double)v.i : (double)v.b;
}

static int64_t as_int(jv v)
{
    return v.t == JV_BOOL ? v.b : v.i;
}

/* Python raises RecursionError for values nested this deep; mnlp calls them unequal. */
#define EQUAL_MAX_DEPTH 1000

static bool equal_at(jv a, jv b, int depth)
{
    if (jv_is_number(a) && jv_is_number(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT)
            return as_int(a) == as_int(b);
        return jv_num(a) == jv_num(b);
    }
    if (a.t != b.t || depth > EQUAL_MAX_DEPTH)
        return false;
    switch (a.t) {
    case JV_UNDEF:
    case JV_NONE: return true;
    case JV_STR: return a.s->len == b.s->len && memcmp(a.s->s, b.s->s, a.s->len) == 0;
    case JV_LIST:
    case JV_TUPLE:
        if (a.l->n != b.l->n)
            return false;
        for (size_t i = 0; i < a.l->n; i++)
            if (!equal_at(a.l->v[i], b.l->v[i], depth + 1))
                return false;
        return true;
    case JV_DICT:
        if (a.d->n != b.d->n)
            return false;
        for (size_t i = 0; i < a.d->n; i++) {
            jv other;
            if (!jv_dict_get(b, a.d->k[i], &other) || !equal_at(a.d->v[i], other, depth + 1))
                return false;
        }
        return true;
    case JV_FUNC: return a.fn == b.fn;
    default: return a.d == b.d;
    }
}

bool jv_equal(jv a, jv b)
{
    return equal_at(a, b, 0);
}

static int compare_at(jn_ctx *c, jv a, jv b, const char *op, int depth)
{
    if (depth > EQUAL_MAX_DEPTH)
        jn_error(c, MNLP_ERR_LIMIT, "values nested deeper than %d levels", EQUAL_MAX_DEPTH);
    jv_check(c, a);
    jv_check(c, b);
    if (jv_is_number(a) && jv_is_number(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT)
            return (as_int(a) > as_int(b)) - (as_int(a) < as_int(b));
        return (jv_num(a) > jv_num(b)) - (jv_num(a) < jv_num(b));
    }
    if (a.t == JV_STR && b.t == JV_STR) {
        size_t n = a.s->len < b.s->len ? a.s->len : b.s->len;
        int r = memcmp(a.s->s, b.s->s, n);
        return r ? (r > 0) - (r < 0) : (a.s->len > b.s->len) - (a.s->len < b.s->len);
    }
    if (a.t == b.t && (a.t == JV_LIST || a.t == JV_TUPLE)) {
        for (size_t i = 0; i < a.l->n && i < b.l->n; i++)
            if (!jv_equal(a.l->v[i], b.l->v[i]))
                return compare_at(c, a.l->v[i], b.l->v[i], op, depth + 1);
        return (a.l->n > b.l->n) - (a.l->n < b.l->n);
    }
    jn_error(c, MNLP_ERR_INVALID_ARGUMENT,
             "TypeError: '%s' not supported between instances of '%s' and '%s'", op,
             jv_type_name(a), jv_type_name(b));
}

int jv_compare(jn_ctx *c, jv a, jv b, const char *op)
{
    return compare_at(c, a, b, op, 0);
}

const char *jv_type_name(jv v)
{
    static const char *const names[] = {
        [JV_UNDEF] = "Undefined", [JV_NONE] = "NoneType", [JV_BOOL] = "bool",
        [JV_INT] = "int", [JV_FLOAT] = "float", [JV_STR] = "str", [JV_LIST] = "list",
        [JV_TUPLE] = "tuple", [JV_DICT] = "dict", [JV_NS] = "Namespace",
        [JV_LOOP] = "LoopContext", [JV_MACRO] = "Macro", [JV_FUNC] = "function",
        [JV_METHOD] = "builtin_function_or_method",
    };

    return names[v.t];
}

/* ---- Printing -------------------------------------------------------- */

/* Python's repr of a float: the shortest digits that read back exactly. */
static void write_float(mn_sb *sb, double x, bool json)
{
    char buf[64], digits[32];
    int nd = 0, exp10, decpt;

    if (isnan(x)) {
        mn_sb_puts(sb, json ? "NaN" : "nan");
        return;
    }
    if (isinf(x)) {
        mn_sb_puts(sb, x < 0 ? "-" : "");
        mn_sb_puts(sb, json ? "Infinity" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* buf is [-]d[.ddd]e[+-]xx */
    for (const char *p = buf; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    exp10 = atoi(strchr(buf, 'e') + 1);
    decpt = exp10 + 1;
    if (buf[0] == '-')
        mn_sb_puts(sb, "-");
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            mn_sb_puts(sb, "0.");
            for (int i = 0; i < -decpt; i++)
                mn_sb_puts(sb, "0");
            mn_sb_append(sb, digits, (size_t)nd);
        } else if (decpt >= nd) {
            mn_sb_append(sb, digits, (size_t)nd);
            for (int i = nd; i < decpt; i++)
                mn_sb_puts(sb, "0");
            mn_sb_puts(sb, ".0");
        } else {
            mn_sb_append(sb, digits, (size_t)decpt);
            mn_sb_puts(sb, ".");
            mn_sb_append(sb, digits + decpt, (size_t)(nd - decpt));
        }
        return;
    }
    mn_sb_append(sb, digits, 1);
    if (nd > 1) {
        mn_sb_puts(sb, ".");
        mn_sb_append(sb, digits + 1, (size_t)(nd - 1));
    }
    mn_sb_printf(sb, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
}

static bool printable(uint32_t cp)
{
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return false;
    case UTF8PROC_CATEGORY_ZS: return cp == ' ';
    default: return true;
    }
}

static void write_str_repr(mn_sb *sb, const char *s, size_t n)
{
    bool has_single = memchr(s, '\'', n) != NULL, has_double = memchr(s, '"', n) != NULL;
    char q = has_single && !has_double ? '"' : '\'';

    mn_sb_append(sb, &q, 1);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = mn_utf8_decode((const unsigned char *)s + i, n - i, &cp);

        if (k <= 0) {
            cp = (unsigned char)s[i];
            k = 1;
        }
        if (cp == (uint32_t)q || cp == '\\')
            mn_sb_printf(sb, "\\%c", (char)cp);
        else if (cp == '\n')
            mn_sb_puts(sb, "\\n");
        else if (cp == '\r')
            mn_sb_puts(sb, "\\r");
        else if (cp == '\t')
            mn_sb_puts(sb, "\\t");
        else if (printable(cp))
            mn_sb_append(sb, s + i, (size_t)k);
        else if (cp < 0x100)
            mn_sb_printf(sb, "\\x%02x", cp);
        else if (cp < 0x10000)
            mn_sb_printf(sb, "\\u%04x", cp);
        else
            mn_sb_printf(sb, "\\U%08x", cp);
        i += (size_t)k;
    }
    mn_sb_append(sb, &q, 1);
}

static void write_value(jn_ctx *c, mn_sb *sb, jv v, bool repr, int depth)
{
    if (depth > 512)
        jn_error(c, MNLP_ERR_LIMIT, "value nested deeper than 512 levels");
    switch (v.t) {
    case JV_UNDEF: mn_sb_puts(sb, repr ? "Undefined" : ""); break;
    case JV_NONE: mn_sb_puts(sb, "None"); break;
    case JV_BOOL: mn_sb_puts(sb, v.b ? "True" : "False"); break;
    case JV_INT: mn_sb_printf(sb, "%lld", (long long)v.i); break;
    case JV_FLOAT: write_float(sb, v.f, false); break;
    case JV_STR:
        if (repr)
            write_str_repr(sb, v.s->s, v.s->len);
        else
            mn_sb_append(sb, v.s->s, v.s->len);
        break;
    case JV_LIST:
    case JV_TUPLE:
        mn_sb_puts(sb, v.t == JV_LIST ? "[" : "(");
        for (size_t i = 0; i < v.l->n; i++) {
            if (i)
                mn_sb_puts(sb, ", ");
            write_value(c, sb, v.l->v[i], true, depth + 1);
        }
        mn_sb_puts(sb, v.t == JV_LIST ? "]" : v.l->n == 1 ? ",)" : ")");
        break;
    case JV_DICT:
    case JV_NS:
        mn_sb_puts(sb, v.t == JV_NS ? "<Namespace {" : "{");
        for (size_t i = 0; i < v.d->n; i++) {
            if (i)
                mn_sb_puts(sb, ", ");
            write_value(c, sb, v.d->k[i], true, depth + 1);
            mn_sb_puts(sb, ": ");
            write_value(c, sb, v.d->v[i], true, depth + 1);
        }
        mn_sb_puts(sb, v.t == JV_NS ? "}>" : "}");
        break;
    default: mn_sb_printf(sb, "<%s object>", jv_type_name(v)); break;
    }
}

void jv_write_str(jn_ctx *c, mn_sb *sb, jv v)
{
    write_value(c, sb, v, false, 0);
}

void jv_write_repr(jn_ctx *c, mn_sb *sb, jv v)
{
    write_value(c, sb, v, true, 0);
}

jv jv_to_str(jn_ctx *c, jv v)
{
    mn_sb *sb;

    if (v.t == JV_STR)
        return v;
    sb = jn_sb(c);
    jv_write_str(c, sb, v);
    return jn_sb_take(c, sb);
}

/* ---- JSON ------------------------------------------------------------ */

static void json_newline(mn_sb *sb, int indent, int level)
{
    mn_sb_puts(sb, "\n");
    for (int i = 0; i < indent * level; i++)
        mn_sb_puts(sb, " ");
}

static void json_key(jn_ctx *c, mn_sb *sb, jv k)
{
    switch (k.t) {
    case JV_STR: mn_json_write_string(sb, k.s->s, k.s->len, false); return;
    case JV_INT: mn_sb_printf(sb, "\"%lld\"", (long long)k.i); return;
    case JV_BOOL: mn_sb_puts(sb, k.b ? "\"true\"" : "\"false\""); return;
    case JV_NONE: mn_sb_puts(sb, "\"null\""); return;
    case JV_FLOAT:
        mn_sb_puts(sb, "\"");
        write_float(sb, k.f, true);
        mn_sb_puts(sb, "\"");
        return;
    default:
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT,
                 "TypeError: keys must be str, int, float, bool or None, not %s",
                 jv_type_name(k));
    }
}

static int key_order(const void *a, const void *b, void *c)
{
    const jv *x = a, *y = b;

    return jv_compare(c, *x, *y, "<");
}

static void json_value(jn_ctx *c, mn_sb *sb, jv v, int indent, bool sort, int level)
{
    const char *sep = indent >= 0 ? "," : ", ";

    if (level > 512)
        jn_error(c, MNLP_ERR_LIMIT, "value nested deeper than 512 levels");
    switch (v.t) {
    case JV_NONE: mn_sb_puts(sb, "null"); return;
    case JV_BOOL: mn_sb_puts(sb, v.b ? "true" : "false"); return;
    case JV_INT: mn_sb_printf(sb, "%lld", (long long)v.i); return;
    case JV_FLOAT: write_float(sb, v.f, true); return;
    case JV_STR: mn_json_write_string(sb, v.s->s, v.s->len, false); return;
    case JV_LIST:
    case JV_TUPLE:
        if (v.l->n == 0) {
            mn_sb_puts(sb, "[]");
            return;
        }
        mn_sb_puts(sb, "[");
        for (size_t i = 0; i < v.l->n; i++) {
            if (i)
                mn_sb_puts(sb, sep);
            if (indent >= 0)
                json_newline(sb, indent, level + 1);
            json_value(c, sb, v.l->v[i], indent, sort, level + 1);
        }
        if (indent >= 0)
            json_newline(sb, indent, level);
        mn_sb_puts(sb, "]");
        return;
    case JV_DICT: {
        size_t n = v.d->n;
        size_t *order;

        if (n == 0) {
            mn_sb_puts(sb, "{}");
            return;
        }
        order = jn_new(c, n * sizeof *order);
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        if (sort) { /* insertion sort keeps it stable and needs no context pointer */
            for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && key_order(&v.d->k[order[j - 1]],
                                                      &v.d->k[order[j]], c) > 0; j--) {
                    size_t t = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = t;
                }
        }
        mn_sb_puts(sb, "{");
        for (size_t i = 0; i < n; i++) {
            if (i)
                mn_sb_puts(sb, sep);
            if (indent >= 0)
                json_newline(sb, indent, level + 1);
            json_key(c, sb, v.d->k[order[i]]);
            mn_sb_puts(sb, ": ");
            json_value(c, sb, v.d->v[order[i]], indent, sort, level + 1);
        }
        if (indent >= 0)
            json_newline(sb, indent, level);
        mn_sb_puts(sb, "}");
        return;
    }
    default:
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT,
                 "TypeError: Object of type %s is not JSON serializable", jv_type_name(v));
    }
}

void jv_write_json(jn_ctx *c, mn_sb *sb, jv v, int indent, bool sort_keys)
{
    json_value(c, sb, v, indent, sort_keys, 0);
}

/* ---- Iteration ------------------------------------------------------- */

jv jv_iterate(jn_ctx *c, jv v)
{
    jv out;

    switch (v.t) {
    case JV_LIST:
    case JV_TUPLE: return v;
    case JV_UNDEF: return jv_list_new(c, JV_LIST, 0);
    case JV_DICT:
        out = jv_list_new(c, JV_LIST, v.d->n);
        for (size_t i = 0; i < v.d->n; i++)
            jv_list_push(c, out, v.d->k[i]);
        return out;
    case JV_STR:
        out = jv_list_new(c, JV_LIST, 0);
        for (size_t i = 0; i < v.s->len;) {
            uint32_t cp;
            int k = mn_utf8_decode((const unsigned char *)v.s->s + i, v.s->len - i, &cp);
            if (k <= 0)
                k = 1;
            jv_list_push(c, out, jv_str_n(c, v.s->s + i, (size_t)k));
            i += (size_t)k;
        }
        return out;
    default:
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: '%s' object is not iterable",
                 jv_type_name(v));
    }
}

int64_t jv_length(jn_ctx *c, jv v)
{
    int64_t n = 0;

    switch (v.t) {
    case JV_UNDEF: return 0;
    case JV_LIST:
    case JV_TUPLE: return (int64_t)v.l->n;
    case JV_DICT: return (int64_t)v.d->n;
    case JV_STR:
        for (size_t i = 0; i < v.s->len; i++)
            n += ((unsigned char)v.s->s[i] & 0xc0) != 0x80;
        return n;
    default:
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: object of type '%s' has no len()",
                 jv_type_name(v));
    }
}

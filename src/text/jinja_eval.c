/*
 * The Jinja evaluator: statements write to an output buffer, expressions
 * produce values. Scoping follows jinja2: a for loop body and a macro body
 * are new scopes (a set inside them does not leak out), if blocks are not.
 * Attribute and item access follow the sandboxed environment's getattr and
 * getitem, including the Undefined values they return on a miss.
 */
#include "text/jinja.h"

#include "base/json.h"
#include "base/utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct scope scope;
struct scope {
    scope *parent;
    size_t n, cap;
    const char **names;
    jv *vals;
};

struct jn_macro {
    const jn_node *def;   /* N_MACRO, or N_CALLBLOCK for caller() */
    scope *closure;
    const char *name;
    jv caller;            /* the caller() of a {% call %} block, or undefined */
};

typedef struct sb_link { struct sb_link *next; mn_sb sb; } sb_link;

enum { JUMP_NONE, JUMP_BREAK, JUMP_CONTINUE };
enum { FN_RANGE, FN_NAMESPACE, FN_RAISE, FN_STRFTIME, FN_DICT };

struct jn_ctx {
    jn_arena arena;
    jn_fail *fail;
    jn_limits lim;
    mn_sb *out;
    size_t out_total;
    int64_t steps;
    int depth;
    int jump;
    int64_t now;
    sb_link *sbs;
    jv hole;              /* the input of a filter block or {% set %} block */
};

/* ---- Context services ------------------------------------------------ */

void jn_error(jn_ctx *c, mnlp_status status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->fail->msg, sizeof c->fail->msg, fmt, ap);
    va_end(ap);
    c->fail->status = status;
    longjmp(c->fail->jump, 1);
}

void *jn_new(jn_ctx *c, size_t size)
{
    return jn_alloc(&c->arena, c->fail, size);
}

mn_sb *jn_sb(jn_ctx *c)
{
    sb_link *l = jn_new(c, sizeof *l);

    l->next = c->sbs;
    c->sbs = l;
    return &l->sb;
}

jv jn_sb_take(jn_ctx *c, mn_sb *sb)
{
    jv v;

    if (sb->failed)
        jn_error(c, MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    v = jv_str_n(c, sb->data ? sb->data : "", sb->len);
    mn_sb_free(sb);
    memset(sb, 0, sizeof *sb);
    return v;
}

void jn_step(jn_ctx *c)
{
    if (++c->steps > c->lim.max_steps)
        jn_error(c, MNLP_ERR_LIMIT, "template exceeds max_steps (%lld loop iterations and "
                 "calls)", (long long)c->lim.max_steps);
}

static void emit(jn_ctx *c, const char *s, size_t n)
{
    c->out_total += n;
    if (c->out_total > c->lim.max_output)
        jn_error(c, MNLP_ERR_LIMIT, "template output exceeds max_output (%zu bytes)",
                 c->lim.max_output);
    mn_sb_append(c->out, s, n);
    if (c->out->failed)
        jn_error(c, MNLP_ERR_OUT_OF_MEMORY, "out of memory");
}

static void enter(jn_ctx *c)
{
    if (++c->depth > c->lim.max_depth)
        jn_error(c, MNLP_ERR_LIMIT, "template recursion deeper than max_depth (%d)",
                 c->lim.max_depth);
}

/* ---- Scopes ---------------------------------------------------------- */

static scope *scope_new(jn_ctx *c, scope *parent)
{
    scope *s = jn_new(c, sizeof *s);

    s->parent = parent;
    return s;
}

static void scope_set(jn_ctx *c, scope *s, const char *name, jv v)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], name) == 0) {
            s->vals[i] = v;
            return;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **names = jn_new(c, cap * sizeof *names);
        jv *vals = jn_new(c, cap * sizeof *vals);

        if (s->n) {
            memcpy(names, s->names, s->n * sizeof *names);
            memcpy(vals, s->vals, s->n * sizeof *vals);
        }
        s->names = names;
        s->vals = vals;
        s->cap = cap;
    }
    s->names[s->n] = name;
    s->vals[s->n++] = v;
}

static bool scope_get(const scope *s, const char *name, jv *out)
{
    for (; s; s = s->parent) {
        for (size_t i = s->n; i-- > 0;) {
            if (strcmp(s->names[i], name) == 0) {
                *out = s->vals[i];
                return true;
            }
        }
    }
    return false;
}

/* ---- Access ---------------------------------------------------------- */

static jv unsafe(jn_ctx *c, jv obj, const char *name)
{
    char *msg = jn_new(c, strlen(name) + 64);

    sprintf(msg, "access to attribute '%s' of '%s' object is unsafe.", name,
            jv_type_name(obj));
    jv u = jv_undef_new(c, msg);
    u.u->unsafe = true;
    return u;
}

static bool is_unsafe_method(jv obj, const char *name)
{
    static const char *const list_m[] = {"append", "extend", "insert", "pop", "remove",
                                         "reverse", "sort", "clear", NULL};
    static const char *const dict_m[] = {"pop", "popitem", "setdefault", "update", "clear",
                                         NULL};
    const char *const *m = obj.t == JV_LIST ? list_m : obj.t == JV_DICT ? dict_m : NULL;

    for (; m && *m; m++)
        if (strcmp(*m, name) == 0)
            return true;
    return false;
}

static jv loop_attr(jn_ctx *c, jv obj, const char *name)
{
    jn_loop *l = obj.loop;
    int64_t n = (int64_t)l->items.l->n;
    jv out;

    if (strcmp(name, "index") == 0) return jv_int(l->i + 1);
    if (strcmp(name, "index0") == 0) return jv_int(l->i);
    if (strcmp(name, "revindex") == 0) return jv_int(n - l->i);
    if (strcmp(name, "revindex0") == 0) return jv_int(n - l->i - 1);
    if (strcmp(name, "first") == 0) return jv_bool(l->i == 0);
    if (strcmp(name, "last") == 0) return jv_bool(l->i == n - 1);
    if (strcmp(name, "length") == 0) return jv_int(n);
    if (strcmp(name, "depth") == 0) return jv_int(1);
    if (strcmp(name, "depth0") == 0) return jv_int(0);
    if (strcmp(name, "previtem") == 0)
        return l->i > 0 ? l->items.l->v[l->i - 1]
                        : jv_undef_new(c, "there is no previous item");
    if (strcmp(name, "nextitem") == 0)
        return l->i + 1 < n ? l->items.l->v[l->i + 1]
                            : jv_undef_new(c, "there is no next item");
    if (jn_method_get(c, obj, name, &out))
        return out;
    return jv_undef_attr(c, obj, jv_cstr(c, name));
}

/* environment.getattr: a Python attribute first (methods), then the item. */
static jv get_attr(jn_ctx *c, jv obj, const char *name)
{
    jv out, key;

    jv_check(c, obj);
    if (is_unsafe_method(obj, name))
        return unsafe(c, obj, name);
    if (obj.t == JV_LOOP)
        return loop_attr(c, obj, name);
    if (jn_method_get(c, obj, name, &out))
        return out;
    key = jv_cstr(c, name);
    if ((obj.t == JV_DICT || obj.t == JV_NS) && jv_dict_get(obj, key, &out))
        return out;
    return jv_undef_attr(c, obj, key);
}

/* A code point index into a string: the byte offset of character i. */
static bool char_offset(jv s, int64_t i, size_t *at, size_t *len)
{
    size_t p = 0;

    for (int64_t k = 0; p < s.s->len; k++) {
        size_t q = p + 1;
        while (q < s.s->len && ((unsigned char)s.s->s[q] & 0xc0) == 0x80)
            q++;
        if (k == i) {
            *at = p;
            *len = q - p;
            return true;
        }
        p = q;
    }
    return false;
}

/* environment.getitem: the item first, then a Python attribute. */
static jv get_item(jn_ctx *c, jv obj, jv key)
{
    jv out;

    jv_check(c, obj);
    if ((obj.t == JV_DICT || obj.t == JV_NS) && jv_dict_get(obj, key, &out))
        return out;
    if ((obj.t == JV_LIST || obj.t == JV_TUPLE || obj.t == JV_STR) &&
        (key.t == JV_INT || key.t == JV_BOOL)) {
        int64_t n = jv_length(c, obj), i = key.t == JV_INT ? key.i : key.b;
        size_t at, len;

        if (i < 0)
            i += n;
        if (i >= 0 && i < n) {
            if (obj.t != JV_STR)
                return obj.l->v[i];
            if (char_offset(obj, i, &at, &len))
                return jv_str_n(c, obj.s->s + at, len);
        }
        return jv_undef_attr(c, obj, key);
    }
    if (key.t == JV_STR && obj.t != JV_DICT && obj.t != JV_NS)
        return get_attr(c, obj, key.s->s);
    if (key.t == JV_STR && jn_method_get(c, obj, key.s->s, &out))
        return out;
    return jv_undef_attr(c, obj, key);
}

static int64_t slice_bound(jn_ctx *c, jv v, int64_t def, int64_t n, bool neg_step)
{
    int64_t i;

    if (v.t == JV_NONE || v.t == JV_UNDEF)
        return def;
    if (v.t != JV_INT && v.t != JV_BOOL)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: slice indices must be integers or "
                 "None or have an __index__ method");
    i = v.t == JV_INT ? v.i : v.b;
    if (i < 0) {
        i += n;
        if (i < 0)
            i = neg_step ? -1 : 0;
    } else if (i >= n) {
        i = neg_step ? n - 1 : n;
    }
    return i;
}

/* obj[start:stop:step] with Python's rules for missing and negative bounds. */
static jv slice(jn_ctx *c, jv obj, jv start, jv stop, jv step)
{
    int64_t st = 1, n, a, b;
    jv items, out;

    jv_check(c, obj);
    if (step.t == JV_INT)
        st = step.i;
    if (st == 0)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ValueError: slice step cannot be zero");
    if (obj.t != JV_LIST && obj.t != JV_TUPLE && obj.t != JV_STR)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: '%s' object is not subscriptable",
                 jv_type_name(obj));
    items = obj.t == JV_STR ? jv_iterate(c, obj) : obj;
    n = (int64_t)items.l->n;
    a = slice_bound(c, start, st > 0 ? 0 : n - 1, n, st < 0);
    b = slice_bound(c, stop, st > 0 ? n : -1, n, st < 0);
    out = jv_list_new(c, obj.t == JV_TUPLE ? JV_TUPLE : JV_LIST, 0);
    for (int64_t i = a; st > 0 ? i < b : i > b; i += st)
        jv_list_push(c, out, items.l->v[i]);
    if (obj.t == JV_STR) {
        mn_sb *sb = jn_sb(c);
        for (size_t i = 0; i < out.l->n; i++)
            mn_sb_append(sb, out.l->v[i].s->s, out.l->v[i].s->len);
        return jn_sb_take(c, sb);
    }
    return out;
}

/* ---- Arithmetic ------------------------------------------------------ */

static _Noreturn void bad_operands(jn_ctx *c, const char *op, jv a, jv b)
{
    jn_error(c, MNLP_ERR_INVALID_ARGUMENT,
             "TypeError: unsupported operand type(s) for %s: '%s' and '%s'", op,
             jv_type_name(a), jv_type_name(b));
}

static int64_t ival(jv v)
{
    return v.t == JV_BOOL ? v.b : v.i;
}

static jv repeat(jn_ctx *c, jv seq, int64_t times)
{
    jv out;

    if (times <= 0)
        return seq.t == JV_STR ? jv_cstr(c, "") : jv_list_new(c, seq.t, 0);
    if (seq.t == JV_STR) {
        mn_sb *sb = jn_sb(c);
        if ((uint64_t)times * seq.s->len > c->lim.max_memory)
            jn_error(c, MNLP_ERR_LIMIT, "template memory exceeds max_memory (%zu bytes)",
                     c->lim.max_memory);
        for (int64_t i = 0; i < times; i++)
            mn_sb_append(sb, seq.s->s, seq.s->len);
        return jn_sb_take(c, sb);
    }
    out = jv_list_new(c, seq.t, 0);
    for (int64_t i = 0; i < times; i++) {
        jn_step(c);
        for (size_t k = 0; k < seq.l->n; k++)
            jv_list_push(c, out, seq.l->v[k]);
    }
    return out;
}

static jv add(jn_ctx *c, jv a, jv b)
{
    int64_t r;

    if (jv_is_number(a) && jv_is_number(b)) {
        if (a.t == JV_FLOAT || b.t == JV_FLOAT)
            return jv_float(jv_num(a) + jv_num(b));
        if (__builtin_add_overflow(ival(a), ival(b), &r))
            jn_error(c, MNLP_ERR_UNSUPPORTED, "integer overflow in '+'");
        return jv_int(r);
    }
    if (a.t == JV_STR && b.t == JV_STR) {
        jv s = jv_str_n(c, NULL, a.s->len + b.s->len);
        memcpy(s.s->s, a.s->s, a.s->len);
        memcpy(s.s->s + a.s->len, b.s->s, b.s->len);
        return s;
    }
    if ((a.t == JV_LIST || a.t == JV_TUPLE) && a.t == b.t) {
        jv out = jv_list_new(c, a.t, a.l->n + b.l->n);
        for (size_t i = 0; i < a.l->n; i++)
            jv_list_push(c, out, a.l->v[i]);
        for (size_t i = 0; i < b.l->n; i++)
            jv_list_push(c, out, b.l->v[i]);
        return out;
    }
    if (a.t == JV_STR || a.t == JV_LIST || a.t == JV_TUPLE)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT,
                 "TypeError: can only concatenate %s (not \"%s\") to %s", jv_type_name(a),
                 jv_type_name(b), jv_type_name(a));
    bad_operands(c, "+", a, b);
}

static jv divide(jn_ctx *c, int op, jv a, jv b)
{
    bool floats = a.t == JV_FLOAT || b.t == JV_FLOAT;
    double x = jv_num(a), y = jv_num(b);

    if (op == OP_DIV) {
        if (y == 0)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ZeroDivisionError: %sdivision by zero",
                     floats ? "float " : "");
        return jv_float(x / y);
    }
    if (y == 0)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ZeroDivisionError: %s",
                 !floats ? "integer division or modulo by zero"
                 : op == OP_MOD ? "float modulo" : "float floor division by zero");
    if (!floats) {
        int64_t p = ival(a), q = ival(b), d, m;
        if (p == INT64_MIN && q == -1)
            jn_error(c, MNLP_ERR_UNSUPPORTED, "integer overflow in '//'");
        d = p / q;
        m = p % q;
        if (m != 0 && ((m < 0) != (q < 0))) {
            d--;
            m += q;
        }
        return jv_int(op == OP_MOD ? m : d);
    }
    if (op == OP_MOD) {
        double m = fmod(x, y);
        if (m != 0 && ((m < 0) != (y < 0)))
            m += y;
        return jv_float(m);
    }
    return jv_float(floor(x / y));
}

/* "%s and %d" % args, for the conversions templates use. */
static jv format_percent(jn_ctx *c, jv fmt, jv args)
{
    mn_sb *sb = jn_sb(c);
    size_t k = 0;
    jv list = args.t == JV_TUPLE ? args : jv_list_new(c, JV_TUPLE, 1);

    if (args.t != JV_TUPLE)
        jv_list_push(c, list, args);
    for (size_t i = 0; i < fmt.s->len; i++) {
        char ch = fmt.s->s[i];
        if (ch != '%' || i + 1 >= fmt.s->len) {
            mn_sb_append(sb, &ch, 1);
            continue;
        }
        ch = fmt.s->s[++i];
        if (ch == '%') {
            mn_sb_puts(sb, "%");
            continue;
        }
        if (k >= list.l->n)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT,
                     "TypeError: not enough arguments for format string");
        if (ch == 's')
            jv_write_str(c, sb, list.l->v[k++]);
        else if (ch == 'r')
            jv_write_repr(c, sb, list.l->v[k++]);
        else if ((ch == 'd' || ch == 'i') && jv_is_number(list.l->v[k]))
            mn_sb_printf(sb, "%lld", (long long)jv_num(list.l->v[k++]));
        else
            jn_error(c, MNLP_ERR_UNSUPPORTED, "unsupported format character '%c'", ch);
    }
    if (k < list.l->n)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: not all arguments converted "
                 "during string formatting");
    return jn_sb_take(c, sb);
}

static jv power(jn_ctx *c, jv a, jv b)
{
    if (a.t != JV_FLOAT && b.t != JV_FLOAT && ival(b) >= 0) {
        int64_t r = 1, base = ival(a);
        for (int64_t e = ival(b); e > 0; e--) {
            if (__builtin_mul_overflow(r, base, &r))
                jn_error(c, MNLP_ERR_UNSUPPORTED, "integer overflow in '**'");
            if (r == 0 || r == 1)
                break;
        }
        return jv_int(r);
    }
    if (jv_num(a) == 0 && jv_num(b) < 0)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ZeroDivisionError: 0.0 cannot be raised to "
                 "a negative power");
    return jv_float(pow(jv_num(a), jv_num(b)));
}

static jv arith(jn_ctx *c, int op, jv a, jv b)
{
    static const char *const names[] = {[OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/",
                                        [OP_FLOORDIV] = "//", [OP_MOD] = "%", [OP_POW] = "**"};
    bool nums = jv_is_number(a) && jv_is_number(b);
    int64_t r;

    jv_check(c, a);
    jv_check(c, b);
    switch (op) {
    case OP_ADD: return add(c, a, b);
    case OP_SUB:
        if (!nums)
            break;
        if (a.t == JV_FLOAT || b.t == JV_FLOAT)
            return jv_float(jv_num(a) - jv_num(b));
        if (__builtin_sub_overflow(ival(a), ival(b), &r))
            jn_error(c, MNLP_ERR_UNSUPPORTED, "integer overflow in '-'");
        return jv_int(r);
    case OP_MUL:
        if (nums && (a.t == JV_FLOAT || b.t == JV_FLOAT))
            return jv_float(jv_num(a) * jv_num(b));
        if (nums) {
            if (__builtin_mul_overflow(ival(a), ival(b), &r))
                jn_error(c, MNLP_ERR_UNSUPPORTED, "integer overflow in '*'");
            return jv_int(r);
        }
        if ((a.t == JV_STR || a.t == JV_LIST || a.t == JV_TUPLE) &&
            (b.t == JV_INT || b.t == JV_BOOL))
            return repeat(c, a, ival(b));
        if ((b.t == JV_STR || b.t == JV_LIST || b.t == JV_TUPLE) &&
            (a.t == JV_INT || a.t == JV_BOOL))
            return repeat(c, b, ival(a));
        break;
    case OP_MOD:
        if (a.t == JV_STR)
            return format_percent(c, a, b);
        /* fall through */
    case OP_DIV:
    case OP_FLOORDIV:
        if (nums)
            return divide(c, op, a, b);
        break;
    case OP_POW:
        if (nums)
            return power(c, a, b);
        break;
    }
    bad_operands(c, names[op], a, b);
}

static bool contains(jn_ctx *c, jv item, jv container)
{
    jv x;

    switch (container.t) {
    case JV_STR:
        if (item.t != JV_STR)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: 'in <string>' requires string "
                     "as left operand, not %s", jv_type_name(item));
        if (item.s->len == 0)
            return true;
        for (size_t i = 0; i + item.s->len <= container.s->len; i++)
            if (memcmp(container.s->s + i, item.s->s, item.s->len) == 0)
                return true;
        return false;
    case JV_LIST:
    case JV_TUPLE:
        for (size_t i = 0; i < container.l->n; i++)
            if (jv_equal(container.l->v[i], item))
                return true;
        return false;
    case JV_DICT:
    case JV_NS: return jv_dict_get(container, item, &x);
    case JV_UNDEF: return false;
    default:
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT,
                 "TypeError: argument of type '%s' is not iterable", jv_type_name(container));
    }
}

static bool compare(jn_ctx *c, int op, jv a, jv b)
{
    switch (op) {
    case OP_EQ: return jv_equal(a, b);
    case OP_NE: return !jv_equal(a, b);
    case OP_LT: return jv_compare(c, a, b, "<") < 0;
    case OP_LE: return jv_compare(c, a, b, "<=") <= 0;
    case OP_GT: return jv_compare(c, a, b, ">") > 0;
    case OP_GE: return jv_compare(c, a, b, ">=") >= 0;
    case OP_IN: return contains(c, a, b);
    default: return !contains(c, a, b);
    }
}

/* ---- Calls ----------------------------------------------------------- */

static jv eval(jn_ctx *c, const jn_node *n, scope *s);
static void exec_body(jn_ctx *c, const jn_node *n, scope *s);

static void eval_args(jn_ctx *c, const jn_node *n, scope *s, jn_args *a)
{
    a->n = n->n;
    a->n_kw = n->n2;
    a->names = n->names;
    a->pos = jn_new(c, (size_t)(n->n + 1) * sizeof *a->pos);
    a->kw = jn_new(c, (size_t)(n->n2 + 1) * sizeof *a->kw);
    for (int i = 0; i < n->n; i++)
        a->pos[i] = eval(c, n->items[i], s);
    for (int i = 0; i < n->n2; i++)
        a->kw[i] = eval(c, n->items2[i], s);
}

jv jn_arg(const jn_args *args, int i, const char *name, jv def)
{
    if (i >= 0 && i < args->n)
        return args->pos[i];
    for (int k = 0; name && k < args->n_kw; k++)
        if (strcmp(args->names[k], name) == 0)
            return args->kw[k];
    return def;
}

static jv capture(jn_ctx *c, const jn_node *body, scope *s)
{
    mn_sb *saved = c->out, *sb = jn_sb(c);
    jv v;

    c->out = sb;
    exec_body(c, body, s);
    c->out = saved;
    v = jn_sb_take(c, sb);
    return v;
}

static jv call_macro(jn_ctx *c, const jn_macro *m, const jn_args *a, jv caller)
{
    const jn_node *def = m->def;
    scope *s = scope_new(c, m->closure);
    int first_default = def->n_names - def->n2;
    int saved_jump = c->jump;
    jv out;

    enter(c);
    jn_step(c);
    if (a->n > def->n_names)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "macro '%s' takes not more than %d "
                 "argument(s)", m->name, def->n_names);
    for (int k = 0; k < a->n_kw; k++) {
        bool known = false;
        for (int i = 0; i < def->n_names; i++)
            known = known || strcmp(def->names[i], a->names[k]) == 0;
        if (!known)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "macro '%s' takes no keyword argument "
                     "'%s'", m->name, a->names[k]);
    }
    for (int i = 0; i < def->n_names; i++) {
        jv v = jn_arg(a, i, def->names[i], (jv){.t = JV_UNDEF});
        if (v.t == JV_UNDEF && v.u == NULL) {
            if (i >= first_default)
                v = eval(c, def->items2[i - first_default], s);
            else
                v = jv_undef_new(c, "parameter was not provided");
        }
        scope_set(c, s, def->names[i], v);
    }
    if (caller.t == JV_MACRO)
        scope_set(c, s, "caller", caller);
    c->jump = JUMP_NONE;
    out = capture(c, def->b, s);
    c->jump = saved_jump;
    c->depth--;
    return out;
}

static jv call_range(jn_ctx *c, const jn_args *a)
{
    int64_t start = 0, stop, step = 1;
    jv out;

    for (int i = 0; i < a->n; i++)
        if (a->pos[i].t != JV_INT && a->pos[i].t != JV_BOOL)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: '%s' object cannot be "
                     "interpreted as an integer", jv_type_name(a->pos[i]));
    if (a->n < 1 || a->n > 3)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: range expected 1 to 3 arguments");
    stop = ival(a->pos[0]);
    if (a->n >= 2) {
        start = stop;
        stop = ival(a->pos[1]);
    }
    if (a->n == 3)
        step = ival(a->pos[2]);
    if (step == 0)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ValueError: range() arg 3 must not be zero");
    out = jv_list_new(c, JV_LIST, 0);
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        jn_step(c);
        jv_list_push(c, out, jv_int(i));
    }
    return out;
}

static jv call_strftime(jn_ctx *c, const jn_args *a)
{
    jv fmt = jn_arg(a, 0, NULL, jv_none());
    time_t t = (time_t)c->now;
    struct tm tm;
    char buf[512];
    size_t n;

    if (fmt.t != JV_STR)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: strftime() argument 1 must be str");
    gmtime_r(&t, &tm);
    n = strftime(buf, sizeof buf, fmt.s->s, &tm);
    if (n == 0 && fmt.s->len > 0)
        jn_error(c, MNLP_ERR_UNSUPPORTED, "strftime_now: format too long");
    return jv_str_n(c, buf, n);
}

static jv call_func(jn_ctx *c, int fn, const jn_args *a)
{
    jv out;

    switch (fn) {
    case FN_RANGE: return call_range(c, a);
    case FN_RAISE:
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "%s",
                 jv_to_str(c, jn_arg(a, 0, NULL, jv_cstr(c, ""))).s->s);
    case FN_STRFTIME: return call_strftime(c, a);
    case FN_NAMESPACE:
    case FN_DICT:
        out = jv_dict_new(c, fn == FN_DICT ? JV_DICT : JV_NS);
        for (int i = 0; i < a->n; i++) {
            jv d = a->pos[i];
            if (d.t != JV_DICT)
                jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: cannot convert '%s' to a "
                         "dictionary", jv_type_name(d));
            for (size_t k = 0; k < d.d->n; k++)
                jv_dict_set(c, out, d.d->k[k], d.d->v[k]);
        }
        for (int k = 0; k < a->n_kw; k++)
            jv_dict_set(c, out, jv_cstr(c, a->names[k]), a->kw[k]);
        return out;
    default: jn_error(c, MNLP_ERR_INTERNAL, "unknown function");
    }
}

static jv call_value(jn_ctx *c, jv f, const jn_args *a, jv caller)
{
    switch (f.t) {
    case JV_UNDEF:
        if (f.u->unsafe)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "%s", f.u->msg);
        jv_undef_fail(c, f);
    case JV_MACRO: return call_macro(c, f.m, a, caller);
    case JV_FUNC: return call_func(c, f.fn, a);
    case JV_METHOD: return jn_method_call(c, f.me, a);
    default:
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: '%s' object is not callable",
                 jv_type_name(f));
    }
}

/* ---- Expressions ----------------------------------------------------- */

static jv eval_filter(jn_ctx *c, const jn_node *n, scope *s)
{
    jv v = n->a ? eval(c, n->a, s) : c->hole;
    jn_args a;

    eval_args(c, n, s, &a);
    return jn_filter(c, n->str, v, &a);
}

static jv eval_compare(jn_ctx *c, const jn_node *n, scope *s)
{
    jv left = eval(c, n->a, s);

    for (int i = 0; i < n->n; i++) {
        jv right = eval(c, n->items[i]->a, s);
        if (!compare(c, n->items[i]->op, left, right))
            return jv_bool(false);
        left = right;
    }
    return jv_bool(true);
}

static jv eval_inner(jn_ctx *c, const jn_node *n, scope *s)
{
    jv a, b, out;
    jn_args args;

    switch (n->kind) {
    case N_CONST: return n->val;
    case N_NAME:
        if (scope_get(s, n->str, &out))
            return out;
        return jv_undef_name(c, n->str);
    case N_LIST:
    case N_TUPLE:
        out = jv_list_new(c, n->kind == N_LIST ? JV_LIST : JV_TUPLE, (size_t)n->n);
        for (int i = 0; i < n->n; i++)
            jv_list_push(c, out, eval(c, n->items[i], s));
        return out;
    case N_DICT:
        out = jv_dict_new(c, JV_DICT);
        for (int i = 0; i < n->n; i++) {
            a = eval(c, n->items[i], s);
            jv_dict_set(c, out, a, eval(c, n->items2[i], s));
        }
        return out;
    case N_GETATTR: return get_attr(c, eval(c, n->a, s), n->str);
    case N_GETITEM:
        a = eval(c, n->a, s);
        if (n->b->kind == N_SLICE) {
            const jn_node *sl = n->b;
            jv none = jv_none();
            return slice(c, a, sl->a ? eval(c, sl->a, s) : none,
                         sl->b ? eval(c, sl->b, s) : none, sl->c ? eval(c, sl->c, s) : none);
        }
        return get_item(c, a, eval(c, n->b, s));
    case N_CALL:
        a = eval(c, n->a, s);
        eval_args(c, n, s, &args);
        return call_value(c, a, &args, (jv){.t = JV_UNDEF});
    case N_FILTER: return eval_filter(c, n, s);
    case N_TEST:
        a = eval(c, n->a, s);
        eval_args(c, n, s, &args);
        return jv_bool(jn_test(c, n->str, a, &args) != (n->op != 0));
    case N_BINOP: return arith(c, n->op, eval(c, n->a, s), eval(c, n->b, s));
    case N_CONCAT:
        a = jv_to_str(c, eval(c, n->a, s));
        b = jv_to_str(c, eval(c, n->b, s));
        return add(c, a, b);
    case N_NOT: return jv_bool(!jv_truthy(eval(c, n->a, s)));
    case N_NEG:
    case N_POS:
        a = eval(c, n->a, s);
        jv_check(c, a);
        if (!jv_is_number(a))
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: bad operand type for unary "
                     "%s: '%s'", n->kind == N_NEG ? "-" : "+", jv_type_name(a));
        if (n->kind == N_POS)
            return a.t == JV_BOOL ? jv_int(a.b) : a;
        if (a.t == JV_FLOAT)
            return jv_float(-a.f);
        if (ival(a) == INT64_MIN)
            jn_error(c, MNLP_ERR_UNSUPPORTED, "integer overflow in unary '-'");
        return jv_int(-ival(a));
    case N_AND:
        a = eval(c, n->a, s);
        return jv_truthy(a) ? eval(c, n->b, s) : a;
    case N_OR:
        a = eval(c, n->a, s);
        return jv_truthy(a) ? a : eval(c, n->b, s);
    case N_COND:
        if (jv_truthy(eval(c, n->a, s)))
            return eval(c, n->b, s);
        if (n->c)
            return eval(c, n->c, s);
        return jv_undef_new(c, "the inline if-expression evaluated to false and no else "
                               "section was defined.");
    case N_COMPARE: return eval_compare(c, n, s);
    default: jn_error(c, MNLP_ERR_INTERNAL, "statement used as an expression");
    }
}

static jv eval(jn_ctx *c, const jn_node *n, scope *s)
{
    jv v;

    enter(c);
    v = eval_inner(c, n, s);
    c->depth--;
    return v;
}

/* ---- Statements ------------------------------------------------------ */

static void assign(jn_ctx *c, const jn_node *n, scope *s, jv v)
{
    if (!n->op) {
        scope_set(c, s, n->names[0], v);
        return;
    }
    jv_check(c, v);
    if (v.t != JV_LIST && v.t != JV_TUPLE)
        v = jv_iterate(c, v);
    if ((int)v.l->n != n->n_names)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, (int)v.l->n < n->n_names
                 ? "ValueError: not enough values to unpack (expected %d, got %zu)"
                 : "ValueError: too many values to unpack (expected %d, got %zu)",
                 n->n_names, v.l->n);
    for (int i = 0; i < n->n_names; i++)
        scope_set(c, s, n->names[i], v.l->v[i]);
}

static void exec_for(jn_ctx *c, const jn_node *n, scope *s)
{
    jv items = jv_iterate(c, eval(c, n->a, s));
    jn_loop *loop = jn_new(c, sizeof *loop);

    if (n->c) { /* `for x in y if cond`: the loop sees only the items that pass */
        jv kept = jv_list_new(c, JV_LIST, 0);
        for (size_t i = 0; i < items.l->n; i++) {
            scope *fs = scope_new(c, s);
            jn_step(c);
            assign(c, n, fs, items.l->v[i]);
            if (jv_truthy(eval(c, n->c, fs)))
                jv_list_push(c, kept, items.l->v[i]);
        }
        items = kept;
    }
    loop->items = items;
    loop->last_changed.t = JV_UNDEF;
    for (size_t i = 0; i < items.l->n; i++) {
        scope *body = scope_new(c, s);
        jn_step(c);
        loop->i = (int64_t)i;
        scope_set(c, body, "loop", (jv){.t = JV_LOOP, .loop = loop});
        assign(c, n, body, items.l->v[i]);
        exec_body(c, n->b, body);
        if (c->jump == JUMP_BREAK) {
            c->jump = JUMP_NONE;
            break;
        }
        c->jump = JUMP_NONE;
    }
    if (items.l->n == 0 && n->n2)
        exec_body(c, n->items2[0], s);
}

static void exec_set(jn_ctx *c, const jn_node *n, scope *s)
{
    jv v, ns;

    if (n->kind == N_SETBLOCK) {
        v = capture(c, n->b, s);
        if (n->a) {
            jv saved = c->hole;
            c->hole = v;
            v = eval(c, n->a, s);
            c->hole = saved;
        }
    } else {
        v = eval(c, n->a, s);
    }
    if (n->op != 2) {
        assign(c, n, s, v);
        return;
    }
    if (!scope_get(s, n->str, &ns) || ns.t != JV_NS)
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "cannot assign attribute on non-namespace "
                 "object");
    jv_dict_set(c, ns, jv_cstr(c, n->names[0]), v);
}

static void exec_stmt(jn_ctx *c, const jn_node *n, scope *s)
{
    jv v;
    jn_macro *m;

    switch (n->kind) {
    case N_DATA: emit(c, n->str, n->len); return;
    case N_OUTPUT:
        v = eval(c, n->a, s);
        if (v.t != JV_STR)
            v = jv_to_str(c, v);
        emit(c, v.s->s, v.s->len);
        return;
    case N_IF:
        if (jv_truthy(eval(c, n->a, s)))
            exec_body(c, n->b, s);
        else if (n->c)
            exec_stmt(c, n->c, s);
        return;
    case N_FOR: exec_for(c, n, s); return;
    case N_SET:
    case N_SETBLOCK: exec_set(c, n, s); return;
    case N_MACRO:
        m = jn_new(c, sizeof *m);
        m->def = n;
        m->closure = s;
        m->name = n->str;
        scope_set(c, s, n->str, (jv){.t = JV_MACRO, .m = m});
        return;
    case N_CALLBLOCK: {
        jn_args args;
        jv callee = eval(c, n->a->a, s);
        m = jn_new(c, sizeof *m);
        m->def = n;
        m->closure = s;
        m->name = "caller";
        eval_args(c, n->a, s, &args);
        v = call_value(c, callee, &args, (jv){.t = JV_MACRO, .m = m});
        v = jv_to_str(c, v);
        emit(c, v.s->s, v.s->len);
        return;
    }
    case N_FILTERBLOCK: {
        jv saved = c->hole;
        c->hole = capture(c, n->b, scope_new(c, s));
        v = jv_to_str(c, eval(c, n->a, s));
        c->hole = saved;
        emit(c, v.s->s, v.s->len);
        return;
    }
    case N_BREAK: c->jump = JUMP_BREAK; return;
    case N_CONTINUE: c->jump = JUMP_CONTINUE; return;
    case N_BODY: exec_body(c, n, s); return;
    default: jn_error(c, MNLP_ERR_INTERNAL, "expression used as a statement");
    }
}

static void exec_body(jn_ctx *c, const jn_node *n, scope *s)
{
    enter(c);
    for (int i = 0; i < n->n && c->jump == JUMP_NONE; i++)
        exec_stmt(c, n->items[i], s);
    c->depth--;
}

/* ---- Entry ----------------------------------------------------------- */

static jv from_json(jn_ctx *c, const mn_json *j)
{
    jv v;

    switch (j->type) {
    case MN_JSON_NULL: return jv_none();
    case MN_JSON_BOOL: return jv_bool(j->boolean);
    case MN_JSON_NUMBER: return j->is_int ? jv_int(j->integer) : jv_float(j->number);
    case MN_JSON_STRING: return jv_str_n(c, j->str, j->len);
    case MN_JSON_ARRAY:
        v = jv_list_new(c, JV_LIST, j->len);
        for (size_t i = 0; i < j->len; i++)
            jv_list_push(c, v, from_json(c, &j->items[i]));
        return v;
    default:
        v = jv_dict_new(c, JV_DICT);
        for (size_t i = 0; i < j->len; i++)
            jv_dict_set(c, v, jv_str_n(c, j->items[i].key, j->items[i].key_len),
                        from_json(c, &j->items[i]));
        return v;
    }
}

static scope *globals(jn_ctx *c, const mn_json *vars)
{
    static const char *const fns[] = {[FN_RANGE] = "range", [FN_NAMESPACE] = "namespace",
                                      [FN_RAISE] = "raise_exception",
                                      [FN_STRFTIME] = "strftime_now", [FN_DICT] = "dict"};
    scope *g = scope_new(c, NULL);

    for (int i = 0; i < MN_COUNT(fns); i++)
        scope_set(c, g, fns[i], (jv){.t = JV_FUNC, .fn = i});
    for (size_t i = 0; i < vars->len; i++) {
        const mn_json *m = &vars->items[i];
        scope_set(c, g, jv_str_n(c, m->key, m->key_len).s->s, from_json(c, m));
    }
    return g;
}

mnlp_status jn_render(const jn_node *root, const char *vars, size_t vars_len, int64_t now,
                      const jn_limits *limits, jn_fail *f, mn_sb *out)
{
    jn_ctx *volatile c = mn_calloc(1, sizeof *c);
    mn_json_doc *volatile doc = NULL;
    mnlp_status rc = MNLP_OK;

    if (!c)
        return MNLP_ERR_OUT_OF_MEMORY;
    c->fail = f;
    c->lim = *limits;
    c->arena.limit = limits->max_memory;
    c->now = now;
    if (setjmp(f->jump) == 0) {
        mn_json_doc *d = NULL;
        const mn_json *root_vars;
        mnlp_status st = mn_json_parse(vars, vars_len, NULL, &d);

        doc = d;
        if (st != MNLP_OK)
            jn_error(c, st, "variables: %s", mnlp_last_error());
        root_vars = mn_json_root(d);
        if (root_vars->type != MN_JSON_OBJECT)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "variables: expected a JSON object");
        c->out = jn_sb(c);
        exec_body(c, root, scope_new(c, globals(c, root_vars)));
        if (c->out->failed)
            jn_error(c, MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        mn_sb_append(out, c->out->data ? c->out->data : "", c->out->len);
    } else {
        rc = f->status;
    }
    for (sb_link *l = c->sbs; l; l = l->next)
        mn_sb_free(&l->sb);
    mn_json_free(doc);
    jn_arena_free(&c->arena);
    mn_free(c);
    return rc;
}

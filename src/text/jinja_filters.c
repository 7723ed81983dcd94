/*
 * jinja2's builtin filters and tests (jinja2/filters.py, jinja2/tests.py),
 * transformers' tojson, and the Python str, dict and loop methods that
 * chat templates call. Case mapping is per code point (utf8proc's simple
 * mappings), where Python applies full mappings (ß upper-cases to SS).
 */
#include "text/jinja.h"

#include "base/utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- Small helpers --------------------------------------------------- */

static _Noreturn void type_error(jn_ctx *c, const char *what, jv v)
{
    jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: %s, not '%s'", what, jv_type_name(v));
}

static jv need_str(jn_ctx *c, jv v, const char *what)
{
    if (v.t != JV_STR)
        type_error(c, what, v);
    return v;
}

static int64_t need_int(jn_ctx *c, jv v, const char *what)
{
    if (v.t == JV_BOOL)
        return v.b;
    if (v.t != JV_INT)
        type_error(c, what, v);
    return v.i;
}

static bool arg_bool(const jn_args *a, int i, const char *name, bool def)
{
    jv v = jn_arg(a, i, name, jv_bool(def));
    return jv_truthy(v);
}

static const char *opt_name(const jn_args *a, int i, const char *name)
{
    jv v = jn_arg(a, i, name, jv_none());
    return v.t == JV_STR ? v.s->s : NULL;
}

static uint32_t next_cp(jv s, size_t *i)
{
    uint32_t cp;
    int k = mn_utf8_decode((const unsigned char *)s.s->s + *i, s.s->len - *i, &cp);

    if (k <= 0) {
        cp = (unsigned char)s.s->s[*i];
        k = 1;
    }
    *i += (size_t)k;
    return cp;
}

static void put_cp(mn_sb *sb, uint32_t cp)
{
    char buf[4];

    mn_sb_append(sb, buf, (size_t)mn_utf8_encode(cp, buf));
}

static bool is_cased(uint32_t cp)
{
    return utf8proc_toupper((utf8proc_int32_t)cp) != (utf8proc_int32_t)cp ||
           utf8proc_tolower((utf8proc_int32_t)cp) != (utf8proc_int32_t)cp;
}

static bool cp_space(uint32_t cp)
{
    char buf[4];
    int n = mn_utf8_encode(cp, buf);

    return cp != 0 && jn_space_at(buf, (size_t)n) == (size_t)n;
}

enum { CASE_UPPER, CASE_LOWER, CASE_TITLE, CASE_CAPITALIZE, CASE_JINJA_TITLE };

/* str.upper, lower, title, capitalize, and jinja2's title filter, which
 * starts a word after whitespace or one of -({[< rather than any non-letter. */
static jv change_case(jn_ctx *c, jv s, int mode)
{
    mn_sb *sb = jn_sb(c);
    bool word_start = true;

    for (size_t i = 0; i < s.s->len;) {
        uint32_t cp = next_cp(s, &i);
        bool up = mode == CASE_UPPER || ((mode == CASE_TITLE || mode == CASE_JINJA_TITLE ||
                                          mode == CASE_CAPITALIZE) && word_start);
        uint32_t out = (uint32_t)(up ? utf8proc_toupper((utf8proc_int32_t)cp)
                                     : utf8proc_tolower((utf8proc_int32_t)cp));

        put_cp(sb, out);
        if (mode == CASE_TITLE)
            word_start = !is_cased(cp);
        else if (mode == CASE_JINJA_TITLE)
            word_start = (cp < 0x80 && strchr("-({[<", (int)cp) != NULL) || cp_space(cp);
        else
            word_start = false;
    }
    return jn_sb_take(c, sb);
}

static bool in_chars(jv chars, uint32_t cp)
{
    for (size_t i = 0; i < chars.s->len;)
        if (next_cp(chars, &i) == cp)
            return true;
    return false;
}

/* str.strip/lstrip/rstrip: whitespace, or any of the characters in chars. */
static jv strip(jn_ctx *c, jv s, jv chars, bool left, bool right)
{
    size_t a = 0, b = s.s->len, k;

    if (chars.t == JV_STR) {
        while (left && a < b) {
            size_t i = a;
            if (!in_chars(chars, next_cp(s, &i)))
                break;
            a = i;
        }
        while (right && b > a) {
            size_t i = b - 1;
            while (i > a && ((unsigned char)s.s->s[i] & 0xc0) == 0x80)
                i--;
            size_t j = i;
            if (!in_chars(chars, next_cp(s, &j)))
                break;
            b = i;
        }
    } else {
        while (left && a < b && (k = jn_space_at(s.s->s + a, b - a)) > 0)
            a += k;
        while (right && b > a && (k = jn_space_before(s.s->s, b)) > 0 && b - k >= a)
            b -= k;
    }
    return jv_str_n(c, s.s->s + a, b - a);
}

static const char *find(jv hay, size_t from, jv needle)
{
    for (size_t i = from; i + needle.s->len <= hay.s->len; i++)
        if (memcmp(hay.s->s + i, needle.s->s, needle.s->len) == 0)
            return hay.s->s + i;
    return NULL;
}

static jv replace(jn_ctx *c, jv s, jv old, jv new_, int64_t count)
{
    mn_sb *sb = jn_sb(c);
    size_t i = 0;

    if (old.s->len == 0) { /* Python inserts new_ around every character */
        jv chars = jv_iterate(c, s);
        for (size_t k = 0; k <= chars.l->n; k++) {
            if (count < 0 || (int64_t)k < count)
                mn_sb_append(sb, new_.s->s, new_.s->len);
            if (k < chars.l->n)
                mn_sb_append(sb, chars.l->v[k].s->s, chars.l->v[k].s->len);
        }
        return jn_sb_take(c, sb);
    }
    for (int64_t done = 0; count < 0 || done < count; done++) {
        const char *hit = find(s, i, old);
        if (!hit)
            break;
        mn_sb_append(sb, s.s->s + i, (size_t)(hit - s.s->s) - i);
        mn_sb_append(sb, new_.s->s, new_.s->len);
        i = (size_t)(hit - s.s->s) + old.s->len;
    }
    mn_sb_append(sb, s.s->s + i, s.s->len - i);
    return jn_sb_take(c, sb);
}

static jv split(jn_ctx *c, jv s, jv sep, int64_t maxsplit)
{
    jv out = jv_list_new(c, JV_LIST, 0);
    size_t i = 0, k;

    if (sep.t == JV_STR) {
        if (sep.s->len == 0)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ValueError: empty separator");
        for (int64_t n = 0; maxsplit < 0 || n < maxsplit; n++) {
            const char *hit = find(s, i, sep);
            if (!hit)
                break;
            jv_list_push(c, out, jv_str_n(c, s.s->s + i, (size_t)(hit - s.s->s) - i));
            i = (size_t)(hit - s.s->s) + sep.s->len;
        }
        jv_list_push(c, out, jv_str_n(c, s.s->s + i, s.s->len - i));
        return out;
    }
    for (int64_t n = 0;; n++) { /* runs of whitespace, no empty strings */
        size_t start;
        while (i < s.s->len && (k = jn_space_at(s.s->s + i, s.s->len - i)) > 0)
            i += k;
        if (i >= s.s->len)
            break;
        start = i;
        if (maxsplit >= 0 && n >= maxsplit) {
            jv_list_push(c, out, strip(c, jv_str_n(c, s.s->s + i, s.s->len - i), jv_none(),
                                       false, true));
            break;
        }
        while (i < s.s->len && jn_space_at(s.s->s + i, s.s->len - i) == 0)
            i++;
        jv_list_push(c, out, jv_str_n(c, s.s->s + start, i - start));
    }
    return out;
}

static bool affix(jn_ctx *c, jv s, jv fix, bool end)
{
    if (fix.t == JV_TUPLE) {
        for (size_t i = 0; i < fix.l->n; i++)
            if (affix(c, s, fix.l->v[i], end))
                return true;
        return false;
    }
    need_str(c, fix, end ? "endswith first arg must be str or a tuple of str"
                         : "startswith first arg must be str or a tuple of str");
    if (fix.s->len > s.s->len)
        return false;
    return memcmp(s.s->s + (end ? s.s->len - fix.s->len : 0), fix.s->s, fix.s->len) == 0;
}

static jv join(jn_ctx *c, jv sep, jv items, bool python)
{
    mn_sb *sb = jn_sb(c);

    items = jv_iterate(c, items);
    for (size_t i = 0; i < items.l->n; i++) {
        jv v = items.l->v[i];
        if (i)
            mn_sb_append(sb, sep.s->s, sep.s->len);
        if (python && v.t != JV_STR)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: sequence item %zu: expected "
                     "str instance, %s found", i, jv_type_name(v));
        jv_write_str(c, sb, v);
    }
    return jn_sb_take(c, sb);
}

/* "{} and {name}".format(...): automatic and explicit fields, no specs. */
static jv format(jn_ctx *c, jv fmt, const jn_args *a)
{
    mn_sb *sb = jn_sb(c);
    int next = 0;

    for (size_t i = 0; i < fmt.s->len; i++) {
        char ch = fmt.s->s[i];
        const char *close;
        if ((ch == '{' || ch == '}') && i + 1 < fmt.s->len && fmt.s->s[i + 1] == ch) {
            mn_sb_append(sb, &ch, 1);
            i++;
            continue;
        }
        if (ch != '{') {
            mn_sb_append(sb, &ch, 1);
            continue;
        }
        close = memchr(fmt.s->s + i, '}', fmt.s->len - i);
        if (!close)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ValueError: Single '{' encountered in "
                     "format string");
        size_t n = (size_t)(close - fmt.s->s) - i - 1;
        jv field = jv_str_n(c, fmt.s->s + i + 1, n);
        jv v;
        if (n == 0)
            v = jn_arg(a, next++, NULL, (jv){.t = JV_UNDEF});
        else if (field.s->s[0] >= '0' && field.s->s[0] <= '9')
            v = jn_arg(a, atoi(field.s->s), NULL, (jv){.t = JV_UNDEF});
        else
            v = jn_arg(a, -1, field.s->s, (jv){.t = JV_UNDEF});
        if (v.t == JV_UNDEF)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "IndexError: Replacement index out of "
                     "range for positional args tuple");
        jv_write_str(c, sb, v);
        i += n + 1;
    }
    return jn_sb_take(c, sb);
}

/* ---- Methods --------------------------------------------------------- */

static const char *const str_methods[] = {
    "strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper", "lower",
    "replace", "title", "capitalize", "format", "join", "find", "count", "isdigit",
    "isspace", "isalpha", "islower", "isupper", NULL,
};
static const char *const dict_methods[] = {"items", "keys", "values", "get", "copy", NULL};
static const char *const loop_methods[] = {"cycle", "changed", NULL};
static const char *const list_methods[] = {"count", "index", "copy", NULL};

bool jn_method_get(jn_ctx *c, jv obj, const char *name, jv *out)
{
    const char *const *m = obj.t == JV_STR    ? str_methods
                           : obj.t == JV_DICT ? dict_methods
                           : obj.t == JV_LOOP ? loop_methods
                           : obj.t == JV_LIST || obj.t == JV_TUPLE ? list_methods : NULL;

    for (; m && *m; m++) {
        if (strcmp(*m, name) == 0) {
            jn_method *me = jn_new(c, sizeof *me);
            me->self = obj;
            me->name = *m;
            *out = (jv){.t = JV_METHOD, .me = me};
            return true;
        }
    }
    return false;
}

static bool all_chars(jv s, int kind)
{
    bool any_cased = false;

    if (s.s->len == 0)
        return false;
    for (size_t i = 0; i < s.s->len;) {
        size_t at = i;
        uint32_t cp = next_cp(s, &i);
        utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);
        bool ok;
        switch (kind) {
        case 'd': ok = cat == UTF8PROC_CATEGORY_ND; break;
        case 's': ok = jn_space_at(s.s->s + at, s.s->len - at) > 0; break;
        case 'a': ok = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO; break;
        case 'l': ok = cat != UTF8PROC_CATEGORY_LU && cat != UTF8PROC_CATEGORY_LT; break;
        default: ok = cat != UTF8PROC_CATEGORY_LL; break;
        }
        if (!ok)
            return false;
        any_cased = any_cased || is_cased(cp);
    }
    return kind == 'l' || kind == 'u' ? any_cased : true;
}

static jv str_method(jn_ctx *c, jv s, const char *name, const jn_args *a)
{
    jv none = jv_none(), x = jn_arg(a, 0, NULL, none);

    if (strcmp(name, "strip") == 0 || strcmp(name, "lstrip") == 0 ||
        strcmp(name, "rstrip") == 0)
        return strip(c, s, x, name[0] != 'r', name[0] != 'l');
    if (strcmp(name, "split") == 0) {
        jv sep = jn_arg(a, 0, "sep", none), max = jn_arg(a, 1, "maxsplit", jv_int(-1));
        return split(c, s, sep.t == JV_STR ? sep : none, need_int(c, max, "maxsplit"));
    }
    if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0)
        return jv_bool(affix(c, s, x, name[0] == 'e'));
    if (strcmp(name, "upper") == 0)
        return change_case(c, s, CASE_UPPER);
    if (strcmp(name, "lower") == 0)
        return change_case(c, s, CASE_LOWER);
    if (strcmp(name, "title") == 0)
        return change_case(c, s, CASE_TITLE);
    if (strcmp(name, "capitalize") == 0)
        return change_case(c, s, CASE_CAPITALIZE);
    if (strcmp(name, "replace") == 0) {
        jv old = need_str(c, x, "replace() argument 1 must be str");
        jv new_ = need_str(c, jn_arg(a, 1, NULL, none), "replace() argument 2 must be str");
        return replace(c, s, old, new_, need_int(c, jn_arg(a, 2, "count", jv_int(-1)),
                                                 "count"));
    }
    if (strcmp(name, "format") == 0)
        return format(c, s, a);
    if (strcmp(name, "join") == 0)
        return join(c, s, x, true);
    if (strcmp(name, "find") == 0 || strcmp(name, "count") == 0) {
        int64_t n = 0;
        const char *hit;
        need_str(c, x, "must be str");
        if (name[0] == 'f') {
            hit = find(s, 0, x);
            return jv_int(hit ? jv_length(c, jv_str_n(c, s.s->s, (size_t)(hit - s.s->s)))
                              : -1);
        }
        if (x.s->len == 0)
            return jv_int(jv_length(c, s) + 1);
        for (size_t i = 0; (hit = find(s, i, x)) != NULL; n++)
            i = (size_t)(hit - s.s->s) + x.s->len;
        return jv_int(n);
    }
    return jv_bool(all_chars(s, name[2] == 'd' ? 'd' : name[2] == 's' ? 's'
                                : name[2] == 'a' ? 'a' : name[2] == 'l' ? 'l' : 'u'));
}

static jv items_of(jn_ctx *c, jv d)
{
    jv out = jv_list_new(c, JV_LIST, d.d->n);

    for (size_t i = 0; i < d.d->n; i++) {
        jv pair = jv_list_new(c, JV_TUPLE, 2);
        jv_list_push(c, pair, d.d->k[i]);
        jv_list_push(c, pair, d.d->v[i]);
        jv_list_push(c, out, pair);
    }
    return out;
}

static jv dict_method(jn_ctx *c, jv d, const char *name, const jn_args *a)
{
    jv out;

    if (strcmp(name, "items") == 0)
        return items_of(c, d);
    if (strcmp(name, "get") == 0) {
        if (jv_dict_get(d, jn_arg(a, 0, NULL, jv_none()), &out))
            return out;
        return jn_arg(a, 1, NULL, jv_none());
    }
    out = strcmp(name, "copy") == 0 ? jv_dict_new(c, JV_DICT) : jv_list_new(c, JV_LIST, 0);
    for (size_t i = 0; i < d.d->n; i++) {
        if (out.t == JV_DICT)
            jv_dict_set(c, out, d.d->k[i], d.d->v[i]);
        else
            jv_list_push(c, out, name[0] == 'k' ? d.d->k[i] : d.d->v[i]);
    }
    return out;
}

jv jn_method_call(jn_ctx *c, const jn_method *m, const jn_args *a)
{
    jv self = m->self;

    jn_step(c);
    if (self.t == JV_STR)
        return str_method(c, self, m->name, a);
    if (self.t == JV_DICT)
        return dict_method(c, self, m->name, a);
    if (self.t == JV_LOOP) {
        jn_loop *l = self.loop;
        if (strcmp(m->name, "cycle") == 0) {
            if (a->n == 0)
                jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: no items for cycling "
                         "given");
            return a->pos[l->i % a->n];
        }
        jv now = jv_list_new(c, JV_TUPLE, (size_t)a->n);
        for (int i = 0; i < a->n; i++)
            jv_list_push(c, now, a->pos[i]);
        if (l->last_changed.t == JV_TUPLE && jv_equal(l->last_changed, now))
            return jv_bool(false);
        l->last_changed = now;
        return jv_bool(true);
    }
    if (strcmp(m->name, "copy") == 0) {
        jv out = jv_list_new(c, JV_LIST, self.l->n);
        for (size_t i = 0; i < self.l->n; i++)
            jv_list_push(c, out, self.l->v[i]);
        return out;
    }
    int64_t n = 0;
    jv x = jn_arg(a, 0, NULL, jv_none());
    for (size_t i = 0; i < self.l->n; i++) {
        if (jv_equal(self.l->v[i], x)) {
            if (m->name[0] == 'i')
                return jv_int((int64_t)i);
            n++;
        }
    }
    if (m->name[0] == 'i')
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ValueError: value is not in list");
    return jv_int(n);
}

/* ---- Tests ----------------------------------------------------------- */

static const char *const test_names[] = {
    "defined", "undefined", "none", "string", "number", "integer", "float", "mapping",
    "iterable", "sequence", "boolean", "true", "false", "odd", "even", "divisibleby",
    "equalto", "eq", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">", "ge", ">=", "in",
    "sameas", "callable", "lower", "upper", "escaped", "filter", "test", NULL,
};

bool jn_test_exists(const char *name)
{
    for (int i = 0; test_names[i]; i++)
        if (strcmp(test_names[i], name) == 0)
            return true;
    return false;
}

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static int64_t int_operand(jn_ctx *c, jv v)
{
    jv_check(c, v);
    if (v.t != JV_INT && v.t != JV_BOOL)
        jn_error(c, MNLP_ERR_UNSUPPORTED, "odd/even/divisibleby of a '%s' is not supported",
                 jv_type_name(v));
    return v.t == JV_INT ? v.i : v.b;
}

bool jn_test(jn_ctx *c, const char *n, jv v, const jn_args *a)
{
    jv x = jn_arg(a, 0, NULL, (jv){.t = JV_UNDEF});

    if (is(n, "defined")) return v.t != JV_UNDEF;
    if (is(n, "undefined")) return v.t == JV_UNDEF;
    if (is(n, "none")) return v.t == JV_NONE;
    if (is(n, "string")) return v.t == JV_STR;
    if (is(n, "number")) return jv_is_number(v);
    if (is(n, "integer")) return v.t == JV_INT;
    if (is(n, "float")) return v.t == JV_FLOAT;
    if (is(n, "mapping")) return v.t == JV_DICT;
    if (is(n, "iterable"))
        return v.t == JV_STR || v.t == JV_LIST || v.t == JV_TUPLE || v.t == JV_DICT ||
               v.t == JV_UNDEF || v.t == JV_LOOP;
    if (is(n, "sequence"))
        return v.t == JV_STR || v.t == JV_LIST || v.t == JV_TUPLE || v.t == JV_DICT ||
               v.t == JV_UNDEF;
    if (is(n, "boolean")) return v.t == JV_BOOL;
    if (is(n, "true")) return v.t == JV_BOOL && v.b;
    if (is(n, "false")) return v.t == JV_BOOL && !v.b;
    if (is(n, "odd")) return (int_operand(c, v) % 2 + 2) % 2 == 1;
    if (is(n, "even")) return int_operand(c, v) % 2 == 0;
    if (is(n, "divisibleby")) {
        int64_t d = int_operand(c, x);
        if (d == 0)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ZeroDivisionError: integer division or "
                     "modulo by zero");
        return int_operand(c, v) % d == 0;
    }
    if (is(n, "equalto") || is(n, "eq") || is(n, "==")) return jv_equal(v, x);
    if (is(n, "ne") || is(n, "!=")) return !jv_equal(v, x);
    if (is(n, "lt") || is(n, "<")) return jv_compare(c, v, x, "<") < 0;
    if (is(n, "le") || is(n, "<=")) return jv_compare(c, v, x, "<=") <= 0;
    if (is(n, "gt") || is(n, ">")) return jv_compare(c, v, x, ">") > 0;
    if (is(n, "ge") || is(n, ">=")) return jv_compare(c, v, x, ">=") >= 0;
    if (is(n, "in")) {
        jv found, list;
        if (x.t == JV_DICT)
            return jv_dict_get(x, v, &found);
        if (x.t == JV_STR)
            return v.t == JV_STR && (v.s->len == 0 || find(x, 0, v) != NULL);
        list = jv_iterate(c, x);
        for (size_t i = 0; i < list.l->n; i++)
            if (jv_equal(list.l->v[i], v))
                return true;
        return false;
    }
    if (is(n, "sameas"))
        return v.t == x.t && (jv_is_number(v) || v.t == JV_NONE ? jv_equal(v, x)
                                                                 : v.d == x.d);
    if (is(n, "callable"))
        return v.t == JV_MACRO || v.t == JV_FUNC || v.t == JV_METHOD;
    if (is(n, "lower") || is(n, "upper"))
        return v.t == JV_STR && jv_equal(v, change_case(c, v, n[0] == 'l' ? CASE_LOWER
                                                                        : CASE_UPPER));
    if (is(n, "filter"))
        return x.t == JV_STR && jn_filter_exists(x.s->s);
    if (is(n, "test"))
        return x.t == JV_STR && jn_test_exists(x.s->s);
    return false; /* escaped: nothing is markup without autoescape */
}

/* ---- Sorting --------------------------------------------------------- */

typedef struct sort_key {
    jv key;
    jv item;
} sort_key;

/* The key jinja2 sorts by: an attribute path, lower-cased unless case_sensitive. */
static jv item_key(jn_ctx *c, jv item, const char *attr, bool case_sensitive)
{
    jv k = item;

    if (attr) {
        const char *p = attr;
        while (*p) {
            const char *dot = strchr(p, '.');
            size_t n = dot ? (size_t)(dot - p) : strlen(p);
            jv name = jv_str_n(c, p, n), v;
            bool digit = n > 0 && p[0] >= '0' && p[0] <= '9';
            if (k.t == JV_DICT && jv_dict_get(k, name, &v))
                k = v;
            else if (digit && (k.t == JV_LIST || k.t == JV_TUPLE) &&
                     (size_t)atoll(name.s->s) < k.l->n)
                k = k.l->v[atoll(name.s->s)];
            else
                k = jv_undef_attr(c, k, name);
            p += n + (dot ? 1 : 0);
        }
    }
    if (!case_sensitive && k.t == JV_STR)
        k = change_case(c, k, CASE_LOWER);
    return k;
}

static void merge_sort(jn_ctx *c, sort_key *v, sort_key *tmp, size_t n, bool reverse)
{
    size_t mid = n / 2, i = 0, j = mid, k = 0;

    if (n < 2)
        return;
    merge_sort(c, v, tmp, mid, reverse);
    merge_sort(c, v + mid, tmp, n - mid, reverse);
    while (i < mid && j < n) {
        int r = jv_compare(c, v[j].key, v[i].key, "<");
        bool take_right = reverse ? r > 0 : r < 0;
        tmp[k++] = take_right ? v[j++] : v[i++];
    }
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static jv sorted(jn_ctx *c, jv items, const char *attr, bool case_sensitive, bool reverse)
{
    size_t n = items.l->n;
    sort_key *keys = jn_new(c, (n + 1) * sizeof *keys), *tmp = jn_new(c, (n + 1) * sizeof *tmp);
    jv out = jv_list_new(c, JV_LIST, n);

    for (size_t i = 0; i < n; i++) {
        jn_step(c);
        keys[i].item = items.l->v[i];
        keys[i].key = item_key(c, items.l->v[i], attr, case_sensitive);
    }
    merge_sort(c, keys, tmp, n, reverse);
    for (size_t i = 0; i < n; i++)
        jv_list_push(c, out, keys[i].item);
    return out;
}

/* ---- Filters --------------------------------------------------------- */

static const char *const filter_names[] = {
    "trim", "upper", "lower", "title", "capitalize", "length", "count", "first", "last",
    "join", "default", "d", "replace", "tojson", "string", "int", "float", "abs", "round",
    "list", "map", "select", "reject", "selectattr", "rejectattr", "items", "dictsort",
    "unique", "reverse", "sort", "safe", "indent", "batch", "wordcount", "min", "max", "sum",
    "escape", "e", "format", NULL,
};

bool jn_filter_exists(const char *name)
{
    for (int i = 0; filter_names[i]; i++)
        if (strcmp(filter_names[i], name) == 0)
            return true;
    return false;
}

/* The arguments after the first `skip` positional ones, for map and select. */
static jn_args shift(const jn_args *a, int skip)
{
    jn_args r = *a;

    r.pos = a->pos + (skip < a->n ? skip : a->n);
    r.n = a->n > skip ? a->n - skip : 0;
    return r;
}

static jv select_filter(jn_ctx *c, const char *name, jv v, const jn_args *a)
{
    bool attr = strstr(name, "attr") != NULL, want = name[0] == 's';
    int skip = attr ? 1 : 0;
    const char *attr_name = attr ? opt_name(a, 0, NULL) : NULL;
    jv test = jn_arg(a, skip, NULL, jv_none());
    jn_args rest = shift(a, skip + 1);
    jv items = jv_iterate(c, v), out = jv_list_new(c, JV_LIST, 0);

    if (test.t != JV_NONE && (test.t != JV_STR || !jn_test_exists(test.s->s)))
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "no test named %s",
                 test.t == JV_STR ? test.s->s : "?");
    for (size_t i = 0; i < items.l->n; i++) {
        jv x = attr_name ? item_key(c, items.l->v[i], attr_name, true) : items.l->v[i];
        bool ok = test.t == JV_STR ? jn_test(c, test.s->s, x, &rest) : jv_truthy(x);
        jn_step(c);
        if (ok == want)
            jv_list_push(c, out, items.l->v[i]);
    }
    return out;
}

static jv map_filter(jn_ctx *c, jv v, const jn_args *a)
{
    jv items = jv_iterate(c, v), out = jv_list_new(c, JV_LIST, items.l->n);
    const char *attr = opt_name(a, -1, "attribute");
    jv def = jn_arg(a, -1, "default", (jv){.t = JV_UNDEF});
    jv fname = jn_arg(a, 0, NULL, jv_none());
    jn_args rest = shift(a, 1);

    rest.n_kw = 0;
    if (!attr && (fname.t != JV_STR || !jn_filter_exists(fname.s->s)))
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "no filter named %s",
                 fname.t == JV_STR ? fname.s->s : "?");
    for (size_t i = 0; i < items.l->n; i++) {
        jv x;
        jn_step(c);
        if (attr) {
            x = item_key(c, items.l->v[i], attr, true);
            if (x.t == JV_UNDEF && def.u)
                x = def;
        } else {
            x = jn_filter(c, fname.s->s, items.l->v[i], &rest);
        }
        jv_list_push(c, out, x);
    }
    return out;
}

static jv minmax(jn_ctx *c, jv v, const jn_args *a, bool max)
{
    jv items = jv_iterate(c, v);
    bool cs = arg_bool(a, 0, "case_sensitive", false);
    const char *attr = opt_name(a, 1, "attribute");
    jv best = {.t = JV_UNDEF}, best_key = best;

    if (items.l->n == 0)
        return jv_undef_new(c, "No aggregated item, sequence was empty.");
    for (size_t i = 0; i < items.l->n; i++) {
        jv k = item_key(c, items.l->v[i], attr, cs);
        if (i == 0 || (max ? jv_compare(c, k, best_key, ">") > 0
                           : jv_compare(c, k, best_key, "<") < 0)) {
            best = items.l->v[i];
            best_key = k;
        }
    }
    return best;
}

static jv indent(jn_ctx *c, jv s, const jn_args *a)
{
    jv width = jn_arg(a, 0, "width", jv_int(4));
    bool first = arg_bool(a, 1, "first", false), blank = arg_bool(a, 2, "blank", false);
    mn_sb *pad = jn_sb(c), *sb = jn_sb(c);
    jv lines;

    if (width.t == JV_STR)
        mn_sb_append(pad, width.s->s, width.s->len);
    else
        for (int64_t i = need_int(c, width, "indent width must be int"); i > 0; i--)
            mn_sb_puts(pad, " ");
    lines = split(c, s, jv_cstr(c, "\n"), -1);
    if (lines.l->n > 1 && lines.l->v[lines.l->n - 1].s->len == 0)
        lines.l->n--; /* splitlines drops the piece after a final newline */
    for (size_t i = 0; i < lines.l->n; i++) {
        jv line = lines.l->v[i];
        if (i)
            mn_sb_puts(sb, "\n");
        if ((i > 0 || first) && (blank || line.s->len > 0))
            mn_sb_append(sb, pad->data ? pad->data : "", pad->len);
        mn_sb_append(sb, line.s->s, line.s->len);
    }
    if (first && lines.l->n == 1 && lines.l->v[0].s->len == 0)
        mn_sb_append(sb, pad->data ? pad->data : "", pad->len);
    return jn_sb_take(c, sb);
}

static jv to_int(jn_ctx *c, jv v, const jn_args *a)
{
    jv def = jn_arg(a, 0, "default", jv_int(0));
    char *end;

    if (v.t == JV_INT)
        return v;
    if (v.t == JV_BOOL)
        return jv_int(v.b);
    if (v.t == JV_FLOAT && isfinite(v.f) && fabs(v.f) < 9.2e18)
        return jv_int((int64_t)v.f);
    if (v.t == JV_STR) {
        jv t = strip(c, v, jv_none(), true, true);
        long long i = strtoll(t.s->s, &end, 10);
        if (t.s->len && *end == 0)
            return jv_int(i);
        double f = strtod(t.s->s, &end);
        if (t.s->len && *end == 0 && isfinite(f) && fabs(f) < 9.2e18)
            return jv_int((int64_t)f);
    }
    return def;
}

static jv round_filter(jn_ctx *c, jv v, const jn_args *a)
{
    int64_t prec = need_int(c, jn_arg(a, 0, "precision", jv_int(0)), "precision");
    const char *method = opt_name(a, 1, "method");
    double scale = pow(10, (double)prec), x;

    jv_check(c, v);
    if (!jv_is_number(v))
        type_error(c, "round() needs a number", v);
    x = jv_num(v) * scale;
    if (!method || strcmp(method, "common") == 0) {
        if (v.t != JV_FLOAT && prec >= 0)
            return jv_int(v.t == JV_BOOL ? v.b : v.i);
        x = rint(x);
    } else if (strcmp(method, "floor") == 0) {
        x = floor(x);
    } else if (strcmp(method, "ceil") == 0) {
        x = ceil(x);
    } else {
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "method must be common, ceil or floor");
    }
    return jv_float(x / scale);
}

static jv wordcount(jn_ctx *c, jv s)
{
    int64_t n = 0;
    bool in_word = false;

    s = jv_to_str(c, s);
    for (size_t i = 0; i < s.s->len;) {
        uint32_t cp = next_cp(s, &i);
        utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);
        bool w = cp == '_' || (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                 (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
        n += w && !in_word;
        in_word = w;
    }
    return jv_int(n);
}

static jv escape(jn_ctx *c, jv s)
{
    mn_sb *sb = jn_sb(c);

    s = jv_to_str(c, s);
    for (size_t i = 0; i < s.s->len; i++) {
        switch (s.s->s[i]) {
        case '&': mn_sb_puts(sb, "&amp;"); break;
        case '<': mn_sb_puts(sb, "&lt;"); break;
        case '>': mn_sb_puts(sb, "&gt;"); break;
        case '"': mn_sb_puts(sb, "&#34;"); break;
        case '\'': mn_sb_puts(sb, "&#39;"); break;
        default: mn_sb_append(sb, &s.s->s[i], 1);
        }
    }
    return jn_sb_take(c, sb);
}

static jv seq_filter(jn_ctx *c, const char *n, jv v)
{
    jv items;

    if (is(n, "first") || is(n, "last")) {
        items = jv_iterate(c, v);
        if (items.l->n == 0)
            return jv_undef_new(c, is(n, "first") ? "No first item, sequence was empty."
                                                  : "No last item, sequence was empty.");
        return items.l->v[is(n, "first") ? 0 : items.l->n - 1];
    }
    return v;
}

jv jn_filter(jn_ctx *c, const char *n, jv v, const jn_args *a)
{
    jv none = jv_none(), items, out;

    jn_step(c);
    if (is(n, "trim"))
        return strip(c, jv_to_str(c, v), jn_arg(a, 0, "chars", none), true, true);
    if (is(n, "upper") || is(n, "lower") || is(n, "title") || is(n, "capitalize"))
        return change_case(c, jv_to_str(c, v), n[0] == 'u' ? CASE_UPPER : n[0] == 'l'
                           ? CASE_LOWER : n[0] == 't' ? CASE_JINJA_TITLE : CASE_CAPITALIZE);
    if (is(n, "length") || is(n, "count"))
        return jv_int(jv_length(c, v));
    if (is(n, "first") || is(n, "last"))
        return seq_filter(c, n, v);
    if (is(n, "join")) {
        const char *attr = opt_name(a, 1, "attribute");
        jv sep = jv_to_str(c, jn_arg(a, 0, "d", jv_cstr(c, "")));
        if (attr)
            v = map_filter(c, v, &(jn_args){.names = (const char *[]){"attribute"},
                                            .kw = (jv[]){jv_cstr(c, attr)}, .n_kw = 1});
        return join(c, sep, v, false);
    }
    if (is(n, "default") || is(n, "d")) {
        bool boolean = arg_bool(a, 1, "boolean", false);
        if (v.t == JV_UNDEF || (boolean && !jv_truthy(v)))
            return jn_arg(a, 0, "default_value", jv_cstr(c, ""));
        return v;
    }
    if (is(n, "replace")) {
        jv s = jv_to_str(c, v);
        jv old = jv_to_str(c, jn_arg(a, 0, "old", jv_cstr(c, "")));
        jv new_ = jv_to_str(c, jn_arg(a, 1, "new", jv_cstr(c, "")));
        jv count = jn_arg(a, 2, "count", none);
        return replace(c, s, old, new_, count.t == JV_NONE ? -1 : need_int(c, count, "count"));
    }
    if (is(n, "tojson")) {
        jv ind = jn_arg(a, 1, "indent", none);
        mn_sb *sb = jn_sb(c);
        jv_write_json(c, sb, v, ind.t == JV_NONE ? -1 : (int)need_int(c, ind, "indent"),
                      arg_bool(a, 3, "sort_keys", false));
        return jn_sb_take(c, sb);
    }
    if (is(n, "string") || is(n, "safe"))
        return jv_to_str(c, v);
    if (is(n, "escape") || is(n, "e"))
        return escape(c, v);
    if (is(n, "int"))
        return to_int(c, v, a);
    if (is(n, "float")) {
        char *end;
        if (jv_is_number(v))
            return jv_float(jv_num(v));
        if (v.t == JV_STR) {
            jv t = strip(c, v, none, true, true);
            double f = strtod(t.s->s, &end);
            if (t.s->len && *end == 0)
                return jv_float(f);
        }
        return jn_arg(a, 0, "default", jv_float(0));
    }
    if (is(n, "abs")) {
        jv_check(c, v);
        if (v.t == JV_FLOAT)
            return jv_float(fabs(v.f));
        if (v.t == JV_INT || v.t == JV_BOOL) {
            int64_t i = v.t == JV_INT ? v.i : v.b;
            if (i == INT64_MIN)
                jn_error(c, MNLP_ERR_UNSUPPORTED, "integer overflow in abs");
            return jv_int(i < 0 ? -i : i);
        }
        jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: bad operand type for abs(): "
                 "'%s'", jv_type_name(v));
    }
    if (is(n, "round"))
        return round_filter(c, v, a);
    if (is(n, "list")) {
        items = jv_iterate(c, v);
        out = jv_list_new(c, JV_LIST, items.l->n);
        for (size_t i = 0; i < items.l->n; i++)
            jv_list_push(c, out, items.l->v[i]);
        return out;
    }
    if (is(n, "map"))
        return map_filter(c, v, a);
    if (is(n, "select") || is(n, "reject") || is(n, "selectattr") || is(n, "rejectattr"))
        return select_filter(c, n, v, a);
    if (is(n, "items")) {
        if (v.t == JV_UNDEF)
            return jv_list_new(c, JV_LIST, 0);
        if (v.t != JV_DICT)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "can only get item pairs from a mapping.");
        return items_of(c, v);
    }
    if (is(n, "dictsort")) {
        const char *by = opt_name(a, 1, "by");
        if (v.t != JV_DICT)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: dictsort expects a mapping");
        return sorted(c, items_of(c, v), by && is(by, "value") ? "1" : "0",
                      arg_bool(a, 0, "case_sensitive", false), arg_bool(a, 2, "reverse", false));
    }
    if (is(n, "unique")) {
        bool cs = arg_bool(a, 0, "case_sensitive", false);
        const char *attr = opt_name(a, 1, "attribute");
        jv seen = jv_list_new(c, JV_LIST, 0);
        items = jv_iterate(c, v);
        out = jv_list_new(c, JV_LIST, 0);
        for (size_t i = 0; i < items.l->n; i++) {
            jv k = item_key(c, items.l->v[i], attr, cs);
            bool dup = false;
            for (size_t j = 0; j < seen.l->n && !dup; j++) {
                jn_step(c);
                dup = jv_equal(seen.l->v[j], k);
            }
            if (!dup) {
                jv_list_push(c, seen, k);
                jv_list_push(c, out, items.l->v[i]);
            }
        }
        return out;
    }
    if (is(n, "reverse")) {
        items = jv_iterate(c, v);
        out = jv_list_new(c, JV_LIST, items.l->n);
        for (size_t i = items.l->n; i-- > 0;)
            jv_list_push(c, out, items.l->v[i]);
        if (v.t == JV_STR)
            return join(c, jv_cstr(c, ""), out, false);
        return out;
    }
    if (is(n, "sort"))
        return sorted(c, jv_iterate(c, v), opt_name(a, 2, "attribute"),
                      arg_bool(a, 1, "case_sensitive", false), arg_bool(a, 0, "reverse", false));
    if (is(n, "indent"))
        return indent(c, jv_to_str(c, v), a);
    if (is(n, "batch")) {
        int64_t size = need_int(c, jn_arg(a, 0, "linecount", none), "linecount");
        jv fill = jn_arg(a, 1, "fill_with", none), row = {.t = JV_UNDEF};
        if (size <= 0)
            jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "ValueError: batch size must be positive");
        items = jv_iterate(c, v);
        out = jv_list_new(c, JV_LIST, 0);
        for (size_t i = 0; i < items.l->n; i++) {
            if (i % (size_t)size == 0) {
                row = jv_list_new(c, JV_LIST, 0);
                jv_list_push(c, out, row);
            }
            jv_list_push(c, row, items.l->v[i]);
        }
        while (fill.t != JV_NONE && row.t == JV_LIST && row.l->n < (size_t)size)
            jv_list_push(c, row, fill);
        return out;
    }
    if (is(n, "wordcount"))
        return wordcount(c, v);
    if (is(n, "min") || is(n, "max"))
        return minmax(c, v, a, n[1] == 'a');
    if (is(n, "sum")) {
        const char *attr = opt_name(a, 0, "attribute");
        jv total = jn_arg(a, 1, "start", jv_int(0));
        items = jv_iterate(c, v);
        for (size_t i = 0; i < items.l->n; i++) {
            jv x = item_key(c, items.l->v[i], attr, true);
            jv_check(c, x);
            if (!jv_is_number(x) || !jv_is_number(total))
                jn_error(c, MNLP_ERR_INVALID_ARGUMENT, "TypeError: unsupported operand "
                         "type(s) for +: '%s' and '%s'", jv_type_name(total), jv_type_name(x));
            total = total.t == JV_FLOAT || x.t == JV_FLOAT
                        ? jv_float(jv_num(total) + jv_num(x))
                        : jv_int((int64_t)jv_num(total) + (int64_t)jv_num(x));
        }
        return total;
    }
    if (is(n, "format")) {
        jv s = need_str(c, v, "format needs a string");
        mn_sb *sb = jn_sb(c);
        size_t k = 0;
        for (size_t i = 0; i < s.s->len; i++) {
            if (s.s->s[i] == '%' && i + 1 < s.s->len && s.s->s[i + 1] == 's' && k < (size_t)a->n) {
                jv_write_str(c, sb, a->pos[k++]);
                i++;
            } else {
                mn_sb_append(sb, &s.s->s[i], 1);
            }
        }
        return jn_sb_take(c, sb);
    }
    jn_error(c, MNLP_ERR_INTERNAL, "no filter named '%s'", n);
}

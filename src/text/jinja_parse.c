/*
 * The Jinja parser: tokens to a tree, with jinja2's grammar and operator
 * precedence (Parser in jinja2/parser.py): conditional expressions, then
 * or, and, not, comparisons, + -, ~, * / // %, **, unary - +, and postfix
 * attribute, subscript, call, filter and test. Statements: if, for, set,
 * macro, call, filter, generation, break and continue.
 */
#include "text/jinja.h"

#include <stdio.h>
#include <string.h>

typedef struct parser {
    const jn_tok *t;
    int n, pos;
    jn_arena *arena;
    jn_fail *fail;
    int depth, max_depth;
} parser;

static jn_node *expression(parser *p, bool with_cond);
static jn_node *tuple_expr(parser *p, bool explicit_parens, bool with_cond);
static jn_node *unary(parser *p, bool with_filter);

static const jn_tok *cur(const parser *p)
{
    return &p->t[p->pos];
}

static const jn_tok *advance(parser *p)
{
    const jn_tok *t = &p->t[p->pos];

    if (p->pos + 1 < p->n)
        p->pos++;
    return t;
}

static const char *describe(const jn_tok *t)
{
    switch (t->type) {
    case TK_DATA: return "template data";
    case TK_VAR_BEGIN: return "'{{'";
    case TK_VAR_END: return "end of print statement";
    case TK_BLOCK_BEGIN: return "'{%'";
    case TK_BLOCK_END: return "end of statement block";
    case TK_NAME: return "name";
    case TK_STRING: return "string";
    case TK_INT: return "integer";
    case TK_FLOAT: return "float";
    case TK_OP: return "operator";
    default: return "end of template";
    }
}

static _Noreturn void fail_at(parser *p, const jn_tok *t, const char *fmt, const char *arg)
{
    char what[256];

    snprintf(what, sizeof what, fmt, arg);
    jn_failf(p->fail, MNLP_ERR_FORMAT, "template line %d, column %d: %s", t->line, t->col,
             what);
}

static bool is_op(const parser *p, int op)
{
    return cur(p)->type == TK_OP && cur(p)->op == op;
}

static bool is_name(const parser *p, const char *name)
{
    const jn_tok *t = cur(p);

    return t->type == TK_NAME && strcmp(t->s, name) == 0;
}

static bool skip_op(parser *p, int op)
{
    if (!is_op(p, op))
        return false;
    advance(p);
    return true;
}

static bool skip_name(parser *p, const char *name)
{
    if (!is_name(p, name))
        return false;
    advance(p);
    return true;
}

static void expect_op(parser *p, int op, const char *text)
{
    if (!skip_op(p, op))
        fail_at(p, cur(p), "expected '%s'", text);
}

static void expect(parser *p, jn_tok_type type, const char *what)
{
    if (cur(p)->type != type)
        fail_at(p, cur(p), "expected %s", what);
    advance(p);
}

static const char *expect_ident(parser *p)
{
    if (cur(p)->type != TK_NAME)
        fail_at(p, cur(p), "expected a name, got %s", describe(cur(p)));
    return advance(p)->s;
}

static jn_node *node(parser *p, jn_kind kind, const jn_tok *at)
{
    jn_node *n = jn_alloc(p->arena, p->fail, sizeof *n);

    n->kind = kind;
    n->line = at->line;
    n->col = at->col;
    return n;
}

/* A growable array of node pointers in the arena. */
typedef struct nodes { jn_node **v; int n, cap; } nodes;

static void add(parser *p, nodes *ns, jn_node *x)
{
    if (ns->n == ns->cap) {
        int cap = ns->cap ? ns->cap * 2 : 4;
        jn_node **g = jn_alloc(p->arena, p->fail, (size_t)cap * sizeof *g);

        if (ns->n)
            memcpy(g, ns->v, (size_t)ns->n * sizeof *g);
        ns->v = g;
        ns->cap = cap;
    }
    ns->v[ns->n++] = x;
}

static const char **names_of(parser *p, nodes *ns)
{
    const char **v = jn_alloc(p->arena, p->fail, (size_t)(ns->n + 1) * sizeof *v);

    for (int i = 0; i < ns->n; i++)
        v[i] = ns->v[i]->str;
    return v;
}

static void enter(parser *p)
{
    if (++p->depth > p->max_depth)
        jn_failf(p->fail, MNLP_ERR_LIMIT,
                 "template line %d, column %d: nesting deeper than max_depth (%d)",
                 cur(p)->line, cur(p)->col, p->max_depth);
}

/* ---- Expressions ----------------------------------------------------- */

/* (args, key=value) after the '(' has been read. */
static void call_args(parser *p, jn_node *call)
{
    nodes pos = {0}, kw = {0}, names = {0};

    while (!skip_op(p, OP_RPAREN)) {
        if ((pos.n || kw.n) && !skip_op(p, OP_COMMA))
            fail_at(p, cur(p), "expected ',' or ')'%s", "");
        if (skip_op(p, OP_RPAREN))
            break;
        if (cur(p)->type == TK_NAME && p->pos + 1 < p->n && p->t[p->pos + 1].type == TK_OP &&
            p->t[p->pos + 1].op == OP_ASSIGN) {
            jn_node *name = node(p, N_NAME, cur(p));
            name->str = advance(p)->s;
            advance(p);
            add(p, &names, name);
            add(p, &kw, expression(p, true));
        } else {
            if (kw.n)
                fail_at(p, cur(p), "positional argument after keyword argument%s", "");
            add(p, &pos, expression(p, true));
        }
    }
    call->items = pos.v;
    call->n = pos.n;
    call->items2 = kw.v;
    call->n2 = kw.n;
    call->names = names_of(p, &names);
    call->n_names = names.n;
}

static jn_node *primary(parser *p)
{
    const jn_tok *t = cur(p);
    jn_node *n;

    if (t->type == TK_NAME) {
        static const char *const consts[] = {"true", "false", "none", "True", "False", "None"};
        advance(p);
        for (int i = 0; i < MN_COUNT(consts); i++) {
            if (strcmp(t->s, consts[i]) == 0) {
                n = node(p, N_CONST, t);
                n->val = i % 3 == 2 ? jv_none() : jv_bool(i % 3 == 0);
                return n;
            }
        }
        n = node(p, N_NAME, t);
        n->str = t->s;
        return n;
    }
    if (t->type == TK_STRING) {
        /* adjacent string literals join, as in Python */
        mn_sb sb = {0};
        while (cur(p)->type == TK_STRING) {
            mn_sb_append(&sb, cur(p)->s, cur(p)->len);
            advance(p);
        }
        if (sb.failed) {
            mn_sb_free(&sb);
            jn_failf(p->fail, MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        }
        n = node(p, N_CONST, t);
        n->val.t = JV_STR;
        n->val.s = jn_alloc(p->arena, p->fail, sizeof *n->val.s + sb.len + 1);
        n->val.s->len = sb.len;
        if (sb.len)
            memcpy(n->val.s->s, sb.data, sb.len);
        mn_sb_free(&sb);
        return n;
    }
    if (t->type == TK_INT || t->type == TK_FLOAT) {
        advance(p);
        n = node(p, N_CONST, t);
        n->val = t->type == TK_INT ? jv_int(t->i) : jv_float(t->f);
        return n;
    }
    if (skip_op(p, OP_LPAREN))
        return tuple_expr(p, true, true);
    if (skip_op(p, OP_LBRACKET)) {
        nodes items = {0};
        n = node(p, N_LIST, t);
        while (!skip_op(p, OP_RBRACKET)) {
            if (items.n)
                expect_op(p, OP_COMMA, ",");
            if (skip_op(p, OP_RBRACKET))
                break;
            add(p, &items, expression(p, true));
        }
        n->items = items.v;
        n->n = items.n;
        return n;
    }
    if (skip_op(p, OP_LBRACE)) {
        nodes keys = {0}, vals = {0};
        n = node(p, N_DICT, t);
        while (!skip_op(p, OP_RBRACE)) {
            if (keys.n)
                expect_op(p, OP_COMMA, ",");
            if (skip_op(p, OP_RBRACE))
                break;
            add(p, &keys, expression(p, true));
            expect_op(p, OP_COLON, ":");
            add(p, &vals, expression(p, true));
        }
        n->items = keys.v;
        n->n = keys.n;
        n->items2 = vals.v;
        n->n2 = vals.n;
        return n;
    }
    fail_at(p, t, "unexpected %s", describe(t));
}

/* One part of a subscript: an expression or a slice a:b:c. */
static jn_node *subscript_arg(parser *p)
{
    const jn_tok *t = cur(p);
    jn_node *parts[3] = {NULL, NULL, NULL}, *n;

    if (!is_op(p, OP_COLON)) {
        parts[0] = expression(p, true);
        if (!is_op(p, OP_COLON))
            return parts[0];
    }
    advance(p);
    if (!is_op(p, OP_RBRACKET) && !is_op(p, OP_COMMA) && !is_op(p, OP_COLON))
        parts[1] = expression(p, true);
    if (skip_op(p, OP_COLON) && !is_op(p, OP_RBRACKET) && !is_op(p, OP_COMMA))
        parts[2] = expression(p, true);
    n = node(p, N_SLICE, t);
    n->a = parts[0];
    n->b = parts[1];
    n->c = parts[2];
    return n;
}

static jn_node *postfix(parser *p, jn_node *n)
{
    for (;;) {
        const jn_tok *t = cur(p);
        jn_node *x;

        if (skip_op(p, OP_DOT)) {
            if (cur(p)->type == TK_INT) {
                x = node(p, N_GETITEM, t);
                x->b = node(p, N_CONST, cur(p));
                x->b->val = jv_int(advance(p)->i);
            } else {
                x = node(p, N_GETATTR, t);
                x->str = expect_ident(p);
            }
        } else if (skip_op(p, OP_LBRACKET)) {
            nodes args = {0};
            x = node(p, N_GETITEM, t);
            while (!skip_op(p, OP_RBRACKET)) {
                if (args.n)
                    expect_op(p, OP_COMMA, ",");
                add(p, &args, subscript_arg(p));
            }
            if (args.n == 0)
                fail_at(p, t, "expected a subscript%s", "");
            x->b = args.v[0];
            if (args.n > 1) {
                x->b = node(p, N_TUPLE, t);
                x->b->items = args.v;
                x->b->n = args.n;
            }
        } else if (skip_op(p, OP_LPAREN)) {
            x = node(p, N_CALL, t);
            call_args(p, x);
        } else {
            return n;
        }
        x->a = n;
        n = x;
    }
}

static jn_node *filter_call(parser *p, jn_node *operand)
{
    const jn_tok *t = cur(p);
    jn_node *f = node(p, N_FILTER, t);

    f->str = expect_ident(p);
    while (skip_op(p, OP_DOT)) { /* dotted filter names */
        const char *rest = expect_ident(p);
        f->str = jn_alloc(p->arena, p->fail, strlen(f->str) + strlen(rest) + 2);
        sprintf((char *)f->str, "%s.%s", t->s, rest);
    }
    if (!jn_filter_exists(f->str))
        fail_at(p, t, "no filter named '%s'", f->str);
    if (skip_op(p, OP_LPAREN))
        call_args(p, f);
    f->a = operand;
    return f;
}

static jn_node *test_call(parser *p, jn_node *operand)
{
    const jn_tok *t = cur(p);
    jn_node *n = node(p, N_TEST, t);
    const jn_tok *c;

    n->op = skip_name(p, "not");
    n->str = expect_ident(p);
    if (!jn_test_exists(n->str))
        fail_at(p, t, "no test named '%s'", n->str);
    c = cur(p);
    if (skip_op(p, OP_LPAREN)) {
        call_args(p, n);
    } else if ((c->type == TK_NAME || c->type == TK_STRING || c->type == TK_INT ||
                c->type == TK_FLOAT || is_op(p, OP_LPAREN) || is_op(p, OP_LBRACKET) ||
                is_op(p, OP_LBRACE)) &&
               !is_name(p, "else") && !is_name(p, "or") && !is_name(p, "and")) {
        if (is_name(p, "is"))
            fail_at(p, c, "you cannot chain multiple tests with is%s", "");
        n->items = jn_alloc(p->arena, p->fail, sizeof *n->items);
        n->items[0] = postfix(p, primary(p));
        n->n = 1;
    }
    n->a = operand;
    return n;
}

static jn_node *filters_and_tests(parser *p, jn_node *n)
{
    for (;;) {
        if (skip_op(p, OP_PIPE))
            n = filter_call(p, n);
        else if (skip_name(p, "is"))
            n = test_call(p, n);
        else if (is_op(p, OP_LPAREN))
            n = postfix(p, n);
        else
            return n;
    }
}

static jn_node *unary(parser *p, bool with_filter)
{
    const jn_tok *t = cur(p);
    jn_node *n;

    enter(p);
    if (skip_op(p, OP_SUB) || skip_op(p, OP_ADD)) {
        n = node(p, t->op == OP_SUB ? N_NEG : N_POS, t);
        n->a = unary(p, false);
    } else {
        n = primary(p);
    }
    n = postfix(p, n);
    if (with_filter)
        n = filters_and_tests(p, n);
    p->depth--;
    return n;
}

static jn_node *binop(parser *p, const jn_tok *t, int op, jn_node *a, jn_node *b)
{
    jn_node *n = node(p, op == OP_TILDE ? N_CONCAT : N_BINOP, t);

    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

static jn_node *power(parser *p)
{
    jn_node *n = unary(p, true);

    while (is_op(p, OP_POW)) {
        const jn_tok *t = advance(p);
        n = binop(p, t, OP_POW, n, unary(p, true));
    }
    return n;
}

static jn_node *math2(parser *p)
{
    jn_node *n = power(p);

    while (is_op(p, OP_MUL) || is_op(p, OP_DIV) || is_op(p, OP_FLOORDIV) || is_op(p, OP_MOD)) {
        const jn_tok *t = advance(p);
        n = binop(p, t, t->op, n, power(p));
    }
    return n;
}

static jn_node *concat(parser *p)
{
    jn_node *n = math2(p);

    while (is_op(p, OP_TILDE)) {
        const jn_tok *t = advance(p);
        n = binop(p, t, OP_TILDE, n, math2(p));
    }
    return n;
}

static jn_node *math1(parser *p)
{
    jn_node *n = concat(p);

    while (is_op(p, OP_ADD) || is_op(p, OP_SUB)) {
        const jn_tok *t = advance(p);
        n = binop(p, t, t->op, n, concat(p));
    }
    return n;
}

static int compare_op(parser *p)
{
    const jn_tok *t = cur(p);

    if (t->type == TK_OP && t->op >= OP_EQ && t->op <= OP_GE) {
        advance(p);
        return t->op;
    }
    if (skip_name(p, "in"))
        return OP_IN;
    if (is_name(p, "not") && p->pos + 1 < p->n && p->t[p->pos + 1].type == TK_NAME &&
        strcmp(p->t[p->pos + 1].s, "in") == 0) {
        advance(p);
        advance(p);
        return OP_NOTIN;
    }
    return 0;
}

/* a < b < c is a chain: each pair compared, all must hold. */
static jn_node *compare(parser *p)
{
    const jn_tok *t = cur(p);
    jn_node *first = math1(p), *n;
    nodes ops = {0};
    int op;

    while ((op = compare_op(p)) != 0) {
        jn_node *x = node(p, N_BINOP, t);
        x->op = op;
        x->a = math1(p);
        add(p, &ops, x);
    }
    if (ops.n == 0)
        return first;
    n = node(p, N_COMPARE, t);
    n->a = first;
    n->items = ops.v;
    n->n = ops.n;
    return n;
}

static jn_node *not_expr(parser *p)
{
    const jn_tok *t = cur(p);
    jn_node *n;

    if (!skip_name(p, "not"))
        return compare(p);
    enter(p);
    n = node(p, N_NOT, t);
    n->a = not_expr(p);
    p->depth--;
    return n;
}

static jn_node *and_expr(parser *p)
{
    jn_node *n = not_expr(p);

    while (is_name(p, "and")) {
        const jn_tok *t = advance(p);
        jn_node *x = node(p, N_AND, t);
        x->a = n;
        x->b = not_expr(p);
        n = x;
    }
    return n;
}

static jn_node *or_expr(parser *p)
{
    jn_node *n = and_expr(p);

    while (is_name(p, "or")) {
        const jn_tok *t = advance(p);
        jn_node *x = node(p, N_OR, t);
        x->a = n;
        x->b = and_expr(p);
        n = x;
    }
    return n;
}

static jn_node *expression(parser *p, bool with_cond)
{
    jn_node *n;

    enter(p);
    n = or_expr(p);
    while (with_cond && is_name(p, "if")) {
        const jn_tok *t = advance(p);
        jn_node *c = node(p, N_COND, t);
        c->b = n;
        c->a = or_expr(p);
        if (skip_name(p, "else"))
            c->c = expression(p, true);
        n = c;
    }
    p->depth--;
    return n;
}

static bool tuple_ends(const parser *p)
{
    const jn_tok *t = cur(p);

    return t->type == TK_VAR_END || t->type == TK_BLOCK_END || t->type == TK_EOF ||
           is_op(p, OP_RPAREN) || is_name(p, "in") || is_name(p, "if");
}

/* An expression, or a tuple when commas follow (a, b); "()" is the empty tuple. */
static jn_node *tuple_expr(parser *p, bool explicit_parens, bool with_cond)
{
    const jn_tok *t = cur(p);
    nodes items = {0};
    bool comma = false;
    jn_node *n;

    for (;;) {
        if (items.n) {
            if (!skip_op(p, OP_COMMA))
                break;
            comma = true;
        }
        if (tuple_ends(p))
            break;
        add(p, &items, expression(p, with_cond));
    }
    if (explicit_parens)
        expect_op(p, OP_RPAREN, ")");
    if (items.n == 1 && !comma)
        return items.v[0];
    if (items.n == 0 && !explicit_parens)
        fail_at(p, t, "expected an expression, got %s", describe(t));
    n = node(p, N_TUPLE, t);
    n->items = items.v;
    n->n = items.n;
    return n;
}

/* ---- Statements ------------------------------------------------------ */

static jn_node *statement(parser *p);

/* Statements until `{% name` for one of ends (NULL-terminated); leaves the
 * parser on that name. At the end of the template, fails when ends is set. */
static jn_node *body(parser *p, const char *const *ends, const char *what)
{
    jn_node *b = node(p, N_BODY, cur(p));
    nodes items = {0};

    enter(p);
    for (;;) {
        const jn_tok *t = cur(p);

        if (t->type == TK_EOF) {
            if (ends)
                fail_at(p, t, "unexpected end of template, expected '%s'", what);
            break;
        }
        if (t->type == TK_DATA) {
            jn_node *d = node(p, N_DATA, t);
            d->str = t->s;
            d->len = t->len;
            advance(p);
            add(p, &items, d);
        } else if (t->type == TK_VAR_BEGIN) {
            jn_node *o = node(p, N_OUTPUT, t);
            advance(p);
            o->a = tuple_expr(p, false, true);
            expect(p, TK_VAR_END, "'}}'");
            add(p, &items, o);
        } else if (t->type == TK_BLOCK_BEGIN) {
            const jn_tok *name = &p->t[p->pos + 1 < p->n ? p->pos + 1 : p->pos];
            bool stop = false;
            for (int i = 0; ends && ends[i] && name->type == TK_NAME; i++)
                stop = stop || strcmp(name->s, ends[i]) == 0;
            if (stop) {
                advance(p);
                break;
            }
            advance(p);
            add(p, &items, statement(p));
        } else {
            fail_at(p, t, "unexpected %s", describe(t));
        }
    }
    p->depth--;
    b->items = items.v;
    b->n = items.n;
    return b;
}

static void end_tag(parser *p)
{
    expect(p, TK_BLOCK_END, "end of statement block");
}

/* Skips `name` and the closing %} of an end tag. */
static void close_tag(parser *p, const char *name)
{
    skip_name(p, name);
    end_tag(p);
}

static jn_node *if_stmt(parser *p, const jn_tok *t)
{
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    jn_node *n = node(p, N_IF, t);

    n->a = tuple_expr(p, false, true);
    end_tag(p);
    n->b = body(p, ends, "endif");
    if (skip_name(p, "elif")) {
        n->c = if_stmt(p, cur(p));
        return n;
    }
    if (skip_name(p, "else")) {
        static const char *const end[] = {"endif", NULL};
        end_tag(p);
        n->c = body(p, end, "endif");
    }
    close_tag(p, "endif");
    return n;
}

/* Loop or assignment targets: a name or names separated by commas. */
static void targets(parser *p, jn_node *n)
{
    nodes names = {0};
    bool paren = skip_op(p, OP_LPAREN);

    do {
        jn_node *x = node(p, N_NAME, cur(p));
        x->str = expect_ident(p);
        add(p, &names, x);
    } while (skip_op(p, OP_COMMA) && cur(p)->type == TK_NAME);
    if (paren)
        expect_op(p, OP_RPAREN, ")");
    n->names = names_of(p, &names);
    n->n_names = names.n;
    n->op = names.n > 1 || paren; /* unpack */
}

static jn_node *for_stmt(parser *p, const jn_tok *t)
{
    static const char *const ends[] = {"endfor", "else", NULL};
    static const char *const end[] = {"endfor", NULL};
    jn_node *n = node(p, N_FOR, t);

    targets(p, n);
    if (!skip_name(p, "in"))
        fail_at(p, cur(p), "expected 'in'%s", "");
    n->a = tuple_expr(p, false, false);
    if (skip_name(p, "if"))
        n->c = expression(p, true);
    if (is_name(p, "recursive"))
        fail_at(p, cur(p), "recursive loops are not supported%s", "");
    end_tag(p);
    n->b = body(p, ends, "endfor");
    if (skip_name(p, "else")) {
        end_tag(p);
        n->items2 = jn_alloc(p->arena, p->fail, sizeof *n->items2);
        n->items2[0] = body(p, end, "endfor");
        n->n2 = 1;
    }
    close_tag(p, "endfor");
    return n;
}

static jn_node *set_stmt(parser *p, const jn_tok *t)
{
    static const char *const end[] = {"endset", NULL};
    jn_node *n = node(p, N_SET, t);

    if (cur(p)->type == TK_NAME && p->pos + 2 < p->n && p->t[p->pos + 1].type == TK_OP &&
        p->t[p->pos + 1].op == OP_DOT) {
        /* {% set ns.attr = value %} */
        n->str = advance(p)->s;
        advance(p);
        n->names = jn_alloc(p->arena, p->fail, sizeof *n->names);
        n->names[0] = expect_ident(p);
        n->n_names = 1;
        n->op = 2;
    } else {
        targets(p, n);
    }
    if (skip_op(p, OP_ASSIGN)) {
        n->a = tuple_expr(p, false, true);
        end_tag(p);
        return n;
    }
    if (n->op)
        fail_at(p, cur(p), "expected '='%s", "");
    n->kind = N_SETBLOCK;
    while (skip_op(p, OP_PIPE))
        n->a = filter_call(p, n->a);
    end_tag(p);
    n->b = body(p, end, "endset");
    close_tag(p, "endset");
    return n;
}

/* (a, b=default) of a macro or call block. */
static void params(parser *p, jn_node *n)
{
    nodes names = {0}, defaults = {0};

    expect_op(p, OP_LPAREN, "(");
    while (!skip_op(p, OP_RPAREN)) {
        jn_node *x;
        if (names.n)
            expect_op(p, OP_COMMA, ",");
        if (skip_op(p, OP_RPAREN))
            break;
        x = node(p, N_NAME, cur(p));
        x->str = expect_ident(p);
        add(p, &names, x);
        if (skip_op(p, OP_ASSIGN))
            add(p, &defaults, expression(p, true));
        else if (defaults.n)
            fail_at(p, cur(p), "non-default argument follows default argument%s", "");
    }
    n->names = names_of(p, &names);
    n->n_names = names.n;
    n->items2 = defaults.v;
    n->n2 = defaults.n;
}

static jn_node *macro_stmt(parser *p, const jn_tok *t)
{
    static const char *const end[] = {"endmacro", NULL};
    jn_node *n = node(p, N_MACRO, t);

    n->str = expect_ident(p);
    params(p, n);
    end_tag(p);
    n->b = body(p, end, "endmacro");
    close_tag(p, "endmacro");
    return n;
}

static jn_node *call_stmt(parser *p, const jn_tok *t)
{
    static const char *const end[] = {"endcall", NULL};
    jn_node *n = node(p, N_CALLBLOCK, t);

    if (is_op(p, OP_LPAREN))
        params(p, n);
    n->str = "caller";
    n->a = expression(p, true);
    if (n->a->kind != N_CALL)
        fail_at(p, t, "expected a call%s", "");
    end_tag(p);
    n->b = body(p, end, "endcall");
    close_tag(p, "endcall");
    return n;
}

static jn_node *filter_stmt(parser *p, const jn_tok *t)
{
    static const char *const end[] = {"endfilter", NULL};
    jn_node *n = node(p, N_FILTERBLOCK, t);

    n->a = filter_call(p, NULL);
    while (skip_op(p, OP_PIPE))
        n->a = filter_call(p, n->a);
    end_tag(p);
    n->b = body(p, end, "endfilter");
    close_tag(p, "endfilter");
    return n;
}

static jn_node *statement(parser *p)
{
    const jn_tok *t = cur(p);
    const char *name = expect_ident(p);

    if (strcmp(name, "if") == 0)
        return if_stmt(p, t);
    if (strcmp(name, "for") == 0)
        return for_stmt(p, t);
    if (strcmp(name, "set") == 0)
        return set_stmt(p, t);
    if (strcmp(name, "macro") == 0)
        return macro_stmt(p, t);
    if (strcmp(name, "call") == 0)
        return call_stmt(p, t);
    if (strcmp(name, "filter") == 0)
        return filter_stmt(p, t);
    if (strcmp(name, "generation") == 0) {
        /* transformers' AssistantTracker marks the span; the text is unchanged */
        static const char *const end[] = {"endgeneration", NULL};
        jn_node *b;
        end_tag(p);
        b = body(p, end, "endgeneration");
        close_tag(p, "endgeneration");
        return b;
    }
    if (strcmp(name, "break") == 0 || strcmp(name, "continue") == 0) {
        jn_node *n = node(p, name[0] == 'b' ? N_BREAK : N_CONTINUE, t);
        end_tag(p);
        return n;
    }
    fail_at(p, t, "unknown or unsupported tag '%s'", name);
}

jn_node *jn_parse(const jn_lexed *lx, int max_depth, jn_arena *a, jn_fail *f)
{
    parser p = {.t = lx->toks, .n = lx->n, .arena = a, .fail = f, .max_depth = max_depth};

    return body(&p, NULL, NULL);
}

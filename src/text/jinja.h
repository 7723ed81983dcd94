/*
 * The Jinja interpreter behind chat templates: values, the syntax tree, and
 * the entry points shared by jinja_lex.c, jinja_parse.c, jinja_value.c,
 * jinja_eval.c and jinja_filters.c.
 *
 * It follows jinja2 3.1 as transformers configures it for chat templates:
 * an ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the
 * loopcontrols extension and {% generation %} blocks, default Undefined.
 *
 * Memory: a compiled template lives in one arena, and each render in
 * another, so values are never freed one by one. Errors unwind with longjmp
 * to the entry point (jn_fail), which frees the render's arena.
 */
#ifndef MN_JINJA_H
#define MN_JINJA_H

#include "base/base.h"

#include <setjmp.h>

/* ---- Arena and failure ----------------------------------------------- */

typedef struct jn_block jn_block;

typedef struct jn_arena {
    jn_block *head;
    size_t used;  /* bytes handed out, for the memory limit */
    size_t limit; /* 0: none */
} jn_arena;

/* How a parse or render failure leaves: status and message, then longjmp. */
typedef struct jn_fail {
    jmp_buf jump;
    mnlp_status status;
    char msg[MN_ERROR_MAX];
} jn_fail;

_Noreturn void jn_failf(jn_fail *f, mnlp_status status, const char *fmt, ...) MN_PRINTF(3, 4);

/* Arena memory, zeroed; fails through f when the limit is reached. */
void *jn_alloc(jn_arena *a, jn_fail *f, size_t size);
void jn_arena_free(jn_arena *a);

/* ---- Values ---------------------------------------------------------- */

typedef enum jv_type {
    JV_UNDEF, JV_NONE, JV_BOOL, JV_INT, JV_FLOAT, JV_STR, JV_LIST, JV_TUPLE, JV_DICT,
    JV_NS, JV_LOOP, JV_MACRO, JV_FUNC, JV_METHOD,
} jv_type;

typedef struct jv_str { size_t len; char s[]; } jv_str;
typedef struct jv_list jv_list;
typedef struct jv_dict jv_dict;
typedef struct jv_undef jv_undef;
typedef struct jn_loop jn_loop;
typedef struct jn_macro jn_macro;
typedef struct jn_method jn_method;

typedef struct jv {
    jv_type t;
    union {
        bool b;
        int64_t i;
        double f;
        jv_str *s;
        jv_list *l;     /* LIST, TUPLE */
        jv_dict *d;     /* DICT, NS */
        jv_undef *u;
        jn_loop *loop;
        jn_macro *m;
        int fn;         /* FUNC: a global function id */
        jn_method *me;
    };
} jv;

struct jv_list { size_t n, cap; jv *v; };
struct jv_dict { size_t n, cap; jv *k, *v; };
/* Why a value is undefined, in the words jinja2 uses when it is misused. */
struct jv_undef { const char *msg; bool unsafe; };
struct jn_method { jv self; const char *name; };
/* A running for loop: what `loop.index`, `loop.last`, ... read. */
struct jn_loop { jv items; int64_t i; jv last_changed; };

/* ---- Syntax tree ----------------------------------------------------- */

typedef enum jn_kind {
    /* expressions */
    N_CONST, N_NAME, N_LIST, N_TUPLE, N_DICT, N_GETATTR, N_GETITEM, N_SLICE, N_CALL,
    N_FILTER, N_TEST, N_BINOP, N_NOT, N_NEG, N_POS, N_AND, N_OR, N_COND, N_COMPARE,
    N_CONCAT,
    /* statements */
    N_DATA, N_OUTPUT, N_IF, N_FOR, N_SET, N_SETBLOCK, N_MACRO, N_CALLBLOCK, N_FILTERBLOCK,
    N_BREAK, N_CONTINUE, N_BODY,
} jn_kind;

typedef struct jn_node jn_node;
struct jn_node {
    jn_kind kind;
    int op;               /* BINOP/COMPARE operator; TEST negated; FOR recursive */
    int line, col;
    jn_node *a, *b, *c;   /* operands, test, iterable, filter condition, ... */
    jn_node **items;      /* arguments, elements, statements, dict keys */
    int n;
    jn_node **items2;     /* keyword values, else branch, dict values, defaults */
    int n2;
    const char **names;   /* keyword names, targets, parameters */
    int n_names;
    const char *str;      /* name, attribute, filter/test name, data */
    size_t len;
    jv val;               /* CONST */
};

/* Operators, shared by lexer tokens and BINOP/COMPARE nodes. */
enum {
    OP_ADD = 1, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_TILDE,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN,
    OP_LBRACKET, OP_RBRACKET, OP_LPAREN, OP_RPAREN, OP_LBRACE, OP_RBRACE, OP_ASSIGN,
    OP_DOT, OP_COLON, OP_PIPE, OP_COMMA, OP_SEMICOLON,
};

/* ---- Whitespace as Python's str.isspace() sees it -------------------- */

/* Bytes of the whitespace character at s[0..n), or 0. */
size_t jn_space_at(const char *s, size_t n);
/* Bytes of the whitespace character ending at s[end], or 0. */
size_t jn_space_before(const char *s, size_t end);

/* ---- Lexer ----------------------------------------------------------- */

typedef enum jn_tok_type {
    TK_DATA, TK_VAR_BEGIN, TK_VAR_END, TK_BLOCK_BEGIN, TK_BLOCK_END, TK_NAME, TK_STRING,
    TK_INT, TK_FLOAT, TK_OP, TK_EOF,
} jn_tok_type;

typedef struct jn_tok {
    jn_tok_type type;
    int op;
    int line, col;
    const char *s;  /* DATA, NAME, STRING: text (decoded for strings) */
    size_t len;
    int64_t i;
    double f;
} jn_tok;

typedef struct jn_lexed {
    jn_tok *toks;
    int n;
} jn_lexed;

/* Split source into tokens as jinja2's lexer does with trim_blocks and
 * lstrip_blocks; data and strings are copied into the arena. */
void jn_lex(const char *src, size_t len, jn_arena *a, jn_fail *f, jn_lexed *out);

/* Parse tokens into a tree (N_BODY); nesting deeper than max_depth fails. */
jn_node *jn_parse(const jn_lexed *lx, int max_depth, jn_arena *a, jn_fail *f);

/* ---- Rendering ------------------------------------------------------- */

typedef struct jn_limits {
    int max_depth;        /* nested macro calls and expression evaluation */
    int64_t max_steps;    /* loop iterations, macro calls and filter items */
    size_t max_output;    /* bytes of output, including captured blocks */
    size_t max_memory;    /* bytes of values a render may create */
} jn_limits;

typedef struct jn_ctx jn_ctx;

/*
 * Render root with the variables of the JSON object vars (special tokens,
 * messages, ...). now is the time strftime_now reports, in seconds since the
 * Unix epoch (read as UTC). On failure returns the status with the message
 * in f->msg, as jinja2 words it.
 */
mnlp_status jn_render(const jn_node *root, const char *vars, size_t vars_len, int64_t now,
                      const jn_limits *limits, jn_fail *f, mn_sb *out);

/* ---- Values: helpers (jinja_value.c) --------------------------------- */

/* Zeroed memory from the render's arena (fails the render at max_memory). */
void *jn_new(jn_ctx *c, size_t size);
/* A string builder freed when the render ends, even by failure. */
mn_sb *jn_sb(jn_ctx *c);
/* The builder's text as a string value; the builder is emptied. */
jv jn_sb_take(jn_ctx *c, mn_sb *sb);
_Noreturn void jn_error(jn_ctx *c, mnlp_status status, const char *fmt, ...) MN_PRINTF(3, 4);
void jn_step(jn_ctx *c);

jv jv_none(void);
jv jv_bool(bool b);
jv jv_int(int64_t i);
jv jv_float(double f);
jv jv_str_n(jn_ctx *c, const char *s, size_t n);
jv jv_cstr(jn_ctx *c, const char *s);
jv jv_list_new(jn_ctx *c, jv_type t, size_t cap);
void jv_list_push(jn_ctx *c, jv list, jv v);
jv jv_dict_new(jn_ctx *c, jv_type t);
void jv_dict_set(jn_ctx *c, jv dict, jv key, jv v);
bool jv_dict_get(jv dict, jv key, jv *out);
jv jv_undef_new(jn_ctx *c, const char *msg);
jv jv_undef_name(jn_ctx *c, const char *name);
jv jv_undef_attr(jn_ctx *c, jv obj, jv name);

/* Raise the error an undefined value carries, as jinja2 does on misuse. */
_Noreturn void jv_undef_fail(jn_ctx *c, jv u);
/* Fail when v is undefined: the operations jinja2's Undefined refuses. */
void jv_check(jn_ctx *c, jv v);

bool jv_truthy(jv v);
bool jv_equal(jv a, jv b);
/* Python's ordering (<0, 0, >0); fails with TypeError when not comparable. */
int jv_compare(jn_ctx *c, jv a, jv b, const char *op);
bool jv_is_number(jv v);
double jv_num(jv v);
const char *jv_type_name(jv v);   /* Python's: 'str', 'list', 'NoneType', ... */

/* str(v) and repr(v) as Python prints them. */
void jv_write_str(jn_ctx *c, mn_sb *sb, jv v);
void jv_write_repr(jn_ctx *c, mn_sb *sb, jv v);
jv jv_to_str(jn_ctx *c, jv v);

/* json.dumps(v, ensure_ascii=False, indent=indent, sort_keys=sort_keys). */
void jv_write_json(jn_ctx *c, mn_sb *sb, jv v, int indent, bool sort_keys);

/* The elements of an iterable: list/tuple items, dict keys, string characters. */
jv jv_iterate(jn_ctx *c, jv v);
/* len(v), in code points for strings; fails with TypeError otherwise. */
int64_t jv_length(jn_ctx *c, jv v);

/* ---- Builtins (jinja_filters.c) -------------------------------------- */

typedef struct jn_args {
    jv *pos;
    int n;
    const char **names;
    jv *kw;
    int n_kw;
} jn_args;

jv jn_filter(jn_ctx *c, const char *name, jv v, const jn_args *args);
bool jn_test(jn_ctx *c, const char *name, jv v, const jn_args *args);
bool jn_test_exists(const char *name);
bool jn_filter_exists(const char *name);
/* obj.name for str, dict and list methods; false when there is none. */
bool jn_method_get(jn_ctx *c, jv obj, const char *name, jv *out);
jv jn_method_call(jn_ctx *c, const jn_method *m, const jn_args *args);
/* Argument i by position or by keyword name; def when absent. */
jv jn_arg(const jn_args *args, int i, const char *name, jv def);

#endif

/*
 * The Jinja lexer, following jinja2's Lexer.tokeniter with the settings
 * transformers uses: trim_blocks (drop the newline after a block or comment
 * tag), lstrip_blocks (drop spaces before a block or comment tag that starts
 * a line), `-` and `+` whitespace control, no trailing newline kept.
 */
#include "text/jinja.h"

#include "base/utf8.h"

#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    const char *src;
    size_t len, pos;
    jn_arena *arena;
    jn_fail *fail;
    jn_tok *toks;
    int n, cap;
    size_t at_pos; /* line and column of at_pos, so that positions cost O(1) */
    int at_line, at_col;
} lexer;

size_t jn_space_at(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    uint32_t cp;
    int k;

    if (n == 0)
        return 0;
    if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
        return 1;
    if (c < 0x80)
        return 0;
    k = mn_utf8_decode((const unsigned char *)s, n, &cp);
    if (k <= 0)
        return 0;
    if (cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
        cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
        return (size_t)k;
    return 0;
}

size_t jn_space_before(const char *s, size_t end)
{
    size_t start = end;

    /* step back over continuation bytes to the start of the character */
    while (start > 0 && ((unsigned char)s[start - 1] & 0xc0) == 0x80 && end - start < 3)
        start--;
    if (start == 0)
        return 0;
    start--;
    return jn_space_at(s + start, end - start) == end - start ? end - start : 0;
}

static void position(lexer *lx, size_t pos, int *line, int *col)
{
    if (pos < lx->at_pos || lx->at_line == 0) {
        lx->at_pos = 0;
        lx->at_line = lx->at_col = 1;
    }
    for (size_t i = lx->at_pos; i < pos && i < lx->len; i++) {
        if (lx->src[i] == '\n') {
            lx->at_line++;
            lx->at_col = 1;
        } else if (((unsigned char)lx->src[i] & 0xc0) != 0x80) {
            lx->at_col++;
        }
    }
    lx->at_pos = pos;
    *line = lx->at_line;
    *col = lx->at_col;
}

static _Noreturn void lex_fail(lexer *lx, size_t pos, const char *what)
{
    int line, col;

    position(lx, pos, &line, &col);
    jn_failf(lx->fail, MNLP_ERR_FORMAT, "template line %d, column %d: %s", line, col, what);
}

static jn_tok *push(lexer *lx, jn_tok_type type, size_t pos)
{
    jn_tok *t;

    if (lx->n == lx->cap) {
        int cap = lx->cap ? lx->cap * 2 : 64;
        jn_tok *grown = jn_alloc(lx->arena, lx->fail, (size_t)cap * sizeof *grown);

        if (lx->n)
            memcpy(grown, lx->toks, (size_t)lx->n * sizeof *grown);
        lx->toks = grown;
        lx->cap = cap;
    }
    t = &lx->toks[lx->n++];
    memset(t, 0, sizeof *t);
    t->type = type;
    position(lx, pos, &t->line, &t->col);
    return t;
}

static char *copy(lexer *lx, const char *s, size_t n)
{
    char *d = jn_alloc(lx->arena, lx->fail, n + 1);

    memcpy(d, s, n);
    return d;
}

static size_t skip_space(const lexer *lx, size_t p)
{
    size_t k;

    while (p < lx->len && (k = jn_space_at(lx->src + p, lx->len - p)) > 0)
        p += k;
    return p;
}

static void emit_data(lexer *lx, size_t start, size_t end)
{
    jn_tok *t;

    if (end <= start)
        return;
    t = push(lx, TK_DATA, start);
    t->s = copy(lx, lx->src + start, end - start);
    t->len = end - start;
}

/*
 * The end of the text before a tag at tag_pos, after whitespace control:
 * `-` strips all whitespace; otherwise, for block and comment tags,
 * lstrip_blocks drops spaces between the line start and the tag.
 */
static size_t strip_before(const lexer *lx, size_t start, size_t tag_pos, char sign,
                           bool is_var)
{
    size_t end = tag_pos, k, l_pos;

    if (sign == '-') {
        while (end > start && (k = jn_space_before(lx->src, end)) > 0 && end - k >= start)
            end -= k;
        return end;
    }
    if (sign == '+' || is_var)
        return end;
    l_pos = end;
    while (l_pos > start && lx->src[l_pos - 1] != '\n')
        l_pos--;
    if (l_pos == start && !(start == 0 || lx->src[start - 1] == '\n'))
        return end;
    for (size_t p = l_pos; p < end; p += k) {
        k = jn_space_at(lx->src + p, end - p);
        if (k == 0 || lx->src[p] == '\n')
            return end;
    }
    return l_pos;
}

/* After a closing tag at p: `-` eats whitespace, plain trim_blocks one newline. */
static size_t strip_after(const lexer *lx, size_t p, char sign, bool trim)
{
    if (sign == '-')
        return skip_space(lx, p);
    if (sign != '+' && trim && p < lx->len && lx->src[p] == '\n')
        return p + 1;
    return p;
}

static bool word_at(const lexer *lx, size_t p, const char *w)
{
    size_t n = strlen(w);
    char c;

    if (p + n > lx->len || memcmp(lx->src + p, w, n) != 0)
        return false;
    c = p + n < lx->len ? lx->src[p + n] : ' ';
    return !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9'));
}

/* `{%[-+]? raw [-+]?%}` (or endraw) at p: its end, and the closing sign. */
static size_t raw_tag(const lexer *lx, size_t p, const char *word, char *open_sign,
                      char *close_sign)
{
    if (p + 2 > lx->len || lx->src[p] != '{' || lx->src[p + 1] != '%')
        return 0;
    p += 2;
    *open_sign = 0;
    if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+'))
        *open_sign = lx->src[p++];
    p = skip_space(lx, p);
    if (!word_at(lx, p, word))
        return 0;
    p = skip_space(lx, p + strlen(word));
    *close_sign = 0;
    if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+'))
        *close_sign = lx->src[p++];
    if (p + 2 > lx->len || lx->src[p] != '%' || lx->src[p + 1] != '}')
        return 0;
    return p + 2;
}

static size_t lex_raw(lexer *lx, size_t body)
{
    char os, cs;

    for (size_t p = body; p + 1 < lx->len; p++) {
        size_t end = raw_tag(lx, p, "endraw", &os, &cs);

        if (end) {
            emit_data(lx, body, strip_before(lx, body, p, os, false));
            return strip_after(lx, end, cs, true);
        }
    }
    lex_fail(lx, body, "missing end of raw directive");
}

static size_t lex_comment(lexer *lx, size_t p)
{
    for (; p + 1 < lx->len; p++) {
        if (lx->src[p] == '#' && lx->src[p + 1] == '}') {
            char sign = p > 0 && (lx->src[p - 1] == '-' || lx->src[p - 1] == '+')
                            ? lx->src[p - 1] : 0;

            return strip_after(lx, p + 2, sign, true);
        }
    }
    lex_fail(lx, p, "missing end of comment tag");
}

static int op_at(const char *s, size_t n, int *len)
{
    static const struct { const char *text; int op; } ops[] = {
        {"//", OP_FLOORDIV}, {"**", OP_POW}, {"==", OP_EQ}, {"!=", OP_NE}, {">=", OP_GE},
        {"<=", OP_LE}, {"+", OP_ADD}, {"-", OP_SUB}, {"/", OP_DIV}, {"*", OP_MUL},
        {"%", OP_MOD}, {"~", OP_TILDE}, {"[", OP_LBRACKET}, {"]", OP_RBRACKET},
        {"(", OP_LPAREN}, {")", OP_RPAREN}, {"{", OP_LBRACE}, {"}", OP_RBRACE},
        {">", OP_GT}, {"<", OP_LT}, {"=", OP_ASSIGN}, {".", OP_DOT}, {":", OP_COLON},
        {"|", OP_PIPE}, {",", OP_COMMA}, {";", OP_SEMICOLON},
    };

    for (int i = 0; i < MN_COUNT(ops); i++) {
        size_t k = strlen(ops[i].text);

        if (k <= n && memcmp(s, ops[i].text, k) == 0) {
            *len = (int)k;
            return ops[i].op;
        }
    }
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A \x, \u or \U escape of width hex digits at s; the code point or -1. */
static long hex_escape(const char *s, size_t n, int width)
{
    long v = 0;

    if ((size_t)width > n)
        return -1;
    for (int i = 0; i < width; i++) {
        int h = hex_value(s[i]);

        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* A string literal, decoded like Python's unicode-escape codec. */
static size_t lex_string(lexer *lx, size_t p)
{
    char quote = lx->src[p];
    size_t start = p++;
    mn_sb sb = {0};
    jn_tok *t;

    while (p < lx->len && lx->src[p] != quote) {
        char c = lx->src[p];
        const char *simple = "\\\\''\"\"aabbffnnrrttvv\n";
        const char *m;
        long cp = -1;
        int width = 0;

        if (c != '\\' || p + 1 >= lx->len) {
            mn_sb_append(&sb, &c, 1);
            p++;
            continue;
        }
        c = lx->src[p + 1];
        m = c == '\n' ? NULL : strchr(simple, c);
        if (c == '\n') {
            p += 2; /* a backslash before a newline continues the line */
            continue;
        }
        if (m && ((m - simple) % 2) == 0) {
            static const char out[] = "\\'\"\a\b\f\n\r\t\v";
            mn_sb_append(&sb, &out[(m - simple) / 2], 1);
            p += 2;
            continue;
        }
        width = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
        if (width)
            cp = hex_escape(lx->src + p + 2, lx->len - p - 2, width);
        if (width && (cp < 0 || cp > 0x10ffff)) {
            mn_sb_free(&sb);
            lex_fail(lx, p, "invalid escape in string literal");
        }
        if (c >= '0' && c <= '7') {
            cp = 0;
            for (width = 0; width < 3 && p + 1 + (size_t)width < lx->len; width++) {
                char o = lx->src[p + 1 + width];
                if (o < '0' || o > '7')
                    break;
                cp = cp * 8 + (o - '0');
            }
            p += 1 + (size_t)width;
        } else if (width) {
            p += 2 + (size_t)width;
        }
        if (cp >= 0) {
            char buf[4];
            mn_sb_append(&sb, buf, (size_t)mn_utf8_encode((uint32_t)cp, buf));
            continue;
        }
        mn_sb_append(&sb, "\\", 1); /* unknown escapes stay as written */
        p++;
    }
    if (p >= lx->len) {
        mn_sb_free(&sb);
        lex_fail(lx, start, "unterminated string");
    }
    if (sb.failed) {
        mn_sb_free(&sb);
        jn_failf(lx->fail, MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    t = push(lx, TK_STRING, start);
    t->s = copy(lx, sb.data ? sb.data : "", sb.len);
    t->len = sb.len;
    mn_sb_free(&sb);
    return p + 1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t digits(const lexer *lx, size_t p, char *buf, size_t *n, size_t cap)
{
    while (p < lx->len && (is_digit(lx->src[p]) ||
                           (lx->src[p] == '_' && p + 1 < lx->len &&
                            is_digit(lx->src[p + 1])))) {
        if (lx->src[p] != '_' && *n + 1 < cap)
            buf[(*n)++] = lx->src[p];
        p++;
    }
    return p;
}

static size_t lex_number(lexer *lx, size_t p)
{
    char buf[128];
    size_t n = 0, start = p;
    bool is_float = false;
    jn_tok *t;

    p = digits(lx, p, buf, &n, sizeof buf);
    if (p + 1 < lx->len && lx->src[p] == '.' && is_digit(lx->src[p + 1])) {
        buf[n++] = '.';
        p = digits(lx, p + 1, buf, &n, sizeof buf);
        is_float = true;
    }
    if (p < lx->len && (lx->src[p] == 'e' || lx->src[p] == 'E')) {
        size_t q = p + 1;
        if (q < lx->len && (lx->src[q] == '+' || lx->src[q] == '-'))
            q++;
        if (q < lx->len && is_digit(lx->src[q])) {
            buf[n++] = 'e';
            if (lx->src[p + 1] == '-')
                buf[n++] = '-';
            p = digits(lx, q, buf, &n, sizeof buf);
            is_float = true;
        }
    }
    if (n + 1 >= sizeof buf)
        lex_fail(lx, start, "number literal too long");
    buf[n] = 0;
    t = push(lx, is_float ? TK_FLOAT : TK_INT, start);
    if (is_float) {
        t->f = strtod(buf, NULL);
    } else {
        char *end;
        unsigned long long v = strtoull(buf, &end, 10);
        if (v > INT64_MAX)
            lex_fail(lx, start, "integer literal too large");
        t->i = (int64_t)v;
    }
    return p;
}

static bool name_char(char c, bool first)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (!first && is_digit(c));
}

/* The tokens of one tag; returns the position after its closing delimiter. */
static size_t lex_tag(lexer *lx, size_t p, bool is_block)
{
    const char close = is_block ? '%' : '}';
    int depth = 0;

    for (;;) {
        int len, op;
        char c, sign = 0;
        size_t q;

        p = skip_space(lx, p);
        if (p >= lx->len)
            lex_fail(lx, p, is_block ? "unexpected end of template, expected '%}'"
                                     : "unexpected end of template, expected '}}'");
        c = lx->src[p];
        q = p;
        if (c == '-' || c == '+') {
            sign = c;
            q++;
        }
        if (depth == 0 && q + 1 < lx->len && lx->src[q] == close && lx->src[q + 1] == '}') {
            push(lx, is_block ? TK_BLOCK_END : TK_VAR_END, p);
            return strip_after(lx, q + 2, sign, is_block);
        }
        if (name_char(c, true)) {
            jn_tok *t = push(lx, TK_NAME, p);
            q = p;
            while (q < lx->len && name_char(lx->src[q], false))
                q++;
            t->s = copy(lx, lx->src + p, q - p);
            t->len = q - p;
            p = q;
        } else if (c == '\'' || c == '"') {
            p = lex_string(lx, p);
        } else if (is_digit(c)) {
            p = lex_number(lx, p);
        } else if ((op = op_at(lx->src + p, lx->len - p, &len)) != 0) {
            if (op == OP_LBRACKET || op == OP_LPAREN || op == OP_LBRACE)
                depth++;
            else if ((op == OP_RBRACKET || op == OP_RPAREN || op == OP_RBRACE) && depth > 0)
                depth--;
            push(lx, TK_OP, p)->op = op;
            p += (size_t)len;
        } else {
            lex_fail(lx, p, "unexpected character");
        }
    }
}

/* jinja2 reads templates with universal newlines and drops one final newline. */
static void normalize(lexer *lx, const char *src, size_t len)
{
    char *d = jn_alloc(lx->arena, lx->fail, len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            d[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n')
                i++;
        } else {
            d[n++] = src[i];
        }
    }
    if (n > 0 && d[n - 1] == '\n')
        n--;
    lx->src = d;
    lx->len = n;
}

void jn_lex(const char *src, size_t len, jn_arena *a, jn_fail *f, jn_lexed *out)
{
    lexer lx = {.arena = a, .fail = f};
    size_t p = 0;

    normalize(&lx, src, len);
    while (p < lx.len) {
        const char *hit = NULL;
        size_t tag, body;
        char kind, sign = 0, os, cs;

        for (size_t q = p; q + 1 < lx.len; q++) {
            if (lx.src[q] == '{' && (lx.src[q + 1] == '{' || lx.src[q + 1] == '%' ||
                                     lx.src[q + 1] == '#')) {
                hit = lx.src + q;
                break;
            }
        }
        if (!hit) {
            emit_data(&lx, p, lx.len);
            break;
        }
        tag = (size_t)(hit - lx.src);
        kind = hit[1];
        body = tag + 2;
        if (body < lx.len && (lx.src[body] == '-' || lx.src[body] == '+'))
            sign = lx.src[body++];
        emit_data(&lx, p, strip_before(&lx, p, tag, sign, kind == '{'));
        if (kind == '#') {
            p = lex_comment(&lx, body);
        } else if (kind == '%' && (p = raw_tag(&lx, tag, "raw", &os, &cs)) != 0) {
            p = lex_raw(&lx, strip_after(&lx, p, cs, false));
        } else {
            push(&lx, kind == '%' ? TK_BLOCK_BEGIN : TK_VAR_BEGIN, tag);
            p = lex_tag(&lx, body, kind == '%');
        }
    }
    push(&lx, TK_EOF, lx.len);
    out->toks = lx.toks;
    out->n = lx.n;
}

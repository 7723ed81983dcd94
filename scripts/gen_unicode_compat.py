#!/usr/bin/env python3
"""Write src/text/unicode_compat.h: where utf8proc's Unicode data differs from the
older Unicode data compiled into the Rust crates that tokenizers' normalizers use.

tokenizers normalizes with unicode-normalization-alignments 0.1.12 (Unicode 9.0:
combining classes, decompositions, compositions, General_Category=Mark) and
classifies with unicode_categories 0.1.1 (Unicode 8.0: Mn, Cc, Cf, Co). mnlp reads
these properties from utf8proc and corrects them with the ranges written here, so
that characters added to Unicode later behave as they do in tokenizers.

Usage (the tables.rs files of the two crates, at the published versions:
n1t0/unicode-normalization commit 9ca6960, swgillespie/unicode-categories 92bb246):

    scripts/gen_unicode_compat.py NORMALIZATION_TABLES_RS CATEGORIES_TABLES_RS \
        > src/text/unicode_compat.h

It loads the system libutf8proc; rerun it when the utf8proc in use changes.
"""
import ctypes
import ctypes.util
import re
import sys

STABLE, DECOMPOSE, COMPAT, COMPOSE = 1 << 1, 1 << 4, 1 << 2, 1 << 3
CAT_MN, CAT_MC, CAT_ME, CAT_CC, CAT_CF, CAT_CO = 6, 7, 8, 26, 27, 29


def load_utf8proc():
    lib = ctypes.CDLL(ctypes.util.find_library("utf8proc") or "libutf8proc.so.2")
    lib.utf8proc_get_property.restype = ctypes.POINTER(ctypes.c_int16)
    lib.utf8proc_decompose_char.restype = ctypes.c_ssize_t
    lib.utf8proc_unicode_version.restype = ctypes.c_char_p
    lib.utf8proc_version.restype = ctypes.c_char_p
    return lib


def section(src, name):
    i = src.index(name)
    return src[i:src.index("];", i)]


def escapes(text):
    return [int(x, 16) for x in re.findall(r"\\u\{([0-9A-Fa-f]+)\}", text)]


def read_normalization(path):
    src = open(path, encoding="utf-8").read()
    ccc = {}
    for m in re.finditer(r"0x([0-9a-fA-F]+)", section(src, "CANONICAL_COMBINING_CLASS_KV")):
        v = int(m.group(1), 16)
        ccc[v >> 8] = v & 0xFF
    decomposes = set()
    for name in ("CANONICAL_DECOMPOSED_KV", "COMPATIBILITY_DECOMPOSED_KV"):
        for m in re.finditer(r"\(0x([0-9a-fA-F]+), &\[", section(src, name)):
            decomposes.add(int(m.group(1), 16))
    marks = set(int(m.group(1), 16)
                for m in re.finditer(r"0x([0-9a-fA-F]+)", section(src, "COMBINING_MARK_KV")))
    pairs = {}
    for m in re.finditer(r"\(0x([0-9a-fA-F]+), '\\u\{([0-9A-Fa-f]+)\}'\)",
                         section(src, "COMPOSITION_TABLE_KV")):
        k = int(m.group(1), 16)
        pairs[(k >> 16, k & 0xFFFF)] = int(m.group(2), 16)
    astral = src[src.index("fn composition_table_astral"):]
    for m in re.finditer(r"\('\\u\{(\w+)\}', '\\u\{(\w+)\}'\) => Some\('\\u\{(\w+)\}'\)",
                         astral[:astral.index("_ => None")]):
        pairs[(int(m.group(1), 16), int(m.group(2), 16))] = int(m.group(3), 16)
    return ccc, decomposes, marks, pairs


def read_categories(path):
    src = open(path, encoding="utf-8").read()

    def table(name):
        return set(escapes(section(src, "pub static %s " % name)))

    other = table("OTHER_CONTROL") | table("OTHER_FORMAT") | table("OTHER_PRIVATE_USE")
    for lo, hi in ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD)):
        other |= set(range(lo, hi + 1))
    return table("MARK_NONSPACING"), other


def check_compositions(lib, cps, pairs, decomposes, newer):
    """mnlp composes with utf8proc (COMPOSE | STABLE) and refuses composites newer
    than Unicode 9; check that this gives exactly the crate's composition table."""
    buf = (ctypes.c_int32 * 64)()
    last = ctypes.c_int(0)
    firsts, seconds = set(a for a, _ in pairs), set(b for _, b in pairs)
    for c in cps:
        if decomposes(c):
            n = lib.utf8proc_decompose_char(c, buf, 64, DECOMPOSE, ctypes.byref(last))
            firsts.add(buf[0])
            seconds.update(buf[i] for i in range(1, n))
    for a in firsts:
        if 0x1100 <= a <= 0x11FF or 0xAC00 <= a <= 0xD7A3:
            continue  # Hangul composes by arithmetic
        for b in seconds:
            pair = (ctypes.c_int32 * 2)(a, b)
            got = pair[0] if lib.utf8proc_normalize_utf32(pair, 2, COMPOSE | STABLE) == 1 else 0
            if b < 0x300 or newer(got):
                got = 0
            if got != pairs.get((a, b), 0):
                sys.exit("U+%04X U+%04X: utf8proc composes to U+%04X" % (a, b, got))


def ranges(cps, differs, safe):
    """Ranges covering every code point where differs(), widened over code points
    where forcing the older value is harmless (safe())."""
    out = []
    for cp in cps:
        if differs(cp):
            if out and out[-1][2]:
                out[-1][1] = cp
            else:
                out.append([cp, cp, True])
        elif out and out[-1][2] and not safe(cp):
            out[-1][2] = False
    return [(lo, hi) for lo, hi, _ in out]


def emit(name, comment, rs):
    print("/* %s */" % comment)
    print("static const mn_urange %s[] = {" % name)
    line = "   "
    for lo, hi in rs:
        item = " {0x%04X, 0x%04X}," % (lo, hi)
        if len(line) + len(item) > 96:
            print(line)
            line = "   "
        line += item
    if line.strip():
        print(line)
    print("};\n")


def main():
    ccc9, decomp9, mark9, pairs9 = read_normalization(sys.argv[1])
    mn8, other8 = read_categories(sys.argv[2])
    lib = load_utf8proc()
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    buf = (ctypes.c_int32 * 64)()
    last = ctypes.c_int(0)

    def prop(c, i):
        return lib.utf8proc_get_property(c)[i]

    def decomposes(c):
        if c < 0x80 or 0xAC00 <= c <= 0xD7A3:
            return False
        n = lib.utf8proc_decompose_char(c, buf, 64, DECOMPOSE | COMPAT, ctypes.byref(last))
        return not (n == 1 and buf[0] == c)

    ccc = {c: prop(c, 1) for c in cps}
    cat = {c: prop(c, 0) for c in cps}
    dec = {c: decomposes(c) for c in cps}
    for c in cps:
        if ccc[c] != ccc9.get(c, 0) and ccc9.get(c, 0) != 0:
            sys.exit("U+%04X: combining class %d, expected 0 or %d" % (c, ccc[c], ccc9[c]))
        if (c in decomp9) and not dec[c]:
            sys.exit("U+%04X: decomposes in Unicode 9 only" % c)
    no_decomposition = ranges(cps, lambda c: dec[c] and c not in decomp9,
                              lambda c: c not in decomp9)
    check_compositions(lib, cps, pairs9, decomposes,
                       lambda c: any(lo <= c <= hi for lo, hi in no_decomposition))
    is_mark = {c: cat[c] in (CAT_MN, CAT_MC, CAT_ME) for c in cps}
    is_other = {c: cat[c] in (CAT_CC, CAT_CF, CAT_CO) for c in cps}
    if any(c in other8 and not is_other[c] for c in cps):
        sys.exit("a Unicode 8 Cc/Cf/Co code point is no longer one")

    print("/*\n * Generated by scripts/gen_unicode_compat.py against utf8proc %s (Unicode %s):"
          % (lib.utf8proc_version().decode(), lib.utf8proc_unicode_version().decode()))
    print(" * where utf8proc's properties differ from the older Unicode data of the Rust\n"
          " * crates tokenizers uses. Do not edit; rerun the script.\n */\n")
    emit("ccc_zero", "unicode-normalization-alignments (Unicode 9): combining class 0",
         ranges(cps, lambda c: ccc[c] != ccc9.get(c, 0), lambda c: ccc9.get(c, 0) == 0))
    emit("no_decomposition", "unicode-normalization-alignments: no decomposition",
         no_decomposition)
    emit("mark_yes", "unicode-normalization-alignments: General_Category=Mark",
         ranges(cps, lambda c: c in mark9 and not is_mark[c], lambda c: c in mark9))
    emit("mark_no", "unicode-normalization-alignments: not General_Category=Mark",
         ranges(cps, lambda c: is_mark[c] and c not in mark9, lambda c: c not in mark9))
    emit("mn_yes", "unicode_categories (Unicode 8): Mn",
         ranges(cps, lambda c: c in mn8 and cat[c] != CAT_MN, lambda c: c in mn8))
    emit("mn_no", "unicode_categories: not Mn",
         ranges(cps, lambda c: cat[c] == CAT_MN and c not in mn8, lambda c: c not in mn8))
    emit("other_no", "unicode_categories: not Cc, Cf or Co",
         ranges(cps, lambda c: is_other[c] and c not in other8, lambda c: c not in other8))


if __name__ == "__main__":
    main()

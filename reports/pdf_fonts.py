"""Compact copies of the Noto CJK SC faces, so that a PDF embeds and subsets small fonts, not 20–27 MB ones.

Every PDF embeds a subset of each face it uses. WeasyPrint copies the whole font file (the Debian
Noto CJK files are 19–27 MB collections of five faces) and subsets it with HarfBuzz keeping the
glyph ids, so up to glyph 65,535: 15–20 ms a face to copy, ~35 ms to subset, ~0.8 MB each before
compression — per PDF, whatever its length. A compact copy of each SC face holds every character
of the face except the ideographs and Hangul, plus the 6,763 ideographs of GB 2312 (~16,000 glyphs
with their layout variants): copying and subsetting it is a fraction of that.

The compact face is a fixed subset, so it only ever comes first: the PDF's font stacks name
"Prereview Noto Serif CJK SC" just before "Noto Serif CJK SC" (and the same for Sans), and a
character the compact face lacks (a rare name character such as 喆 堃 赟 玥) is set in the full face,
exactly as before. The glyphs are the same outlines with the same metrics (HarfBuzz's subsetter copies
them), so the pages look the same; bench/pdf_render.py --compare checks it page by page.

The copies are made once (HarfBuzz, ~0.3 s a face) into fonts/ of the cache folder (engine/rulecache.py:
$PREREVIEW_CACHE_DIR, `off` for none, else $XDG_CACHE_HOME/prereview, else ~/.cache/prereview), named by the
source file's path, size and time and by this module's character set version, so an updated font
package makes new ones. Without a writable cache folder, or without the faces or HarfBuzz's
subsetter, nothing changes: the PDF is laid out with the system faces.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

LOG = logging.getLogger(__name__)
VERSION = 2  # of the character set below: a change makes new files
# (family, CSS weight, fontconfig weight): the faces official.css and the SVG charts can ask for
FACES = (("Noto Serif CJK SC", 400, 80), ("Noto Serif CJK SC", 700, 200),
         ("Noto Sans CJK SC", 400, 80), ("Noto Sans CJK SC", 700, 200))
PREFIX = "Prereview "

_CDEF = """
typedef struct _FcPattern FcPattern; typedef struct _FcConfig FcConfig;
typedef unsigned char FcChar8; typedef int FcBool; typedef int FcResult; typedef int FcMatchKind;
FcPattern *FcNameParse(const FcChar8 *name);
FcBool FcConfigSubstitute(FcConfig *config, FcPattern *p, FcMatchKind kind);
void FcDefaultSubstitute(FcPattern *pattern);
FcPattern *FcFontMatch(FcConfig *config, FcPattern *p, FcResult *result);
FcResult FcPatternGetString(const FcPattern *p, const char *object, int n, FcChar8 **s);
FcResult FcPatternGetInteger(const FcPattern *p, const char *object, int n, int *i);
void FcPatternDestroy(FcPattern *p);

typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t; typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t; typedef uint32_t hb_codepoint_t;
hb_blob_t *hb_blob_create_from_file(const char *file_name);
unsigned int hb_blob_get_length(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
void hb_blob_destroy(hb_blob_t *blob);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
void hb_face_destroy(hb_face_t *face);
hb_set_t *hb_set_create(void);
void hb_set_destroy(hb_set_t *set);
void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
void hb_set_del(hb_set_t *set, hb_codepoint_t codepoint);
int hb_set_next(const hb_set_t *set, hb_codepoint_t *codepoint);
void hb_face_collect_unicodes(hb_face_t *face, hb_set_t *out);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""


def _libraries():
    from cffi import FFI  # a WeasyPrint dependency

    ffi = FFI()
    ffi.cdef(_CDEF)
    fc = ffi.dlopen("libfontconfig.so.1")
    hb = ffi.dlopen("libharfbuzz-subset.so.0")  # and, through it, libharfbuzz
    return ffi, fc, hb


def _ideograph_or_hangul(cp: int) -> bool:
    return (0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or cp >= 0x20000
            or 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F)


def _gb2312_ideographs() -> set[int]:
    """The 6,763 ideographs of GB 2312 (rows 16–87), from Python's codec."""
    out = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return out


def _system_face(ffi, fc, family: str, weight: int) -> tuple[Path, int] | None:
    """The file and face index fontconfig gives for the family at the weight, if it is that family."""
    pattern = fc.FcNameParse(f"{family}:weight={weight}".encode())
    try:
        fc.FcConfigSubstitute(ffi.NULL, pattern, 0)  # FcMatchPattern
        fc.FcDefaultSubstitute(pattern)
        match = fc.FcFontMatch(ffi.NULL, pattern, ffi.new("FcResult *"))
    finally:
        fc.FcPatternDestroy(pattern)
    if match == ffi.NULL:
        return None
    try:
        text, number = ffi.new("FcChar8 **"), ffi.new("int *")
        if fc.FcPatternGetString(match, b"family", 0, text) != 0 or ffi.string(text[0]).decode() != family:
            return None  # a substitute, not the face itself
        if fc.FcPatternGetInteger(match, b"weight", 0, number) != 0 or number[0] != weight:
            return None
        fc.FcPatternGetString(match, b"file", 0, text)
        path = Path(ffi.string(text[0]).decode())
        fc.FcPatternGetInteger(match, b"index", 0, number)
        return path, number[0]
    finally:
        fc.FcPatternDestroy(match)


def _compact(ffi, hb, source: Path, index: int) -> bytes | None:
    """The face with every character but the ideographs and Hangul, and the GB 2312 ideographs."""
    blob = hb.hb_blob_create_from_file(str(source).encode())
    face = hb.hb_face_create(blob, index)
    have, keep = hb.hb_set_create(), _gb2312_ideographs()
    subset_input = hb.hb_subset_input_create_or_fail()
    try:
        hb.hb_face_collect_unicodes(face, have)
        wanted = hb.hb_subset_input_unicode_set(subset_input)
        cp = ffi.new("hb_codepoint_t *", 0xFFFFFFFF)  # HB_SET_VALUE_INVALID: start
        while hb.hb_set_next(have, cp):
            if not _ideograph_or_hangul(cp[0]) or cp[0] in keep:
                hb.hb_set_add(wanted, cp[0])
        # BASE (baseline positions, no glyph ids in these faces) is dropped by HarfBuzz 6's subsetter,
        # and Pango uses it to align the runs of two fonts in one line: without it, a line holding a
        # character of the full face sat 0.5 pt lower. Kept as it is, like the Unicode ranges of OS/2.
        base = int.from_bytes(b"BASE", "big")
        hb.hb_set_del(hb.hb_subset_input_set(subset_input, 3), base)  # HB_SUBSET_SETS_DROP_TABLE_TAG
        hb.hb_set_add(hb.hb_subset_input_set(subset_input, 2), base)  # HB_SUBSET_SETS_NO_SUBSET_TABLE_TAG
        hb.hb_subset_input_set_flags(subset_input, 0x100)  # HB_SUBSET_FLAGS_NO_PRUNE_UNICODE_RANGES
        result = hb.hb_subset_or_fail(face, subset_input)
        if result == ffi.NULL:
            return None
        out = hb.hb_face_reference_blob(result)
        length = ffi.new("unsigned int *")
        data = hb.hb_blob_get_data(out, length)
        content = ffi.unpack(data, length[0]) if data != ffi.NULL else None
        hb.hb_blob_destroy(out)
        hb.hb_face_destroy(result)
        return content
    finally:
        hb.hb_subset_input_destroy(subset_input)
        hb.hb_set_destroy(have)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def cache_dir() -> Path | None:
    """fonts/ in the rulebook cache's folder (engine/rulecache.py); None when caching is off."""
    from prereview.engine.rulecache import folder

    where = folder()
    return None if where is None else where / "fonts"


def compact_faces(folder: Path | None = None) -> list[tuple[str, int, Path]]:
    """(compact family, CSS weight, file) of each face there is a compact copy of, made if missing."""
    folder = folder or cache_dir()
    if folder is None:
        return []
    try:
        ffi, fc, hb = _libraries()
    except (ImportError, OSError) as exc:  # no cffi, fontconfig or HarfBuzz's subsetter
        LOG.debug("no compact CJK faces: %s", exc)
        return []
    out = []
    for family, css_weight, fc_weight in FACES:
        found = _system_face(ffi, fc, family, fc_weight)
        if found is None:
            continue
        source, index = found
        stat = source.stat()
        key = f"{VERSION}|{source}|{index}|{stat.st_size}|{stat.st_mtime_ns}"
        target = folder / f"{family.replace(' ', '')}-{css_weight}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.otf"
        if not target.is_file():
            content = _compact(ffi, hb, source, index)
            if not content:
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
                    part.write(content)
                os.chmod(part.name, 0o644)
                os.replace(part.name, target)  # whole or not at all, even with two processes at once
            except OSError as exc:
                LOG.debug("no compact CJK faces: cannot write %s: %s", folder, exc)
                return []
        out.append((PREFIX + family, css_weight, target))
    return out


def font_face_css(faces) -> str:
    return "".join(f'@font-face {{ font-family: "{name}"; font-weight: {weight}; src: url("{path.as_uri()}"); }}\n'
                   for name, weight, path in faces)


def put_first(html: str, faces) -> str:
    """The HTML with each compact family named just before its full family in the font stacks.

    Only the stylesheet and the templates' SVG attributes can hold the quoted names: autoescaping turns
    the quotes of dossier text into entities, so dossier text is never rewritten.
    """
    for family in sorted({name[len(PREFIX):] for name, _, _ in faces}):
        for quote in '"\'':
            html = html.replace(f"{quote}{family}{quote}", f"{quote}{PREFIX}{family}{quote}, {quote}{family}{quote}")
    return html

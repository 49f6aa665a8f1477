"""Arabic text normalisation shared by extraction, tagging and dedup.

Two kinds of text exist in Marsad:
- display text (titles, bodies in the lake): faithful to the page, only whitespace and invisible
  characters are cleaned (``clean_display``);
- matching text (tagging, title keys, simhash): folded with ``normalize_for_match`` so that
  spelling variants compare equal.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (U+0660..) and Extended Arabic-Indic / Persian (U+06F0..) digits -> ASCII.
_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})

# Harakat, tanwin, shadda, sukun, superscript alef, Quranic marks.
_DIACRITICS_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_TATWEEL = "\u0640"
# Zero-width and bidi control characters that pages sprinkle into text.
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")

_MATCH_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ی": "ي",  # Persian yeh
        "ک": "ك",  # Persian kaf
        "،": ",",
        "؛": ";",
        "؟": "?",
        "٪": "%",
        "«": '"',
        "»": '"',
    }
)

_WS_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_TOKEN_RE = re.compile(r"[\w]+", re.UNICODE)


def to_ascii_digits(text: str) -> str:
    """Replace Arabic-Indic and Persian digits with ASCII digits."""
    return text.translate(_DIGITS)


def strip_diacritics(text: str) -> str:
    return _DIACRITICS_RE.sub("", text).replace(_TATWEEL, "")


def clean_display(text: str) -> str:
    """Faithful display text: NFC, invisible controls removed, runs of spaces collapsed per line,
    blank lines collapsed. Letters, diacritics and digits are kept as published."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text)
    lines = [_WS_RE.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def normalize_for_match(text: str) -> str:
    """Fold Arabic for matching: diacritics and tatweel removed, alef forms -> ا, ى -> ي, ة -> ه,
    hamza carriers folded, Arabic-Indic digits -> ASCII, Arabic punctuation -> ASCII, lower-cased
    Latin, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = strip_diacritics(text)
    text = to_ascii_digits(text).translate(_MATCH_FOLD).lower()
    return _WS_RE.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Word tokens of already-normalised text."""
    return _TOKEN_RE.findall(text)


def arabic_ratio(text: str) -> float:
    """Share of letters that are in the Arabic script blocks (0..1)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f" or "\u08a0" <= c <= "\u08ff")
    return arabic / len(letters)

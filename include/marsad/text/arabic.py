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

# (old, new) pairs of _DIGITS and _MATCH_FOLD for normalize_for_match
_FOLD_PAIRS = [(chr(k), v) for k, v in _DIGITS.items()] + [(chr(k), v) for k, v in _MATCH_FOLD.items()]

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
    Latin, whitespace collapsed.

    Chained ``str.replace`` calls (which scan in C) instead of one ``str.translate`` with a dict
    (a Python lookup per character): the same result (a test checks it against the translate
    version), about twice as fast on article bodies. No replacement produces a character that
    another one replaces, so the order does not matter."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = strip_diacritics(text)
    for old, new in _FOLD_PAIRS:
        if old in text:
            text = text.replace(old, new)
    return _WS_RE.sub(" ", text.lower()).strip()


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


# ---------------------------------------------------------------------------------------------
# Clitic- and nisba-aware helpers for rule matching (used by marsad.tag). They work on text that
# has already been folded with ``normalize_for_match`` (so ة is ه, أ/إ/آ are ا, ى is ي).

#: Proclitic chains that can precede a word: conjunction (و ف) + preposition (ب ل ك).
#: With the article, ل + ال is written لل.
_CONJ = ("", "و", "ف")
_PREP = ("", "ب", "ل", "ك")

#: Suffixes of the nisba adjective after its ي: ليبي، ليبيه (ة)، ليبيين، ليبيون، ليبيات، ليبيان، ليبيتان ...
NISBA_ENDINGS = ("ي", "يه", "يين", "يون", "يات", "يان", "يتان", "يتين", "يا")

_SENTENCE_SPLIT_RE = re.compile(r"[.!?;\n\u06d4\u061f\u061b]+")


def definite_forms(word: str) -> list[str]:
    """``word`` (starting with ال) as written after proclitics: الخرطوم, والخرطوم, بالخرطوم,
    للخرطوم, وللخرطوم, فبالخرطوم ..."""
    out = []
    for c in _CONJ:
        for p in _PREP:
            out.append(c + ("ل" + word[1:] if p == "ل" else p + word))
    return out


def proclitic_forms(word: str, *, allow_article: bool = False) -> list[str]:
    """Every surface form of a normalised ``word`` with the proclitics و ف ب ل ك (and their
    combinations). A word that starts with ال keeps it (للخرطوم for ل + الخرطوم). A word without
    the article gets the article as well only when ``allow_article`` (adjectives: الليبي)."""
    if word.startswith("ال") and len(word) > 3:
        return definite_forms(word)
    out = [c + p + word for c in _CONJ for p in _PREP]
    if allow_article:
        out.extend(definite_forms("ال" + word))
    return out


def nisba_forms(stem: str) -> list[str]:
    """Inflected forms of a nisba adjective given its masculine singular (ليبي, سوداني, or with
    the article الليبي): ليبي، ليبيه، ليبيين، ليبيون، ليبيات، ليبيان ... (without proclitics)."""
    if not stem.endswith("ي"):
        raise ValueError(f"a nisba adjective ends with ي: {stem!r}")
    base = stem[:-1]
    return [base + e for e in NISBA_ENDINGS]


def strip_proclitics(token: str, vocabulary: "set[str] | frozenset[str] | None" = None) -> str:
    """Remove a proclitic chain (و ف + ب ل ك + ال / لل) from a normalised token. With a
    ``vocabulary`` only a stripping that lands on a known word is accepted; otherwise the longest
    aggressive stripping that leaves at least three letters is returned (prefer a vocabulary)."""
    candidates = [token]
    for c in _CONJ:
        if c and not token.startswith(c):
            continue
        rest = token[len(c):]
        for p in _PREP:
            if p and not rest.startswith(p):
                continue
            r2 = rest[len(p):]
            if r2 != token:
                candidates.append(r2)
            if p == "ل" and r2.startswith("ل"):
                candidates.append("ا" + r2)  # لل + word = ل + ال + word
            if r2.startswith("ال"):
                candidates.append(r2[2:])
    if vocabulary is not None:
        for cand in candidates[1:]:
            if cand in vocabulary:
                return cand
        return token
    best = token
    for cand in candidates:
        if len(cand) >= 3 and len(cand) < len(best):
            best = cand
    return best


def split_sentences(text: str) -> list[str]:
    """Sentences of normalised text (split at . ! ? ; line breaks and ellipses)."""
    return [s for s in (p.strip() for p in _SENTENCE_SPLIT_RE.split(text)) if s]

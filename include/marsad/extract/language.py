"""Page language: declared (``<html lang>``, meta tags) and detected (lingua).

The detector is built once, lazily, restricted to the languages an Arabic news monitor meets
(Arabic, Persian, Urdu, English, French) so it separates Arabic from Persian and Urdu — which share
the script — quickly and reliably. Detection runs on a bounded sample of the text.
"""

from __future__ import annotations

import re
import threading

#: characters of text handed to the detector; enough for a confident answer, cheap to classify
SAMPLE_CHARS = 240
#: below this many letters, detection is not attempted
MIN_LETTERS = 20

_LETTER_RE = re.compile(r"[^\W\d_]")
_detector = None
_lock = threading.Lock()

_CODE_RE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
# ISO 639-2/3 codes and names that pages put where a 639-1 code belongs
_ALIASES = {
    "ara": "ar", "arb": "ar", "arz": "ar", "apc": "ar", "ary": "ar", "arabic": "ar", "عربي": "ar",
    "العربية": "ar", "per": "fa", "fas": "fa", "pes": "fa", "farsi": "fa", "persian": "fa",
    "urd": "ur", "urdu": "ur", "eng": "en", "english": "en", "fre": "fr", "fra": "fr", "french": "fr",
}


def normalise_language_code(value: str | None) -> str | None:
    """"ar-EG" -> "ar", "fa_IR" -> "fa", "ara" -> "ar", "ar_AR" -> "ar"; None for junk/empty."""
    if not value:
        return None
    v = value.strip().lower()
    if not v:
        return None
    first = re.split(r"[,;\s]+", v)[0]
    if first in _ALIASES:
        return _ALIASES[first]
    m = _CODE_RE.match(first)
    if not m:
        return None
    code = m.group(1).lower()
    if code in _ALIASES:
        return _ALIASES[code]
    if len(code) == 2:
        return code
    return None


def _get_detector():
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _detector = LanguageDetectorBuilder.from_languages(
                    Language.ARABIC, Language.PERSIAN, Language.URDU, Language.ENGLISH, Language.FRENCH
                ).build()
    return _detector


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    # skip a possible dateline/short first line and take whole words
    cut = text[:SAMPLE_CHARS]
    sp = cut.rfind(" ")
    return cut[:sp] if sp > SAMPLE_CHARS // 2 else cut


def detect_language(text: str | None) -> str | None:
    """ISO 639-1 code of the text's language among ar/fa/ur/en/fr, or None when the text is too short
    or the detector is unsure."""
    if not text:
        return None
    sample = _sample(text)
    if len(_LETTER_RE.findall(sample, 0, 200)) < MIN_LETTERS:
        return None
    try:
        lang = _get_detector().detect_language_of(sample)
    except Exception:  # detector unavailable: better no answer than a crash
        return None
    if lang is None:
        return None
    return lang.iso_code_639_1.name.lower()


def warm_up() -> None:
    """Load the language models now (the first detection otherwise pays ~50 ms)."""
    detect_language("هذا نص عربي قصير لتحميل نماذج اللغة مسبقا قبل القياس")

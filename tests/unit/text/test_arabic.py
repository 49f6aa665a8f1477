"""Tests of the clitic/nisba helpers added to marsad.text.arabic for tagging."""

import json
from pathlib import Path

import pytest

from marsad.text.arabic import (
    definite_forms,
    nisba_forms,
    normalize_for_match,
    proclitic_forms,
    split_sentences,
    strip_proclitics,
)

DATA = Path(__file__).resolve().parents[2] / "data"


def test_proclitic_forms_of_indefinite_word():
    forms = set(proclitic_forms("ليبيا"))
    for f in ["ليبيا", "وليبيا", "فليبيا", "بليبيا", "لليبيا", "كليبيا", "وبليبيا", "ولليبيا", "فبليبيا"]:
        assert f in forms
    assert "الليبيا" not in forms  # no article unless asked


def test_proclitic_forms_of_definite_word_use_lil():
    forms = set(proclitic_forms("الخرطوم"))
    for f in ["الخرطوم", "والخرطوم", "بالخرطوم", "للخرطوم", "وللخرطوم", "فالخرطوم", "وبالخرطوم", "كالخرطوم"]:
        assert f in forms
    assert "لالخرطوم" not in forms
    assert definite_forms("الخرطوم") == proclitic_forms("الخرطوم")


def test_proclitic_forms_with_article():
    forms = set(proclitic_forms("ليبي", allow_article=True))
    assert {"الليبي", "والليبي", "بالليبي", "لليبي"} <= forms


def test_nisba_forms():
    forms = set(nisba_forms("سوداني"))
    assert {"سوداني", "سودانيه", "سودانيين", "سودانيون", "سودانيات", "سودانيان"} <= forms
    with pytest.raises(ValueError):
        nisba_forms("السودان")


def test_strip_proclitics():
    vocab = {"ليبيا", "خرطوم", "الخرطوم", "سودان"}
    assert strip_proclitics("وبليبيا", vocab) == "ليبيا"
    assert strip_proclitics("للخرطوم", vocab) in {"الخرطوم", "خرطوم"}
    assert strip_proclitics("والسودان", vocab) == "سودان"
    assert strip_proclitics("وادي", vocab) == "وادي"  # nothing known: unchanged
    assert strip_proclitics("بالخرطوم") == "خرطوم"


def test_split_sentences():
    assert split_sentences("جملة اولى. جملة ثانية؟\nثالثة... رابعة") == ["جملة اولى", "جملة ثانية", "ثالثة", "رابعة"]
    assert split_sentences(normalize_for_match("اولى؟ ثانية")) == ["اولي", "ثانيه"]


def _reference_normalize(text):
    """The plain definition: one simultaneous translate of digits and letter/punctuation folds."""
    import unicodedata

    from marsad.text import arabic

    text = unicodedata.normalize("NFKC", text)
    text = arabic._INVISIBLE_RE.sub("", text)
    text = arabic.strip_diacritics(text)
    text = arabic.to_ascii_digits(text).translate(arabic._MATCH_FOLD).lower()
    return arabic._WS_RE.sub(" ", text).strip()


def test_normaliser_equals_reference_translate():
    samples = ["", "  أإآٱ ى ة ؤ ئ ی ک ، ؛ ؟ ٪ « » ٠١٢٣ ۴۵ ABC\u200b مـــرحبا  بِكُمْ\n\nسطر"]
    with open(DATA / "topics_dev.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            samples += [row["title"], row["text"]]
    for s in samples:
        assert normalize_for_match(s) == _reference_normalize(s)

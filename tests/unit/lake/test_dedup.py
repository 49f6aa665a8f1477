"""Dedup keys: article_id, title_key and the body SimHash."""

import hashlib

from marsad.lake.clusters import MAX_DISTANCE
from marsad.process import simhash64, title_key
from marsad.quality.quarantine import hamming64
from marsad.text.arabic import normalize_for_match, tokens

BODY = ("قال المتحدث باسم الحكومة الليبية في طرابلس إن الوزارة أطلقت خطة لإعادة إعمار المدن المتضررة من الفيضانات "
        "وإن التمويل سيأتي من الموازنة العامة ومن شركاء دوليين خلال العامين المقبلين ") * 4


def reference_simhash(text):  # the original definition; stored simhashes must not change
    words = tokens(normalize_for_match(text))
    weights = [0] * 64
    for sh in [" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))]:
        h = int.from_bytes(hashlib.blake2b(sh.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return value - (1 << 64) if value >= 1 << 63 else value


def test_simhash_matches_reference_and_is_int64():
    for text in (BODY, "كلمة", "كلمة أخرى", BODY[:200], "السودان " * 30):
        assert simhash64(text) == reference_simhash(text)
        assert -(1 << 63) <= simhash64(text) < 1 << 63
    assert simhash64("") == 0


def test_near_duplicate_bodies_are_close_and_different_stories_far():
    wire = "(وكالات) " + BODY + " المصدر: وكالة الأنباء"
    assert hamming64(simhash64(BODY), simhash64(wire)) <= MAX_DISTANCE
    other = "أعلن الاتحاد الأفريقي عقد قمة طارئة في أديس أبابا لبحث الأزمة في السودان والحرب في دارفور " * 4
    assert hamming64(simhash64(BODY), simhash64(other)) > 16


def test_title_key_normalises_spelling_variants():
    assert title_key("الحكومة الليبية تعلن خطة جديدة") == title_key("الحكومه الليبيه تُعلن خطة جديدة!")
    assert title_key("الحكومة الليبية تعلن خطة جديدة") != title_key("الحكومة السودانية تعلن خطة جديدة")
    assert title_key(None) is None

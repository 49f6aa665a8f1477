"""The rule language: term compilation (clitics, nisba, exact), loading and its error messages."""

from pathlib import Path

import pytest

from marsad.tag.rules import Lexicon, TopicsConfigError, compile_term, load_rules
from marsad.tag.tagger import Tagger
from marsad.text.arabic import normalize_for_match, tokens

REPO = Path(__file__).resolve().parents[3]


def _matches(term: str, text: str) -> int:
    lex = Lexicon()
    uid = lex.uid(term)
    return len(lex.match(tokens(normalize_for_match(text))).get(uid, []))


@pytest.mark.parametrize("surface", ["ليبيا", "وليبيا", "فليبيا", "بليبيا", "لليبيا", "كليبيا", "وبليبيا", "فلليبيا", "ولليبيا"])
def test_proclitics_on_plain_word(surface):
    assert _matches("ليبيا", f"قال {surface} اليوم") == 1


@pytest.mark.parametrize("surface", ["الخرطوم", "والخرطوم", "بالخرطوم", "للخرطوم", "وللخرطوم", "فبالخرطوم", "كالخرطوم"])
def test_proclitics_on_definite_word(surface):
    assert _matches("الخرطوم", f"في {surface} امس") == 1


@pytest.mark.parametrize(
    "surface",
    ["ليبي", "الليبي", "الليبية", "ليبية", "ليبيين", "الليبيين", "الليبيون", "ليبيات", "لليبيين", "والليبية", "بالليبي"],
)
def test_nisba_forms_match(surface):
    assert _matches("ليبي~", f"المواطن {surface} هنا") == 1


@pytest.mark.parametrize("surface", ["السوداني", "السودانية", "السودانيين", "سودانيون", "للسودانيين", "والسودانيات"])
def test_nisba_forms_sudan(surface):
    assert _matches("سوداني~", f"{surface}") == 1


def test_nisba_does_not_match_liberia():
    assert _matches("ليبي~", "الرئيس الليبيري وليبيريا") == 0
    assert _matches("ليبيا", "ليبيريا والليبيري") == 0


def test_words_do_not_match_inside_other_words():
    assert _matches("ليبيا", "ليبياتي") == 0
    assert _matches("السودان", "السودانيه") == 0


def test_exact_marker_forbids_clitics():
    assert _matches("=سرت", "في سرت") == 1
    assert _matches("=سرت", "وسرت شائعات") == 0
    assert _matches("سرت", "وسرت شائعات") == 1


def test_phrases_clitic_on_first_word_and_diacritics_ignored():
    assert _matches("جنوب السودان", "وفي جنوبِ السّودان") == 1
    assert _matches("جنوب السودان", "لجنوب السودان") == 1
    assert _matches("جنوب السودان", "جنوب الخرطوم") == 0
    assert _matches("الجيش الليبي~", "للجيش الليبي والجيش الليبية") == 2


def test_hamza_and_ta_marbuta_folding():
    assert _matches("مصراتة", "في مصراته") == 1
    assert _matches("إفطار", "افطار رمضاني") == 1


def test_compile_term_rejects_empty_and_punctuation():
    with pytest.raises(ValueError):
        compile_term("  ")
    with pytest.raises(ValueError):
        compile_term("ليبيا-تونس")


def test_repo_rules_load():
    rules = load_rules(REPO / "seeds" / "topics.yaml")
    assert [t.name for t in rules.topics][:3] == ["libya", "sudan", "ramadan_diplomacy"]
    assert rules.version


# ---------------------------------------------------------------- malformed files

GOOD_TOPIC = """
  - name: libya
    threshold: 1.0
    terms:
      - {id: country, weight: 1.0, terms: [ليبيا]}
"""


def _write(tmp_path, body: str) -> Path:
    p = tmp_path / "topics.yaml"
    p.write_text(body, encoding="utf-8")
    (tmp_path / "gazetteers").mkdir(exist_ok=True)
    return p


def _error(p: Path) -> TopicsConfigError:
    with pytest.raises(TopicsConfigError) as ei:
        Tagger.from_file(p)
    msg = str(ei.value)
    assert str(p) in msg
    return ei.value


def test_good_minimal_file(tmp_path):
    t = Tagger.from_file(_write(tmp_path, 'version: "1"\ntopics:' + GOOD_TOPIC))
    assert t.topics == ["libya"] and t.version == "1"
    assert t.tag("", "زار ليبيا").topics == ["libya"]


def test_invalid_yaml(tmp_path):
    e = _error(_write(tmp_path, 'version: "1"\ntopics: [\n'))
    assert "invalid YAML" in e.reason and "line" in e.rule


def test_missing_version(tmp_path):
    e = _error(_write(tmp_path, "topics:" + GOOD_TOPIC))
    assert e.rule == "version" and "required" in e.reason.lower()


def test_bad_weight_names_topic_and_term_set(tmp_path):
    body = 'version: "1"\ntopics:' + GOOD_TOPIC.replace("weight: 1.0", "weight: heavy")
    e = _error(_write(tmp_path, body))
    assert "libya" in e.rule and "country" in e.rule and "weight" in e.rule
    assert "number" in e.reason


def test_unknown_field(tmp_path):
    body = 'version: "1"\ntopics:' + GOOD_TOPIC + "    treshold: 2\n"
    e = _error(_write(tmp_path, body))
    assert "libya" in e.rule and "treshold" in e.rule


def test_bad_term(tmp_path):
    body = 'version: "1"\ntopics:' + GOOD_TOPIC.replace("[ليبيا]", "[ليبيا, 'ليبيا/تونس']")
    e = _error(_write(tmp_path, body))
    assert e.rule == "topics[libya].terms[country]" and "single word" in e.reason


def test_unknown_reference_in_condition(tmp_path):
    body = 'version: "1"\ntopics:' + GOOD_TOPIC + "    conditions:\n      - {id: c1, all_of: [nowhere, country], within: 5}\n"
    e = _error(_write(tmp_path, body))
    assert e.rule == "topics[libya].conditions[c1]" and "nowhere" in e.reason


def test_require_unknown_condition(tmp_path):
    body = 'version: "1"\ntopics:' + GOOD_TOPIC + "    require: [missing]\n"
    e = _error(_write(tmp_path, body))
    assert e.rule == "topics[libya].require" and "missing" in e.reason


def test_calendar_can_never_be_the_only_evidence(tmp_path):
    body = (
        'version: "1"\ntopics:' + GOOD_TOPIC
        + "    conditions:\n      - {id: c1, any_of: [country]}\n"
        + "    calendar: {id: cal, windows: [{month: 9}], weight: 1.0, requires: [c1]}\n"
    )
    e = _error(_write(tmp_path, body))
    assert "cal" in e.rule and "only evidence" in e.reason
    body2 = body.replace("weight: 1.0, requires: [c1]", "weight: 0.5, requires: []")
    e2 = _error(_write(tmp_path, body2))
    assert "calendar" in e2.rule


def test_unknown_gazetteer(tmp_path):
    body = 'version: "1"\ntopics:' + GOOD_TOPIC + "    gazetteers: [{name: nowhere, weights: {person: 1}}]\n"
    e = _error(_write(tmp_path, body))
    assert "gazetteers[nowhere]" in e.rule and "no gazetteer" in e.reason


def test_malformed_gazetteer_names_its_file(tmp_path):
    p = _write(tmp_path, 'version: "1"\ntopics:' + GOOD_TOPIC)
    g = tmp_path / "gazetteers" / "bad.yaml"
    g.write_text("name: bad\nentries:\n  - {name: حفتر, kind: warlord}\n", encoding="utf-8")
    with pytest.raises(TopicsConfigError) as ei:
        Tagger.from_file(p)
    assert str(g) in str(ei.value) and "حفتر" in ei.value.rule and "kind" in ei.value.rule


def test_duplicate_topic(tmp_path):
    e = _error(_write(tmp_path, 'version: "1"\ntopics:' + GOOD_TOPIC + GOOD_TOPIC))
    assert "libya" in e.rule and "duplicate" in e.reason


def test_missing_file(tmp_path):
    with pytest.raises(TopicsConfigError) as ei:
        Tagger.from_file(tmp_path / "nope.yaml")
    assert "not found" in str(ei.value)

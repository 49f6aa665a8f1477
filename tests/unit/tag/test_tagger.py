"""Tagger behaviour on the seed article, on each trap named in TOPICS.md, proximity and the
calendar condition, and the JSONL interface."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from marsad.tag.tagger import TagResult, Tagger, tag_jsonl

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "tests" / "data" / "seed" / "000_d94b83aca628e3d0.txt"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.default()


def read_seed() -> tuple[str, str]:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("< ")
    title = lines[0][2:].strip()
    return title, "\n".join(lines[1:])


def hit(res: TagResult, topic: str) -> dict:
    return next(h for h in res.topic_hits if h["topic"] == topic)


# ---------------------------------------------------------------- the seed article


def test_seed_article(tagger):
    title, text = read_seed()
    res = tagger.tag(title, text)
    assert res.topics == ["libya", "sudan", "ramadan_diplomacy"]
    assert [h["topic"] for h in res.topic_hits] == res.topics
    for h in res.topic_hits:
        assert 0.5 <= h["score"] <= 1.0 and h["evidence"]
        assert all(isinstance(e, str) and e for e in h["evidence"])
    ev = " | ".join(hit(res, "libya")["evidence"])
    assert "خليفة حفتر" in ev and "ليبيا" in ev
    assert any("السودان" in e for e in hit(res, "sudan")["evidence"])
    rd = " | ".join(hit(res, "ramadan_diplomacy")["evidence"])
    assert "occasion_greeting" in rd and "رمضان" in rd and "foreign_scope" in rd
    assert "خليفة حفتر" in res.people
    assert {"بنغازي", "ليبيا", "السودان"} <= set(res.places)


def test_seed_calendar_is_supporting_evidence(tagger):
    title, text = read_seed()
    # a few days before Ramadan 1447 (begins 18 Feb 2026): the window adds weight, topics unchanged
    res = tagger.tag(title, text, datetime(2026, 2, 12, 10, tzinfo=timezone.utc))
    assert res.topics == ["libya", "sudan", "ramadan_diplomacy"]
    rd = hit(res, "ramadan_diplomacy")
    assert any(e.startswith("hijri_ramadan_shawwal") for e in rd["evidence"])
    plain = hit(tagger.tag(title, text), "ramadan_diplomacy")
    assert rd["score"] > plain["score"]


def test_version_and_taxonomy(tagger):
    assert tagger.version and tagger.version == Tagger.default().version
    assert tagger.topics[:3] == ["libya", "sudan", "ramadan_diplomacy"]
    assert Tagger.default() is tagger  # cached


# ---------------------------------------------------------------- libya / sudan basics and traps


def test_libya_sentence_of_information(tagger):
    res = tagger.tag("تونس تعزز حدودها", "أعلنت السلطات توقيف مهربين كانوا يحاولون العبور إلى ليبيا عبر الصحراء.")
    assert "libya" in res.topics


def test_trap_liberia_is_not_libya(tagger):
    res = tagger.tag("انتخابات في ليبيريا", "أدلى الناخبون الليبيريون بأصواتهم في العاصمة مونروفيا، وقال الرئيس الليبيري إن ليبيريا تستحق السلام.")
    assert "libya" not in res.topics


def test_trap_libya_in_a_list_of_countries(tagger):
    res = tagger.tag("قمة عربية", "حضر القمة قادة مصر وتونس والجزائر وليبيا والمغرب وموريتانيا، وناقشت أسعار الغذاء.")
    assert "libya" not in res.topics


def test_trap_libya_in_dateline_only(tagger):
    res = tagger.tag("أسعار النفط ترتفع", "طرابلس (رويترز) - ارتفعت أسعار النفط العالمية اليوم بعد قرار أوبك خفض الإنتاج.")
    assert "libya" not in res.topics


def test_trap_tripoli_of_lebanon(tagger):
    res = tagger.tag("احتجاجات في الشمال", "خرج متظاهرون في مدينة طرابلس شمال لبنان احتجاجا على انقطاع الكهرباء.")
    assert "libya" not in res.topics
    assert "طرابلس" not in res.places


def test_tripoli_of_libya(tagger):
    res = tagger.tag("اشتباكات في طرابلس", "اندلعت اشتباكات بين مجموعات مسلحة في العاصمة طرابلس ليلة أمس.")
    assert "libya" in res.topics and "طرابلس" in res.places


def test_trap_south_sudan_is_not_sudan(tagger):
    res = tagger.tag(
        "جوبا تستضيف محادثات",
        "قال رئيس جنوب السودان سلفا كير إن حكومة جنوب السودان ستواصل الحوار مع المعارضة في جوبا. "
        "وتعاني دولة جنوب السودان من أزمة اقتصادية.",
    )
    assert "sudan" not in res.topics


def test_south_sudan_story_where_sudan_is_a_party(tagger):
    res = tagger.tag(
        "اتفاق بين فرقاء جنوب السودان",
        "وقع طرفا النزاع في جنوب السودان اتفاقا في الخرطوم برعاية الرئيس السوداني عمر البشير، "
        "وقالت الحكومة السودانية إنها ستضمن تنفيذه.",
    )
    assert "sudan" in res.topics
    assert "عمر البشير" in res.people


def test_trap_person_merely_described_as_sudanese(tagger):
    res = tagger.tag("محكمة بريطانية", "مثل أمام المحكمة رجل بريطاني من أصل سوداني متهم بالسرقة في لندن.")
    assert "sudan" not in res.topics


def test_sudanese_refugees_as_subjects(tagger):
    res = tagger.tag("مخيمات اللاجئين", "يعيش آلاف اللاجئين السودانيين في مخيمات شرق تشاد وسط نقص الغذاء.")
    assert "sudan" in res.topics


def test_sports_fixture_line_vs_main_party(tagger):
    fixture = tagger.tag(
        "برنامج الجولة الثالثة",
        "المباراة الأولى في ملعب رادس: الترجي التونسي ضد الهلال السوداني. المباراة الثانية: الأهلي ضد الوداد. "
        "ويحتاج كل فريق إلى الفوز في الجولة قبل الأخيرة من البطولة.",
    )
    assert "sudan" not in fixture.topics
    main = tagger.tag("الهلال السوداني يتأهل إلى نصف النهائي", "حقق الفريق فوزا ثمينا أمس في المباراة.")
    assert "sudan" in main.topics


def test_gaddafi_aside_is_not_a_libya_story(tagger):
    res = tagger.tag("سيرة مدرب", "عمل المدرب في عدة دول، وكان القذافي قد استعان به يوما، قبل أن يعود إلى إيطاليا.")
    assert "libya" not in res.topics


# ---------------------------------------------------------------- ramadan_diplomacy and its traps


def test_ramadan_congratulations_between_leaders(tagger):
    res = tagger.tag(
        "تهنئة برمضان",
        "تلقى الرئيس التونسي اتصالا هاتفيا من العاهل المغربي هنأه فيه بحلول شهر رمضان المبارك.",
    )
    assert "ramadan_diplomacy" in res.topics


def test_iftar_for_ambassadors(tagger):
    res = tagger.tag("وزير الخارجية يقيم مأدبة إفطار", "أقام وزير الخارجية مأدبة إفطار رمضاني على شرف السفراء المعتمدين لدى المملكة.")
    assert "ramadan_diplomacy" in res.topics


def test_trap_domestic_ramadan_life(tagger):
    res = tagger.tag("أسعار رمضان", "ارتفعت أسعار الخضر في الأسواق مع حلول شهر رمضان، وطالب الوزير التجار بخفض الأسعار.")
    assert "ramadan_diplomacy" not in res.topics


def test_trap_ruler_greeted_by_own_citizens(tagger):
    res = tagger.tag(
        "الملك يتلقى التهاني",
        "تلقى العاهل المغربي برقيات تهنئة من المواطنين ورؤساء الجماعات المحلية بمناسبة حلول شهر رمضان المبارك.",
    )
    assert "ramadan_diplomacy" not in res.topics


def test_trap_ramadan_as_person_name(tagger):
    res = tagger.tag(
        "طارق رمضان أمام القضاء",
        "استقبل الرئيس الفرنسي وزير الخارجية البلجيكي، فيما قال محامي طارق رمضان إن رمضان سيقدم تهنئة لمحاميه.",
    )
    assert "ramadan_diplomacy" not in res.topics
    res2 = tagger.tag("رمضان صبحي يعود", "أجرى اللاعب رمضان صبحي اتصالا مع مدرب المنتخب المصري في إنجلترا.")
    assert "ramadan_diplomacy" not in res2.topics


def test_trap_office_eid_party(tagger):
    res = tagger.tag(
        "حفل العيد في الشركة",
        "أقامت الشركة حفلا لموظفيها بمناسبة عيد الفطر المبارك، ووزع المدير الهدايا على سفراء العلامة التجارية.",
    )
    assert "ramadan_diplomacy" not in res.topics


def test_trap_eid_al_adha(tagger):
    res = tagger.tag(
        "تهنئة بعيد الأضحى",
        "بعث الرئيس المصري برقية تهنئة إلى العاهل السعودي بمناسبة عيد الأضحى المبارك، وتمنى لحجاج بيت الله الحرام حجا مبرورا.",
    )
    assert "ramadan_diplomacy" not in res.topics


def test_trap_adha_truce_recalling_fitr_truce(tagger):
    res = tagger.tag(
        "هدنة عيد الأضحى",
        "أعلن الرئيس الأفغاني هدنة مع طالبان بمناسبة عيد الأضحى، على غرار هدنة عيد الفطر الماضية. "
        "وقالت الحكومة إن هدنة عيد الأضحى تبدأ مع صلاة العيد، ورحبت الولايات المتحدة بهدنة الأضحى.",
    )
    assert "ramadan_diplomacy" not in res.topics


def test_calendar_qualifies_bare_eid_but_is_never_sole_evidence(tagger):
    title, text = "تهنئة بالعيد", "بعث الرئيس الجزائري برقية تهنئة إلى الرئيس التونسي بمناسبة العيد."
    shawwal = datetime(2025, 3, 31, tzinfo=timezone.utc)  # 1 Shawwal 1446
    dhu_hijja = datetime(2025, 6, 6, tzinfo=timezone.utc)  # 10 Dhu al-Hijja 1446 (Eid al-Adha)
    assert "ramadan_diplomacy" in tagger.tag(title, text, shawwal).topics
    assert "ramadan_diplomacy" not in tagger.tag(title, text, dhu_hijja).topics
    assert "ramadan_diplomacy" not in tagger.tag(title, text).topics
    # inside Ramadan but nothing diplomatic and nothing about Ramadan: the date alone is not enough
    ramadan = datetime(2025, 3, 10, tzinfo=timezone.utc)
    assert "ramadan_diplomacy" not in tagger.tag("زيارة رسمية", "استقبل الرئيس التونسي نظيره الجزائري في قصر قرطاج.", ramadan).topics


# ---------------------------------------------------------------- proximity


def test_proximity_same_sentence_required(tagger):
    apart = tagger.tag(
        "أخبار",
        "استقبل الرئيس التونسي وزير الخارجية الفرنسي في قصر قرطاج. "
        "وفي موضوع آخر ارتفعت الأسعار في الأسواق خلال شهر رمضان.",
    )
    assert "ramadan_diplomacy" not in apart.topics
    together = tagger.tag("أخبار", "استقبل الرئيس التونسي وزير الخارجية الفرنسي الذي نقل تهاني بلاده بحلول شهر رمضان.")
    assert "ramadan_diplomacy" in together.topics


def test_proximity_word_window(tmp_path):
    (tmp_path / "gazetteers").mkdir()
    p = tmp_path / "topics.yaml"
    p.write_text(
        'version: "t1"\ngroups:\n  a: [سد]\n  b: [النهضة]\ntopics:\n'
        "  - name: dam\n    threshold: 1.0\n    terms: [{id: w, weight: 0.1, terms: [سد]}]\n"
        "    conditions: [{id: near, all_of: [a, b], within: 3, weight: 1.0}]\n    require: [near]\n",
        encoding="utf-8",
    )
    t = Tagger.from_file(p)
    assert t.tag("", "مفاوضات سد النهضة").topics == ["dam"]
    assert t.tag("", "سد كبير جدا في الجبل بعيد عن النهضة").topics == []
    assert t.tag("", "النهضة ثم سد").topics == ["dam"]  # order does not matter


# ---------------------------------------------------------------- JSONL


def test_tag_jsonl(tagger):
    title, text = read_seed()
    lines = [
        json.dumps({"id": "a", "title": title, "text": text, "published_at": "2026-02-12T10:00:00Z"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "c", "title": "x", "text": "y", "published_at": "yesterday"}),
        json.dumps({"id": "d", "title": "طقس", "text": "أمطار غزيرة في تونس", "published_at": None}, ensure_ascii=False),
        "",
    ]
    out = [json.loads(x) for x in tag_jsonl(lines, tagger)]
    assert len(out) == 4
    assert out[0]["id"] == "a" and out[0]["topics"] == ["libya", "sudan", "ramadan_diplomacy"]
    assert set(out[0]) == {"id", "topics", "topic_hits"}
    assert "error" in out[1] and out[1]["id"] == "line 2"
    assert out[2]["id"] == "c" and "published_at" in out[2]["error"]
    assert out[3] == {"id": "d", "topics": [], "topic_hits": []}


def test_env_override(tmp_path, monkeypatch):
    (tmp_path / "gazetteers").mkdir()
    p = tmp_path / "topics.yaml"
    p.write_text('version: "env-1"\ntopics:\n  - name: x\n    threshold: 1\n    terms: [{id: t, weight: 1, terms: [ليبيا]}]\n', encoding="utf-8")
    monkeypatch.setenv("MARSAD_TOPICS", str(p))
    assert Tagger.default().version == "env-1"


def test_topics_copy_elsewhere_still_finds_the_gazetteers(tmp_path):
    """An analyst's edited copy of topics.yaml (MARSAD_TOPICS) uses the repo's gazetteers."""
    import shutil

    import marsad

    repo = Path(marsad.__file__).resolve().parents[2]
    shutil.copy(repo / "seeds" / "topics.yaml", tmp_path / "topics.yaml")
    tagger = Tagger.from_file(tmp_path / "topics.yaml")
    assert tagger.tag("حفتر في بنغازي", "التقى المشير خليفة حفتر في بنغازي وفدا ليبيا.").topics == ["libya"]

"""Article extraction over real Arabic news pages (tests/data/pages_dev, copied from ../shared/data/pages_dev
with MANIFEST.json as provenance) and over the Tahya Misr seed article of the mirror."""

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from marsad.extract.article import ExtractedArticle, extract_article
from marsad.text.arabic import normalize_for_match, tokens

ROOT = Path(__file__).resolve().parents[3]
PAGES = ROOT / "tests/data/pages_dev"
SEED_HTML = ROOT / "seeds/mirror/tahyamisr/seed_article.html"
SEED_URL = "https://www.tahyamisr.com/news/d94b83aca628e3d0"
FETCHED = datetime(2026, 3, 1, tzinfo=timezone.utc)
# outlet timezones, as outlets.yaml gives them to the pipeline
TZ = {"jawharafm": "Africa/Tunis", "albayan": "Asia/Dubai", "almadenahnews": "Asia/Amman", "yjc.ir": "Asia/Tehran",
      "youm7": "Africa/Cairo"}


def f1(pred: str, gold: str) -> float:
    p, g = Counter(tokens(normalize_for_match(pred))), Counter(tokens(normalize_for_match(gold)))
    common = sum((p & g).values())
    if not common:
        return 0.0
    prec, rec = common / sum(p.values()), common / sum(g.values())
    return 2 * prec * rec / (prec + rec)


def same_title(a, b) -> bool:
    return bool(a) and tokens(normalize_for_match(a)) == tokens(normalize_for_match(b))


def manifest():
    return json.loads((PAGES / "MANIFEST.json").read_text(encoding="utf-8"))


def test_manifest_covers_every_page():
    files = {e["file"] for e in manifest()}
    assert files == {p.name for p in PAGES.glob("*.html")}
    for e in manifest():
        assert (PAGES / e["gt"]).exists()
        assert e["source_repo"] and e["license"]


@pytest.fixture(scope="module")
def results():
    out = {}
    for e in manifest():
        gt = json.loads((PAGES / e["gt"]).read_text(encoding="utf-8"))
        tz = next(v for k, v in TZ.items() if k in gt["url"])
        html = (PAGES / e["file"]).read_bytes()
        out[e["file"]] = (gt, tz, extract_article(html, gt["url"], timezone=tz, fetched_at=FETCHED))
    return out


@pytest.mark.parametrize("name", [e["file"] for e in manifest()])
def test_dev_page(results, name):
    gt, tz, r = results[name]
    assert r.error is None
    assert r.title and "\n" not in r.title
    if gt.get("title"):
        assert same_title(r.title, gt["title"]), (r.title, gt["title"])
    if gt.get("text"):
        assert f1(r.body, gt["text"]) >= 0.9
    else:
        assert len(r.body) > 300
    # the publication day, in the GT's own offset or (date-only GT) in the outlet's timezone
    if "T" in gt["date"]:
        want = datetime.fromisoformat(gt["date"])
        assert r.published_at.astimezone(want.tzinfo).date() == want.date()
    else:
        from zoneinfo import ZoneInfo

        assert r.published_at.astimezone(ZoneInfo(tz)).date().isoformat() == gt["date"]
    assert r.published_at.tzinfo is not None and r.published_at.utcoffset().total_seconds() == 0
    assert r.date_source in {"jsonld", "meta", "text", "url", "feed", "fetched"}
    assert r.language == gt["language"]
    json.dumps(r.to_dict(), ensure_ascii=False)


def test_dev_pages_details(results):
    gt, _, r = results["htmldate_youm7.com_1691196862.html"]
    assert r.title == "وزير الرى يشهد توقيع عقد دراسة تحديد السحب الآمن للخزانات الجوفية مع جامعة القاهرة"
    assert r.date_source == "meta" and r.published_at == datetime(2020, 8, 24, 9, 23, 13, tzinfo=timezone.utc)
    assert r.language_declared == "ar"
    assert r.canonical_url.startswith("https://www.youm7.com/story/2020/8/24/")
    # jawharafm has no date meta: the article's own date line beside the title, not the sidebar's
    _, _, r = results["antcrawler_jawharafm_JA-politic-1-20170302.html"]
    assert r.date_source == "text"
    assert r.published_at == datetime(2017, 3, 2, 12, 43, tzinfo=timezone.utc)
    assert "date=text" in r.extraction_method and "body=generic" in r.extraction_method
    # Persian page: declared and detected fa (quarantined later as non-Arabic, not dropped here)
    _, _, r = results["htmldate_yjc.ir_1602557452.html"]
    assert (r.language, r.language_declared) == ("fa", "fa")
    # outlet name prefix removed from the title
    _, _, r = results["htmldate_almadenahnews.com_1588107198.html"]
    assert r.title == "أميركا :50 الفا حصيلة الوفيات بسبب فيروس كورونا"
    assert r.date_source == "text"


# --------------------------------------------------------------------------------------------- seed
SEED_TXT = ROOT / "tests/data/seed/000_d94b83aca628e3d0.txt"  # copy of ../shared/data/seed (see PROVENANCE.md)


def seed_lines():
    return [x.strip() for x in SEED_TXT.read_text(encoding="utf-8").split("\n")]


@pytest.fixture(scope="module")
def seed():
    return extract_article(SEED_HTML.read_bytes(), SEED_URL, timezone="Africa/Cairo", fetched_at=FETCHED)


HEADLINE = "رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي.. ماذا دار في الاجتماع؟"
CAPTIONS = ["رئيس المخابرات العامة", "رئيس المخابرات العامة المصرية - المشير خليفة حفتر",
            "رئيس المخابرات العامة الوزير حسن رشاد",
            "رئيس المخابرات العامة المصرية الوزير حسن رشاد، القائد العام للقوات المسلحة الليبية المشير خليفة حفتر"]


def test_seed_article_title_date_language(seed):
    assert seed.error is None
    assert seed.title == HEADLINE
    assert seed.published_at == datetime(2026, 2, 12, 8, 20, tzinfo=timezone.utc)
    assert seed.to_dict()["published_at"] == "2026-02-12T08:20:00+00:00"
    assert seed.date_source == "meta"
    assert seed.language == "ar" and seed.language_declared == "ar"
    assert "body=generic" in seed.extraction_method


def test_seed_article_body_has_no_boilerplate(seed):
    body = seed.body
    lines = body.split("\n")
    for bad in ("رئيس التحرير", "عمرو الديب", "تحيا مصر", "اقرأ أيضا", "شارك", "فيسبوك", "جوجل نيوز",
                "الأكثر قراءة", "جميع الحقوق", "السيسي يستقبل رئيس المجلس الرئاسي", "أسعار الذهب",
                "الكلمات المفتاحية", "إعلان"):
        assert bad not in body, bad
    for cap in CAPTIONS:
        assert cap not in lines, cap
    assert HEADLINE not in lines
    # paragraphs kept, subheadings kept as paragraphs
    assert "مناقشة التطورات المحلية والإقليمية" in lines
    assert "رئيس المخابرات العامة ينقل تحيات الرئيس السيسي إلى المشير خليفة حفتر" in lines
    assert len(lines) == 11  # 9 paragraphs + 2 subheadings


def test_seed_article_body_f1():
    lines = seed_lines()
    gold = "\n".join(x for i, x in enumerate(lines, 1) if i >= 11 and x and i not in (17, 18))
    r = extract_article(SEED_HTML.read_bytes(), SEED_URL, timezone="Africa/Cairo", fetched_at=FETCHED)
    assert f1(r.body, gold) >= 0.95
    assert r.title == lines[5]


def test_seed_article_as_str_and_with_hints():
    class Hints:  # duck-typed like marsad.config.ExtractionHints
        title = "h1.article-title"
        body = "div.article-text"
        date = "span.article-date"
        author = None
        drop = ["figure", "p.google-news"]

    r = extract_article(SEED_HTML.read_text(encoding="utf-8"), SEED_URL, hints=Hints(), timezone="Africa/Cairo",
                        fetched_at=FETCHED)
    assert r.title == HEADLINE
    assert "body=selector" in r.extraction_method
    assert "جوجل نيوز" not in r.body and "اقرأ أيضا" not in r.body
    assert r.published_at == datetime(2026, 2, 12, 8, 20, tzinfo=timezone.utc)
    assert isinstance(r, ExtractedArticle)

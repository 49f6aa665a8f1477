"""Unit tests for marsad.extract.language and marsad.extract.boilerplate."""

import pytest

from marsad.extract.boilerplate import Line, filter_lines, strip_title_suffix
from marsad.extract.language import detect_language, normalise_language_code

AR = ("أعلنت وزارة الصحة اليوم عن تسجيل انخفاض ملحوظ في عدد الإصابات الجديدة، مؤكدة استمرار حملات "
      "التطعيم في جميع المحافظات خلال الأسابيع المقبلة.")
FA = ("به گزارش خبرنگار گروه استان های باشگاه خبرنگاران جوان از یزد، فرمانده انتظامی شهرستان گفت که "
      "ماموران در حین گشت زنی به یک دستگاه موتورسیکلت مشکوک شدند.")
UR = ("وزیراعظم نے کہا کہ حکومت عوام کی خدمت کے لیے پرعزم ہے اور ملک کی ترقی کے لیے دن رات کام کر رہی ہے، "
      "انہوں نے اپوزیشن پر تنقید بھی کی۔")


@pytest.mark.parametrize(
    "text, code",
    [(AR, "ar"), (FA, "fa"), (UR, "ur"),
     ("The minister said on Monday that talks would resume next week in Cairo.", "en"),
     ("Le ministre a déclaré lundi que les négociations reprendraient la semaine prochaine.", "fr")],
)
def test_detect_language(text, code):
    assert detect_language(text) == code


def test_detect_language_too_short():
    assert detect_language("") is None
    assert detect_language("خبر") is None


@pytest.mark.parametrize(
    "raw, code",
    [("ar-EG", "ar"), ("ar_AR", "ar"), ("fa-IR", "fa"), ("AR", "ar"), ("ara", "ar"), ("en-US,en;q=0.9", "en"),
     ("", None), (None, None), ("x-klingon-42", None)],
)
def test_normalise_language_code(raw, code):
    assert normalise_language_code(raw) == code


@pytest.mark.parametrize(
    "title, sites, heads, expected",
    [
        ("خبر مهم عن الاقتصاد المصري - تحيا مصر", ["تحيا مصر"], [], "خبر مهم عن الاقتصاد المصري"),
        ("المدينة نيوز - أميركا :50 الفا حصيلة الوفيات", ["المدينة نيوز"], [], "أميركا :50 الفا حصيلة الوفيات"),
        ("وزير الرى يشهد توقيع عقد دراسة - اليوم السابع", [], [], "وزير الرى يشهد توقيع عقد دراسة"),
        ("عنوان الخبر كاملا هنا | الشروق", [], ["عنوان الخبر كاملا هنا"], "عنوان الخبر كاملا هنا"),
        ("حمة الهمامي : اعتذار الغرياني عن الوزارة", ["JawharaFM"], [], "حمة الهمامي : اعتذار الغرياني عن الوزارة"),
        ("اليوم : الدفعة الأولى من المقابلات", ["اليوم السابع"], [], "اليوم : الدفعة الأولى من المقابلات"),
    ],
)
def test_strip_title_suffix(title, sites, heads, expected):
    assert strip_title_suffix(title, sites, heads) == expected


def test_filter_lines_drops_arabic_boilerplate():
    body = [
        "تحيا مصر",
        "رئيس التحرير",
        "عمرو الديب",
        "عنوان الخبر الرئيسي اليوم",
        "الفقرة الأولى من الخبر، وفيها تفاصيل كثيرة عن الحدث الذي وقع في المدينة أمس.",
        "اقرأ أيضا:",
        "رابط لخبر آخر عن موضوع مختلف",
        "عنوان فرعي للخبر",
        "الفقرة الثانية من الخبر، وتتضمن تصريحات المسؤولين حول تطورات الموقف.",
        "شارك الخبر على فيسبوك",
        "تابعوا آخر الأخبار عبر جوجل نيوز",
        "إعلان",
        "جميع الحقوق محفوظة © 2026",
    ]
    lines = [Line(t, link_chars=len(t) if t.startswith("رابط") else 0) for t in body]
    kept = filter_lines(lines, title="عنوان الخبر الرئيسي اليوم", site_names=["تحيا مصر"])
    assert kept == [
        "الفقرة الأولى من الخبر، وفيها تفاصيل كثيرة عن الحدث الذي وقع في المدينة أمس.",
        "عنوان فرعي للخبر",
        "الفقرة الثانية من الخبر، وتتضمن تصريحات المسؤولين حول تطورات الموقف.",
    ]


def test_filter_lines_drops_inline_read_also_and_captions():
    lines = [
        Line("فقرة أولى طويلة بما يكفي لتكون جزءا من نص الخبر المنشور على الموقع الإخباري."),
        Line("اقرأ أيضاً: الحكومة تعلن خطة جديدة", link_chars=25),
        Line("صورة أرشيفية للاجتماع"),
        Line("رئيس الوزراء خلال الاجتماع", has_image=True),
        Line("فقرة ثانية طويلة بما يكفي لتكون جزءا من نص الخبر المنشور على الموقع الإخباري."),
    ]
    kept = filter_lines(lines, captions={"صورة أرشيفية للاجتماع"})
    assert kept == [lines[0].text, lines[4].text]

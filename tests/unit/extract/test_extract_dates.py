"""Unit tests for marsad.extract.dates: every date format Arabic outlets print."""

from datetime import datetime, timezone

import pytest

from marsad.extract.dates import date_from_url, is_plausible, parse_arabic_date, parse_structured_date

UTC = timezone.utc
NOW = datetime(2026, 2, 12, 10, 0, tzinfo=UTC)


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, tz, expected",
    [
        # Egyptian month names, ص/م, weekday prefix
        ("الإثنين، 24 أغسطس 2020 09:23 ص", "Africa/Cairo", utc(2020, 8, 24, 7, 23)),
        ("الخميس 12 فبراير 2026 10:20 م", "Africa/Cairo", utc(2026, 2, 12, 20, 20)),
        ("12 يونيه 2019", "Africa/Cairo", utc(2019, 6, 11, 22, 0)),
        ("السبت 5 إبريل 2025 - 12:30 ص", "Africa/Cairo", utc(2025, 4, 4, 22, 30)),  # 12:30 am
        ("الثلاثاء 3 يوليه 2018 12:05 م", "Africa/Cairo", utc(2018, 7, 3, 10, 5)),  # 12:05 pm (EEST)
        # Levantine (Syriac) names, with and without the combined form
        ("تم نشره الجمعة 24 نيسان / أبريل 2020 09:22 مساءً", "Asia/Amman", utc(2020, 4, 24, 18, 22)),
        ("1 كانون الثاني 2021", "Asia/Beirut", utc(2020, 12, 31, 22, 0)),
        ("15 تشرين الأول 2019 14:00", "Asia/Damascus", utc(2019, 10, 15, 11, 0)),
        ("3 آب 2020", "Asia/Baghdad", utc(2020, 8, 2, 21, 0)),
        ("20 كانون الأول (ديسمبر) 2022", "UTC", utc(2022, 12, 20)),
        ("7 شباط 2023", "UTC", utc(2023, 2, 7)),
        # Maghrebi names (Tunisia, Algeria) and Moroccan names
        ("12 جانفي 2021", "Africa/Tunis", utc(2021, 1, 11, 23, 0)),
        ("3 فيفري 2021", "UTC", utc(2021, 2, 3)),
        ("9 أفريل 2021", "UTC", utc(2021, 4, 9)),
        ("1 ماي 2020", "UTC", utc(2020, 5, 1)),
        ("15 جوان 2019 - 14:30", "Africa/Algiers", utc(2019, 6, 15, 13, 30)),
        ("5 جويلية 2021", "UTC", utc(2021, 7, 5)),
        ("3 أوت 2020", "UTC", utc(2020, 8, 3)),
        ("12 دجنبر 2020", "Africa/Casablanca", utc(2020, 12, 11, 23, 0)),
        ("20 غشت 2019", "UTC", utc(2019, 8, 20)),
        ("4 شتنبر 2018", "UTC", utc(2018, 9, 4)),
        ("30 نونبر 2017", "UTC", utc(2017, 11, 30)),
        ("14 يوليوز 2016", "UTC", utc(2016, 7, 14)),
        # numeric dates, Arabic-Indic and Persian digits
        ("2017/03/02 13:43", "Africa/Tunis", utc(2017, 3, 2, 12, 43)),
        ("24/08/2020", "UTC", utc(2020, 8, 24)),
        ("24-08-2020 09:00", "UTC", utc(2020, 8, 24, 9, 0)),
        ("الخميس ٢ مارس ٢٠١٧", "UTC", utc(2017, 3, 2)),
        ("٢٠٢٠/٠٨/٢٤ ١٠:٣٠ ص", "UTC", utc(2020, 8, 24, 10, 30)),
        ("۲۴ اوت ۲۰۲۰", "UTC", utc(2020, 8, 24)),
        ("١٢ فبراير ٢٠٢٦ ٠٨:٠٥ م", "Africa/Cairo", utc(2026, 2, 12, 18, 5)),
        # ISO 8601
        ("2020-06-03T03:01+0400", "UTC", utc(2020, 6, 2, 23, 1)),
        ("2020-08-24T09:23:13Z", "Africa/Cairo", utc(2020, 8, 24, 9, 23, 13)),
        # diacritics and tatweel do not matter
        ("الخميس ١٢ فبرايـــر ٢٠٢٦", "UTC", utc(2026, 2, 12)),
        # English months (bilingual pages)
        ("June 3, 2020", "UTC", utc(2020, 6, 3)),
    ],
)
def test_absolute_dates(text, tz, expected):
    assert parse_arabic_date(text, timezone=tz, now=NOW) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("منذ ساعتين", utc(2026, 2, 12, 8, 0)),
        ("منذ ساعة", utc(2026, 2, 12, 9, 0)),
        ("منذ 5 دقائق", utc(2026, 2, 12, 9, 55)),
        ("منذ ٣ ساعات", utc(2026, 2, 12, 7, 0)),
        ("قبل يومين", utc(2026, 2, 10, 10, 0)),
        ("منذ 3 أيام", utc(2026, 2, 9, 10, 0)),
        ("منذ أسبوع", utc(2026, 2, 5, 10, 0)),
        ("منذ دقيقتين", utc(2026, 2, 12, 9, 58)),
    ],
)
def test_relative_dates(text, expected):
    assert parse_arabic_date(text, now=NOW) == expected


def test_yesterday_today_in_outlet_timezone():
    # 10:00 UTC is 12:00 in Cairo; "أمس 10:30 م" is 11 Feb 22:30 Cairo = 20:30 UTC
    assert parse_arabic_date("أمس 10:30 م", timezone="Africa/Cairo", now=NOW) == utc(2026, 2, 11, 20, 30)
    assert parse_arabic_date("اليوم 09:15 ص", timezone="Africa/Cairo", now=NOW) == utc(2026, 2, 12, 7, 15)


def test_relative_words_in_prose_are_not_dates():
    prose = ("وأعلن الوزير قبل يومين أن الحكومة ستواصل العمل على تنفيذ المشروعات المقررة في موعدها، "
             "مؤكدا أن اليوم يشهد انطلاق المرحلة الثانية من الخطة الوطنية للتنمية المستدامة في البلاد.")
    assert parse_arabic_date(prose, now=NOW) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12 رمضان 1441 هـ", utc(2020, 5, 5)),
        ("١ شوال ١٤٤١هـ", utc(2020, 5, 24)),
        ("الجمعة 10 ذو الحجة 1445 هـ", utc(2024, 6, 16)),
        ("1 ربيع الأول 1446", utc(2024, 9, 4)),
        ("15 جمادى الآخرة 1440 هـ", utc(2019, 2, 20)),
    ],
)
def test_hijri_dates(text, expected):
    assert parse_arabic_date(text, now=NOW) == expected


def test_gregorian_wins_over_hijri_in_the_same_line():
    line = "الأحد 3 ذو القعدة 1441 هـ - 24 حزيران 2020 م - 10:15 ص"
    assert parse_arabic_date(line, timezone="Asia/Riyadh", now=NOW) == utc(2020, 6, 24, 7, 15)


def test_no_date_and_garbage():
    assert parse_arabic_date("", now=NOW) is None
    assert parse_arabic_date("لا يوجد تاريخ هنا", now=NOW) is None
    assert parse_arabic_date("32 مارس 2020", now=NOW) is None
    assert parse_arabic_date("رقم الهاتف 0123456789", now=NOW) is None


def test_unknown_timezone_falls_back_to_utc():
    assert parse_arabic_date("24 أغسطس 2020 10:00", timezone="Mars/Olympus", now=NOW) == utc(2020, 8, 24, 10)


def test_structured_dates():
    assert parse_structured_date("2020-06-03T03:01+0400") == utc(2020, 6, 2, 23, 1)
    assert parse_structured_date("2020-06-03", timezone="Asia/Dubai") == utc(2020, 6, 2, 20, 0)
    assert parse_structured_date("2020-03-15 20:18:45", timezone="Asia/Dubai") == utc(2020, 3, 15, 16, 18, 45)
    assert parse_structured_date("Wed, 03 Jun 2020 10:00:00 +0300") == utc(2020, 6, 3, 7, 0)
    assert parse_structured_date("1591174800") == utc(2020, 6, 3, 9, 0)
    assert parse_structured_date("") is None
    assert parse_structured_date("not a date") is None


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.youm7.com/story/2020/8/24/وزير-الرى/4943459", utc(2020, 8, 24)),
        ("https://www.albayan.ae/across-the-uae/news-and-reports/2020-06-03-1.3874341", utc(2020, 6, 3)),
        ("https://example.com/news/20210105/article.html", utc(2021, 1, 5)),
        ("https://example.com/news/4943459", None),
        ("https://example.com/2020/13/45/x", None),
    ],
)
def test_url_dates(url, expected):
    assert date_from_url(url) == expected


def test_future_clamp():
    fetched = utc(2026, 2, 12, 10, 0)
    assert is_plausible(utc(2026, 2, 12, 10, 14), fetched_at=fetched)
    assert not is_plausible(utc(2026, 2, 12, 10, 16), fetched_at=fetched)
    assert not is_plausible(utc(1985, 1, 1), fetched_at=fetched)

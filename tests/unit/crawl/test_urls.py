from marsad.crawl.urls import article_id, canonical_url, same_site


def test_tracking_params_fragment_and_order_removed():
    assert canonical_url("HTTPS://www.Example.com/news/1?utm_source=x&b=2&a=1&fbclid=z#top") == \
        "https://www.example.com/news/1?a=1&b=2"


def test_amp_and_mobile_variants_collapse():
    plain = canonical_url("https://www.example.com/news/1")
    assert canonical_url("https://m.example.com/news/1") == plain
    assert canonical_url("https://www.example.com/amp/news/1") == plain
    assert canonical_url("https://www.example.com/news/1/amp") == plain


def test_arabic_path_is_percent_encoded_once():
    a = canonical_url("https://www.youm7.com/story/2020/8/24/وزير-الرى/4943459")
    b = canonical_url("https://www.youm7.com/story/2020/8/24/%D9%88%D8%B2%D9%8A%D8%B1-%D8%A7%D9%84%D8%B1%D9%89/4943459")
    assert a == b and article_id(a) == article_id(b) and len(article_id(a)) == 64


def test_same_site():
    assert same_site("https://news.youm7.com/x", "https://www.youm7.com/")
    assert not same_site("https://evil.com/x", "https://www.youm7.com/")
    assert not same_site("http://127.0.0.1:8702/x", "http://127.0.0.1:8701/")
    assert not same_site("javascript:alert(1)", "https://www.youm7.com/")

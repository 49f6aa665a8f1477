"""Bad config fails at load with the file, the place and the reason."""

import pytest
import yaml

from marsad.config import ConfigError, load_outlets

GOOD = {"version": 1, "outlets": [{"id": "tahyamisr", "name": "تحيا مصر", "country": "EG", "timezone": "Africa/Cairo",
                                   "discovery": [{"type": "rss", "url": "https://www.tahyamisr.com/rss"}]}]}


def write(tmp_path, data):
    p = tmp_path / "outlets.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_repo_outlets_file_is_valid():
    cfg = load_outlets()
    assert len(cfg.enabled_ids()) >= 5
    assert all(o.discovery for o in cfg.outlets)


def test_good_file_loads(tmp_path):
    cfg = load_outlets(write(tmp_path, GOOD))
    assert cfg.outlet("tahyamisr").timezone == "Africa/Cairo"
    assert cfg.settings.delay_s > 0  # politeness on by default


def test_unknown_key_is_named(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["outlets"][0]["discovry"] = []
    with pytest.raises(ConfigError) as err:
        load_outlets(write(tmp_path, data))
    msg = str(err.value)
    assert "outlets.yaml" in msg and "outlets[0] (id=tahyamisr).discovry" in msg and "unknown key 'discovry'" in msg


def test_missing_feed_url_is_named(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    del data["outlets"][0]["discovery"][0]["url"]
    with pytest.raises(ConfigError, match=r"outlets\[0\] \(id=tahyamisr\)\.discovery\[0\]\.url: required key 'url' is missing"):
        load_outlets(write(tmp_path, data))


def test_bad_outlet_id(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["outlets"][0]["id"] = "Tahya Misr!"
    with pytest.raises(ConfigError, match=r"outlet id 'Tahya Misr!' is invalid"):
        load_outlets(write(tmp_path, data))


def test_bad_timezone_and_url(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["outlets"][0]["timezone"] = "Cairo"
    data["outlets"][0]["discovery"][0]["url"] = "ftp://x"
    with pytest.raises(ConfigError) as err:
        load_outlets(write(tmp_path, data))
    assert "unknown timezone 'Cairo'" in str(err.value) and "must be an http(s) URL" in str(err.value)


def test_duplicate_ids_and_unknown_outlet(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["outlets"].append(dict(data["outlets"][0]))
    with pytest.raises(ConfigError, match="duplicate outlet id 'tahyamisr'"):
        load_outlets(write(tmp_path, data))
    cfg = load_outlets(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="unknown outlet 'nope'; known: tahyamisr"):
        cfg.select(["nope"])


def test_invalid_yaml_and_missing_file(tmp_path):
    p = tmp_path / "outlets.yaml"
    p.write_text("outlets: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_outlets(p)
    with pytest.raises(ConfigError, match="file not found"):
        load_outlets(tmp_path / "missing.yaml")

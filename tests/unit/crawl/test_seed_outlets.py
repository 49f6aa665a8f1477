from collections import Counter

from marsad.config import load_outlets


def test_seed_outlets_cover_egypt_libya_sudan():
    cfg = load_outlets()
    enabled = [o for o in cfg.outlets if o.enabled]
    assert len(enabled) >= 20
    by_country = Counter(o.country for o in enabled)
    assert by_country["EG"] >= 5 and by_country["LY"] >= 4 and by_country["SD"] >= 4
    # nothing could be verified live from the sandbox: every URL says so until someone checks it
    assert all(e.checked_live is not None for o in cfg.outlets for e in o.discovery)

"""A region named the way a reviewer says it (甘肃省, 兰州市, 兰州市城关区, national) as an organ's scope keys."""
from __future__ import annotations

from .dossier import KNOWN_CITIES, NATIONAL


class RegionError(ValueError):
    pass


def region_of(name: str, rulebook=None) -> dict:
    """{province, city, county} for a name: a province, a known city (and a county after it), or the region
    a loaded pack names; 'national' or 全国 for the central government (national packs only)."""
    name = name.strip()
    if name in (NATIONAL, "全国"):
        return {"province": NATIONAL, "city": None, "county": None}
    for province, cities in KNOWN_CITIES.items():
        rest = name.removeprefix(province)
        if not rest:
            return {"province": province, "city": None, "county": None}
        city = next((c for c in cities if rest.startswith(c)), None)
        if city:
            return {"province": province, "city": city, "county": rest[len(city):] or None}
    for pack in (rulebook.packs if rulebook else ()):  # a region only a local pack knows
        values = [pack.scope.get(k) for k in ("province", "city", "county") if pack.scope.get(k)]
        if values and name in (values[-1], "".join(values)):
            return {"province": values[0], "city": values[1] if len(values) > 1 else None,
                    "county": values[2] if len(values) > 2 else None}
    if name.endswith(("省", "自治区")) or name in ("北京市", "天津市", "上海市", "重庆市"):
        return {"province": name, "city": None, "county": None}
    known = [c for cities in KNOWN_CITIES.values() for c in cities]
    raise RegionError(f"无法识别地区“{name}”：请写省（如 甘肃省）、市（州）（如 {known[0]}）、市加县区（如 兰州市城关区），"
                      f"或 national（只看全国性规则）\n(unknown jurisdiction {name!r})")

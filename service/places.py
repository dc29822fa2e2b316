"""An agency's name as a chain of administrative units, largest first (盐城市 大丰区), and the office after them.

One reading of names for the two places that need it: the narrative rules (is a website named in the prose
a superior's?) and series (which reports are one agency's?).
"""

from __future__ import annotations

import re
import unicodedata

# Units a title chains from the largest to the smallest; the longer suffixes first so that 自治区 wins over 区.
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "街道办事处", "街道", "苏木",
             "省", "市", "盟", "区", "县", "旗", "镇", "乡")
# 1 a province, 2 a prefecture, 3 a county, 4 a township or street (smaller is higher).
LEVEL = {"特别行政区": 1, "自治区": 1, "省": 1, "自治州": 2, "地区": 2, "盟": 2, "市": 2,
         "自治县": 3, "自治旗": 3, "区": 3, "县": 3, "旗": 3,
         "街道办事处": 4, "街道": 4, "苏木": 4, "镇": 4, "乡": 4}
TOWNSHIP = 4
_SUFFIX_ALT = "|".join(_SUFFIXES)
# A unit: its own name (the fewest characters that reach a suffix), then the suffix. A county's name may be
# one character (沛县); other units need two, so 新市镇 is not 新市 + 镇.
_UNIT = re.compile(rf"(?P<name>[\u4e00-\u9fff]{{2,12}}?)(?P<suffix>{_SUFFIX_ALT})")
_COUNTY_1 = re.compile(r"[\u4e00-\u9fff]县")
# Words that begin an office, never a place: a unit ends before them (沙坡头区 | 人民政府办公室).
_OFFICE_START = ("人民政府", "政府", "人民代表", "人大", "政协", "委员会", "办公室", "办公厅", "党委", "中共",
                 "公安", "财政", "教育", "卫生", "交通", "市场", "自然资源", "生态环境", "住房", "农业", "水利",
                 "文化", "民政", "司法", "审计", "统计", "税务", "应急", "商务", "发展", "人力资源", "退役",
                 "医疗", "林业", "城市", "工业", "科学", "科技", "体育", "档案", "机关", "管理", "服务")
_NOISE = re.compile(r"[\s\u3000《》〈〉“”\"'‘’()（）【】\[\]·・.,，、:：;；]")
_COUNTRY = re.compile(r"^中华人民共和国")


def split_name(name: str) -> tuple[tuple[str, ...], str]:
    """The units a name starts with (largest first) and the rest of it (the office), noise removed."""
    text = _COUNTRY.sub("", _NOISE.sub("", unicodedata.normalize("NFKC", name)))
    units: list[str] = []
    rest = text
    while rest:
        unit = _next_unit(rest)
        if unit is None:
            break
        units.append(unit.removesuffix("办事处"))  # 长胜街道办事处 is 长胜街道
        rest = rest[len(unit):]
    return tuple(units), rest


def unit_level(unit: str) -> int:
    """The level of a unit (1 a province … 4 a township or street)."""
    return 1 if unit in MUNICIPALITIES else next(LEVEL[s] for s in _SUFFIXES if unit.endswith(s))


def _next_unit(text: str) -> str | None:
    """The administrative unit that starts ``text`` ("中卫市" of "中卫市沙坡头区…"), or None."""
    for city in MUNICIPALITIES:
        if text.startswith(city):
            return city
    if text.startswith(_OFFICE_START):
        return None
    short = _COUNTY_1.match(text)
    if short:
        return short.group(0)
    m = _UNIT.match(text)
    if m is None or any(word in m.group("name") for word in ("政府", "办公", "委员")):
        return None
    return m.group(0)

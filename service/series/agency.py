"""Which reports come from the same agency: names normalised into administrative units and an office.

"中卫市沙坡头区人民政府" and "沙坡头区人民政府" are one agency: the same last unit (沙坡头区) and the same
office (the government), and their parent units do not contradict each other. "沙坡头区教育局" and
"沙坡头区人民政府办公室" are departments of that government, so they stay apart from it and from each other.
Two 城关镇 under different counties stay apart too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Units a title chains from the largest to the smallest; the longer suffixes first so that 自治区 wins over 区.
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "街道办事处", "街道", "苏木",
             "省", "市", "盟", "区", "县", "旗", "镇", "乡")
_LEVEL = {"特别行政区": 1, "自治区": 1, "省": 1, "自治州": 2, "地区": 2, "盟": 2, "市": 2,
          "自治县": 3, "自治旗": 3, "区": 3, "县": 3, "旗": 3,
          "街道办事处": 4, "街道": 4, "苏木": 4, "镇": 4, "乡": 4}
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
_GOVERNMENT = {"", "政府", "党委政府", "党委和政府", "人民政府"}
_NOISE = re.compile(r"[\s\u3000《》〈〉“”\"'‘’()（）【】\[\]·・.,，、:：;；]")
_COUNTRY = re.compile(r"^中华人民共和国")


@dataclass(frozen=True)
class AgencyName:
    """A name taken apart: its administrative units (largest first) and its office ("" for the government)."""

    raw: str
    units: tuple[str, ...]
    office: str

    @property
    def key(self) -> tuple[str, str]:
        """The smallest unit and the office: names with different keys are different agencies."""
        return (self.units[-1] if self.units else "", self.office)

    def compatible(self, other: AgencyName) -> bool:
        """Same key, and no level where both name a parent unit and the names differ."""
        if self.key != other.key:
            return False
        mine, theirs = _by_level(self.units[:-1]), _by_level(other.units[:-1])
        return all(not (mine[level] and theirs[level]) or bool(mine[level] & theirs[level])
                   for level in set(mine) & set(theirs))


def parse_agency(name: str) -> AgencyName:
    """The units and office of an agency's name as a title prints it."""
    text = _COUNTRY.sub("", _NOISE.sub("", unicodedata.normalize("NFKC", name)))
    units: list[str] = []
    rest = text
    while rest:
        unit = _next_unit(rest)
        if unit is None:
            break
        units.append(unit.removesuffix("办事处"))  # 长胜街道办事处 is 长胜街道
        rest = rest[len(unit):]
    office = rest.replace("人民政府", "政府")
    office = "政府办公室" if office == "政府办" else office
    if office in _GOVERNMENT:
        office = ""
    if not units:  # a ministry or a body without a place name: the whole name is its key
        return AgencyName(raw=name, units=(), office=text)
    return AgencyName(raw=name, units=tuple(units), office=office)


def _next_unit(text: str) -> str | None:
    """The administrative unit that starts ``text`` ("中卫市" of "中卫市沙坡头区…"), or None."""
    for city in _MUNICIPALITIES:
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


def _by_level(units: tuple[str, ...]) -> dict[int, set[str]]:
    levels: dict[int, set[str]] = {}
    for unit in units:
        level = 1 if unit in _MUNICIPALITIES else next(_LEVEL[s] for s in _SUFFIXES if unit.endswith(s))
        levels.setdefault(level, set()).add(unit)
    return levels


def group_agencies(names: list[str]) -> list[list[int]]:
    """Indexes of ``names`` grouped by agency, each group in input order, groups in order of first name.

    The most specific names are placed first, so that a short name ("沙坡头区人民政府") joins the
    group of a longer one it is compatible with; a short name compatible with two groups joins the first.
    """
    parsed = [parse_agency(n) for n in names]
    order = sorted(range(len(names)), key=lambda i: (-len(parsed[i].units), i))
    groups: list[list[int]] = []
    for i in order:
        for group in groups:
            if all(parsed[i].compatible(parsed[j]) for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return sorted((sorted(g) for g in groups), key=lambda g: g[0])

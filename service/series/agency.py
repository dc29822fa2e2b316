"""Which reports come from the same agency: names normalised into administrative units and an office.

"中卫市沙坡头区人民政府" and "沙坡头区人民政府" are one agency: the same last unit (沙坡头区) and the same
office (the government), and their parent units do not contradict each other. "沙坡头区教育局" and
"沙坡头区人民政府办公室" are departments of that government, so they stay apart from it and from each other.
Two 城关镇 under different counties stay apart too.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.places import split_name, unit_level

# What is left of a government's name once its units are taken off (an office of its own is kept apart).
_GOVERNMENT = {"", "政府", "党委政府", "党委和政府", "人民政府"}


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
    units, text = split_name(name)
    office = text.replace("人民政府", "政府")
    office = "政府办公室" if office == "政府办" else office
    if office in _GOVERNMENT:
        office = ""
    if not units:  # a ministry or a body without a place name: the whole name is its key
        return AgencyName(raw=name, units=(), office=text)
    return AgencyName(raw=name, units=units, office=office)


def _by_level(units: tuple[str, ...]) -> dict[int, set[str]]:
    levels: dict[int, set[str]] = {}
    for unit in units:
        level = unit_level(unit)
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

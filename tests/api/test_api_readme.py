"""The README documents what the code defines: every setting with its default, every problem code."""

from __future__ import annotations

import re
from pathlib import Path

from service.api import errors as api_errors
from service.config import Settings
from service.errors import NianbaoError

README = (Path(__file__).parents[2] / "README.md").read_text("utf-8")


def _row(variable: str) -> list[str]:
    match = re.search(rf"^\| `{variable}` \| (.*?) \| (.*?) \|$", README, re.M)
    assert match, f"{variable} has no row in the README's configuration table"
    return [match.group(1), match.group(2)]


def test_every_setting_is_in_the_configuration_table_with_its_default() -> None:
    for name, field in Settings.model_fields.items():
        default, meaning = _row(f"NIANBAO_{name.upper()}")
        value = field.get_default(call_default_factory=True)
        shown = "—" if value in (None, "", []) else f"`{str(value).lower() if isinstance(value, bool) else value}`"
        assert default == shown, (name, default, shown)
        assert meaning.strip(), name


def test_every_problem_code_is_in_the_errors_table() -> None:
    def codes(cls: type[NianbaoError]) -> set[str]:
        return {cls.code} | {c for sub in cls.__subclasses__() for c in codes(sub)}

    documented = set(re.findall(r"^\| [\d, ]+ \| `([a-z_<>]+)` \|", README, re.M))
    internal = {"nianbao_error", "bad_input", "backend_error"}  # abstract branches, never raised as such
    assert api_errors.NotText.code in documented
    assert codes(NianbaoError) - internal <= documented, codes(NianbaoError) - internal - documented

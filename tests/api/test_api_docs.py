"""The docs document what the code defines: every setting with its default (docs/deployment.md), every problem
code (docs/api.md)."""

from __future__ import annotations

import re
from pathlib import Path

from service.api import errors as api_errors
from service.config import Settings
from service.errors import NianbaoError

DOCS = Path(__file__).parents[2] / "docs"
SETTINGS = (DOCS / "deployment.md").read_text("utf-8")
ERRORS = (DOCS / "api.md").read_text("utf-8")


def _row(variable: str) -> list[str]:
    match = re.search(rf"^\| `{variable}` \| (.*?) \| (.*?) \|$", SETTINGS, re.M)
    assert match, f"{variable} has no row in the configuration table of docs/deployment.md"
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

    documented = set(re.findall(r"^\| [\d, ]+ \| `([a-z_<>]+)` \|", ERRORS, re.M))
    internal = {"nianbao_error", "bad_input", "backend_error"}  # abstract branches, never raised as such
    assert api_errors.NotText.code in documented
    assert codes(NianbaoError) - internal <= documented, codes(NianbaoError) - internal - documented


def test_the_readme_is_short_and_its_links_hold() -> None:
    root = DOCS.parent
    readme = (root / "README.md").read_text("utf-8")
    assert len(readme.encode()) <= 15_000, len(readme.encode())
    commands = re.findall(r"^python3 dev\.py \w+", readme, re.M)
    assert commands[:2] == ["python3 dev.py run", "python3 dev.py test"]
    for page in [root / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            assert (page.parent / target).exists(), (page.name, target)

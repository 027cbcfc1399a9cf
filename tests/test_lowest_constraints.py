"""``constraints/lowest.txt`` (``make test-lowest``) pins each dependency at the lowest version pyproject.toml allows.

pip refuses a pin below its bound, but takes one above it silently: a bound raised in pyproject.toml without its pin
(or a pin raised alone) would leave ``make test-lowest`` testing versions that are not the lowest.
"""

from __future__ import annotations

import re
import sys

from conftest import ROOT
from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli (a dev dependency there)
    import tomli as tomllib

#: a pin above its bound, with why: the bound's own release cannot be installed
NOT_INSTALLABLE = {"scipy": "1.11.0 is yanked"}


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def lowest_pins() -> dict[str, tuple[Version, str]]:
    pins = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text().splitlines():
        pin, _, comment = line.partition("#")
        if pin.strip():
            name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", pin.strip()).groups()
            pins[name.lower()] = (Version(version), comment.strip())
    return pins


def test_every_dependency_is_pinned_at_its_lower_bound():
    pins = lowest_pins()
    for requirement in declared_requirements():
        name = requirement.name.lower()
        assert name in pins, f"{name} has no pin in constraints/lowest.txt"
        pin, comment = pins[name]
        assert pin in requirement.specifier, f"{name}=={pin} is outside pyproject.toml's {requirement.specifier}"
        lower = next(Version(spec.version) for spec in requirement.specifier if spec.operator == ">=")
        if name in NOT_INSTALLABLE:
            assert pin > lower and NOT_INSTALLABLE[name] in comment, (name, pin, comment)
        else:
            assert pin == lower, f"{name}=={pin} in constraints/lowest.txt, but pyproject.toml allows {lower}"

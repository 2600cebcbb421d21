"""Vendored front-end libraries are exactly the published files their README names: a silent
edit (or an upgrade that forgot the README) fails here."""

import hashlib
import re
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
CHARTJS = VENDOR / "chartjs"


def readme_fields(readme: Path) -> tuple[str, dict[str, str]]:
    """(version, {file name: sha256}) as recorded in a vendor README.txt."""
    text = readme.read_text(encoding="utf-8")
    version = re.search(r"^Version:\s+(\S+)$", text, re.MULTILINE).group(1)
    hashes = {name: digest for digest, name in re.findall(r"^sha256:\s+([0-9a-f]{64})\s+(\S+)$", text, re.MULTILINE)}
    return version, hashes


def test_chartjs_readme_records_the_npm_source_version_and_hashes():
    version, hashes = readme_fields(CHARTJS / "README.txt")
    text = (CHARTJS / "README.txt").read_text(encoding="utf-8")
    assert re.fullmatch(r"4\.\d+\.\d+", version)
    assert f"npm package chart.js@{version}" in text
    assert set(hashes) == {"chart.umd.min.js", "chart.umd.min.js.map"}
    assert (CHARTJS / "LICENSE.md").read_text(encoding="utf-8").startswith("The MIT License")


@pytest.mark.parametrize("name", ["chart.umd.min.js", "chart.umd.min.js.map"])
def test_chartjs_files_match_their_recorded_sha256(name):
    _version, hashes = readme_fields(CHARTJS / "README.txt")
    digest = hashlib.sha256((CHARTJS / name).read_bytes()).hexdigest()
    assert digest == hashes[name], f"{name} differs from the file recorded in static/vendor/chartjs/README.txt"


def test_chartjs_file_is_the_recorded_version():
    version, _hashes = readme_fields(CHARTJS / "README.txt")
    script = (CHARTJS / "chart.umd.min.js").read_text(encoding="utf-8")
    assert script.startswith(f"/*!\n * Chart.js v{version}\n")
    assert f'"{version}"' in script  # Chart.version, as the library reports itself


def test_every_source_map_a_vendored_script_names_is_vendored_beside_it():
    """The production static storage rewrites `//# sourceMappingURL=` and fails on a missing map."""
    for script in VENDOR.rglob("*.js"):
        for target in re.findall(r"^//# sourceMappingURL=(\S+)$", script.read_text(encoding="utf-8"), re.MULTILINE):
            assert (script.parent / target).is_file(), f"{script.name} names {target}, which is not vendored"


def test_nothing_but_the_recorded_files_is_vendored():
    assert sorted(path.name for path in CHARTJS.iterdir()) == [
        "LICENSE.md",
        "README.txt",
        "chart.umd.min.js",
        "chart.umd.min.js.map",
    ]

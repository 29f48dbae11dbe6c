"""The project's own promises: shipped data is what the log says, environment.yml mirrors pyproject."""
from __future__ import annotations

import re
import tomllib

import yaml

from benchmark.data.catalogue import read_record
from benchmark.data.sources import SOURCES, checksum_differences, data_log_rows, data_log_table

from conftest import RAW, ROOT


def test_every_shipped_file_is_logged_recorded_and_unchanged():
    record = read_record(ROOT / "data")
    on_disk = {p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.is_file()}
    logged = {s.path for s in data_log_rows(RAW, record)}
    assert on_disk == logged
    # every file is either described by hand or recorded in data/catalogue.json, never both
    described = {s.path for s in SOURCES}
    assert logged == described | set(record["files"])
    assert checksum_differences(RAW, record) == {}


def test_data_readme_embeds_the_current_data_log():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert data_log_table(RAW, read_record(ROOT / "data")) in readme, "run: python -m benchmark data log (data add rewrites data/README.md)"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge", "nodefaults"]
    conda = {_name(d) for d in environment["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted
    pip_part = [d for d in environment["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert any("--editable ." in line for line in pip_part)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in ci.splitlines()[-1]
    assert "make test" in readme and "make report" in readme


def test_the_lock_file_pins_every_dependency_within_its_range():
    """requirements.lock (what `make` installs) pins each dependency pyproject.toml names, at a version
    its range allows: a dependency added or a range changed without `make lock` fails here."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["test"]]
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: '{line}' is not pinned with =="
            pinned[canonicalize_name(name)] = version.strip()
    for requirement in wanted:
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement.name}=={version} is outside {requirement.specifier}"

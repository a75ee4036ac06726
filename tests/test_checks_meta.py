"""Meta-tests of the check registry: codes, slugs, documentation, cases, load codes, declarations."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

import meshlens
from meshlens.checks import ALL_CHECKS, RETIRED, get_check, select_checks
from meshlens.checks.base import AREAS, DOC_SECTIONS, INPUTS, Check, CheckContext, CheckDefinitionError, Severity
from meshlens.checks.load import LOAD_CODES, LoadCheck
from meshlens.errors import UsageError
from meshlens.results import Subject
from tests.checks.harness import case_files, load_cases

CODES = [c.code for c in ALL_CHECKS]


def test_codes_are_well_formed_unique_and_sorted() -> None:
    assert all(re.fullmatch(r"ML\d{4}", code) for code in CODES)
    assert len(set(CODES)) == len(CODES)
    assert sorted(CODES) == CODES
    names = [c.name for c in ALL_CHECKS]
    assert len(set(names)) == len(names)


def test_slug_area_matches_code_area() -> None:
    for check in ALL_CHECKS:
        assert check.name.split(".", 1)[0] in AREAS[check.code[2]], check.code


def test_no_retired_code_is_reused() -> None:
    assert not set(RETIRED) & set(CODES)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=CODES)
def test_documentation_has_the_sections(check: type[Check]) -> None:
    for section in DOC_SECTIONS:
        assert check.section(section), f"{check.code}: empty or missing '## {section}'"
    assert check.summary() and not check.summary().startswith("#")
    assert check.title and check.message
    assert all(i in INPUTS for i in check.inputs)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=CODES)
def test_every_check_has_failing_and_passing_cases(check: type[Check]) -> None:
    files = {p.stem: p for p in case_files()}
    assert check.code in files, f"no tests/checks/cases/{check.code}.yaml"
    code, cases = load_cases(files[check.code])
    assert code == check.code
    assert any(c.get("flagged") or c.get("flagged_include") for c in cases), "no failing case"
    assert any("flagged" in c and not c["flagged"] for c in cases), "no passing case"


def test_case_files_name_registered_checks() -> None:
    assert {p.stem for p in case_files()} <= set(CODES)


def test_every_load_code_has_a_relaying_check() -> None:
    relays = sorted(c.code for c in ALL_CHECKS if issubclass(c, LoadCheck))
    assert relays == sorted(LOAD_CODES)
    assert all(c.code.startswith("ML0") for c in ALL_CHECKS if issubclass(c, LoadCheck))


def test_superseded_codes_are_load_codes() -> None:
    for check in ALL_CHECKS:
        for code in check.supersedes:
            assert code in LOAD_CODES, f"{check.code} supersedes {code}"


def test_lookup_by_code_and_slug() -> None:
    assert get_check("ml1001") is get_check("certs.expired")
    with pytest.raises(UsageError):
        get_check("ML9999")
    assert [c.code for c in select_checks("ML10")] == [c for c in CODES if c.startswith("ML10")]
    assert {c.code for c in select_checks(["certs"], ["ML1007,certs.root-mismatch"])} == {
        c for c in CODES if c.startswith("ML1")} - {"ML1007", "ML1008"}
    with pytest.raises(UsageError):
        select_checks("nothing.here")


def _doc(extra: str = "") -> str:
    return "Summary line.\n\n" + "\n".join(f"## {s}\ntext\n" for s in DOC_SECTIONS) + extra


def test_definitions_are_validated_at_class_creation() -> None:
    def make(**attrs: object) -> type[Check]:
        body = {"__doc__": _doc(), "code": "ML1999", "name": "certs.example", "severity": Severity.INFO,
                "title": "Example", "message": "{thing} is wrong", **attrs}
        return type("Example", (Check,), body)

    assert make().code == "ML1999"
    for bad in ({"code": "ML12"}, {"code": "XX1000"}, {"name": "routes.example"}, {"name": "certs.Bad_Slug"},
                {"title": ""}, {"title": "Ends with a period."}, {"message": "{0} positional"},
                {"__doc__": "Summary only."}, {"inputs": ("nonsense",)}, {"severity": "error"},
                {"supersedes": ("ML1999",)}):
        with pytest.raises(CheckDefinitionError):
            make(**bad)


def test_finding_needs_every_template_field() -> None:
    check = get_check("ML1001")()
    subject = Subject("p", "secret", "default")
    with pytest.raises(CheckDefinitionError):
        check.finding(subject, cert="x")
    finding = check.finding(subject, cert="leaf", not_after="2026-01-01T00:00:00Z", age="1d",
                            now=datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert finding.message == "leaf expired on 2026-01-01T00:00:00Z, 1d before 2026-01-02T00:00:00Z"
    assert finding.data["now"] == "2026-01-02T00:00:00Z"


def test_checks_do_not_read_the_clock_or_the_environment() -> None:
    import inspect

    import meshlens.checks as package

    for module in (package.certs, package.clusters, package.listeners, package.routes, package.drift,
                   package.ztunnel, package.load):
        source = inspect.getsource(module)
        for forbidden in ("datetime.now", "utcnow", "time.time(", "os.environ", "getenv"):
            assert forbidden not in source, f"{module.__name__} uses {forbidden}"


def test_option_conversion() -> None:
    ctx = CheckContext(now=datetime.now(timezone.utc), options={"cert_expiry_days": "14"})
    assert ctx.option("cert_expiry_days", 30.0) == 14.0
    with pytest.raises(CheckDefinitionError):
        CheckContext(now=ctx.now, options={"x": "nope"}).option("x", 1.0)


def test_public_exports() -> None:
    assert meshlens.check is __import__("meshlens.runner", fromlist=["check"]).check
    for name in ("check", "Report", "Finding", "load_many"):
        assert name in meshlens.__all__
    assert meshlens.__all__ == sorted(meshlens.__all__)

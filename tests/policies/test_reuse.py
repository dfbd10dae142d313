"""``extends`` and ``include``: merging, locations in the right file, content hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from warrantykit.engine.compiled import load_policy
from warrantykit.errors import PolicyError
from warrantykit.policies.loader import Origin, load_document

FRAGMENT = """\
calendars:
  cn: {preset: 7x8, timezone: Asia/Shanghai}
seasons:
  heating: {start: "11-15", end: "03-15"}
"""

TEMPLATE = """\
id: company-template
version: 1.0.0
title: Company template
source: {name: Company standard terms}
timezone: Asia/Shanghai
include: [shared/cn.inc.yaml]
calendars:
  office: {preset: 5x8}
terms:
  - id: main
    clause: "1"
    anchor: purchase
    length: 12 months
  - id: parts
    clause: "2"
    anchor: purchase
    length: 24 months
exclusions:
  - id: abuse
    clause: "5.1"
    when: {fact: claim.cause_codes, contains: improper_use}
  - id: water
    clause: "5.2"
    when: {fact: claim.cause_codes, contains: water_damage}
"""

CHILD = """\
id: customer-x
version: 2.1.0
title: Customer X warranty
source: {name: Letter to customer X}
timezone: Asia/Shanghai
extends: templates/company.yaml
calendars:
  office: {preset: 7x24}
  night: {preset: 7x8}
terms:
  - id: main
    override: true
    clause: "1"
    anchor: acceptance
    length: 36 months
exclusions:
  - id: water
    remove: true
remedies:
  - id: refund
    clause: "3"
    kind: purchase_window
    options: [refund]
    window: {within: 7 days}
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "templates" / "shared").mkdir(parents=True)
    (tmp_path / "templates" / "company.yaml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "templates" / "shared" / "cn.inc.yaml").write_text(FRAGMENT, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # file names in locations are relative to it
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_child_merges_with_template(tree: Path) -> None:
    loaded = load_document("child.yaml")
    doc = loaded.document
    assert (doc.id, doc.version, doc.title) == ("customer-x", "2.1.0", "Customer X warranty")
    # the overridden term keeps its place; the template's other term follows
    assert [(t.id, t.anchor.event, str(t.length.duration)) for t in doc.terms] == [
        ("main", "acceptance", "36 months"),
        ("parts", "purchase", "24 months"),
    ]
    assert [e.id for e in doc.exclusions] == ["abuse"]  # water removed
    assert [r.id for r in doc.remedies] == ["refund"]  # added
    # calendars merge by name: the child's office wins, the fragment's cn stays
    assert sorted(doc.calendars) == ["cn", "night", "office"]
    assert doc.calendars["office"].preset == "7x24"
    assert doc.calendars["cn"].preset == "7x8"
    assert sorted(doc.seasons) == ["heating"]
    assert loaded.files == ("child.yaml", "templates/company.yaml", "templates/shared/cn.inc.yaml")


def test_locations_point_into_the_file_that_wrote_the_value(tree: Path) -> None:
    loaded = load_document("child.yaml")
    locate = loaded.locations.locate
    assert locate(("terms", 0, "length")) == Origin("child.yaml", 15, 13)
    assert locate(("terms", 1, "length")) == Origin("templates/company.yaml", 17, 13)
    assert locate(("exclusions", 0)) == Origin("templates/company.yaml", 19, 5)
    assert locate(("remedies", 0)) == Origin("child.yaml", 20, 5)
    assert locate(("calendars", "office")) == Origin("child.yaml", 8, 11)
    assert locate(("calendars", "cn")) == Origin("templates/shared/cn.inc.yaml", 2, 7)
    policy = load_policy("child.yaml")
    assert str(policy.source_of("main")) == "child.yaml:11"
    assert str(policy.source_of("parts")) == "templates/company.yaml:14"
    assert str(policy.source_of("abuse")) == "templates/company.yaml:19"


def test_errors_in_template_and_child_are_located_in_each(tree: Path) -> None:
    _edit(tree / "templates" / "company.yaml", "24 months", "24 monthes")
    _edit(tree / "child.yaml", "36 months", "36 yeers")
    with pytest.raises(PolicyError) as info:
        load_document("child.yaml")
    assert [str(p) for p in info.value.problems] == [
        "child.yaml:15:13: terms[0].length: unknown unit 'yeers' (did you mean 'years'?)",
        "templates/company.yaml:17:13: terms[1].length: unknown unit 'monthes' (did you mean 'months'?)",
    ]


def test_error_in_an_included_fragment_is_located_there(tree: Path) -> None:
    _edit(tree / "templates" / "shared" / "cn.inc.yaml", '"11-15"', '"11-31"')
    with pytest.raises(PolicyError) as info:
        load_document("child.yaml")
    assert [str(p) for p in info.value.problems] == [
        "templates/shared/cn.inc.yaml:4:20: seasons.heating.start: '11-31' is not a valid month-day",
    ]


def test_reference_broken_by_a_removal_is_located_in_the_template(tree: Path) -> None:
    _edit(tree / "templates" / "company.yaml", "    when: {fact: claim.cause_codes, contains: improper_use}\n",
          "    when: {fact: claim.cause_codes, contains: improper_use}\n    terms: [parts]\n")
    _edit(tree / "child.yaml", "exclusions:\n", "  - id: parts\n    remove: true\nexclusions:\n")
    with pytest.raises(PolicyError) as info:
        load_document("child.yaml")
    assert [str(p) for p in info.value.problems] == [
        "templates/company.yaml:22:13: exclusions[0].terms[0]: unknown term 'parts'; known: main",
    ]


def test_shadowing_without_override_is_located_in_the_child(tree: Path) -> None:
    _edit(tree / "child.yaml", "    override: true\n", "")
    with pytest.raises(PolicyError) as info:
        load_document("child.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path, problem.code) == (
        "child.yaml", 11, "terms[0].id", "shadowed-rule"
    )


def test_content_hash_covers_template_and_fragments(tree: Path) -> None:
    first = load_document("child.yaml").content_hash
    assert first.startswith("sha256:")
    assert load_document("child.yaml").content_hash == first  # deterministic
    _edit(tree / "templates" / "company.yaml", "title: Company template", "title: Company template v2")
    second = load_document("child.yaml").content_hash
    assert second != first  # the child file did not change, the template did
    _edit(tree / "templates" / "shared" / "cn.inc.yaml", "preset: 7x8", "preset: 5x8")
    assert load_document("child.yaml").content_hash not in (first, second)


def test_template_and_child_may_include_the_same_fragment(tree: Path) -> None:
    _edit(tree / "child.yaml", "extends: templates/company.yaml\n",
          "extends: templates/company.yaml\ninclude: [templates/shared/cn.inc.yaml]\n")
    doc = load_document("child.yaml").document
    assert sorted(doc.calendars) == ["cn", "night", "office"]


def test_two_level_chain(tree: Path) -> None:
    (tree / "grandchild.yaml").write_text(
        "id: customer-x-site-2\nversion: 1.0.0\ntitle: Site 2\nsource: {name: Site 2 addendum}\n"
        "timezone: Asia/Shanghai\nextends: child.yaml\n"
        "terms:\n  - {id: parts, override: true, clause: '2', anchor: purchase, length: 5 years}\n",
        encoding="utf-8",
    )
    loaded = load_document("grandchild.yaml")
    assert [(t.id, str(t.length.duration)) for t in loaded.document.terms] == [
        ("main", "36 months"),
        ("parts", "5 years"),
    ]
    assert loaded.locations.locate(("terms", 0)) == Origin("child.yaml", 11, 5)
    assert loaded.locations.locate(("terms", 1)) == Origin("grandchild.yaml", 8, 5)
    assert loaded.files[:3] == ("grandchild.yaml", "child.yaml", "templates/company.yaml")


def test_text_input_resolves_extends_against_base_dir(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    doc = load_document(CHILD, base_dir=tree, file="inline.yaml").document
    assert [t.id for t in doc.terms] == ["main", "parts"]
    with pytest.raises(PolicyError) as info:
        load_document(CHILD, base_dir=elsewhere, file="inline.yaml")
    assert [str(p) for p in info.value.problems] == [
        "inline.yaml:6:10: extends: template not found: templates/company.yaml"
    ]

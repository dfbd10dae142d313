"""The durable-rules claim backend in this process: conditions, unsupported features,
ruleset names, exceptions raised in actions, and running without the extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

pytest.importorskip("durable.engine", reason="durable-rules is not installed (the 'durable' extra)")

from durable_helpers import ROOT, UNSUPPORTED_FEATURES
from hypothesis import given
from hypothesis import strategies as st

from warrantykit import load_policy
from warrantykit.engine import durable as backend_module
from warrantykit.engine.claims import compile_claims
from warrantykit.engine.compiled import Policy
from warrantykit.engine.conditions import Unknown
from warrantykit.engine.durable import ClaimRules, DurableBackend, claim_rules
from warrantykit.errors import EvaluationError, FactsError, UnsupportedByBackend
from warrantykit.facts import Asset, Claim

HEAD = """\
id: durable-test
version: 1.0.0
title: durable backend test policy
source: {name: test}
timezone: Asia/Shanghai
currency: CNY
terms:
  - {id: w, clause: W, anchor: purchase, length: 1 year}
"""

# one exclusion per operator form, on attributes of one kind each
CONDITIONS: dict[str, str] = {
    "eq-int": "{fact: claim.attributes.x, eq: 1}",
    "eq-text": "{fact: claim.attributes.x, eq: a}",
    "eq-true": "{fact: claim.attributes.x, eq: true}",
    "eq-date": "{fact: claim.attributes.x, eq: 2024-01-02}",
    "eq-null": "{fact: claim.attributes.x, eq: null}",
    "ne-int": "{fact: claim.attributes.x, ne: 1}",
    "ne-null": "{fact: claim.attributes.x, ne: null}",
    "in": "{fact: claim.attributes.x, in: [1, a, true, '2.5']}",
    "not-in": "{fact: claim.attributes.x, not_in: [a, b]}",
    "exists": "{fact: claim.attributes.x, exists: true}",
    "not-exists": "{fact: claim.attributes.x, exists: false}",
    "gt": "{fact: claim.attributes.n, gt: 1}",
    "ge": "{fact: claim.attributes.n, ge: '1.5'}",
    "lt": "{fact: claim.attributes.n, lt: -2}",
    "le": "{fact: claim.attributes.n, le: 0}",
    "date-lt": "{fact: claim.attributes.d, lt: 2024-01-02}",
    "date-ge": "{fact: claim.attributes.d, ge: 2024-01-02}",
    "contains": "{fact: claim.attributes.l, contains: a}",
    "contains-any": "{fact: claim.attributes.l, contains_any: [a, 1]}",
    "contains-all": "{fact: claim.attributes.l, contains_all: [a, b]}",
    "cause-codes": "{fact: claim.cause_codes, contains_any: [misuse, water]}",
    "all": "{all: [{fact: claim.attributes.x, eq: 1}, {fact: claim.attributes.y, eq: true}]}",
    "any": "{any: [{fact: claim.attributes.x, eq: 1}, {fact: claim.attributes.y, eq: true}]}",
    "not": "{not: {fact: claim.attributes.x, in: [1, a]}}",
    "nested": (
        "{any: [{all: [{fact: claim.attributes.y, eq: false}, {not: {fact: claim.attributes.x, "
        "exists: true}}]}, {not: {any: [{fact: claim.attributes.n, ge: 0}, "
        "{fact: claim.attributes.l, contains: b}]}}]}"
    ),
}


@cache
def conditions_policy() -> Policy:
    body = "exclusions:\n" + "".join(
        f"  - {{id: {name}, clause: X, outcome: paid_service, when: {cond}}}\n"
        for name, cond in CONDITIONS.items()
    )
    return load_policy(HEAD + body)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([Decimal("1.5"), Decimal("2.50"), Decimal("-2"), Decimal("0.0"), 2.5, 1.0]),
    st.sampled_from(["a", "b", "2024-01-02", ""]),
    st.sampled_from([date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]),
)
numbers = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.decimals(min_value=-3, max_value=3, places=2),
    st.sampled_from([1.5, -2.0, 0.25]),
)
dates = st.one_of(st.none(), st.dates(date(2023, 12, 30), date(2024, 1, 4)))
containers = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["a", "b", "c", 1, True]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "z"]), st.integers(0, 1), max_size=2),
)


def _claim(values: dict[str, Any], cause_codes: list[str]) -> Claim:
    attributes = {k: v for k, v in values.items() if v is not None}
    return Claim(
        asset=Asset.model_validate({"dates": {"purchase": date(2024, 1, 1)}}),
        failure_date=date(2024, 6, 1),
        attributes=attributes,
        cause_codes=tuple(cause_codes),
    )


@given(
    x=scalars,
    y=st.one_of(st.none(), st.booleans()),
    n=numbers,
    d=dates,
    lst=containers,
    codes=st.lists(st.sampled_from(["misuse", "water", "wear"]), max_size=2, unique=True),
)
def test_conditions_are_three_valued_like_the_pure_evaluator(
    x: Any, y: Any, n: Any, d: Any, lst: Any, codes: list[str]
) -> None:
    policy = conditions_policy()
    rules = claim_rules(policy)
    claim = _claim({"x": x, "y": y, "n": n, "d": d, "l": lst}, codes)
    decider = backend_module._Decider(rules, claim, date(2024, 6, 2))
    try:
        decider._conditions()
    except UnsupportedByBackend as exc:
        assert any(f in exc.feature for f in UNSUPPORTED_FEATURES), exc.feature
        return
    env = decider.facts.env
    for ex in compile_claims(policy).exclusions:
        pure = ex.when(env)
        durable = decider.exclusion(ex)
        if isinstance(pure, Unknown):
            assert isinstance(durable, Unknown) and durable.missing == pure.missing, ex.id
        else:
            assert durable is pure, f"{ex.id}: durable {durable!r}, pure {pure!r}"


def test_decisions_match_on_every_condition() -> None:
    policy = conditions_policy()
    backend = DurableBackend(policy)
    for x in (None, 1, "a", True, date(2024, 1, 2), 7):
        claim = _claim({"x": x, "y": True, "n": 0, "d": date(2024, 1, 1), "l": ["c"]}, ["wear"])
        expected = policy.evaluate(claim, as_of=date(2024, 6, 2)).to_json()
        assert backend.evaluate(claim, as_of=date(2024, 6, 2)).to_json() == expected


@pytest.mark.parametrize(
    ("values", "feature"),
    [
        ({"l": "a text with a"}, "'contains' on the text of claim.attributes.l (a substring test)"),
        ({"n": Decimal("1.0000000000000001")}, "significant digits"),
        ({"n": "12"}, "comparing str '12' with int 1"),
        ({"x": ["a"]}, "comparing a list value"),
        ({"l": 5}, "a int is not a list or mapping"),
    ],
)
def test_unsupported_facts_name_the_feature(values: dict[str, Any], feature: str) -> None:
    backend = DurableBackend(conditions_policy())
    with pytest.raises(UnsupportedByBackend) as info:
        backend.evaluate(_claim(values, []), as_of=date(2024, 6, 2))
    assert info.value.backend == "durable-rules"
    assert feature in info.value.feature
    assert any(f in info.value.feature for f in UNSUPPORTED_FEATURES)


def test_inputs_are_checked_like_the_pure_engine() -> None:
    backend = DurableBackend(conditions_policy())
    with pytest.raises(FactsError) as info:
        backend.evaluate({"asset": {}}, as_of="2024-06-01")  # type: ignore[arg-type]
    assert info.value.first.path == "as_of"
    with pytest.raises(FactsError) as info:
        backend.evaluate({"asset": {"price": "x"}}, as_of=date(2024, 6, 1))
    assert info.value.first.path.startswith("claim.asset.price")


def test_rulesets_are_built_once_per_policy_with_unique_names() -> None:
    first = DurableBackend(conditions_policy())
    again = DurableBackend(conditions_policy())
    assert first.rules is again.rules
    other = DurableBackend(load_policy(HEAD))  # a new policy object: a new ruleset
    assert other.rules.name != first.rules.name
    digest = conditions_policy().content_hash.split(":")[-1][:12]
    assert first.rules.name.startswith(f"warrantykit-claims-{digest}-")


def test_an_exception_raised_in_an_action_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = conditions_policy()
    backend = DurableBackend(policy)
    claim = _claim({"x": 1}, [])

    def broken(found: dict[Any, Any], key: Any, value: Any) -> None:
        raise RuntimeError(f"action failed on {key!r}")

    monkeypatch.setattr(ClaimRules, "record", staticmethod(broken))
    with pytest.raises(RuntimeError, match="action failed"):
        backend.evaluate(claim, as_of=date(2024, 6, 2))
    monkeypatch.undo()
    # the session is not left in a broken state
    expected = policy.evaluate(claim, as_of=date(2024, 6, 2)).to_json()
    assert backend.evaluate(claim, as_of=date(2024, 6, 2)).to_json() == expected


def test_durable_itself_swallows_exceptions_raised_in_actions() -> None:
    """The limit the backend works around: without the capture, the caller never sees it."""
    name, _ = backend_module.new_ruleset(
        "probe",
        "sha256:00",
        {"boom": {"all": [{"m": {"wk": "probe"}}], "run": lambda c: 1 / 0}},
    )
    state = backend_module.durable_host().post(name, {"sid": "p", "wk": "probe"})
    assert "division by zero" in state["exception"]


def test_an_evaluation_error_is_raised_like_the_pure_engine() -> None:
    policy = load_policy(
        HEAD.replace("length: 1 year", "length: 1 year")
        + textwrap.dedent(
            """\
            exclusions:
              - {id: big, clause: X, outcome: paid_service, when: {fact: claim.attributes.n, gt: 1}}
            """
        )
    )
    claim = _claim({"n": "many"}, [])
    with pytest.raises(EvaluationError):
        policy.evaluate(claim, as_of=date(2024, 6, 2))
    with pytest.raises(UnsupportedByBackend, match="raises EvaluationError"):
        DurableBackend(policy).evaluate(claim, as_of=date(2024, 6, 2))


BLOCK_DURABLE = textwrap.dedent(
    """
    import sys

    class _NoDurable:
        def find_spec(self, name, path=None, target=None):
            if name == "durable" or name.startswith(("durable.", "durable_rules")):
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, _NoDurable())
    """
)


def test_without_the_extra_the_backend_says_how_to_install_it() -> None:
    script = BLOCK_DURABLE + textwrap.dedent(
        f"""
        from warrantykit import UnsupportedByBackend, load_policy
        import warrantykit.engine.durable as backend
        import warrantykit.engine.monitor as monitor
        assert "durable" not in sys.modules
        policy = load_policy({str(ROOT / "policies/hospital-his-software-12-months.yaml")!r})
        for make in (lambda: backend.DurableBackend(policy),
                     lambda: monitor.TicketMonitor(policy, lambda d, a: None)):
            try:
                make()
            except UnsupportedByBackend as exc:
                assert exc.backend == "durable-rules", exc.backend
                assert "pip install 'warrantykit[durable]'" in exc.feature, exc.feature
                assert isinstance(exc.__cause__, ImportError)
            else:
                raise SystemExit("no error without durable-rules")
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

"""Three-valued evaluation of policy :class:`~warrantykit.policies.conditions.Condition` trees.

A condition is compiled once into a closure (no ``eval``/``exec``) that takes
an *environment* -- a mapping from root names to fact objects, e.g.
``{"claim": claim, "asset": claim.asset}`` -- and returns:

* ``True`` or ``False`` when the facts decide it;
* an :class:`Unknown` carrying the fact paths whose absence kept it open.

Logic is Kleene's: ``all`` is ``False`` as soon as one child is ``False``
(unknown children do not matter then), ``any`` is ``True`` as soon as one
child is ``True``, and ``not`` keeps an unknown unknown.

Leaves (one fact path, one operator):

* a fact that is ``None`` (absent, or a missing key of an open mapping such as
  ``claim.attributes``) makes every operator unknown except ``exists``, which
  always decides (``exists: true`` is ``value is not None``);
* ``eq``/``ne``/``in``/``not_in`` compare with ``==``; a date operand also
  accepts an ISO date string in the facts (``attributes`` read from JSON);
* ``gt``/``ge``/``lt``/``le`` compare numbers with numbers (int/Decimal) and
  dates with dates; any other pairing is an :class:`EvaluationError` naming the
  fact, never a silent ``False``;
* ``contains``/``contains_any``/``contains_all`` test membership in a list,
  tuple, set or mapping, or substring of a string. An empty collection is a
  known value: ``claim.cause_codes`` of ``[]`` does not contain anything.

Missing paths are reported as the facts name them: a policy's ``asset.*``
path is reported as ``claim.asset.*`` (``CLAIM_ALIASES``), so a caller can
point at the field of the claim document to fill in.

:func:`condition_for` compiles each condition of a policy once (memoised on
the policy via :meth:`Policy.compiled <warrantykit.engine.compiled.Policy.compiled>`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel

from warrantykit.errors import EvaluationError
from warrantykit.facts import Asset, Claim, Ticket
from warrantykit.policies.conditions import Condition

if TYPE_CHECKING:
    from warrantykit.engine.compiled import Policy

__all__ = [
    "CLAIM_ALIASES",
    "CompiledCondition",
    "Env",
    "FactGetter",
    "Truth",
    "Unknown",
    "all_of",
    "any_of",
    "claim_env",
    "coerce_date",
    "comparable",
    "compile_condition",
    "compile_fact",
    "condition_for",
    "evaluate",
    "not_of",
    "reported_path",
]


class Unknown:
    """The third truth value: undecided, because the listed fact paths are missing.

    Instances are immutable; using one as a ``bool`` is a programming error
    (it raises ``TypeError``) so that an unknown is never mistaken for false.
    """

    __slots__ = ("missing",)

    missing: tuple[str, ...]

    def __init__(self, missing: tuple[str, ...]) -> None:
        object.__setattr__(self, "missing", missing)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("Unknown is immutable")

    def __bool__(self) -> bool:
        raise TypeError("an Unknown truth value has no boolean value; test 'is True'/'is False'")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.missing == self.missing

    def __hash__(self) -> int:
        return hash(("Unknown", self.missing))

    def __repr__(self) -> str:
        return f"Unknown({list(self.missing)!r})"

    def merge(self, other: Unknown) -> Unknown:
        """An unknown missing the paths of both (order kept, no duplicates)."""
        if other is self or not other.missing:
            return self
        if not self.missing:
            return other
        return Unknown(tuple(dict.fromkeys(self.missing + other.missing)))


Truth = bool | Unknown
"""``True``, ``False`` or :class:`Unknown`."""

Env = Mapping[str, Any]
"""Root name -> fact object (``claim``, ``asset``, ``ticket``)."""

CompiledCondition = Callable[[Env], Truth]
FactGetter = Callable[[Env], Any]

CLAIM_ALIASES: Final[Mapping[str, str]] = {"asset": "claim.asset"}
"""How missing ``asset.*`` paths are reported when evaluating a claim."""

_ROOT_MODELS: Final[dict[str, type[BaseModel]]] = {
    "claim": Claim,
    "asset": Asset,
    "ticket": Ticket,
}


def claim_env(claim: Claim) -> dict[str, Any]:
    """The environment for conditions on a claim: ``claim.*`` and ``asset.*``."""
    return {"claim": claim, "asset": claim.asset}


# ------------------------------------------------------------------ truth ops


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene conjunction (stops at the first ``False``)."""
    unknown: Unknown | None = None
    for value in values:
        if value is False:
            return False
        if value is not True:
            assert isinstance(value, Unknown)
            unknown = value if unknown is None else unknown.merge(value)
    return True if unknown is None else unknown


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene disjunction (stops at the first ``True``)."""
    unknown: Unknown | None = None
    for value in values:
        if value is True:
            return True
        if value is not False:
            assert isinstance(value, Unknown)
            unknown = value if unknown is None else unknown.merge(value)
    return False if unknown is None else unknown


def not_of(value: Truth) -> Truth:
    """Kleene negation."""
    if value is True:
        return False
    if value is False:
        return True
    return value


# ------------------------------------------------------------------ fact paths


def _split_path(path: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(root, attribute chain of nested models, remaining mapping keys)."""
    root, *parts = path.split(".")
    model = _ROOT_MODELS.get(root)
    attrs: list[str] = []
    i = 0
    while model is not None and i < len(parts):
        info = model.model_fields.get(parts[i])
        if info is None:
            break
        attrs.append(parts[i])
        i += 1
        nested = _nested_model(info.annotation)
        model = nested
    return root, tuple(attrs), tuple(parts[i:])


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    import typing

    stack = [annotation]
    found: list[type[BaseModel]] = []
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
            continue
        stack.extend(typing.get_args(item))
    return found[0] if len(found) == 1 else None


def compile_fact(path: str) -> FactGetter:
    """A getter for ``path`` (``claim.evidence.warranty_card.present``,
    ``claim.attributes.x.y``): model attributes first, then mapping keys.
    Returns ``None`` for anything absent on the way."""
    root, attrs, keys = _split_path(path)

    def walk_keys(node: Any) -> Any:
        for key in keys:
            if node is None:
                return None
            if isinstance(node, Mapping):
                node = node.get(key)
            elif isinstance(node, BaseModel):
                node = getattr(node, key, None)
            else:
                return None
        return node

    if len(attrs) == 1 and not keys:
        (only,) = attrs

        def get_one(env: Env) -> Any:
            node = env.get(root)
            return None if node is None else getattr(node, only, None)

        return get_one

    if len(attrs) == 2 and not keys:
        first, second = attrs

        def get_two(env: Env) -> Any:
            node = env.get(root)
            if node is None:
                return None
            node = getattr(node, first, None)
            return None if node is None else getattr(node, second, None)

        return get_two

    if len(attrs) == 1 and len(keys) == 1:
        (only,) = attrs
        (key,) = keys

        def get_key(env: Env) -> Any:  # claim.attributes.<key>
            node = env.get(root)
            if node is None:
                return None
            node = getattr(node, only, None)
            if node.__class__ is dict:
                return node.get(key)
            return walk_keys(node)

        return get_key

    def get(env: Env) -> Any:
        node = env.get(root)
        for attr in attrs:
            if node is None:
                return None
            node = getattr(node, attr, None)
        if keys:
            return walk_keys(node)
        return node

    return get


def reported_path(path: str, aliases: Mapping[str, str]) -> str:
    """``asset.dates.x`` -> ``claim.asset.dates.x`` with :data:`CLAIM_ALIASES`."""
    root, _, rest = path.partition(".")
    prefix = aliases.get(root)
    if prefix is None:
        return path
    return f"{prefix}.{rest}" if rest else prefix


# ------------------------------------------------------------------ leaves


def coerce_date(value: Any) -> Any:
    """An ISO date string as a ``date`` (a date operand accepts one); anything else as is."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _type_error(path: str, op: str, value: Any, operand: Any) -> EvaluationError:
    return EvaluationError(
        f"{path}: cannot compare {type(value).__name__} {value!r} with "
        f"{type(operand).__name__} {operand!r} ({op})"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


def comparable(value: Any, operand: Any) -> bool:
    """Whether ``gt``/``ge``/``lt``/``le`` may compare ``value`` with ``operand``: numbers
    with numbers, dates with dates."""
    if isinstance(operand, date) and not isinstance(operand, datetime):
        return isinstance(value, date) and not isinstance(value, datetime)
    return _is_number(value) and _is_number(operand)


def _leaf(cond: Condition, aliases: Mapping[str, str]) -> CompiledCondition:
    assert cond.fact is not None
    path = cond.fact
    shown = reported_path(path, aliases)
    get = compile_fact(path)
    op = cond.operator
    operand = cond.operand()
    unknown = Unknown((shown,))

    if op == "exists":
        want = bool(operand)

        def exists(env: Env) -> Truth:
            return (get(env) is not None) is want

        return exists

    date_operand = isinstance(operand, date) or (
        isinstance(operand, tuple) and any(isinstance(o, date) for o in operand)
    )
    fix = coerce_date if date_operand else None

    def read_fixed(env: Env) -> Any:
        value = get(env)
        return coerce_date(value) if value is not None else value

    read: FactGetter = read_fixed if fix is not None else get

    if op in ("eq", "ne"):
        if operand is None:
            # eq: null / ne: null -- the same as exists false / true
            want_none = op == "eq"

            def is_none(env: Env) -> Truth:
                return (get(env) is None) is want_none

            return is_none
        negate = op == "ne"
        root, attrs, keys = _split_path(path)
        if fix is None and len(attrs) == 1 and not keys:
            (attr,) = attrs

            def equals_attr(env: Env) -> Truth:  # the getter inlined: claim.fault_kind
                node = env.get(root)
                value = None if node is None else getattr(node, attr, None)
                if value is None:
                    return unknown
                return (value == operand) is not negate

            return equals_attr

        def equals(env: Env) -> Truth:
            value = read(env)
            if value is None:
                return unknown
            return (value == operand) is not negate

        return equals

    if op in ("in", "not_in"):
        options = tuple(operand or ())
        try:
            members: frozenset[Any] | tuple[Any, ...] = frozenset(options)
        except TypeError:  # pragma: no cover - scalars are hashable
            members = options
        negate = op == "not_in"

        def member(env: Env) -> Truth:
            value = read(env)
            if value is None:
                return unknown
            try:
                found = value in members
            except TypeError:
                found = any(value == o for o in options)
            return found is not negate

        return member

    if op in ("gt", "ge", "lt", "le"):
        import operator as _op

        compare: Callable[[Any, Any], bool] = {
            "gt": _op.gt,
            "ge": _op.ge,
            "lt": _op.lt,
            "le": _op.le,
        }[op]

        def ordered(env: Env) -> Truth:
            value = read(env)
            if value is None:
                return unknown
            if not comparable(value, operand):
                raise _type_error(shown, op, value, operand)
            return bool(compare(value, operand))

        return ordered

    # contains, contains_any, contains_all
    wanted: tuple[Any, ...] = tuple(operand) if isinstance(operand, tuple) else (operand,)
    mode = op

    def holds(container: Any, item: Any) -> bool:
        if isinstance(container, str):
            if not isinstance(item, str):
                raise _type_error(shown, mode, container, item)
            return item in container
        if isinstance(container, Mapping | tuple | list | set | frozenset):
            return item in container
        raise EvaluationError(
            f"{shown}: '{mode}' needs a list, mapping or text, got {type(container).__name__}"
        )

    try:
        wanted_set: frozenset[Any] | None = frozenset(wanted)
    except TypeError:  # pragma: no cover - scalars are hashable
        wanted_set = None

    if mode == "contains_all":

        def contains_all(env: Env) -> Truth:
            value = get(env)
            if value is None:
                return unknown
            if wanted_set is not None and type(value) is tuple:
                return wanted_set.issubset(value)
            return all(holds(value, w) for w in wanted)

        return contains_all

    if mode == "contains" and len(wanted) == 1:
        (single,) = wanted

        def contains_one(env: Env) -> Truth:
            value = get(env)
            if value is None:
                return unknown
            if type(value) is tuple:
                return single in value
            return holds(value, single)

        return contains_one

    def contains_any(env: Env) -> Truth:
        value = get(env)
        if value is None:
            return unknown
        if wanted_set is not None and type(value) is tuple:
            return not wanted_set.isdisjoint(value)
        return any(holds(value, w) for w in wanted)

    return contains_any


def compile_condition(
    cond: Condition, *, aliases: Mapping[str, str] = CLAIM_ALIASES
) -> CompiledCondition:
    """Compile ``cond`` into a closure ``env -> True | False | Unknown``."""
    if cond.fact is not None:
        return _leaf(cond, aliases)
    if cond.not_ is not None:
        inner = compile_condition(cond.not_, aliases=aliases)

        def negation(env: Env) -> Truth:
            return not_of(inner(env))

        return negation
    children = tuple(compile_condition(c, aliases=aliases) for c in (cond.all_ or cond.any_ or ()))
    if len(children) == 1:
        return children[0]
    # children are evaluated lazily: those after a deciding one are never reached
    if cond.all_ is not None:

        def conjunction(env: Env) -> Truth:
            return all_of(child(env) for child in children)

        return conjunction

    def disjunction(env: Env) -> Truth:
        return any_of(child(env) for child in children)

    return disjunction


def condition_for(
    policy: Policy, cond: Condition, *, aliases: Mapping[str, str] = CLAIM_ALIASES
) -> CompiledCondition:
    """``cond`` (a condition of ``policy``'s document) compiled once per policy."""
    memo: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[Condition, CompiledCondition]]
    memo = policy.compiled("engine.conditions", lambda _p: {})
    key = (id(cond), tuple(sorted(aliases.items())))
    hit = memo.get(key)
    if hit is not None and hit[0] is cond:
        return hit[1]
    compiled = compile_condition(cond, aliases=aliases)
    memo[key] = (cond, compiled)  # keeps cond alive, so its id stays unique
    return compiled


def evaluate(
    cond: Condition, facts: Claim | Env, *, aliases: Mapping[str, str] = CLAIM_ALIASES
) -> Truth:
    """Evaluate ``cond`` once (compiles it; use :func:`condition_for` in loops).

    ``facts`` is a :class:`Claim` (``claim.*`` and ``asset.*`` paths) or an
    environment mapping root names to fact objects.
    """
    env = claim_env(facts) if isinstance(facts, Claim) else facts
    return compile_condition(cond, aliases=aliases)(env)

"""The result of :meth:`Policy.evaluate <warrantykit.engine.compiled.Policy.evaluate>`.

Plain frozen data: a :class:`ClaimDecision` holds the status of a warranty
claim, the windows of every term that applies to it, the matched exclusions,
the remedy owed, loaner obligations, who pays each cost line, the outcome
under another warranty the customer could choose, warnings, and the ordered
:class:`~warrantykit.engine.reasons.Reason` records that produced all of it.

Renderings (shape documented field by field in ``docs/decisions.md``):

* :meth:`ClaimDecision.to_json` -- a JSON-ready dict, stable shape
  ``warrantykit.claim-decision/1``, including the policy identity, ``as_of``
  and the claim facts so the decision can be replayed;
* :meth:`ClaimDecision.from_json` -- the inverse (``from_json(d.to_json()) == d``);
* :meth:`ClaimDecision.explain` -- plain text for people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter, call
from types import UnionType
from typing import (
    Annotated,
    Any,
    Final,
    Literal,
    NamedTuple,
    Protocol,
    Self,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from pydantic import AwareDatetime, BaseModel
from pydantic_core import to_jsonable_python

from warrantykit.engine.reasons import Reason
from warrantykit.errors import FactsError, Problem
from warrantykit.facts import Claim, parse_facts
from warrantykit.money import Money

__all__ = [
    "JSON_SCHEMA_ID",
    "OPTION_RANK",
    "STATUSES",
    "STATUS_RANK",
    "ClaimDecision",
    "CostEntry",
    "DepreciationCharge",
    "ExclusionMatch",
    "Loaner",
    "MeterStatus",
    "Outcome",
    "PolicyRef",
    "Remedy",
    "Status",
    "TermWindow",
    "claim_json",
    "day_text",
    "fast_maker",
    "instant_text",
    "fast_money",
    "make_remedy",
]

T = TypeVar("T")

JSON_SCHEMA_ID: Final = "warrantykit.claim-decision/1"
"""Value of the ``schema`` key of :meth:`ClaimDecision.to_json`; bumped on a breaking change."""

Status = Literal["covered", "excluded", "expired", "not_applicable", "undetermined"]
STATUSES: Final[tuple[str, ...]] = (
    "covered",
    "excluded",
    "expired",
    "not_applicable",
    "undetermined",
)

STATUS_RANK: Final[dict[str, int]] = {
    "covered": 4,
    "excluded": 3,
    "expired": 2,
    "not_applicable": 1,
    "undetermined": 0,
}
"""How favourable a status is to the customer (P10: covered > excluded > expired)."""

OPTION_RANK: Final[dict[str, int]] = {
    "refund": 8,
    "new_product": 7,
    "exchange": 6,
    "replace": 5,
    "price_reduction": 4,
    "repair": 3,
    "paid_repair": 2,
    "advice_only": 1,
}
"""How favourable a remedy option is (refund > exchange > replace > repair > paid_repair > advice_only)."""


# ---------------------------------------------------------------- helpers

_DAYS: Final[dict[date, str]] = {}
"""``day.isoformat()`` per day already written: decisions write the same few thousand
days (anchors, ends, failure dates) over and over, and a lookup costs a tenth of
formatting.  Bounded by :data:`_DAYS_SIZE` (cleared when full); safe to share
between threads (one dict operation at a time)."""

_DAYS_SIZE: Final = 1 << 15


def day_text(day: date) -> str:
    """``day.isoformat()`` (also ``str(day)``), remembered for plain :class:`date` objects.

    Hot paths inline the lookup as ``_DAYS.get(day) or day_text(day)``."""
    text = _DAYS.get(day)
    if text is None:
        text = day.isoformat()
        if day.__class__ is date:  # not a datetime: equal instants may be written differently
            if len(_DAYS) >= _DAYS_SIZE:
                _DAYS.clear()
            _DAYS[day] = text
    return text


_CLOCKS: Final[dict[time, str]] = {}
"""``clock.isoformat()`` per time of day already written (bounded like :data:`_DAYS`)."""
_ZONES: Final[dict[timedelta, str]] = {}
"""The ``+HH:MM`` suffix of ``isoformat()`` per whole-minute UTC offset."""


def instant_text(value: datetime) -> str:
    """``value.isoformat()``, about twice as fast for an aware datetime.

    ``isoformat()`` asks the zone for its offset and formats every field each
    time (about 2 us); this writes the date, the time of day and the offset from
    small caches of their texts.  A naive datetime, a subclass and an offset
    with seconds are left to ``isoformat()``."""
    offset = value.utcoffset()
    if offset is None or value.__class__ is not datetime:
        return value.isoformat()
    return _instant_text(value, offset)


def _instant_text(value: datetime, offset: timedelta) -> str:
    zone = _ZONES.get(offset)
    if zone is None:
        text = value.isoformat()
        if offset.microseconds or offset.seconds % 60:
            return text
        zone = _ZONES[offset] = text[-6:]
    clock = value.time()
    hms = _CLOCKS.get(clock)
    if hms is None:
        hms = clock.isoformat()
        if len(_CLOCKS) >= _DAYS_SIZE:
            _CLOCKS.clear()
        _CLOCKS[clock] = hms
    return f"{day_text(value.date())}T{hms}{zone}"


def _read_date(value: Any) -> date:
    return date.fromisoformat(str(value))


def _read_instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _read_decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _read_money(value: Any) -> Money:
    return Money.model_validate(value)


def _read_status(value: Any) -> str:
    status = str(value)
    if status not in STATUSES:
        raise FactsError(Problem(f"unknown status {status!r}", path="status"))
    return status


def fast_maker(cls: type[T]) -> Callable[..., T]:
    """A constructor taking every field positionally, in declaration order, for a frozen
    dataclass *without* slots: it fills the instance ``__dict__`` in one step instead of
    one ``object.__setattr__`` per field (the engine builds many of these per claim).
    The result is indistinguishable from one built by ``cls(...)``."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__
    width = len(names)

    def make(*values: Any) -> T:
        if len(values) != width:
            raise TypeError(f"{cls.__name__} needs {width} values, got {len(values)}")
        obj = new(cls)
        obj.__dict__.update(zip(names, values, strict=True))
        return obj

    return make


_REQUIRED: Final = object()
"""The default of a field without one (the key must be present)."""


# ---------------------------------------------------------------- the claim as JSON
#
# ``ClaimDecision.to_json`` records the claim as pydantic writes it with
# ``model_dump(mode="json", exclude_defaults=True)``.  Pydantic builds every
# default (``default_factory`` models and dicts) again on each call to compare
# with it; this writer compares with defaults built once, visits only the
# fields the claim was given and writes the common field types directly.  Any
# value of an unexpected type raises ``_Other`` and the whole claim goes to
# pydantic, so the output is always pydantic's.


def _any(value: Any) -> Any:
    """A value of any type, as pydantic writes it into JSON (inf and NaN as null)."""
    return to_jsonable_python(value, inf_nan_mode="null")


class _Other(Exception):
    """A value this writer does not know: let pydantic write the claim."""


def _plain(value: Any) -> Any:
    if value.__class__ in _PLAIN:
        return value
    raise _Other


def _iso_date(value: Any) -> Any:
    if value.__class__ is date:
        return _DAYS.get(value) or day_text(value)
    raise _Other


def _iso_instant(value: Any) -> Any:
    if value.__class__ is datetime:
        offset = value.utcoffset()
        if offset is not None and not offset.microseconds and not offset.seconds % 60:
            text = _instant_text(value, offset)
            return text if offset else text[:-6] + "Z"
    raise _Other


def _money_text(value: Any) -> Any:
    if value.__class__ is Money:
        return f"{value.amount!s} {value.currency}"
    raise _Other


def _money_map(value: Any) -> Any:
    out = {}
    for key, money in value.items():
        if money.__class__ is not Money or not isinstance(key, str):
            raise _Other
        out[str(key)] = f"{money.amount!s} {money.currency}"
    return out


def _decimal_map(value: Any) -> Any:
    out = {}
    for key, number in value.items():
        if number.__class__ is not Decimal or key.__class__ is not str:
            raise _Other
        out[key] = str(number)
    return out


def _texts(value: Any) -> Any:
    if value.__class__ is tuple and all(v.__class__ is str for v in value):
        return list(value)
    raise _Other


_PLAIN: Final = frozenset({str, bool, int})


def _plain_map(value: Any) -> Any:
    """A ``dict[str, Any]`` of strings, numbers, booleans and nulls as is; else pydantic."""
    if value.__class__ is dict:
        for key, item in value.items():
            if key.__class__ is not str or (item is not None and item.__class__ not in _PLAIN):
                return _any(value)
        return dict(value)
    return _any(value)


def _converter(annotation: Any) -> tuple[str, Any]:
    """How to write a field: ("model", cls), ("models", cls) or ("value", converter)."""
    from warrantykit.facts import FactsModel

    if get_origin(annotation) in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
    else:
        options = [annotation]
    if len(options) != 1:
        return "value", _any
    (kind,) = options
    if get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    origin, args = get_origin(kind), get_args(kind)
    if isinstance(kind, type) and issubclass(kind, FactsModel):
        return "model", kind
    if origin is tuple and args and isinstance(args[0], type) and issubclass(args[0], FactsModel):
        return "models", args[0]
    if origin is tuple and args == (str, ...):
        return "value", _texts
    if origin is dict and len(args) == 2:
        value_kind = args[1]
        if get_origin(value_kind) is Annotated:
            value_kind = get_args(value_kind)[0]
        if value_kind is Money:
            return "value", _money_map
        if value_kind is Decimal and args[0] is str:
            return "value", _decimal_map
        if value_kind is Any and args[0] is str:
            return "value", _plain_map
    if kind is datetime or kind is AwareDatetime:
        return "value", _iso_instant
    if kind is date:
        return "value", _iso_date
    if kind is Money:
        return "value", _money_text
    if kind in (str, bool, int) or origin is Literal:
        return "value", _plain
    return "value", _any


_MODEL_WRITERS: Final[dict[type, Callable[[Any], dict[str, Any]]]] = {}


_ALWAYS: Final = 0
"""A required field: always written."""
_UNLESS_NONE: Final = 1
"""A field whose default is ``None``: written when it is not ``None``."""
_UNLESS_DEFAULT: Final = 2
"""A field with another default: written when given and different from the default."""
_UNLESS_EMPTY: Final = 3
"""A nested model with an empty default: written when given and its own JSON is not empty."""


def _model_writer(cls: type[BaseModel]) -> Callable[[Any], dict[str, Any]]:
    """A function writing a ``cls`` model like ``model_dump(mode="json", exclude_defaults=True)``.

    Built once per model class from a table of its fields (in declaration order,
    the order pydantic writes), each with how it is written: a field with a ``None``
    default is written when it is not ``None``; another default is compared with the
    default built once, and only for fields the model was given
    (``__pydantic_fields_set__``; a field never set holds its default); a nested
    model with an empty default is written when its own JSON is not empty."""
    writer = _MODEL_WRITERS.get(cls)
    if writer is not None:
        return writer
    table: list[tuple[str, int, Callable[[Any], Any] | None, Any]] = []
    for name, info in cls.model_fields.items():
        how, what = _converter(info.annotation)
        default = _REQUIRED if info.is_required() else info.get_default(call_default_factory=True)
        if how == "model" and default is not _REQUIRED and default != what():
            how, what = "value", _any  # a non-empty default: compare as a value
        convert: Callable[[Any], Any] | None
        if how == "value":
            convert = None if what is _plain else what  # None: the common case, inlined
        elif how == "model":
            convert = _model_writer(what)
        else:
            convert = _models_writer(_model_writer(what))
        if default is _REQUIRED:
            table.append((name, _ALWAYS, convert, None))
        elif default is None:
            table.append((name, _UNLESS_NONE, convert, None))
        elif how == "model":  # an empty model equals its (empty) default
            table.append((name, _UNLESS_EMPTY, convert, None))
        else:
            table.append((name, _UNLESS_DEFAULT, convert, default))
    steps = tuple(table)
    plain = _PLAIN
    unless_none, always, unless_empty = _UNLESS_NONE, _ALWAYS, _UNLESS_EMPTY

    def write(m: Any) -> dict[str, Any]:
        if m.__class__ is not cls:
            raise _Other
        d = m.__dict__
        given = m.__pydantic_fields_set__
        out = {}
        for key, when, convert, default in steps:
            if when == unless_none:  # the most common case first
                v = d[key]
                if v is None:
                    continue
            elif when == always:
                v = d[key]
            elif key not in given:
                continue
            elif when == unless_empty:
                assert convert is not None
                v = convert(d[key])
                if v:
                    out[key] = v
                continue
            else:
                v = d[key]
                if v == default:
                    continue
            if convert is None:
                out[key] = v if v.__class__ in plain else _plain(v)
            else:
                out[key] = convert(v)
        return out

    _MODEL_WRITERS[cls] = write
    return write


def _models_writer(write: Callable[[Any], dict[str, Any]]) -> Callable[[Any], list[dict[str, Any]]]:
    def write_all(models: Any) -> list[dict[str, Any]]:
        return [write(x) for x in models]

    return write_all


def claim_json(claim: Claim) -> dict[str, Any]:
    """``claim.model_dump(mode="json", exclude_defaults=True)``, written faster (see above)."""
    try:
        written: dict[str, Any] = (_MODEL_WRITERS.get(Claim) or _model_writer(Claim))(claim)
        return written
    except (_Other, KeyError):  # KeyError: a field missing from a model's __dict__
        return claim.model_dump(mode="json", exclude_defaults=True)


# ---------------------------------------------------------------- JSON of the parts
#
# Every part of a decision is written to JSON the same way: one key per field
# (in the order of docs/decisions.md), a date as ISO text, an instant as ISO
# text with its offset, a decimal as text, money as "amount CUR", a tuple as a
# list, a nested part as its own dict, None as null; ``from_json`` reads the
# same back, a missing optional key as the field's default.  Instead of a pair
# of hand-written methods per class, ``json_codec`` builds both from the field
# types once per class, at import, as closures over per-field tables (nothing
# is generated as source or evaluated):
#
# * the writer fetches every field in one ``operator.attrgetter`` call, zips the
#   values with the keys into the dict, then overwrites -- in place, so the key
#   order stays -- the fields that need converting, with the converters applied
#   by ``map(operator.call, ...)``; a converter is a builtin where one fits
#   (``str`` for a decimal, ``list`` for a tuple of texts), a small function
#   otherwise (a date, money, a nested part, a list of parts);
# * the reader walks a tuple of (name, default, reader, optional) and calls the
#   class with the values read.
#
# Rendering is on the hot path of a web handler or a batch, hence the C-level
# fetching and zipping; a nested part is written by its own class's writer.


class _Field(NamedTuple):
    """How one field of a part is written and read."""

    name: str
    kind: str
    """A key of ``_READ``, ``date``, ``instant``, ``decimal``, ``money``, ``texts``,
    ``part``, ``parts`` or ``claim``."""
    part: type | None
    optional: bool
    default: Any
    """What a missing key reads as; ``_REQUIRED`` when the key must be present."""


class _DayJson(dict[date | None, str | None]):
    """The JSON of an optional date: ``day_text(day)``, ``None`` for ``None``.

    ``_DAY_JSON[value]`` (its bound ``__getitem__`` is the date writer) costs one
    C-level lookup once a day has been written; a miss calls :meth:`__missing__`.
    Bounded like :data:`_DAYS`."""

    def __missing__(self, day: date | None) -> str | None:
        if day is None:
            self[None] = None
            return None
        text = day_text(day)
        if day.__class__ is date:  # as in day_text
            if len(self) >= _DAYS_SIZE:
                self.clear()
            self[day] = text
        return text


_DAY_JSON: Final = _DayJson({None: None})


def _write_money(value: Money) -> str:
    return f"{value.amount!s} {value.currency}"  # !s: str() is 4x format()


def _write_money_or_none(value: Money | None) -> str | None:
    return None if value is None else f"{value.amount!s} {value.currency}"


def _write_instant_or_none(value: datetime | None) -> str | None:
    return None if value is None else instant_text(value)


# writers of a value known not to be None, per kind (absent: written as is)
_WRITE: Final[dict[str, Callable[[Any], Any]]] = {
    "date": _DAY_JSON.__getitem__,
    "instant": instant_text,
    "decimal": str,
    "money": _write_money,
    "texts": list,  # list(()) == []
}
# ... and of a value that may be None, where one call does both (else ``_or_none``)
_WRITE_OR_NONE: Final[dict[str, Callable[[Any], Any]]] = {
    "date": _DAY_JSON.__getitem__,
    "instant": _write_instant_or_none,
    "money": _write_money_or_none,
}
# readers of a JSON value (known not to be None for optional fields); None: as is
_READ: Final[dict[str, Callable[[Any], Any] | None]] = {
    "raw": None,
    "str": str,
    "int": int,
    "bool": bool,
    "date": _read_date,
    "instant": _read_instant,
    "decimal": _read_decimal,
    "money": _read_money,
    "texts": tuple,
    "status": _read_status,
}
_KIND_OF: Final[dict[Any, str]] = {
    str: "str",
    int: "int",
    bool: "bool",
    date: "date",
    datetime: "instant",
    Decimal: "decimal",
    Money: "money",
    Claim: "claim",
}
_CODEC_FIELDS: Final[dict[type, tuple[_Field, ...]]] = {}
_WRITERS: Final[dict[type, Callable[[Any], dict[str, Any]]]] = {}
_READERS: Final[dict[type, Callable[[Any], Any]]] = {}


def _field_kind(hint: Any) -> tuple[str, type | None, bool]:
    """(kind, part class, optional) of a field's type."""
    optional = False
    if get_origin(hint) in (Union, UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) < len(get_args(hint))
        (hint,) = args
    if hint in _CODEC_FIELDS:
        return "part", hint, optional
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        if item in _CODEC_FIELDS:
            return "parts", item, optional
        if item is str:
            return "texts", None, optional
    kind = "str" if get_origin(hint) is Literal else _KIND_OF.get(hint)
    if kind is None:
        raise TypeError(f"no JSON kind for {hint!r}")
    if optional and kind in ("str", "bool", "int"):
        kind = "raw"  # written and read as is (None stays None)
    return kind, None, optional


def _list_writer(write: Callable[[Any], dict[str, Any]]) -> Callable[[Any], list[Any]]:
    def write_all(items: Any) -> list[Any]:
        return list(map(write, items)) if items else []

    return write_all


def _or_none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert``, with None passed through."""

    def maybe(value: Any) -> Any:
        return None if value is None else convert(value)

    return maybe


def _write_converter(f: _Field) -> Callable[[Any], Any] | None:
    """How the value of ``f`` is written (``None``: as is)."""
    if f.kind == "part":
        assert f.part is not None
        convert: Callable[[Any], Any] | None = _WRITERS[f.part]
    elif f.kind == "parts":
        assert f.part is not None
        convert = _list_writer(_WRITERS[f.part])
    elif f.kind == "claim":
        convert = claim_json
    else:
        convert = _WRITE.get(f.kind)
    if convert is None or not f.optional:
        return convert
    return _WRITE_OR_NONE.get(f.kind) or _or_none(convert)


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of the attributes ``names`` of an object, as a tuple."""
    if len(names) == 1:
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    get: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)
    return get


def _make_writer(parts: tuple[_Field, ...], head: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    """The ``to_json`` of a class with the fields ``parts`` (see the comment above)."""
    keys = tuple(f.name for f in parts)
    get_all = _getter(keys)
    converted = [(f.name, c) for f in parts if (c := _write_converter(f)) is not None]
    if not converted:
        if head:

            def write_plain_head(obj: Any) -> dict[str, Any]:
                out = dict(head)
                out.update(zip(keys, get_all(obj), strict=True))
                return out

            return write_plain_head

        def write_plain(obj: Any) -> dict[str, Any]:
            return dict(zip(keys, get_all(obj), strict=True))

        return write_plain
    ckeys = tuple(name for name, _ in converted)
    converters = tuple(c for _, c in converted)
    get_converted = _getter(ckeys)
    if len(converted) == len(parts) and not head:  # every field converted: one pass

        def write_all(obj: Any) -> dict[str, Any]:
            return dict(zip(keys, map(call, converters, get_all(obj)), strict=True))

        return write_all

    def write(obj: Any) -> dict[str, Any]:
        out = dict(head) if head else {}
        out.update(zip(keys, get_all(obj), strict=True))
        out.update(zip(ckeys, map(call, converters, get_converted(obj)), strict=True))  # same places
        return out

    return write


def _read_converter(f: _Field) -> Callable[[Any], Any] | None:
    """How the JSON value of ``f`` is read (``None``: as is)."""
    if f.kind == "part":
        assert f.part is not None
        return _READERS[f.part]
    if f.kind == "parts":
        assert f.part is not None
        read_one = _READERS[f.part]

        def read_all(items: Any) -> tuple[Any, ...]:
            return tuple(map(read_one, items))

        return read_all
    return _READ[f.kind]


def _make_reader(cls: type[T], parts: tuple[_Field, ...]) -> Callable[[Any], T]:
    """A function building ``cls`` from its JSON dict, field by field in JSON order."""
    steps = tuple((f.name, f.default, _read_converter(f), f.optional) for f in parts)

    def read(data: Any) -> T:
        values: dict[str, Any] = {}
        for name, default, convert, optional in steps:
            value = data[name] if default is _REQUIRED else data.get(name, default)
            if convert is not None and not (optional and value is None):
                value = convert(value)
            values[name] = value
        return cls(**values)

    return read


def json_codec(
    *,
    keys: tuple[str, ...] | None = None,
    head: dict[str, Any] | None = None,
    kinds: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    install: bool = True,
) -> Callable[[type[T]], type[T]]:
    """Class decorator (outside ``@dataclass``): build the class's ``to_json`` and
    ``from_json`` from its fields (see the comment above).

    ``keys``: the fields in JSON order (default: declaration order); ``head``: constant
    keys and values written first; ``kinds``: a field's kind when its type does not say
    it (``status``: a checked status); ``defaults``: what a missing key reads as, for a
    field without a default; ``install=False`` only registers the class as a part of
    others."""

    def decorate(cls: type[T]) -> type[T]:
        hints = get_type_hints(cls)
        declared = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        specs = []
        for name in keys or tuple(declared):
            kind, part, optional = _field_kind(hints[name])
            if kinds and name in kinds:
                kind = kinds[name]
            spec = declared[name]
            if defaults and name in defaults:
                default = defaults[name]
            elif spec.default is not MISSING:
                default = spec.default
            elif spec.default_factory is not MISSING:
                default = spec.default_factory()
            else:
                default = None if optional else _REQUIRED
            specs.append(_Field(name, kind, part, optional, default))
        parts = _CODEC_FIELDS[cls] = tuple(specs)
        write = _WRITERS[cls] = _make_writer(parts, head or {})
        if all(f.kind != "claim" for f in parts):  # a decision reads its claim itself
            _READERS[cls] = _make_reader(cls, parts)
        if install:
            read = _READERS[cls]
            write.__qualname__ = f"{cls.__qualname__}.to_json"
            write.__doc__ = "This part as a JSON-ready dict (shape: docs/decisions.md)."
            cls.to_json = write  # type: ignore[attr-defined]

            def from_json(owner: type[T], data: dict[str, Any]) -> T:
                """Rebuild the part from :meth:`to_json` output."""
                built: T = read(data)
                return built

            from_json.__qualname__ = f"{cls.__qualname__}.from_json"
            cls.from_json = classmethod(from_json)  # type: ignore[attr-defined]
        return cls

    return decorate


class _JsonPart:
    """Base of the parts of a decision: :func:`json_codec` replaces both methods."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        """This part as a JSON-ready dict (shape: docs/decisions.md)."""
        raise NotImplementedError(f"{type(self).__name__} has no @json_codec")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Rebuild the part from :meth:`to_json` output."""
        raise NotImplementedError(f"{cls.__name__} has no @json_codec")


json_codec(install=False)(Reason)  # a part of outcomes; its methods are its own
# ... and its own ``to_json`` (one dict display, the same keys and values; checked by
# tests/claims/test_json_round_trip.py) writes the ten or so reasons of a decision faster
_WRITERS[Reason] = Reason.to_json


# ---------------------------------------------------------------- parts


@json_codec()
@dataclass(frozen=True, slots=True)
class PolicyRef(_JsonPart):
    """The policy a decision was made under: identity, content hash, main file."""

    id: str
    version: str
    content_hash: str
    file: str | None = None


@json_codec()
@dataclass(frozen=True, slots=True)
class MeterStatus(_JsonPart):
    """A usage limit of a term (``{meter: km, limit: 60000}``) against the claim's reading."""

    meter: str
    limit: Decimal
    reading: Decimal | None
    within: bool | None
    """``reading <= limit``; ``None`` when the reading is unknown."""


@json_codec(defaults={"in_effect": True})
@dataclass(frozen=True)
class TermWindow(_JsonPart):
    """The window of one term that applies to the claimed component or unit."""

    id: str
    kind: str
    warranty: str | None
    clause: str
    length: str
    """The length as written (``36 months``, ``3 seasons of beijing-heating``)."""
    anchor: str
    """How the start was found, e.g. ``acceptance 2024-01-15``."""
    start: date | None
    """First day of the window (the anchor day, or the day after a preceding term)."""
    original_end: date | None
    """Last day before extension and roll-forward (``None``: lifetime, meter-only or unknown)."""
    extension_days: int
    """Repair/waiting days added (P7, CONV-04)."""
    end: date | None
    """Last day after extension and roll-forward; ``None`` for lifetime (or unknown)."""
    rolled_from: date | None
    """The extended end before a holiday roll-forward moved it (P8), else ``None``."""
    lifetime: bool
    applies: bool | None
    """The term's ``covers`` selector matches the claim (``None``: unknown)."""
    inside: bool | None
    """The failure date is inside the window and within every meter limit (``None``: unknown)."""
    in_effect: bool
    """The term's start lies inside the policy's ``effective`` window."""
    meters: tuple[MeterStatus, ...] = ()
    missing: tuple[str, ...] = ()


@json_codec()
@dataclass(frozen=True, slots=True)
class ExclusionMatch(_JsonPart):
    """An exclusion whose condition holds for the claim (X1-X13)."""

    id: str
    clause: str
    outcome: str
    """paid_service, advice_only or no_service."""
    still_provided: tuple[str, ...] = ()


@json_codec()
@dataclass(frozen=True, slots=True)
class DepreciationCharge(_JsonPart):
    """Depreciation on a return after refusing an available exchange (CN-GEN-10/11, CONV-05)."""

    days: int
    """Days used: return date - invoice date - repair and waiting days."""
    daily_rate_percent: Decimal
    amount: Money | None
    """price x rate x days, quantized half-even to the cent (at most the price)."""
    refund: Money | None
    """price - amount."""


@json_codec()
@dataclass(frozen=True)
class Remedy(_JsonPart):
    """What the customer gets: the owed option, the options to choose among, and why."""

    option: str
    """The customer's valid choice, else the most favourable option."""
    options: tuple[str, ...]
    rule: str
    """Remedy rule, term or exclusion id that set it."""
    clause: str
    replacement: str | None = None
    compensation: bool = False
    borne_by: str | None = None
    """Who bears the remedy's cost when the rule says (CN-GEN-08: the repairer)."""
    window_end: date | None = None
    """Last day of a purchase window (after roll-forward), when one decided it."""
    depreciation: DepreciationCharge | None = None
    service_may_be_refused: bool = False
    """An exclusion with outcome ``no_service`` matched (X12)."""


@json_codec()
@dataclass(frozen=True, slots=True)
class Loaner(_JsonPart):
    """A loaner / backup unit / spare-part obligation (R7, R8, CN-AUTO-06).

    ``due`` = ``reported_at`` + ``after`` on the rule's business calendar.
    ``state``: ``not_owed`` (resolved by ``due``), ``owed`` (unresolved at
    ``due``: resolved later, or still open at the end of the ``as_of`` day in
    the policy's zone), ``pending`` (open, ``due`` after the end of the
    ``as_of`` day) or ``undetermined`` (``reported_at`` unknown).
    """

    rule: str
    clause: str
    provides: str
    calendar: str
    due: datetime | None
    deliver_by: datetime | None
    state: str
    overdue: bool | None
    missing: tuple[str, ...] = ()


@json_codec(
    keys=("line", "payer", "basis", "percent", "cap", "amount", "rule", "clause", "situation", "note")
)
@dataclass(frozen=True)
class CostEntry(_JsonPart):
    """One payer's share of one cost line (C1-C8).

    A line split by ``vendor_share``, a cap or a discount gives one entry per
    payer; with a known line price the amounts of a line sum to that price
    (quantized to the cent). ``basis`` is the rule's basis for the customer's
    share, ``free`` for a line paid in full by a vendor-side payer,
    ``vendor_share`` for a percentage share and ``remainder`` for the part of
    a price above a cap/discount that the customer does not pay.
    """

    line: str
    payer: str
    basis: str
    rule: str
    clause: str
    situation: str
    """covered, excluded, expired, or the remedy rule that decided (abnormal_life)."""
    percent: Decimal | None = None
    cap: Money | None = None
    amount: Money | None = None
    note: str | None = None


@json_codec(kinds={"status": "status"})
@dataclass(frozen=True)
class Outcome(_JsonPart):
    """The evaluation of a claim under one warranty (or under all terms together)."""

    warranty: str | None
    status: Status
    missing: tuple[str, ...] = ()
    term: str | None = None
    """The term that decided the status (the most favourable covering term)."""
    terms: tuple[TermWindow, ...] = ()
    exclusions: tuple[ExclusionMatch, ...] = ()
    remedy: Remedy | None = None
    loaners: tuple[Loaner, ...] = ()
    costs: tuple[CostEntry, ...] = ()
    warnings: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    def customer_total(self) -> Money | None:
        """Sum of the customer's known amounts (``None`` when no amount is known)."""
        return _customer_total(self.costs)


def _customer_total(costs: tuple[CostEntry, ...]) -> Money | None:
    first: Money | None = None
    total = Decimal(0)
    for entry in costs:
        amount = entry.amount
        if amount is not None and entry.payer == "customer":
            if first is None:
                first = amount
            elif amount.currency != first.currency:
                raise ValueError(f"cannot add {amount.currency} to {first.currency}")
            total += amount.amount
    if first is None:
        return None
    return first if total == first.amount else fast_money(total, first.currency)


def fast_money(amount: Decimal, currency: str) -> Money:
    """``Money.model_construct(amount=amount, currency=currency)`` without its field loop
    (for amounts the engine computed from valid money)."""
    money = object.__new__(Money)
    object.__setattr__(money, "__dict__", {"amount": amount, "currency": currency})
    object.__setattr__(money, "__pydantic_fields_set__", {"amount", "currency"})
    object.__setattr__(money, "__pydantic_extra__", None)
    object.__setattr__(money, "__pydantic_private__", None)
    return money


_OUTCOME_FIELDS: Final = tuple(f.name for f in fields(Outcome))


@json_codec(
    keys=(
        "policy", "as_of", "claim", "warranty", "status", "missing", "term", "terms",
        "exclusions", "remedy", "loaners", "costs", "warnings", "reasons", "alternatives",
    ),
    head={"schema": JSON_SCHEMA_ID},
    install=False,  # its own to_json (a method tests and tools may wrap) and from_json
)
@dataclass(frozen=True)
class ClaimDecision:
    """A decision on one warranty claim: what, why, and under which policy and date."""

    policy: PolicyRef
    as_of: date
    claim: Claim
    """The facts evaluated (validated); recorded so the decision can be replayed."""
    status: Status
    warranty: str | None = None
    """The warranty the outcome is under (the more favourable one, P10)."""
    missing: tuple[str, ...] = ()
    """Fact paths whose absence left the status undetermined."""
    term: str | None = None
    terms: tuple[TermWindow, ...] = ()
    exclusions: tuple[ExclusionMatch, ...] = ()
    remedy: Remedy | None = None
    loaners: tuple[Loaner, ...] = ()
    costs: tuple[CostEntry, ...] = ()
    alternatives: tuple[Outcome, ...] = ()
    """Outcomes under the other warranties the customer could choose (P10)."""
    warnings: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    # ------------------------------------------------------------ building

    @classmethod
    def from_outcome(
        cls,
        *,
        policy: PolicyRef,
        as_of: date,
        claim: Claim,
        outcome: Outcome,
        alternatives: tuple[Outcome, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> ClaimDecision:
        values = {name: getattr(outcome, name) for name in _OUTCOME_FIELDS}
        if warnings:
            values["warnings"] = tuple(dict.fromkeys(values["warnings"] + warnings))
        return cls(policy=policy, as_of=as_of, claim=claim, alternatives=alternatives, **values)

    def outcome(self) -> Outcome:
        """This decision's own outcome (without policy, facts and alternatives)."""
        return Outcome(**{name: getattr(self, name) for name in _OUTCOME_FIELDS})

    def __getstate__(self) -> dict[str, Any]:
        # every field written out (a lazily built decision keeps its trace otherwise)
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # ------------------------------------------------------------ queries

    @property
    def failure_date(self) -> date | None:
        return self.claim.failure_date

    def customer_total(self) -> Money | None:
        """Sum of the customer's known amounts (``None`` when no amount is known)."""
        return _customer_total(self.costs)

    def costs_for(self, line: str) -> tuple[CostEntry, ...]:
        return tuple(c for c in self.costs if c.line == line)

    # ------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape documented in ``docs/decisions.md``: ``schema``, the policy,
        ``as_of``, the claim facts, the outcome's keys, then ``alternatives``."""
        return _write_decision(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimDecision:
        """Rebuild a decision from :meth:`to_json` output (facts are re-validated)."""
        if not isinstance(data, dict):
            raise FactsError(Problem("a decision is a JSON object", path=""))
        schema = data.get("schema")
        if schema != JSON_SCHEMA_ID:
            raise FactsError(
                Problem(f"not a claim decision (schema {schema!r}, expected {JSON_SCHEMA_ID!r})")
            )
        try:
            outcome = Outcome.from_json(data)
            policy = PolicyRef.from_json(data["policy"])
            as_of = date.fromisoformat(str(data["as_of"]))
            alternatives = tuple(Outcome.from_json(a) for a in data.get("alternatives", ()))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:  # decimal errors too
            raise FactsError(Problem(f"malformed decision: {exc}", path="")) from None
        claim = parse_facts(Claim, data.get("claim"), name="claim")
        return cls.from_outcome(
            policy=policy, as_of=as_of, claim=claim, outcome=outcome, alternatives=alternatives
        )

    # ------------------------------------------------------------ text

    def explain(self) -> str:
        """A plain-text explanation for a person: status, dates, remedy, payer per line, why."""
        from warrantykit.engine.explain import render

        return render(self)


def make_term_window(
    id: str,
    kind: str,
    warranty: str | None,
    clause: str,
    length: str,
    anchor: str,
    start: date | None,
    original_end: date | None,
    extension_days: int,
    end: date | None,
    rolled_from: date | None,
    lifetime: bool,
    applies: bool | None,
    inside: bool | None,
    in_effect: bool,
    meters: tuple[MeterStatus, ...],
    missing: tuple[str, ...],
) -> TermWindow:
    """``TermWindow(...)`` with every field given positionally, in one step."""
    obj = object.__new__(TermWindow)
    object.__setattr__(
        obj,
        "__dict__",
        {
            "id": id,
            "kind": kind,
            "warranty": warranty,
            "clause": clause,
            "length": length,
            "anchor": anchor,
            "start": start,
            "original_end": original_end,
            "extension_days": extension_days,
            "end": end,
            "rolled_from": rolled_from,
            "lifetime": lifetime,
            "applies": applies,
            "inside": inside,
            "in_effect": in_effect,
            "meters": meters,
            "missing": missing,
        },
    )
    return obj


def make_cost_entry(
    line: str,
    payer: str,
    basis: str,
    rule: str,
    clause: str,
    situation: str,
    percent: Decimal | None,
    cap: Money | None,
    amount: Money | None,
    note: str | None,
) -> CostEntry:
    """``CostEntry(...)`` with every field given positionally, in one step."""
    obj = object.__new__(CostEntry)
    object.__setattr__(
        obj,
        "__dict__",
        {
            "line": line,
            "payer": payer,
            "basis": basis,
            "rule": rule,
            "clause": clause,
            "situation": situation,
            "percent": percent,
            "cap": cap,
            "amount": amount,
            "note": note,
        },
    )
    return obj


make_outcome: Final = fast_maker(Outcome)


def make_remedy(
    option: str,
    options: tuple[str, ...],
    rule: str,
    clause: str,
    replacement: str | None = None,
    compensation: bool = False,
    borne_by: str | None = None,
    window_end: date | None = None,
    depreciation: DepreciationCharge | None = None,
    service_may_be_refused: bool = False,
) -> Remedy:
    """``Remedy(...)`` in one step (a frozen dataclass sets each field separately)."""
    obj = object.__new__(Remedy)
    object.__setattr__(
        obj,
        "__dict__",
        {
            "option": option,
            "options": options,
            "rule": rule,
            "clause": clause,
            "replacement": replacement,
            "compensation": compensation,
            "borne_by": borne_by,
            "window_end": window_end,
            "depreciation": depreciation,
            "service_may_be_refused": service_may_be_refused,
        },
    )
    return obj
make_decision: Final = fast_maker(ClaimDecision)


# ---------------------------------------------------------------- lazily written fields


class LazyParts(Protocol):
    """What the engine leaves in a decision to write its term windows and reasons later."""

    def terms(self) -> tuple[TermWindow, ...]: ...

    def reasons(self) -> tuple[Reason, ...]: ...


class _Deferred:
    """A field of :class:`ClaimDecision` written the first time it is read.

    The engine (:mod:`warrantykit.engine.claims`) builds a decision by filling
    its ``__dict__`` with every field but ``terms`` and ``reasons``, plus a
    ``_lazy`` entry (:class:`LazyParts`) that can write those two.  This
    non-data descriptor writes them on first read; afterwards the value sits in
    the instance's ``__dict__`` like any other field and the descriptor is no
    longer asked.  Equality, ``repr``, ``dataclasses.replace``, pickling (see
    ``__getstate__``) and JSON all read fields through their attributes, so such
    a decision is indistinguishable from one built by ``ClaimDecision(...)``,
    which sets every field and never uses the descriptor.
    """

    __slots__ = ("default", "name")

    def __init__(self, name: str, default: Any) -> None:
        self.name = name
        self.default = default

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.default
        d = obj.__dict__
        lazy: LazyParts | None = d.get("_lazy")
        value = self.default if lazy is None else getattr(lazy, self.name)()
        return d.setdefault(self.name, value)


for _name in ("terms", "reasons"):
    setattr(ClaimDecision, _name, _Deferred(_name, ()))


_write_decision: Final = _WRITERS[ClaimDecision]

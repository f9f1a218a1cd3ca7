"""Typed settings, each declared once: a dataclass field with its default, its help and its check.

The Rasa component's keys, the commands' flags and the harness's options are made from these
fields, so a default, a help text or a check is written in one place. No TensorFlow here: the
commands read their flags before any model code loads.

    @dataclass(frozen=True)
    class Options(Settings):
        epochs: int = setting(10, "passes over the training data", check=at_least(1))

    Options.from_mapping({"epochs": 3})      # a wrong key or value is a SettingError naming it
    add_arguments(parser, Options)          # --epochs N
    Options.from_arguments(args)
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T", bound="Settings")
Check = Callable[[Any], None]  # raises ValueError saying what is wrong with the value


class SettingError(ValueError):
    """A setting the config refuses: names its key, so Rasa, a command or a test can say which."""

    def __init__(self, key: str, problem: str) -> None:
        if problem.startswith(key):
            message = problem
        elif problem.startswith(("must", "is ")):
            message = f"{key} {problem}"
        else:
            message = f"{key}: {problem}"
        super().__init__(message)
        self.key, self.problem = key, problem


def setting(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    check: Check | None = None,
    choices: Iterable[Any] | None = None,
    flag: bool = True,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """A dataclass field with what the component, the commands and the reader need to know."""
    metadata = {
        "help": help,
        "check": check,
        "choices": tuple(choices) if choices else None,
        "flag": flag,
    }
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def at_least(low: float, *, allow_none: bool = False) -> Check:
    """A whole number (or, for a float ``low``, any number) ``>= low``."""

    def check(value: Any) -> None:
        if value is None and allow_none:
            return
        whole = isinstance(low, int)
        kind = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or value < low:
            what = "a whole number" if whole else "a number"
            raise ValueError(
                f"must be {what} ≥ {low}{' or null' if allow_none else ''}, got {value!r}"
            )

    return check


def above(low: float, *, allow_none: bool = False) -> Check:
    """A number ``> low``."""

    def check(value: Any) -> None:
        if value is None and allow_none:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= low:
            raise ValueError(
                f"must be a number > {low:g}{' or null' if allow_none else ''}, got {value!r}"
            )

    return check


def fields(cls: type) -> list[dataclasses.Field]:
    return list(dataclasses.fields(cls))


def _types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True); anything else → (it, False)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return annotation, False


class Settings:
    """Mixin for a frozen dataclass of settings: checks on construction, built from a mapping."""

    def __post_init__(self) -> None:
        for field in fields(self):
            check, choices = field.metadata.get("check"), field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices and value not in choices:
                raise SettingError(field.name, f"must be one of {choices}, got {value!r}")
            if check:
                try:
                    check(value)
                except ValueError as error:
                    raise SettingError(field.name, str(error)) from None

    @classmethod
    def names(cls) -> list[str]:
        return [field.name for field in fields(cls)]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        instance = cls()
        return {field.name: getattr(instance, field.name) for field in fields(cls)}

    @classmethod
    def from_mapping(cls: type[T], values: Mapping[str, Any], strict: bool = True) -> T:
        """The settings ``values`` names (the rest keep their defaults); with ``strict``, a key
        this class does not declare is a ``SettingError`` naming it."""
        known = set(cls.names())
        if strict:
            unknown = sorted(set(values) - known)
            if unknown:
                known_keys = ", ".join(sorted(known))
                raise SettingError(unknown[0], f"is not a known key; known: {known_keys}")
        return cls(**{key: value for key, value in values.items() if key in known})

    def as_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @classmethod
    def from_arguments(cls: type[T], args: argparse.Namespace, prefix: str = "", **fixed: Any) -> T:
        """The settings ``add_arguments`` made flags for, read back from parsed ``args``."""
        values = dict(fixed)
        for field in fields(cls):
            attribute = prefix.replace("-", "_") + field.name
            if field.name not in fixed and hasattr(args, attribute):
                values[field.name] = getattr(args, attribute)
        return cls(**values)


def _parse(kind: Any, optional: bool) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if optional and text.strip().lower() in ("none", "null", ""):
            return None
        if kind is tuple or typing.get_origin(kind) is tuple:
            item = (typing.get_args(kind) or (str,))[0]
            return tuple(item(part.strip()) for part in text.split(",") if part.strip())
        return kind(text)

    parse.__name__ = getattr(kind, "__name__", "value")  # argparse names it in errors
    return parse


def add_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type[Settings],
    prefix: str = "",
    only: Iterable[str] | None = None,
    skip: Iterable[str] = (),
    defaults: Mapping[str, Any] | None = None,
    rename: Mapping[str, str] | None = None,
) -> None:
    """``--PREFIX-NAME`` for each field (``only`` those, less ``skip``): its type, choices,
    default and help from the field; ``defaults`` overrides a default for this parser only, and
    ``rename`` a field's name (a key that names the field otherwise, e.g. the component's).
    Optional values take ``none``; tuples take comma-separated items; booleans take
    ``--name``/``--no-name``."""
    hints, wanted, skipped = _types(cls), set(only) if only else None, set(skip)
    overrides, declared = dict(defaults or {}), cls.defaults()
    for field in fields(cls):
        if not field.metadata.get("flag", True) or field.name in skipped:
            continue
        if wanted is not None and field.name not in wanted:
            continue
        kind, optional = _unwrap_optional(hints[field.name])
        default = overrides.get(field.name, declared[field.name])
        key = (rename or {}).get(field.name, field.name)
        name = "--" + (prefix + key).replace("_", "-")
        help_text = field.metadata.get("help", "")
        if kind is bool:
            parser.add_argument(
                name, action=argparse.BooleanOptionalAction, default=default, help=help_text
            )
            continue
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        if field.name in overrides and default is None:  # unset: the reader's own default
            help_text = help_text or "unset: the default"
        elif help_text:
            help_text = f"{help_text} (default: {shown})"
        else:
            help_text = f"default: {shown}"
        choices = field.metadata.get("choices")
        parser.add_argument(
            name, type=_parse(kind, optional), default=default, choices=choices,
            metavar=None if choices else key.upper(), help=help_text,
        )  # fmt: skip

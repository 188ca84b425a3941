"""Configuration: ``jobsmith.yml`` (or robojob's ``robojob.yml``) plus environment overrides.

The file is read only at the edge (``go()``, the CLI); everything below takes a
:class:`Config` object. Sections::

    environment: production          # the environment's name (built-in environment_name)
    backend: sqlite:///jobs.db       # or {url: postgresql://…, schema: jobsmith}
    path: [C:/R/bin]                 # added to PATH for subprocesses
    parameters: {name: world}        # parameters every job sees
    environments: {r: Rscript}       # interpreters by name (script tasks, the scheduler)
    smtp: {host: localhost, port: 25}
    imports: [myproject.tasks]       # modules a worker imports

    scheduler: {timezone: UTC}       # the scheduler of this folder (docs/schedule.md)

Any other section is an error naming the file, the line and the closest known section
(a part of jobsmith that reads a section of its own adds its name to
:data:`KNOWN_SECTIONS`); the known ones not parsed here are kept in
:attr:`Config.sections` for the parts that need them.
Environment variables win over the file: ``JOBSMITH_ENVIRONMENT``, ``JOBSMITH_STORE``,
``JOBSMITH_SCHEMA``, ``JOBSMITH_PATH`` (os.pathsep-separated) and
``JOBSMITH_PARAM_<NAME>`` for single parameters.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobsmith.errors import ConfigError

CONFIG_NAMES = ("jobsmith.yml", "jobsmith.yaml", "robojob.yml")
DEFAULT_SCHEMA = "jobsmith"
DEFAULT_ENVIRONMENT = "default"
PARAM_PREFIX = "JOBSMITH_PARAM_"
KNOWN_SECTIONS = (
    "environment",
    "backend",
    "path",
    "parameters",
    "environments",
    "smtp",
    "imports",
    "scheduler",
    "flows",  # jobrunner's plugin folder (flows/*/*/*.py), see jobsmith.queue.plugins
)
"""The top-level sections of ``jobsmith.yml``; any other is an error."""
BACKEND_KEYS = ("type", "url", "connection string", "connection_string", "path", "schema")


def closest(name: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``name`` (at least ``cutoff``
    alike, case ignored), else ``""``."""
    candidates = {k.lower(): k for k in known}
    found = difflib.get_close_matches(name.lower(), list(candidates), n=1, cutoff=cutoff)
    return f" (did you mean '{candidates[found[0]]}'?)" if found else ""


def unknown_name(name: str, known: Iterable[str], what: str) -> str:
    """The message for an unknown key or section: the closest name, or the known ones."""
    known = list(known)
    hint = closest(name, known) or f" (expected one of: {', '.join(known)})"
    return f"unknown {what} '{name}'{hint}"


@dataclass
class Config:
    """Settings for jobs, stores and workers. Build it directly or with :func:`load_config`."""

    path: Path | None = None
    environment: str = DEFAULT_ENVIRONMENT
    store_url: str | None = None
    schema: str = DEFAULT_SCHEMA
    paths: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    env_parameters: dict[str, str] = field(default_factory=dict)
    environments: dict[str, str] = field(default_factory=dict)
    smtp: dict[str, Any] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    """Line numbers in the file: ``section`` and ``section.key`` (for error messages)."""

    def where(self, section: str, key: str | None = None) -> str:
        """``file:line`` of a section (or of a key in it), for error messages."""
        line = self.lines.get(f"{section}.{key}" if key else section) or self.lines.get(section)
        if self.path is None:
            return "configuration"
        return f"{self.path}:{line}" if line else str(self.path)

    @property
    def home(self) -> Path:
        """The folder relative paths in the config are read from."""
        return self.path.parent if self.path else Path.cwd()


def find_config(start: Path | None = None) -> Path | None:
    """The config file in ``start`` (default: the working directory), if any."""
    folder = start or Path.cwd()
    for name in CONFIG_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def load_config(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    folder: str | os.PathLike[str] | None = None,
) -> Config:
    """Read the config file (``path``, ``JOBSMITH_CONFIG`` or one found in ``folder``,
    default the working directory) and apply environment overrides. A missing default
    file is an empty config; a missing named file is an error. ``environ`` is the
    environment an edge read (:func:`jobsmith.settings.resolve_settings` passes its own);
    none is read here."""
    environ = {} if environ is None else environ
    named = path or environ.get("JOBSMITH_CONFIG")
    config_path: Path | None
    if named:
        config_path = Path(named)
        if not config_path.is_file():
            raise ConfigError(f"{config_path}: config file not found")
    else:
        config_path = find_config(Path(folder) if folder is not None else None)
    config = _parse_file(config_path) if config_path else Config()
    return _apply_environ(config, environ)


def _parse_file(path: Path) -> Config:
    import yaml  # only when there is a file to read

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()  # kept for the line numbers of sections
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_message(path, exc)) from exc
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of sections (environment, backend, …)")
    lines = _key_lines(node)
    return _build(path, data, lines)


def _yaml_message(path: Path, exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"{path}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem}"
    return f"{path}: invalid YAML: {problem}"


def _key_lines(node: Any) -> dict[str, int]:
    """Line numbers of top-level keys and of the keys one level down, for error messages."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}
    lines: dict[str, int] = {}
    for key, value in node.value:
        lines[str(key.value)] = key.start_mark.line + 1
        if isinstance(value, yaml.MappingNode):
            for inner, _ in value.value:
                lines[f"{key.value}.{inner.value}"] = inner.start_mark.line + 1
    return lines


def _build(path: Path, data: dict[str, Any], lines: dict[str, int]) -> Config:
    def fail(section: str, expected: str) -> ConfigError:
        return ConfigError(f"{path}:{lines.get(section, 1)}: section '{section}': {expected}")

    for name in data:
        if str(name) not in KNOWN_SECTIONS:
            line = lines.get(str(name), 1)
            raise ConfigError(
                f"{path}:{line}: {unknown_name(str(name), KNOWN_SECTIONS, 'section')}"
            )
    config = Config(path=path, lines=lines)
    sections = dict(data)
    if "environment" in sections:
        value = sections.pop("environment")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise fail("environment", f"expected a name, got {_kind(value)}")
        config.environment = str(value)
    if "backend" in sections:
        _check_keys(sections["backend"], "backend", BACKEND_KEYS, path, lines)
        config.store_url, schema = _backend(sections.pop("backend"), fail, path)
        config.schema = schema or config.schema
    if "path" in sections:
        config.paths = _string_list(sections.pop("path"), lambda e: fail("path", e))
    if "parameters" in sections:
        config.parameters = _mapping(sections.pop("parameters"), "parameters", fail)
    if "environments" in sections:
        envs = _mapping(sections.pop("environments"), "environments", fail)
        for name, command in envs.items():
            if not isinstance(command, str):
                raise fail("environments", f"'{name}': expected a command, got {_kind(command)}")
        config.environments = dict(envs)
    if "smtp" in sections:
        config.smtp = _mapping(sections.pop("smtp"), "smtp", fail)
    if "imports" in sections:
        config.imports = _string_list(sections.pop("imports"), lambda e: fail("imports", e))
    config.sections = sections
    return config


def _check_keys(
    value: Any, section: str, known: Iterable[str], path: Path, lines: Mapping[str, int]
) -> None:
    """An unknown key in a mapping section is an error naming its line and the closest key."""
    if not isinstance(value, dict):
        return
    for key in value:
        if str(key) not in known:
            line = lines.get(f"{section}.{key}") or lines.get(section, 1)
            message = unknown_name(str(key), known, "key")
            raise ConfigError(f"{path}:{line}: section '{section}': {message}")


def _backend(value: Any, fail: Any, path: Path) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        return _store_url(value, path.parent), None
    if not isinstance(value, dict):
        raise fail("backend", f"expected a store URL or a mapping, got {_kind(value)}")
    kind = str(value.get("type", "")).strip().lower()
    if kind and kind not in ("sqlite", "postgresql", "postgres"):
        raise fail(
            "backend",
            f"type '{value['type']}' is not supported; use sqlite or postgresql "
            "(e.g. url: postgresql://host/db)",
        )
    url = value.get("url") or value.get("connection string") or value.get("connection_string")
    if url is None and kind == "sqlite" and value.get("path"):
        url = f"sqlite:///{value['path']}"
    if url is None:
        raise fail("backend", "expected 'url' (sqlite:///file.db or postgresql://…)")
    schema = value.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise fail("backend", f"'schema': expected a name, got {_kind(schema)}")
    return _store_url(str(url), path.parent), schema


def _store_url(url: str, base: Path) -> str:
    """Relative SQLite paths in a config file are relative to the file's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        file = url[len(prefix) :]
        if file and file != ":memory:" and not os.path.isabs(file):
            return prefix + str((base / file).resolve())
    return url


def _mapping(value: Any, section: str, fail: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(section, f"expected a mapping of names to values, got {_kind(value)}")
    return {str(k): v for k, v in value.items()}


def _string_list(value: Any, fail: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise fail(f"expected a string or a list of strings, got {_kind(value)}")


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false", type(None): "nothing"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )


def _apply_environ(config: Config, environ: Mapping[str, str]) -> Config:
    if environ.get("JOBSMITH_ENVIRONMENT"):
        config.environment = environ["JOBSMITH_ENVIRONMENT"]
    if environ.get("JOBSMITH_STORE"):
        config.store_url = environ["JOBSMITH_STORE"]
    if environ.get("JOBSMITH_SCHEMA"):
        config.schema = environ["JOBSMITH_SCHEMA"]
    if environ.get("JOBSMITH_PATH"):
        config.paths = [*config.paths, *environ["JOBSMITH_PATH"].split(os.pathsep)]
    config.env_parameters = {
        key[len(PARAM_PREFIX) :]: value
        for key, value in environ.items()
        if key.startswith(PARAM_PREFIX) and len(key) > len(PARAM_PREFIX)
    }
    return config

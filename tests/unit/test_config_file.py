"""jobsmith.yml / robojob.yml: sections, clear errors with the line, environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobsmith.config import load_config
from jobsmith.errors import ConfigError


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_sections_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "jobsmith.yml",
        "environment: prod\n"
        "backend: sqlite:///data/jobs.db\n"
        "path: /opt/R/bin\n"
        "parameters:\n  name: world\n  connection string: x\n"
        "environments: {r: Rscript}\n"
        "smtp: {host: localhost, port: 2525}\n"
        "scheduler: {timezone: UTC}\n",
    )
    config = load_config(path, environ={})
    assert config.environment == "prod"
    assert config.store_url == f"sqlite:///{tmp_path / 'data' / 'jobs.db'}"
    assert config.paths == ["/opt/R/bin"]
    assert config.parameters == {"name": "world", "connection string": "x"}
    assert config.environments == {"r": "Rscript"}
    assert config.smtp == {"host": "localhost", "port": 2525}
    assert config.sections == {"scheduler": {"timezone": "UTC"}}


def test_backend_mapping_with_schema(tmp_path: Path) -> None:
    path = write(tmp_path, "jobsmith.yml", "backend:\n  url: postgresql://db/x\n  schema: jobs\n")
    config = load_config(path, environ={})
    assert (config.store_url, config.schema) == ("postgresql://db/x", "jobs")


def test_robojob_yml_is_read_when_there_is_no_jobsmith_yml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "robojob.yml", "parameters:\n  name: robo\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(environ={}).parameters == {"name": "robo"}
    write(tmp_path, "jobsmith.yml", "parameters:\n  name: smith\n")
    assert load_config(environ={}).parameters == {"name": "smith"}


def test_no_file_is_an_empty_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.path is None and config.parameters == {} and config.environment == "default"


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yml: config file not found"):
        load_config(tmp_path / "nope.yml", environ={})


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "jobsmith.yml", "parameters:\n  name: world\n  bad: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert str(path) in message and "invalid YAML" in message
    assert ":4:" in message or ":3:" in message


def test_wrong_section_type_names_line_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, "jobsmith.yml", "environment: dev\npath: 42\n")
    with pytest.raises(ConfigError, match=r"jobsmith\.yml:2: section 'path': expected a string"):
        load_config(path, environ={})


def test_unsupported_backend_type_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "jobsmith.yml", "backend:\n  type: sql server\n  connection string: x\n")
    with pytest.raises(ConfigError, match="type 'sql server' is not supported"):
        load_config(path, environ={})


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "jobsmith.yml", "environment: dev\nbackend: sqlite:///a.db\n")
    config = load_config(
        path,
        environ={
            "JOBSMITH_ENVIRONMENT": "prod",
            "JOBSMITH_STORE": "postgresql://db/x",
            "JOBSMITH_SCHEMA": "other",
            "JOBSMITH_PARAM_CONNECTION_STRING": "dsn",
        },
    )
    assert config.environment == "prod"
    assert config.store_url == "postgresql://db/x"
    assert config.schema == "other"
    assert config.env_parameters == {"CONNECTION_STRING": "dsn"}

"""The runner's token comes from the environment or a file; the command-line flag still works but warns
(a token in argv is visible to every user of the host in `ps`)."""

from __future__ import annotations

import logging

import pytest

from gpu_runner.cli import parse_args

BASE = ["--site-url", "http://127.0.0.1:8000", "--broker-url", "redis://127.0.0.1:6379/0"]


def test_the_token_is_read_from_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DEPLOYDOJO_RUNNER_TOKEN", raising=False)
    path = tmp_path / "token"
    path.write_text("ddr_from_file\n")
    assert parse_args(BASE + ["--token-file", str(path)]).token == "ddr_from_file"


def test_the_token_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEPLOYDOJO_RUNNER_TOKEN", "ddr_from_env")
    assert parse_args(BASE).token == "ddr_from_env"


def test_a_token_on_the_command_line_works_but_warns(monkeypatch, caplog):
    monkeypatch.delenv("DEPLOYDOJO_RUNNER_TOKEN", raising=False)
    with caplog.at_level(logging.WARNING, logger="gpu_runner"):
        assert parse_args(BASE + ["--token", "ddr_in_argv"]).token == "ddr_in_argv"
    assert "ps" in caplog.text


def test_a_missing_token_file_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DEPLOYDOJO_RUNNER_TOKEN", raising=False)
    with pytest.raises(SystemExit):
        parse_args(BASE + ["--token-file", str(tmp_path / "nope")])
    assert "--token-file" in capsys.readouterr().err

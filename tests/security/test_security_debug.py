"""Tracebacks only with --debug: without it an error is one line and a clear exit code."""

from __future__ import annotations

from security_support import invoke

from radprompt.errors import InputError


def test_input_error_is_one_line_and_debug_shows_the_traceback(tmp_path) -> None:
    plain = invoke("extract", "-i", tmp_path / "nowhere.csv", "-o", tmp_path / "o.jsonl")
    assert plain.exit_code == 2
    assert plain.output.strip().count("\n") == 0 and "Traceback" not in plain.output
    debug = invoke("--debug", "extract", "-i", tmp_path / "nowhere.csv",
                   "-o", tmp_path / "o.jsonl")
    assert debug.exit_code != 0 and isinstance(debug.exception, InputError)


def test_an_unexpected_error_is_named_with_exit_3(tmp_path, monkeypatch) -> None:
    import radprompt.cli.extract as extract_cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    # the rule engine runs through extract_records, an LLM extractor through extract_dataset
    monkeypatch.setattr(extract_cli, "extract_dataset", broken)
    monkeypatch.setattr(extract_cli, "extract_records", broken)
    reports = tmp_path / "r.jsonl"
    reports.write_text('{"id": "a", "text": "No effusion."}\n')
    result = invoke("extract", "-i", reports, "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 3
    assert "unexpected ZeroDivisionError: division by zero" in result.output
    assert "--debug" in result.output and "Traceback" not in result.output

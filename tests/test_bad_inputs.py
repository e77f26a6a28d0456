"""The bad-input corpus: every file in tests/bad/ gets exactly the errors in its .err file.

Each case runs the real CLI (`archc validate`) and must exit 1 with no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main
from tests.conftest import check_golden

BAD = Path(__file__).parent / "bad"
CASES = sorted(p.name for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)
    status = main(["validate", case])
    out = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in out.err
    assert out.err.strip(), "an error must be reported"
    check_golden(BAD / case.replace(".yaml", ".err"), out.err.encode())


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "nope.yaml"]) == 1
    assert capsys.readouterr().err == "nope.yaml:1:1: error[file]: no such file\n"


def test_file_too_large(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "huge.yaml").write_bytes(b"# padding\n" * 5_000_000)
    assert main(["validate", "huge.yaml"]) == 1
    assert capsys.readouterr().err == "huge.yaml:1:1: error[file]: file is 50.0 MB; archc reads model files up to 4 MB\n"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2

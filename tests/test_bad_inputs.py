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
    assert len(CASES) >= 60


def test_hundred_thousand_deep_nesting(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep.yaml").write_text("name: x\nregion: eu-west-3\nlayers: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert main(["validate", "deep.yaml"]) == 1
    assert capsys.readouterr().err == "deep.yaml:3:72: error[yaml-feature]: nesting deeper than 64 levels\n"


def test_fifty_megabyte_model(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real model padded with 50 MB of services is refused before it is read."""
    monkeypatch.chdir(tmp_path)
    with (tmp_path / "big.yaml").open("wb") as f:
        f.write(b"name: big\nregion: eu-west-3\nlayers:\n  - name: data\n    services:\n")
        f.writelines(b"      s%d: {kind: s3, description: padding padding padding padding}\n" % i for i in range(700_000))
    size = (tmp_path / "big.yaml").stat().st_size
    assert size > 50_000_000
    assert main(["validate", "big.yaml"]) == 1
    assert capsys.readouterr().err == f"big.yaml:1:1: error[file]: file is {size / 1e6:.1f} MB; archc reads model files up to 4 MB\n"


def test_python_tags_never_execute(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.yaml").write_text(
        "name: !!python/object/apply:os.system ['touch pwned']\n"
        "region: !!python/object/new:pathlib.Path ['pwned2']\n"
        "layers: [!!python/name:os.remove x]\n"
    )
    assert main(["build", "evil.yaml", "--out", "out"]) == 1
    err = capsys.readouterr().err
    assert err.count("error[yaml-feature]") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.yaml"]  # nothing ran, nothing was written


@pytest.mark.parametrize("case", ["cidr-overlap.yaml", "event-loop.yaml", "s3-backend-no-bucket.yaml", "unclosed-bracket.yaml"])
def test_build_refuses_too(case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`archc build` reports the same errors as `archc validate` and writes nothing."""
    monkeypatch.chdir(BAD)
    assert main(["build", case, "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.encode() == (BAD / case.replace(".yaml", ".err")).read_bytes()
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


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


def test_an_empty_layer_is_a_warning(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Accepted (a model grows layer by layer), but said at the layer's name."""
    monkeypatch.chdir(tmp_path)
    layers = "  - name: later\n    services: {}\n  - name: app\n    services:\n      fn: {kind: lambda}\n"
    (tmp_path / "m.yaml").write_text("name: shop\nregion: eu-west-3\nlayers:\n" + layers)
    assert main(["validate", "m.yaml"]) == 0
    out = capsys.readouterr()
    assert out.err == "m.yaml:4:11: warning[structure]: layer 'later' has no services\n"
    assert out.out == "m.yaml: ok (1 services, 0 connections)\n"

"""`archc plan --provider real`: the real hashicorp/aws provider's validate on every
example and committed build, and its own value checks, located in the model.

The provider comes from ARCHC_TEST_PLUGIN_DIR (`make test` sets it to the Terraform
filesystem mirror that tools/find_tf_mirror.sh finds on the machine) or from where
Terraform itself looks. Where there is none, this module is skipped in one line; on CI
(CI=true) that is an error instead: the project's machines carry the mirror. How the
provider is found, and the one-line errors without one: tests/test_real_provider.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.pipeline import BuildResult, build
from compiler.plan import PlanSession, plan_stacks
from compiler.plan.real_provider import find_provider
from compiler.plan_report import locate
from tests.conftest import ROOT, model_cases

pytestmark = pytest.mark.slow  # a real provider / a real browser: make check-fast leaves it out

COMMITTED = sorted((ROOT / "generated").glob("**/terraform/stacks/*/cdk.tf.json"))
REAL_FIXTURES = Path(__file__).parent / "fixtures" / "plan" / "real"
_NO_CREDENTIALS = "no plan (it needs AWS credentials: none in AWS_ACCESS_KEY_ID, AWS_PROFILE or ~/.aws/credentials)"


def _plugin_dir() -> Path | None:
    """The directory to pass as --plugin-dir (None: Terraform's own places hold it)."""
    named = os.environ.get("ARCHC_TEST_PLUGIN_DIR") or None
    plugin = Path(named) if named else None
    if find_provider(plugin, os.environ).mirrors:
        return plugin
    where = f"ARCHC_TEST_PLUGIN_DIR={named} holds no hashicorp/aws" if named else "no hashicorp/aws on disk (make test looks for a mirror)"
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"real-provider validate cannot run on CI: {where}", pytrace=False)
    pytest.skip(f"real-provider validate skipped: {where}", allow_module_level=True)


PLUGIN_DIR = _plugin_dir()


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Validate only, whatever the developer's AWS setup: no plan against a real account."""
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def test_every_example_and_committed_build_passes_real_validate(tmp_path: Path, no_credentials: None) -> None:
    # All stacks in one run: one Terraform process, the provider's schema loaded once.
    # Every environment of a model, every stack of a model with stacks:.
    stacks = tmp_path / "terraform" / "stacks"
    built: dict[str, BuildResult] = {}
    contents = set()
    for case in model_cases():
        model, env = case.values
        result = build(model, model.relative_to(ROOT).as_posix(), env=env)
        for rel, content in result.files.items():
            if rel.startswith("terraform/stacks/") and rel.endswith("/cdk.tf.json"):
                label = f"build-{case.id}-{rel.split('/')[2]}"
                built[label] = result
                contents.add(content)
                (stacks / label).mkdir(parents=True)
                (stacks / label / "cdk.tf.json").write_bytes(content)
    # A committed stack equal to its build is validated once, as the build (test_examples
    # compares them); one that differs (outputs not rebuilt) is validated too.
    committed = {
        "generated-" + "-".join(c.relative_to(ROOT / "generated").parts[:-1]).replace("-terraform-stacks", ""): c
        for c in COMMITTED
        if c.read_bytes() not in contents
    }
    for label, path in committed.items():
        shutil.copytree(path.parent, stacks / label)
    plans = plan_stacks(tmp_path / "terraform", provider="real", plugin_dir=PLUGIN_DIR, validate_only=True)
    assert len(built) == len(COMMITTED) == 14  # every environment and every stack: 4 + 2 x 2 + 6
    assert len(plans) == len(built) + len(committed)
    assert all(p.commands == ("init", "validate") for p in plans), [(p.stack, p.commands) for p in plans]
    problems = []
    for plan in plans:
        for diag in plan.diagnostics:
            if plan.stack in built:
                problems.append(locate(built[plan.stack], diag).format())
            else:
                where = f"{committed[plan.stack].relative_to(ROOT)}:{diag.json_line}"
                problems.append(f"{where}: {diag.severity}[terraform]: {diag.address}.{diag.attribute}: {diag.summary}")
    seconds = ", ".join(f"{p.stack} {p.seconds:.1f} s" for p in plans)
    # Errors fail; warnings (none today) are shown with them.
    assert all(p.ok for p in plans), "\n".join([*problems, f"(per stack: {seconds})"])


def test_real_provider_value_check_is_located(no_credentials: None) -> None:
    # 38 characters where the provider allows 37: the stand-in knows the schema only.
    [standin] = plan_stacks(REAL_FIXTURES)
    assert standin.ok, standin.diagnostics
    session = PlanSession(provider="real", plugin_dir=PLUGIN_DIR)
    with session:
        [plan] = session.plan(REAL_FIXTURES)
    notes, source = session.notes, find_provider(PLUGIN_DIR, os.environ)
    assert not plan.ok and plan.commands == ("init", "validate")
    [diag] = plan.diagnostics
    assert diag.summary == ("expected length of bucket_prefix to be in the range (0 - 37), got this-prefix-is-one-character-too-long-")
    assert (diag.severity, diag.address, diag.attribute, diag.json_line) == ("error", "aws_s3_bucket.artifacts", "bucket_prefix", 12)
    found = source.version_for("6.69.1")
    drift = (
        [] if found == "6.69.1" else [f"provider hashicorp/aws {found} found, archc pins 6.69.1: constraint relaxed in the scratch copy"]
    )
    assert notes == [*drift, f"real provider hashicorp/aws {found} from {source.where(found)}: init and validate; {_NO_CREDENTIALS}"]


def test_cli_plan_with_the_real_provider(tmp_path: Path, no_credentials: None, capsys: pytest.CaptureFixture[str]) -> None:
    model = ROOT / "examples" / "udagram.yaml"
    extra = ["--plugin-dir", str(PLUGIN_DIR)] if PLUGIN_DIR else []
    status = main(["plan", str(model), "--out", str(tmp_path / "out"), "--provider", "real", *extra])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert out.err == ""
    lines = out.out.splitlines()
    assert lines[-1].startswith("udagram: validate ok (")
    assert lines[-2].startswith("real provider hashicorp/aws ") and lines[-2].endswith(f": init and validate; {_NO_CREDENTIALS}")

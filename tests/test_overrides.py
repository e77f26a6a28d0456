"""The escape hatch (issue 17): ``overrides:`` and ``resources:`` on a service.

The patches follow their RFCs; an override survives a rebuild and ``archc verify``
accepts its output; docs, manifest, ``archc explain`` and ``archc check`` show it; a
secure default opened with a reason is the architect's decision everywhere, and refused
without one. The error texts are in the bad-input corpus (tests/bad/override-*.yaml).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import pipeline
from compiler.check.explain import planned_skips
from compiler.check.invariants import check_invariants
from compiler.cli import main
from compiler.errors import ArchcError
from compiler.manifest import MANIFEST
from compiler.outputs import write_tree
from compiler.terraform.jsonpatch import PatchError, json_patch, merge_patch
from compiler.terraform.overrides import references
from compiler.terraform.secure_defaults import opened
from modules import kind_class
from tests.conftest import ROOT

HATCH = ROOT / "tests" / "fixtures" / "hatch" / "hatch.yaml"
SHOP = ROOT / "architecture.yaml"
STATIC = {"op": "add", "path": "/ordered_cache_behavior/-"}


# -- the patches, against the RFCs' own examples ---------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [  # RFC 7386, Appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_rfc7386(target: Any, patch: Any, result: Any) -> None:
    before = json.dumps(target)
    assert merge_patch(target, patch) == result
    assert json.dumps(target) == before  # the input is never modified


@pytest.mark.parametrize(
    ("doc", "ops", "result"),
    [  # RFC 6902, Appendix A
        ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
        ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}], {"foo": ["bar", "qux", "baz"]}),
        ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
        ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
        ({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo", "foo": "bar"}),
        (
            {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
            [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
            {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
        ),
        (
            {"foo": ["all", "grass", "cows", "eat"]},
            [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
            {"foo": ["all", "cows", "eat", "grass"]},
        ),
        ({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}], {"foo": "bar", "child": {"grandchild": {}}}),
        ({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}], {"foo": ["bar", ["abc", "def"]]}),
        ({"foo": None}, [{"op": "add", "path": "/foo", "value": 1}], {"foo": 1}),
        ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
        ({"foo": {"bar": 1}}, [{"op": "copy", "from": "/foo", "path": "/baz"}], {"foo": {"bar": 1}, "baz": {"bar": 1}}),
    ],
)
def test_json_patch_rfc6902(doc: Any, ops: list[dict[str, Any]], result: Any) -> None:
    assert json_patch(doc, ops) == result


@pytest.mark.parametrize(
    ("doc", "ops", "message"),
    [  # RFC 6902, Appendix A: errors; a patch that fails applies nothing
        ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], "patch[0] (add /baz/bat): no member 'baz' at /baz"),
        ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "patch[0] (test /baz): the value differs from the one tested"),
        (
            {"foo": ["bar"]},
            [{"op": "add", "path": "/foo/01", "value": 1}],
            "patch[0] (add /foo/01): '01' is not an index of a list of 1 item",
        ),
        ({"a": 1}, [{"op": "test", "path": "/a", "value": True}], "patch[0] (test /a): the value differs from the one tested"),
        (
            {"a": {"b": 1}},
            [{"op": "move", "from": "/a", "path": "/a/b/c"}],
            "patch[0] (move /a/b/c): cannot move /a into its own child /a/b/c",
        ),
        ({"a": 1}, [{"op": "remove", "path": "/a"}, {"op": "remove", "path": "/a"}], "patch[1] (remove /a): no such member to remove"),
    ],
)
def test_json_patch_errors(doc: Any, ops: list[dict[str, Any]], message: str) -> None:
    before = json.dumps(doc)
    with pytest.raises(PatchError) as exc:
        json_patch(doc, ops)
    assert str(exc.value) == message
    assert json.dumps(doc) == before


# -- the secure-defaults table ------------------------------------------------------------------


def test_opened_defaults_are_new_findings_only() -> None:
    rule = {"security_group_id": "x", "referenced_security_group_id": "y", "from_port": 443, "to_port": 443}
    wide = {**rule, "cidr_ipv4": "0.0.0.0/0"}
    assert [(r.label, w) for r, w in opened("aws_vpc_security_group_ingress_rule", rule, wide)] == [
        ("no ingress from the internet", "cidr_ipv4")
    ]
    assert opened("aws_vpc_security_group_ingress_rule", wide, wide) == []  # open already: not this override's doing
    policy = {"statement": [{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}]}
    star = {"statement": [{"actions": ["s3:*", "*"], "resources": ["arn:aws:s3:::b/*"]}]}
    assert [w for _, w in opened("data.aws_iam_policy_document", policy, star)] == ["statement[0].actions"]
    assert [
        w for _, w in opened("aws_iam_role_policy", {}, {"policy": '{"Statement": [{"Action": "s3:GetObject", "Resource": "*"}]}'})
    ] == ["policy.Statement[0].resources"]
    assert [w for _, w in opened("aws_sqs_queue", {"sqs_managed_sse_enabled": True}, {"sqs_managed_sse_enabled": False})] == [
        "sqs_managed_sse_enabled"
    ]
    assert opened("aws_sqs_queue", {"kms_master_key_id": "k"}, {"kms_master_key_id": "k", "sqs_managed_sse_enabled": False}) == []


def test_references_in_expressions_only() -> None:
    assert references({"a": "aws_lb.lb is not an expression", "b": "${aws_lb.lb.arn}", "c": ["${data.aws_region.x.name}"]}) == {
        "aws_lb.lb",
        "data.aws_region.x",
    }


# -- on a model ---------------------------------------------------------------------------------


def _model(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


S3_WITH = """name: hatch
region: eu-west-3
network: {azs: 2}
layers:
  - name: data
    services:
      files:
        kind: s3
        overrides:
"""


def test_override_applies_after_emission_and_keeps_the_emitted_body() -> None:
    stack = pipeline.check(SHOP, "architecture.yaml")
    cdn = stack.resources["aws_cloudfront_distribution.cdn"]
    behaviors = [b["path_pattern"] for b in cdn.body["ordered_cache_behavior"]]
    assert behaviors == ["/images/*", "/static/*"]
    assert [b["path_pattern"] for b in stack.emitted[cdn.address]["ordered_cache_behavior"]] == ["/images/*"]
    [ov] = stack.overrides
    assert (ov.service, ov.entry, ov.addresses, ov.attributes, ov.how) == (
        "cdn",
        "overrides[0]",
        ("aws_cloudfront_distribution.cdn",),
        ("ordered_cache_behavior",),
        ("add /ordered_cache_behavior/-",),
    )
    extra = stack.resources["aws_cloudfront_cache_policy.cdn_static"]
    assert (extra.owner, extra.extra) == ("cdn", True)


def test_merge_on_every_match_of_a_glob(tmp_path: Path) -> None:
    model = _model(tmp_path, S3_WITH + "          - {type: 'aws_s3_bucket*', name: 'fil?s', merge: {tags: {team: data}}}\n")
    with pytest.raises(ArchcError) as exc:  # a type is a type, never a pattern
        pipeline.check(model, "m.yaml")
    assert "no resource type 'aws_s3_bucket*'" in str(exc.value)
    model = _model(tmp_path, S3_WITH + "          - {type: aws_s3_bucket, name: 'fil?s', merge: {tags: {team: data}}}\n")
    stack = pipeline.check(model, "m.yaml")
    assert stack.resources["aws_s3_bucket.files"].body["tags"] == {"Name": "hatch-files", "team": "data"}


def test_opened_default_with_reason_is_a_decision(tmp_path: Path) -> None:
    """Without reason: tests/bad/override-opens-default-without-reason.yaml. With one, the
    checkov skips and the invariants take it as the architect's decision."""
    stack = pipeline.check(HATCH, "hatch.yaml")
    [ov] = stack.overrides
    assert ov.opened == ("S3 public access block (block_public_policy)", "S3 public access block (restrict_public_buckets)")
    skips = planned_skips(stack.arch, stack)
    reason = skips["aws_s3_bucket_public_access_block.files"]["CKV_AWS_54"]
    assert reason.startswith("overrides[0] (S3 public access block (block_public_policy); ") and reason.endswith("release process.")
    assert "CKV2_AWS_6" in skips["aws_s3_bucket.files"]  # a graph check flags the bucket itself
    assert "CKV_AWS_53" not in skips["aws_s3_bucket_public_access_block.files"]  # block_public_acls stays on


def test_open_ingress_override_needs_a_reason_and_then_passes_the_invariants(tmp_path: Path) -> None:
    head = """name: hatch
region: eu-west-3
network: {azs: 2}
layers:
  - name: app
    services:
      lb: {kind: alb, listeners: http, reasons: {listeners: test}}
      web:
        kind: ec2
        overrides:
          - type: aws_vpc_security_group_ingress_rule
            merge: {cidr_ipv4: 0.0.0.0/0, referenced_security_group_id: null}
"""
    model = _model(tmp_path, head + "connections:\n  - lb -> web\n")
    with pytest.raises(ArchcError) as exc:
        pipeline.check(model, "m.yaml")
    assert [d.format() for d in exc.value.diagnostics] == [
        "m.yaml:11:13: error[override]: web: overrides[0] aws_vpc_security_group_ingress_rule.web_from_lb: "
        "opens a secure default (no ingress from the internet: cidr_ipv4); say why under reason: in this override"
    ]
    model = _model(tmp_path, head + "            reason: health checks from a partner's monitor\nconnections:\n  - lb -> web\n")
    stack = pipeline.check(model, "m.yaml")
    inv = check_invariants(stack.arch, stack)
    assert inv.open_ingress == 2  # the load balancer's listener, and the override's
    assert inv.violations == []


def test_promotion_hint_when_a_setting_now_sets_the_attribute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(tmp_path, S3_WITH + "          - {type: aws_s3_bucket, merge: {force_destroy: true}}\n")
    assert pipeline.check(model, "m.yaml").arch.warnings == ()
    monkeypatch.setattr(kind_class("s3"), "promoted", {"aws_s3_bucket.force_destroy": "force_destroy"})
    [warning] = pipeline.check(model, "m.yaml").arch.warnings
    assert warning.format() == (
        "m.yaml:10:13: warning[override]: files: overrides[0] aws_s3_bucket.*: sets force_destroy, which s3 now sets "
        "from its 'force_destroy' setting: use the setting and remove this override"
    )


# -- the outputs: docs, manifest, verify, explain, rebuild ------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """web-shop (architecture.yaml, which uses both forms) built into ./out of a scratch dir."""
    here = tmp_path_factory.mktemp("shop")
    shutil.copy(SHOP, here / "architecture.yaml")
    result = pipeline.build(here / "architecture.yaml", "architecture.yaml", out_dir=lambda _: here / "out")
    write_tree(here / "out", result.files)
    return here


def test_override_survives_a_rebuild_and_verifies(built: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(built)
    stack_file = built / "out" / "terraform" / "stacks" / "web-shop" / "cdk.tf.json"
    first = stack_file.read_bytes()
    assert main(["verify", "out"]) == 0, capsys.readouterr().err
    assert main(["build", "architecture.yaml", "--out", "out"]) == 0
    assert stack_file.read_bytes() == first  # the rebuild writes the override again, byte for byte
    tf = json.loads(first)
    assert [b["path_pattern"] for b in tf["resource"]["aws_cloudfront_distribution"]["cdn"]["ordered_cache_behavior"]] == [
        "/images/*",
        "/static/*",
    ]
    assert tf["resource"]["aws_cloudfront_cache_policy"]["cdn_static"]["default_ttl"] == 86400
    capsys.readouterr()
    assert main(["verify", "out"]) == 0, capsys.readouterr().err


def test_verify_notices_a_lost_extra_resource(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    shutil.copytree(built / "out", out)
    rel = "terraform/stacks/web-shop/cdk.tf.json"
    tf = json.loads((out / rel).read_text())
    del tf["resource"]["aws_cloudfront_cache_policy"]
    (out / rel).write_text(json.dumps(tf, indent=2))
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"].pop(rel)  # a hand edit that also hid itself from the checksums
    manifest["services"]["cdn"]["terraform"].remove("aws_cloudfront_cache_policy.cdn_static")
    (out / MANIFEST).write_text(json.dumps(manifest))
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "out"]) == 1
    assert (
        "error[verify]: service 'cdn' lost its extra resource aws_cloudfront_cache_policy.cdn_static (resources:)"
        in capsys.readouterr().err
    )


def test_docs_and_manifest_show_the_override(built: Path) -> None:
    out = built / "out"
    page = (out / "docs" / "services" / "cdn.md").read_text()
    assert '| <a id="override-0"></a>`overrides[0]` | `add /ordered_cache_behavior/-` (changes `ordered_cache_behavior`) |' in page
    assert "| `aws_cloudfront_cache_policy.cdn_static` (added under resources:) | – |" in page
    assert "| `aws_cloudfront_distribution.cdn` (changed by overrides\\[0\\]) |" in page
    decisions = (out / "docs" / "decisions.md").read_text()
    assert "| [CDN](services/cdn.md) | [overrides\\[0\\]](services/cdn.md#override-0) |" in decisions
    assert (
        "| [CDN](services/cdn.md) | `aws_cloudfront_cache_policy.cdn_static` | – "
        "| The CDN caches nothing from the load balancer but /static/\\*. |" in decisions
    )
    cdn = json.loads((out / MANIFEST).read_text())["services"]["cdn"]
    assert cdn["extra_resources"] == ["aws_cloudfront_cache_policy.cdn_static"]
    assert cdn["overrides"][0]["terraform"] == ["aws_cloudfront_distribution.cdn"]
    assert cdn["overrides"][0]["docs"] == {"page": "docs/services/cdn.md", "anchor": "override-0"}
    assert "aws_cloudfront_cache_policy.cdn_static" in cdn["terraform"]


def test_explain_prints_before_and_after(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["explain", "architecture.yaml", "cdn"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("cdn (cloudfront, CDN): 6 Terraform resources and data sources, 1 override, 1 extra resource\n")
    assert "\naws_cloudfront_distribution.cdn\n  from: the cloudfront kind, from this service's settings\n" in text
    assert "  changed by overrides[0] (architecture.yaml:" in text
    assert "  --- as archc emits it\n  +++ after the overrides\n" in text
    assert '  +      "path_pattern": "/static/*",\n' in text
    assert "\naws_cloudfront_cache_policy.cdn_static\n  from: the model's resources: of this service\n" in text
    assert "\ndata.aws_cloudfront_cache_policy.cdn_cachingdisabled\n  from: connection cdn->lb (origin)\n" in text
    assert main(["explain", "architecture.yaml", "cnd"]) == 2
    assert capsys.readouterr().err == "archc: error: architecture.yaml has no service or model path 'cnd'; did you mean 'cdn'?\n"


@pytest.mark.slow
def test_check_sees_the_overridden_terraform(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """checkov scans the patched stack: the opened public access block fails its checks,
    which the override's reason explains (3 skips by the model's decisions)."""
    monkeypatch.chdir(HATCH.parent)
    assert main(["check", "hatch.yaml", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert ", 0 failed, 9 skipped (3 by the model's decisions, " in out
    baseline = (tmp_path / "out" / "terraform" / "checkov-baseline.json").read_text()
    assert "overrides[0] (S3 public access block (block_public_policy)" in baseline


def test_readme_examples_compile(tmp_path: Path) -> None:
    """The README's two hatch examples, put into web-shop's services, pass every check of a build."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## When archc does not model it: the escape hatch", 1)[1].split("\n## ", 1)[0]
    snippets = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)]
    assert [next(iter(s)) for s in snippets] == ["cdn", "images"]
    model = yaml.safe_load(SHOP.read_text())
    for snippet in snippets:
        [(sid, settings)] = snippet.items()
        [service] = [layer["services"][sid] for layer in model["layers"] if sid in layer["services"]]
        service.update({k: v for k, v in settings.items() if k in ("overrides", "resources")})
        assert service["kind"] == settings["kind"]
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(model, sort_keys=False))
    stack = pipeline.check(path, "shop.yaml")
    assert {"aws_budgets_budget.images_monthly", "aws_cloudfront_cache_policy.cdn_static"} <= set(stack.resources)
    assert [ov.target for ov in stack.overrides] == ["aws_cloudfront_distribution.*"]


def test_extra_resource_left_open_with_a_reason_is_a_decision(tmp_path: Path) -> None:
    """Without the reason: tests/bad/resources-open-default.yaml."""
    model = _model(
        tmp_path,
        S3_WITH.replace("        overrides:\n", "")
        + "        reasons: {aws_sqs_queue.files_events: read by a partner account without KMS access}\n"
        + "        resources:\n          aws_sqs_queue:\n"
        + "            files_events: {name: hatch-files-events, sqs_managed_sse_enabled: false}\n",
    )
    stack = pipeline.check(model, "m.yaml")
    assert stack.resources["aws_sqs_queue.files_events"].extra
    assert planned_skips(stack.arch, stack)["aws_sqs_queue.files_events"]["CKV_AWS_27"] == (
        "resources aws_sqs_queue.files_events (encryption at rest (sqs_managed_sse_enabled)): read by a partner account without KMS access"
    )
    _, files = pipeline.build_docs(model, "m.yaml")
    decisions = files["docs/decisions.md"].decode()
    assert "No setting relaxes a secure default; the escape hatch does (below)." in decisions
    assert (
        "| `aws_sqs_queue.files_events` | encryption at rest (sqs\\_managed\\_sse\\_enabled) "
        "| read by a partner account without KMS access |" in decisions
    )

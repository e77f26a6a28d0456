"""Cross-service constraints, as properties (issue 21): for any values, the model is
refused exactly when AWS would refuse (or silently not do) what it says, and accepted
otherwise. Each constraint lives with the kind that owns it; these tests probe its
boundary with generated values rather than one hand-picked case."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import pipeline
from compiler.errors import ArchcError
from compiler.regions import AZ_LETTERS

EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True, database=None)  # the same cases on every run


def _errors(tmp: Path, body: str) -> list[str]:
    path = tmp / "model.yaml"
    path.write_text("name: t\nregion: eu-west-3\nnetwork: {azs: 2}\nlayers:\n  - name: app\n    services:\n" + body)
    try:
        pipeline.check(path, "model.yaml")
    except ArchcError as exc:
        return [d.message for d in exc.diagnostics]
    return []


@EXAMPLES
@given(timeout=st.integers(1, 900), visibility=st.integers(0, 43200))
def test_queue_visibility_covers_its_consumer(tmp_path_factory: object, timeout: int, visibility: int) -> None:
    """Lambda refuses an SQS event source mapping whose queue hides a message for less time
    than the function may run."""
    tmp = tmp_path_factory.mktemp("q")  # type: ignore[attr-defined]
    body = (
        f"      queue: {{kind: sqs, visibility_timeout_s: {visibility}}}\n"
        f"      worker: {{kind: lambda, timeout_s: {timeout}}}\n"
        "connections:\n  - queue -> worker\n"
    )
    errors = _errors(tmp, body)
    refused = [e for e in errors if "visibility_timeout_s" in e]
    assert bool(refused) == (visibility < timeout), errors
    assert errors == refused  # nothing else wrong with the model


@EXAMPLES
@given(archive=st.integers(1, 400), expire=st.integers(1, 800))
def test_expiry_comes_after_the_archive_and_its_minimum(tmp_path_factory: object, archive: int, expire: int) -> None:
    """S3 deletes before it transitions when both are due; Glacier bills 90 days anyway."""
    tmp = tmp_path_factory.mktemp("s3")  # type: ignore[attr-defined]
    errors = _errors(tmp, f"      files: {{kind: s3, archive_days: {archive}, expire_days: {expire}}}\n")
    assert bool(errors) == (expire - archive < 90), errors
    assert all("expire_days" in e or "archive" in e for e in errors)


@EXAMPLES
@given(region=st.sampled_from(sorted(AZ_LETTERS)))
def test_an_alb_certificate_is_in_the_alb_region(tmp_path_factory: object, region: str) -> None:
    tmp = tmp_path_factory.mktemp("c")  # type: ignore[attr-defined]
    arn = f"arn:aws:acm:{region}:123456789012:certificate/0b1c2d3e"
    errors = _errors(tmp, f'      lb: {{kind: alb, domain: app.shop-demo.io, certificate_arn: "{arn}"}}\n')
    wrong = f"certificate_arn is in {region}, but an ALB reads certificates from eu-west-3 only"
    assert errors == ([] if region == "eu-west-3" else [wrong])


@EXAMPLES
@given(port=st.integers(1, 65535), engine=st.sampled_from(["aurora-postgresql", "aurora-mysql"]))
def test_a_connection_port_is_the_one_the_database_listens_on(tmp_path_factory: object, port: int, engine: str) -> None:
    tmp = tmp_path_factory.mktemp("p")  # type: ignore[attr-defined]
    listens = {"aurora-postgresql": 5432, "aurora-mysql": 3306}[engine]
    body = (
        f"      web: {{kind: ec2}}\n      db: {{kind: aurora, engine: {engine}}}\nconnections:\n  - {{from: web, to: db, port: {port}}}\n"
    )
    errors = _errors(tmp, body)
    assert bool(errors) == (port != listens), errors
    assert all(f"listens on port {listens}" in e for e in errors)


@EXAMPLES
@given(protocol=st.sampled_from(["tcp", "udp"]), kind=st.sampled_from(["rds", "aurora", "elasticache", "efs"]))
def test_a_connection_protocol_is_the_targets(tmp_path_factory: object, protocol: str, kind: str) -> None:
    tmp = tmp_path_factory.mktemp("u")  # type: ignore[attr-defined]
    body = f"      web: {{kind: ec2}}\n      db: {{kind: {kind}}}\nconnections:\n  - {{from: web, to: db, protocol: {protocol}}}\n"
    errors = _errors(tmp, body)
    assert bool(errors) == (protocol == "udp"), errors
    assert all("not UDP" in e for e in errors)

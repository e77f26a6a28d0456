"""The s3 kind's encryption follows the AWS services that read from or deliver into the bucket.

CloudFront's origin access control cannot decrypt objects under the AWS managed key
``aws/s3`` (its key policy cannot be changed to let cloudfront.amazonaws.com in), ELB
access-log delivery writes SSE-S3 objects only, and CloudWatch Logs delivery (VPC flow
logs, CloudFront standard logging v2) needs SSE-S3 or a customer key granting
delivery.logs.amazonaws.com. Before, every bucket used ``aws/s3``: CloudFront answered
403 to every request for an object and the logs never arrived.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.kinds_helpers import assert_plans, build, error

HTTP_OK = "reasons: {listeners: plain HTTP in a test}"


def _encryption(stack: dict[str, Any], bucket: str) -> dict[str, Any]:
    (rule,) = stack["resource"]["aws_s3_bucket_server_side_encryption_configuration"][bucket]["rule"]
    return dict(rule)


def _sids(stack: dict[str, Any], document: str) -> list[str]:
    return [s["sid"] for s in stack["data"]["aws_iam_policy_document"][document]["statement"]]


def test_a_bucket_only_roles_use_keeps_the_aws_managed_key(tmp_path: Path) -> None:
    stack = build(tmp_path, {"files": "kind: s3"})
    aws_managed = {"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}
    assert _encryption(stack, "files") == aws_managed
    assert "aws_kms_key" not in stack.get("resource", {}) or "files" not in stack["resource"]["aws_kms_key"]
    assert "aws_s3_bucket_policy" not in stack["resource"]


def test_a_cloudfront_origin_gets_a_key_the_distribution_may_decrypt_with(tmp_path: Path) -> None:
    stack = build(tmp_path, {"cdn": "kind: cloudfront", "site": "kind: s3, purpose: website"}, "cdn -> site")
    assert _encryption(stack, "site")["apply_server_side_encryption_by_default"] == [
        {"sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.site.arn}"}
    ]
    assert stack["resource"]["aws_kms_key"]["site"]["policy"] == "${data.aws_iam_policy_document.site_key.json}"
    key = {s["sid"]: s for s in stack["data"]["aws_iam_policy_document"]["site_key"]["statement"]}
    assert list(key) == ["AccountIamPolicies", "AccountThroughS3", "CloudFrontDecryptCdn"]
    # As the AWS managed key: principals of this account, through S3 in this region only.
    assert key["AccountThroughS3"]["condition"] == [
        {"test": "StringEquals", "variable": "kms:CallerAccount", "values": ["${data.aws_caller_identity.archc.account_id}"]},
        {"test": "StringEquals", "variable": "kms:ViaService", "values": ["s3.eu-west-3.amazonaws.com"]},
    ]
    assert key["CloudFrontDecryptCdn"]["principals"] == [{"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]}]
    assert key["CloudFrontDecryptCdn"]["condition"][0]["values"] == ["${aws_cloudfront_distribution.cdn.arn}"]


def test_a_cloudfront_origin_plans(tmp_path: Path) -> None:
    """The key policy names the distribution, which names the bucket: no cycle for Terraform."""
    assert_plans(tmp_path, {"cdn": "kind: cloudfront", "site": "kind: s3, purpose: website"}, "cdn -> site")


def test_flow_logs_into_a_bucket(tmp_path: Path) -> None:
    stack = build(tmp_path, {"logs": "kind: s3, purpose: logs"}, network="azs: 2, flow_logs: logs")
    assert _encryption(stack, "logs")["apply_server_side_encryption_by_default"][0]["kms_master_key_id"] == "${aws_kms_key.logs.arn}"
    assert _sids(stack, "logs_key") == ["AccountIamPolicies", "AccountThroughS3", "LogDelivery"]
    assert _sids(stack, "logs_policy") == ["AWSLogDeliveryAclCheck", "AWSLogDeliveryWrite"]
    write = stack["data"]["aws_iam_policy_document"]["logs_policy"]["statement"][1]
    assert write["resources"] == ["${aws_s3_bucket.logs.arn}/AWSLogs/${data.aws_caller_identity.archc.account_id}/*"]
    # In place before the flow log, or AWS would write a policy of its own that the next apply removes.
    assert stack["resource"]["aws_flow_log"]["main"]["depends_on"] == [
        "aws_s3_bucket_policy.logs",
        "aws_s3_bucket_server_side_encryption_configuration.logs",
    ]


def test_cloudfront_access_logs_into_a_bucket(tmp_path: Path) -> None:
    stack = build(tmp_path, {"cdn": "kind: cloudfront, access_logs: logs", "site": "kind: s3", "logs": "kind: s3"}, "cdn -> site")
    assert _sids(stack, "logs_key") == ["AccountIamPolicies", "AccountThroughS3", "LogDelivery"]
    assert _sids(stack, "logs_policy") == ["AWSLogDeliveryAclCheck", "AWSLogDeliveryWrite"]
    assert stack["resource"]["aws_cloudwatch_log_delivery"]["cdn_access"]["depends_on"] == [
        "aws_s3_bucket_policy.logs",
        "aws_s3_bucket_server_side_encryption_configuration.logs",
    ]


def test_alb_logs_and_cloudfront_share_one_bucket(tmp_path: Path) -> None:
    """SSE-S3 suits both; their statements share the bucket's one policy."""
    services = {"cdn": "kind: cloudfront", "lb": f"kind: alb, access_logs: shared, {HTTP_OK}", "shared": "kind: s3"}
    stack = build(tmp_path, services, "cdn -> shared", "{from: cdn, to: lb, path: /api/*}")
    assert _encryption(stack, "shared") == {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}
    assert list(stack["resource"]["aws_s3_bucket_policy"]) == ["shared"]
    assert _sids(stack, "shared_policy") == ["ElbLogDeliveryLb", "ElbAccountLogDeliveryLb", "CloudFrontReadOnlyCdn"]
    assert "aws_kms_key" not in stack["resource"] or "shared" not in stack["resource"]["aws_kms_key"]


def test_the_aws_managed_key_is_refused_for_a_cloudfront_origin(tmp_path: Path) -> None:
    services = {"cdn": "kind: cloudfront", "site": "kind: s3, encryption: kms-aws-managed"}
    assert error(tmp_path, services, "cdn -> site") == (
        "model.yaml:8:36: error[conflict]: encryption: kms-aws-managed does not work for this bucket: cloudfront 'cdn' reads "
        "its objects through an origin access control, which cannot use the AWS managed key; use kms-customer or sse-s3 "
        "(or leave encryption out)"
    )


def test_a_kms_key_is_refused_for_alb_logs(tmp_path: Path) -> None:
    services = {"lb": f"kind: alb, access_logs: logs, {HTTP_OK}", "logs": "kind: s3, encryption: kms-customer"}
    assert error(tmp_path, services) == (
        "model.yaml:8:36: error[conflict]: encryption: kms-customer does not work for this bucket: alb 'lb' delivers its "
        "access logs here, and ELB log delivery writes SSE-S3 objects only; use sse-s3 (or leave encryption out)"
    )


def test_asking_for_sse_s3_needs_a_reason(tmp_path: Path) -> None:
    assert error(tmp_path, {"files": "kind: s3, encryption: sse-s3"}) == (
        "model.yaml:7:37: error[missing]: encryption: sse-s3 relaxes the secure default (SSE-KMS); say why under reasons: {encryption: ...}"
    )
    stack = build(tmp_path, {"files": "kind: s3, encryption: sse-s3, reasons: {encryption: objects are public data}"})
    assert _encryption(stack, "files") == {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}


# -- purpose: website is served: a distribution in front of the private bucket, or a public website --

PUBLIC = "kind: s3, purpose: website, public: true, reasons: {public: the site is public}"


def test_a_website_bucket_nobody_serves_is_refused(tmp_path: Path) -> None:
    """Before, purpose: website changed nothing: a private bucket no browser could open."""
    assert error(tmp_path, {"site": "kind: s3, purpose: website"}) == (
        "model.yaml:7:33: error[missing]: purpose: website serves nothing: the bucket is private and no cloudfront service "
        "reads it; connect a cloudfront service to it (HTTPS, origin access control), or set public: true with reasons: "
        "{public: ...} (an S3 website endpoint: HTTP only, objects readable by anyone)"
    )


def test_a_public_website(tmp_path: Path) -> None:
    stack = build(tmp_path, {"site": PUBLIC})
    res = stack["resource"]
    assert res["aws_s3_bucket_website_configuration"]["site"] == {
        "bucket": "${aws_s3_bucket.site.id}",
        "index_document": [{"suffix": "index.html"}],
        "error_document": [{"key": "index.html"}],
        "provider": "aws",
    }
    block = res["aws_s3_bucket_public_access_block"]["site"]
    assert (block["block_public_policy"], block["restrict_public_buckets"]) == (False, False)
    assert (block["block_public_acls"], block["ignore_public_acls"]) == (True, True)  # ACLs stay off: the policy grants
    (statement,) = stack["data"]["aws_iam_policy_document"]["site_policy"]["statement"]
    assert statement == {
        "sid": "PublicReadWebsite",
        "actions": ["s3:GetObject"],
        "resources": ["${aws_s3_bucket.site.arn}/*"],
        "principals": [{"type": "*", "identifiers": ["*"]}],
    }
    # A new bucket blocks public policies until the access block is relaxed.
    assert res["aws_s3_bucket_policy"]["site"]["depends_on"] == ["aws_s3_bucket_public_access_block.site"]
    # Anonymous visitors cannot decrypt SSE-KMS objects.
    assert _encryption(stack, "site") == {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}
    assert stack["output"]["site_url"]["value"] == "http://${aws_s3_bucket_website_configuration.site.website_endpoint}"


def test_a_public_website_needs_a_reason(tmp_path: Path) -> None:
    assert error(tmp_path, {"site": "kind: s3, purpose: website, public: true"}) == (
        "model.yaml:7:50: error[missing]: public: true relaxes the secure default (private, public access blocked); "
        "say why under reasons: {public: ...}"
    )


def test_a_public_bucket_must_be_a_website(tmp_path: Path) -> None:
    assert error(tmp_path, {"files": "kind: s3, public: true, reasons: {public: x}"}) == (
        "model.yaml:7:33: error[conflict]: public: true publishes an S3 website, but purpose is general: set purpose: website"
    )


def test_a_public_website_refuses_kms(tmp_path: Path) -> None:
    assert error(tmp_path, {"site": f"{PUBLIC}, encryption: kms-customer"}) == (
        "model.yaml:7:107: error[conflict]: encryption: kms-customer does not work for this bucket: its S3 website endpoint "
        "serves objects to anonymous visitors, who cannot decrypt SSE-KMS; use sse-s3 (or leave encryption out)"
    )


def test_public_is_refused_behind_cloudfront(tmp_path: Path) -> None:
    assert error(tmp_path, {"cdn": "kind: cloudfront", "site": PUBLIC}, "cdn -> site") == (
        "model.yaml:8:50: error[conflict]: public: true opens the bucket to anyone, but cloudfront 'cdn' already serves it "
        "through an origin access control (HTTPS, bucket private): remove public"
    )


def test_a_website_behind_cloudfront_has_its_url(tmp_path: Path) -> None:
    stack = build(tmp_path, {"cdn": "kind: cloudfront", "site": "kind: s3, purpose: website"}, "cdn -> site")
    assert stack["output"]["site_url"]["value"] == "https://${aws_cloudfront_distribution.cdn.domain_name}/"
    distribution = stack["resource"]["aws_cloudfront_distribution"]["cdn"]
    assert distribution["default_root_object"] == "index.html"
    assert "aws_s3_bucket_website_configuration" not in stack["resource"]
    block = stack["resource"]["aws_s3_bucket_public_access_block"]["site"]
    assert all(block[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    (statement,) = stack["data"]["aws_iam_policy_document"]["site_policy"]["statement"]
    assert statement["condition"] == [
        {"test": "StringEquals", "variable": "AWS:SourceArn", "values": ["${aws_cloudfront_distribution.cdn.arn}"]}
    ]


def test_the_website_docs_page_shows_the_url_and_the_upload(tmp_path: Path) -> None:
    from compiler import pipeline

    model = tmp_path / "m" / "model.yaml"
    model.parent.mkdir()
    model.write_text(f"name: t\nregion: eu-west-3\nnetwork: {{azs: 2}}\nlayers:\n  - name: app\n    services:\n      site: {{{PUBLIC}}}\n")
    page = pipeline.build(model, "model.yaml").files["docs/services/site.md"].decode()
    assert "| `site_url` | URL of the site website (S3 website endpoint, HTTP only). |" in page
    assert "1. Before the first apply: a public website needs a public bucket policy" in page
    assert "2. Upload the site: aws s3 sync ./dist s3://(output site\\_bucket)/" in page


def test_a_public_website_plans(tmp_path: Path) -> None:
    """The policy waits for the access block; the URL output names the website configuration."""
    assert_plans(tmp_path, {"site": PUBLIC})


def test_a_public_website_names_the_account_block_that_would_refuse_it() -> None:
    from compiler.ir import ServiceNode
    from modules.storage import S3Bucket

    site = S3Bucket.model_validate({"kind": "s3", "purpose": "website", "public": True})
    before, upload, _open = site.after_apply(ServiceNode("site", "s3", "web", "site", "outside", site))
    assert "Block Public Access" in before and "BlockPublicPolicy" in before and upload.startswith("Upload the site")
    private = S3Bucket.model_validate({"kind": "s3", "purpose": "website"})
    assert len(private.after_apply(ServiceNode("site", "s3", "web", "site", "outside", private))) == 2

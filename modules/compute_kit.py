"""Building blocks shared by the compute and containers families (not a family itself).

The secure instance baseline (IMDSv2 only, encrypted gp3 root volume, no public IP,
an instance profile that lets Systems Manager Session Manager in instead of SSH), IAM
roles and least-privilege inline policies, Auto Scaling groups, boot scripts, and the
escaping of user strings that Terraform would otherwise read as templates.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, StringConstraints

from modules.base import Problem, Service

if TYPE_CHECKING:
    from compiler.ir import Edge
    from compiler.terraform.context import Ref, ServiceContext

MANAGED_POLICY = "arn:aws:iam::aws:policy/"
SSM_POLICY = {"ssm": "AmazonSSMManagedInstanceCore"}
INSTANCE_TYPE = r"^[a-z][a-z0-9-]*\.[a-z0-9]+$"
HTTP_PATH = r"^/[A-Za-z0-9._~/-]*$"
# Families without EBS optimization: asking for it fails the launch.
NOT_EBS_OPTIMIZABLE = ("t1.", "t2.", "m1.small", "m1.medium", "c1.medium")
LOG_RETENTION_DAYS = 365
# Runtime family -> (file extension, handler answering 200; FUNCTION is its name).
PLACEHOLDER_CODE = {
    "nodejs": (
        "mjs",
        'export const FUNCTION = async () => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: "ok" });\n',
    ),
    "python": (
        "py",
        'def FUNCTION(event, context):\n    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "ok"}\n',
    ),
    "ruby": ("rb", 'def FUNCTION(event:, context:)\n  { statusCode: 200, headers: { "content-type" => "text/plain" }, body: "ok" }\nend\n'),
}

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=256)]
Environment = dict[EnvName, str]


def is_arm64(instance_type: str) -> bool:
    """Graviton types have a ``g`` after the generation digit: t4g, m7gd, c6gn.

    >>> [is_arm64(t) for t in ("t4g.micro", "m7gd.large", "g5.xlarge", "t2.micro", "m7i-flex.large")]
    [True, True, False, False, False]
    """
    match = re.match(r"^[a-z-]+?\d+([a-z-]*)\.", instance_type)
    return bool(match and "g" in match.group(1))


def ami(ctx: ServiceContext, path: str) -> str:
    """The AMI id behind a public SSM parameter (always the latest patched image)."""
    return ctx.data("aws_ssm_parameter", "ami", {"name": path}).attr("insecure_value")


def literal(text: str) -> str:
    """A user's string as Terraform must see it: ``${`` and ``%{`` are not templates.

    >>> literal("${HOME} is %{x}")
    '$${HOME} is %%{x}'
    """
    return text.replace("${", "$${").replace("%{", "%%{")


def ref_name(expression: str) -> str:
    """A short, stable name for what an expression points at, to name resources after it.

    >>> ref_name("${aws_lb_target_group.alb_web.arn}")
    'alb_web'
    """
    match = re.match(r"^\$\{(?:data\.)?[a-z0-9_]+\.([a-z0-9_]+)\.[a-z0-9_]+\}$", expression)
    return match.group(1) if match else hashlib.sha256(expression.encode()).hexdigest()[:8]


def extra_role(ctx: ServiceContext, suffix: str, principal: str) -> Ref:
    """An IAM role beyond the service's own (ECS execution role, Beanstalk service role)."""
    assume = ctx.data(
        "aws_iam_policy_document",
        f"{suffix}_assume",
        {"statement": [{"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": [principal]}]}]},
    )
    body = {"name": ctx.physical_name("aws_iam_role", suffix), "assume_role_policy": assume.attr("json"), "tags": ctx.tags(suffix)}
    return ctx.add("aws_iam_role", suffix, body)


def attach_policies(ctx: ServiceContext, role: Ref, policies: dict[str, str]) -> list[str]:
    """Attach AWS managed policies ({suffix: name}); returns addresses for ``depends_on``."""
    refs = [
        ctx.add("aws_iam_role_policy_attachment", suffix, {"role": role.attr("name"), "policy_arn": MANAGED_POLICY + name})
        for suffix, name in policies.items()
    ]
    return [r.address for r in refs]


def inline_policy(ctx: ServiceContext, suffix: str, role: Ref, statements: list[dict[str, Any]]) -> Ref:
    """A policy scoped to this service's own resources, on one of its roles."""
    doc = ctx.data("aws_iam_policy_document", suffix, {"statement": statements})
    return ctx.add("aws_iam_role_policy", suffix, {"name": suffix.replace("_", "-"), "role": role.id, "policy": doc.attr("json")})


def instance_profile(ctx: ServiceContext, role: Ref, suffix: str = "") -> Ref:
    """The instance profile that hands ``role`` to EC2 instances."""
    return ctx.add(
        "aws_iam_instance_profile", suffix, {"name": ctx.physical_name("aws_iam_instance_profile", suffix), "role": role.attr("name")}
    )


def https_egress(ctx: ServiceContext) -> None:
    """Outbound HTTPS: SSM, ECR, CloudWatch Logs and package repositories, through NAT."""
    ctx.add(
        "aws_vpc_security_group_egress_rule",
        "https",
        {
            "security_group_id": ctx.security_group.id,
            "cidr_ipv4": "0.0.0.0/0",
            "from_port": 443,
            "to_port": 443,
            "ip_protocol": "tcp",
            "description": f"{ctx.node.id}: HTTPS to AWS APIs and package repositories",
        },
    )


def launch_template(ctx: ServiceContext, image_id: str, instance_type: str, profile: Ref, user_data: str, volume_gb: int) -> Ref:
    """A launch template with the secure instance baseline; ``user_data`` is a script."""
    body: dict[str, Any] = {
        "name": ctx.physical_name("aws_launch_template"),
        "image_id": image_id,
        "instance_type": instance_type,
        "update_default_version": True,
        "iam_instance_profile": [{"arn": profile.arn}],
        "metadata_options": [{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}],
        "monitoring": [{"enabled": True}],
        "network_interfaces": [
            {
                "device_index": 0,
                "associate_public_ip_address": "false",
                "delete_on_termination": "true",
                "security_groups": [ctx.security_group.id],
            }
        ],
        "block_device_mappings": [
            {
                "device_name": "/dev/xvda",
                "ebs": [{"volume_size": volume_gb, "volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"}],
            }
        ],
        "tag_specifications": [{"resource_type": "volume", "tags": ctx.tags()}],
        "tags": ctx.tags(),
    }
    if not instance_type.startswith(NOT_EBS_OPTIMIZABLE):
        body["ebs_optimized"] = "true"
    if user_data:
        body["user_data"] = base64.b64encode(user_data.encode()).decode()
    return ctx.add("aws_launch_template", "", body)


def autoscaling_group(
    ctx: ServiceContext, template: Ref, size: tuple[int, int, int | None], extra_tags: dict[str, str], *, scheduled: bool = False
) -> Ref:
    """An Auto Scaling group over the private subnets of every AZ; size is (min, max, desired).
    ``scheduled``: scheduled actions own its sizes (a running schedule)."""
    low, high, desired = size
    tags = {"Name": ctx.aws_name(), "archc:service": ctx.node.id, **dict(ctx.arch.tags), **extra_tags}
    lb_target = any(e.via == "lb-target" for e in ctx.arch.edges_to(ctx.node.id))
    body: dict[str, Any] = {
        "name": ctx.physical_name("aws_autoscaling_group"),
        "min_size": low,
        "max_size": high,
        "vpc_zone_identifier": ctx.subnet_ids(),
        "launch_template": [{"id": template.id, "version": template.attr("latest_version")}],
        "health_check_type": "ELB" if lb_target else "EC2",
        "health_check_grace_period": 300,
        "metrics_granularity": "1Minute",
        "enabled_metrics": ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize", "GroupMinSize", "GroupTotalInstances"],
        "instance_refresh": [{"strategy": "Rolling", "preferences": [{"min_healthy_percentage": 50}]}],
        # Default tags do not reach instances: the group propagates them at launch.
        "tag": [{"key": k, "value": v, "propagate_at_launch": True} for k, v in sorted(tags.items())],
        # Scaling moves the desired count and attachments add target groups.
        "lifecycle": {"ignore_changes": ["desired_capacity", "target_group_arns", "load_balancers"]},
    }
    if scheduled:  # else an apply outside the running hours would put the model's sizes back: the fleet starts
        body["lifecycle"]["ignore_changes"] += ["max_size", "min_size"]
    if desired is not None:
        body["desired_capacity"] = desired
    routes = route_dependencies(ctx, ctx.node.placement)
    if routes:
        body["depends_on"] = routes
    return ctx.add("aws_autoscaling_group", "", body)


def route_dependencies(ctx: ServiceContext, *tiers: str) -> list[str]:
    """The route table associations of the subnets of ``tiers`` and the routes of their tables
    (the NAT gateway's or the internet gateway's), sorted: instances launched there reach the
    internet (ECS, ECR, Beanstalk, package mirrors) only once they exist, and Terraform does not
    order them before what uses only the subnets' ids."""
    from compiler.terraform.context import Ref  # modules load before the compiler

    found: set[str] = set()
    tables: set[str] = set()
    for tier in tiers:
        for subnet in ctx.arch.network.subnets_of(tier):
            association = Ref("aws_route_table_association", subnet.tf_name)
            if ctx.stack.has(association):
                found.add(association.address)
                tables.add(str(ctx.stack.body(association)["route_table_id"]))
    found |= {r.address for r in ctx.stack.resources.values() if r.type == "aws_route" and r.body.get("route_table_id") in tables}
    return sorted(found)


def placeholder_server(port: int, path: str) -> str:
    """Shell lines serving 200 on ``path`` until the real application is deployed,
    so load balancer health checks pass (and the group does not cycle instances)."""
    file = path + "index.html" if path.endswith("/") else path
    return (
        f"mkdir -p /opt/archc-placeholder{file.rsplit('/', 1)[0]}\n"
        f"echo ok > /opt/archc-placeholder{file}\n"
        "cat > /etc/systemd/system/archc-placeholder.service <<'UNIT'\n"
        "[Unit]\nDescription=archc placeholder; replace with your application\nAfter=network-online.target\n"
        f"[Service]\nExecStart=/usr/bin/python3 -m http.server {port} --directory /opt/archc-placeholder\n"
        "DynamicUser=yes\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nRestart=always\n"
        "[Install]\nWantedBy=multi-user.target\nUNIT\n"
        "systemctl daemon-reload\nsystemctl enable --now archc-placeholder.service\n"
    )


def codedeploy_agent(region: str) -> str:
    """Shell lines installing the CodeDeploy agent (Amazon Linux 2023)."""
    return (
        "dnf install -y ruby wget\n"
        "installer=$(mktemp)\n"
        f'wget -q -O "$installer" https://aws-codedeploy-{region}.s3.{region}.amazonaws.com/latest/install\n'
        'chmod +x "$installer"\n"$installer" auto\n'
    )


def size_problems(low: int, desired: int | None, high: int) -> list[Problem]:
    """The ordering every scalable kind needs: min <= desired <= max."""
    if low > high:
        return [Problem("conflict", f"min ({low}) must not exceed max ({high})", "min")]
    if desired is not None and not low <= desired <= high:
        return [Problem("conflict", f"desired ({desired}) must lie between min ({low}) and max ({high})", "desired")]
    return []


def alarm(
    metric: str, namespace: str, dimensions: dict[str, str], threshold: float, statistic: str, *, percent: bool = False
) -> dict[str, object]:
    """An alarm spec for CloudWatch (``Service.alarms()``); ``percent``: the metric is a percentage."""
    return {
        **({"percent": True} if percent else {}),
        "metric_name": metric,
        "namespace": namespace,
        "dimensions": dimensions,
        "statistic": statistic,
        "threshold": threshold,
        "comparison_operator": "GreaterThanThreshold",
        "period": 300,
        "evaluation_periods": 2,
    }


def placeholder_zip(runtime: str, handler: str) -> bytes:
    """A deterministic zip whose handler answers 200, so the first apply works as is.

    >>> import zipfile, io; zipfile.ZipFile(io.BytesIO(placeholder_zip("python3.12", "app.main"))).namelist()
    ['app.py']
    """
    module, function = handler.rsplit(".", 1)
    ext, template = PLACEHOLDER_CODE[runtime.rstrip("0123456789.x")]
    name, code = f"{module}.{ext}", template.replace("FUNCTION", function)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        entry.create_system = 3  # unix, so the permissions below are read as such
        entry.external_attr = 0o644 << 16
        zf.writestr(entry, code)
    return buf.getvalue()


# --- what a caller learns about its targets, and the file systems it mounts ----------
ENDPOINTS_FILE = "/etc/archc/endpoints.env"
MOUNT_PATH = r"^(/[A-Za-z0-9._-]+)+$"
MOUNT_ATTEMPTS = 30  # 10 s apart: a new mount target's DNS name takes up to 90 s to resolve


def endpoint_variables(ctx: ServiceContext) -> list[tuple[Edge, str, str]]:
    """(connection, variable, path) for each network or API connection of this service:
    ``ARCHC_<TARGET>_PARAMETERS`` names the SSM path where the target's endpoints are
    published (compiler/terraform/wiring.py); one per target, in model order."""
    from compiler.terraform.wiring import parameter_path  # modules load before the compiler

    found: dict[str, tuple[Edge, str, str]] = {}
    for edge in ctx.arch.edges_from(ctx.node.id):
        if edge.via in ("network", "api") and edge.target not in found:
            found[edge.target] = (edge, endpoint_variable(edge.target), parameter_path(ctx.arch.name, edge.target))
    return list(found.values())


def endpoint_variable(target: str) -> str:
    """The environment variable naming a target's parameter path.

    >>> endpoint_variable("orders-db")
    'ARCHC_ORDERS_DB_PARAMETERS'
    """
    return f"ARCHC_{target.upper().replace('-', '_')}_PARAMETERS"


def endpoint_variable_problems(environment: dict[str, str], edge: Edge) -> list[Problem]:
    """A model's environment variable must not be the one archc sets for a connection."""
    name = endpoint_variable(edge.target)
    if edge.via not in ("network", "api") or name not in environment:
        return []
    return [Problem("conflict", f"environment sets {name}, which archc sets to where {edge.target} publishes its endpoints; rename it")]


def endpoints_file(variables: list[tuple[Edge, str, str]]) -> str:
    """Shell lines writing the variables into ENDPOINTS_FILE (an EnvironmentFile for systemd)."""
    lines = "".join(f"{name}={path}\n" for _, name, path in variables)
    return (
        f"mkdir -p {ENDPOINTS_FILE.rsplit('/', 1)[0]}\n"
        f"cat > {ENDPOINTS_FILE} <<'ENV'\n"
        "# archc: the SSM Parameter Store path of each service this one calls (aws ssm get-parameters-by-path)\n"
        f"{lines}ENV\n"
    )


def mount_path(edge: Edge) -> str:
    """Where a connection mounts its file system: its ``path``, else /mnt/<file system>."""
    return edge.path or f"/mnt/{edge.target}"


def efs_mount(file_system_id: str, path: str) -> str:
    """Shell lines mounting an EFS file system at ``path`` over TLS with IAM authorization,
    now (retrying while its mount target's DNS name propagates) and at every boot (fstab)."""
    entry = f"{file_system_id}:/ {path} efs _netdev,tls,iam 0 0"
    return (
        f"mkdir -p {path}\n"
        f"grep -qs ' {path} efs ' /etc/fstab || echo '{entry}' >> /etc/fstab\n"
        f"for attempt in $(seq 1 {MOUNT_ATTEMPTS}); do mountpoint -q {path} || mount {path} && break; sleep 10; done\n"
        f"mountpoint -q {path}\n"
    )


SLOT = "\x00"  # marks where a Terraform expression goes in a boot script


def slot(name: str) -> str:
    """A placeholder for a Terraform expression in a boot script (see :func:`user_data`)."""
    return f"{SLOT}{name}{SLOT}"


def user_data(script: str, values: dict[str, str]) -> str:
    """The user data attribute (base64): ``script`` as is, or, when it holds slots, a Terraform
    ``base64encode`` of it with each ``slot(name)`` replaced by the expression ``values[name]``
    (``${...}``), so ids known only at apply time reach the instance."""
    if not values:
        return base64.b64encode(script.encode()).decode()
    text = hcl_string(script)
    for name, expression in sorted(values.items()):
        text = text.replace(hcl_string(slot(name)), expression)
    return f'${{base64encode("{text}")}}'


def hcl_string(text: str) -> str:
    r"""``text`` as the inside of a Terraform quoted string: escapes, and no templates.

    >>> print(hcl_string('a "b" ${c}' + chr(10)))
    a \"b\" $${c}\n
    """
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    out = "".join(c if ord(c) >= 0x20 else f"\\u{ord(c):04x}" for c in out)
    return out.replace("${", "$${").replace("%{", "%%{")


def multipart(parts: list[tuple[str, str]]) -> str:
    """Several boot scripts as one cloud-init MIME multipart document, run in order.
    ``parts`` is [(file name, content)]; a part's type follows its first line."""
    boundary = "==archc-boundary=="
    out = [f'Content-Type: multipart/mixed; boundary="{boundary}"\nMIME-Version: 1.0\n']
    for filename, content in parts:
        out.append(
            f'--{boundary}\nContent-Type: {_content_type(content)}; charset="utf-8"\nMIME-Version: 1.0\n'
            f'Content-Disposition: attachment; filename="{filename}"\n\n{content if content.endswith(chr(10)) else content + chr(10)}'
        )
    out.append(f"--{boundary}--\n")
    return "\n".join(out)


def _content_type(content: str) -> str:
    """cloud-init's part type for a script's first line (a shell script by default)."""
    first = content.split("\n", 1)[0].strip()
    types = {"#cloud-config": "text/cloud-config", "#cloud-boothook": "text/cloud-boothook", "#include": "text/x-include-url"}
    return types.get(first, "text/x-shellscript")


class HttpWorkload(Service):
    """A workload load balancers and callers reach on its port, probing a health check path
    (ec2, asg, ecs-service); each kind restates ``port`` with its own default."""

    port: int = Field(80, ge=1, le=65535, description="Port the application listens on; load balancers and callers reach it there.")
    health_path: str = Field("/", alias="health_check_path", pattern=HTTP_PATH, description="HTTP path load balancers probe.")

    def inbound_port(self) -> int:
        """The application's port."""
        return self.port

    def health_check_path(self) -> str:
        """The path load balancers probe."""
        return self.health_path

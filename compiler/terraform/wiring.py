"""What a caller needs to find its target: names and endpoints in SSM Parameter Store.

For every network or API connection, the target's outputs (endpoint, name, URL...) and
the port the connection reaches are published once per target under
``/archc/<architecture>/<target>/<output>``; the caller's role may read that path only,
and, when the target keeps its master password in Secrets Manager (``secret_arn``
output), that one secret. Parameters are SecureStrings under the architecture's data key;
the caller may decrypt with it through SSM only.
"""

from __future__ import annotations

from compiler.ir import Edge
from compiler.terraform.context import Ref, StackBuilder
from compiler.terraform.shared import account, shared_key

READ_PARAMETERS = ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath")


def parameter_path(arch_name: str, target: str) -> str:
    """``/archc/<architecture>/<target>``: where a target's names and endpoints are published."""
    return f"/archc/{arch_name}/{target}"


def wire_endpoints(stack: StackBuilder, edge: Edge) -> None:
    """Publish the target's endpoints (once) and let the caller read them."""
    arch = stack.arch
    source, target = arch.services[edge.source], arch.services[edge.target]
    outputs = {o.name.removeprefix(f"{target.tf_name}_"): o for o in stack.outputs.values() if o.owner == target.id and not o.sensitive}
    values = {k: o.value for k, o in outputs.items() if k != "secret_arn"}
    if edge.port is not None:
        values["port"] = str(edge.port)
    if not values:
        return
    path = parameter_path(arch.name, target.id)
    saved, stack.current_edge = stack.current_edge, ""
    key = shared_key(stack)
    for field, value in sorted(values.items()):
        name = f"{target.tf_name}_{field}"
        parameter = Ref("aws_ssm_parameter", name)
        if not stack.has(parameter):
            stack.add(
                target.id,
                "aws_ssm_parameter",
                name,
                {"name": f"{path}/{field}", "type": "SecureString", "key_id": key.arn, "value": value, "tags": {"Name": name}},
            )
        stack.realize("discovery", parameter, f"{path}/{field}", edge=saved)
    stack.current_edge = saved
    if source.spec.info.principal is None:
        return
    partition, account_id = account(stack)
    prefix = f"arn:{partition}:ssm:{arch.region}:{account_id}:parameter{path}"
    via_ssm = {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"ssm.{arch.region}.amazonaws.com"]}
    statements: list[dict[str, object]] = [
        {"sid": "ReadEndpoints", "actions": list(READ_PARAMETERS), "resources": [prefix, f"{prefix}/*"]},
        {"sid": "DecryptEndpoints", "actions": ["kms:Decrypt"], "resources": [key.arn], "condition": [via_ssm]},
    ]
    if "secret_arn" in outputs:
        statements.append(
            {"sid": "ReadCredentials", "actions": ["secretsmanager:GetSecretValue"], "resources": [outputs["secret_arn"].value]}
        )
    name = f"{source.tf_name}_finds_{target.tf_name}"
    earlier = stack.resources.get(f"aws_iam_role_policy.{name}")
    if earlier is not None:  # a second connection between the same services: the first one's policy
        stack.realize("permission", Ref("aws_iam_role_policy", name), f"shared with {earlier.edge}")
        return
    doc = stack.add(source.id, "aws_iam_policy_document", name, {"statement": statements}, data=True)
    stack.add(
        source.id,
        "aws_iam_role_policy",
        name,
        {"name": f"find-{target.id}"[:128], "role": f"${{aws_iam_role.{source.tf_name}.id}}", "policy": doc.attr("json")},
    )

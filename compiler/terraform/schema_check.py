"""Checks every emitted resource against the AWS provider schema, at compile time.

A wrong attribute name or a missing required argument is then an archc error naming
the service that produced it, not a surprise in ``terraform plan`` later.
"""

from __future__ import annotations

from compiler.errors import Diagnostic
from compiler.terraform.context import StackBuilder
from compiler.terraform.provider_schema import load_aws_schema


def check_stack(stack: StackBuilder) -> list[Diagnostic]:
    """Schema problems of every resource, as diagnostics located at their service."""
    schema = load_aws_schema()
    arch = stack.arch
    diags: list[Diagnostic] = []
    for res in stack.resources.values():
        check = schema.check_data_source if res.data else schema.check_resource
        for problem in check(res.type, res.body):
            node = arch.services.get(res.owner)
            line, col = node.pos if node else (1, 1)
            where = f"{res.type}.{res.name}" + (f".{problem.path}" if problem.path else "")
            diags.append(Diagnostic("schema", f"{res.owner}: {where}: {problem.message}", arch.source_file, line, col))
    return diags

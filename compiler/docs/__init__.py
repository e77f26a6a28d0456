"""Markdown documentation of an architecture, from the same resolved model as the Terraform.

``render_docs(arch, stack, model, figures)`` returns ``{"docs/index.md": bytes, ...}``; the
docs site (``archc docs``) is assembled in :mod:`compiler.docs.site`.
"""

from compiler.docs.render import render_docs

__all__ = ["render_docs"]

"""``archc check``: checkov offline plus archc's invariants on the generated stacks.

Modules: ``scan`` (runs checkov), ``rationale`` (the catalog's reasons), ``explain``
(decisions and rationale -> explanations, the baseline archc build writes),
``invariants`` (IAM wildcards, open ingress, rules without a connection), ``report``
(the command's result and summary). Import ``compiler.check.report`` for ``run_check``.
"""

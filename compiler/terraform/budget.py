"""``budget:``: an AWS Budgets cost budget on the account, e-mailing at 80% and 100%.

AWS Budgets sees the whole account's cost. A filter on the architecture's tag would
match nothing until someone activates that tag as a cost allocation tag in the Billing
console (and then only from that day on), so a budget filtered by default would
silently never alert: the budget covers the account, which is what the seeds' teams
needed (one architecture per account), and the docs say so.
"""

from __future__ import annotations

from compiler.ir import Architecture
from compiler.terraform.context import StackBuilder

THRESHOLDS = (("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100))


def emit_budget(arch: Architecture, stack: StackBuilder) -> None:
    """The budget resource, owned by the architecture."""
    if arch.budget is None:
        return
    name = f"{arch.name}-monthly"  # architecture names are at most 40 characters; budgets take 100
    notifications = [
        {
            "comparison_operator": "GREATER_THAN",
            "threshold": percent,
            "threshold_type": "PERCENTAGE",
            "notification_type": kind,
            "subscriber_email_addresses": sorted(arch.budget.emails),
        }
        for kind, percent in THRESHOLDS
    ]
    stack.add(
        "architecture",
        "aws_budgets_budget",
        "monthly",
        {
            "name": name,
            "budget_type": "COST",
            "limit_amount": f"{arch.budget.monthly:.2f}",
            "limit_unit": "USD",
            "time_unit": "MONTHLY",
            "notification": notifications,
        },
    )

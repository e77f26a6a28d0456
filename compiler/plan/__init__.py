"""The engine of `archc plan`: Terraform core + a stand-in AWS provider, offline.

    plan_stacks(Path("out/terraform")) -> list[StackPlan]

See engine.py for the flow, standin_provider.py for what the stand-in checks.
"""

from compiler.plan.engine import PlanSession, plan_stacks
from compiler.plan.model import PlanEngineUnavailable, StackPlan, TfDiagnostic

__all__ = ["PlanEngineUnavailable", "PlanSession", "StackPlan", "TfDiagnostic", "plan_stacks"]

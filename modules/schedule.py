"""``schedule:``: when a fleet runs. Outside the hours, it is scaled to zero.

The seed of intrusion-detection tells why: the team "couldn't stop the auto-scaling
group when we were not using the EC2 instances" and paid for it. A schedule compiles
into scheduled actions (``aws_autoscaling_schedule`` for an Auto Scaling group,
``aws_appautoscaling_scheduled_action`` for an ECS service's desired count): one that
restores the fleet's sizes when the hours start, one that sets them to zero when they
end, on the given days, in the given time zone. ``archc cost`` bills the hours it runs.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
DAYS = {"mon-fri": ("MON-FRI", 5), "every-day": ("*", 7), "mon-sat": ("MON-SAT", 6)}
WEEKS_PER_MONTH = 730 / 168  # AWS's 730-hour month


class Schedule(BaseModel):
    """The hours a fleet runs; outside them it is scaled to zero."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    hours: str = Field(description="When it runs, HH:MM-HH:MM (24-hour clock, in timezone), e.g. 08:00-20:00.", examples=["08:00-20:00"])
    days: Literal["mon-fri", "mon-sat", "every-day"] = Field("mon-fri", description="The days it runs.")
    timezone: str = Field("UTC", description="IANA time zone of the hours, e.g. Europe/Paris.", examples=["Europe/Paris"])

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        found = HOURS.match(value)
        if not found:
            raise ValueError(f"{value!r} is not HH:MM-HH:MM (24-hour clock), e.g. 08:00-20:00")
        start, end = _minutes(found.group(1), found.group(2)), _minutes(found.group(3), found.group(4))
        if end <= start:
            raise ValueError(f"{value!r} ends before it starts: the hours must lie within one day")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. Europe/Paris or America/New_York")
        return value

    def _times(self) -> tuple[tuple[str, str], tuple[str, str]]:
        found = HOURS.match(self.hours)
        assert found is not None  # validated
        return (found.group(1), found.group(2)), (found.group(3), found.group(4))

    def hours_per_month(self) -> float:
        """Hours it runs in a 730-hour month."""
        (h1, m1), (h2, m2) = self._times()
        daily = (_minutes(h2, m2) - _minutes(h1, m1)) / 60
        return daily * DAYS[self.days][1] * WEEKS_PER_MONTH

    def crons(self) -> tuple[str, str]:
        """(start, stop) as Auto Scaling recurrences (5-field cron)."""
        (h1, m1), (h2, m2) = self._times()
        days = DAYS[self.days][0]
        return f"{int(m1)} {int(h1)} * * {days}", f"{int(m2)} {int(h2)} * * {days}"

    def aws_crons(self) -> tuple[str, str]:
        """(start, stop) as Application Auto Scaling schedules, ``cron(m h dom month dow year)``:
        one of day-of-month and day-of-week must be ``?``."""
        (h1, m1), (h2, m2) = self._times()
        days = DAYS[self.days][0]
        dom, dow = ("*", "?") if days == "*" else ("?", days)
        return f"cron({int(m1)} {int(h1)} {dom} * {dow} *)", f"cron({int(m2)} {int(h2)} {dom} * {dow} *)"

    def autoscaling_actions(self, group_name: str, sizes: tuple[int, int, int]) -> dict[str, dict[str, Any]]:
        """Bodies of the two ``aws_autoscaling_schedule`` of a group, by suffix."""
        start, stop = self.crons()
        low, high, desired = sizes
        common = {"autoscaling_group_name": group_name, "time_zone": self.timezone}
        return {
            "start": {
                **common,
                "scheduled_action_name": "archc-start",
                "recurrence": start,
                "min_size": low,
                "max_size": high,
                "desired_capacity": desired,
            },
            "stop": {
                **common,
                "scheduled_action_name": "archc-stop",
                "recurrence": stop,
                "min_size": 0,
                "max_size": 0,
                "desired_capacity": 0,
            },
        }

    def ecs_actions(self, target: dict[str, str], name: str, sizes: tuple[int, int]) -> dict[str, dict[str, Any]]:
        """Bodies of the two ``aws_appautoscaling_scheduled_action`` of an ECS service's
        scalable target (``target``: its service_namespace, resource_id, scalable_dimension)."""
        start, stop = self.aws_crons()
        low, high = sizes
        return {
            "start": {**target, "name": f"{name}-start", "schedule": start, "timezone": self.timezone,
                      "scalable_target_action": [{"min_capacity": str(low), "max_capacity": str(high)}]},
            "stop": {**target, "name": f"{name}-stop", "schedule": stop, "timezone": self.timezone,
                     "scalable_target_action": [{"min_capacity": "0", "max_capacity": "0"}]},
        }  # fmt: skip


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)

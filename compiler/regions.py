"""AWS regions and their availability zones (the zones generally open to accounts).

Used to name zones from a count and to refuse more zones than a region has. Update it
when AWS opens a region or zone; a region missing here is an error the user can fix by
listing zones explicitly only once it is added, so keep it complete.
"""

from __future__ import annotations

AZ_LETTERS: dict[str, str] = {
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "ac",
    "us-west-2": "abcd",
    "ca-central-1": "abd",
    "ca-west-1": "abc",
    "sa-east-1": "abc",
    "mx-central-1": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "il-central-1": "abc",
    "me-south-1": "abc",
    "me-central-1": "abc",
    "af-south-1": "abc",
    "ap-east-1": "abc",
    "ap-south-1": "abc",
    "ap-south-2": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-southeast-3": "abc",
    "ap-southeast-4": "abc",
    "ap-southeast-5": "abc",
    "ap-southeast-7": "abc",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
}


def zones(region: str) -> list[str]:
    """Availability zone names of a region.

    >>> zones("eu-west-3")
    ['eu-west-3a', 'eu-west-3b', 'eu-west-3c']
    """
    return [f"{region}{letter}" for letter in AZ_LETTERS.get(region, "")]

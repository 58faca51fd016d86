"""Host initiator names: iSCSI names (RFC 3720) and Fibre Channel WWNs."""

from __future__ import annotations

import re

_IQN = re.compile(
    r"^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
    r"(:[^\s]+)?$"
)
_EUI = re.compile(r"^eui\.[0-9a-f]{16}$")
_NAA = re.compile(r"^naa\.([0-9a-f]{16}|[0-9a-f]{32})$")
_WWN = re.compile(r"^[0-9a-f]{16}$")

ISCSI_HELP = (
    "an iSCSI name in one of the RFC 3720 forms: iqn.YYYY-MM.reversed.domain[:id], "
    "eui. + 16 hex digits, or naa. + 16 or 32 hex digits"
)
WWN_HELP = "a WWN: 16 hex digits, with or without colons (50:01:43:80:12:34:56:78)"


def normalize_iscsi_name(value: str) -> str:
    """The name in lower case (iSCSI names compare case-insensitively); ``ValueError`` if bad."""
    name = str(value).strip().lower()
    if len(name) > 223 or not (_IQN.match(name) or _EUI.match(name) or _NAA.match(name)):
        raise ValueError(f"{value!r} is not {ISCSI_HELP}.")
    return name


def normalize_wwn(value: str) -> str:
    """The WWN as lower-case, colon-separated byte pairs; ``ValueError`` if bad."""
    digits = str(value).strip().lower().replace(":", "").replace("-", "")
    if not _WWN.match(digits):
        raise ValueError(f"{value!r} is not {WWN_HELP}.")
    return ":".join(digits[i : i + 2] for i in range(0, 16, 2))

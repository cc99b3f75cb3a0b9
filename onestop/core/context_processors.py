from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .notifications import unread_count
from .permissions import Capability, capabilities


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"caps": frozenset(), "unread_count": 0, "Capability": Capability}
    return {
        "caps": {str(c) for c in capabilities(user)},
        "unread_count": unread_count(user=user),
        "Capability": Capability,
    }

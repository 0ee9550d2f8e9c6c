"""`{% pin_form cluster kind name %}`: the small "Pin to board" form of the group and
topic pages (included there through boards/_pin.html)."""

from __future__ import annotations

from typing import Any

from django import template

from boards import selectors, services
from clusters.models import Cluster

register = template.Library()


@register.inclusion_tag("boards/_pin_form.html", takes_context=True)
def pin_form(context: template.Context, cluster: Cluster, kind: str, name: str) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or cluster is None or not name:
        return {"user_ok": False}
    choices = selectors.pin_choices(user=user, cluster=cluster, kind=kind, name=name)
    default = services.DEFAULT_BOARD_NAME.lower()
    return {
        "user_ok": True,
        "csrf_token": context.get("csrf_token"),
        "cluster": cluster,
        "kind": kind,
        "name": name,
        "choices": choices,
        "default_name": services.DEFAULT_BOARD_NAME,
        "has_default": any(c.board.name.lower() == default for c in choices),
    }

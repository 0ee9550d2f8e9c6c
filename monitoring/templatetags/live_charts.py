"""`{% live_chart spec %}` and `{% range_picker %}` for the live pages."""

from __future__ import annotations

from typing import Any

from django import template

from monitoring.charts import ChartSpec
from monitoring.selectors import RANGES

register = template.Library()


@register.inclusion_tag("monitoring/_chart.html")
def live_chart(spec: ChartSpec) -> dict[str, Any]:
    return {"spec": spec}


@register.inclusion_tag("monitoring/_range_picker.html")
def range_picker() -> dict[str, Any]:
    return {"ranges": list(RANGES)}

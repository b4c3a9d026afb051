"""Bar charts drawn on the server as SVG: geometry here, markup in templates/charts/bars.html.

Colours come from CSS classes (the theme's tokens), so a chart is right in light and dark alike.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    """Coordinates are rounded to tenths here, so the template prints them as they are: `floatformat` on every
    number cost more than the rest of the page (500 calls a dashboard), and it follows the language's
    decimal separator, which an SVG attribute must not."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    text_x: float = 0
    text_y: float = 0

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height", "text_x", "text_y"):
            object.__setattr__(self, name, round(float(getattr(self, name)), 1))


@dataclass
class Chart:
    title: str
    description: str
    width: int
    height: int
    horizontal: bool
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)
    labels: list[Bar] = field(default_factory=list)
    uid: str = ""

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars)


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value


def bar_chart(
    points: list[tuple[str, int]], *, title: str, description: str, width: int = 640, height: int = 220,
    horizontal: bool = False, label_every: int = 1,
) -> Chart:  # fmt: skip
    chart = Chart(title, description, width, height, horizontal, uid=f"chart-{next(_ids)}")
    top = _nice_max(max((v for _, v in points), default=0))
    if horizontal:
        left, right, row = 160, 40, 24
        chart.height = max(row * len(points) + 10, 40)
        span = width - left - right
        for i, (label, value) in enumerate(points):
            w = span * value / top
            y = 5 + i * row
            chart.bars.append(Bar(label, value, left, y + 3, w, row - 6, text_x=left + w + 6, text_y=y + row / 2 + 4))
        return chart
    left, bottom, top_pad = 36, 22, 8
    plot_h = height - bottom - top_pad
    slot = (width - left) / max(len(points), 1)
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        bar = Bar(label, value, left + i * slot + slot * 0.15, top_pad + plot_h - h, slot * 0.7, h,
                  text_x=left + i * slot + slot / 2, text_y=height - 6)  # fmt: skip
        chart.bars.append(bar)
        if i % label_every == 0:
            chart.labels.append(bar)
    chart.ticks = [(round(top_pad + plot_h - plot_h * f, 1), round(top * f)) for f in (0, 0.5, 1)]
    return chart

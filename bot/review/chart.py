"""A small line chart as inline SVG, drawn on the server (the pages load no script and no CDN)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from bot.i18n import _

WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 40


def _nice_ceiling(value: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least `value` (round axis maxima)."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _label(value: float) -> str:
    """A plain number in the axis's own unit (12,119 on a 万元 axis, never "1.2119万" of 万元)."""
    if value >= 10 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def line_chart(title: str, labels: Sequence[str], values: Sequence[float], unit: str, color: str) -> Markup:
    """A titled line chart of `values` over `labels` (months), with a y axis in `unit`; empty data says so."""
    heading, empty = _("{title}（{unit}）").format(title=title, unit=unit), _("暂无数据")
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{LEFT}" y="16" class="chart-title">{escape(heading)}'
             '</text>']
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if not values:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="chart-empty">'
                     f'{escape(empty)}</text>')
        return Markup("".join(parts) + "</svg>")
    top = _nice_ceiling(max(values))
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
                     f'{escape(_label(top * i / 4))}</text>')
    step = plot_w / max(len(values) - 1, 1)
    points = [(LEFT + (i * step if len(values) > 1 else plot_w / 2), TOP + plot_h - plot_h * v / top)
              for i, v in enumerate(values)]
    every = max(1, -(-len(labels) // 8))  # at most about eight month labels
    for i, (x, _y) in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            anchor = "start" if i == 0 and len(points) > 1 else "end" if i == len(points) - 1 and i else "middle"
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}" class="axis">'
                         f'{escape(labels[i])}</text>')
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{escape(color)}" stroke-width="2"/>')
    for x, y in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{escape(color)}"/>')
    last_x, last_y = points[-1]
    parts.append(f'<text x="{min(last_x, WIDTH - RIGHT - 4):.1f}" y="{max(last_y - 8, TOP - 2):.1f}" '
                 f'text-anchor="end" class="chart-value">{escape(_label(values[-1]))}</text>')
    return Markup("".join(parts) + "</svg>")

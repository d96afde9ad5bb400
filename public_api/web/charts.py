"""A small server-rendered SVG bar chart: no chart library, nothing loaded from the internet."""

from __future__ import annotations

from markupsafe import Markup, escape


def bar_chart_svg(points: list[tuple[str, int]], title: str, width: int = 640, height: int = 220) -> Markup:
    left, bottom, top = 36, 28, 16
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((v for _, v in points), default=0) or 1
    step = plot_w / max(len(points), 1)
    bar_w = step * 0.7
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" class="axis"/>',
        f'<text x="{left - 6}" y="{top + 4}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(points):
        h = plot_h * value / peak
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" class="bar">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if value:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" class="value" text-anchor="middle">{value}</text>')
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 10}" class="tick" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

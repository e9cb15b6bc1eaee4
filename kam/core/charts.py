"""One chart layer: a chart is defined once (`BarChart`) and rendered as inline SVG in pages (no JavaScript,
nothing from a CDN) and, by the report builders, as native charts in decks and documents."""

from dataclasses import dataclass, field
from decimal import Decimal
from html import escape


@dataclass
class Series:
    name: str
    values: list  # Decimal | None per category
    css_class: str = "series-1"


@dataclass
class BarChart:
    title: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    unit: str = "EUR"
    width: int = 760
    height: int = 240

    def to_svg(self) -> str:
        pad_left, pad_bottom, pad_top = 70, 36, 12
        plot_w, plot_h = self.width - pad_left - 10, self.height - pad_bottom - pad_top
        values = [v for s in self.series for v in s.values if v is not None]
        top = max([Decimal(0), *values]) or Decimal(1)
        bottom = min([Decimal(0), *values])
        span = (top - bottom) or Decimal(1)

        def y(value):
            return pad_top + float((top - value) / span) * plot_h

        n = max(len(self.categories), 1)
        group_w = plot_w / n
        bar_w = max(group_w * 0.8 / max(len(self.series), 1), 1)
        parts = [
            f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" role="img" aria-label="{escape(self.title)}"'
            ' xmlns="http://www.w3.org/2000/svg">',
            f"<title>{escape(self.title)}</title>",
        ]
        for fraction in (0, 0.5, 1):
            value = bottom + span * Decimal(str(fraction))
            parts.append(
                f'<line class="grid" x1="{pad_left}" x2="{self.width - 10}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
            )
            parts.append(
                f'<text class="axis" x="{pad_left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
                f"{escape(compact(value))}</text>"
            )
        for i, category in enumerate(self.categories):
            for j, serie in enumerate(self.series):
                value = serie.values[i]
                if value is None:
                    continue
                x = pad_left + i * group_w + group_w * 0.1 + j * bar_w
                y0, y1 = sorted((y(Decimal(0)), y(value)))
                label = f"{serie.name} {category}: {value:,.2f} {self.unit}"
                parts.append(
                    f'<rect class="{serie.css_class}" x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                    f'height="{max(y1 - y0, 0.5):.1f}"><title>{escape(label)}</title></rect>'
                )
            if n <= 12 or i % 3 == 0:
                parts.append(
                    f'<text class="axis" x="{pad_left + i * group_w + group_w / 2:.1f}" y="{self.height - 18}" '
                    f'text-anchor="middle">{escape(category)}</text>'
                )
        for j, serie in enumerate(self.series):
            parts.append(
                f'<rect class="{serie.css_class}" x="{pad_left + j * 160}" y="{self.height - 12}" '
                'width="10" height="10"/>'
                f'<text class="legend" x="{pad_left + j * 160 + 14}" y="{self.height - 3}">{escape(serie.name)}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)


def compact(value: Decimal) -> str:
    value = Decimal(value)
    for threshold, suffix in ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"), (Decimal(10) ** 3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.1f}{suffix}"
    return f"{value:.0f}"

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


@dataclass
class Bubble:
    x: Decimal | None
    y: Decimal | None
    size: Decimal | None
    label: str
    href: str = ""
    css_class: str = "series-1"


@dataclass
class BubbleChart:
    """A scatter of bubbles on logarithmic axes (money spans orders of magnitude), with threshold lines that cut
    it into four named quadrants: the segmentation matrix. Each bubble links to its object and names itself on
    hover; a bubble's area is proportional to `size`."""

    title: str
    bubbles: list[Bubble]
    x_label: str
    y_label: str
    x_threshold: Decimal | None = None
    y_threshold: Decimal | None = None
    quadrants: dict = field(default_factory=dict)  # {"top_right": name, "top_left", "bottom_right", "bottom_left"}
    width: int = 860
    height: int = 520

    def to_svg(self) -> str:
        import math

        pad_left, pad_bottom, pad_top, pad_right = 70, 44, 14, 14
        plot_w, plot_h = self.width - pad_left - pad_right, self.height - pad_top - pad_bottom
        xs = [b.x for b in self.bubbles if b.x is not None and b.x > 0]
        ys = [b.y for b in self.bubbles if b.y is not None and b.y > 0]
        for threshold, values in ((self.x_threshold, xs), (self.y_threshold, ys)):
            if threshold is not None and threshold > 0:
                values.append(threshold)

        def bounds(values):
            if not values:
                return 0.0, 1.0
            low, high = math.log10(float(min(values))), math.log10(float(max(values)))
            if high - low < 1:
                low, high = low - 0.5, high + 0.5
            return math.floor(low), math.ceil(high)

        (x0, x1), (y0, y1) = bounds(xs), bounds(ys)

        def sx(value):
            v = math.log10(float(value)) if value and value > 0 else x0
            return pad_left + (v - x0) / (x1 - x0) * plot_w

        def sy(value):
            v = math.log10(float(value)) if value and value > 0 else y0
            return pad_top + (y1 - v) / (y1 - y0) * plot_h

        sizes = [float(b.size) for b in self.bubbles if b.size is not None and b.size > 0]
        largest = max(sizes) if sizes else 1.0
        parts = [
            f'<svg class="chart bubbles" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-label="{escape(self.title)}" xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink">',
            f"<title>{escape(self.title)}</title>",
        ]
        for exponent in range(int(x0), int(x1) + 1):
            x = sx(Decimal(10) ** exponent)
            parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{pad_top}" y2="{pad_top + plot_h}"/>')
            parts.append(
                f'<text class="axis" x="{x:.1f}" y="{pad_top + plot_h + 14}" text-anchor="middle">'
                f"{escape(compact(Decimal(10) ** exponent))}</text>"
            )
        for exponent in range(int(y0), int(y1) + 1):
            y = sy(Decimal(10) ** exponent)
            parts.append(f'<line class="grid" x1="{pad_left}" x2="{pad_left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
            parts.append(
                f'<text class="axis" x="{pad_left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{escape(compact(Decimal(10) ** exponent))}</text>"
            )
        if self.x_threshold is not None and self.x_threshold > 0:
            x = sx(self.x_threshold)
            parts.append(f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{pad_top}" y2="{pad_top + plot_h}"/>')
        if self.y_threshold is not None and self.y_threshold > 0:
            y = sy(self.y_threshold)
            parts.append(
                f'<line class="threshold" x1="{pad_left}" x2="{pad_left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
            )
        corners = {
            "top_left": (pad_left + 8, pad_top + 18, "start"),
            "top_right": (pad_left + plot_w - 8, pad_top + 18, "end"),
            "bottom_left": (pad_left + 8, pad_top + plot_h - 8, "start"),
            "bottom_right": (pad_left + plot_w - 8, pad_top + plot_h - 8, "end"),
        }
        for corner, name in self.quadrants.items():
            x, y, anchor = corners[corner]
            parts.append(f'<text class="quadrant" x="{x}" y="{y}" text-anchor="{anchor}">{escape(name)}</text>')
        # Largest first, so small bubbles stay on top and clickable.
        for bubble in sorted(self.bubbles, key=lambda b: -(float(b.size or 0))):
            if bubble.x is None or bubble.y is None:
                continue
            radius = 3 + 22 * math.sqrt(max(float(bubble.size or 0), 0) / largest)
            circle = (
                f'<circle class="{bubble.css_class}" cx="{sx(bubble.x):.1f}" cy="{sy(bubble.y):.1f}" r="{radius:.1f}">'
                f"<title>{escape(bubble.label)}</title></circle>"
            )
            # xlink:href, not href: the same link to browsers, and tools that read `a[href]` expecting an HTML anchor
            # (whose .href is a string, an SVG anchor's is not) pass it by.
            parts.append(f'<a xlink:href="{escape(bubble.href)}">{circle}</a>' if bubble.href else circle)
        parts.append(
            f'<text class="legend" x="{pad_left + plot_w / 2:.1f}" y="{self.height - 6}" text-anchor="middle">'
            f"{escape(self.x_label)} (log scale)</text>"
        )
        parts.append(
            f'<text class="legend" transform="rotate(-90)" x="{-(pad_top + plot_h / 2):.1f}" y="14" '
            f'text-anchor="middle">{escape(self.y_label)} (log scale)</text>'
        )
        parts.append("</svg>")
        return "".join(parts)


@dataclass
class LineChart:
    """One or more series over numbered steps (e.g. the value covered by the first n key accounts), with optional
    vertical markers (e.g. the recommended range)."""

    title: str
    xs: list[int]
    series: list[Series]
    unit: str = "%"
    markers: list = field(default_factory=list)  # [(x, label)]
    y_max: Decimal | None = None
    width: int = 860
    height: int = 280

    def to_svg(self) -> str:
        pad_left, pad_bottom, pad_top, pad_right = 56, 36, 14, 14
        plot_w, plot_h = self.width - pad_left - pad_right, self.height - pad_top - pad_bottom
        values = [v for s in self.series for v in s.values if v is not None]
        top = self.y_max if self.y_max is not None else (max(values) if values else Decimal(1))
        top = top or Decimal(1)
        first, last = (self.xs[0], self.xs[-1]) if self.xs else (0, 1)
        span = (last - first) or 1

        def sx(x):
            return pad_left + (x - first) / span * plot_w

        def sy(value):
            return pad_top + (1 - float(Decimal(value) / Decimal(top))) * plot_h

        parts = [
            f'<svg class="chart lines" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-label="{escape(self.title)}" xmlns="http://www.w3.org/2000/svg">',
            f"<title>{escape(self.title)}</title>",
        ]
        for fraction in (0, 0.25, 0.5, 0.75, 1):
            value = Decimal(top) * Decimal(str(fraction))
            y = sy(value)
            parts.append(f'<line class="grid" x1="{pad_left}" x2="{pad_left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
            parts.append(
                f'<text class="axis" x="{pad_left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{value:.0f}{escape(self.unit)}</text>"
            )
        for x, label in self.markers:
            if first <= x <= last:
                x_px = f"{sx(x):.1f}"
                parts.append(
                    f'<line class="threshold" x1="{x_px}" x2="{x_px}" y1="{pad_top}" y2="{pad_top + plot_h}"/>'
                    f'<text class="axis" x="{sx(x) + 4:.1f}" y="{pad_top + 12}">{escape(label)}</text>'
                )
        for serie in self.series:
            points = " ".join(
                f"{sx(x):.1f},{sy(v):.1f}" for x, v in zip(self.xs, serie.values, strict=False) if v is not None
            )
            parts.append(
                f'<polyline class="line {serie.css_class}" points="{points}">'
                f"<title>{escape(serie.name)}</title></polyline>"
            )
        step = max(1, len(self.xs) // 10)
        for x in self.xs[::step]:
            parts.append(
                f'<text class="axis" x="{sx(x):.1f}" y="{pad_top + plot_h + 14}" text-anchor="middle">{x}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)

"""Charts as tables: every chart is a table of figures (each figure a link to the rows it
counts), drawn by `static/js/charts.js` with the vendored Chart.js; the table itself stays
on the page for screen readers, for the elder-friendly mode and when scripts do not run."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

BAR, LINE, STACKED, TILES = "bar", "line", "stacked", "tiles"
KINDS = (BAR, LINE, STACKED, TILES)
# A tile's shade: 0 (the value is zero) … 5 (the largest value), each a CSS class in
# static/css/charts.css (`lianluo-tile--3`); a tile without a figure has none.
LEVELS = 6
# Map-like placement of the tiles: grid lines 1..PLACES (CSS classes `lianluo-tile--row-N`,
# `lianluo-tile--col-N`; positions are classes, not inline styles, for the CSP).
PLACES = 8


def escape(value: str) -> str:
    """HTML-escaped text, as Django's `escape` gives (quotes included), for the tables written
    without the template engine (Django's version costs a lazy-string check per call)."""
    return html.escape(value, quote=True)


@dataclass(frozen=True)
class Cell:
    """One figure: its value (None: no data), how it reads, and the listing of what it counts."""

    value: float | int | None
    text: str = ""
    href: str = ""

    @property
    def shown(self) -> str:
        if self.text:
            return self.text
        return "—" if self.value is None else str(self.value)

    @property
    def td(self) -> str:
        """The cell as the table shows it (escaped HTML): its value for the chart
        (unlocalised), its link."""
        value = "" if self.value is None else escape(str(self.value))
        if self.href:
            return f'<td data-value="{value}"><a href="{escape(self.href)}">{escape(self.shown)}</a></td>'
        return f'<td data-value="{value}">{escape(self.shown)}</td>'


@dataclass
class Chart:
    """A chart of `rows` (one label each, e.g. a month or a street) by `columns` (the series).

    `kind` is BAR, LINE, STACKED (stacked bars) or TILES (one tile per row, shaded by its
    first column: the streets laid out like a map). `unit` follows the values on the axis
    ("件", "%"). `more`, when the chart lists only some rows, says so and links to all of
    them. `places` optionally puts a tile on the map grid: row label -> (grid row, grid
    column), each 1..PLACES; unplaced tiles flow in row order (and all do on phones)."""

    key: str
    title: str
    kind: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    unit: str = ""
    note: str = ""
    more: Partial | None = None
    places: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"chart {self.key}: kind must be one of {KINDS}")
        for label, (row, column) in self.places.items():
            if not (1 <= row <= PLACES and 1 <= column <= PLACES):
                raise ValueError(f"chart {self.key}: place of {label} must be within 1..{PLACES}")

    @property
    def body(self) -> SafeString:
        """The table's rows, written without the template engine: a year of months by eight
        channels is a hundred linked cells, and the dashboard shows several such tables."""
        if not self.rows:
            return format_html('<tr><td colspan="{}">暂无数据</td></tr>', len(self.columns) + 1)
        rows = (
            f'<tr><th scope="row">{escape(label)}</th>{"".join(cell.td for cell in cells)}</tr>'
            for label, cells in self.rows
        )
        return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped

    def add(self, label: str, cells: list[Cell]) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"chart {self.key}: row {label} has {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append((label, cells))

    def levels(self) -> list[int | None]:
        """The shade of each row's tile from its first column: equal steps of the largest
        value, so 0 is "none" (zero or less), 5 holds the largest value and a value just
        above a step's limit reads one shade darker. None: the row has no figure."""
        values = [cells[0].value if cells else None for _label, cells in self.rows]
        top = max((value for value in values if value is not None), default=0)
        levels: list[int | None] = []
        for value in values:
            if value is None:
                levels.append(None)
            elif value <= 0 or top <= 0:
                levels.append(0)
            else:
                levels.append(min(LEVELS - 1, math.ceil((LEVELS - 1) * value / top)))
        return levels

    @property
    def top(self) -> Cell | None:
        """The first column's largest figure (the tiles' legend reads "最深：…")."""
        cells = [cells[0] for _label, cells in self.rows if cells and cells[0].value is not None]
        return max(cells, key=lambda cell: cell.value, default=None)

    @property
    def tiles(self) -> list[Tile]:
        """One tile per row for the template: label, first figure, shade and grid place."""
        return [
            Tile(label, cells[0] if cells else Cell(None), level, self.places.get(label))
            for (label, cells), level in zip(self.rows, self.levels(), strict=True)
        ]


@dataclass(frozen=True)
class Tile:
    label: str
    cell: Cell
    level: int | None
    place: tuple[int, int] | None = None

    @property
    def css_class(self) -> str:
        shade = "lianluo-tile--none" if self.level is None else f"lianluo-tile--{self.level}"
        if self.place is None:
            return shade
        row, column = self.place
        return f"{shade} lianluo-tile--placed lianluo-tile--row-{row} lianluo-tile--col-{column}"


@dataclass(frozen=True)
class Partial:
    """A breakdown listing only some of its parts (includes/partial.html): "只列出超期最多的
    30 个街道（共 1278 个）", and the link to all of them."""

    shown: int
    total: int
    noun: str  # what the parts are: "街道", "站点"
    which: str  # which ones are listed: "超期最多的"
    href: str


@dataclass(frozen=True)
class Headline:
    """A headline figure (includes/headline.html): "办结率", "92.1%", its listing, "(1234/1340)"."""

    label: str
    value: str
    href: str = ""
    note: str = ""

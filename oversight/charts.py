"""Charts as tables: every chart is a table of figures (each figure a link to the rows it
counts), drawn by `static/js/charts.js` with the vendored Chart.js; the table itself stays
on the page for screen readers, for the elder-friendly mode and when scripts do not run."""

from __future__ import annotations

from dataclasses import dataclass, field

BAR, LINE, STACKED, TILES = "bar", "line", "stacked", "tiles"
KINDS = (BAR, LINE, STACKED, TILES)


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


@dataclass
class Chart:
    """A chart of `rows` (one label each, e.g. a month or a street) by `columns` (the series).

    `kind` is BAR, LINE, STACKED (stacked bars) or TILES (one tile per row, shaded by its
    first column: the streets laid out like a map). `unit` follows the values on the axis
    ("件", "%")."""

    key: str
    title: str
    kind: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    unit: str = ""
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"chart {self.key}: kind must be one of {KINDS}")

    def add(self, label: str, cells: list[Cell]) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"chart {self.key}: row {label} has {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append((label, cells))

    @property
    def empty(self) -> bool:
        return not any(cell.value for _label, cells in self.rows for cell in cells)

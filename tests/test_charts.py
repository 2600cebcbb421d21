"""Charts (oversight.charts): the tiles' shades, their colours' contrast, and the markup the
include renders (a table whose figures link to their rows; tiles shaded by class, no styles)."""

import re
from pathlib import Path

import pytest

from django.template.loader import render_to_string

from oversight.charts import LEVELS, Cell, Chart, Headline

CHARTS_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "charts.css"


def tiles(*values, **extra) -> Chart:
    chart = Chart("streets", "各街道办结件数", "tiles", ["办结件数"], unit="件", **extra)
    for number, value in enumerate(values):
        chart.add(f"街道{number}", [Cell(value, href=f"/admin/opinions/?street={number}")])
    return chart


def test_levels_are_equal_steps_of_the_largest_value():
    assert tiles(0, 1, 20, 21, 40, 41, 60, 61, 80, 81, 100).levels() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_levels_keep_missing_figures_apart_and_cope_with_all_zero_or_one_value():
    assert tiles(None, 0, 5).levels() == [None, 0, 5]
    assert tiles(0, 0).levels() == [0, 0]
    assert tiles(7).levels() == [5]
    assert tiles(None).levels() == [None]
    assert tiles().levels() == []
    assert tiles(-3, 2.5).levels() == [0, 5]


def test_levels_span_six_classes_and_read_the_first_column_only():
    chart = Chart("s", "t", "tiles", ["办结率", "件数"], unit="%")
    for label, rate, count in [("甲", 92.1, 1000), ("乙", 50.0, 1), ("丙", 10.0, 5000)]:
        chart.add(label, [Cell(rate), Cell(count)])
    assert chart.levels() == [5, 3, 1]
    assert LEVELS == 6
    assert {level for level in tiles(*range(0, 101, 5)).levels()} == set(range(LEVELS))


def test_tiles_carry_their_shade_and_place_as_classes():
    chart = tiles(None, 10, 4, places={"街道1": (2, 3)})
    assert [tile.css_class for tile in chart.tiles] == [
        "lianluo-tile--none",
        "lianluo-tile--5 lianluo-tile--placed lianluo-tile--row-2 lianluo-tile--col-3",
        "lianluo-tile--2",
    ]
    assert chart.top.value == 10
    with pytest.raises(ValueError):
        tiles(1, places={"街道0": (0, 9)})


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def palettes() -> dict[str, dict[str, str]]:
    """{selector: {custom property: #rrggbb}} of every block in charts.css defining tile colours."""
    found = {}
    for selector, body in re.findall(
        r"([^{}]+)\{([^{}]*--tile-[\w-]+:[^{}]*)\}", CHARTS_CSS.read_text(encoding="utf-8")
    ):
        found[selector.strip().split("*/")[-1].strip()] = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", body))
    return found


def test_every_tile_shade_has_aa_contrast_in_every_palette():
    found = palettes()
    assert {":root", "html.lianluo-bigscreen"} <= set(found)
    for selector, colours in found.items():
        for shade in [*map(str, range(LEVELS)), "none"]:
            ratio = contrast(colours[f"--tile-{shade}-bg"], colours[f"--tile-{shade}-fg"])
            assert ratio >= 4.5, f"{selector} tile {shade}: {ratio:.2f}:1"


def test_series_colours_stand_out_from_the_page_in_every_palette():
    """WCAG 1.4.11: bars and lines at least 3:1 against the chart's background."""
    css = CHARTS_CSS.read_text(encoding="utf-8")
    for selector, paper in [(":root", "#ffffff"), ("html.lianluo-bigscreen", "#111a2e")]:
        block = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css).group(1)
        for name, colour in re.findall(r"(--chart-[1-6]):\s*(#[0-9a-fA-F]{6})", block):
            assert contrast(colour, paper) >= 3, f"{selector} {name} {colour} on {paper}"


def test_the_include_renders_the_table_with_linked_figures_and_tiles_without_styles():
    bar = Chart("monthly", "每月受理", "bar", ["受理", "办结"], unit="件")
    bar.add("2026-01", [Cell(12, href="/a?m=1"), Cell(1234.5, href="/b?m=1")])
    bar.add("2026-02", [Cell(None), Cell(0, text="0件")])
    html = render_to_string("oversight/includes/chart.html", {"chart": bar})
    assert 'data-chart="bar"' in html and 'class="lianluo-chart__canvas"' in html
    assert '<td data-value="12"><a href="/a?m=1">12</a></td>' in html
    assert '<td data-value="1234.5"><a href="/b?m=1">1234.5</a></td>' in html  # not localised
    assert '<td data-value="">—</td>' in html and '<td data-value="0">0件</td>' in html

    html = render_to_string("oversight/includes/chart.html", {"chart": tiles(3, None, 6, places={"街道2": (1, 1)})})
    assert "lianluo-chart__canvas" not in html
    assert 'class="lianluo-tile lianluo-tile--3"' in html and 'class="lianluo-tile lianluo-tile--none"' in html
    assert "lianluo-tile--5 lianluo-tile--placed lianluo-tile--row-1 lianluo-tile--col-1" in html
    assert '<a class="lianluo-tile__link" href="/admin/opinions/?street=2">' in html
    assert "（最高 6件）" in html
    assert "style=" not in html


def test_headline_figures_link_to_their_rows():
    html = render_to_string(
        "oversight/includes/headline.html",
        {"headline": [Headline("办结率", "92.1%", "/admin/opinions/?closed=1", "(1234/1340)"), Headline("超期", "3")]},
    )
    assert '<a class="lianluo-headline__link" href="/admin/opinions/?closed=1">' in html
    assert '<span class="lianluo-headline__value">92.1%</span>' in html and "(1234/1340)" in html
    assert '<span class="lianluo-headline__link">' in html

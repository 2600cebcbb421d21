"""The yearly publication of deputies' points (年度履职积分公布) as a Wagtail page.

At the congress session each January the district publishes the year's points. The page is
a snapshot: when it is created (or when an editor asks for fresh figures with the "重新生成"
checkbox) the totals of its year are frozen into the page itself, and it is published through
the editor's approval like any page; editing a record afterwards changes nothing that was
published. The snapshot is also offered as an Excel file.
"""

from __future__ import annotations

from openpyxl import Workbook

from django.db import models
from django.http import HttpResponse

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from base.spreadsheets import spreadsheet_cell
from duties.totals import yearly_totals


def snapshot(year: int) -> list[dict]:
    """The year's totals as plain data: what the published page shows, frozen."""
    return [
        {
            "deputy": row.deputy.pk,
            "name": row.name,
            "level": row.deputy.get_congress_level_display(),
            "streets": [street.name for street in row.streets],
            "total": str(row.total),
            "records": row.records,
            "level_rank": row.level_rank,
        }
        for row in yearly_totals(year)
    ]


class PointsPublicationPage(RoutablePageMixin, Page):
    """年度履职积分公布: one year's frozen totals."""

    year = models.PositiveSmallIntegerField("年度")
    intro = RichTextField("说明", blank=True, features=["bold", "link"])
    rows = models.JSONField("积分快照", default=list, blank=True, editable=False)
    refresh = models.BooleanField(
        "保存时重新生成积分快照", default=False, help_text="勾选后保存，按当前已核实的记录重新生成本页的积分。"
    )

    content_panels = [*Page.content_panels, FieldPanel("year"), FieldPanel("intro"), FieldPanel("refresh")]
    parent_page_types = ["content.GeneralStationPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "年度履职积分公布"
        verbose_name_plural = "年度履职积分公布"

    def full_clean(self, *args, **kwargs):
        # The snapshot is taken on the draft, so what the approver sees is what is published.
        if self.year and (not self.rows or self.refresh):
            self.rows = snapshot(self.year)
            self.refresh = False
        return super().full_clean(*args, **kwargs)

    @path("export/", name="export")
    def export(self, request):
        book = Workbook()
        sheet = book.active
        sheet.title = f"{self.year}年履职积分"
        sheet.append(["姓名", "代表层级", "所在街道", "年度积分", "已核实记录", "层级内排名"])
        for row in self.rows:
            sheet.append(
                [
                    spreadsheet_cell(row["name"]),
                    row["level"],
                    spreadsheet_cell("、".join(row["streets"])),
                    float(row["total"]),
                    row["records"],
                    row["level_rank"],
                ]
            )
        response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="duty-points-{self.year}.xlsx"'
        book.save(response)
        return response


def published_points(deputy_id: int, request=None) -> list[dict]:
    """The deputy's line of every live publication, newest year first, with the page's URL."""
    found = []
    for page in PointsPublicationPage.objects.live().order_by("-year"):
        row = next((row for row in page.rows if row["deputy"] == deputy_id), None)
        if row is not None:
            found.append({**row, "year": page.year, "url": page.get_url(request)})
    return found


def deputy_page_points(request, deputy, context) -> None:
    """The `construct_deputy_page_context` hook: published yearly points on the deputy's page."""
    points = published_points(deputy.pk, request)
    if points:
        context.setdefault("extra_sections", []).append(("duties/deputy_points.html", points))

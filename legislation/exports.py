"""The compiled report of a consultation, as a standing committee expects it: a Word file
(python-docx) and an Excel file (openpyxl), from the same lines (`compilation.compilation`).

Layout (意见建议汇总表): a title, the facts of the consultation (source, document number,
window, contact point, how many comments through which channels), then one table row per
line — the draft as a whole first, then each article that received comments, in order:

    序号 | 条文 | 原文 | 意见建议 | 汇总意见 | 意见条数 | 采纳情况 (once marked)

Each comment in the 意见建议 cell is numbered and names its channel; an expert's carries their
name and title; duplicates merged into it are counted after it. No commenter's name or phone
is ever written (experts are named because they comment as experts).
"""

from __future__ import annotations

import io
from collections import Counter

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from base.spreadsheets import spreadsheet_cell
from legislation.compilation import Row, compilation
from legislation.models import COUNTED, Comment, Consultation

COLUMNS = ["序号", "条文", "原文", "意见建议", "汇总意见", "意见条数"]
ADOPTION_COLUMN = "采纳情况"
DOCX_WIDTHS_CM = [1.2, 2.0, 6.0, 8.5, 5.5, 1.6, 2.6]
XLSX_WIDTHS = [6, 10, 40, 60, 40, 8, 24]


def _comment_line(index: int, comment: Comment, duplicates: int) -> str:
    who = (
        f"专家顾问 {comment.expert.name}，{comment.expert.title}"
        if comment.expert_id
        else comment.get_channel_display()
    )
    line = f"{index}. （{who}）{comment.content}"
    if duplicates:
        line += f"（另有 {duplicates} 人提出相同意见）"
    return line


def comment_lines(row: Row) -> list[str]:
    return [_comment_line(i, c, row.duplicates_of(c)) for i, c in enumerate(row.comments, start=1)]


def _adoption(row: Row) -> str:
    compiled = row.compiled
    if compiled is None or not compiled.adoption:
        return ""
    text = compiled.get_adoption_display()
    if compiled.adoption_note:
        text += f"：{compiled.adoption_note}"
    return text


def facts(consultation: Consultation) -> list[str]:
    """The report's opening lines."""
    page = consultation.page
    channels = Counter(
        Comment.objects.filter(consultation=consultation, state__in=COUNTED).values_list("channel", flat=True)
    )
    labels = dict(Comment._meta.get_field("channel").choices)
    by_channel = "，".join(f"{labels[c]} {n} 条" for c, n in sorted(channels.items(), key=lambda item: -item[1]))
    lines = [
        f"来文单位：{page.source}" + (f"（{page.document_no}）" if page.document_no else ""),
        f"基层立法联系点：{consultation.station.title}",
        f"征求意见时间：{page.opens_on:%Y年%-m月%-d日}至{page.closes_on:%Y年%-m月%-d日}",
        f"共收到意见 {sum(channels.values())} 条" + (f"（{by_channel}）" if by_channel else "") + "。",
    ]
    if consultation.passed_on:
        lines.append(f"《{consultation.passed_title}》于{consultation.passed_on:%Y年%-m月%-d日}通过。")
    return lines


def title(consultation: Consultation) -> str:
    return f"关于《{consultation.page.title}》的意见建议汇总表"


def _with_adoption(rows: list[Row]) -> bool:
    return any(row.compiled is not None and row.compiled.adoption for row in rows)


def _set_east_asian_font(document, name: str = "宋体") -> None:
    style = document.styles["Normal"]
    style.font.name = name
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), name)


def as_docx(consultation: Consultation) -> bytes:
    rows = compilation(consultation)
    adoption = _with_adoption(rows)
    columns = COLUMNS + ([ADOPTION_COLUMN] if adoption else [])
    document = Document()
    _set_east_asian_font(document)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.8)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title(consultation))
    run.bold, run.font.size = True, Pt(16)
    for line in facts(consultation):
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, columns, strict=True):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
    for number, row in enumerate(rows, start=1):
        cells = table.add_row().cells
        cells[0].text = str(number)
        cells[1].text = row.label
        cells[2].text = row.original
        lines = comment_lines(row)
        cells[3].text = lines[0] if lines else ""
        for line in lines[1:]:
            cells[3].add_paragraph(line)
        cells[4].text = row.compiled.text if row.compiled else ""
        cells[5].text = str(row.count)
        if adoption:
            cells[6].text = _adoption(row)
    for column, width in zip(table.columns, DOCX_WIDTHS_CM, strict=False):
        for cell in column.cells:
            cell.width = Cm(width)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_xlsx(consultation: Consultation) -> bytes:
    rows = compilation(consultation)
    adoption = _with_adoption(rows)
    columns = COLUMNS + ([ADOPTION_COLUMN] if adoption else [])
    book = Workbook()
    sheet = book.active
    sheet.title = "意见建议汇总表"
    sheet.append([title(consultation)])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in facts(consultation):
        sheet.append([line])
    sheet.append([])
    sheet.append(columns)
    header = sheet.max_row
    for cell in sheet[header]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, row in enumerate(rows, start=1):
        values = [
            number,
            row.label,
            spreadsheet_cell(row.original),
            spreadsheet_cell("\n".join(comment_lines(row))),
            spreadsheet_cell(row.compiled.text if row.compiled else ""),
            row.count,
        ]
        if adoption:
            values.append(spreadsheet_cell(_adoption(row)))
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
    for index, width in enumerate(XLSX_WIDTHS[: len(columns)]):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

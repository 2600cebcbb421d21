"""A draft's text as received, split into chapters (章), sections (节), articles (条) and
clauses (款).

Drafts arrive as Word files whose text staff paste in. Each line beginning 第…章 starts a
chapter, 第…节 a section, 第…条 an article; the lines below an article are its clauses.
Lines before the first article (the title, a table of contents) are not articles. Articles
must be numbered 1, 2, 3 … without gaps: a gap is almost always a line lost in pasting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMERAL = "〇零一二三四五六七八九十百千两0-9０-９"
CHAPTER = re.compile(rf"^第([{NUMERAL}]+)章(?:\s+|$)(.*)$")
SECTION = re.compile(rf"^第([{NUMERAL}]+)节(?:\s+|$)(.*)$")
ARTICLE = re.compile(rf"^第([{NUMERAL}]+)条(?:\s+|　|$)(.*)$")
DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
UNITS = {"十": 10, "百": 100, "千": 1000}
MAX_ARTICLES = 1000
MAX_TEXT = 300_000


class ArticleError(ValueError):
    """The text cannot be read as articles; the message says where, in Chinese."""


@dataclass(frozen=True)
class ParsedArticle:
    chapter: str
    section: str
    number: int
    label: str
    text: str

    def as_tuple(self) -> tuple:
        return (self.chapter, self.section, self.number, self.label, self.text)


def chinese_number(numeral: str) -> int:
    """第一百二十三条 → 123; Arabic digits (full or half width) are read as they are."""
    numeral = numeral.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if numeral.isdigit():
        return int(numeral)
    total, digit = 0, None
    for char in numeral:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in UNITS:
            total += (1 if digit is None else digit) * UNITS[char]
            digit = None
        else:
            raise ArticleError(f"无法识别的编号“{numeral}”。")
    return total + (digit or 0)


def _heading(match: re.Match, kind: str) -> str:
    rest = match.group(2).strip()
    return f"第{match.group(1)}{kind}" + (f" {rest}" if rest else "")


def parse_articles(text: str) -> list[ParsedArticle]:
    """The articles of the text in order, or ArticleError saying what is wrong."""
    if len(text) > MAX_TEXT:
        raise ArticleError(f"全文不能超过 {MAX_TEXT:,} 字。")
    articles: list[dict] = []
    chapter = section = ""
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip().replace("\u3000", " ").strip()
        if not line:
            continue
        if match := CHAPTER.match(line):
            chapter, section = _heading(match, "章"), ""
            continue
        if match := SECTION.match(line):
            section = _heading(match, "节")
            continue
        if match := ARTICLE.match(line):
            number = chinese_number(match.group(1))
            label = f"第{match.group(1)}条"
            articles.append({"chapter": chapter, "section": section, "number": number, "label": label, "lines": []})
            if match.group(2).strip():
                articles[-1]["lines"].append(match.group(2).strip())
            continue
        if articles:
            articles[-1]["lines"].append(line)
    if not articles:
        raise ArticleError("没有识别出条文：每条须另起一行，以“第一条”“第二条”……开头。")
    if len(articles) > MAX_ARTICLES:
        raise ArticleError(f"条文不能超过 {MAX_ARTICLES} 条。")
    for expected, article in enumerate(articles, start=1):
        if article["number"] != expected:
            before = f"{articles[expected - 2]['label']}之后" if expected > 1 else "开头"
            raise ArticleError(f"条文编号不连续：{before}是{article['label']}，请检查是否漏粘了条文。")
        if not article["lines"]:
            raise ArticleError(f"{article['label']}没有内容。")
    return [ParsedArticle(a["chapter"], a["section"], a["number"], a["label"], "\n".join(a["lines"])) for a in articles]

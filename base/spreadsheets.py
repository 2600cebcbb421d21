"""Cells of the CSV and Excel files people download."""


def spreadsheet_cell(value) -> str:
    """Text for a spreadsheet cell; never a formula (CSV / formula injection): citizens type
    titles and contents, and a cell starting with =, +, -, @, tab or CR would be run."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

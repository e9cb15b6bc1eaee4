"""CSV and XLSX export of any table, safe to open in a spreadsheet: a text cell that starts like a formula
(= + - @, tab or carriage return) is prefixed with an apostrophe so it is shown, never evaluated."""

import csv
import io
import re
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")


def neutralise(value):
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.match(text) and text != "-":
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def export_filename(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.now():%Y%m%d-%H%M}.{extension}"


def csv_response(rows, stem: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def generate():
        yield "\ufeff"  # Excel opens UTF-8 CSV correctly only with a byte-order mark
        for row in rows:
            yield writer.writerow([neutralise(v) for v in row])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(stem, "csv")}"'
    return response


def xlsx_response(rows, stem: str, title: str = "Export") -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename(stem, "xlsx")}"'
    return response

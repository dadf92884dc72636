"""A bill as a PDF invoice, written by hand (no Home Assistant imports).

The file is a small PDF 1.4: the standard Type1 fonts Helvetica and
Helvetica-Bold with WinAnsiEncoding (nothing embedded), uncompressed content
streams (the text can be extracted and tested), a classic xref table. Text
outside WinAnsi becomes "?", except the rupee sign, which is written "INR".
One page holds about 50 rows; a longer invoice continues on further pages.

Amounts on the invoice: slab and TOU rows show their exact amounts rounded
half-up to 2 decimals for display; then every line of ``Bill.lines`` in its
order, with its name and basis (``line_label``): "Energy charge" (its kWh),
"Fixed charge", "Electricity duty 6 % of energy charge + 0.10/kWh", "Fuel
adjustment 0.35/kWh", "Meter rent", "Minimum charge top-up", "Rebate (subsidy)
0.5/kWh" (negative), "Tax (18%)". Those lines and the total are the bill's own
(rounded) amounts, so the rows may differ from the energy charge by a cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from .tariff import CENT, Bill, BillLine, round_money

PAGE_WIDTH: Final = 595  # A4, points
PAGE_HEIGHT: Final = 842
MARGIN: Final = 50
BODY_SIZE: Final = 10
ROW_HEIGHT: Final = 15

# Helvetica / Helvetica-Bold advance widths (1/1000 em) of ASCII 32..126, from
# Adobe's AFM files; other characters count as 556 (only used for alignment).
_WIDTHS: Final = {
    False: (
        "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 "
        "556 556 556 556 556 556 556 556 278 278 584 584 584 556 1015 667 667 722 "
        "722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 722 "
        "667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 "
        "556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 "
        "500 334 260 334 584"
    ),
    True: (
        "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 "
        "556 556 556 556 556 556 556 556 333 333 584 584 584 611 975 722 722 722 "
        "722 667 611 778 722 278 556 722 611 833 722 778 667 778 722 667 611 722 "
        "667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 "
        "611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 "
        "500 389 280 389 584"
    ),
}
_ADVANCE: Final = {bold: tuple(map(int, row.split())) for bold, row in _WIDTHS.items()}

# Columns: label at the margin; kWh, rate and amount right-aligned at these x.
_KWH_X: Final = 340
_RATE_X: Final = 440
_AMOUNT_X: Final = PAGE_WIDTH - MARGIN


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """A row of the per-sensor table: a sensor's kWh and its share of the bill."""

    label: str
    kwh: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class _Cell:
    x: float
    text: str
    bold: bool = False
    size: float = BODY_SIZE
    right: bool = False  # x is the right edge


@dataclass(frozen=True, slots=True)
class _Row:
    cells: tuple[_Cell, ...]
    height: float = ROW_HEIGHT
    rule: bool = False  # a line under the row


def sensor_lines(bill: Bill, kwh_by_sensor: Mapping[str, Decimal]) -> list[InvoiceLine]:
    """Per-sensor rows sharing the bill's total in proportion to their kWh.

    Each share is rounded to the cent by the largest-remainder method, so the
    rows add up to ``bill.total`` exactly (ties go to the earlier sensor). With
    no energy at all nobody gets a share (each row 0.00; the fixed charge stays
    on the bill, as the ledger's ``share_by_energy`` does).
    """
    if any(kwh < 0 for kwh in kwh_by_sensor.values()):
        raise ValueError("sensor kWh must not be negative")
    if not kwh_by_sensor:
        return []
    names = list(kwh_by_sensor)
    weights = [Fraction(kwh_by_sensor[name]) for name in names]
    if not any(weights):
        return [
            InvoiceLine(name, kwh_by_sensor[name], Decimal(0) * CENT) for name in names
        ]
    cents = int(bill.total / CENT)
    exact = [cents * weight / sum(weights) for weight in weights]
    shares = [int(value) for value in exact]  # floor: all non-negative
    order = sorted(range(len(names)), key=lambda i: (shares[i] - exact[i], i))
    for index in order[: cents - sum(shares)]:
        shares[index] += 1
    return [
        InvoiceLine(name, kwh_by_sensor[name], Decimal(share) * CENT)
        for name, share in zip(names, shares, strict=True)
    ]


def render_invoice(
    bill: Bill,
    *,
    title: str,
    period: str,
    household: str,
    lines: Sequence[InvoiceLine] = (),
    notes: Sequence[str] = (),
) -> bytes:
    """The PDF bytes of an invoice for ``bill``.

    ``lines``: the per-sensor table (see ``sensor_lines``); ``notes``: free
    text printed under the total.
    """
    currency = _text(bill.currency)
    rows: list[_Row] = [
        _Row((_Cell(MARGIN, title, bold=True, size=18),), height=28),
        _Row((_Cell(MARGIN, f"Household: {household}"),)),
        _Row((_Cell(MARGIN, f"Period: {period}"),)),
        _Row((_Cell(MARGIN, f"Currency: {currency}"),), height=ROW_HEIGHT * 2),
    ]
    if lines:
        rows.append(_heading("Consumption by sensor"))
        rows.append(_header(("Sensor", "kWh", "", f"Amount ({currency})")))
        rows.extend(
            _columns(line.label, _kwh(line.kwh), "", _money(line.amount))
            for line in lines
        )
        rows.append(_Row((), height=ROW_HEIGHT))
    rows.append(_heading("Charges"))
    rows.append(_header(("Energy", "kWh", "Rate", f"Amount ({currency})")))
    for slab in bill.slab_lines:
        label = (
            f"Above {_number(slab.from_kwh)} kWh"
            if slab.to_kwh is None
            else f"{_number(slab.from_kwh)} - {_number(slab.to_kwh)} kWh"
        )
        rows.append(
            _columns(label, _kwh(slab.kwh), _rate(slab.rate), _money(slab.amount))
        )
    rows.extend(
        _columns(
            f"Time of use: {line.band}",
            _kwh(line.kwh),
            _rate(line.rate),
            _money(line.amount),
        )
        for line in bill.tou_lines
    )
    for number, line in enumerate(bill.lines, 1):
        row = _columns(
            line_label(line),
            "" if line.kwh is None else _kwh(line.kwh),
            "",
            _money(line.amount),
        )
        rows.append(_Row(row.cells, rule=number == len(bill.lines)))
    rows.append(
        _Row(
            (
                _Cell(MARGIN, "Total", bold=True, size=12),
                _Cell(
                    _AMOUNT_X,
                    f"{currency} {_money(bill.total)}",
                    bold=True,
                    size=12,
                    right=True,
                ),
            ),
            height=ROW_HEIGHT * 2,
        )
    )
    rows.extend(_Row((_Cell(MARGIN, note),)) for note in notes)
    return _document(_pages(rows), title)


def line_label(line: BillLine) -> str:
    """A bill line's name with its basis, as printed (see the module)."""
    match line.key:
        case "energy":
            return "Energy charge"
        case "fixed":
            return "Fixed charge"
        case "duty":
            basis = []
            if line.percent:
                basis.append(f"{_number(line.percent)} % of energy charge")
            if line.rate:
                basis.append(f"{_number(line.rate)}/kWh")
            return " ".join(["Electricity duty", " + ".join(basis)]).strip()
        case "fac":
            return _per_kwh("Fuel adjustment", line.rate)
        case "meter_rent":
            return "Meter rent"
        case "minimum":
            return "Minimum charge top-up"
        case "rebate":
            return _per_kwh("Rebate (subsidy)", line.rate)
        case "tax":
            return "Tax" if line.percent is None else f"Tax ({_number(line.percent)}%)"
    return line.key


def _per_kwh(name: str, rate: Decimal | None) -> str:
    return f"{name} {_number(rate)}/kWh" if rate else name


# --- Layout ------------------------------------------------------------------


def _heading(text: str) -> _Row:
    return _Row((_Cell(MARGIN, text, bold=True, size=12),), height=ROW_HEIGHT + 3)


def _header(texts: tuple[str, str, str, str]) -> _Row:
    return _Row(_columns(*texts, bold=True).cells, rule=True)


def _columns(
    label: str, kwh: str, rate: str, amount: str, *, bold: bool = False
) -> _Row:
    label = _fit(label, _KWH_X - 70 - MARGIN, bold=bold, size=BODY_SIZE)
    cells = [_Cell(MARGIN, label, bold=bold)]
    for x, text in ((_KWH_X, kwh), (_RATE_X, rate), (_AMOUNT_X, amount)):
        if text:
            cells.append(_Cell(x, text, bold=bold, right=True))
    return _Row(tuple(cells))


def _pages(rows: Iterable[_Row]) -> list[bytes]:
    pages: list[list[bytes]] = [[]]
    y: float = PAGE_HEIGHT - MARGIN
    for row in rows:
        if y - row.height < MARGIN and pages[-1]:
            pages.append([])
            y = PAGE_HEIGHT - MARGIN
        baseline = y - ROW_HEIGHT + 4
        for cell in row.cells:
            text = cell.text
            if cell.right:
                x = cell.x - _width(text, cell)
            else:
                x = cell.x
                text = _fit(
                    text, PAGE_WIDTH - MARGIN - x, bold=cell.bold, size=cell.size
                )
            font = b"/F2" if cell.bold else b"/F1"
            pages[-1].append(
                b"BT %s %s Tf 1 0 0 1 %s %s Tm %s Tj ET"
                % (font, _num(cell.size), _num(x), _num(baseline), _string(text))
            )
        if row.rule:
            under = _num(baseline - 4)
            pages[-1].append(
                b"0.5 w %s %s m %s %s l S"
                % (_num(MARGIN), under, _num(PAGE_WIDTH - MARGIN), under)
            )
        y -= row.height
    return [b"\n".join(ops) for ops in pages]


def _width(text: str, cell: _Cell) -> float:
    advance = _ADVANCE[cell.bold]
    units = sum(
        advance[byte - 32] if 32 <= byte <= 126 else 556 for byte in _encode(text)
    )
    return units * cell.size / 1000


def _fit(text: str, width: float, *, bold: bool, size: float) -> str:
    cell = _Cell(0, text, bold=bold, size=size)
    if _width(text, cell) <= width:
        return text
    while text and _width(f"{text}...", cell) > width:
        text = text[:-1]
    return f"{text}..."


# --- Formatting --------------------------------------------------------------


def _money(amount: Decimal) -> str:
    return f"{round_money(amount):,.2f}"


def _kwh(kwh: Decimal) -> str:
    return f"{kwh.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def _rate(rate: Decimal) -> str:
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return f"{rate:,f}"
    return f"{rate.quantize(CENT):,.2f}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _num(value: float) -> bytes:
    return f"{value:.2f}".rstrip("0").rstrip(".").encode()


def _text(text: str) -> str:
    return text.replace("\u20b9", "INR")


def _encode(text: str) -> bytes:
    cleaned = "".join(" " if ord(char) < 32 else char for char in _text(text))
    return cleaned.encode("cp1252", errors="replace")


def _string(text: str) -> bytes:
    data = _encode(text)
    data = data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + data + b")"


# --- The file ----------------------------------------------------------------


def _document(pages: list[bytes], title: str) -> bytes:
    """Objects 1 catalog, 2 page tree, 3-4 fonts, 5 info, then page + content."""
    kids = [6 + 2 * index for index in range(len(pages))]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % kid for kid in kids), len(pages)),
        _font(b"Helvetica"),
        _font(b"Helvetica-Bold"),
        b"<< /Title %s /Producer (Intelergy) >>" % _string(title),
    ]
    for kid, content in zip(kids, pages, strict=True):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, kid + 1)
        )
        objects.append(
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _font(name: bytes) -> bytes:
    return (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
        % name
    )

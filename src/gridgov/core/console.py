"""Tables printed by the import commands (gridgov places/people/departments import)."""


def width(text):
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_table(out, rows, last=8):
    """Write rows of text cells, a header first, in aligned columns; the last column is
    left ragged and its rule under the header is `last` dashes long."""
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for i, row in enumerate(rows):
        cells = [row[c] + " " * (widths[c] - width(row[c])) for c in range(len(widths))]
        out.write("  ".join([*cells, row[-1]]))
        if i == 0:
            out.write("  ".join("-" * w for w in [*widths, last]))

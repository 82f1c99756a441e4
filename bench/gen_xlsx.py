#!/usr/bin/python3
"""Writes the XLSX workbook of the bulk-import benchmark (bench/import.sh).

    /usr/bin/python3 bench/gen_xlsx.py --csv CONTACTS.csv --rows 100000 --out FILE.xlsx

Debian's python3 (python3-openpyxl), not a pyenv one. The rows are the first
--rows contact rows of the CSV written by bench/gen_contacts, so the two files
hold the same customers and the XLSX needs no generator of its own. The cells
are typed as a spreadsheet user would have them: the payment delay and the
main-contact flag are numbers, postal codes stay text ("01000"), empty fields
are empty cells, and an extra last column "Date de création" holds real dates
(derived from the customer's number). openpyxl's write-only workbook streams
the rows, so memory stays flat.

Deterministic contents for a given CSV; the zip entries carry the time of the
run, like any saved workbook.
"""

import argparse
import csv
import datetime
import sys
import time

from openpyxl import Workbook

NUMBER_COLUMNS = ("Délai de paiement", "Contact principal")
CREATION_DATE_HEADER = "Date de création"
FIRST_CREATION_DATE = datetime.date(2012, 1, 1)
CREATION_DATE_SPAN_DAYS = 4700  # up to late 2024


def creation_date(external_id):
    """A customer's creation date, spread over the span by its number."""
    number = int(external_id.lstrip("C"))
    return FIRST_CREATION_DATE + datetime.timedelta(days=number * 7919 % CREATION_DATE_SPAN_DAYS)


def typed_cells(record, number_indexes):
    for index, text in enumerate(record):
        if text == "":
            yield None
        elif index in number_indexes:
            yield int(text)
        else:
            yield text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", required=True, help="contact CSV written by gen_contacts")
    parser.add_argument("--rows", type=int, default=100_000, help="data rows to write")
    parser.add_argument("--out", required=True, help="XLSX file to write")
    args = parser.parse_args()

    start = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Clients")
    written = 0
    # utf-8-sig drops the BOM; newline="" keeps quoted line breaks in fields.
    with open(args.csv, encoding="utf-8-sig", newline="") as source:
        records = csv.reader(source, delimiter=";")
        header = next(records)
        sheet.append(header + [CREATION_DATE_HEADER])
        number_indexes = {header.index(name) for name in NUMBER_COLUMNS}
        for record in records:
            if written == args.rows:
                break
            sheet.append(list(typed_cells(record, number_indexes)) + [creation_date(record[0])])
            written += 1
    if written < args.rows:
        sys.exit(f"gen_xlsx: {args.csv} has only {written} data rows, {args.rows} asked")
    workbook.save(args.out)
    print(f"gen_xlsx: wrote {args.out}: {written} rows in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()

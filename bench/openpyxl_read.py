#!/usr/bin/python3
"""Reads a workbook with openpyxl, the peer of bench/read_rows (bench/import.sh).

    /usr/bin/python3 bench/openpyxl_read.py FILE.xlsx

Debian's python3 (python3-openpyxl). Opens FILE read-only, as a Python
importer would for a big file, iterates every row of the active sheet as
values, and prints read_rows's line on stdout:

    rows=N cells=N bytes=FILE_BYTES seconds=S mb_per_s=X

rows counts every row, the header included; cells counts the non-empty cells
(openpyxl pads rows to the sheet's width with None, read_rows does not, so
only non-empty cells compare); MB are 10^6 bytes of the file. The time runs
from opening to the last row, interpreter start-up excluded.
"""

import os
import sys
import time

from openpyxl import load_workbook


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: openpyxl_read.py FILE.xlsx")
    path = sys.argv[1]
    file_bytes = os.path.getsize(path)
    start = time.perf_counter()
    workbook = load_workbook(path, read_only=True)
    rows = cells = 0
    for row in workbook.active.iter_rows(values_only=True):
        rows += 1
        cells += sum(1 for value in row if value is not None and value != "")
    workbook.close()
    seconds = time.perf_counter() - start
    print(f"rows={rows} cells={cells} bytes={file_bytes} seconds={seconds:.3f} "
          f"mb_per_s={file_bytes / 1e6 / seconds:.1f}")


if __name__ == "__main__":
    main()

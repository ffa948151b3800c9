"""Reading own-format spreadsheets through a mapping vs the template (issue 18), and a workbook
full of unique shared strings (issue 20, item 11).

Writes N server rows (default 50,000) as: our template (.xlsx), an own-format .xlsx (a title
block, Danish headers, Nordic numbers, read through a mapping), and the same own format as
.ods and .xls (LibreOffice converts; skipped without it). Times `read_any` for each (median of
--repeat runs, in-process, after the file is written) and prints the ratio own/template.
`--strings` also writes a workbook of that many unique shared strings (raw XML, the shape
of the issue-20 probe) and times opening and reading it.

Run: .venv/bin/python benchmarks/spreadsheet_speed.py [--rows 50000] [--repeat 3]
     [--strings 1500000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from inventories.detect import read_any  # noqa: E402
from inventories.mapping import load_mapping  # noqa: E402
from inventories.schema import SHEETS  # noqa: E402
from inventories.template import write_workbook  # noqa: E402
from inventories.workbook import Limits  # noqa: E402

MAPPING = """[[sheets]]
sheet = "Serveroversigt"
kind = "servers"
[sheets.columns]
"Servernavn" = "name"
"Forretningskritisk" = "criticality"
[sheets.values.criticality]
"Ja" = "critical"
"Nej" = ""
"""


def servers(rows: int) -> list[dict[str, object]]:
    rng = random.Random(18)
    return [
        dict(
            name=f"SRV-{i:06d}",
            os="Windows Server",
            os_version="2019",
            virtual="yes",
            vcpu=rng.choice([2, 4, 8]),
            ram_gb=rng.choice([8, 16, 32]),
            storage_gb=rng.randint(50, 900),
            environment=rng.choice(["prod", "test", "dev"]),
            ip=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
            owner=f"Team {i % 40}",
        )
        for i in range(rows)
    ]


def template(folder: Path, data: list[dict[str, object]]) -> Path:
    columns = next(s for s in SHEETS if s.name == "Servers").columns
    rows = {
        "Municipality": [["Nordby"]],
        "Servers": [[r.get(c.name) for c in columns] for r in data],
    }
    return write_workbook(folder / "template.xlsx", rows)


def own(folder: Path, data: list[dict[str, object]]) -> Path:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Serveroversigt")
    sheet.append(["Serveroversigt – Nordby Kommune"])
    sheet.append([])
    sheet.append(
        [
            "Servernavn",
            "Operativsystem",
            "Version",
            "Virtuel",
            "vCPU",
            "RAM (GB)",
            "Disk",
            "Miljø",
            "IP-adresse",
            "Ejer",
            "Forretningskritisk",
        ]
    )
    env = {"prod": "Produktion", "test": "Test", "dev": "Udvikling"}
    for r in data:
        sheet.append(
            [
                r["name"],
                r["os"],
                r["os_version"],
                "Ja",
                r["vcpu"],
                f"{r['ram_gb']},0",
                f"{r['storage_gb']} GB",
                env[str(r["environment"])],
                r["ip"],
                r["owner"],
                "Ja" if r["vcpu"] == 8 else "Nej",
            ]
        )
    path = folder / "own.xlsx"
    book.save(path)
    return path


def convert(path: Path, suffix: str, folder: Path) -> Path | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--convert-to",
            suffix,
            "--outdir",
            str(folder),
            str(path),
        ],
        capture_output=True,
        timeout=1800,
    )
    converted = folder / f"{path.stem}.{suffix}"
    return converted if converted.exists() else None


def timed(path: Path, mapping: Path | None, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        inventory = read_any(
            path, municipality="Nordby", mapping=load_mapping(mapping) if mapping else None
        )
        times.append(time.perf_counter() - start)
        count = len(inventory.items)
    return statistics.median(times), count


def shared_strings(folder: Path, count: int) -> Path:
    """A workbook whose cells are all unique shared strings (random text: compresses ~4-5:1)."""
    rng = random.Random(20)
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789 -_."
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    phrases = [
        f"Serveren kører {word} for afdelingen "
        for word in ("løn", "ESDH", "skole", "økonomi", "omsorg")
    ]
    path = folder / "strings.xlsx"
    columns = 10
    office = "http://schemas.openxmlformats.org"
    main = f'xmlns="{office}/spreadsheetml/2006/main"'
    rel = f"{office}/officeDocument/2006/relationships"
    types = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types xmlns="{office}/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{types}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{types}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{types}.sharedStrings+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{office}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook {main} xmlns:r="{rel}"><sheets>'
            '<sheet name="Servers" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{office}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as handle:
            handle.write(
                f'<?xml version="1.0"?><sst {main} count="{count}" uniqueCount="{count}">'.encode()
            )
            for i in range(count):
                text = phrases[i % 5] + rng.randbytes(50).translate(table).decode()
                handle.write(f"<si><t>{i} {text}</t></si>".encode())
            handle.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            handle.write(f'<?xml version="1.0"?><worksheet {main}><sheetData>'.encode())
            for row in range(count // columns):
                cells = "".join(
                    f'<c r="{chr(65 + c)}{row + 1}" t="s"><v>{row * columns + c}</v></c>'
                    for c in range(columns)
                )
                handle.write(f'<row r="{row + 1}">{cells}</row>'.encode())
            handle.write(b"</sheetData></worksheet>")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--strings", type=int, default=0, help="unique shared strings for the item-11 workbook"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="spreadsheet-speed-"))
    try:
        data = servers(args.rows)
        mapping = folder / "map.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        base, base_count = timed(template(folder, data), None, args.repeat)
        print(f"rows {args.rows:,}  cpus {os.cpu_count()}  repeat {args.repeat} (median seconds)")
        print(f"template .xlsx            {base:7.2f} s  items {base_count:,}")
        own_path = own(folder, data)
        for label, path in (
            ("own .xlsx + mapping", own_path),
            ("own .ods + mapping", convert(own_path, "ods", folder)),
            ("own .xls + mapping", convert(own_path, "xls", folder)),
        ):
            if path is None:
                print(f"{label:25} skipped (LibreOffice not installed)")
                continue
            seconds, count = timed(path, mapping, args.repeat)
            print(
                f"{label:25} {seconds:7.2f} s  items {count:,}  ratio to template "
                f"{seconds / base:.2f}"
            )
        if args.strings:
            path = shared_strings(folder, args.strings)
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(m.file_size for m in archive.infolist())
            start = time.perf_counter()
            try:
                read_any(path, municipality="Nordby", format="template", limits=Limits.from_env())
                outcome = "read"
            except Exception as exc:  # noqa: BLE001  the outcome is the measurement
                outcome = f"refused: {str(exc)[:150]}"
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"shared strings {args.strings:,}: {path.stat().st_size / 2**20:.0f} MB, unpacked "
                f"{unpacked / 2**20:.0f} MB: {seconds:.1f} s, peak memory of this process "
                f"{peak:,.0f} MB; {outcome}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`planner mapping suggest`: write a commented mapping file for a user's own spreadsheet.

The command registers itself on the CLI app (`register(app, out)` in `planner/cli.py`), makes
one library call (`inventories.suggest.suggest_mapping`) and prints or writes its text;
`PlannerError`s reach `planner.cli.main`, which prints them as one sentence, exit code 1.
An existing output file is replaced only with `--force`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from exports.files import writable


def register(app: typer.Typer, out_console: Console) -> None:
    """Add the `planner mapping` command group to `app`."""
    mapping_app = typer.Typer(help="Mapping files for your own spreadsheets.", no_args_is_help=True)
    app.add_typer(mapping_app, name="mapping")

    @mapping_app.command("suggest")
    def suggest(
        file: Annotated[
            Path, typer.Argument(help="Your spreadsheet: .xlsx, .xlsm, .ods, .xls or .csv.")
        ],
        kind: Annotated[
            Optional[str],
            typer.Option(
                "--kind",
                "-k",
                help="What every sheet lists: sites, networks, directories, servers, applications "
                "or workplaces (default: guessed per sheet from its headers and name).",
            ),
        ] = None,
        output: Annotated[
            Optional[Path],
            typer.Option(
                "--output", "-o", help="Write the mapping to this file (default: print it)."
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite an existing output file.")
        ] = False,
    ) -> None:
        """Suggest a mapping file (TOML) that imports FILE: sheets, header rows, columns and values.

        Headers are matched through the template's Danish, Swedish and English names and close
        matches; every column that could not be mapped is listed with the reason, and value
        maps are proposed for enumeration values the import would not understand. Check the
        lines marked 'check', then import with --mapping.

        Example: planner mapping suggest Serveroversigt.xlsx -o map.toml
        Example: planner import Serveroversigt.xlsx --municipality Nordby --mapping map.toml
        """
        from inventories.suggest import suggest_mapping

        text = suggest_mapping(file, kind=kind, label=str(file))
        if output is None:
            out_console.print(text, markup=False, highlight=False, end="")
            return
        with writable(output, force) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        out_console.print(
            f"Wrote the suggested mapping to {output}; check it, then run: planner import {file} "
            f"--municipality NAME --mapping {output}",
            markup=False,
        )

"""`planner sources …`, `planner items` and `planner municipality rename`: the commands of
several sources per municipality (issue 17). Each opens the database, makes one library
call (`planner.source_admin`, `planner.items`) and prints; `PlannerError`s become one
sentence and exit code 1 in `planner.cli.main`. Names from files are printed as data
(markup=False), never interpreted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

Municipality = Annotated[
    str | None,
    typer.Option("--municipality", "-m", help="Only this municipality (case-insensitive)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _show(value: Any) -> str:
    return "" if value is None else str(value)


def register(app: typer.Typer, engine_factory: Callable[[], Any], out: Console) -> None:
    """Add `planner sources`, `planner items` and `planner municipality` to `app`."""
    sources_app = typer.Typer(
        help="The sources of each municipality and their precedence.", invoke_without_command=True
    )
    app.add_typer(sources_app, name="sources")
    municipality_app = typer.Typer(help="Municipality maintenance.", no_args_is_help=True)
    app.add_typer(municipality_app, name="municipality")
    _list_and_remove(sources_app, engine_factory, out)
    _order_and_conflicts(sources_app, engine_factory, out)
    _items(app, engine_factory, out)
    _municipality(municipality_app, engine_factory, out)


def _list_and_remove(
    sources_app: typer.Typer, engine_factory: Callable[[], Any], out: Console
) -> None:
    @sources_app.callback()
    def sources(
        ctx: typer.Context, municipality: Municipality = None, as_json: AsJson = False
    ) -> None:
        """List each source: name, format, file, imported at, the items and field values it
        gives, and its place in the precedence (descriptive, technical), with the order in force.

        Example: planner sources --municipality Nordby
        """
        if ctx.invoked_subcommand is not None:
            return
        from planner.source_admin import list_sources

        result = list_sources(engine_factory(), municipality)
        if as_json:
            print(json.dumps({"municipalities": result}, ensure_ascii=False, indent=2))
            return
        if not result:
            out.print("No sources: import a file with `planner import FILE`.", markup=False)
        for entry in result:
            _print_sources(out, entry)

    @sources_app.command("remove")
    def remove(
        name: Annotated[
            str, typer.Argument(help="The source's name, as `planner sources` shows it.")
        ],
        municipality: Annotated[
            str, typer.Option("--municipality", "-m", help="Its municipality.")
        ],
        force: Annotated[
            bool,
            typer.Option(
                "--force", help="Also remove the last source of a municipality a stored plan uses."
            ),
        ] = False,
    ) -> None:
        """Withdraw a source: the result equals never having imported it.

        Fields it gave fall back to the next source; items only it listed disappear.

        Example: planner sources remove rvtools:RVTools_export --municipality Nordby
        """
        from planner.source_admin import remove_source

        removed, changes = remove_source(engine_factory(), name, municipality, force=force)
        _print_changes(out, changes)
        out.print(f"Removed source {removed} of {municipality}: " + _tally(changes), markup=False)


def _order_and_conflicts(
    sources_app: typer.Typer, engine_factory: Callable[[], Any], out: Console
) -> None:
    @sources_app.command("order")
    def order(
        names: Annotated[
            list[str] | None,
            typer.Argument(
                help="Source names, best first; "
                "the others follow in the default order. None: back to the default."
            ),
        ] = None,
        municipality: Annotated[
            str, typer.Option("--municipality", "-m", help="Its municipality.")
        ] = "",
        field: Annotated[
            str | None,
            typer.Option(
                "--field", help="Only for this field (e.g. ram_gb, owner); default: every field."
            ),
        ] = None,
    ) -> None:
        """Set a municipality's own precedence of its sources, for every field or one.

        Example: planner sources order --municipality Nordby --field owner kitos:systems workbook:nordby
        """  # noqa: E501 (a command example stays one line)
        from exports.errors import PlannerError
        from planner.source_admin import set_order

        if not municipality.strip():
            raise PlannerError("name the municipality with --municipality NAME")
        changes = set_order(engine_factory(), municipality, list(names or []), field)
        _print_changes(out, changes)
        what = f"field {field}" if field else "every field"
        out.print(
            f"Precedence of {municipality} for {what}: "
            + (" > ".join(names) + " > the rest by default" if names else "the default")
            + f"; {_tally(changes)}",
            markup=False,
        )

    @sources_app.command("conflicts")
    def conflicts(municipality: Municipality = None, as_json: AsJson = False) -> None:
        """List the fields on which sources disagree, the value in force and the others.

        Example: planner sources conflicts --municipality Nordby --json
        """
        from planner.source_admin import conflicts as find

        found = find(engine_factory(), municipality)
        if as_json:
            print(
                json.dumps(
                    {"conflicts": [c.as_dict() for c in found]},
                    ensure_ascii=False,
                    indent=2,
                    default=str,
                )
            )
            return
        table = Table("item", "field", "in force", "source", "others")
        for c in found:
            table.add_row(
                c.item,
                c.field,
                _show(c.value),
                c.source,
                "; ".join(f"{s}: {_show(v)}" for s, v in c.others),
            )
        if found:
            out.print(table)
        out.print(f"{len(found)} conflict(s)", markup=False)


def _items(app: typer.Typer, engine_factory: Callable[[], Any], out: Console) -> None:
    @app.command("items")
    def items(
        item: Annotated[
            str | None,
            typer.Argument(
                help="One item id (municipality/kind/name): every source's value for it."
            ),
        ] = None,
        municipality: Municipality = None,
        kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only this kind.")] = None,
        source: Annotated[
            str | None, typer.Option("--source", help="Only items this source lists.")
        ] = None,
        as_json: AsJson = False,
        csv_file: Annotated[
            Path | None,
            typer.Option(
                "--csv", help="Write one row per item and field (with its source) to this CSV file."
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite an existing CSV file.")
        ] = False,
    ) -> None:
        """List items with their effective fields and the source each value came from.

        Example: planner items --municipality Nordby --kind server --source rvtools:RVTools_export
        Example: planner items Nordby/server/NB-APP-007 --json
        """
        from planner.items import item_detail, list_items, write_csv

        if item is not None:
            detail = item_detail(engine_factory(), item)
            if as_json:
                print(json.dumps(detail, ensure_ascii=False, indent=2, default=str))
            else:
                _print_detail(out, detail)
            return
        found = list_items(engine_factory(), municipality, kind, source)
        if as_json:
            # one item per line, compact: fast for 50,000 items, and still diffable
            print(
                '{"items": ['
                + ",\n".join(json.dumps(i, ensure_ascii=False, default=str) for i in found)
                + "]}"
            )
        elif csv_file is not None:
            rows = write_csv(found, csv_file, force)
            out.print(f"Wrote {len(found)} item(s), {rows} value(s) to {csv_file}", markup=False)
        else:
            table = Table("id", "sources", "fields")
            for entry in found:
                table.add_row(
                    entry["id"],
                    ", ".join(entry["sources"]),
                    "; ".join(
                        f"{k}={_show(v)} ({entry['from'].get(k, '')})"
                        for k, v in entry["fields"].items()
                    ),
                )
            out.print(table)
            out.print(f"{len(found)} item(s)", markup=False)


def _municipality(
    municipality_app: typer.Typer, engine_factory: Callable[[], Any], out: Console
) -> None:
    @municipality_app.command("rename")
    def rename(
        old: Annotated[str, typer.Argument(help="The stored name (case-insensitive).")],
        new: Annotated[str, typer.Argument(help="The new name.")],
    ) -> None:
        """Rename a municipality on purpose; plans, pins and references follow.

        Re-importing a file that spells the name differently (TESTBY for Testby) keeps the
        stored name, so ids in plans and pins stay valid; this command renames.

        Example: planner municipality rename Testby "Testby Kommune"
        """
        from planner.source_admin import rename_municipality

        moved = rename_municipality(engine_factory(), old, new)
        out.print(
            f"Renamed {old} to {new}; updated "
            + ", ".join(f"{n} {what}" for what, n in moved.items()),
            markup=False,
        )


def _print_detail(out: Console, detail: dict[str, Any]) -> None:
    names = [c["source"] for c in detail["claims"]]
    table = Table("field", "in force", "from", *names, title=detail["id"])
    fields = sorted({f for c in detail["claims"] for f in c["fields"]} | set(detail["fields"]))
    for field in fields:
        table.add_row(
            field,
            _show(detail["fields"].get(field)),
            detail["from"].get(field, ""),
            *(_show(c["fields"].get(field)) for c in detail["claims"]),
        )
    out.print(table)
    for claim in detail["claims"]:
        row = f", row {claim['row']}" if claim["row"] else ""
        out.print(
            f"  {claim['source']}: {claim['file']}{row}, seen since {claim['seen_at']}",
            markup=False,
        )


def _print_sources(out: Console, entry: dict[str, Any]) -> None:
    table = Table(
        "source",
        "format",
        "file",
        "imported at",
        "items",
        "fields",
        "descriptive",
        "technical",
        title=entry["municipality"],
    )
    for s in entry["sources"]:
        place = s["precedence"] or {"descriptive": "—", "technical": "—"}  # a capture has none
        items = str(s["items"]) if "dependencies" not in s else f"{s['dependencies']} observed"
        table.add_row(
            s["name"],
            s["format"],
            _show(s["file"]),
            s["imported_at"],
            items,
            str(s["fields"]),
            str(place["descriptive"]),
            str(place["technical"]),
        )
    out.print(table)
    order = entry["order"]
    out.print(f"  descriptive fields: {' > '.join(order['descriptive'])}", markup=False)
    out.print(f"  technical fields:   {' > '.join(order['technical'])}", markup=False)
    for field, names in order["overrides"].items():
        out.print(
            f"  own order for {'every field' if field == '*' else field}: {' > '.join(names)}",
            markup=False,
        )


def _print_changes(out: Console, changes: list[Any]) -> None:
    for change in changes:
        detail = "; ".join(
            f"{f}: {_show(old)} → {_show(new)}" for f, (old, new) in change.fields.items()
        )
        out.print(
            f"  {change.action} {change.kind} {change.name}" + (f" ({detail})" if detail else ""),
            markup=False,
        )


def _tally(changes: list[Any]) -> str:
    counts = {
        action: sum(1 for c in changes if c.action == action)
        for action in ("created", "updated", "removed")
    }
    return ", ".join(f"{n} {action}" for action, n in counts.items())

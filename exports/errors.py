"""Errors that reach the user as one sentence (the CLI prints them and exits 1)."""


class PlannerError(Exception):
    """A problem the user can fix; its message is shown as is."""


class ImportFailed(PlannerError):
    """An import found problems; `problems` holds one `FILE:SHEET!CELL: message` line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class NoDatabase(PlannerError):
    """`open_database(create=False)` found no planner schema at the given location."""

"""The progress of a batch on stderr: a rich bar when stderr is a terminal, and the failure lines.

Failures are one JSON line each on stderr whether or not the bar shows; with the bar they are printed
above it, unwrapped and unstyled, so a terminal shows the same lines a pipe would get.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, Task, TaskID


class Display:
    """Done/total, rate, ETA and failures so far (when ``enabled``); failure lines always."""

    def __init__(self, err: TextIO, *, total: int, enabled: bool, description: str = "reports") -> None:
        self.err, self.total, self.enabled, self.description = err, total, enabled, description
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Display:
        if self.enabled:
            self._start()
        return self

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            """Reports per second, over rich's recent window."""

            def render(self, task: Task) -> Text:
                return Text(f"{task.speed:.1f}/s" if task.speed else "-/s", style="cyan")

        console = Console(file=self.err, stderr=True)
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Rate(),
                                  TextColumn("eta"), TimeRemainingColumn(), TimeElapsedColumn(),
                                  TextColumn("[red]{task.fields[failed]} failed"), console=console,
                                  transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=self.total, failed=0)

    def advance(self, *, failed: int) -> None:
        """One more done; ``failed`` so far."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, failed=failed)

    def failure(self, line: str) -> None:
        """One failure's JSON line on stderr (above the bar when it shows)."""
        if self._progress is not None:
            self._progress.console.out(line, highlight=False)
        else:
            self.err.write(line + "\n")
            self.err.flush()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

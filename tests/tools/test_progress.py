"""streams/tools/progress.py: a bar for a person at a terminal, nothing in piped or captured output."""
import io
import sys

from streams.tools.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_a_bar(monkeypatch):
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert list(progress(range(5), 5, "articles")) == [0, 1, 2, 3, 4]
    assert "articles:" in screen.getvalue() and "/5" in screen.getvalue()  # cleared when done (leave=False)


def test_piped_output_stays_clean(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    assert list(progress(iter("abc"), 3, "articles")) == ["a", "b", "c"]
    assert piped.getvalue() == ""

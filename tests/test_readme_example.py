"""The README's "Testing your bot" example is examples/test_taker_bot.py, which the suite runs (testpaths)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_shows_the_example_that_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / "examples" / "test_taker_bot.py").read_text()

    section = readme.split("## Testing your bot", 1)[1]
    shown = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert shown == example

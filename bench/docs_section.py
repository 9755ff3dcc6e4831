"""Write one benchmark's section of docs/benchmarks.md, leaving the other sections as they are."""

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(section, start, end, path=DOCS):
    """Replace the text between the ``start`` and ``end`` markers (which ``section`` carries),
    or append the section when the markers are not there yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = section.strip("\n")
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)

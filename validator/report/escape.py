"""Escaping of every string that comes from data or a spec, for each language the report is written in.

A column name, a category label, a file name or a spec title can hold
characters that mean something to a renderer: ``<script>`` to a browser,
``#set page(...)`` to Typst, ``*``, ``|`` or ``[`` to Markdown, ``$`` to
matplotlib's mathtext. Everything the report writes from data goes through one
of these functions, so such a string always comes out as the text it is.

- :func:`md` for Pandoc/Quarto Markdown text (tables, paragraphs, headings);
- :func:`md_code` for Markdown inline code;
- :func:`yaml_md` for a YAML front-matter value that Pandoc reads as Markdown;
- :func:`html` for raw HTML;
- :func:`typst_string` and :func:`typst_markup` for raw Typst;
- :func:`mpl` for matplotlib text;
- :func:`safe_name` for a file or folder name.
"""

from __future__ import annotations

import html as _html
import re
import string
import unicodedata

# Every ASCII punctuation character may be backslash-escaped in Pandoc Markdown
# (extension all_symbols_escapable), and escaping all of them is the only way
# to be sure none starts markup: emphasis, links, raw HTML, attributes, shortcodes
# ({{< >}}), citations (@), math ($), footnotes (^[]), smart quotes.
_MD_SPECIAL = frozenset(string.punctuation)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _one_line(text: str) -> str:
    """Control characters removed and line breaks folded to spaces: a label stays one line."""
    text = _CONTROL.sub("", str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " "))
    return text


def md(text: object) -> str:
    """``text`` as literal Markdown text: every ASCII punctuation character backslash-escaped.

    Line breaks become spaces (a table cell or heading must stay on one line) and
    runs of spaces collapse to one. Example: ``md("<b>|x")`` is
    ``"\\<b\\>\\|x"``, which Pandoc renders as the text ``<b>|x`` in HTML, Typst
    and PDF alike.
    """
    raw = re.sub(r" {2,}", " ", _one_line(str(text))).strip(" ")
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in raw)


# Quarto expands shortcodes ({{< include x >}}, {{< env HOME >}}, {{% ... %}}) even
# inside inline code, before Pandoc sees the text.
_SHORTCODE = re.compile(r"\{\{\s*[<%]")


def md_code(text: object) -> str:
    """``text`` as Markdown inline code, fenced with enough backticks to hold any run inside it.

    Text that holds a Quarto shortcode opening (``{{<`` or ``{{%``) cannot be code,
    since Quarto would expand it there; it becomes escaped text (:func:`md`) in a
    span of class ``code`` instead, which shows the same characters.
    """
    raw = _one_line(str(text))
    if _SHORTCODE.search(raw):
        return f"[{md(raw)}]{{.code}}"
    longest = max((len(run) for run in re.findall(r"`+", raw)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if raw.startswith("`") or raw.endswith("`") or not raw else ""
    return f"{fence}{pad}{raw}{pad}{fence}"


def yaml_md(text: object) -> str:
    """A YAML single-quoted scalar whose content is :func:`md` of ``text`` (front-matter titles)."""
    return "'" + md(text).replace("'", "''") + "'"


def yaml_plain(text: object) -> str:
    """A YAML single-quoted scalar holding ``text`` verbatim (values Pandoc does not read as Markdown)."""
    return "'" + _one_line(str(text)).replace("'", "''") + "'"


def html(text: object) -> str:
    """``text`` for raw HTML content or a quoted attribute value (``& < > " '`` as entities)."""
    return _html.escape(str(text), quote=True)


def typst_string(text: object) -> str:
    """``text`` as a Typst string literal, quotes included: ``"a \\"b\\""``."""
    body = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{body}"'


def typst_markup(text: object) -> str:
    """``text`` for raw Typst markup: shown as the text it is, never evaluated.

    Typst lets a backslash escape any character, so every ASCII punctuation
    character is escaped, as for Markdown: ``#``, ``[``, ``$``, ``*``, ``_``,
    ``<``, ``@``, ``=`` and the rest can then start no markup.
    """
    raw = _one_line(str(text))
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in raw)


def mpl(text: object) -> str:
    """``text`` for a matplotlib label: ``$`` escaped so mathtext never starts, one line."""
    return _one_line(str(text)).replace("$", r"\$")


def safe_name(text: object, fallback: str = "run") -> str:
    """A file or folder name from ``text``: the stem of a path, ASCII letters, digits, ``.-_`` only.

    Example: ``safe_name("/data/sim run#1.csv")`` is ``"sim_run_1"``.
    """
    raw = str(text).replace("\\", "/").rsplit("/", 1)[-1]
    stem = raw.rsplit(".", 1)[0] if "." in raw.strip(".") else raw
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text).strip("._-")
    return name[:80] or fallback

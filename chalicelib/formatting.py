"""Agent Markdown to WhatsApp formatting, and splitting long texts to fit message limits."""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

# Emphasis becomes these private-use markers first, so that a converted `**bold**` (now single
# asterisks) cannot be taken for Markdown italic by a later rule.
_BOLD, _ITALIC, _STRIKE = "\ue001", "\ue002", "\ue003"
_MARKERS = str.maketrans({_BOLD: "*", _ITALIC: "_", _STRIKE: "~"})

# Code, URLs and escaped characters are swapped for one private-use character each (indexing a
# list) and put back at the end, so no Markdown rule can touch what is inside them. The plane
# holds 65,534 of them, far more than a chat message's few kilobytes can need.
_PROTECTED_FIRST = 0xF0000
_PROTECTED = re.compile("[\U000F0000-\U000FFFFD]")

_FENCED_CODE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^`\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)",
                          re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]*\))+)>?"
                   r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+)>", re.IGNORECASE)
# Trailing punctuation and emphasis delimiters belong to the sentence around a bare URL.
_BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?\"')\]*_~]", re.IGNORECASE)

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[*+-][ \t]+", re.MULTILINE)
# Only entities closed by `;`: html.unescape alone also expands `&copy` in `?a=1&copy=2`.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _emphasis(delimiter: str, intraword: bool) -> re.Pattern[str]:
    """`delimiter`…`delimiter` hugging non-space text on one line, as CommonMark reads it."""
    mark = re.escape(delimiter)
    char = re.escape(delimiter[0])
    outside = char if intraword else rf"\w{char}"
    return re.compile(rf"(?<![{outside}]){mark}(?=[^\s{char}])(.+?)(?<=[^\s{char}]){mark}(?![{outside}])")


# CommonMark lets `*` emphasise inside a word but not `_`, which keeps snake_case_words intact.
_STRONG_EMPHASIS = [_emphasis("***", True), _emphasis("___", False)]
_STRONG = [_emphasis("**", True), _emphasis("__", False)]
_EMPHASIS = [_emphasis("*", True), _emphasis("_", False)]
_STRIKETHROUGH = _emphasis("~~", True)


def markdown_to_whatsapp(markdown: str) -> str:
    """Convert the Markdown that Connect agents write (`text/markdown`) to WhatsApp formatting."""
    protected: list[str] = []

    def protect(text: str) -> str:
        protected.append(text)
        return chr(_PROTECTED_FIRST + len(protected) - 1)

    def restore(match: re.Match[str]) -> str:
        index = ord(match.group()) - _PROTECTED_FIRST
        if index >= len(protected):
            return match.group()
        # A protected URL can hold an escaped character protected before it.
        return _PROTECTED.sub(restore, protected[index])

    text = _FENCED_CODE.sub(lambda m: protect(_code_block(m.group(2))), markdown)
    text = _INLINE_CODE.sub(lambda m: protect(_inline_code(m.group(1), m.group(2))), text)
    text = _ESCAPED.sub(lambda m: protect(m.group(1)), text)
    text = _LINK.sub(lambda m: _link(m.group(1), m.group(2), protect), text)
    text = _AUTOLINK.sub(lambda m: protect(m.group(1)), text)
    text = _BARE_URL.sub(lambda m: protect(m.group()), text)
    text = _HEADING.sub(lambda m: _heading(m.group(1)), text)
    text = _BULLET.sub(r"\1- ", text)
    text = _PROTECTED.sub(restore, _inline_emphasis(text).translate(_MARKERS))
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text)


def _code_block(code: str) -> str:
    code = code.removesuffix("\n")
    return f"```{code}```"


def _inline_code(ticks: str, code: str) -> str:
    # WhatsApp has only two code styles: ``` for a block and ` inline.
    return f"```{code}```" if len(ticks) >= 3 else f"`{code}`"


def _link(label: str, url: str, protect: Callable[[str], str]) -> str:
    label = label.strip()
    if not label or label == url:
        return protect(url)
    return f"{label} ({protect(url)})"


def _heading(title: str) -> str:
    # WhatsApp has no headings, so the whole title turns bold; bold inside it would end that early.
    for pattern in _STRONG_EMPHASIS + _STRONG:
        title = pattern.sub(r"\1", title)
    return f"{_BOLD}{title}{_BOLD}" if title else ""


def _inline_emphasis(text: str) -> str:
    for pattern in _STRONG_EMPHASIS:
        text = pattern.sub(rf"{_BOLD}{_ITALIC}\1{_ITALIC}{_BOLD}", text)
    for pattern in _STRONG:
        text = pattern.sub(rf"{_BOLD}\1{_BOLD}", text)
    for pattern in _EMPHASIS:
        text = pattern.sub(rf"{_ITALIC}\1{_ITALIC}", text)
    return _STRIKETHROUGH.sub(rf"{_STRIKE}\1{_STRIKE}", text)


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_LINE_BREAK = re.compile(r"\n")
_WHITESPACE = re.compile(r"\s")
_ZERO_WIDTH_JOINER = "\u200d"


def split_text(text: str, max_chars: int, max_bytes: int | None = None) -> list[str]:
    """Split `text` into chunks of at most `max_chars` characters and `max_bytes` UTF-8 bytes.

    Nothing is dropped but the whitespace at each cut. Cuts prefer a paragraph break, then a line
    break, then any whitespace; a word is cut only when it alone exceeds the limits.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if max_bytes is not None and max_bytes < 4:
        raise ValueError("max_bytes must be at least 4, the size of the longest UTF-8 character")
    if not text.strip():
        return []
    if _fits(text, max_chars, max_bytes):
        return [text]
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        limit = _longest_fitting_prefix(rest, max_chars, max_bytes)
        if limit == len(rest):
            chunks.append(rest)
            break
        end = _cut(rest, limit)
        chunks.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    return chunks


def _fits(text: str, max_chars: int, max_bytes: int | None) -> bool:
    return len(text) <= max_chars and (max_bytes is None or len(text.encode("utf-8")) <= max_bytes)


def _longest_fitting_prefix(text: str, max_chars: int, max_bytes: int | None) -> int:
    limit = min(len(text), max_chars)
    if max_bytes is None:
        return limit
    size = 0
    for index, char in enumerate(text[:limit]):
        size += len(char.encode("utf-8"))
        if size > max_bytes:
            return index
    return limit


def _cut(text: str, limit: int) -> int:
    """Where to end a chunk of at most `limit` characters; `text` starts with a non-space."""
    # One character past the limit: whitespace there can be dropped without shortening the chunk.
    window = text[:limit + 1]
    for separator in (_PARAGRAPH_BREAK, _LINE_BREAK, _WHITESPACE):
        last = None
        for match in separator.finditer(window):
            if 0 < match.start() <= limit:
                last = match
        if last is not None:
            return last.start()
    return _grapheme_safe_end(text, limit)


def _grapheme_safe_end(text: str, limit: int) -> int:
    # Step back out of an emoji ZWJ sequence, a skin tone, a flag or an accent so the glyph stays
    # whole; if the whole window is one such cluster, cutting it is the only way forward.
    end = limit
    while end > 0 and (_joins_previous(text[end]) or text[end - 1] == _ZERO_WIDTH_JOINER
                       or _inside_flag(text, end)):
        end -= 1
    return end or limit


def _inside_flag(text: str, end: int) -> bool:
    # A flag is a pair of regional indicators, so an odd run of them before the cut halves one.
    run = 0
    while run < end and _is_regional_indicator(text[end - 1 - run]):
        run += 1
    return run % 2 == 1 and _is_regional_indicator(text[end])


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _joins_previous(char: str) -> bool:
    code = ord(char)
    return (char == _ZERO_WIDTH_JOINER
            or unicodedata.category(char) in ("Mn", "Mc", "Me")  # accents and vowel signs
            or 0xFE00 <= code <= 0xFE0F  # variation selectors, e.g. the emoji-style U+FE0F
            or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
            or 0xE0020 <= code <= 0xE007F  # tag characters of subdivision flags
            or code == 0x20E3)  # combining keycap

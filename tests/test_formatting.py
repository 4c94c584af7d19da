"""Agent Markdown as WhatsApp formatting, and long texts split to fit message limits."""
from __future__ import annotations

import json

import pytest

from chalicelib.formatting import markdown_to_whatsapp, split_text
from tests.repository import load_event


def test_connect_agent_markdown_sample():
    record = load_event("connect-agent-markdown")["Records"][0]
    content = json.loads(record["Sns"]["Message"])["Content"]
    assert markdown_to_whatsapp(content) == (
        "*Order 4521* is _on its way_.\n"
        "\n"
        "- Shipped: November 10\n"
        "- Carrier: Example Post\n"
        "\n"
        "Track it here: tracking page (https://www.example.com/track/4521)")


@pytest.mark.parametrize(("markdown", "expected"), [
    # emphasis
    ("**bold**", "*bold*"),
    ("__bold__", "*bold*"),
    ("*italic*", "_italic_"),
    ("_italic_", "_italic_"),
    ("***both***", "*_both_*"),
    ("~~struck~~", "~struck~"),
    ("**bold** then *italic*", "*bold* then _italic_"),
    ("**bold with *italic* inside**", "*bold with _italic_ inside*"),
    ("*a* *b*", "_a_ _b_"),
    ("un**frigging**believable", "un*frigging*believable"),
    # code
    ("run `pip install a_b*c*` now", "run `pip install a_b*c*` now"),
    ("```python\nvalue = a_b * c\n**not bold**\n```\nafter *it*",
     "```value = a_b * c\n**not bold**```\nafter _it_"),
    ("~~~\n[x](https://y.z)\n~~~", "```[x](https://y.z)```"),
    ("```already whatsapp```", "```already whatsapp```"),
    # links
    ("[tracking page](https://www.example.com/track/4521)",
     "tracking page (https://www.example.com/track/4521)"),
    ("[https://example.com](https://example.com)", "https://example.com"),
    ("[**Pay**](https://pay.example.com/a_b_c)", "*Pay* (https://pay.example.com/a_b_c)"),
    ("[wiki](https://en.wikipedia.org/wiki/Snake_(zoology))",
     "wiki (https://en.wikipedia.org/wiki/Snake_(zoology))"),
    ('[docs](https://example.com/d "Title")', "docs (https://example.com/d)"),
    ("<https://example.com/_x_>", "https://example.com/_x_"),
    # headings
    ("# Title", "*Title*"),
    ("## Your **new** order ##", "*Your new order*"),
    ("### With *emphasis*", "*With _emphasis_*"),
    ("#hashtag", "#hashtag"),
    # lists and quotes
    ("* one\n+ two\n- three", "- one\n- two\n- three"),
    ("* top\n  * nested\n    + deeper", "- top\n  - nested\n    - deeper"),
    ("* *italic* item", "- _italic_ item"),
    ("1. first\n2. second", "1. first\n2. second"),
    ("> quoted *text*", "> quoted _text_"),
    ("&gt; quoted", "> quoted"),
    # HTML entities
    ("Tom &amp; Jerry &lt;3 &#128512;", "Tom & Jerry <3 😀"),
    ("&copy without semicolon", "&copy without semicolon"),
    # things that must not be mangled
    ("snake_case_words stay", "snake_case_words stay"),
    ("my_var and other_var_name", "my_var and other_var_name"),
    ("ana_souza@example.com", "ana_souza@example.com"),
    ("see https://example.com/a_b_c/*x*/d_e?q=1&copy=2.",
     "see https://example.com/a_b_c/*x*/d_e?q=1&copy=2."),
    ("**https://example.com/a_b**", "*https://example.com/a_b*"),
    ("5 * 3 * 2", "5 * 3 * 2"),
    ("**not closed", "**not closed"),
    ("plain text", "plain text"),
    ("", ""),
])
def test_markdown_to_whatsapp(markdown, expected):
    assert markdown_to_whatsapp(markdown) == expected


def test_text_within_limits_is_returned_unchanged():
    assert split_text("  Hello there  ", 20) == ["  Hello there  "]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_blank_text_gives_no_chunks(text):
    assert split_text(text, 10) == []


def test_prefers_paragraph_break_then_line_break_then_space():
    text = "First paragraph here.\n\nSecond line one\nsecond line two and more"
    assert split_text(text, 40) == [
        "First paragraph here.",
        "Second line one\nsecond line two and more",
    ]
    assert split_text("Line one is here\nline two is here too", 30) == [
        "Line one is here",
        "line two is here too",
    ]
    assert split_text("one two three four five six", 10) == ["one two", "three four", "five six"]


def test_whitespace_right_after_the_limit_is_used_as_the_cut():
    assert split_text("abcde fghij", 5) == ["abcde", "fghij"]


def test_word_longer_than_the_limit_is_cut():
    assert split_text("see abcdefghijklmnop end", 6) == ["see", "abcdef", "ghijkl", "mnop", "end"]


def test_bytes_bind_before_characters_for_emoji_and_cjk():
    assert split_text("😀😀😀 😀😀", 100, max_bytes=12) == ["😀😀😀", "😀😀"]
    assert split_text("中文字符测试一二三四五", 100, max_bytes=9) == ["中文字", "符测试", "一二三", "四五"]


def test_emoji_zwj_sequence_is_not_split():
    family = "👩\u200d👩\u200d👧\u200d👦"  # 7 code points
    assert split_text(family * 2, 10) == [family, family]
    thumbs = "👍🏽"  # thumbs up with a skin tone
    assert split_text("ab" + thumbs * 3, 5) == ["ab" + thumbs, thumbs * 2]
    assert split_text("🇧🇷🇵🇹🇺🇸", 3) == ["🇧🇷", "🇵🇹", "🇺🇸"]


LONG_TEXTS = [
    "Hello world. " * 200,
    "\n\n".join(f"Paragraph {n}: " + "word " * 30 for n in range(12)),
    "Olá 😀 café 🇧🇷 " * 150,
    "你好，我的包裹还没有到。" * 100 + " 订单号 4521",
    "mixed 中文 and emoji 👩\u200d💻 words\n" * 120,
]


@pytest.mark.parametrize("text", LONG_TEXTS)
@pytest.mark.parametrize(("max_chars", "max_bytes"), [(100, None), (4096, 200), (60, 64), (500, 1000)])
def test_limits_respected_and_no_word_lost(text, max_chars, max_bytes):
    chunks = split_text(text, max_chars, max_bytes)
    assert chunks
    for chunk in chunks:
        assert 0 < len(chunk) <= max_chars
        assert max_bytes is None or len(chunk.encode("utf-8")) <= max_bytes
        assert chunk == chunk.strip()
    # A hard cut inside a long word splits it in two, so compare with all whitespace removed.
    assert "".join("".join(chunks).split()) == "".join(text.split())
    if all(len(word) <= min(max_chars, (max_bytes or max_chars) // 4) for word in text.split()):
        assert " ".join(chunks).split() == text.split()


def test_limits_below_one_character_are_rejected():
    with pytest.raises(ValueError):
        split_text("text", 0)
    with pytest.raises(ValueError):
        split_text("text", 10, max_bytes=3)

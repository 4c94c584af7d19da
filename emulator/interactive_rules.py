"""Meta's limits on interactive reply buttons and list messages, checked when one is sent.

Sources (docs/reference/WHATSAPP_PAYLOADS.md §2):
- Meta, *Interactive reply buttons messages*: 1 to 3 buttons of type "reply"; a button's title at
  most 20 characters and unique, its id at most 256 characters, unique, "You cannot have leading or
  trailing spaces when setting the ID"; body text at most 1024 characters, footer at most 60; the
  header may be text (at most 60), image, video or document.
- Meta, *Interactive list messages* (updated Nov 2025): button text at most 20 characters; up to
  10 sections, "with up to 10 rows for all sections combined", at least one row; a row's title at
  most 24 characters, its description at most 72, its id at most 200 (and, as a webhook names the
  row by it, unique); a section's title at most 24; body at most 4096; a text header at most 60;
  footer at most 60. The page marks the section title "Required"; Meta's older reference said
  "Required if the message has more than one section", which is what is refused here: a lone
  untitled section is what earlier pages documented as accepted (the bridge always sends a title).
- Meta, *Error codes*: 131009 "Parameter value is not valid" ("One or more parameter values are
  invalid"). Meta answers an invalid interactive message with it synchronously, the detail in
  `error_data.details`, e.g. `(#131009) Parameter value is not valid` with "Text cannot be null for
  header type text" (github.com/Secreto31126/whatsapp-api-js/issues/54). End User Messaging Social
  passes Meta's refusal on; as for templates (emulator/templates.py), a ValidationException with
  Meta's code first in the message.

How Meta counts characters is not documented: lengths are counted here in UTF-16 code units, as
Java and JavaScript count (an emoji outside the BMP counts twice), the stricter of the two counts.
Other interactive types (cta_url, flow, product lists…) are not checked.
"""

from emulator.restjson import ServiceError

BUTTONS_MIN, BUTTONS_MAX = 1, 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
BUTTON_BODY_MAX = 1024
LIST_BODY_MAX = 4096
LIST_BUTTON_MAX = 20
SECTIONS_MAX = 10
ROWS_MAX = 10  # across all sections
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
SECTION_TITLE_MAX = 24
HEADER_TEXT_MAX = 60
FOOTER_MAX = 60
BUTTON_HEADER_TYPES = ("text", "image", "video", "document")


def check(interactive):
    """Raises Meta's 131009 for what Meta refuses in an `interactive` object."""
    if not isinstance(interactive, dict):
        _refuse("interactive must be an object")
    kind = interactive.get("type")
    if kind == "button":
        _check_buttons(interactive)
    elif kind == "list":
        _check_list(interactive)


def _check_buttons(interactive):
    _check_body(interactive, BUTTON_BODY_MAX)
    _check_header(interactive, BUTTON_HEADER_TYPES)
    _check_footer(interactive)
    buttons = _object(interactive, "action").get("buttons")
    if not isinstance(buttons, list) or not BUTTONS_MIN <= len(buttons) <= BUTTONS_MAX:
        _refuse(f"buttons must have {BUTTONS_MIN} to {BUTTONS_MAX} items")
    titles, ids = [], []
    for button in buttons:
        if not isinstance(button, dict) or button.get("type") != "reply":
            _refuse("a button's type must be reply")
        reply = _object(button, "reply")
        titles.append(_text(reply.get("title"), "Button title", BUTTON_TITLE_MAX))
        button_id = _text(reply.get("id"), "Button id", BUTTON_ID_MAX)
        if button_id != button_id.strip():
            _refuse("Button id cannot have leading or trailing spaces")
        ids.append(button_id)
    if len(set(titles)) < len(titles):
        _refuse("Button title must be unique")
    if len(set(ids)) < len(ids):
        _refuse("Button id must be unique")


def _check_list(interactive):
    _check_body(interactive, LIST_BODY_MAX)
    _check_header(interactive, ("text",))
    _check_footer(interactive)
    action = _object(interactive, "action")
    _text(action.get("button"), "List button text", LIST_BUTTON_MAX)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= SECTIONS_MAX:
        _refuse(f"sections must have 1 to {SECTIONS_MAX} items")
    ids = []
    for section in sections:
        if not isinstance(section, dict):
            _refuse("a section must be an object")
        if "title" in section or len(sections) > 1:
            _text(section.get("title"), "Section title", SECTION_TITLE_MAX)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            _refuse("a section needs at least one row")
        for row in rows:
            if not isinstance(row, dict):
                _refuse("a row must be an object")
            ids.append(_text(row.get("id"), "Row id", ROW_ID_MAX))
            _text(row.get("title"), "Row title", ROW_TITLE_MAX)
            if "description" in row:
                _text(row.get("description"), "Row description", ROW_DESCRIPTION_MAX, empty=True)
    if len(ids) > ROWS_MAX:
        _refuse(f"Total row count exceed max allowed count: {ROWS_MAX}")
    if len(set(ids)) < len(ids):
        _refuse("Row id must be unique")


def _check_body(interactive, limit):
    _text(_object(interactive, "body").get("text"), "Body text", limit)


def _check_header(interactive, types):
    if "header" not in interactive:
        return
    header = _object(interactive, "header")
    if header.get("type") not in types:
        _refuse(f"header type must be one of {', '.join(types)}")
    if header["type"] == "text":
        if not isinstance(header.get("text"), str) or not header["text"]:
            _refuse("Text cannot be null for header type text")
        _text(header["text"], "Header text", HEADER_TEXT_MAX)


def _check_footer(interactive):
    if "footer" in interactive:
        _text(_object(interactive, "footer").get("text"), "Footer text", FOOTER_MAX)


def _object(parent, key):
    value = parent.get(key)
    if not isinstance(value, dict):
        _refuse(f"{key} must be an object")
    return value


def _text(value, what, limit, empty=False):
    if not isinstance(value, str) or (not value and not empty):
        _refuse(f"{what} is required")
    if _length(value) > limit:
        _refuse(f"{what} length invalid. Min length: 1, Max length: {limit}")
    return value


def _length(text):
    return len(text.encode("utf-16-le")) // 2


def _refuse(details):
    raise ServiceError("ValidationException", f"(#131009) Parameter value is not valid: {details}")

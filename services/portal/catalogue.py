"""The portal's gettext catalogues: find every message the templates and the code use, and
keep ``locale/{fa,en}/LC_MESSAGES/portal.po`` in step with them.

    python -m services.portal.catalogue check    # exit 1 when a message lacks a translation
    python -m services.portal.catalogue update   # add new messages (empty in fa), drop unused

English is the source language, so an English entry is its own msgid; Persian entries are
translated by people, in the .po file."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from services.portal.i18n import DOMAIN, LANGUAGES, po_path

HERE = Path(__file__).resolve().parent
METHODS = [
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def used_messages() -> dict[str, list[str]]:
    """msgid -> where it is used."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(HERE), METHODS, options_map=OPTIONS, keywords=KEYWORDS):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def _location(place: str) -> tuple[str, int]:
    filename, lineno = place.rsplit(":", 1)
    return filename, int(lineno)


def read(language: str) -> Catalog:
    with open(po_path(language), "rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def missing(language: str) -> list[str]:
    catalog = read(language)
    out = []
    for msgid in used_messages():
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            out.append(msgid)
    return sorted(out)


def update() -> None:
    used = used_messages()
    for language in LANGUAGES:
        old = read(language) if po_path(language).exists() else Catalog(locale=language)
        new = Catalog(locale=language, domain=DOMAIN, project="pishkhan-portal",
                      charset="utf-8")
        for msgid, places in sorted(used.items()):
            previous = old.get(msgid)
            string = previous.string if previous and previous.string else (
                msgid if language == "en" else "")
            new.add(msgid, string, locations=[_location(p) for p in places[:3]])
        po_path(language).parent.mkdir(parents=True, exist_ok=True)
        with open(po_path(language), "wb") as po:
            write_po(po, new, width=100, omit_header=False, sort_output=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    problems = {language: missing(language) for language in LANGUAGES}
    for language, ids in problems.items():
        for msgid in ids:
            print(f"{language}: no translation for {msgid!r}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

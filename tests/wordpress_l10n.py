"""WordPress's own translations of what it prints around a post's title, read from its ``.mo`` files.

``get_the_title()`` prints a password-protected post's title through ``protected_title_format`` (``__( 'Protected:
%s' )``) and a private one's through ``private_title_format`` (``__( 'Private: %s' )``), translated to the site's
language. ``pipelines/extract/wordpress-title-formats.json`` holds those formats for every language Debian's
WordPress ships (``wordpress-l10n``); this module makes that file from the installed ``.mo`` files, and
tests/test_protected_posts.py checks the file against them::

    python -m tests.wordpress_l10n            # rewrite the JSON file from /usr/share/wordpress
"""

from __future__ import annotations

import gettext
import html
import json
import sys
from pathlib import Path

LANGUAGES = Path("/usr/share/wordpress/wp-content/languages")
FORMATS_FILE = Path(__file__).resolve().parent.parent / "pipelines" / "extract" / "wordpress-title-formats.json"
MSGIDS = {"protected": "Protected: %s", "private": "Private: %s"}


def title_formats(languages: Path = LANGUAGES) -> dict[str, dict[str, str]]:
    """``{"protected": {locale: format}, "private": {...}}`` from WordPress's core ``.mo`` files.

    Entities are decoded: WordPress prints a translation's ``&nbsp;`` as it is, and a browser, like lxml, reads it
    as U+00A0.
    """
    formats: dict[str, dict[str, str]] = {kind: {"en_US": msgid} for kind, msgid in MSGIDS.items()}
    for mo in sorted(languages.glob("*.mo")):
        if "-" in mo.stem:  # admin-de_DE.mo, continents-cities-de_DE.mo: not the front end's strings
            continue
        with mo.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog
        for kind, msgid in MSGIDS.items():
            translated = catalog.get(msgid)
            if isinstance(translated, str) and "%s" in translated:
                formats[kind][mo.stem] = html.unescape(translated)
    return formats


def main() -> None:
    """Write the formats file from the installed WordPress."""
    data = {"source": f"WordPress core translations in {LANGUAGES}", **title_formats()}
    FORMATS_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {FORMATS_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Which names mean the same thing: the identity rules shared by every source.

Sources name one item differently: a workbook writes `NB-APP-7`, RVTools `nb-app-7.nordby.local`,
an export from another machine `Nb-App-7 ` with a trailing space or a decomposed `Å`. Like a
CMDB's identification rules, these functions decide once, for every importer and the
database alike, which spellings are one item, so that a match never depends on which
source came first.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

#: A DNS host label (letters of any script, digits, hyphens; IDNs appear in Nordic domains).
_LABEL = re.compile(r"^[\w-]+$", re.UNICODE)


def normalise(name: str) -> str:
    """The identity of a name: trimmed, inner whitespace collapsed, Unicode NFC, case-folded.

    NFC first, so a decomposed `Å` (as macOS file systems and some exports write it) is the
    same letter as a composed one; casefold handles ß and æøå/åäö alike.
    """
    text = unicodedata.normalize("NFC", name)
    return " ".join(text.split()).casefold()


class Normalised(dict[str, str]):
    """`normalise` with a memory: `names[text]` is `normalise(text)`, computed once per spelling.

    Why: a national inventory repeats the same few thousand names in hundreds of thousands
    of dependency rows; NFC, split, join and casefold per row cost more than the rest of
    reading them. One per reader, so the memory lives as long as one read.
    """

    def __missing__(self, text: str) -> str:
        value = self[text] = normalise(text)
        return value


def looks_like_fqdn(name: str) -> bool:
    """`srv01.nordby.local` yes; `10.0.0.5`, `App 2.0`, `srv01` or `.local` no."""
    text = normalise(name)
    try:
        ipaddress.ip_address(text)
        return False
    except ValueError:
        pass
    labels = text.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()
        and not labels[0].isdigit()
    )


def short_name(name: str) -> str:
    """`SRV01.nordby.local` -> `srv01`; a name that is no FQDN stays whole (normalised)."""
    text = normalise(name)
    return text.split(".", 1)[0] if looks_like_fqdn(text) else text


def item_key(kind: str, name: str) -> str:
    """The key that decides whether two records of one municipality are the same item.

    Servers match FQDN ↔ short name (a host is one host however it is written); other
    kinds keep their dots, since `østerå.local` (a directory) or `Aula 2.0` are names.
    """
    return short_name(name) if kind == "server" else normalise(name)


def source_key(name: str) -> str:
    """Source names match like municipality names: case-insensitive, trimmed, NFC."""
    return normalise(name)

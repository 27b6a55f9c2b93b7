"""Archival references in citations and source notes.

``parse_archival_refs`` finds every reference in a citation or FRUS source note:
Russian fond/opis/delo references ("APRF, f. 45, o. 1, d. 348, ll. 71-82"), archives
named without a fond ("... APRF. Cited in Bajanov"), State Department decimal file
numbers ("795.00/6–2550"), lot files and named collections ("Lot 55D128",
"Truman Papers, PSF"), and Library of Congress manuscript collections.

``repair_citation_ocr`` makes the OCR repairs that are certain in such text
("d. 125, II. 89-91" → "d. 125, ll. 89-91"), keeping every offset in place.

Values are kept as written ("0071-0082", "059a"); archives are given by their usual
abbreviation without spaces ("AP RF" → "APRF").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fonds.model import ArchivalRef, Repair

# --- archives ----------------------------------------------------------------------

_RF = r"(?:\s+of\s+the\s+Russian\s+Federation)"
# (abbreviation, kind, patterns). Patterns are tried case-sensitively: the
# abbreviations are capitalised as archivists write them.
_ARCHIVES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "APRF",
        "russian",
        (
            r"AP\s?RF\b",
            r"АП\s?РФ",
            rf"Archive\s+of\s+the\s+President(?:{_RF}|,\s+Russian\s+Federation)",
            rf"(?:Russian\s+)?Presidential\s+Archive(?:{_RF})?",
            r"Arkhiv\s+Prezidenta\s+Rossiiskoi\s+Federatsii",
        ),
    ),
    (
        "AVPRF",
        "russian",
        (
            r"AVP\s?RF\b",
            r"АВП\s?РФ",
            rf"Archive\s+of\s+(?:the\s+)?Foreign\s+Policy(?:{_RF}|,\s+Russian\s+Federation)",
            rf"Foreign\s+Policy\s+Archive{_RF}",
            r"Arkhiv\s+Vneshnei\s+Politiki\s+Rossiiskoi\s+Federatsii",
        ),
    ),
    (
        "TsAMO",
        "russian",
        (
            r"TsAMO(?:\s?RF)?\b",
            r"ЦАМО(?:\s?РФ)?",
            r"Central\s+Archives?\s+of\s+the\s+(?:Russian\s+)?Ministry\s+of\s+Defen[cs]e"
            rf"(?:{_RF})?",
        ),
    ),
    (
        "RGASPI",
        "russian",
        (
            r"RGASPI\b",
            r"РГАСПИ",
            r"Russian\s+State\s+Archive\s+of\s+Soci(?:al|o)[-\s]+(?:and\s+)?Political\s+History",
        ),
    ),
    (
        "RTsKhIDNI",
        "russian",
        (
            r"RTsKhIDNI\b",
            r"Russian\s+Cent(?:er|re)\s+for\s+the\s+Preservation\s+and\s+Study\s+of\s+"
            r"(?:Records|Documents)\s+of\s+(?:Modern|Recent)\s+History",
        ),
    ),
    ("GARF", "russian", (r"GARF\b", r"ГАРФ", rf"(?<!Russian\s)State\s+Archive{_RF}")),
    (
        "RGANI",
        "russian",
        (r"RGANI\b", r"РГАНИ", r"Russian\s+State\s+Archive\s+of\s+Contemporary\s+History"),
    ),
    (
        "TsKhSD",
        "russian",
        (
            r"TsKhSD\b",
            r"ЦХСД",
            r"Cent(?:er|re)\s+for\s+the\s+Storage\s+of\s+Contemporary\s+"
            r"Documentation",
        ),
    ),
    (
        "SCCD",
        "russian",
        (r"SCCD\b", r"Storage\s+Cent(?:er|re)\s+for\s+Contemporary\s+Documentation"),
    ),
    (
        "RGAE",
        "russian",
        (r"RGAE\b", r"РГАЭ", r"Russian\s+State\s+Archive\s+of\s+(?:the\s+)?Economy"),
    ),
    ("RGVA", "russian", (r"RGVA\b", r"РГВА", r"Russian\s+State\s+Military\s+Archive")),
    ("RGAVMF", "russian", (r"RGAVMF\b", r"Russian\s+State\s+(?:Naval|Navy)\s+Archive")),
    ("RGALI", "russian", (r"RGALI\b", r"Russian\s+State\s+Archive\s+of\s+Literature\s+and\s+Art")),
    (
        "NARA",
        "other",
        (
            r"NARA\b",
            r"(?:U\.\s?S\.\s+|US\s+)?National\s+Archives\s+and\s+Records\s+Administration",
            r"(?:U\.\s?S\.\s+|US\s+)?National\s+Archives(?:\s+II)?(?:,\s+College\s+Park(?:,\s+MD)?)?"
            r"(?=\s*[,.;:(])",
        ),
    ),
    ("PRC FMA", "other", (r"PRC\s+FMA\b", r"(?:PRC|Chinese)\s+Foreign\s+Ministry\s+Archives?")),
    ("SAPMO-BArch", "other", (r"SAPMO[-\s]BA(?:rch)?\b",)),
)
_ARCHIVE_RX = re.compile(
    "|".join(
        f"(?P<a{index}>(?<![\\w-])(?:{'|'.join(patterns)}))"
        for index, (_, _, patterns) in enumerate(_ARCHIVES)
    )
)
# "Archive of the President of the Russian Federation (APRF)": the abbreviation
# repeated in brackets belongs to the name.
_BRACKETED_ABBREVIATION = re.compile(r"\s*\((?:[A-Z][A-Za-z]{1,6}(?:\s?[A-Z]{2,4})?)\)")

# --- Russian fond/opis/delo chains -------------------------------------------------

_KEYS = {
    "fond": r"fonds?(?=\s*№?\s*(?:[A-ZА-Я]{1,2}-)?\d)|f\.|f(?=\s?\d)|ф\.|ф(?=\s?\d)",
    "opis": r"opis['’]?(?=\s*\d)|op\.|op(?=\s?\d)|o\.|оп\.|per\.|perechen['’]?(?=\s*\d)",
    "delo": r"delo(?=\s*№?\s*\d)|dd?\.|d(?=\s?\d)|д\.|por\.|dok\.",
    "papka": r"papka(?=\s*\d)|pap\.|пап\.",
    # "II."/"Il."/"1l." are OCR readings of "ll."; "I." of "l.".
    "pages": r"listy|list(?=\s*\d)|ll\.|l\.|pp\.|p\.|лл\.|л\.|ss\.|s\.|с\.|sheets?(?=\s*\d)"
    r"|(?-i:II|Il|lI|1l|l1|I1|1I|I)\.",
    "skip": r"tom(?=\s*\d)|t\.|vol\.|k\.|korobka(?=\s*\d)|r\.|reel(?=\s*\d)",
}
_PART = re.compile(
    "|".join(f"(?P<{name}>{pattern})" for name, pattern in _KEYS.items()), re.IGNORECASE
)
_NUMBER = re.compile(r"\s*№?\s*(?P<value>(?:[A-ZА-Я]{1,2}-)?\d+[a-zA-Zа-я]?(?:/\d+)?)(?![\w/])")
_PAGE = r"\d+(?:\s?(?:ob|об)\b)?"
_PAGE_RANGE = rf"{_PAGE}(?:\s*[-–—]\s*{_PAGE})?"
_PAGES = re.compile(
    rf"\s*(?P<value>{_PAGE_RANGE}(?:\s*,\s*(?!(?:19|20)\d\d\b){_PAGE_RANGE})*)(?![\w/])"
)
_SEPARATOR = re.compile(r"\s*[,.;:]?\s*")
_CONTINUATION = re.compile(r"\s*[;,]\s*(?:and\s+|also\s+)?")
_LEVEL = {"fond": 0, "opis": 1, "delo": 2}
# A chain without a named archive must start with a fond key that stands alone.
_FOND_START = re.compile(rf"(?<![\w.])(?:{_KEYS['fond']})", re.IGNORECASE)


@dataclass
class _Chain:
    values: dict[str, str]
    start: int
    end: int
    first_key: str | None


def _read_chain(text: str, pos: int) -> _Chain:
    """Read fond/opis/delo/papka/pages parts from ``pos``; stop at anything else.

    Each field is taken once: a repeated key starts the next reference. Pages end the
    chain and never begin one.
    """
    values: dict[str, str] = {}
    first_key: str | None = None
    start = end = pos
    cursor = pos
    while True:
        separator = _SEPARATOR.match(text, cursor)
        key_match = _PART.match(text, separator.end() if separator else cursor)
        if not key_match:
            break
        key = key_match.lastgroup or ""
        value_match = (_PAGES if key == "pages" else _NUMBER).match(text, key_match.end())
        if not value_match or key in values or (key == "pages" and not values):
            break
        if end == pos:
            start = key_match.start()
        if key != "skip":
            values[key] = value_match["value"]
            first_key = first_key or key
        end = cursor = value_match.end()
        if key == "pages":
            break
    return _Chain(values, start, end, first_key)


def _russian_ref(archive: str | None, chain: _Chain, raw: str) -> ArchivalRef:
    return ArchivalRef(
        archive=archive,
        fond=chain.values.get("fond"),
        opis=chain.values.get("opis"),
        delo=chain.values.get("delo"),
        pages=chain.values.get("pages"),
        papka=chain.values.get("papka"),
        raw=raw,
        kind="russian",
    )


def _continuations(
    text: str, ref: ArchivalRef, pos: int
) -> list[tuple[ArchivalRef, tuple[int, int]]]:
    """Further references sharing the archive: "...; d. 10, ll. 3-5" after a full one."""
    found: list[tuple[ArchivalRef, tuple[int, int]]] = []
    while True:
        gap = _CONTINUATION.match(text, pos)
        if not gap:
            return found
        chain = _read_chain(text, gap.end())
        if chain.first_key not in _LEVEL or chain.start != gap.end():
            return found
        inherited = ("fond", "opis", "delo")[: _LEVEL[chain.first_key]]
        raw = text[chain.start : chain.end]
        new = _russian_ref(ref.archive, chain, raw)
        for name in inherited:
            setattr(new, name, getattr(ref, name))
        found.append((new, (chain.start, chain.end)))
        ref, pos = new, chain.end


# --- State Department files, lot files, collections -------------------------------

_SUBJECT = r"(?:\s(?:[A-Z][\w.’'-]*|\([A-Z][\w .’'-]*\))){0,4}"
_DECIMAL = re.compile(
    rf"(?<![\w.$/])(?:FW\s+)?(?P<file>\d{{3}}[A-Z]?(?:\.[0-9A-Z]+)*{_SUBJECT}/\d{{1,2}}[–‐-]\d{{3,4}})"
    r"(?![\w/])"
)
# Without the date: "501.BB Korea: Telegram" in a source note.
_DECIMAL_UNDATED = re.compile(
    rf"(?<![\w.$/])(?P<file>\d{{3}}[A-Z]?\.[0-9A-Z]+{_SUBJECT})"
    r"(?=\s*:\s*(?:Circular\s+)?(?:Telegram|Airgram|Despatch|Dispatch|Memorandum|Letter|Note"
    r"|Instruction|Report|Cable))"
)
_DECIMAL_ALONE = re.compile(rf"\A\s*(?P<file>\d{{3}}[A-Z]?\.[0-9A-Z]+{_SUBJECT})\s*\Z")
_LOT = r"[Ll]ot\s+(?:[A-Z]\s?[–-]\s?\d+|\d{2,3}(?:\s?[–-]?\s?[A-Z]\s?\d+)?)(?!\w)"
_PAPERS_STOP = (
    "Public|State|Foreign|Pentagon|Federalist|Working|Policy|Position|Background|Conference"
    "|Official|Research|Occasional|Discussion|Briefing"
)
# Words that name a State Department file series ("Executive Secretariat Files",
# "London Embassy Files", "S/S–NSC Files"): acronyms, office words, and a place before
# Embassy/Mission/Legation. A signature glued on in flat text ("Caffery London Embassy
# Files") is not one of them.
_FILES_WORD = (
    r"(?:(?:[A-Z]+(?:[/–-][A-Z]+)+|[A-Z]{2,})\b"
    r"|(?:Executive|Secretariat|Policy|Planning|Staff|Embassy|Mission|Legation|Consulate"
    r"|Research|Department|State|Defense|Committee|Central|Decimal|Chron|Subject|Country"
    r"|Office|Bureau|Division|Records|Armed|Forces|Army|Navy|War|Treasury|Political"
    r"|Adviser|Conference|Council|Security|National|Secret|Special|Reading|Master|Post"
    r"|Confidential|Top|General|Administrative|Intelligence|Personnel)\b"
    r"|[A-Z][a-z]+(?=[ \t]+(?:Embassy|Mission|Legation|Consulate)\b))"
)
_COLLECTION_HEAD = (
    rf"{_LOT}"
    rf"|(?!(?:{_PAPERS_STOP})\s)[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s+Papers\b"
    r"|PSF(?:[–-][A-Z][\w ]{0,30}?[Ff]iles?)?\b|President['’]s\s+Secretary['’]s\s+Files?\b"
    r"|(?:Record\s+Group|RG)\s+\d+\b"
    r"|(?:Harry\s+S\.\s+)?Truman\s+Library\b|(?:Dwight\s+D\.\s+)?Eisenhower\s+Library\b"
    # "Executive Secretariat Files", "S/S–NSC Files", "Central Decimal File"
    rf"|(?:{_FILES_WORD}[ \t]+(?:(?:of|and)[ \t]+)?){{1,4}}Files?\b"
)
_COLLECTION_TAIL = (
    rf"{_COLLECTION_HEAD}|Box\s+\d+(?:\s?\(\d+\))?|File\s+\d+|Folder\s+\d+"
    r"|NSC\s+\d+(?:/\d+)?(?:\s+Series)?"
    # within a library: "Eisenhower papers", "Whitman file", "C.D. Jackson records"
    r"|(?:[A-Z][\w.]*[ \t]+){1,3}(?:papers|records|files?)\b"
)
_COLLECTION = re.compile(
    rf"(?<![\w/–-])(?:{_COLLECTION_HEAD})(?:\s*[,:]\s*(?:{_COLLECTION_TAIL}))*"
)
_LOC = re.compile(
    r"Library\s+of\s+Congress(?:,\s+Manuscript\s+Division)?"
    r"(?:,\s+(?P<file>[^;]*?\bmm\d{6,}|[^;]*?papers\b[^.;]*?(?=\.\s|[.;]?$|;)))?"
)
_PRC_FMA_FILE = re.compile(r",?\s*(?:No\.\s*|file\s+)?(?P<file>\d{3}-\d{5}-\d{2}(?:\s?\(\d+\))?)")
_SAPMO_FILE = re.compile(r",?\s*(?P<file>(?:DY|NY|DC|J)\s?(?:IV\s?)?[\w.]+(?:/(?:[\w.]*\w))+)")
_NARA_FILE = re.compile(r",?\s*(?P<file>(?:Record\s+Group|RG)\s+\d+\b)")


def _collection_archive(text: str) -> str | None:
    if re.search(r"Truman|PSF|President['’]s\s+Secretary", text):
        return "HSTL"
    if "Eisenhower" in text:
        return "DDEL"
    if re.search(r"\b[Ll]ot\b|Central\s+(?:Decimal\s+)?Files?|Record\s+Group|\bRG\s", text):
        return "NARA"
    return None


# --- public API ----------------------------------------------------------------------


def parse_archival_refs(text: str) -> list[tuple[ArchivalRef, tuple[int, int]]]:
    """Every archival reference in a citation or source note, with its offsets.

    Args:
        text: a citation ("APRF, f. 45, o. 1, d. 348, ll. 71-82. Translated by ..."),
            a FRUS source note ("795.00/6–2550: Telegram") or similar text.

    Returns:
        (reference, (start, end)) pairs in order of position; ``raw`` is the text at
        those offsets. A bare page number, year or working-paper number is never taken
        for a reference.
    """
    candidates: list[tuple[ArchivalRef, tuple[int, int]]] = []
    covered: list[tuple[int, int]] = []

    for match in _ARCHIVE_RX.finditer(text):
        name, kind, _ = _ARCHIVES[int((match.lastgroup or "a0")[1:])]
        end = match.end()
        bracket = _BRACKETED_ABBREVIATION.match(text, end)
        if bracket:
            end = bracket.end()
        start = match.start()
        if kind == "russian":
            chain = _read_chain(text, end)
            if chain.first_key is not None:
                ref = _russian_ref(name, chain, text[start : chain.end])
                candidates.append((ref, (start, chain.end)))
                covered.append((start, chain.end))
                for extra in _continuations(text, ref, chain.end):
                    candidates.append(extra)
                    covered.append(extra[1])
                continue
        file_rx = {"PRC FMA": _PRC_FMA_FILE, "SAPMO-BArch": _SAPMO_FILE, "NARA": _NARA_FILE}
        file_match = file_rx[name].match(text, end) if name in file_rx else None
        file = file_match["file"] if file_match else None
        if file_match:
            end = file_match.end()
        ref = ArchivalRef(archive=name, raw=text[start:end], kind=kind, file=file)
        candidates.append((ref, (start, end)))

    # Chains that name no archive: "f. 5, op. 918795, d. 125" after "Ibid." and such.
    for match in _FOND_START.finditer(text):
        if any(a <= match.start() < b for a, b in covered):
            continue
        chain = _read_chain(text, match.start())
        values = chain.values
        if chain.first_key == "fond" and ("opis" in values or "delo" in values):
            span = (chain.start, chain.end)
            candidates.append((_russian_ref(None, chain, text[span[0] : span[1]]), span))

    for rx in (_DECIMAL, _DECIMAL_UNDATED, _DECIMAL_ALONE):
        for match in rx.finditer(text):
            span = match.span("file")
            file = match["file"]
            ref = ArchivalRef(archive="NARA", kind="decimal-file", file=file, raw=file)
            candidates.append((ref, span))

    for match in _COLLECTION.finditer(text):
        raw = match.group().rstrip(" ,:")
        span = (match.start(), match.start() + len(raw))
        ref = ArchivalRef(archive=_collection_archive(raw), kind="other", file=raw, raw=raw)
        candidates.append((ref, span))

    for match in _LOC.finditer(text):
        file = match["file"].strip() if match["file"] else None
        span = match.span()
        ref = ArchivalRef(archive="LOC", kind="other", file=file, raw=match.group())
        candidates.append((ref, span))

    return _merge_nara(_leftmost_longest(candidates), text)


def _leftmost_longest(
    candidates: list[tuple[ArchivalRef, tuple[int, int]]],
) -> list[tuple[ArchivalRef, tuple[int, int]]]:
    candidates.sort(key=lambda item: (item[1][0], item[1][0] - item[1][1]))
    kept: list[tuple[ArchivalRef, tuple[int, int]]] = []
    for ref, span in candidates:
        if kept and span[0] < kept[-1][1][1]:
            continue
        kept.append((ref, span))
    return kept


def _merge_nara(
    refs: list[tuple[ArchivalRef, tuple[int, int]]], text: str
) -> list[tuple[ArchivalRef, tuple[int, int]]]:
    """Fold "National Archives, RG 59, Central Decimal File, ..." into the decimal file.

    One document is one reference: NARA record groups and series named before a
    decimal file in the same sentence locate that file; they are not references of
    their own.
    """
    out: list[tuple[ArchivalRef, tuple[int, int]]] = []
    for index, (ref, span) in enumerate(refs):
        if not (
            ref.archive == "NARA"
            and ref.kind == "other"
            and _locates_decimal_file(refs[index + 1 :], span[1], text)
        ):
            out.append((ref, span))
    return out


def _locates_decimal_file(
    following: list[tuple[ArchivalRef, tuple[int, int]]], end: int, text: str
) -> bool:
    """Whether a decimal file follows in the same sentence, past NARA series only."""
    for ref, span in following:
        if span[0] - end > 150 or re.search(r"[.;]\s", text[end : span[0]]):
            return False
        if ref.kind == "decimal-file":
            return True
        if ref.archive != "NARA":
            return False
    return False


# --- OCR repair ------------------------------------------------------------------------

_DELO_THEN_PAGES = re.compile(
    r"(?<![\w.])(?:delo|dd?\.|д\.)\s*№?\s*\d+[a-zа-я]?\s*[,.;]?\s*"
    r"(?P<token>II|Il|lI|1l|l1|I1|1I|I)\.(?=\s*\d)",
    re.IGNORECASE,
)


def repair_citation_ocr(text: str) -> tuple[str, list[Repair]]:
    """Repair OCR slips in citation text that are certain, keeping every offset.

    "II.", "Il.", "1l." (and such) read for "ll.", and "I." for "l.", where the token
    follows a delo part and precedes a page number: "d. 125, II. 89-91".

    Args:
        text: citation or source-note text.

    Returns:
        The repaired text (same length) and one Repair per change, field "citation",
        offsets into ``text``.
    """
    repairs: list[Repair] = []
    chars = list(text)
    for match in _DELO_THEN_PAGES.finditer(text):
        token = match["token"]
        if token.isupper() and token.lower() == "i" and len(token) == 1:
            replacement, rule = "l.", "ocr-l"
        elif len(token) == 1:
            continue
        else:
            replacement, rule = "ll.", "ocr-ll"
        start = match.start("token")
        end = start + len(token) + 1
        chars[start:end] = replacement
        repairs.append(
            Repair(
                field="citation",
                start=start,
                end=end,
                original=text[start:end],
                replacement=replacement,
                rule=rule,
            )
        )
    return "".join(chars), repairs

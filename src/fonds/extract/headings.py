"""Document type, sender and recipients from a document's title.

Two title styles dominate the material:

* Wilson Center: "Telegram Shtykov to Vyshinsky on a Luncheon ...", "Ciphered
  Telegram No. 25553, Roshchin to Filippov [Stalin]", "Telegram from the Soviet
  ambassador to the DPRK to the first deputy minister of foreign affairs with ...".
* FRUS: "The Ambassador in Korea (Muccio) to the Secretary of State", "Memorandum
  of Conversation, by the Director of the Office of Far Eastern Affairs (Butterworth)":
  an office, with the person holding it in parentheses.

``parse_heading`` reads a title; ``doc_type_from_body`` reads the weaker cues at the
start of a body (a "Ciphered telegram" label line, "Record of conversation").
Persons are returned as written ("Filippov [Stalin]": a later stage resolves cover
names); offices without their article ("Embassy in Korea"). Nothing is guessed: a
title with no type word gets ``doc_type`` None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Heading:
    """What a title says about a document: its type and who sent it to whom.

    ``sender`` and ``recipients`` are persons; ``sender_office`` and
    ``recipient_offices`` the offices or bodies named (with or without a person).
    A title with several senders ("The Secretary of War (Patterson) and the
    Secretary of the Navy (Forrestal) to ...") keeps the first as ``sender`` and the
    others in ``co_senders`` / ``co_sender_offices``.
    """

    doc_type: str | None = None
    sender: str | None = None
    recipients: list[str] = field(default_factory=list)
    sender_office: str | None = None
    recipient_offices: list[str] = field(default_factory=list)
    co_senders: list[str] = field(default_factory=list)
    co_sender_offices: list[str] = field(default_factory=list)


# --- document types -------------------------------------------------------------------

# Leading words of a title (or a body's label line) and the type they name, most
# specific first. "other" is for document kinds outside the contract's vocabulary.
_TYPE_WORDS: tuple[tuple[str, str | None], ...] = (
    (r"Editorial\s+Note\b", None),
    (
        r"(?:Record|Memorand(?:um|a)|Memo|Minutes|Notes?|Transcript|Summary|Protocol)\s+of\s+"
        r"(?:an?\s+|the\s+)?(?:Telephone\s+)?(?:Conversations?|Talks?|Discussions?)\b",
        "record of conversation",
    ),
    (
        r"(?:Record|Memorand(?:um|a)|Memo|Notes?)\s+of\s+(?:an?\s+|the\s+)?Meetings?\b",
        "record of conversation",
    ),
    (r"Conversations?\b", "record of conversation"),
    (
        r"(?:(?:Ciphered|Cipher|Coded|Code|Encoded|Encrypted|Circular|Urgent|Secret|Top\s+Secret"
        r"|Special|Outgoing|Incoming|Personal|Priority)\s+)*"
        r"(?:Telegrams?|Cable(?:gram)?s?|Ciphergrams?|Radiograms?|Telegraph\s+Message|Telex)\b",
        "telegram",
    ),
    (r"(?:(?:Personal|Open|Official|Private|Draft)\s+)*Letters?\b", "letter"),
    (r"(?:Verbal\s+Note|Note\s+Verbale)\b", "note"),
    (r"(?:Memorand(?:um|a)|Memo|Aide[-\s]M[ée]moire)\b", "memorandum"),
    (r"Reports?\b", "report"),
    (r"(?:Minutes|Stenographic\s+(?:Record|Report)|Transcript)\b", "minutes"),
    (r"Protocol\s+(?=No\.|Nº|№|#|of\b)", "minutes"),
    (r"(?:Resolutions?|Decrees?|Decisions?)\b", "resolution"),
    (r"(?:Speech(?:es)?|Address|Remarks\s+(?=by\b|of\b)|Toast|Lecture)\b", "speech"),
    (r"(?:Diary|Journal)\b", "diary"),
    (r"Notes?\b(?!:)", "note"),
    (
        r"(?:Circular\s+)?(?:Airgram|Despatch|Dispatch|Instruction|Treaty|Agreement|Communiqu[ée]"
        r"|Statement|Declaration|Directive|Order|Message|Position\s+Paper|Paper|Study"
        r"|Announcement|Appeal|Proposal|Interview)s?\b",
        "other",
    ),
)
_TYPE_RX = [(re.compile(pattern, re.IGNORECASE), doc_type) for pattern, doc_type in _TYPE_WORDS]
# "Excerpt from the Record of ...", "From the Diary of ...", "Draft of a Letter ...".
_TYPE_PREFIX = re.compile(
    r"(?:(?:Excerpts?|Extracts?|Copy|Translation|Draft|Summary)\s+(?:from|of)\s+"
    r"(?:the\s+|an?\s+)?|From\s+(?:the\s+)?(?=Diary|Journal|Record|Notes|Minutes|Memorandum|Report)"
    r"|Draft\s+(?=[A-Z]))",
    re.IGNORECASE,
)
_DIARY_ENTRY = re.compile(
    r"[,:;]\s*(?:Record|Memorandum|Notes?|Minutes)\s+of\s+(?:an?\s+|the\s+)?Conversation",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\s*(?:No\.?|Nº|№|N|#)\s*[\w/-]*\d[\w/-]*")

# --- parties ---------------------------------------------------------------------------

_HONORIFIC = re.compile(
    r"^(?:Comrades?|Cdes?\.|Com\.|Tov\.|Mr\.|Mrs\.|Ms\.|Messrs\.|Dr\.|Sir|Herr|Monsieur)\s+"
)
_TITLE_WORD = (
    r"(?:President|Premier|Prime\s+Minister|Chairman|Ambassador|Minister|Secretary|General"
    r"|Marshal|Generalissimo|Admiral|Colonel|Captain|Major|Lieutenant|Consul|Chargé|Counselor"
    r"|Counsellor|Envoy|Representative|Commander|Director|Chief|Leader|Senator|King|Emperor"
    r"|Prince|Chancellor|Foreign\s+Minister|Vice\s+President|Vice\s+Premier|Governor|Mayor"
    r"|Attaché|Chair)"
)
_TITLE_ADJECTIVE = (
    r"(?:(?:Soviet|Chinese|Korean|North\s+Korean|South\s+Korean|American|British|French|US|U\.S\."
    r"|USSR|PRC|DPRK|ROK|Mongolian|Japanese|Polish|Hungarian|Czechoslovak|East\s+German"
    r"|Acting|Deputy|First|Second|Vice|Foreign|Defense|Defence|Supreme|Special|Senior)\s+)*"
)
_NAME_TOKEN = re.compile(
    r"(?:[A-Z][\w'’.-]*|\[[^\]]+\]|\([^)]+\)|de|da|di|van|von|der|den|bin|ibn|al|el|la|le|du|y"
    r"|[A-Z]\.)$"
)
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{0,3})$")
_ORG_WORD = re.compile(
    r"\b(?:Party|Committees?|Councils?|Ministry|Ministries|Embass(?:y|ies)|Legations?|Consulates?"
    r"|Missions?|Government|Departments?|Politburo|Presidium|Bureau|Command|Headquarters|Army"
    r"|Offices?|Delegations?|Secretariat|Staff|Commissions?|Assembly|Congress|Senate|Parliament"
    r"|Union|Republic|Agency|Service|Section|Division|Directorate|Administration|Front|Corps"
    r"|Group|Station|Board|Cabinet|Comintern|Cominform|Kremlin|Plenum|Conference|Navy|Forces"
    r"|Organization|Institute|Academy|Authorities|Leadership|Center|Centre|People)\b",
    re.IGNORECASE,
)
_INITIALS_NAME = re.compile(r"^(?P<office>.*?\S)\s+(?P<name>(?:[A-Z]\.\s?){1,3}[A-Z][a-z'’-]+)$")
_TRAILING_NOTE = re.compile(
    r"\s*[\[(](?:Extracts?|Excerpts?|Paraphrase|Summary|Translation|Draft)[\])]\s*$", re.I
)
# "ambassador to the DPRK": a "to" that belongs to the office, not to the address.
_OFFICE_TO = re.compile(
    r"\b(?:ambassadors?|ambassador-designate|envoys?|representatives?|delegates?|delegations?"
    r"|advis[eo]rs?|emissar(?:y|ies)|missions?|consuls?|attach[ée]s?|counsel+ors?|charg[ée]"
    r"|plenipotentiary|commissioners?|liaison|ministers?|assistants?|aides?|secretary"
    r"|observers?|representation)$",
    re.IGNORECASE,
)
# Where the address ends and the subject of the document begins.
_TOPIC = re.compile(
    r"(?:\s+(?:on|about|regarding|concerning|re:?|respecting|in\s+connection\s+with"
    r"|in\s+(?:regard|reply|response|answer)\s+to|with\s+(?:information|a|an|the|regard|respect"
    r"|reference|his|its|their|thanks|congratulations|greetings)\b|transmitting|reporting"
    r"|informing|requesting|forwarding|conveying|containing|asking|proposing|explaining"
    r"|describing|enclosing|via|at|during|dated|for\s+(?=the\s+period|\d|[A-Z][a-z]+\s+\d)"
    r"|after|following|upon|concerning)\b"
    r"|\s*:|\s+[–—-]\s+|,\s+(?=\d|[A-Z][a-z]+\.?\s+\d|(?:dated|with|on|about|regarding|at|in"
    r"|concerning|transmitting|and\s+(?:reply|response))\b)|\s*\((?=\d|[A-Z][a-z]+\.?\s+\d))"
)
_PERSON_IN_PARENS = re.compile(r"\(\s*[A-Z][^()]*\)")
_SEPARATORS = re.compile(r",\s+and\s+|,\s+|\s+and\s+|\s*&\s*")


@dataclass
class _Party:
    person: str | None = None
    office: str | None = None


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:.")
    return re.sub(r"^(?:the|The)\s+", "", text)


def _is_name(text: str) -> bool:
    tokens = re.findall(r"\[[^\]]*\]|\([^)]*\)|\S+", text)
    if not 1 <= len(tokens) <= 6 or _ORG_WORD.search(re.sub(r"[\[(].*?[\])]", "", text)):
        return False
    if re.search(r"\d", text) or not tokens[0][0].isupper():
        return False
    for token in tokens:
        bare = token.strip(",")
        if not _NAME_TOKEN.match(bare):
            return False
        letters = re.sub(r"[^A-Za-z]", "", bare)
        if len(letters) >= 2 and letters.isupper() and not _ROMAN.match(letters):
            return False  # an acronym: USSR, CPSU, DPRK
    return True


def _strip_honorific(text: str) -> str:
    return _HONORIFIC.sub("", text).strip()


def _party(phrase: str) -> _Party | None:
    """One sender or recipient: a person, an office, or an office with its holder."""
    phrase = _TRAILING_NOTE.sub("", re.sub(r"\s+", " ", phrase)).strip(" ,;:.")
    if not phrase:
        return None
    has_article = bool(re.match(r"(?:the|The)\s", phrase))
    core = _strip_honorific(_clean(phrase))
    paren = _PERSON_IN_PARENS.search(core)
    if paren:
        holder = paren.group()[1:-1].strip()
        office = _clean(core[: paren.start()] + " " + core[paren.end() :])
        if _is_name(holder) and (has_article or not _is_name(core[: paren.start()].strip())):
            return _Party(_strip_honorific(holder), office or None)
    if not has_article:
        titled = re.match(
            rf"^(?P<office>{_TITLE_ADJECTIVE}{_TITLE_WORD})\s+(?P<name>[A-Z].*)$", core
        )
        if titled and _is_name(titled["name"]):
            return _Party(_strip_honorific(titled["name"]), titled["office"])
        if _is_name(core):
            return _Party(core, None)
    trailing = _INITIALS_NAME.match(core)
    if trailing and not _is_name(trailing["office"]):
        return _Party(trailing["name"], _clean(trailing["office"]))
    return _Party(None, core)


def _split_parties(segment: str) -> list[_Party]:
    """A list of parties: "Stalin, Molotov, and Malenkov", "the X (A) and the Y (B)"."""
    pieces: list[str] = []
    separators: list[str] = []
    depth, last = 0, 0
    for match in _SEPARATORS.finditer(segment):
        depth = segment.count("(", 0, match.start()) - segment.count(")", 0, match.start())
        depth += segment.count("[", 0, match.start()) - segment.count("]", 0, match.start())
        if depth:
            continue
        pieces.append(segment[last : match.start()])
        separators.append(match.group())
        last = match.end()
    pieces.append(segment[last:])

    # Rejoin what the split broke inside one office ("the Minister of Industry and Trade").
    merged: list[str] = [pieces[0]]
    joins: list[str] = []
    for separator, piece in zip(separators, pieces[1:], strict=True):
        starts_office = re.match(r"\s*(?:the|The)\s", piece)
        previous_is_office = re.match(r"\s*(?:the|The)\s", merged[-1])
        if previous_is_office and not starts_office and not _is_name(_strip_honorific(piece)):
            merged[-1] += separator + piece
        else:
            merged.append(piece)
            joins.append(separator)

    parties: list[_Party] = []
    for index, piece in enumerate(merged):
        party = _party(piece)
        if party is None:
            continue
        appositive = (
            index > 0 and joins[index - 1].startswith(",") and "and" not in joins[index - 1]
        )
        if (
            appositive
            and parties
            and parties[-1].person is None
            and party.office is None
            and party.person
        ):
            parties[-1].person = party.person  # "the Soviet ambassador, Shtykov"
            continue
        if party.office is None and party.person and not _is_name(party.person):
            break
        parties.append(party)
    return parties


def _has_topic(text: str) -> re.Match[str] | None:
    """The first topic marker in ``text`` that does not sit inside a FRUS office."""
    for match in _TOPIC.finditer(text):
        if not _PERSON_IN_PARENS.search(text, match.end()):
            return match
    return None


def _cut_topic(text: str) -> str:
    match = _has_topic(text)
    return text[: match.start()] if match else text


def _address_split(text: str) -> tuple[str, str] | None:
    """Split "SENDER to RECIPIENT ..." at the "to" that addresses the document."""
    best: tuple[str, str] | None = None
    for match in re.finditer(r"\s+to\s+", text):
        left, right = text[: match.start()], text[match.end() :]
        if not left.strip() or _OFFICE_TO.search(left) or _has_topic(left):
            continue
        best = (left, right)
    return best


def _names_a_body(office: str | None) -> bool:
    """Whether an office phrase is headed by a body or title: "Central Committee of the
    CPSU", "Soviet Embassy", not "Meeting of the Military Council"."""
    if not office:
        return False
    head = re.split(r"\s+(?:of|in|at|to|for|on)\s+", office, maxsplit=1)[0]
    return bool(_ORG_WORD.search(head) or re.search(rf"\b{_TITLE_WORD}\b", head))


def _with_parties(heading: Heading, senders: list[_Party], recipients: list[_Party]) -> Heading:
    if senders:
        first, *others = senders
        heading.sender, heading.sender_office = first.person, first.office
        heading.co_senders = [p.person for p in others if p.person]
        heading.co_sender_offices = [p.office for p in others if p.office]
    heading.recipients = [p.person for p in recipients if p.person]
    heading.recipient_offices = [p.office for p in recipients if p.office]
    return heading


def _parties(text: str) -> tuple[list[_Party], list[_Party]] | None:
    """Senders and recipients from "A to B ..."; None when there is no address."""
    split = _address_split(text)
    if split is None:
        return None
    left, right = split
    senders = _split_parties(left)
    recipients = _split_parties(_cut_topic(right))
    if not senders or not recipients:
        return None
    return senders, recipients


# --- public API --------------------------------------------------------------------------


def _leading_type(title: str) -> tuple[str | None, int] | None:
    """The type named at the start of ``title`` and where the rest begins, if any."""
    prefix = _TYPE_PREFIX.match(title)
    start = prefix.end() if prefix else 0
    for rx, doc_type in _TYPE_RX:
        match = rx.match(title, start)
        if match:
            return doc_type, match.end()
    return None


_HELD_ON = re.compile(r",\s+Held\s+(?:on|at|in)\s+[^,]+(?:,\s+\d{4})?,")


def parse_heading(title: str) -> Heading:
    """Read a document title for its type, sender and recipients.

    Args:
        title: the title as the archive gives it.

    Returns:
        A Heading; fields the title does not state are None or empty. ``doc_type`` is
        one of the contract's types ("telegram", "letter", "record of conversation",
        "report", "memorandum", "minutes", "resolution", "speech", "diary", "note",
        "other") or None.
    """
    title = re.sub(r"\s+", " ", title).strip().rstrip(".")
    # "Memorandum of Conversation, Held on May 17, 1949, by ...": when, not who
    title = _HELD_ON.sub(",", title)
    heading = Heading()
    found = _leading_type(title)
    if found is None:
        # FRUS: "The Ambassador in Korea (Muccio) to the Secretary of State",
        # "President Truman to Prime Minister Attlee". Other untyped titles say nothing.
        if re.match(rf"(?:The|Mr\.|Mrs\.|{_TITLE_ADJECTIVE}{_TITLE_WORD})\s", title):
            parties = _parties(title)
            if parties:
                return _with_parties(heading, *parties)
        return heading

    heading.doc_type, end = found
    rest = title[end:]
    number = _NUMBER.match(rest)
    if number:
        rest = rest[number.end() :]
    rest = re.sub(r"^\s*[,:]?\s*", "", rest)

    if heading.doc_type == "record of conversation":
        # "Memorandum of Conversation, by the Director ... (Butterworth)"; a record
        # "between A, B and C" names participants, not an author.
        by = re.match(r"(?:prepared\s+)?by\s+", rest, re.IGNORECASE)
        if by:
            senders = _split_parties(_cut_topic(rest[by.end() :]))
            return _with_parties(heading, senders, [])
        return heading

    lead = re.match(r"(?P<word>from|by|prepared\s+by|sent\s+by|of|to|for)\s+", rest, re.IGNORECASE)
    word = lead["word"].lower() if lead else ""
    body = rest[lead.end() :] if lead else rest

    if word == "to":
        # "Telegram to Mao Zedong from Stalin"
        to_from = re.match(r"(?P<to>.+?)\s+from\s+(?P<from>.+)$", body, re.IGNORECASE)
        if to_from:
            senders = _split_parties(_cut_topic(to_from["from"]))
            return _with_parties(heading, senders, _split_parties(to_from["to"]))
        return _with_parties(heading, [], _split_parties(_cut_topic(body)))
    if word == "for":
        # "Memorandum for the President, by the Secretary of State"
        if heading.doc_type != "memorandum" or re.match(r"(?:the\s+)?(?:Record|Files?)\b", body):
            return heading
        for_by = re.match(r"(?P<to>.+?),?\s+(?:by|from)\s+(?P<by>.+)$", body, re.IGNORECASE)
        if for_by:
            senders = _split_parties(_cut_topic(for_by["by"]))
            return _with_parties(heading, senders, _split_parties(for_by["to"]))
        return _with_parties(heading, [], _split_parties(_cut_topic(body)))
    if word == "of" and heading.doc_type not in ("diary", "speech", "resolution", "report"):
        return heading
    if not word and _TOPIC.match(" " + body):
        return heading  # "Report on the situation ...": a subject, not an address

    # "From the Journal of Ambassador Puzanov, Record of a Conversation with Kim Il Sung":
    # a record of conversation kept in the author's journal.
    entry = _DIARY_ENTRY.search(body) if heading.doc_type == "diary" else None
    if entry:
        heading.doc_type = "record of conversation"
        body = body[: entry.start()]

    # "Ciphered telegram from Beijing, Roshchin to Filippov [Stalin]": a place of origin,
    # then the address.
    origin = re.match(r"(?P<place>[A-Z][\w-]+(?:\s[A-Z][\w-]+)?),\s+(?P<address>.+)$", body)
    if word == "from" and origin and _parties(origin["address"]):
        body = origin["address"]
    parties = _parties(body)
    if parties:
        return _with_parties(heading, *parties)
    if not word:
        return heading  # "Telegram Shtykov ..." with no address is too little to go on
    senders = _split_parties(_cut_topic(body))
    if word == "of" or heading.doc_type == "resolution":
        # "Resolution of the CC CPSU Politburo", "Diary of A. M. Puzanov": an author only
        # when the phrase names a body or a person, not a subject ("Report of the Meeting").
        senders = [s for s in senders if s.person or _names_a_body(s.office)]
    return _with_parties(heading, senders, [])


_DEAR = re.compile(r"(?:My\s+)?Dear\s+(?:Comrades?|Cde\.|Mr\.|Mrs\.|Sir|Madam|[A-Z])", re.I)
# A letter's salutation standing first ("Sir: In connection with ...", "Excellency:").
_SALUTATION = re.compile(
    r"^(?:Sir|Madam|Excellency|Your Excellency|Mr\.\s+(?:President|Secretary|Minister|"
    r"Ambassador|Chairman))\s*[:,]"
)
# Print sets the classification and the dateline on one line.
_MARKED_DATELINE = re.compile(
    r"^(?:(?:strictly\s+|top\s+)?secret|confidential|restricted)\b[.\s]+(.+)$", re.I
)
_COMPLIMENTS = re.compile(r"\bpresents? (?:his|her|its) compliments\b", re.I)
_SKIP_LINE = re.compile(
    r"^(?:(?:strictly\s+|top\s+)?secret|confidential|restricted|urgent|copy(?:\s+no\.?.*)?"
    r"|(?:Nº|№|No\.?|#)\s*\d.*|\d[\d\s./:-]*|translation(?:\s+from\s+\w+)?|\[.*\]|\(.*\))\.?$",
    re.IGNORECASE,
)
# What may follow a type word on a label line: "Telegram No. 5", "Record of conversation
# with ...", "TELEGRAM" alone; not a verb ("Reports indicate ...").
_LABEL_END = re.compile(
    r"\s*(?:$|[:,(\[]|No\.?\s*\d|Nº|№|#|\d|(?:of|on|from|by|to|for|about|with|between"
    r"|regarding|concerning|No)\b)",
    re.IGNORECASE,
)
_BODY_TYPES = {
    "telegram",
    "record of conversation",
    "letter",
    "memorandum",
    "report",
    "minutes",
    "resolution",
    "speech",
    "diary",
}


def doc_type_from_body(text: str) -> str | None:
    """The type a body's opening label states ("Ciphered telegram", "Record of conversation").

    Only label lines before the first line of prose count: classification marks,
    numbers and datelines are passed over, and a dateline alone ("Nº 1258 22 September
    1950 2030") does not make a telegram. A salutation ("Dear Comrade Stalin!") at the
    start makes a letter.

    Args:
        text: the document body.

    Returns:
        A contract type, or None when the opening states none.
    """
    for raw_line in text[:2000].splitlines()[:15]:
        line = re.sub(r"^[\s#>*_\-•]+|[\s*_]+$", "", raw_line)
        if not line:
            continue
        if (_DEAR.match(line) and len(line) <= 80) or _SALUTATION.match(line):
            return "letter"
        if _COMPLIMENTS.search(line):
            return "note"  # "The Secretary of State presents his compliments to ..."
        found = _leading_type(line) if len(line) <= 250 else None
        if found and found[0] in _BODY_TYPES and _LABEL_END.match(line, found[1]):
            return found[0]
        marked = _MARKED_DATELINE.match(line)
        if (
            _SKIP_LINE.match(line)
            or _is_dateline(line)
            or (marked and _is_dateline(marked.group(1)))
        ):
            continue
        if len(line) > 120 or re.search(r"[.!?]\W*$", line):
            return None  # prose has begun
    return None


def _is_dateline(line: str) -> bool:
    """A line that is only a place, number, date and time: "Nº 1258 22 September 1950 2030"."""
    if len(line) > 80:  # checked first: the substitution below is costly on a prose line
        return False
    stripped = re.sub(
        r"(?:Nº|№|No\.?|#)\s*\d+|\d{1,2}(?:st|nd|rd|th)?|\d{4}|[A-Z][A-Za-z]+\.?|[\s,.:;\\*()\[\]—–-]",
        "",
        line,
    )
    return not stripped and bool(re.search(r"\d", line)) and len(line) <= 80

"""Document type, sender and recipients from titles; type cues from a body's opening."""

from __future__ import annotations

import pytest

from fonds.extract.headings import Heading, doc_type_from_body, parse_heading
from fonds.model import DOC_TYPES

# --- Wilson Center titles ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Telegram Shtykov to Vyshinsky on a Luncheon at the Ministry of Foreign Affairs of "
            "the DPRK",
            Heading("telegram", "Shtykov", ["Vyshinsky"]),
        ),
        (
            "Ciphered Telegram No. 25553, Roshchin to Filippov [Stalin]",
            Heading("telegram", "Roshchin", ["Filippov [Stalin]"]),
        ),
        (
            "Ciphered telegram, Filippov [Stalin] to Soviet ambassador in Beijing [Roshchin] "
            "for Zhou Enlai",
            Heading(
                "telegram",
                "Filippov [Stalin]",
                [],
                None,
                ["Soviet ambassador in Beijing [Roshchin] for Zhou Enlai"],
            ),
        ),
        (
            "Telegram from the leader of the group of Soviet specialists in Northeast China to "
            "the Chairman of the USSR Council of Ministers about the results of the "
            "Chinese-Korean talks on military cooperation",
            Heading(
                "telegram",
                None,
                [],
                "leader of the group of Soviet specialists in Northeast China",
                ["Chairman of the USSR Council of Ministers"],
            ),
        ),
        (
            "Telegram from the Soviet ambassador to the DPRK to the first deputy minister of "
            "foreign affairs with information about the North Korean Workers Party CC meeting",
            Heading(
                "telegram",
                None,
                [],
                "Soviet ambassador to the DPRK",
                ["first deputy minister of foreign affairs"],
            ),
        ),
        ("Letter from Kim Il Sung to Stalin", Heading("letter", "Kim Il Sung", ["Stalin"])),
        ("Cable, Mao Zedong to Zhou Enlai", Heading("telegram", "Mao Zedong", ["Zhou Enlai"])),
        ("Cable from Mao Zedong to Stalin", Heading("telegram", "Mao Zedong", ["Stalin"])),
        (
            "Telegram from Stalin to Mao Zedong and Zhou Enlai, 1 October 1950",
            Heading("telegram", "Stalin", ["Mao Zedong", "Zhou Enlai"]),
        ),
        (
            "Telegram from Kim Il Sung to Stalin about sending troops to Korea",
            Heading("telegram", "Kim Il Sung", ["Stalin"]),
        ),
        (
            "Telegram No. 1258 from Shtykov to Vyshinsky regarding the Party political council",
            Heading("telegram", "Shtykov", ["Vyshinsky"]),
        ),
        (
            "Ciphered telegram from Beijing, Roshchin to Filippov [Stalin], transmitting a "
            "message from Mao",
            Heading("telegram", "Roshchin", ["Filippov [Stalin]"]),
        ),
        (
            "Telegram to Mao Zedong from Stalin",
            Heading("telegram", "Stalin", ["Mao Zedong"]),
        ),
        (
            "Letter from Comrade Stalin to Comrades Mao Zedong, Zhou Enlai, and Liu Shaoqi",
            Heading("letter", "Stalin", ["Mao Zedong", "Zhou Enlai", "Liu Shaoqi"]),
        ),
        (
            "Letter from Kim Il Sung and Pak Heon-yeong to Stalin",
            Heading("letter", "Kim Il Sung", ["Stalin"], co_senders=["Pak Heon-yeong"]),
        ),
        (
            "Letter from T. F. Shtykov to A. Ya. Vyshinsky",
            Heading("letter", "T. F. Shtykov", ["A. Ya. Vyshinsky"]),
        ),
        (
            "Cable from Zhou Enlai to Stalin, 10 October 1950",
            Heading("telegram", "Zhou Enlai", ["Stalin"]),
        ),
        (
            "Cable from Soviet Ambassador Shtykov to the USSR Foreign Ministry",
            Heading("telegram", "Shtykov", [], "Soviet Ambassador", ["USSR Foreign Ministry"]),
        ),
        (
            "Telegram from Gromyko to the Soviet Ambassador to the DPRK",
            Heading("telegram", "Gromyko", [], None, ["Soviet Ambassador to the DPRK"]),
        ),
        (
            "Letter from the CC CPSU to the CC of the Korean Workers' Party",
            Heading("letter", None, [], "CC CPSU", ["CC of the Korean Workers' Party"]),
        ),
        (
            "Report from Shtykov to Stalin on the military situation",
            Heading("report", "Shtykov", ["Stalin"]),
        ),
        (
            "Note from the Soviet Embassy about the repatriation of Koreans",
            Heading("note", None, [], "Soviet Embassy"),
        ),
        (
            "Speech by Kim Il Sung at the Third Party Congress",
            Heading("speech", "Kim Il Sung"),
        ),
        (
            "Diary of Soviet Ambassador to the DPRK A. M. Puzanov for 1 January 1957",
            Heading("diary", "A. M. Puzanov", [], "Soviet Ambassador to the DPRK"),
        ),
        (
            "From the Journal of Ambassador Puzanov, Record of a Conversation with Kim Il Sung",
            Heading("record of conversation", "Puzanov", [], "Ambassador"),
        ),
        (
            "Resolution of the CC CPSU Politburo on the Korean Question",
            Heading("resolution", None, [], "CC CPSU Politburo"),
        ),
        (
            "Record of a Conversation between Stalin, Kim Il Sung, Pak Heon-yeong, Zhou Enlai, "
            "and Peng Dehuai",
            Heading("record of conversation"),
        ),
        (
            "Record of Conversation of Comrade Stalin with Kim Il Sung",
            Heading("record of conversation"),
        ),
        (
            "Conversations Stalin with Kim II Sung and Pak Hon-yong",
            Heading("record of conversation"),
        ),
        ("Minutes of Conversation between Mao Zedong and Yudin", Heading("record of conversation")),
        (
            "Memorandum of Conversation between Zhou Enlai and Roshchin",
            Heading("record of conversation"),
        ),
        ("Report on Kim Il Sung's visit to the USSR", Heading("report")),
        ("Report of the Meeting of the Military Council", Heading("report")),
        ("Minutes of the Meeting of the Politburo", Heading("minutes")),
        ("Protocol No. 84 of the Politburo Meeting", Heading("minutes")),
        ("Excerpt from the Minutes of the Politburo", Heading("minutes")),
        ("Resolution of the Korean Question", Heading("resolution")),
        ("Information about the North Korean Workers Party Central Committee Meeting", Heading()),
        ("Mao Zedong's Talk with Kim Il Sung", Heading()),
        ("On the Korean Question", Heading()),
        ("Kim Il Sung and the Korean War", Heading()),
        ("", Heading()),
    ],
)
def test_wilson_titles(title: str, expected: Heading) -> None:
    assert parse_heading(title) == expected


# --- FRUS titles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "The Ambassador in Korea (Muccio) to the Secretary of State",
            Heading(None, "Muccio", [], "Ambassador in Korea", ["Secretary of State"]),
        ),
        (
            "The Secretary of State to the Embassy in Korea",
            Heading(None, None, [], "Secretary of State", ["Embassy in Korea"]),
        ),
        (
            "The Secretary of State to the American Mission in Korea",
            Heading(None, None, [], "Secretary of State", ["American Mission in Korea"]),
        ),
        (
            "The Secretary of State to Certain Diplomatic Offices",
            Heading(None, None, [], "Secretary of State", ["Certain Diplomatic Offices"]),
        ),
        (
            "The Assistant Secretary of State for Occupied Areas (Saltzman) to the Under "
            "Secretary of the Army (Draper)",
            Heading(
                None,
                "Saltzman",
                ["Draper"],
                "Assistant Secretary of State for Occupied Areas",
                ["Under Secretary of the Army"],
            ),
        ),
        (
            "The Under Secretary of the Army ( Draper ) to the Under Secretary of State ( Lovett )",
            Heading(
                None,
                "Draper",
                ["Lovett"],
                "Under Secretary of the Army",
                ["Under Secretary of State"],
            ),
        ),
        (
            "The Ambassador in the Soviet Union (Smith) to the Secretary of State (Marshall)",
            Heading(
                None,
                "Smith",
                ["Marshall"],
                "Ambassador in the Soviet Union",
                ["Secretary of State"],
            ),
        ),
        (
            "The Ambassador in the Soviet Union (Smith) to the Secretary of State [Extract]",
            Heading(None, "Smith", [], "Ambassador in the Soviet Union", ["Secretary of State"]),
        ),
        (
            "The Secretary of War (Patterson) and the Secretary of the Navy (Forrestal) to the "
            "Secretary of State",
            Heading(
                None,
                "Patterson",
                [],
                "Secretary of War",
                ["Secretary of State"],
                co_senders=["Forrestal"],
                co_sender_offices=["Secretary of the Navy"],
            ),
        ),
        (
            "The Secretary of State to the Chairman of the Senate Committee on Foreign Relations "
            "(Vandenberg)",
            Heading(
                None,
                None,
                ["Vandenberg"],
                "Secretary of State",
                ["Chairman of the Senate Committee on Foreign Relations"],
            ),
        ),
        (
            "The Secretary of State to the Under Secretary of State for Economic Affairs "
            "(Clayton) at Geneva",
            Heading(
                None,
                None,
                ["Clayton"],
                "Secretary of State",
                ["Under Secretary of State for Economic Affairs"],
            ),
        ),
        (
            "The Secretary of State to the United States Special Representative in Europe "
            "(Harriman), at Paris",
            Heading(
                None,
                None,
                ["Harriman"],
                "Secretary of State",
                ["United States Special Representative in Europe"],
            ),
        ),
        (
            "The United States Representative at the United Nations (Austin) to the Secretary "
            "of State",
            Heading(
                None,
                "Austin",
                [],
                "United States Representative at the United Nations",
                ["Secretary of State"],
            ),
        ),
        (
            "The Special Assistant to the President (Jackson) to the Secretary of State",
            Heading(
                None, "Jackson", [], "Special Assistant to the President", ["Secretary of State"]
            ),
        ),
        (
            "The Chairman (Vandenberg) of the Foreign Relations Committee to the Secretary of "
            "State",
            Heading(
                None,
                "Vandenberg",
                [],
                "Chairman of the Foreign Relations Committee",
                ["Secretary of State"],
            ),
        ),
        (
            "The Acting Secretary of State to President Truman",
            Heading(None, None, ["Truman"], "Acting Secretary of State", ["President"]),
        ),
        (
            "President Truman to Prime Minister Attlee",
            Heading(None, "Truman", ["Attlee"], "President", ["Prime Minister"]),
        ),
        (
            "Generalissimo Chiang Kai-shek to President Truman",
            Heading(None, "Chiang Kai-shek", ["Truman"], "Generalissimo", ["President"]),
        ),
        (
            "Mr. John Foster Dulles to the Secretary of State",
            Heading(None, "John Foster Dulles", [], None, ["Secretary of State"]),
        ),
        (
            "The British Embassy to the Department of State",
            Heading(None, None, [], "British Embassy", ["Department of State"]),
        ),
        (
            "Memorandum by the Director of the Office of Far Eastern Affairs (Butterworth) to the "
            "Secretary of State",
            Heading(
                "memorandum",
                "Butterworth",
                [],
                "Director of the Office of Far Eastern Affairs",
                ["Secretary of State"],
            ),
        ),
        (
            "Memorandum by the Director of the Policy Planning Staff (Kennan) to the Secretary of "
            "State and the Under Secretary of State (Lovett)",
            Heading(
                "memorandum",
                "Kennan",
                ["Lovett"],
                "Director of the Policy Planning Staff",
                ["Secretary of State", "Under Secretary of State"],
            ),
        ),
        (
            "Memorandum of Conversation, by the Director of the Office of Far Eastern Affairs "
            "(Butterworth)",
            Heading(
                "record of conversation",
                "Butterworth",
                [],
                "Director of the Office of Far Eastern Affairs",
            ),
        ),
        (
            "Memorandum of Conversation, by the Secretary of the Army (Royall)",
            Heading("record of conversation", "Royall", [], "Secretary of the Army"),
        ),
        (
            "Memorandum of Telephone Conversation, by the Secretary of State",
            Heading("record of conversation", None, [], "Secretary of State"),
        ),
        (
            "Draft Letter From the President of the Republic of Korea (Rhee) to the Special "
            "Representative in Korea (Muccio)",
            Heading(
                "letter",
                "Rhee",
                ["Muccio"],
                "President of the Republic of Korea",
                ["Special Representative in Korea"],
            ),
        ),
        (
            "Report by the National Security Council to the President",
            Heading("report", None, [], "National Security Council", ["President"]),
        ),
        (
            "Note by the Executive Secretary of the National Security Council (Lay) to the "
            "National Security Council",
            Heading(
                "note",
                "Lay",
                [],
                "Executive Secretary of the National Security Council",
                ["National Security Council"],
            ),
        ),
        (
            "Memorandum for the President, by the Secretary of State",
            Heading("memorandum", None, [], "Secretary of State", ["President"]),
        ),
        ("Memorandum for the Record", Heading("memorandum")),
        (
            "Memorandum Prepared by the Policy Planning Staff",
            Heading("memorandum", None, [], "Policy Planning Staff"),
        ),
        ("Editorial Note", Heading()),
        ("Korea", Heading()),
    ],
)
def test_frus_titles(title: str, expected: Heading) -> None:
    assert parse_heading(title) == expected


# --- the type vocabulary ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        ("Telegram", "telegram"),
        ("TELEGRAM", "telegram"),
        ("Cable", "telegram"),
        ("Cablegram", "telegram"),
        ("Ciphered telegram", "telegram"),
        ("Cipher Telegram", "telegram"),
        ("Coded Telegram No. 5", "telegram"),
        ("Radiogram", "telegram"),
        ("Letter", "letter"),
        ("Personal Letter", "letter"),
        ("Record of Conversation", "record of conversation"),
        ("Record of a Conversation", "record of conversation"),
        ("Memorandum of Conversation", "record of conversation"),
        ("Memorandum of a Conversation", "record of conversation"),
        ("Notes of a Conversation", "record of conversation"),
        ("Transcript of Talks", "record of conversation"),
        ("Record of a Meeting between Stalin and Mao", "record of conversation"),
        ("Memorandum", "memorandum"),
        ("Aide-Mémoire", "memorandum"),
        ("Report", "report"),
        ("Minutes", "minutes"),
        ("Stenographic Record of the Plenum", "minutes"),
        ("Resolution", "resolution"),
        ("Decree of the Presidium", "resolution"),
        ("Decision of the Politburo", "resolution"),
        ("Speech", "speech"),
        ("Address by Kim Il Sung", "speech"),
        ("Diary", "diary"),
        ("Journal of Ambassador Puzanov", "diary"),
        ("Note", "note"),
        ("Verbal Note", "note"),
        ("Note Verbale", "note"),
        ("Airgram", "other"),
        ("Despatch", "other"),
        ("Treaty of Friendship", "other"),
        ("Agreement on Economic Aid", "other"),
        ("Joint Communiqué", None),
        ("Communiqué", "other"),
        ("Statement by the Ministry", "other"),
        ("Directive to the Commander", "other"),
        ("Information", None),
        ("Protocol", None),
        ("Notebook", None),
        ("Telegraphic", None),
        ("Reportedly", None),
    ],
)
def test_type_vocabulary(title: str, doc_type: str | None) -> None:
    result = parse_heading(title).doc_type
    assert result == doc_type
    assert result is None or result in DOC_TYPES


def test_sender_only_parties_never_invent_recipients() -> None:
    heading = parse_heading("Telegram Shtykov reports a meeting")
    assert heading == Heading("telegram")


# --- body cues ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "doc_type"),
    [
        (
            "Nº 79\n\nTelegram from the Soviet ambassador to the DPRK to the first deputy "
            "minister of foreign affairs\n\nNº 1258 22 September 1950 2030\\*\n\nOn 21 "
            "September 1950 I was visited by Labor Party CC Secretary Heo Gai.",
            "telegram",
        ),
        (
            "CIPHERED TELEGRAM\nStrictly secret\nTo Comrade Stalin.\nText of the message.",
            "telegram",
        ),
        ("Ciphered telegram No. 4321\n\nI report that...", "telegram"),
        (
            "Top Secret\nRecord of conversation with Kim Il Sung, 12 May 1957\nToday I...",
            "record of conversation",
        ),
        ("SECRET\n\nMEMORANDUM OF CONVERSATION\n\nSubject: Korea", "record of conversation"),
        ("## Memorandum of conversation\n\nParticipants: ...", "record of conversation"),
        ("Dear Comrade Stalin!\n\nI ask you to receive me.", "letter"),
        ("Copy No. 3\nDear Mr. Secretary:\nI have the honor", "letter"),
        ("From the diary of V. V. Kuznetsov\n\n12 May 1953\n\nToday I received...", "diary"),
        ("RESOLUTION OF THE POLITBURO OF THE CC CPSU\n\n1. To approve...", "resolution"),
        ("Minutes No. 5 of the meeting\n\nPresent: ...", "minutes"),
    ],
)
def test_body_labels(body: str, doc_type: str) -> None:
    assert doc_type_from_body(body) == doc_type


@pytest.mark.parametrize(
    "body",
    [
        # A dateline and a signature do not make a telegram without a label.
        "Nº 54611\n\n18 May 1949 1718\n\nYesterday, 17 May, Mao Zedong asked me to inform you "
        "of the following:\n\n1. Kim Il arrived.\n\nKovalev",
        "Nº 1258 22 September 1950 2030\n\nOn 21 September I was visited by Heo Gai.\n\nShtykov",
        "4 September 1952\n\nfrom our side: Cdes. Molotov, Malenkov\n\nStalin. What is the mood?",
        "Strictly secret.\nI report about the frame of mind expressed by Kim Il Sung during a "
        "luncheon. A telegram was sent later.",
        "The Korean people have suffered greatly. A telegram was sent.\nTelegram",
        "Note: the translation is abridged.\nText.",
        "",
        "\n\n\n",
    ],
)
def test_body_without_a_label(body: str) -> None:
    assert doc_type_from_body(body) is None


def test_body_label_after_long_prose_is_ignored() -> None:
    body = "x" * 300 + "\nTelegram from Stalin to Mao"
    assert doc_type_from_body(body) is None


@pytest.mark.parametrize(
    ("body", "doc_type"),
    [
        ("Reports indicate heavy fighting near Seoul.\nMore text.", None),
        ("Letters were exchanged.\n", None),
        ("Strictly secret.\nTelegram No. 12\nText.", "telegram"),
        ("Top Secret\nReport\n\nOn the situation in Korea.", "report"),
        ("Memorandum\n\nThe Soviet Embassy presents...", "memorandum"),
    ],
)
def test_body_label_must_be_a_label(body: str, doc_type: str | None) -> None:
    assert doc_type_from_body(body) == doc_type


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Washington, January 5, 1949.\nThe Secretary of State presents his compliments.", "note"),
        ("No. 2\nSir: In connection with the note of September 14, I have the honor", "letter"),
        ("Excellency: I have the honor to acknowledge the receipt of your note.", "letter"),
        ("Sir Anthony Eden arrived yesterday.", None),
    ],
)
def test_a_salutation_or_the_notes_formula_names_the_type(body: str, expected: str | None) -> None:
    """A diplomatic note opens with its formula ("presents his compliments"), a letter
    with its salutation ("Sir:", "Excellency:"); a title before a name is neither."""
    assert doc_type_from_body(body) == expected

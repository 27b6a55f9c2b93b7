"""From a parsed query to a search plan: names resolved to entity ids, filters made exact.

The plan is what every backend receives. It keeps the query's tree (``And``, ``Or``,
``Not``, ``Term``, ``Phrase``, ``Prefix`` from :mod:`fonds.search.query`) and replaces
what the entity index knows:

- a run of words or a phrase that names a known entity ("Pak Hon Yong", "Chou En-lai",
  "Filippov") becomes a :class:`NameMatch`: documents that mention the entity under
  any name, or that contain any of its known names literally;
- ``person:``, ``place:``, ``org:``, ``sender:``, ``recipient:`` become an
  :class:`EntityFilter` on entity ids (or, for a name no entity answers to, on the
  names of the entities a document mentions);
- ``archive:``, ``type:``, ``lang:``, ``classification:`` become a :class:`ValueFilter`,
  ``date:`` a :class:`DateFilter` of YYYYMMDD day numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from fonds.entities.index import NameIndex
from fonds.entities.names import plain_key
from fonds.search.query import (
    And,
    DateRange,
    Filter,
    Node,
    Not,
    Or,
    Phrase,
    Query,
    Term,
)

MAX_NAME_WORDS = 6  # the longest run of query words tried as one name
MAX_NAME_FORMS = 32  # literal forms of one entity searched in the text
ENTITY_TYPES = {"person": ("person",), "place": ("place",), "org": ("organization",)}
VALUE_FIELDS = {
    "archive": "archive",
    "type": "doc_type",
    "lang": "language",
    "classification": "classification",
}


@dataclass(frozen=True)
class NameMatch:
    """Query words that name known entities: match the ids, or any known name literally."""

    surface: str
    ids: tuple[str, ...]  # canonical ids and the ids merged into them
    names: tuple[str, ...]  # the surface first, then every known name


@dataclass(frozen=True)
class EntityFilter:
    """``person:``/``place:``/``org:``/``sender:``/``recipient:``; ``ids`` empty means
    no entity answers to the value, so it is matched against entity names instead."""

    field: str
    value: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class ValueFilter:
    """``archive:``, ``type:``, ``lang:``, ``classification:``: ``field`` is the index field."""

    field: str
    value: str


@dataclass(frozen=True)
class DateFilter:
    """Documents whose date (an interval) overlaps ``lo``..``hi`` (YYYYMMDD, None open)."""

    lo: int | None
    hi: int | None


PlanNode = Node | NameMatch | EntityFilter | ValueFilter | DateFilter


@dataclass
class Plan:
    """What a backend searches for; ``root`` None means every document."""

    root: PlanNode | None
    sort: str
    names: list[NameMatch] = field(default_factory=list)  # outside exclusions, for display
    filters: list[EntityFilter] = field(default_factory=list)  # likewise
    once: bool = False  # a document kept in several copies is found once (fonds.copies)


class Planner:
    """Resolves the names of a query through one entity index."""

    def __init__(self, index: NameIndex) -> None:
        self.index = index
        self.merged: dict[str, list[str]] = defaultdict(list)
        for old in index.redirects:
            self.merged[index.canonical(old)].append(old)

    def plan(self, query: Query, sort: str | None = None) -> Plan:
        out = Plan(None, sort or query.sort or ("relevance" if query.root else "date"))
        if query.root is not None:
            out.root = self._node(query.root, out, positive=True)
        return out

    # -- the tree --------------------------------------------------------------------------

    def _node(self, node: Node, out: Plan, positive: bool) -> PlanNode:
        if isinstance(node, Not):
            return Not(self._node(node.child, out, positive=False))  # type: ignore[arg-type]
        if isinstance(node, Or):
            return Or(tuple(self._node(c, out, positive) for c in node.children))  # type: ignore[misc]
        if isinstance(node, And):
            return self._and(node, out, positive)
        if isinstance(node, Term):
            return self._run([node], out, positive)[0]
        if isinstance(node, Phrase):
            found = self._name(node.text, quoted=True)
            if found is None:
                return node
            if positive:
                out.names.append(found)
            return found
        if isinstance(node, Filter):
            return self._filter(node, out, positive)
        if isinstance(node, DateRange):
            lo, hi = node.bounds()
            return DateFilter(lo, hi)
        return node  # Prefix

    def _and(self, node: And, out: Plan, positive: bool) -> PlanNode:
        children: list[PlanNode] = []
        run: list[Term] = []
        for child in (*node.children, None):
            if isinstance(child, Term):
                run.append(child)
                continue
            if run:
                children += self._run(run, out, positive)
                run = []
            if child is not None:
                children.append(self._node(child, out, positive))
        return children[0] if len(children) == 1 else And(tuple(children))  # type: ignore[arg-type]

    def _run(self, terms: list[Term], out: Plan, positive: bool) -> list[PlanNode]:
        """Consecutive words, the longest runs that name an entity first."""
        result: list[PlanNode] = []
        i = 0
        while i < len(terms):
            for size in range(min(MAX_NAME_WORDS, len(terms) - i), 0, -1):
                words = [t.text for t in terms[i : i + size]]
                found = self._name(" ".join(words), quoted=False)
                if found is not None:
                    if positive:
                        out.names.append(found)
                    result.append(found)
                    i += size
                    break
            else:
                result.append(terms[i])
                i += 1
        return result

    # -- names -----------------------------------------------------------------------------

    def _name(self, surface: str, quoted: bool) -> NameMatch | None:
        words = surface.split()
        if not words or not any(c.isalpha() for c in surface):
            return None
        if len(words) == 1:
            # One word names an entity only when capitalized (or in a script without
            # case) and the authority file knows it: "Filippov", not "state".
            first = next((c for c in surface if c.isalpha()), "")
            if not quoted and first.islower():
                return None
            ids = [
                i
                for i in self.index.lookup(surface)
                if self.index.entities[i].origin == "authority"
            ]
            if len(ids) != 1:
                return None
        elif surface.islower() and not quoted:
            # lower-case words only by their exact key: no phonetic guess on prose
            ids = sorted(
                {self.index.canonical(i) for i in self.index.plain.get(plain_key(surface), ())}
            )
        else:
            ids = self.index.lookup(surface)
        if not ids:
            return None
        return NameMatch(surface, self._with_merged(ids), self._forms(surface, ids))

    def _with_merged(self, ids: list[str]) -> tuple[str, ...]:
        out: list[str] = []
        for i in ids:
            out += [i, *self.merged.get(i, [])]
        return tuple(dict.fromkeys(out))

    def _forms(self, surface: str, ids: list[str]) -> tuple[str, ...]:
        forms = [surface]
        for i in ids:
            entity = self.index.entities.get(i)
            if entity is not None:
                forms += entity.names
        return tuple(dict.fromkeys(forms))[:MAX_NAME_FORMS]

    # -- filters ---------------------------------------------------------------------------

    def _filter(self, node: Filter, out: Plan, positive: bool) -> PlanNode:
        if node.name in VALUE_FIELDS:
            return ValueFilter(VALUE_FIELDS[node.name], node.value)
        value = node.value
        if value in self.index.entities:
            ids = [self.index.canonical(value)]
        else:
            ids = self.index.lookup(value, ENTITY_TYPES.get(node.name))
        found = EntityFilter(node.name, value, self._with_merged(ids))
        if positive:
            out.filters.append(found)
        return found

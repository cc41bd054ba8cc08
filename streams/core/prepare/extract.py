"""Extraction stage: who (people, organisations), where (normalised places), when (dates resolved
against the publication date), what (event type) — from cleaned article text, without Kafka.

Rule- and gazetteer-based so it runs at thousands of articles per second: spaCy NER costs
~58 ms/article here and still tags boilerplate as people.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta

from streams.core.prepare import names as person_names
from streams.core.prepare.gazetteer import DEMONYMS, Place, gazetteer
from streams.core.prepare.guard import Guarded

WEEKDAYS = {"monday": MO, "tuesday": TU, "wednesday": WE, "thursday": TH, "friday": FR, "saturday": SA,
            "sunday": SU}
MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))  # whole words only: not "dec" in "decades"
TITLES = frozenset("""President Prime Minister Chancellor King Queen Prince Princess Pope Mr Mrs Ms Dr Sen Senator
Rep Gov Governor Mayor Secretary General Gen Judge Justice Chief Leader Premier Minister Speaker Sheikh
Ambassador Spokesman Spokeswoman Officer Sheriff Director CEO Chairman Commander Lt Col Sgt Vice Foreign
Defence Defense State Deputy Former Supreme Kremlin Aide Rev Sir Lord Lady Emperor Crown Cardinal Host Officials
Official Analyst Leaders Officers Members Comrade Counterpart Spokesperson Envoy""".split())
STOP = frozenset("""The A An In On At Of For And But Or If As By To From With After Before During Since While When
Where What Who Why How This That These Those It Its He She They We I You His Her Their Our My Your There Here
Today Yesterday Tomorrow Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
May June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
Reuters AP AFP Advertisement Also Read More Sign Newsletter According Asked Despite However Meanwhile Under
Some Many Most Both Each Every Other Such Than Then Thus Yet So No Not Mr Mrs Ms Last Next Photo Why Get Over
Amid Concurrently Whereas""".split())
ORG_WORDS = frozenset("""Organisation Organization Union Party Ministry Council Agency Bank Company Corp Inc Ltd
Group Committee Commission Department Office Court Parliament Congress Senate Assembly Army Forces Police Bureau
Association Institute University Federation Fund Alliance Service Services Administration Network News Times
Post Journal Airlines Motors Reserve Guard Corps Authority Front Movement Board Club Team Foundation Press Images
Media Studios Television TV Radio Initiative Affairs Treaty Wire""".split())
ORG_ACRONYMS = frozenset("""SCO NATO BRICS EU UN UNICEF WHO IMF OPEC ASEAN G7 G20 FBI CIA NSA NASA WTO OSCE AU
ICC IAEA OECD APEC""".split())
NAME = re.compile(r"[A-Z][\w'’\-]*(?:[ \t]+(?:(?:of|de|al|bin|van|von|la|del|da)[ \t]+)?[A-Z][\w'’\-]*)*")
NOT_PERSON_WORDS = frozenset("""Square Hall Road Street Avenue Sea River Ocean Asia Asian Africa African Europe
European Middle East West North South Island Islands Mountains Valley Bay Gulf Canal Airport Station Palace House
Building Tower Bridge Park Stadium Church Mosque Temple Cathedral Hospital School Coast Region Province State
Republic Kingdom Empire Olympics Games Cup War Day Year Week Festival""".split())
ACRONYM_DEF = re.compile(r"((?:[A-Z][\w\-]+\s+){1,6}[A-Z][\w\-]+)\s+\(([A-Z][A-Z0-9]{1,7})\)")
ACRONYM_IN_BRACKETS = re.compile(r"\([A-Z][A-Z0-9]{1,7}\)")
"""What every ``ACRONYM_DEF`` match contains: a text without it defines no acronym (a cheap scan first)."""
CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)?\b")
CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]+\b")
CACHED_NAMES = 1 << 16
"""Capitalised-name matches whose peeled name is remembered: the same names recur article after article."""
CACHED_FACTS = 2048
"""Texts whose facts are remembered: verbatim wire copies repeat title, text and day."""
DATELINE = re.compile(r"^\s*([A-Z][A-Z .'\-]{2,40}?)(?:,\s*([A-Z][\w .]+?))?(?:,\s*\w+\.? \d{1,2})?\s*"
                      r"(?:\([^)]{1,30}\))?\s*[-–—]\s")
COLON_DATELINE = re.compile(r"^\s*([A-Z][\w'\-]+(?: [A-Z][\w'\-]+)?)(?:,\s*([A-Z][\w .]+?))?:\s+[A-Z]")
"""A place and a colon opening the text ("Astana: Chinese President ..."); only a gazetteer place counts."""
QUOTE = re.compile(r"[\"“]([^\"”]{8,400})[\"”]")
NUMBER = re.compile(r"(?=[$\d])(?:\$?\d[\d,.]*\d(?:\s*(?:billion|million|trillion|percent|%))?|\$\d)")
"""(The lookahead, which every match passes, lets the engine skip to a dollar sign or a digit: half the scan.)"""

EVENT_TYPES: dict[str, tuple[tuple[str, float], ...]] = {
    # A small CAMEO-like taxonomy; each keyword regex adds its weight (title counts x3).
    "summit": ((r"\bsummit\b", 3), (r"\bsidelines? of\b", 2), (r"\bheads? of state\b", 1), (r"\bgathering\b", .5),
               (r"\b(annual|regional) (meeting|gathering|conference) of\b", 2)),
    "call": ((r"\b(video|phone|telephone) (call|conversation|talks)\b", 5), (r"\bspoke by (phone|telephone)\b", 5),
             (r"\bvideo ?(link|conference)\b", 4)),
    "visit": ((r"\bstate visit\b", 5), (r"\bvisit(s|ed|ing)? to\b", 2), (r"\barriv(es|ed|ing) in\b", 2),
              (r"\btrip to\b", 1), (r"\bred[- ]carpet\b", 1)),
    "bilateral_meeting": ((r"\bmet\b", 1), (r"\b(?:hold|holds|held|holding) talks\b", 1.5), (r"\btalks with\b", 1),
                          (r"\bmeeting (with|between)\b", 1),
                          (r"\b(high-level|bilateral) (meeting|talks)\b", 2),
                          (r"\b(face-to-face|one-on-one|in-person) (meeting|talks)\b", 1)),
    "attack": ((r"\b(shooting|gunman|gunmen|shot dead|opened fire)\b", 3), (r"\b(bomb|bombing|explosion|blast)\b", 3),
               (r"\b(terror|terrorist|attack(er|ers)?)\b", 2), (r"\bstabbing\b", 3)),
    "disaster": ((r"\b(earthquake|quake|tsunami|hurricane|typhoon|cyclone|tornado|flood(s|ing)?|wildfires?|"
                  r"landslide|eruption|volcano|storm)\b", 3),),
    "accident": ((r"\b(crash(ed|es)?|derail(ed|ment)|collision|collided|capsized|sank)\b", 3),),
    "election": ((r"\b(election|elections|ballot|polls? (open|close)|voters|vote count|runoff|referendum)\b", 2.5),),
    "protest": ((r"\b(protest(s|ers)?|demonstrat(ion|ions|ors)|rall(y|ies)|marched)\b", 2.5),),
    "legal": ((r"\b(court|trial|sentenced|convicted|indicted|lawsuit|verdict|ruling|judge)\b", 1.5),),
    "launch": ((r"\b(launch(es|ed)?|rocket|missile|satellite)\b", 2),),
    "economy": ((r"\b(tariffs?|interest rates?|inflation|stock market|shares (fell|rose)|earnings)\b", 1.5),),
}
# The patterns are lowercase and run on lowercased text (cheaper than IGNORECASE).
# Each is guarded by the words every match contains (most patterns find nothing in most texts).
_TYPE_RES = {kind: [(Guarded(p), w) for p, w in rules] for kind, rules in EVENT_TYPES.items()}
PLACE_FREE_TYPES = frozenset({"call"})
COMPATIBLE_TYPES = {frozenset({"summit", "bilateral_meeting"}), frozenset({"visit", "bilateral_meeting"})}
"""Kinds that can be one happening: talks on a summit's sidelines, talks during a visit."""


def compatible_types(a: str, b: str) -> bool:
    return a == b or frozenset({a, b}) in COMPATIBLE_TYPES


@dataclass(frozen=True)
class EventDate:
    """An event date and how it was found: explicit, weekday/relative/month_day (inferred from the
    publication date), past (only a date well before publication: background) or published (no date
    in the lead; the publication date)."""

    day: date
    how: str
    text: str = ""

    @property
    def inferred(self) -> bool:
        return self.how != "explicit"


@dataclass
class Facts:
    """What one article says about its event."""

    people: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    location: Place | None = None
    location_source: str = ""  # "dateline", "lead" (named in the first paragraph) or "mentions" (weak)
    event_date: EventDate | None = None
    event_type: str = "other"
    actors: list[str] = field(default_factory=list)
    name_hint: str = ""
    quotes: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    dateline: str | None = None  # the publication day a dateline of the page states (ISO), when the record has none
    dateline_text: str = ""

    def as_dict(self) -> dict:
        return {
            "people": self.people, "organisations": self.organisations,
            "places": [p.label for p in self.places],
            "location": self.location.label if self.location else None,
            "location_source": self.location_source or None,
            "event_date": self.event_date.day.isoformat() if self.event_date else None,
            "event_date_source": self.event_date.how if self.event_date else None,
            "event_date_inferred": self.event_date.inferred if self.event_date else None,
            "event_type": self.event_type, "actors": self.actors, "name_hint": self.name_hint or None,
            "dateline": self.dateline, "dateline_text": self.dateline_text or None,
        }


def quotes(text: str) -> list[str]:
    """Direct quotes of three words or more, in order."""
    return [q.strip() for q in QUOTE.findall(text) if len(q.split()) >= 3]


def numbers(text: str) -> list[str]:
    return sorted({n.rstrip(".,") for n in NUMBER.findall(text)})


def _names(text: str) -> list[tuple[str, str]]:
    """(preceding word, capitalised name) pairs; leading stop/title words are peeled off."""
    found = []
    for match in NAME.finditer(text):
        peeled, name = _peel(match.group(0))
        if name is None:
            continue
        if peeled is None:  # nothing peeled off: the word before the match
            before = text[max(0, match.start() - 25):match.start()].split()
            peeled = before[-1] if before else ""
        found.append((peeled, name))
    return found


@lru_cache(maxsize=CACHED_NAMES)
def _peel(words: str) -> tuple[str | None, str | None]:
    """A capitalised run without its leading stop/title words and trailing particles: (the last word peeled
    off the front, None if none; the name, None if nothing is left)."""
    tokens = words.split()
    for i, token in enumerate(tokens[:-1]):  # "China's Xi" -> "Xi"
        if token.endswith(("'s", "’s")):
            tokens = tokens[i + 1:]
            break
    prev = None
    while tokens and (tokens[0] in STOP or tokens[0] in TITLES or tokens[0] in DEMONYMS
                      or tokens[0] in ("of", "de", "al", "la", "da", "del", "van", "von", "bin")
                      or len(tokens) > 1 and tokens[1] in TITLES and _is_country(tokens[0])):  # "US President"
        prev = tokens.pop(0)
    while tokens and tokens[-1] in ("of", "de", "and", "al", "la", "da"):
        tokens.pop()
    return prev, (_possessive(" ".join(tokens)).rstrip(".'’") if tokens else None)


def _is_country(word: str) -> bool:
    place = gazetteer().lookup(word)
    return place is not None and place.kind == "country"


def _classify(names: list[tuple[str, str]], text: str) -> tuple[Counter, Counter, list[Place]]:
    gaz = gazetteer()
    people: Counter = Counter()
    orgs: Counter = Counter()
    places: list[Place] = []
    acronyms = {m.group(2): m.group(1) for m in ACRONYM_DEF.finditer(text)} if ACRONYM_IN_BRACKETS.search(text) \
        else {}
    for prev, name in names:
        place, organisation, short, personable = _traits(name)
        if place is not None:
            places.append(place)
        elif organisation or name in acronyms:
            orgs[acronyms.get(name, name) if name in acronyms and len(name) > 6 else name] += 1
        elif (prev in TITLES or short) and personable:
            people[name] += 1
    for word in CAPITALISED.findall(text):
        if word in DEMONYMS:
            place = gaz.demonym(word)
            if place is not None:
                places.append(place)
    return people, orgs, places


@lru_cache(maxsize=CACHED_NAMES)
def _traits(name: str) -> tuple[Place | None, bool, bool, bool]:
    """What the text around a name does not change: (its gazetteer place, an organisation whatever the text
    defines, two or three words long, free of words that are no part of a person's name)."""
    gaz = gazetteer()
    words = name.split()
    organisation = name in ORG_ACRONYMS or words[-1] in ORG_WORDS or (name.isupper() and len(name) <= 6)
    personable = not any(w in NOT_PERSON_WORDS or gaz.demonym(w) for w in words)
    return gaz.lookup(name), organisation, len(words) in (2, 3), personable


def _merge_surnames(people: Counter, text: str) -> Counter:
    """Credit later single-word mentions ("Xi", "Putin") to the full name they abbreviate."""
    merged: Counter = Counter()
    full = [p for p in people if len(p.split()) > 1]
    singles = Counter(CAPITALISED_WORD.findall(text))
    for name, count in people.items():
        if len(name.split()) == 1 and any(name in f.split() for f in full):
            continue
        merged[name] += count
    for name in full:
        parts = name.split()
        merged[name] += max(singles.get(parts[0], 0), singles.get(parts[-1], 0)) - people[name]
    return Counter({n: c for n, c in merged.items() if c > 0})


def _dateline_place(text: str) -> Place | None:
    match = DATELINE.match(text) or COLON_DATELINE.match(text)
    if not match:
        return None
    gaz = gazetteer()
    city = gaz.lookup(match.group(1).strip().title()) or gaz.lookup(match.group(1).strip())
    if city is None and match.group(2):
        return gaz.lookup(match.group(2).strip())
    return city


def _location(title: str, paragraphs: list[str], lead: str, places: list[Place]) -> tuple[Place | None, str]:
    """Where the event happened, and how sure: a dateline, the place of an event named in the lead ("the
    summit in Uzbekistan", "a meeting on Wednesday in Beijing"), a city named with "in" in the title or
    first paragraph, or (weak, not used to keep events apart) the most mentioned city."""
    for paragraph in paragraphs[:2]:  # the first may be a standfirst
        dateline = _dateline_place(paragraph)
        if dateline is not None:
            return dateline, "dateline"
    first = title + ". " + (paragraphs[0] if paragraphs else "")
    named = _event_place(lead) or _named_city(first)
    if named is not None:
        return named, "lead"
    cities = Counter(p for p in places if p.kind != "country")
    if cities:
        return cities.most_common(1)[0][0], "mentions"
    return None, ""


EVENT_NOUNS = ("summit|meeting|talks|visit|conference|forum|gathering|ceremony|rally|protest|attack|blast|"
               "explosion|shooting|earthquake|crash|election|vote|trial|launch")
_EVENT_PLACE = re.compile(r"\b(?:" + EVENT_NOUNS + r")\b[^.;:]{0,40}?\b(?:in|at) (?:the [\w\s]{0,30}?"
                          r"(?:capital|city|town) (?:of )?)?([A-Z][\w'\-]+(?: [A-Z][\w'\-]+)?)")


def _event_place(lead: str) -> Place | None:
    """The city or country right after an event noun and "in"/"at" (the first such of the lead)."""
    gaz = gazetteer()
    for match in _EVENT_PLACE.finditer(lead):
        words = match.group(1).split()
        place = gaz.lookup(match.group(1)) or gaz.lookup(_possessive(words[0]))
        if place is not None and place.kind in ("city", "country"):
            return place
    return None


def _named_city(lead: str) -> Place | None:
    gaz = gazetteer()
    for match in re.finditer(r"\b(?:in|at) (?:the [\w\s]{0,30}?(?:capital|city|town) (?:of )?)?"
                             r"([A-Z][\w'\-]+(?: [A-Z][\w'\-]+)?)", lead):
        words = match.group(1).split()
        place = gaz.lookup(match.group(1))
        if place is None and (len(words) == 1 or words[1] not in NOT_PERSON_WORDS):  # not "Mandalay Bay"
            place = gaz.lookup(_possessive(words[0]))
        if place is not None and place.kind == "city":
            return place
    return None


DATE_EXPRESSION = re.compile(
    r"\b(?:(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:'s)?|"
    r"(?P<md>(?P<mon>" + MONTH_WORDS + r")\.? (?P<d>\d{1,2})"
    r"(?:st|nd|rd|th)?(?:,? (?P<y>\d{4}))?)|(?P<dm>(?P<d2>\d{1,2}) (?P<mon2>" + MONTH_WORDS + r")\b\.?"
    r"(?: (?P<y2>\d{4}))?)|(?P<iso>(?P<iy>\d{4})-(?P<im>\d\d)-(?P<id>\d\d))|"
    r"(?P<rel>yesterday|today|tonight|last night|this morning))\b", re.IGNORECASE)
RECENT_DAYS = 7
"""A lead date more than this many days before publication is background, not the reported event."""
CAPTION = re.compile(r"^\s*(?:FILE\s*[-–—:]\s*)?In this\b[^\n]{0,80}?\bphoto\b.*?\.(?=\s+[A-Z(\"“]|\s*$)\s*"
                     r"(?:\([^)]*Photo[^)]*\)\s*)?", re.IGNORECASE | re.DOTALL)


def _possessive(word: str) -> str:
    """ "Beijing's" -> "Beijing"."""
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _day(published: datetime | date | None) -> date | None:
    return published.date() if isinstance(published, datetime) else published


def dates_in(text: str, published: datetime | date | None) -> Iterator[EventDate]:
    """The date expressions of ``text`` that resolve against the publication date, in order."""
    pub = _day(published)
    for match in DATE_EXPRESSION.finditer(text):
        found = _resolve_match(match, pub)
        if found is not None:
            yield found


def event_date_of(text: str, published: datetime | date | None) -> EventDate | None:
    """The date of the reported event: the first date expression of ``text`` that is not more
    than ``RECENT_DAYS`` before publication. Older dates are background ("last year's summit on
    Dec. 31, 2016"): without a recent one the first of them is returned marked ``past`` (not a
    date to tell events apart)."""
    pub = _day(published)
    background = None
    for found in dates_in(text, pub):
        if pub is None or found.day >= pub - timedelta(days=RECENT_DAYS):
            return found
        background = background or found
    return EventDate(background.day, "past", background.text) if background else None


def strip_caption(paragraph: str) -> str:
    """A paragraph without a leading photo caption ("FILE - In this Dec. 20, 2015, file photo,
    ... ."): captions date and place an old picture, not the reported event."""
    return CAPTION.sub("", paragraph, count=1)


def _resolve_match(match: re.Match, pub: date | None) -> EventDate | None:
    text = match.group(0)
    if match.group("wd"):
        return EventDate(pub + relativedelta(weekday=WEEKDAYS[match.group("wd").lower()](-1)), "weekday", text) \
            if pub else None
    if match.group("rel"):
        if pub is None:
            return None
        offset = 1 if match.group("rel").lower() in ("yesterday", "last night") else 0
        return EventDate(pub - timedelta(days=offset), "relative", text)
    try:
        if match.group("iso"):
            return EventDate(date(int(match.group("iy")), int(match.group("im")), int(match.group("id"))),
                             "explicit", text)
        month_word = match.group("mon") or match.group("mon2")
        day = int(match.group("d") or match.group("d2"))
        year = match.group("y") or match.group("y2")
        month = MONTHS[month_word.lower()]
        if month_word.lower() == "may" and match.group("md") and not year and day > 31:
            return None
        if year:
            return EventDate(date(int(year), month, day), "explicit", text)
        if pub is None:
            return None
        guess = date(pub.year, month, day)
        if guess > pub + timedelta(days=7):
            guess = date(pub.year - 1, month, day)
        return EventDate(guess, "month_day", text)
    except ValueError:
        return None


def event_type(title: str, lead: str) -> str:
    scores: dict[str, float] = defaultdict(float)
    title, lead = title.lower(), lead.lower()
    both = title + "\n" + lead  # one guard check for the two texts (a match in either is a match in both)
    for kind, rules in _TYPE_RES.items():
        for guarded, weight in rules:
            found = 0
            if guarded.possible(both):
                found = 3 * len(guarded.pattern.findall(title)) + len(guarded.pattern.findall(lead))
            scores[kind] += weight * found
    kind, score = max(scores.items(), key=lambda item: item[1], default=("other", 0.0))  # first best wins a tie
    return kind if score >= 2 else "other"


def _name_hint(lead: str, orgs: Counter) -> str:
    match = re.search(r"\b([A-Z][\w\-]*(?:\s+[A-Z][\w\-]*){0,5}|[A-Z0-9]{2,6})\s+(?:\([A-Z0-9]{2,7}\)\s+)?"
                      r"(summit|gathering|conference|forum)\b", lead)
    if not match:
        return ""
    name = match.group(1)
    acronym = re.search(re.escape(name) + r"\s+\(([A-Z0-9]{2,7})\)", lead)
    short = acronym.group(1) if acronym else next((a for a in ORG_ACRONYMS if a in name.split()), name)
    if short not in ORG_ACRONYMS and short == name and len(name.split()) > 1:
        short = "".join(w[0] for w in name.split() if w[0].isupper()) if len(name.split()) > 2 else name
    return f"{short} summit" if match.group(2) in ("summit", "gathering") else f"{short} {match.group(2)}"


LEAD_WORDS = 120
"""The lead: the first paragraphs up to this many words (at least ``lead_paragraphs`` of them)."""
ACTORS = 4


def lead_of(paragraphs: list[str], at_least: int = 2, words: int = LEAD_WORDS) -> str:
    taken: list[str] = []
    count = 0
    for paragraph in paragraphs:
        if len(taken) >= at_least and count >= words:
            break
        taken.append(paragraph)
        count += len(paragraph.split())
    return " ".join(taken)


def actors_of(people: Counter, title: str, lead: str) -> list[str]:
    """Who took part: the people the title names (by any part of their name); without any, those the
    lead names; without any, the most mentioned. People only mentioned further down (a rival quoted,
    a byline) are not actors."""
    def named_in(text: str) -> list[str]:
        words = set(re.findall(r"[\w'’\-]+", text))
        return [p for p, _ in people.most_common() if any(part in words for part in p.split())]
    chosen = named_in(title) or named_in(lead) or [p for p, _ in people.most_common()]
    return chosen[:ACTORS]


def extract(title: str, text: str, published: datetime | date | None, lead_paragraphs: int = 2) -> Facts:
    """All facts of one article. ``text`` is the cleaned body (paragraphs split by blank lines);
    ``published``: the publication time or day the record or the page states (relative dates such as
    "on Wednesday" are resolved against it, and stay unknown without it). Only its day counts, so the
    facts of a text already seen on the same day are a copy of the remembered ones."""
    return _copy(_extract(title, text, _day(published), lead_paragraphs))


def _copy(facts: Facts) -> Facts:
    """A copy whose lists the caller may change without changing the remembered facts."""
    return replace(facts, people=list(facts.people), organisations=list(facts.organisations),
                   places=list(facts.places), actors=list(facts.actors), quotes=list(facts.quotes),
                   numbers=list(facts.numbers))


@lru_cache(maxsize=CACHED_FACTS)
def _extract(title: str, text: str, published: date | None, lead_paragraphs: int) -> Facts:
    paragraphs = [p for p in (strip_caption(p) for p in text.split("\n\n")) if p.strip()]
    lead = lead_of(paragraphs, lead_paragraphs)
    body = (title + ".\n" + text).replace("U.S.", "US").replace("U.K.", "UK").replace("U.N.", "UN")
    people, orgs, places = _classify(_names(body), body)
    people = person_names.fold(_merge_surnames(people, body))
    opening = " ".join(paragraphs[:lead_paragraphs])
    kind = event_type(title, opening)
    if kind == "other" and lead != opening:  # an opening of summary bullets names no kind of event
        kind = event_type(title, lead)
    location, location_source = None, ""
    if kind not in PLACE_FREE_TYPES:
        location, location_source = _location(title, paragraphs, lead, places)
    day = published.date() if isinstance(published, datetime) else published
    event_date = event_date_of(title + ". " + lead, day)
    if event_date is None and day is not None:
        event_date = EventDate(day, "published")
    return Facts(
        people=[p for p, _ in people.most_common(12)],
        organisations=[o for o, _ in orgs.most_common(8)],
        places=list(dict.fromkeys(places)),
        location=location, location_source=location_source, event_date=event_date, event_type=kind,
        actors=actors_of(people, title, lead),
        name_hint=_name_hint(title + ". " + lead, orgs) if kind == "summit" else "",
        quotes=quotes(text), numbers=numbers(text))

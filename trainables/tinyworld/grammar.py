"""Concept grammar: language-independent events, and their realisation as tagged tokens in a language.

Why events first: PoS tags, entity spans and NLI labels must be identical in meaning across languages
(like translated test sets), so the generator samples *meanings* and every language only decides how to
say them (order, adjective/adposition/article placement, lexicon, script).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from trainables.tinyworld.languages import LanguageProfile
from trainables.tinyworld.lexicon import (
    ADJECTIVES,
    ADPOSITIONS,
    CONCEPTS,
    INTRANSITIVE,
    NOUNS,
    NUMBERS,
    PLACES,
    TIMES,
    TRANSITIVE,
    NamePool,
)
from trainables.tinyworld.scripts import transliterate

ENTITY_TYPES = ("PER", "ORG", "LOC")
_EN_PLURAL = {"man": "men", "woman": "women", "child": "children", "bus": "buses"}


@dataclass(frozen=True)
class Phrase:
    """A noun phrase: a common noun (with optional number/adjective) or a named entity."""

    noun: str | None = None  # concept key of a common noun
    name: tuple[str, ...] = ()  # Latin phonemic forms of a proper name
    entity: str | None = None  # PER / ORG / LOC for names
    adjective: str | None = None
    number: str | None = None


@dataclass(frozen=True)
class Event:
    agent: Phrase
    verb: str
    patient: Phrase | None = None
    adposition: str | None = None
    place: Phrase | None = None
    time: str | None = None
    negated: bool = False


Token = tuple[str, str, str]  # (surface, UPOS, BIO entity tag)


class EventSampler:
    """Samples events from one RNG; the probabilities keep sentences short (<= ~24 words)."""

    def __init__(self, rng: random.Random, names: NamePool) -> None:
        self.rng = rng
        self.names = names

    def entity(self, kind: str) -> Phrase:
        rng, pool = self.rng, self.names
        if kind == "PER":
            name = (rng.choice(pool.first),) + ((rng.choice(pool.last),) if rng.random() < 0.5 else ())
        elif kind == "ORG":
            name = tuple(rng.sample(pool.orgs, rng.choice((1, 2))))
        else:
            name = tuple(rng.sample(pool.places, 1 if rng.random() < 0.75 else 2))
        return Phrase(name=name, entity=kind)

    def noun_phrase(self, nouns: tuple[str, ...] = NOUNS) -> Phrase:
        rng = self.rng
        return Phrase(
            noun=rng.choice(nouns),
            adjective=rng.choice(ADJECTIVES) if rng.random() < 0.35 else None,
            number=rng.choice(NUMBERS) if rng.random() < 0.2 else None,
        )

    def event(self) -> Event:
        rng = self.rng
        roll = rng.random()
        agent = self.entity("PER") if roll < 0.4 else self.entity("ORG") if roll < 0.55 else self.noun_phrase()
        transitive = rng.random() < 0.7
        patient = None
        if transitive:
            patient = self.entity("PER") if rng.random() < 0.25 else self.noun_phrase()
        place = None
        if rng.random() < 0.5:
            place = self.entity("LOC") if rng.random() < 0.5 else self.noun_phrase(PLACES)
        return Event(
            agent=agent,
            verb=rng.choice(TRANSITIVE if transitive else INTRANSITIVE),
            patient=patient,
            adposition=rng.choice(ADPOSITIONS) if place else None,
            place=place,
            time=rng.choice(TIMES) if rng.random() < 0.3 else None,
            negated=rng.random() < 0.15,
        )

    def sentence(self) -> list[Event]:
        """One or two coordinated clauses."""
        return [self.event()] + ([self.event()] if self.rng.random() < 0.25 else [])


def _word(lang: LanguageProfile, concept: str) -> str:
    return transliterate(lang.lexicon[concept], lang.script)


def realise_phrase(phrase: Phrase, lang: LanguageProfile) -> list[Token]:
    if phrase.entity:
        return [
            (transliterate(part, lang.script, proper=True), "PROPN", f"{'B' if i == 0 else 'I'}-{phrase.entity}")
            for i, part in enumerate(phrase.name)
        ]
    assert phrase.noun is not None
    noun = _word(lang, phrase.noun)
    if lang.code == "en" and phrase.number:
        noun = _EN_PLURAL.get(phrase.noun, phrase.noun + "s")
    core: list[Token] = [(noun, "NOUN", "O")]
    if phrase.adjective:
        adj = (_word(lang, phrase.adjective), "ADJ", "O")
        core = [adj, *core] if lang.adjective_before else [*core, adj]
    if phrase.number:
        core = [(_word(lang, phrase.number), "NUM", "O"), *core]
    if lang.article != "none":
        det = (_word(lang, "the"), "DET", "O")
        core = [det, *core] if lang.article == "before" else [*core, det]
    return core


def realise_clause(event: Event, lang: LanguageProfile) -> list[Token]:
    parts: dict[str, list[Token]] = {"S": realise_phrase(event.agent, lang)}
    verb: list[Token] = [(_word(lang, event.verb), "VERB", "O")]
    if event.negated:
        verb = [(_word(lang, "never"), "ADV", "O"), *verb]
    parts["V"] = verb
    parts["O"] = realise_phrase(event.patient, lang) if event.patient else []
    clause: list[Token] = [tok for slot in lang.order for tok in parts[slot]]
    verb_final = lang.order.endswith("V")
    if event.place and event.adposition:
        place = realise_phrase(event.place, lang)
        adp = (_word(lang, event.adposition), "ADP", "O")
        pp = [*place, adp] if lang.adposition_after else [adp, *place]
        if verb_final:  # adjuncts precede the verb in verb-final languages
            cut = len(clause) - len(parts["V"])
            clause = clause[:cut] + pp + clause[cut:]
        else:
            clause = clause + pp
    if event.time:
        time = (_word(lang, event.time), "ADV", "O")
        clause = [time, *clause] if verb_final else [*clause, time]
    return clause


def realise(events: list[Event], lang: LanguageProfile) -> list[Token]:
    """A full sentence: clauses joined by 'and', ended by the script's full stop."""
    tokens: list[Token] = []
    for i, event in enumerate(events):
        if i:
            tokens.append((_word(lang, "and"), "CCONJ", "O"))
        tokens.extend(realise_clause(event, lang))
    tokens.append((lang.full_stop, "PUNCT", "O"))
    return tokens


def text(tokens: list[Token]) -> str:
    return " ".join(tok for tok, _, _ in tokens)


# ---- NLI: hypotheses derived from the premise's meaning ----


def _optional_parts(event: Event) -> list[str]:
    parts = []
    if event.place:
        parts.append("place")
    if event.time:
        parts.append("time")
    for role in ("agent", "patient"):
        phrase = getattr(event, role)
        if phrase is not None and phrase.adjective:
            parts.append(f"{role}.adjective")
    return parts


def _drop(event: Event, part: str) -> Event:
    if part == "place":
        return replace(event, place=None, adposition=None)
    if part == "time":
        return replace(event, time=None)
    role = part.split(".")[0]
    return replace(event, **{role: replace(getattr(event, role), adjective=None)})


def nli_pair(sampler: EventSampler, label: str) -> tuple[Event, Event]:
    """(premise, hypothesis) whose relation is ``label`` by construction.

    entailment: the hypothesis drops some of the premise's details (a less specific statement);
    contradiction: the same event negated, or the same event placed somewhere else;
    neutral: the hypothesis adds a detail the premise does not give, or swaps in another agent.
    """
    rng = sampler.rng
    premise = sampler.event()
    if label == "entailment":
        if not _optional_parts(premise):
            premise = replace(premise, adposition=rng.choice(ADPOSITIONS), place=sampler.entity("LOC"))
        hyp = premise
        parts = _optional_parts(premise)
        for part in rng.sample(parts, rng.randint(1, len(parts))):
            hyp = _drop(hyp, part)
        return premise, hyp
    if label == "contradiction":
        if premise.place is not None and rng.random() < 0.4:
            other = premise.place
            while other == premise.place:
                other = sampler.entity("LOC") if rng.random() < 0.5 else sampler.noun_phrase(PLACES)
            return premise, replace(premise, place=other)
        hyp = premise
        for part in _optional_parts(premise):
            if rng.random() < 0.5:
                hyp = _drop(hyp, part)
        return premise, replace(hyp, negated=not premise.negated)
    if label == "neutral":
        if rng.random() < 0.3:
            other = premise.agent
            while other == premise.agent:
                other = sampler.entity("PER")
            return premise, replace(premise, agent=other)
        missing = [p for p in ("place", "time") if p not in _optional_parts(premise)]
        if not missing:
            premise = _drop(premise, rng.choice(("place", "time")))
            missing = [p for p in ("place", "time") if p not in _optional_parts(premise)]
        part = rng.choice(missing)
        if part == "place":
            hyp = replace(premise, adposition=rng.choice(ADPOSITIONS), place=sampler.entity("LOC"))
        else:
            hyp = replace(premise, time=rng.choice(TIMES))
        return premise, hyp
    raise ValueError(f"unknown NLI label {label!r}")


assert set(CONCEPTS) >= set(NOUNS + PLACES + TRANSITIVE + INTRANSITIVE + ADJECTIVES + NUMBERS + TIMES)

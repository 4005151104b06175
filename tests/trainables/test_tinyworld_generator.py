"""The tiny world's generator, used directly (no tokenizer, no pretraining): fast."""

from __future__ import annotations

import unicodedata

import pytest

from spaces.catalog import ENGLISH, load_catalog
from trainables.labels import NER, NLI, UPOS
from trainables.tinyworld.generator import Generator, Sizes, fingerprint, pretraining_languages
from trainables.tinyworld.grammar import Event, EventSampler, Phrase, realise
from trainables.tinyworld.languages import profile
from trainables.tinyworld.lexicon import name_pool, stable_rng
from trainables.tinyworld.scripts import in_script, transliterate

SMALL = Sizes(train=30, validation=10, test=20, parallel=20)


def _world_sample(seed: int) -> str:
    gen = Generator(seed, SMALL)
    records: list[object] = []
    for lang in ("en", "hi", "ja", "swh_Latn"):
        for task in ("pos", "ner", "nli"):
            records.append(gen.task(task, lang, "test"))
        records.append(gen.monolingual(lang, 10))
    records.append(gen.parallel("ko"))
    records.append(gen.task("nli", "en", "train"))
    return fingerprint(records)


def test_same_seed_same_data_and_other_seed_differs():
    assert _world_sample(0) == _world_sample(0)
    assert _world_sample(0) != _world_sample(1)


def _transitive_events(n: int = 50) -> list[Event]:
    sampler = EventSampler(stable_rng("test", 0), name_pool(0))
    events = [sampler.event() for _ in range(400)]
    return [e for e in events if e.patient is not None][:n]


@pytest.mark.parametrize("code", ["ja", "hi", "tr", "ko"])
def test_sov_transitive_sentence_ends_with_the_verb(code):
    lang = profile(code)
    assert lang.order == "SOV"
    for event in _transitive_events():
        tags = [tag for _, tag, _ in realise([event], lang)]
        assert tags[-1] == "PUNCT" and tags[-2] == "VERB", tags


def test_svo_and_vso_put_the_verb_elsewhere():
    english, arabic = profile("en"), profile("ar")
    assert (english.order, arabic.order) == ("SVO", "VSO")
    event = _transitive_events(1)[0]
    assert [t for _, t, _ in realise([event], arabic)][0] == "VERB"
    en_tags = [t for _, t, _ in realise([event], english)]
    assert "VERB" in en_tags[1:] and en_tags[-2] != "VERB" or event.place is None


def test_adposition_follows_its_noun_when_the_language_has_postpositions():
    place = Phrase(noun="market")
    event = Event(agent=Phrase(noun="man"), verb="slept", adposition="in", place=place)
    for code, after in (("ja", True), ("hi", True), ("en", False), ("fr", False)):
        tags = [t for _, t, _ in realise([event], profile(code))]
        adp = tags.index("ADP")
        assert profile(code).adposition_after is after
        if after:
            assert tags[adp - 1] in ("NOUN", "DET"), tags
        else:
            assert tags[adp + 1] in ("NOUN", "DET"), tags


def test_adjective_order_follows_the_language():
    event = Event(agent=Phrase(noun="dog", adjective="big"), verb="slept")
    en = [t for _, t, _ in realise([event], profile("en"))]
    assert en[:3] == ["DET", "ADJ", "NOUN"]
    fr_like = profile("ar")  # lang2vec: adjectives follow the noun in Arabic
    assert not fr_like.adjective_before
    ar = [t for _, t, _ in realise([event], fr_like)]
    assert ar.index("ADJ") == ar.index("NOUN") + 1


def test_every_language_writes_in_its_script():
    gen = Generator(0, SMALL)
    for lang in load_catalog():
        for sentence in gen.monolingual(lang.code, 15):
            words = [w for w in sentence.split() if not unicodedata.category(w[0]).startswith("P")]
            assert words and all(in_script(w, lang.script) for w in words), (lang.code, sentence)


def test_names_are_the_same_anchor_in_every_language_of_a_script():
    gen = Generator(0, SMALL)
    english_ner = gen.task("ner", ENGLISH, "test")
    for code in ("de", "swh_Latn", "ru", "ja"):
        other = gen.task("ner", code, "test")
        script = profile(code).script
        for en_tok, en_tag, tok, tag in zip(
            english_ner["tokens"], english_ner["tags"], other["tokens"], other["tags"], strict=True
        ):
            en_names = [w for w, t in zip(en_tok, en_tag, strict=True) if NER[t] != "O"]
            names = [w for w, t in zip(tok, tag, strict=True) if NER[t] != "O"]
            assert sorted(names) == sorted(transliterate(w.lower(), script, proper=True) for w in en_names)


def test_task_labels_use_the_shared_vocabularies_and_meanings_are_shared_across_languages():
    gen = Generator(0, SMALL)
    pos_en, pos_hi = gen.task("pos", "en", "test"), gen.task("pos", "hi", "test")
    assert all(0 <= t < len(UPOS) for tags in pos_en["tags"] for t in tags)
    # Same meanings: the same number of verbs and proper nouns in each test sentence.
    for a, b in zip(pos_en["tags"], pos_hi["tags"], strict=True):
        for tag in ("VERB", "PROPN"):
            assert a.count(UPOS.index(tag)) == b.count(UPOS.index(tag))
    nli = gen.task("nli", "en", "train")
    assert set(nli["label"]) == {0, 1, 2}


def test_entailed_hypotheses_only_drop_details():
    gen = Generator(3, SMALL)
    nli = gen.nli("en", "train", 120)
    entailed = [
        (p, h)
        for p, h, y in zip(nli["premise"], nli["hypothesis"], nli["label"], strict=True)
        if NLI[y] == "entailment"
    ]
    assert entailed
    for premise, hypothesis in entailed:
        assert set(hypothesis.split()) <= set(premise.split())
        assert len(hypothesis.split()) < len(premise.split())


def _shared_letters(a: dict[str, str], b: dict[str, str]) -> float:
    """Mean share of letter bigrams a word keeps from the other language's word for the same concept."""

    def grams(w: str) -> set[str]:
        return {w[i : i + 2] for i in range(len(w) - 1)}

    scores = [len(grams(a[k]) & grams(b[k])) / max(1, len(grams(a[k]))) for k in a]
    return sum(scores) / len(scores)


def test_close_languages_share_more_surface_with_english():
    english = profile("en").lexicon
    near = _shared_letters(english, profile("pcm").lexicon)
    mid = _shared_letters(english, profile("de").lexicon)
    far = _shared_letters(english, profile("zul_Latn").lexicon)
    assert near > mid > far
    # Same family: Zulu is much closer to Xhosa than to English.
    assert _shared_letters(profile("zul_Latn").lexicon, profile("xho_Latn").lexicon) > far + 0.15


def test_unseen_and_evaluation_only_languages_are_not_pretrained_on():
    catalog = load_catalog()
    langs = pretraining_languages()
    assert ENGLISH in langs
    for lang in catalog:
        if lang.code == ENGLISH:
            continue
        assert (lang.code in langs) == (lang.realignable and lang.seen_xlmr), lang.code
    assert "yor_Latn" not in langs and "quy" not in langs and "amh_Ethi" in langs

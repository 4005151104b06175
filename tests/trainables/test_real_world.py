"""RealWorld's dataset loaders on local fixtures laid out like the hub (tests/fixtures/make_real_fixtures.py).

Only the root of the file paths differs from a hub run, so these exercise the real code path: code
mapping, pair-config ordering, split handling, column normalisation and label remapping by name. Each
loader has a test that reads a fixture in its source's real layout (documented, with the evidence, in
trainables/real/sources.toml) and checks the World schema of trainables/schema.py with catalog codes.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import datasets  # noqa: E402
import pytest  # noqa: E402

from spaces.catalog import load_catalog  # noqa: E402
from spaces.errors import ConfigError  # noqa: E402
from trainables.labels import NER, NLI, UPOS  # noqa: E402
from trainables.real import (  # noqa: E402
    RealWorld,
    load_registry,
    loading,  # noqa: E402
)
from trainables.real.loading import MalformedLinesWarning, data_files, label_lookup  # noqa: E402
from trainables.schema import task_features  # noqa: E402
from trainables.worlds import World, get_world  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real"
NLLB_BUCKET = "https://storage.googleapis.com/allennlp-data-bucket/nllb"
PARQUET_REF = "refs%2Fconvert%2Fparquet"  # the hub's parquet conversion branch, URL-quoted in hf:// paths
GITHUB = "https://raw.githubusercontent.com"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Belt and braces: even if datasets was imported before this module set the env vars."""
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True, raising=False)
    datasets.disable_progress_bars()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> RealWorld:
    """A world over the hub: listings and locations only, never a download in these tests."""
    return RealWorld("bert-base-multilingual-cased", cache_dir=tmp_path_factory.mktemp("hub-cache"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> RealWorld:
    return RealWorld("bert-base-multilingual-cased", data_dir=FIXTURES, cache_dir=tmp_path_factory.mktemp("real-cache"))


def tag_names(ds: datasets.Dataset, column: str = "tags") -> list[list[str]]:
    names = ds.features[column].feature.names
    return [[names[i] for i in row] for row in ds[column]]


# ---------------------------------------------------------------- parallel data


@pytest.mark.filterwarnings("ignore::trainables.real.loading.MalformedLinesWarning")
def test_parallel_puts_english_in_src_whatever_the_pair_order(world: RealWorld) -> None:
    # OPUS-100 en-fr (English first) and af-en (English second); NLLB amh_Ethi-eng_Latn / eng_Latn-yor_Latn
    assert world.parallel("fr").to_list() == [
        {"src": "Good morning.", "tgt": "Bonjour."},
        {"src": "Thank you.", "tgt": "Merci."},
        {"src": "See you soon.", "tgt": "A bientot."},
    ]  # the row with an empty English side is dropped
    assert world.parallel("af")["tgt"] == ["Goeie more.", "Dankie."]
    assert world.parallel("af")["src"] == ["Good morning.", "Thank you."]
    amh = world.parallel("amh_Ethi")
    assert amh["src"] == ["Hello there", 'Okay "yes"', "NA"]  # TSV quotes and the text "NA" survive
    assert amh["tgt"][1] == 'እሺ "አዎ"'
    assert world.parallel("yor").to_list() == [
        {"src": "Good morning", "tgt": "E kaaro"},
        {"src": "Thank you", "tgt": "E se"},
    ]
    assert world.parallel("fr").features == datasets.Features(
        {"src": datasets.Value("string"), "tgt": datasets.Value("string")}
    )


def test_parallel_is_capped_and_served_from_the_cache_afterwards(tmp_path, monkeypatch) -> None:
    capped = RealWorld("mbert", data_dir=FIXTURES, cache_dir=tmp_path, max_pairs=2)
    assert capped.parallel("fr")["tgt"] == ["Bonjour.", "Merci."]

    def no_more_reads(*args, **kwargs):
        raise AssertionError("the parallel corpus was read again instead of the cached copy")

    monkeypatch.setattr("trainables.real.world.parallel_pairs", no_more_reads)
    assert capped.parallel("fr")["tgt"] == ["Bonjour.", "Merci."]
    assert list(tmp_path.glob("parallel/*/opus100/en-fr/2.parquet"))


def test_parallel_languages_are_the_papers_pool_with_the_catalogs_sources(hub: RealWorld) -> None:
    catalog = load_catalog()
    assert sorted(hub.parallel_languages()) == sorted(catalog.realignment_pool())
    assert len(hub.parallel_languages()) == 65
    for code in hub.parallel_languages():
        assert hub.parallel_source(code).name == catalog.get(code).parallel


def test_a_mirror_lists_only_the_languages_it_holds(world: RealWorld) -> None:
    assert world.parallel_languages() == ["af", "fr", "amh_Ethi", "yor_Latn"]
    assert world.task_languages("pos") == ["en", "de", "hau_Latn", "yor_Latn", "bbj"]  # catalog order
    assert world.task_languages("ner") == ["en", "de", "hau_Latn", "swh_Latn"]
    assert world.task_languages("nli") == [
        "en",
        "fr",
        "id",
        "hau_Latn",
        "gaz_Latn",
        "swh_Latn",
        "mya_Mymr",
        "aym",
        "quy",
    ]


def test_parallel_refuses_english_and_evaluation_only_languages(world: RealWorld) -> None:
    for lang in ("en", "bbj"):
        with pytest.raises(ConfigError) as err:
            world.parallel(lang)
        assert err.value.field == "language" and repr(lang) in str(err.value)
        assert "fr" in err.value.allowed and "en" not in err.value.allowed


def test_nllb_malformed_lines_are_skipped_counted_and_reported_once(tmp_path) -> None:
    # eng_Latn-yor_Latn.gz: 2 good lines and, between them, a cut-off line (3 fields), a text with a stray
    # tab (10 fields) and a line that is not UTF-8 — lines 2, 3 and 4 of the file
    fresh = RealWorld("mbert", data_dir=FIXTURES, cache_dir=tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pairs = fresh.parallel("yor_Latn")
    assert pairs.to_list() == [{"src": "Good morning", "tgt": "E kaaro"}, {"src": "Thank you", "tgt": "E se"}]
    reports = [w for w in caught if issubclass(w.category, MalformedLinesWarning)]
    assert len(reports) == 1
    message = str(reports[0].message)
    assert "skipped 3 malformed line(s)" in message and "first: line 2" in message
    assert str(FIXTURES / "allenai/nllb/eng_Latn-yor_Latn.gz") in message and "9 tab-separated fields" in message
    with warnings.catch_warnings():  # a clean file reports nothing
        warnings.simplefilter("error", MalformedLinesWarning)
        assert len(fresh.parallel("amh_Ethi")) == 3


def test_nllb_cap_counts_good_pairs_and_stops_reading(tmp_path) -> None:
    capped = RealWorld("mbert", data_dir=FIXTURES, cache_dir=tmp_path, max_pairs=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert capped.parallel("yor_Latn")["tgt"] == ["E kaaro"]
    assert not caught  # the cap was reached on line 1, before any malformed line was read


# ---------------------------------------------------------------- part-of-speech tagging


def test_pos_english_splits_follow_xtreme_order(world: RealWorld) -> None:
    train = world.task("pos", "en", "train")
    assert train.features == task_features("pos")
    assert list(train.features["tags"].feature.names) == list(UPOS)
    assert train["tokens"] == [["The", "cat", "sleeps", "."], ["Dogs", "run", "fast"]]
    assert tag_names(train) == [["DET", "NOUN", "VERB", "PUNCT"], ["NOUN", "VERB", "ADV"]]
    assert train["tags"][0] == [5, 7, 15, 12]  # ids in trainables.labels.UPOS
    assert world.task("pos", "en", "validation").num_rows == 1
    assert world.task("pos", "en", "test")["tokens"] == [["Dogs", "run", "fast"]]


def test_pos_maps_catalog_codes_to_xtreme_codes(world: RealWorld) -> None:
    yoruba = world.task("pos", "yor_Latn", "test", benchmark="udpos")  # XTREME-R's `yo`
    assert yoruba.features == task_features("pos")
    assert yoruba["tokens"] == [["Ajá", "náà", "sùn", "."]]
    assert tag_names(yoruba) == [["NOUN", "DET", "VERB", "PUNCT"]]


def test_masakhapos_reads_the_authors_conll_files(world: RealWorld) -> None:
    path = FIXTURES / "masakhane-io/masakhane-pos/data/hau/test.txt"
    assert path.read_text().splitlines()[:5] == ["Yaro NOUN", "ya PRON", "tafi VERB", ". PUNCT", ""]
    hausa = world.task("pos", "hau_Latn", "test")  # catalog hau_Latn -> data/hau/test.txt
    assert hausa.features == task_features("pos")
    assert hausa["tokens"] == [["Yaro", "ya", "tafi", "."], ["Kai", "fa"]]
    assert tag_names(hausa) == [["NOUN", "PRON", "VERB", "PUNCT"], ["PRON", "PART"]]
    assert hausa["tags"][0] == [UPOS.index(t) for t in ("NOUN", "PRON", "VERB", "PUNCT")] == [7, 10, 15, 12]
    ghomala = world.task("pos", "bbj", "test")
    assert ghomala["tokens"] == [["Mbe", "nə", "."], ["Ndə"]]
    assert tag_names(ghomala) == [["VERB", "ADP", "PUNCT"], ["NOUN"]]


def test_unknown_tag_names_are_refused() -> None:
    source = load_registry().source("masakhapos")
    raw = datasets.Dataset.from_dict({"tokens": [["a"]], "tags": [["NOUNS"]]})
    with pytest.raises(ValueError, match="NOUNS"):
        loading.normalise_task(raw, source, "pos")


# ---------------------------------------------------------------- named-entity recognition


def test_wikiann_english_and_code_mapping(world: RealWorld) -> None:
    valid = world.task("ner", "en", "validation")
    assert list(valid.features["tags"].feature.names) == list(NER)
    assert tag_names(valid) == [["B-PER", "I-PER", "O", "B-LOC"]]
    assert world.task("ner", "en", "train").num_rows == 2
    assert valid.features == task_features("ner")
    swahili = world.task("ner", "swh_Latn", "test", benchmark="wikiann")  # catalog swh_Latn -> WikiANN `sw`
    assert swahili["tokens"] == [["Juma", "alienda", "Nairobi"]]
    assert tag_names(swahili) == [["B-PER", "O", "B-LOC"]]


def test_masakhaner_reads_the_authors_conll_files_and_dates_become_outside(world: RealWorld) -> None:
    path = FIXTURES / "masakhane-io/masakhane-ner/MasakhaNER2.0/data/hau/test.txt"
    assert path.read_text().splitlines()[:2] == ["Musa B-PER", "ya O"]
    hausa = world.task("ner", "hau_Latn", "test")  # catalog hau_Latn -> MasakhaNER2.0/data/hau/test.txt
    assert hausa.features == task_features("ner")
    assert hausa["tokens"] == [["Musa", "ya", "je", "Kano", "ranar", "Litinin"], ["Hukumar", "INEC", "ta", "ce"]]
    assert tag_names(hausa) == [["B-PER", "O", "O", "B-LOC", "O", "O"], ["B-ORG", "I-ORG", "O", "O"]]
    assert hausa["tags"][1] == [3, 4, 0, 0]


def test_the_african_benchmark_scores_a_language_two_benchmarks_cover(world: RealWorld) -> None:
    # the paper's tables: MasakhaNER 2.0 over WikiANN, MasakhaPOS over UDPOS, AfriXNLI over XNLI
    assert world.task_benchmarks("ner", "swh_Latn") == ["masakhaner", "wikiann"]
    assert world.task_benchmarks("pos", "yor") == ["masakhapos", "udpos"]
    assert world.task_benchmarks("nli", "sw") == ["afrixnli", "xnli"]
    assert world.task_benchmarks("ner", "de") == ["wikiann"] and world.task_benchmarks("nli", "fr") == ["xnli"]
    assert world.task("ner", "swh_Latn", "test")["tokens"] == [["Rais", "Samia", "alisema", "jana"]]
    assert world.task("pos", "yor_Latn", "test")["tokens"] == [["Ọmọ", "náà", "sùn", "."]]
    assert world.task("nli", "swh_Latn", "test")["premise"] == ["Mtoto analala."]
    # the other benchmark stays readable by name
    assert world.task("ner", "swh_Latn", "test", benchmark="wikiann")["tokens"] == [["Juma", "alienda", "Nairobi"]]
    assert world.task("nli", "swh_Latn", "test", benchmark="xnli")["label"] == [2, 0]
    with pytest.raises(ConfigError) as err:
        world.task("ner", "hau_Latn", "test", benchmark="wikiann")
    assert err.value.field == "benchmark" and err.value.allowed == ["masakhaner"]


def test_source_order_can_be_overridden(tmp_path) -> None:
    wikiann_first = RealWorld(
        "mbert", data_dir=FIXTURES, cache_dir=tmp_path, sources={"ner": ["wikiann", "masakhaner"]}
    )
    assert wikiann_first.task_benchmarks("ner", "swh_Latn") == ["wikiann", "masakhaner"]
    swahili = wikiann_first.task("ner", "swh_Latn", "test")  # now WikiANN's `sw`
    assert swahili["tokens"] == [["Juma", "alienda", "Nairobi"]]
    assert tag_names(swahili) == [["B-PER", "O", "B-LOC"]]
    with pytest.raises(ConfigError) as err:
        RealWorld("mbert", data_dir=FIXTURES, cache_dir=tmp_path, sources={"ner": ["xnli"]})
    assert err.value.field == "sources.ner" and err.value.allowed == ["masakhaner", "wikiann"]


def test_a_partial_mirror_falls_back_to_the_benchmark_it_holds(tmp_path) -> None:
    relative = "unimelb-nlp/wikiann/sw/test/0000.parquet"
    (tmp_path / "mirror" / relative).parent.mkdir(parents=True)
    (tmp_path / "mirror" / relative).write_bytes((FIXTURES / relative).read_bytes())
    partial = RealWorld("mbert", data_dir=tmp_path / "mirror", cache_dir=tmp_path / "cache")
    assert partial.task_languages("ner") == ["swh_Latn"]
    assert partial.task_benchmarks("ner", "swh_Latn") == ["wikiann"]
    assert partial.task("ner", "swh_Latn", "test")["tokens"] == [["Juma", "alienda", "Nairobi"]]


def test_label_lookup_remaps_any_order_by_name() -> None:
    datalabs_order = ["O", "B-DATE", "I-DATE", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    lookup = label_lookup(datalabs_order, NER, {"B-DATE": "O", "I-DATE": "O"})
    assert [lookup[n] for n in datalabs_order] == [0, 0, 0, 5, 6, 3, 4, 1, 2]
    with pytest.raises(ValueError, match="B-DATE"):
        label_lookup(datalabs_order, NER, {})


# ---------------------------------------------------------------- natural-language inference


def test_xnli_english_splits_and_labels(world: RealWorld) -> None:
    train = world.task("nli", "en", "train")
    assert train.features == task_features("nli")
    assert list(train.features["label"].names) == list(NLI)
    assert train["label"] == [0, 1, 2]
    assert train["hypothesis"] == ["A person rests.", "He is tired.", "A man runs."]
    assert world.task("nli", "en", "validation").num_rows == 2
    assert world.task("nli", "fr", "test").to_list() == [
        {"premise": "Un homme dort.", "hypothesis": "Un homme court.", "label": 2}
    ]


def test_afrixnli_parquet_conversion_with_integer_labels_and_oromo_code(world: RealWorld) -> None:
    raw = datasets.Dataset.from_parquet(str(FIXTURES / "masakhane/afrixnli/hau/test/0000.parquet"))
    assert raw.features["label"] == datasets.Value("int64")  # the conversion of a TSV: no ClassLabel
    hausa = world.task("nli", "hau_Latn", "test")
    assert hausa.features == task_features("nli")
    assert hausa.to_list() == [
        {"premise": 'Yaro ya ce "na gode".', "hypothesis": "Yaro ya yi magana.", "label": 0},
        {"premise": "Yaro yana barci.", "hypothesis": "Yaro yana gudu.", "label": 2},
    ]
    assert world.task("nli", "gaz_Latn", "test")["label"] == [1]  # catalog gaz_Latn -> AfriXNLI `orm`


def test_indonli_reads_the_expert_test_set_of_the_authors_jsonl(world: RealWorld) -> None:
    assert data_files(load_registry().source("indonli"), "id", "test", FIXTURES).endswith(
        "ir-nlp-csui/indonli/data/indonli/test_expert.jsonl"
    )
    indonesian = world.task("nli", "ind", "test")  # the paper's `ind` is catalog `id`
    assert indonesian.features == task_features("nli")
    assert indonesian["premise"] == ["Kucing itu tidur di kursi."] * 3
    assert indonesian["label"] == [NLI.index("entailment"), NLI.index("neutral"), NLI.index("contradiction")]
    assert "id" in world.task_languages("nli") and world.task_benchmarks("nli", "id") == ["indonli"]


def test_myanmar_xnli_reads_the_burmese_columns_and_label_names(world: RealWorld) -> None:
    burmese = world.task("nli", "mya", "test")  # the paper's `mya` is catalog `mya_Mymr`
    assert burmese.features == task_features("nli")
    assert burmese.to_list() == [
        {"premise": "လူတစ်ယောက် အိပ်နေသည်။", "hypothesis": "သူ ပင်ပန်းနေသည်။", "label": 1},
        {"premise": "လူတစ်ယောက် အိပ်နေသည်။", "hypothesis": "လူတစ်ယောက် ပြေးနေသည်။", "label": 2},
    ]
    assert world.task_benchmarks("nli", "mya_Mymr") == ["myxnli"]


def test_americasnli(world: RealWorld) -> None:
    assert world.task("nli", "aym", "test").features == task_features("nli")
    assert world.task("nli", "aym", "test")["label"] == [0, 2]
    assert world.task("nli", "quy", "test")["premise"] == ["Runa puñuchkan."]


def test_nli_rows_without_gold_label_are_dropped() -> None:
    source = load_registry().source("xnli")
    raw = datasets.Dataset.from_dict({"premise": ["a", "b"], "hypothesis": ["c", "d"], "label": [-1, 1]})
    assert loading.normalise_task(raw, source, "nli").to_list() == [{"premise": "b", "hypothesis": "d", "label": 1}]


# ---------------------------------------------------------------- refusals


def test_only_english_has_train_and_validation(world: RealWorld) -> None:
    with pytest.raises(ConfigError) as err:
        world.task("pos", "de", "train")
    assert err.value.field == "split" and err.value.allowed == ["test"] and "'de'" in str(err.value)
    with pytest.raises(ConfigError) as err:
        world.task("pos", "en", "dev")
    assert err.value.allowed == ["train", "validation", "test"]


def test_missing_language_names_it_and_what_is_available(world: RealWorld, hub: RealWorld) -> None:
    with pytest.raises(ConfigError) as err:
        world.task("nli", "ja", "test")
    assert err.value.field == "language" and "'ja'" in str(err.value)
    assert err.value.allowed == hub.task_languages("nli") and "tar" in err.value.allowed
    xnli = load_registry().source("xnli")
    with pytest.raises(ConfigError) as err:
        xnli.code_for("yor_Latn")
    assert "facebook/xnli" in str(err.value) and "'yor_Latn'" in str(err.value)
    assert err.value.allowed == xnli.canonical_languages() and "fr" in err.value.allowed


def test_missing_local_file_says_where_it_was_expected(world: RealWorld) -> None:
    with pytest.raises(ConfigError) as err:
        world.task("pos", "ja", "test")  # XTREME-R has Japanese, the fixture mirror does not
    assert err.value.field == "data_dir" and "izhx/xtreme-r-udpos/ja/test*.parquet" in str(err.value)


def test_unknown_task_model_and_code(world: RealWorld) -> None:
    with pytest.raises(ConfigError) as err:
        world.task("qa", "en", "test")
    assert err.value.allowed == ["pos", "ner", "nli"]
    with pytest.raises(ConfigError) as err:
        RealWorld("bert-base-cased", data_dir=FIXTURES)
    assert "xlm-roberta-base" in err.value.allowed and "bert-base-multilingual-cased" in err.value.allowed
    with pytest.raises(ConfigError) as err:
        world.task("pos", "klingon", "test")
    assert err.value.field == "language"


# ---------------------------------------------------------------- registry and hub locations


@pytest.mark.parametrize(
    ("name", "lang", "split", "expected"),
    [
        ("opus100", "fr", "train", "hf://datasets/Helsinki-NLP/opus-100@main/en-fr/train-*.parquet"),
        ("opus100", "af", "train", "hf://datasets/Helsinki-NLP/opus-100@main/af-en/train-*.parquet"),
        ("nllb", "amh_Ethi", "train", f"{NLLB_BUCKET}/amh_Ethi-eng_Latn.gz"),
        ("nllb", "kaz_Cyrl", "train", f"{NLLB_BUCKET}/eng_Latn-kaz_Cyrl.gz"),
        ("udpos", "kaz_Cyrl", "test", "hf://datasets/izhx/xtreme-r-udpos@main/kk/test*.parquet"),
        ("udpos", "en", "validation", "hf://datasets/izhx/xtreme-r-udpos@main/en/dev*.parquet"),
        ("masakhapos", "swh_Latn", "test", f"{GITHUB}/masakhane-io/masakhane-pos/main/data/swa/test.txt"),
        ("wikiann", "mya_Mymr", "test", f"hf://datasets/unimelb-nlp/wikiann@{PARQUET_REF}/my/test/*.parquet"),
        ("masakhaner", "pcm", "test", f"{GITHUB}/masakhane-io/masakhane-ner/main/MasakhaNER2.0/data/pcm/test.txt"),
        ("xnli", "en", "train", "hf://datasets/facebook/xnli@main/en/train-*.parquet"),
        ("afrixnli", "gaz_Latn", "test", f"hf://datasets/masakhane/afrixnli@{PARQUET_REF}/orm/test/*.parquet"),
        ("indonli", "id", "test", f"{GITHUB}/ir-nlp-csui/indonli/main/data/indonli/test_expert.jsonl"),
        ("myxnli", "mya_Mymr", "test", "hf://datasets/akhtet/myanmar-xnli@main/data/test-*.parquet"),
        ("americasnli", "gn", "test", f"hf://datasets/nala-cub/americas_nli@{PARQUET_REF}/gn/test/*.parquet"),
    ],
)
def test_hub_locations(name: str, lang: str, split: str, expected: str) -> None:
    assert data_files(load_registry().source(name), lang, split, None) == expected


def test_every_catalog_language_is_served_somewhere(hub: RealWorld) -> None:
    catalog = load_catalog()
    served = set(hub.parallel_languages())
    for task in ("pos", "ner", "nli"):
        languages = hub.task_languages(task)
        assert languages[0] == "en"
        served |= set(languages)
    assert set(catalog.codes()) <= served


def test_get_world_builds_a_real_world(tmp_path) -> None:
    real = get_world("real", model="xlmr", data_dir=FIXTURES, cache_dir=tmp_path)
    assert isinstance(real, RealWorld) and isinstance(real, World)
    assert real.name == "real" and real.model == "xlm-roberta-base"

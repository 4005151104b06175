"""The catalog holds the paper's facts: pool composition, groups, Joshi classes, coverage, aliases."""

from __future__ import annotations

import pytest

from spaces.catalog import ENGLISH, load_catalog
from spaces.errors import ConfigError

OPUS100 = [
    "af",
    "ar",
    "az",
    "bg",
    "bn",
    "de",
    "el",
    "es",
    "et",
    "eu",
    "fa",
    "fi",
    "fr",
    "gu",
    "he",
    "hi",
    "hu",
    "id",
    "it",
    "ja",
    "ka",
    "ko",
    "lt",
    "ml",
    "ms",
    "nl",
    "pa",
    "pl",
    "pt",
    "ro",
    "ru",
    "ta",
    "th",
    "tr",
    "uk",
    "ur",
    "vi",
    "zh",
]
NLLB = [
    "amh_Ethi",
    "bam_Latn",
    "ewe_Latn",
    "fon_Latn",
    "hau_Latn",
    "ibo_Latn",
    "kin_Latn",
    "lin_Latn",
    "lug_Latn",
    "luo_Latn",
    "mos_Latn",
    "nya_Latn",
    "gaz_Latn",
    "sna_Latn",
    "swh_Latn",
    "tsn_Latn",
    "twi_Latn",
    "wol_Latn",
    "xho_Latn",
    "yor_Latn",
    "zul_Latn",
    "mya_Mymr",
    "jav_Latn",
    "tgl_Latn",
    "tel_Telu",
    "mar_Deva",
    "kaz_Cyrl",
]
JOSHI_45 = [
    "ar",
    "de",
    "es",
    "eu",
    "fa",
    "fi",
    "fr",
    "hi",
    "hu",
    "it",
    "ja",
    "ko",
    "nl",
    "pl",
    "pt",
    "ru",
    "tr",
    "vi",
    "zh",
]
JOSHI_3 = ["af", "bg", "bn", "el", "et", "he", "id", "ka", "kaz", "lt", "ms", "ro", "ta", "tgl", "th", "uk", "ur"]
UNSEEN_XLMR = [
    "bam",
    "ewe",
    "fon",
    "ibo",
    "kin",
    "lin",
    "lug",
    "luo",
    "mos",
    "nya",
    "sna",
    "tsn",
    "twi",
    "wol",
    "yor",
    "zul",
]
UNSEEN_MBERT = [
    "amh",
    "bam",
    "ewe",
    "fon",
    "gaz",
    "hau",
    "ibo",
    "kin",
    "lin",
    "lug",
    "luo",
    "mos",
    "nya",
    "sna",
    "tsn",
    "twi",
    "wol",
    "xho",
    "zul",
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_pool_is_the_papers_65_languages_and_english_is_separate(catalog):
    pool = catalog.realignment_pool()
    assert sorted(pool) == sorted(OPUS100 + NLLB)
    assert len(pool) == 65
    assert ENGLISH in catalog and ENGLISH not in pool
    assert [catalog.get(c).parallel for c in OPUS100] == ["opus100"] * 38
    assert [catalog.get(c).parallel for c in NLLB] == ["nllb"] * 27


def test_group_sizes_match_the_paper(catalog):
    pool = set(catalog.realignment_pool())
    xtreme = [c for c in catalog.group("xtreme_r") if c in pool]
    african = [c for c in catalog.group("african") if c in pool]
    assert len(xtreme) == 47
    assert len(african) == 21
    assert set(xtreme) == set(OPUS100) | set(
        catalog.resolve(["jav", "tgl", "tel", "mar", "kaz", "mya", "swh", "wol", "yor"])
    )


def test_joshi_classes_as_the_paper_groups_them(catalog):
    by_class = {"45": [], "3": [], "lrl": []}
    for code in catalog.realignment_pool():
        lang = catalog.get(code)
        by_class["45" if lang.joshi >= 4 else "3" if lang.joshi == 3 else "lrl"].append(code)
    assert sorted(by_class["45"]) == sorted(catalog.resolve(JOSHI_45))
    assert sorted(by_class["3"]) == sorted(catalog.resolve(JOSHI_3))
    assert [len(v) for v in by_class.values()] == [19, 17, 29]
    assert all(catalog.get(c).is_lrl for c in by_class["lrl"])


def test_pretraining_coverage(catalog):
    pool = catalog.realignment_pool()
    unseen_xlmr = [c for c in pool if not catalog.get(c).seen_xlmr]
    unseen_mbert = [c for c in pool if not catalog.get(c).seen_mbert]
    assert sorted(unseen_xlmr) == sorted(catalog.resolve(UNSEEN_XLMR))
    assert sorted(unseen_mbert) == sorted(catalog.resolve(UNSEEN_MBERT))
    assert (len(unseen_xlmr), len(unseen_mbert)) == (16, 19)
    assert catalog.get("amh_Ethi").seen_by("xlm-roberta-base") and not catalog.get("amh_Ethi").seen_by("mbert")


def test_every_code_form_resolves_to_its_language(catalog):
    for lang in catalog:
        for form in {lang.code, lang.iso3, *lang.aliases}:
            assert catalog.get(form).code == lang.code
            assert catalog.get(form.upper()).code == lang.code
    assert catalog.resolve(["swa", "sw", "swh_Latn", "deu", "de"]) == ["swh_Latn", "de"]


def test_unknown_code_is_a_config_error_naming_the_field(catalog):
    with pytest.raises(ConfigError) as err:
        catalog.resolve(["de", "xx_Nope"], field_name="subset.must_include")
    assert err.value.field == "subset.must_include"
    assert "xx_Nope" in err.value.problem
    assert "de" in err.value.allowed and ENGLISH in err.value.allowed

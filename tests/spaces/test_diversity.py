"""Diversity report: figures against hand computation from the catalog and the typology."""

from __future__ import annotations

import json
from itertools import combinations
from statistics import mean

import pytest

from spaces.diversity import DiversityReport, diversity_report
from spaces.errors import ConfigError
from spaces.typology import load_typology


def featural(a, b):
    return load_typology().distance("featural", a, b)


def test_report_matches_hand_computation():
    report = diversity_report(["de", "ja", "yor_Latn", "kaz_Cyrl"])
    codes = ["de", "ja", "yor_Latn", "kaz_Cyrl"]
    pairs = [featural(a, b) for a, b in combinations(codes, 2)]
    pairs_en = pairs + [featural("en", c) for c in codes]
    assert report.size == 4
    assert report.mean_featural == pytest.approx(mean(pairs))
    assert report.min_featural == pytest.approx(min(pairs))
    assert report.mean_featural_with_en == pytest.approx(mean(pairs_en))
    assert report.min_featural_with_en == pytest.approx(min(pairs_en))
    assert report.families == {"Atlantic-Congo": 1, "Indo-European": 1, "Japonic": 1, "Turkic": 1}
    assert (report.n_families, report.n_scripts) == (4, 3)
    assert report.scripts == {"Cyrl": 1, "Jpan": 1, "Latn": 2}
    assert report.joshi == {5: 2, 3: 1, 2: 1}  # de, ja: 5; kaz: 3; yor: <=2
    # Yoruba is in mBERT's pretraining languages but not XLM-R's; the other three are in both.
    assert (report.seen_xlmr, report.unseen_xlmr, report.seen_mbert, report.unseen_mbert) == (3, 1, 4, 0)


def test_closest_pair_names_the_minimum():
    report = diversity_report(["de", "nl", "ja"])
    a, b = report.closest_pair_with_en
    assert featural(a, b) == pytest.approx(report.min_featural_with_en)


def test_code_forms_are_resolved_and_english_and_duplicates_dropped():
    canonical = diversity_report(["swh_Latn", "mya_Mymr", "de"])
    mixed = diversity_report(["swa", "my", "deu", "en", "sw"])
    assert mixed == canonical
    assert mixed.languages == ("swh_Latn", "mya_Mymr", "de")


def test_single_language_has_no_pairs_without_english():
    report = diversity_report(["hau"])
    assert report.mean_featural is None and report.min_featural is None
    assert report.mean_featural_with_en == pytest.approx(featural("en", "hau_Latn"))
    assert report.closest_pair_with_en == ("en", "hau_Latn")


def test_to_dict_is_json_ready():
    data = diversity_report(["ar", "he"]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["joshi"] == {"5": 1, "3": 1}
    assert data["languages"] == ["ar", "he"]
    assert set(data) == {f.name for f in DiversityReport.__dataclass_fields__.values()}


@pytest.mark.parametrize("codes", [["de", "klingon"], [], ["en"]])
def test_bad_input_is_a_config_error(codes):
    with pytest.raises(ConfigError) as err:
        diversity_report(codes)
    assert err.value.field == "languages"

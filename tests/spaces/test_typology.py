"""Typological distances: proper distance matrices with linguistically sane orderings."""

from __future__ import annotations

import numpy as np
import pytest

from spaces.catalog import load_catalog
from spaces.errors import ConfigError
from spaces.typology import KINDS, load_typology


@pytest.fixture(scope="module")
def every_code():
    return load_catalog().codes()


@pytest.mark.parametrize("kind", KINDS)
def test_matrix_is_symmetric_with_zero_diagonal_in_unit_range(kind, every_code):
    matrix = load_typology().matrix(kind, every_code)
    assert matrix.shape == (len(every_code), len(every_code))
    assert np.all(np.isfinite(matrix))
    np.testing.assert_array_equal(matrix, matrix.T)
    np.testing.assert_array_equal(np.diag(matrix), 0.0)
    assert matrix.min() >= 0.0 and matrix.max() <= 1.0
    off_diagonal = matrix[~np.eye(len(every_code), dtype=bool)]
    assert off_diagonal.std() > 0.01  # not a constant placeholder


def test_distance_accepts_any_code_form_and_matches_matrix():
    typology = load_typology()
    assert typology.distance("featural", "eng", "deu") == typology.distance("featural", "en", "de")
    sub = typology.matrix("geographic", ["en", "sw", "ja"])
    assert sub[1, 2] == pytest.approx(typology.distance("geographic", "swh_Latn", "ja"))


def test_featural_orderings():
    d = load_typology().distance
    assert d("featural", "en", "de") < d("featural", "en", "ja")
    assert d("featural", "es", "pt") < d("featural", "es", "ko")
    assert d("featural", "hi", "ur") < d("featural", "hi", "zh")


def test_genetic_orderings():
    d = load_typology().distance
    assert d("genetic", "en", "de") < d("genetic", "en", "ru") < d("genetic", "en", "ja")
    assert d("genetic", "en", "ja") == 1.0  # unrelated
    assert d("genetic", "zul_Latn", "xho_Latn") < d("genetic", "zul_Latn", "yor_Latn")


def test_geographic_orderings():
    d = load_typology().distance
    assert d("geographic", "fr", "de") < d("geographic", "fr", "ja")
    assert d("geographic", "ja", "ko") < d("geographic", "ja", "yor_Latn")


def test_unknown_kind_is_refused():
    with pytest.raises(ConfigError) as err:
        load_typology().distance("phonetic", "en", "de")
    assert err.value.allowed == list(KINDS)

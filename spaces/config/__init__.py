"""Declarative search spaces: a TOML file becomes a typed, validated ``SearchConfig``.

The format (``spaces/data/default.toml`` is its commented reference):

* ``[experiment]`` what is trained and evaluated (trainable, world, model, task, seed, targets);
* ``[subset]`` how a language subset is encoded and constrained;
* ``[realign]`` / ``[finetune]`` one entry per field of ``RealignParams`` / ``FinetuneParams``: a scalar
  is a fixed value, a list a categorical choice, a table ``{low, high, log, step}`` a range;
* ``[search]`` (and ``[search.asha]``) how Ray Tune + Optuna drive the sweep.

One module per job:

* ``domains``    typed parameter domains (``Fixed``, ``Choice``, ``IntRange``, ``FloatRange``);
* ``sections``   the validated sections (``SearchConfig`` and its parts), each field with its rule;
* ``parse``      TOML data -> ``SearchConfig``, every refusal naming the field; ``toml`` reads and writes files;
* ``subsets``    subset constraints and repair: sampled parameters -> the languages a trial realigns on;
* ``space``      the Optuna define-by-run ``SearchSpace`` and ``resolve_trial`` (-> ``TrialConfig``);
* ``warm_start`` the paper's subsets and the heuristics as the first points of a sweep;
* ``legacy``     reading run folders saved before this split.
"""

from spaces.config.domains import Choice, Domain, Fixed, FloatRange, IntRange, ParamSpace
from spaces.config.legacy import ParamSpec
from spaces.config.parse import parse_search_config
from spaces.config.sections import AshaConfig, ExperimentConfig, SearchConfig, SearchSettings, SubsetConfig
from spaces.config.space import SearchSpace, define_by_run, resolve_trial
from spaces.config.subsets import flatten_params, heuristic_languages, languages_for
from spaces.config.toml import default_toml, dump_search_config, load_search_config
from spaces.config.warm_start import named_warm_start_points, warm_start_points, warm_start_subsets

__all__ = [
    "AshaConfig",
    "Choice",
    "Domain",
    "ExperimentConfig",
    "Fixed",
    "FloatRange",
    "IntRange",
    "ParamSpace",
    "ParamSpec",
    "SearchConfig",
    "SearchSettings",
    "SearchSpace",
    "SubsetConfig",
    "default_toml",
    "define_by_run",
    "dump_search_config",
    "flatten_params",
    "heuristic_languages",
    "languages_for",
    "load_search_config",
    "named_warm_start_points",
    "parse_search_config",
    "resolve_trial",
    "warm_start_points",
    "warm_start_subsets",
]

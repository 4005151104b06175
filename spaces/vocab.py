"""The product's vocabulary: every closed set of names, defined once, imported by every package.

A name that a config, a result or a command line may hold lives here and nowhere else, so a new task,
sampler or trainable is added in one place and every validator, registry and help text follows. This
module imports nothing of the product but ``spaces.errors``, so any module may import it.

``Objective`` is the one reading of a ``"metric:mode"`` objective string (search spaces, reports, Pareto
fronts, the keep policy); ``check_objective`` is the one rule for which metrics may rank trials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spaces.errors import ConfigError

# ------------------------------------------------------------------------------------ what is trained
TASKS = ("pos", "ner", "nli")
TOKEN_TASKS = ("pos", "ner")  # tagged per word; the rest classify a sentence pair
SPLITS = ("train", "validation", "test")  # train/validation exist for English only
WORLDS = ("tiny", "real")

TINY_MODEL = "tiny"  # the tiny world's encoder (trainables.tinyworld)
MBERT, XLMR = "bert-base-multilingual-cased", "xlm-roberta-base"
REAL_MODELS = (MBERT, XLMR)  # the paper's two encoders: the real stack, the published replay, the proxy
# Short names accepted wherever a model is named (any case); the first one of each model is its short name.
MODEL_ALIASES = {"mbert": MBERT, "bert": MBERT, "xlmr": XLMR, "xlm-r": XLMR}
MODEL_LABELS = {MBERT: "mBERT", XLMR: "XLM-R"}  # in tables and plots


def canonical_model(name: str) -> str:
    """``mbert`` -> ``bert-base-multilingual-cased`` and so on; any other name unchanged."""
    return MODEL_ALIASES.get(name.lower(), name)


def short_model(model: str) -> str:
    """The short name of a real model (``mbert``, ``xlmr``); other names unchanged."""
    return next((alias for alias, full in MODEL_ALIASES.items() if full == model), model)


# ------------------------------------------------------------------------------------ how it realigns
REALIGN_MODES = ("none", "before", "joint")  # none = the fine-tuning-only baseline
SAMPLING = ("uniform", "proportional")
BATCHING = ("mixed", "per_language")
POOLING = ("mean", "first_subword", "paper_prefix")

# ------------------------------------------------------------------------------------ how it searches
TRAINABLES = ("realign", "published", "proxy")  # trains | replays the paper | predicts (trainables.units)
SAMPLERS = ("subset", "tpe", "nsga2", "random")  # Optuna samplers (search.samplers); subset: the default
SUBSET_SAMPLER_ENCODINGS = ("mask",)  # the encodings the subset sampler decides (it proposes lang/<code>)
# How trials run (search.engines): Ray Tune | in-process | local for the trainables below, else Ray
ENGINES = ("ray", "local", "auto")
CHEAP_TRAINABLES = ("published", "proxy")  # answer in milliseconds: `auto` runs them in-process
ENCODINGS = ("mask", "strategy", "lists")  # how a trial's language subset is sampled
KEEP_MODELS = ("front", "all", "none")  # which ended trials keep their model weights (search.keep)
WANDB_MODES = ("offline", "online")  # [tracking] wandb.mode: W&B's own names (wandb.init(mode=...))
PHASES = ("realigned", "epoch", "final")  # what a trial's report follows
FINAL_PHASE = "final"  # the phase of a trial's last report only


def stopped_early(result: Mapping[str, object] | None) -> bool:
    """Whether a trial that ended with ``result`` ended before its final report (ASHA stopped it, or the
    sweep's time budget ran out). A result without ``phase`` (a custom trainable) counts as final."""
    return not result or result.get("phase", FINAL_PHASE) != FINAL_PHASE


# ------------------------------------------------------------------------------------ what it reports
# Target groups (their definitions: spaces.targets). The objective groups are fixed for a sweep; the
# subset views depend on the trial's subset and are diagnostics only.
OBJECTIVE_GROUPS = ("unseen_lrl", "seen_lrl", "lrl", "hrl", "all", "heldout")
SUBSET_VIEWS = ("in_subset", "out_of_subset", "lrl_out_of_subset")
AGGREGATES = (*OBJECTIVE_GROUPS, *SUBSET_VIEWS)
# What a trial costs (trainables.cost): the subset's size and pairs, and what the trial used: its wall
# seconds and its GPU time (wall x GPUs allotted; 0 on CPU-only trials). Costs, not target groups: they
# rank trials by price, never by languages scored.
TRIAL_COSTS = ("wall_s", "gpu_s", "gpu_hours")
COSTS = ("n_languages", "n_pairs", *TRIAL_COSTS)
OBJECTIVE_METRICS = (*OBJECTIVE_GROUPS, *COSTS)  # what may rank trials
DIRECTIONS = ("max", "min")  # an objective's mode
# Names this product used before the groups were fixed; "unseen" in the paper means unseen in pretraining.
RENAMED = {
    "seen": "'seen' (targets inside the subset) was renamed 'in_subset', a subset-dependent diagnostic; "
    "for languages the encoder saw in pretraining use 'seen_lrl'",
    "unseen": "'unseen' (targets outside the subset) was renamed 'out_of_subset', a subset-dependent "
    "diagnostic; for languages the encoder never saw in pretraining use 'unseen_lrl'",
}


def check_objective(field: str, metric: str, allowed: Sequence[str]) -> str:
    """``metric`` if it may rank trials (it is in ``allowed``), else a ConfigError that says why not."""
    if metric in allowed:
        return metric
    if metric in SUBSET_VIEWS:
        raise ConfigError(
            field,
            f"{metric!r} depends on the trial's subset: it averages different languages "
            "for different subsets, so subsets would be scored on different target languages (a subset "
            "could raise it just by realigning on its hardest targets). It stays in every result "
            "as a diagnostic; an objective must be a target group fixed for the whole sweep",
            allowed,
        )
    if metric in RENAMED:
        raise ConfigError(field, RENAMED[metric], allowed)
    raise ConfigError(field, f"unknown metric {metric!r}", allowed)


@dataclass(frozen=True)
class Objective:
    """One objective of the search: a reported metric and whether larger (``max``) or smaller is better."""

    metric: str
    mode: str

    @classmethod
    def parse(cls, text: object, field: str = "search.objectives", metrics: Sequence[str] | None = None) -> Objective:
        """Read ``"metric:mode"``. With ``metrics`` (a search space) the metric must be one of them and
        the direction must be written; without (a report, a script) ``mode`` defaults to ``max``."""
        if not isinstance(text, str):
            raise ConfigError(field, f"expected a string, got {text!r}")
        metric, _, mode = text.partition(":")
        if metrics is not None:
            check_objective(field, metric, metrics)
            if mode not in DIRECTIONS:
                raise ConfigError(field, f"{text!r} needs a direction after ':'", [f"{metric}:max", f"{metric}:min"])
            return cls(metric, mode)
        mode = mode or "max"
        if not metric:
            raise ConfigError(field, f"{text!r} names no metric", ["<metric>:max", "<metric>:min"])
        if mode not in DIRECTIONS:
            raise ConfigError(field, f"{text!r} has mode {mode!r}", DIRECTIONS)
        return cls(metric, mode)

    def sign(self) -> float:
        """+1 for objectives to minimise, -1 for maximised ones: multiplying turns all into minimisation."""
        return 1.0 if self.mode == "min" else -1.0

    def __str__(self) -> str:
        return f"{self.metric}:{self.mode}"

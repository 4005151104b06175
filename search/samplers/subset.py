"""The default sampler: proposes each trial's language subset (``lang/<code>`` booleans) by Monte-Carlo
expected hypervolume improvement (EHVI) under a Bayesian linear surrogate; every other parameter goes to TPE.

Why this shape. A subset's score behaves like per-language effects that are partly summed (a useful
language adds) and partly averaged (a useless one dilutes), plus a size trend, plus what the paper argues
about: which families and scripts the subset covers, how close it comes to each target, how diverse it is.
All of that is linear in features of the subset, so a conjugate Bayesian linear model
(``search.samplers.subset_model.BayesLinear``) learns it from a handful of trials, and its posterior
samples are cheap. The cost (``n_languages`` / ``n_pairs``) of a candidate is known before it runs, so EHVI
weighs a candidate's expected gain against the observed front at its exact cost: every size at once.
TPE treats 65 booleans as independent and so spends its first 50 trials near random on the subset; on the
12-language proxy benchmark (``benchmarks/search_efficiency.py``) this sampler reaches >= 99 % of the
exhaustive front's hypervolume in 30 trials where TPE reaches ~88 %.

Surrogate per quality objective (values standardised), for a subset S of size k (must_include counted)::

    f(S) = sum_{i in S} (a_i + b_i / k)                 per-language effects: summed + averaged
         + sum_g c_g [S covers family/script g]          coverage (groups with >= 2 free members)
         + sum_t r_t min_{i in S} d(i, t)               reach: featural distance to each target t
         + s1 / k + s2 log2 k + s3 k / K + s4 div(S)    size trend; mean pairwise distance of S + en
         + h(hyperparameters)                           additive; (u - .5) and (u - .5)^2 per numeric
    a = a_ind + Phi beta_a,  b = b_ind + Phi beta_b      Phi: ``subset_model.language_features``

Proposal, at the first ``lang/*`` parameter of a trial (so the trial's hyperparameters, suggested
before the subset by ``spaces.config.SearchSpace``, are known): candidates are each posterior sample's
top-k languages at every allowed size, singletons, adds / drops / swaps around the observed front, and
greedy chains of the full surrogate; the best candidate by MC-EHVI of (quality, log2 cost) that was not
evaluated or is not running wins. Several quality objectives are scalarised per trial (ParEGO); without a
cost objective the score is the expected improvement. Before ``n_startup`` subset trials have finished
(warm starts count), subsets are random with a log-uniform size.

Guarantees: proposals respect must_include, must_exclude / held_out (not free), min/max_languages and
max_pairs with the trial's own pairs_per_language, so ``spaces.config.languages_for`` leaves them as
they are; no subset is proposed twice; a proposal is a pure function of (seed, trial number, the study's
trials), so a restored searcher continues identically; the sampler pickles (Ray's ``OptunaSearch`` pickles
it with the study into every experiment checkpoint).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from search.samplers.subset_model import BayesLinear, hvi_2d, language_features, non_dominated, unique_rows
from spaces.vocab import COSTS, Objective

if TYPE_CHECKING:
    from spaces.config import SearchConfig

PREFIX = "lang/"
PROPOSAL_ATTR = "subset_sampler:languages"  # the proposal, recorded on the trial (visible in RDB storage)
ENCODING = "mask"  # the only subset encoding this sampler decides (spaces.config.parse refuses the others)


def for_space(cfg: SearchConfig) -> SubsetSampler:
    """The sampler for a validated search space (``search.samplers.make_sampler``)."""
    sub = cfg.subset
    sampler = SubsetSampler(
        sub.free,
        must_include=sub.must_include,
        min_size=sub.lower,
        max_size=sub.max_languages,
        objectives=cfg.search.objectives,
        max_pairs=sub.max_pairs,
        pairs_default=int(cfg.realign.get("pairs_per_language").default() or 0),
        model=cfg.experiment.model,
        targets=objective_targets(cfg),
        seed=cfg.search.seed,
    )
    if sub.free:  # build the language tables now, not inside the first trial's define-by-run call (Ray warns > 1 s)
        sampler._static_data()
    return sampler


def objective_targets(cfg: SearchConfig) -> tuple[str, ...]:
    """The languages the first quality objective averages, when it is a fixed target group (else none).

    Candidates are ``experiment.targets``, or every catalog language when the space leaves the targets to
    the world: a superset of any task's targets, known without loading a world, and what the sampler was
    measured with. The group then keeps those the encoder and the sweep's pool make members.
    """
    from spaces.catalog import load_catalog
    from spaces.targets import group_members
    from spaces.vocab import OBJECTIVE_GROUPS

    first = next((o.metric for o in cfg.search.objectives if o.metric not in COSTS), None)
    if first not in OBJECTIVE_GROUPS:
        return ()
    exp = cfg.experiment
    candidates = exp.targets or load_catalog().codes()
    return tuple(group_members(first, candidates, exp.model, sweep_pool=cfg.subset.available))


class SubsetSampler(BaseSampler):
    """See the module docstring.

    Args:
        languages: the free languages: exactly the ``lang/<code>`` names the space suggests.
        must_include: languages every trial realigns on (not suggested; counted in sizes and features).
        min_size, max_size: subset size bounds, must_include counted.
        objectives: the study's objectives in order (``Objective`` or ``"metric:mode"``); a metric of
            ``spaces.vocab.COSTS`` is the cost.
        max_pairs, pairs_param, pairs_default: cap n_languages * pairs_per_language <= max_pairs (0: none).
        model: encoder name (pretraining-coverage feature). targets: the languages the first quality
            objective averages (is-target and distance-to-target features, reach terms); empty: generic.
        inner: sampler of every non-subset parameter (default: TPE seeded with ``seed``).
        n_samples: posterior samples (MC-EHVI); n_startup: random subsets before the model (warm starts
            count); max_swaps / top_swaps / greedy_chains: candidate-set sizes; log_cost: EHVI on log2(cost),
            because 10 -> 11 languages is a bigger step than 50 -> 51.
    """

    def __init__(
        self,
        languages: Sequence[str],
        *,
        must_include: Sequence[str] = (),
        min_size: int = 1,
        max_size: int | None = None,
        objectives: Sequence[Objective | str] = ("unseen_lrl:max", "n_languages:min"),
        max_pairs: int = 0,
        pairs_param: str = "realign/pairs_per_language",
        pairs_default: int = 0,
        model: str | None = None,
        targets: Sequence[str] = (),
        seed: int | None = None,
        inner: BaseSampler | None = None,
        n_samples: int = 64,
        n_startup: int = 2,
        log_cost: bool = True,
        max_swaps: int = 200,
        top_swaps: int = 8,
        greedy_chains: int = 4,
    ) -> None:
        self.languages, self.must_include = tuple(languages), tuple(must_include)
        self.min_size = max(int(min_size), len(self.must_include), 1)
        self.max_size = len(self.languages) + len(self.must_include) if max_size is None else int(max_size)
        self.metrics = tuple(str(o).split(":")[0] for o in objectives)
        self.max_pairs, self.pairs_param, self.pairs_default = int(max_pairs), pairs_param, int(pairs_default)
        self.model, self.targets = model, tuple(targets)
        self.seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
        self.inner = inner if inner is not None else optuna.samplers.TPESampler(seed=self.seed)
        self.n_samples, self.n_startup, self.log_cost = n_samples, n_startup, log_cost
        self.max_swaps, self.top_swaps, self.greedy_chains = max_swaps, top_swaps, greedy_chains
        self._static: dict[str, Any] | None = None  # language features, coverage groups, distances (lazy)
        self._proposal: tuple[int, dict[str, bool]] | None = None  # (trial number, lang -> included)

    # ------------------------------------------------------------------------------------ Optuna interface
    def reseed_rng(self) -> None:
        self.inner.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        space = self.inner.infer_relative_search_space(study, trial)
        return {k: v for k, v in space.items() if not k.startswith(PREFIX)}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self.inner.sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        code = param_name[len(PREFIX) :]
        if not param_name.startswith(PREFIX) or code not in self.languages:
            return self.inner.sample_independent(study, trial, param_name, param_distribution)
        if self._proposal is None or self._proposal[0] != trial.number:
            chosen = set(self.propose(study, trial))
            self._proposal = (trial.number, {c: c in chosen for c in self.languages})
            study._storage.set_trial_system_attr(trial._trial_id, PROPOSAL_ATTR, sorted(chosen))
        return self._proposal[1][code]

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self.inner.before_trial(study, trial)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        self.inner.after_trial(study, trial, state, values)

    # ------------------------------------------------------------------------------------------ the proposal
    def propose(self, study: Study, trial: FrozenTrial) -> tuple[str, ...]:
        """The subset for ``trial`` (free languages only, in ``languages`` order)."""
        rng = np.random.default_rng([self.seed, trial.number])
        lo, hi = self._bounds(trial.params)
        lo, hi = lo - len(self.must_include), hi - len(self.must_include)  # free languages to choose
        cost_idx = next((i for i, m in enumerate(self.metrics) if m in COSTS), None)
        quality = [i for i in range(len(study.directions)) if i != cost_idx]
        done, taken = [], set()
        for t in study.get_trials(deepcopy=False):
            subset = self._subset_of(t)
            if subset is None:
                continue
            taken.add(subset)
            finite = t.values is not None and all(np.isfinite(v) for v in t.values)
            if t.state == TrialState.COMPLETE and finite and subset:
                done.append(t)
        if len(done) < self.n_startup or not quality:
            return self._random_subset(rng, lo, hi, taken)
        return self._model_proposal(study, trial, rng, done, taken, quality, cost_idx, lo, hi)

    def _bounds(self, params: dict[str, Any]) -> tuple[int, int]:
        upper = min(self.max_size, len(self.languages) + len(self.must_include))
        ppl = int(params.get(self.pairs_param, self.pairs_default) or 0)
        if self.max_pairs and ppl > 0:
            upper = min(upper, self.max_pairs // ppl)
        return self.min_size, max(upper, self.min_size)

    def _subset_of(self, trial: FrozenTrial) -> tuple[str, ...] | None:
        if not all(PREFIX + c in trial.params for c in self.languages):
            return None  # e.g. a baseline trial (realign.mode none) suggests no subset
        return tuple(c for c in self.languages if trial.params[PREFIX + c])

    def _random_subset(self, rng: np.random.Generator, lo: int, hi: int, taken: set) -> tuple[str, ...]:
        pick: tuple[str, ...] = ()
        for _ in range(100):
            k = min(max(int(np.exp(rng.uniform(np.log(max(lo, 1)), np.log(hi + 1)))), lo), hi)
            chosen = set(rng.choice(len(self.languages), k, replace=False).tolist())
            pick = tuple(c for i, c in enumerate(self.languages) if i in chosen)
            if pick not in taken:
                break
        return pick

    def _model_proposal(
        self,
        study: Study,
        trial: FrozenTrial,
        rng: np.random.Generator,
        done: list[FrozenTrial],
        taken: set,
        quality: list[int],
        cost_idx: int | None,
        lo: int,
        hi: int,
    ) -> tuple[str, ...]:
        index = {c: i for i, c in enumerate(self.languages)}
        masks = np.zeros((len(done), len(self.languages)))
        for r, t in enumerate(done):
            masks[r, [index[c] for c in self._subset_of(t)]] = 1.0
        hp_names = sorted({n for t in done for n in t.distributions if not n.startswith(PREFIX)})
        hp_dists = {n: next(t.distributions[n] for t in reversed(done) if n in t.distributions) for n in hp_names}
        hp_obs = np.array([_hp_row(t.params, hp_dists) for t in done]).reshape(len(done), -1)
        hp_now = _hp_row(trial.params, hp_dists)
        z, groups = self._design(masks, hp_obs)
        signs = [1.0 if d == StudyDirection.MAXIMIZE else -1.0 for d in study.directions]
        ys, stats, thetas = [], [], []
        for qi in quality:
            y = np.array([t.values[qi] for t in done]) * signs[qi]
            mu, sd = float(y.mean()), float(y.std()) or 1.0
            thetas.append(BayesLinear(groups, z.shape[1]).fit(z, (y - mu) / sd).samples(self.n_samples, rng))
            ys.append(y)
            stats.append((mu, sd))
        k_obs = masks.sum(axis=1) + len(self.must_include)
        cands = [self._top_k(thetas, groups, lo, hi), self._neighbours(masks, ys, k_obs, lo, hi, rng)]
        if self.greedy_chains:
            th = sum(thetas) / len(thetas)
            cands.append(
                self._greedy(np.column_stack([th.mean(axis=1), th[:, : self.greedy_chains - 1]]), hp_now, lo, hi)
            )
        cands = np.vstack(cands).astype(bool)
        sizes = cands.sum(axis=1)  # swaps around an observed subset keep its size: drop what this trial can't run
        cmask = unique_rows(cands[(sizes >= max(lo, 1)) & (sizes <= hi)]).astype(float)
        if not len(cmask):
            return self._random_subset(rng, lo, hi, taken)
        zc, _ = self._design(cmask, np.repeat(hp_now[None, :], len(cmask), axis=0))
        values = [mu + sd * (zc @ th) for th, (mu, sd) in zip(thetas, stats, strict=True)]  # (C, M) each
        value, y_obs = _scalarised(values, ys, stats, rng) if len(quality) > 1 else (values[0], ys[0])
        if cost_idx is None:
            score = np.clip(value - y_obs.max(), 0, None).mean(axis=1)
        else:
            c_obs = np.array([t.values[cost_idx] for t in done]) * -signs[cost_idx]
            slope, icpt = np.polyfit(k_obs, c_obs, 1) if np.ptp(k_obs) > 0 else (0.0, float(c_obs.mean()))
            c_cand = icpt + slope * (cmask.sum(axis=1) + len(self.must_include))
            c_ref = icpt + slope * (hi + len(self.must_include) + 1) if slope > 0 else c_obs.max() + 1
            log = self.log_cost and c_obs.min() > 0

            def scale(x: Any) -> Any:
                return np.log2(np.maximum(x, 1e-9)) if log else x

            front = np.column_stack([y_obs, scale(c_obs)])
            ref = (float(y_obs.min()) - 1e-9, float(scale(c_ref)))
            score = hvi_2d(front, ref, value, scale(c_cand)[:, None]).mean(axis=1)
        for r in np.lexsort((-value.mean(axis=1), -score)):
            key = tuple(self.languages[i] for i in np.flatnonzero(cmask[r]))
            if key not in taken:
                return key
        return self._random_subset(rng, lo, hi, taken)

    # -------------------------------------------------------------------------------------------- features
    def _static_data(self) -> dict[str, Any]:
        """Per-language features, coverage groups and typological distances (computed once, picklable)."""
        if self._static is None:
            from spaces.catalog import ENGLISH, load_catalog
            from spaces.typology import load_typology

            cat, typ = load_catalog(), load_typology()
            feat = typ.matrices["featural"]
            fi, mi = [typ.index(c) for c in self.languages], [typ.index(c) for c in self.must_include]
            cover = []
            for attr in ("family", "script"):
                free = [getattr(cat.get(c), attr) for c in self.languages]
                fixed = {getattr(cat.get(c), attr) for c in self.must_include}
                cover += [[x == v for x in free] for v in sorted(set(free)) if free.count(v) >= 2 and v not in fixed]
            ti, en = [typ.index(t) for t in self.targets], typ.index(ENGLISH)
            to_targets = feat[np.ix_(fi, ti)] if ti else None
            self._static = {
                "phi": language_features(self.languages, self.model, self.targets),
                "cover": np.array(cover, float).reshape(len(cover), len(self.languages)),
                "reach_order": np.argsort(to_targets, axis=0, kind="stable") if ti else None,
                "reach_sorted": np.sort(to_targets, axis=0) if ti else None,
                "reach_fixed": feat[np.ix_(mi, ti)].min(axis=0) if ti and mi else np.full(len(ti), np.inf),
                "pair": feat[np.ix_(fi, fi)],
                "pair_en": feat[fi, en] + (feat[np.ix_(fi, mi)].sum(axis=1) if mi else 0),
                "pair_fixed": (feat[np.ix_(mi, mi)].sum() / 2 + feat[mi, en].sum()) if mi else 0.0,
            }
        return self._static

    def _design(self, masks: np.ndarray, hp: np.ndarray) -> tuple[np.ndarray, dict[str, list[slice]]]:
        """Surrogate features of subsets (rows of ``masks`` over the free languages) and hyperparameters."""
        st = self._static_data()
        phi, n_inc = st["phi"], len(self.must_include)
        kk = masks.sum(axis=1) + n_inc
        big = float(len(self.languages) + n_inc)
        mean = masks / kk[:, None]
        root = math.sqrt(max(phi.shape[1], 1))
        pair_sum = 0.5 * ((masks @ st["pair"]) * masks).sum(axis=1) + masks @ st["pair_en"] + st["pair_fixed"]
        size = [1.0 / kk, np.log2(kk) / math.log2(max(big, 2)), kk / big, pair_sum / (kk * (kk + 1) / 2) - 0.5]
        parts: dict[str, list[np.ndarray]] = {
            "lang": [masks, mean],
            "feat": [masks @ phi / root, mean @ phi / root],
            "cover": [(masks @ st["cover"].T > 0).astype(float)],
            "reach": [],
            "size": [np.column_stack(size)],
            "hparam": [hp],
        }
        if st["reach_order"] is not None:  # nearest member per target: the first in that target's distance order
            order, dist = st["reach_order"], st["reach_sorted"]
            chosen = masks > 0
            near = np.empty((len(masks), order.shape[1]))
            for t in range(order.shape[1]):
                m = chosen[:, order[:, t]]
                near[:, t] = np.where(m.any(axis=1), dist[m.argmax(axis=1), t], np.inf)
            parts["reach"] = [np.minimum(near, st["reach_fixed"][None, :]) - 0.5]
        cols, groups, at = [], {}, 0
        for g, blocks in parts.items():
            groups[g] = []
            for b in blocks:
                groups[g].append(slice(at, at + b.shape[1]))
                cols.append(b)
                at += b.shape[1]
        return np.hstack(cols), groups

    # ------------------------------------------------------------------------------------------- candidates
    def _top_k(self, thetas: list[np.ndarray], groups: dict[str, list[slice]], lo: int, hi: int) -> np.ndarray:
        """Each posterior sample's top-k languages by its summed + averaged effect, at every allowed size:
        the exact per-size maximiser of that part of the surrogate."""
        phi = self._static_data()["phi"]
        th = sum(thetas) / len(thetas)
        root = math.sqrt(max(phi.shape[1], 1))
        a = th[groups["lang"][0]] + phi @ th[groups["feat"][0]] / root  # (L, M)
        b = th[groups["lang"][1]] + phi @ th[groups["feat"][1]] / root
        out, n_lang = [], len(self.languages)
        for k in range(max(lo, 1), hi + 1):
            score = -(a + b / (k + len(self.must_include)))
            rank = np.argsort(np.argsort(score, axis=0, kind="stable"), axis=0, kind="stable")
            out.append((rank < k).T)
            if self.top_swaps and k < n_lang:
                r = rank[:, : self.top_swaps]
                out.append(((r < k - 1) | (r == k)).T)
        return np.vstack(out) if out else np.zeros((0, n_lang), bool)

    def _greedy(self, thetas: np.ndarray, hp_now: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Forward greedy maximisation of the full surrogate (coverage, reach and diversity included) for
        each column of ``thetas`` (the posterior mean and a few samples); every prefix in [lo, hi]."""
        n_lang, m = len(self.languages), thetas.shape[1]
        eye = np.eye(n_lang, dtype=bool)
        cur = np.zeros((m, n_lang), dtype=bool)
        hp = np.repeat(hp_now[None, :], m * n_lang, axis=0)
        out = []
        for step in range(1, hi + 1):
            grown = (cur[:, None, :] | eye[None, :, :]).reshape(m * n_lang, n_lang)
            z, _ = self._design(grown.astype(float), hp)
            val = np.einsum("slp,ps->sl", z.reshape(m, n_lang, -1), thetas)
            val[cur] = -np.inf
            cur = cur | eye[np.argmax(val, axis=1)]
            if step >= lo:
                out.append(cur.copy())
        return np.vstack(out) if out else np.zeros((0, n_lang), bool)

    def _neighbours(
        self, masks: np.ndarray, ys: list[np.ndarray], k_obs: np.ndarray, lo: int, hi: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Every singleton (when allowed), and every add / drop plus up to ``max_swaps`` random swaps from
        each observed subset that is non-dominated (first quality objective vs size)."""
        n_lang, n_inc = masks.shape[1], len(self.must_include)
        eye = np.eye(n_lang, dtype=bool)
        out = [eye] if lo <= 1 <= hi else []
        for i in non_dominated(ys[0], k_obs):
            m = masks[i].astype(bool)
            ins, outs = np.flatnonzero(m), np.flatnonzero(~m)
            if len(outs) and k_obs[i] - n_inc + 1 <= hi:
                out.append(m | eye[outs])
            if len(ins) > 1 and k_obs[i] - n_inc - 1 >= max(lo, 1):
                out.append(m & ~eye[ins])
            if len(ins) and len(outs):
                pairs = np.array([(a, b) for a in ins for b in outs])
                if len(pairs) > self.max_swaps:
                    pairs = pairs[rng.choice(len(pairs), self.max_swaps, replace=False)]
                sw = np.repeat(m[None, :], len(pairs), axis=0)
                sw[np.arange(len(pairs)), pairs[:, 0]] = False
                sw[np.arange(len(pairs)), pairs[:, 1]] = True
                out.append(sw)
        return np.vstack(out) if out else np.zeros((0, n_lang), bool)


def _scalarised(
    values: list[np.ndarray], ys: list[np.ndarray], stats: list[tuple[float, float]], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Several quality objectives -> one: a random-weight augmented Chebyshev scalarisation per trial
    (ParEGO), the same for predicted and observed values, so successive trials cover the front."""
    w = rng.dirichlet(np.ones(len(values)))
    pred = [wi * (v - mu) / sd for wi, v, (mu, sd) in zip(w, values, stats, strict=True)]
    seen = [wi * (y - mu) / sd for wi, y, (mu, sd) in zip(w, ys, stats, strict=True)]
    return np.min(pred, axis=0) + 0.05 * sum(pred), np.min(seen, axis=0) + 0.05 * sum(seen)


def _hp_row(params: dict[str, Any], dists: dict[str, BaseDistribution]) -> np.ndarray:
    """Non-subset parameters as surrogate columns: numeric -> (u - .5, 4 (u - .5)^2 - 1/3) with u the
    value scaled to [0, 1] (log scale where the distribution is log); categorical -> one-hot; missing -> 0."""
    row: list[float] = []
    for name, dist in dists.items():
        value = params.get(name)
        if isinstance(dist, CategoricalDistribution):
            row += [float(value is not None and value == c) for c in dist.choices]
        elif isinstance(dist, (FloatDistribution, IntDistribution)):
            if value is None or dist.high <= dist.low:
                row += [0.0, 0.0]
                continue
            f = np.log if dist.log else (lambda x: x)
            u = (f(value) - f(dist.low)) / (f(dist.high) - f(dist.low))
            row += [u - 0.5, 4 * (u - 0.5) ** 2 - 1 / 3]
    return np.array(row, float)

"""run_trial on the fake world: reports, metrics, modes, determinism, resume-continues-not-restarts."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from _fake_world import fake_world
from spaces.errors import ConfigError
from spaces.trial_config import TrialConfig
from trainables.realign import Realigner
from trainables.trial import TrialRun, run_trial


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread, as under Ray with 1 CPU per trial (and immune to a busy shared machine)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REALIGN_SEARCH_THREADS", "1")
        yield


FAST = {"realign": {"steps": 12, "batch_size": 8}, "finetune": {"epochs": 2, "batch_size": 8, "lr": 1e-3}}


def _config(**overrides) -> TrialConfig:
    data = {"languages": ["de", "yor_Latn"], **FAST}
    for key, value in overrides.items():
        if key in ("realign", "finetune"):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return TrialConfig.from_dict(data)


def _scores_only(metrics: dict) -> dict:
    """Metrics without timings, NaN as None (a NaN read back from a checkpoint is another float object,
    and NaN != NaN)."""
    return {
        k: None if isinstance(v, float) and math.isnan(v) else v
        for k, v in metrics.items()
        if not k.startswith("time/")
    }


class Recorder:
    """A report callback that keeps copies of every checkpoint (they vanish after the call)."""

    def __init__(self, root: Path) -> None:
        self.root, self.reports, self.checkpoints = root, [], []

    def __call__(self, metrics: dict, checkpoint: Path | None) -> None:
        self.reports.append(metrics)
        kept = self.root / f"ckpt{len(self.reports)}"
        shutil.copytree(checkpoint, kept)
        self.checkpoints.append(kept)


@pytest.fixture(scope="module")
def before_run(tmp_path_factory) -> tuple[dict, Recorder]:
    recorder = Recorder(tmp_path_factory.mktemp("ckpts"))
    final = run_trial(_config(), recorder, world=fake_world())
    return final, recorder


def test_before_trial_reports_realigned_then_each_epoch(before_run) -> None:
    final, recorder = before_run
    assert [m["phase"] for m in recorder.reports] == ["realigned", "epoch", "final"]
    assert [m["epoch"] for m in recorder.reports] == [0, 1, 2]
    assert _scores_only(recorder.reports[-1]) == _scores_only(final)
    realigned = recorder.reports[0]
    assert math.isnan(realigned["unseen_lrl"]) and math.isfinite(realigned["realign_loss"])


def test_final_metrics_are_complete_and_consistent(before_run) -> None:
    final, _ = before_run
    world = fake_world()
    assert {f"score/{lang}" for lang in world.task_languages("pos")} <= set(final)
    for key in ("unseen_lrl", "seen_lrl", "in_subset", "out_of_subset", "lrl", "hrl", "all", "realign_loss"):
        assert math.isfinite(final[key]), key
    assert final["n_languages"] == 2
    assert final["n_pairs"] == 2 * world.n_parallel
    assert final["realign_steps"] == 12
    assert final["finetune_steps"] == 2 * math.ceil(world.n_train / 8)
    # subset {de, yor_Latn}: yor_Latn is the one LRL the tiny encoder never saw in pretraining, realigned
    # on or not; hau_Latn (seen) is the only LRL outside the subset; every target could be realigned on
    assert final["unseen_lrl"] == pytest.approx(final["score/yor_Latn"])
    assert final["seen_lrl"] == pytest.approx(final["score/hau_Latn"])
    assert final["lrl_out_of_subset"] == pytest.approx(final["score/hau_Latn"])
    assert final["in_subset"] == pytest.approx((final["score/de"] + final["score/yor_Latn"]) / 2)
    assert math.isnan(final["heldout"])


def test_same_config_gives_identical_results(before_run) -> None:
    final, _ = before_run
    again = run_trial(_config(), world=fake_world())
    assert _scores_only(again) == _scores_only(final)


def test_resume_after_realignment_skips_realignment_and_matches(before_run, monkeypatch) -> None:
    final, recorder = before_run
    calls = {"realign": 0}
    original = Realigner.forward

    def counting(self, *args, **kwargs):
        calls["realign"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Realigner, "forward", counting)
    resumed = run_trial(_config(), resume_from=recorder.checkpoints[0], world=fake_world())
    assert calls["realign"] == 0
    assert _scores_only(resumed) == _scores_only(final)


def test_resume_after_first_epoch_runs_only_the_second(before_run, monkeypatch) -> None:
    final, recorder = before_run
    reports = []
    epochs_run = []
    original = TrialRun.finetune_epoch
    monkeypatch.setattr(
        TrialRun, "finetune_epoch", lambda self, epoch: (epochs_run.append(epoch), original(self, epoch))[1]
    )
    resumed = run_trial(
        _config(), lambda m, c: reports.append(m["phase"]), resume_from=recorder.checkpoints[1], world=fake_world()
    )
    assert epochs_run == [1] and reports == ["final"]
    assert _scores_only(resumed) == _scores_only(final)


def test_only_a_running_trials_checkpoints_hold_optimizer_state(before_run) -> None:
    """The final checkpoint is the model alone: nothing resumes a finished trial, and on the real stack
    Adam's two moments are twice the weights."""
    import torch

    _, recorder = before_run
    states = [torch.load(c / "trial_weights.pt", weights_only=True) for c in recorder.checkpoints]
    assert states[1]["optimizer"] is not None and states[1]["schedule"] is not None  # epoch 1 of 2
    assert states[2]["optimizer"] is None and states[2]["schedule"] is None  # final
    assert states[2]["model"].keys() == states[1]["model"].keys()
    final_size = (recorder.checkpoints[2] / "trial_weights.pt").stat().st_size
    running_size = (recorder.checkpoints[1] / "trial_weights.pt").stat().st_size
    assert running_size > 2.5 * final_size  # weights + two Adam moments per trained parameter
    again = run_trial(_config(), resume_from=recorder.checkpoints[2], world=fake_world())
    assert _scores_only(again) == _scores_only(before_run[0])


@pytest.mark.parametrize("damage", ["missing weights", "truncated weights", "garbled state"])
def test_an_unreadable_checkpoint_is_refused_as_such(before_run, tmp_path, damage) -> None:
    from trainables.trial import UnreadableCheckpoint

    _, recorder = before_run
    broken = tmp_path / "ckpt"
    shutil.copytree(recorder.checkpoints[1], broken)
    weights, state = broken / "trial_weights.pt", broken / "trial_state.json"
    if damage == "missing weights":
        weights.unlink()
    elif damage == "truncated weights":
        weights.write_bytes(weights.read_bytes()[:1000])
    else:
        state.write_text(state.read_text()[:50])
    with pytest.raises(UnreadableCheckpoint, match=str(broken)):
        run_trial(_config(), resume_from=broken, world=fake_world())


def test_tune_trial_goes_on_from_the_last_readable_checkpoint(before_run, tmp_path, monkeypatch) -> None:
    """Tune hands back a checkpoint that is gone (deleted when the disk filled before Ray saved the state
    naming its successor): the trial continues from the newest readable one in its folder."""
    import pyarrow.fs
    from ray import tune

    import trainables.checkpoints as checkpoints
    import trainables.units.realign as trainable

    final, recorder = before_run
    trial_dir = tmp_path / "trial_x"
    shutil.copytree(recorder.checkpoints[0], trial_dir / "checkpoint_000000")  # after realignment
    shutil.copytree(recorder.checkpoints[1], trial_dir / "checkpoint_000001")  # after epoch 1
    (trial_dir / "checkpoint_000002").mkdir()  # a copy the full disk cut short: empty
    reports = []
    monkeypatch.setattr(tune, "get_checkpoint", lambda: tune.Checkpoint(str(trial_dir / "checkpoint_000003")))
    monkeypatch.setattr(tune, "report", lambda metrics, checkpoint=None: reports.append(metrics["phase"]))
    monkeypatch.setattr(checkpoints, "trial_storage", lambda: (pyarrow.fs.LocalFileSystem(), str(trial_dir)))
    resumed = trainable.tune_trial(_config().to_dict(), world=fake_world())
    assert reports == ["final"]  # epoch 2 only: it went on from checkpoint_000001
    assert _scores_only(resumed) == _scores_only(final)


def test_resume_from_a_different_trial_is_refused(before_run) -> None:
    _, recorder = before_run
    with pytest.raises(ConfigError, match="resume_from"):
        run_trial(_config(seed=1), resume_from=recorder.checkpoints[0], world=fake_world())


def test_baseline_mode_has_no_realignment() -> None:
    reports = []
    final = run_trial(
        _config(realign={"mode": "none"}, finetune={"epochs": 1}),
        lambda m, c: reports.append(m["phase"]),
        world=fake_world(),
    )
    assert reports == ["final"]
    assert final["n_languages"] == 0 and final["n_pairs"] == 0 and final["realign_steps"] == 0
    assert math.isnan(final["in_subset"]) and math.isfinite(final["unseen_lrl"])


def test_joint_mode_takes_one_realignment_step_per_finetuning_step() -> None:
    final = run_trial(_config(realign={"mode": "joint", "joint_coef": 0.5}, finetune={"epochs": 1}), world=fake_world())
    assert final["realign_steps"] == final["finetune_steps"] == math.ceil(fake_world().n_train / 8)
    assert math.isfinite(final["realign_loss"]) and math.isfinite(final["unseen_lrl"])


def test_pairs_per_language_caps_the_pairs_used() -> None:
    final = run_trial(_config(realign={"pairs_per_language": 10}, finetune={"epochs": 1}), world=fake_world())
    assert final["n_pairs"] == 20


def test_targets_restrict_evaluation() -> None:
    final = run_trial(_config(targets=["hau_Latn"], finetune={"epochs": 1}), world=fake_world())
    assert [k for k in final if k.startswith("score/")] == ["score/hau_Latn"]


def test_language_sampling_weights() -> None:
    from trainables.device import select_device

    run = TrialRun(_config(realign={"sampling": "proportional"}), fake_world(), select_device("cpu"))
    run.data.parallel = {"de": run.data.parallel["de"].head(30), "yor_Latn": run.data.parallel["yor_Latn"].head(10)}
    assert run._language_weights()[1].tolist() == pytest.approx([0.75, 0.25])
    run_uniform = TrialRun(_config(), fake_world(), select_device("cpu"))
    assert run_uniform._language_weights()[1].tolist() == pytest.approx([0.5, 0.5])


def test_language_without_parallel_data_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="languages"):
        run_trial(_config(languages=["fr"]), world=fake_world())


def test_zero_epochs_is_refused() -> None:
    with pytest.raises(ConfigError, match="finetune.epochs"):
        run_trial(_config(finetune={"epochs": 0}), world=fake_world())


def test_mixed_precision_path_runs(monkeypatch) -> None:
    """The CUDA code path (bf16 autocast) exercised on CPU, where autocast also supports bf16."""
    import torch

    from trainables import trial as trial_mod
    from trainables.device import DeviceSetup

    bf16 = DeviceSetup(torch.device("cpu"), torch.bfloat16, pin_memory=False, threads=1)
    monkeypatch.setattr(trial_mod, "select_device", lambda: bf16)
    for mode in ("before", "joint"):
        config = _config(
            realign={"mode": mode, "steps": 3},
            targets=["yor_Latn"],  # unseen by the encoder
            finetune={"epochs": 1, "train_size": 16},
        )  # CPU bf16 is emulated: keep it small
        final = run_trial(config, world=fake_world())
        assert math.isfinite(final["realign_loss"]) and math.isfinite(final["unseen_lrl"])


@pytest.mark.parametrize("mode", ["before", "joint"])
def test_a_diverging_loss_fails_the_trial_with_its_reason(monkeypatch, mode):
    """A NaN realignment loss stops the trial at that step with a message naming the hyperparameters."""
    from trainables.trial import TrialDiverged

    original = TrialRun.realign_loss

    def nan_at_step_3(self, step):
        loss = original(self, step)
        return loss * float("nan") if step == 3 else loss

    monkeypatch.setattr(TrialRun, "realign_loss", nan_at_step_3)
    with pytest.raises(
        TrialDiverged,
        match=r"step 3 is nan .*realign.lr=" if mode == "before" else r"fine-tuning loss .* is nan .*joint_coef=",
    ):
        run_trial(_config(realign={"mode": mode}), world=fake_world())


def _draws(config: TrialConfig, steps: int = 300, parallel: dict | None = None) -> list[list[tuple[str, int]]]:
    from trainables.device import select_device

    run = TrialRun(config, fake_world(), select_device("cpu"))
    if parallel:
        run.data.parallel = {lang: run.data.parallel[lang].head(n) for lang, n in parallel.items()}
    return [run.realign_pairs(step) for step in range(steps)]


def test_mixed_batches_draw_the_language_of_every_pair() -> None:
    """The paper's interleave_datasets: each pair's language is drawn independently (uniform here)."""
    draws = _draws(_config(realign={"batch_size": 8}))
    langs = [lang for pairs in draws for lang, _ in pairs]
    assert abs(langs.count("de") / len(langs) - 0.5) < 0.035  # 2400 draws: sd 0.010
    mixed = sum(len({lang for lang, _ in pairs}) == 2 for pairs in draws)
    assert mixed / len(draws) > 0.95  # a one-language batch of 8 has probability 2 * 0.5**8 < 1%
    assert all(len(pairs) == 8 and len(set(pairs)) == 8 for pairs in draws)  # distinct pairs
    assert _draws(_config(realign={"batch_size": 8}), steps=6)[5] == draws[5]  # a function of (seed, step)


def test_mixed_batches_follow_proportional_weights() -> None:
    draws = _draws(_config(realign={"batch_size": 8, "sampling": "proportional"}), parallel={"de": 48, "yor_Latn": 16})
    langs = [lang for pairs in draws for lang, _ in pairs]
    assert abs(langs.count("de") / len(langs) - 0.75) < 0.035


def test_per_language_batches_hold_one_language() -> None:
    draws = _draws(_config(realign={"batch_size": 8, "batching": "per_language"}))
    assert all(len({lang for lang, _ in pairs}) == 1 and len(pairs) == 8 for pairs in draws)
    assert abs(sum(pairs[0][0] == "de" for pairs in draws) / len(draws) - 0.5) < 0.1  # 300 draws: sd 0.03


def test_mixed_batch_collates_sources_then_translations_with_word_starts() -> None:
    from trainables.device import select_device

    run = TrialRun(_config(realign={"batch_size": 8}), fake_world(), select_device("cpu"))
    pairs = run.realign_pairs(3)
    batch = run.realign_batch(3)
    assert batch["input_ids"].shape[0] == 2 * len(pairs) == batch["word_start"].shape[0]
    for row, (lang, i) in enumerate(pairs):
        src, tgt = run.data.parallel[lang].row("src", i), run.data.parallel[lang].row("tgt", i)
        assert batch["input_ids"][row, : len(src)].tolist() == src.tolist()
        assert batch["input_ids"][len(pairs) + row, : len(tgt)].tolist() == tgt.tolist()


@pytest.mark.parametrize("realign", [{"batching": "per_language"}, {"pooling": "first_subword"}])
def test_batching_and_pooling_options_resume_exactly(tmp_path, realign) -> None:
    recorder = Recorder(tmp_path)
    config = _config(realign=realign, finetune={"epochs": 1})
    final = run_trial(config, recorder, world=fake_world())
    resumed = run_trial(config, resume_from=recorder.checkpoints[0], world=fake_world())
    assert _scores_only(resumed) == _scores_only(final)
    assert math.isfinite(final["realign_loss"])

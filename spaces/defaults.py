"""What a trial uses for a hyperparameter the user left unset: the paper's protocol, per model and task.

The paper did not use one set of numbers for every run. Its values depend on the encoder and on the task,
and a user who names mBERT or XLM-R and leaves a value unset expects the paper's, not a compromise. So
the fields below default to ``None`` ("unset") in ``RealignParams`` / ``FinetuneParams``, and every
``TrialConfig`` and every parsed search space replaces ``None`` with these values: a resolved config
always shows numbers, and an explicitly set value always wins.

Where each value comes from (the paper's code, felixgaschi/emnlp-2026-code-submission at f4585d3):

- learning rate, realignment and fine-tuning alike: ``7.5e-6 if "roberta" in model_name else 2e-5``
  (``scripts/2025_aacl/controlled_realignment.py: train``, passed to ``realignment_training_loop``,
  which uses it for the realignment Adam and the fine-tuning Adam);
- epochs: ``n_epochs=2`` for xnli, ``5`` for wikiann and xtreme_r.udpos
  (``scripts/2025_aacl/run_langs_selection.sh``);
- evaluation length: the test sets are loaded without ``max_length``, so the loaders' defaults apply:
  128 for token classification (``datasets/token_classification.py: get_token_classification_dataset``)
  and 256 for XNLI (``datasets/xnli.py: get_xnli``); training passes ``max_length=96``.

The tiny encoder (0.5M parameters, 2 layers) keeps its own working values: a learning rate of 1e-3 (it
barely trains at the paper's, see ``trainables/commands.py``) and 2 epochs for every task (its 1,500
English examples are learnt by then, and 5 would make every tiny trial, test and sweep 2.5x longer in
fine-tuning and evaluation).

The realignment layer is the paper's for every model, so it is a plain default
(``RealignParams.layer = PAPER_LAYER``): ``layers=[-1]`` (``controlled_realignment.py``), which
``multilingual_eval/models/with_realignment_factory.py: SpecificPretrainedModelWithRealignment.__init__``
maps to ``n_layers - 1`` and ``realignment_loss.py: compute_realignment_loss`` uses as an index into
``hidden_states`` (embeddings at index 0): the output of the PENULTIMATE layer, ``-2`` in our indexing.
On the tiny world -2 and -1 were not told apart (README, "Realignment as the paper ran it").
"""

from __future__ import annotations

from typing import Any

from spaces.vocab import TINY_MODEL, canonical_model

PAPER_LAYER = -2  # hidden_states[n_layers - 1]: the penultimate layer's output (see module docstring)
TINY_LR = 1e-3
TINY_EPOCHS = 2
EPOCHS = {"nli": 2, "ner": 5, "pos": 5}
EVAL_MAX_LENGTH = {"nli": 256, "ner": 128, "pos": 128}

# The fields that default per model/task; everything else has a plain dataclass default.
UNSET_FIELDS = {"realign": ("lr",), "finetune": ("lr", "epochs", "eval_max_length")}


def paper_lr(model: str) -> float:
    """The paper's rule, verbatim in spirit: RoBERTa-family encoders 7.5e-6, anything else 2e-5."""
    return 7.5e-6 if "roberta" in canonical_model(model) else 2e-5


def unset_defaults(model: str, task: str) -> dict[str, dict[str, Any]]:
    """``{"realign": {...}, "finetune": {...}}``: the value of each ``UNSET_FIELDS`` field for this
    model and task. An unknown task falls back to the tagging values (the caller validates tasks)."""
    tiny = canonical_model(model) == TINY_MODEL
    lr = TINY_LR if tiny else paper_lr(model)
    return {
        "realign": {"lr": lr},
        "finetune": {
            "lr": lr,
            "epochs": TINY_EPOCHS if tiny else EPOCHS.get(task, 5),
            "eval_max_length": EVAL_MAX_LENGTH.get(task, 128),
        },
    }

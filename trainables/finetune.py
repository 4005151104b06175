"""English fine-tuning: small task heads on the shared encoder, a fresh Adam and a linear schedule.

The heads are ours rather than ``AutoModelFor...`` so that one encoder object is shared, by reference,
between the realignment loss (``trainables.realign.Realigner``) and the task head -- joint mode needs
both losses to reach the same weights, and checkpoints stay one state dict. They are the heads the
paper's ``AutoModelFor...`` classes put on each encoder
(``multilingual_eval/datasets/dispatch_datasets.py: model_fn``):

- PoS / NER: token classification, labelled on each word's first subword (others are ignored):
  dropout -> linear, as ``BertForTokenClassification`` / ``XLMRobertaForTokenClassification``.
- NLI, BERT encoders (mBERT): the encoder's PRETRAINED pooler (dense -> tanh on [CLS]) -> dropout ->
  linear, as ``BertForSequenceClassification``; the pooler comes from the checkpoint.
- NLI, other encoders (XLM-R): RoBERTa's classification head on the first position (dropout -> dense
  -> tanh -> dropout -> linear, all new), as ``XLMRobertaForSequenceClassification``.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedModel, get_linear_schedule_with_warmup
from transformers.utils import logging as hf_logging

from spaces.vocab import TOKEN_TASKS
from trainables.data import IGNORE
from trainables.device import adam
from trainables.labels import LABELS

POOLER_MODEL_TYPES = ("bert",)  # encoders whose sequence classifier reads the pretrained pooler


def load_encoder(model_path: str, task: str | None = None) -> PreTrainedModel:
    """The pretrained encoder from a local directory (never the hub), with its pooler only where the
    task head reads it (NLI on a BERT encoder); a checkpoint without pooler weights gets a seeded one."""
    # One progress bar and one "unexpected keys: MLM head" report per trial would bury Ray's table.
    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        config = AutoConfig.from_pretrained(model_path, local_files_only=True)
        pooler = task is not None and task not in TOKEN_TASKS and config.model_type in POOLER_MODEL_TYPES
        try:
            return AutoModel.from_pretrained(model_path, config=config, add_pooling_layer=pooler, local_files_only=True)
        except TypeError:  # architectures without a pooler option
            return AutoModel.from_pretrained(model_path, config=config, local_files_only=True)
    finally:
        hf_logging.set_verbosity(verbosity)


class TokenClassificationHead(nn.Module):
    """dropout -> linear, on every position (tagging) or on the pooler's output (BERT NLI)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(hidden))


class SentencePairHead(nn.Module):
    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        cls = self.dropout(hidden[:, 0])
        return self.classifier(self.dropout(torch.tanh(self.dense(cls))))


class TaskModel(nn.Module):
    """Encoder + head for one task. ``forward`` returns logits: [B, T, C] (tokens) or [B, C] (NLI).

    ``uses_pooler``: NLI on an encoder loaded with its pooler (``load_encoder(path, "nli")`` on BERT):
    the head classifies ``pooler_output``, as ``BertForSequenceClassification``.
    """

    def __init__(self, encoder: PreTrainedModel, task: str) -> None:
        super().__init__()
        self.encoder = encoder
        self.task = task
        config = encoder.config
        dropout = getattr(config, "classifier_dropout", None)  # as the HF heads: else the hidden dropout
        dropout = getattr(config, "hidden_dropout_prob", 0.1) if dropout is None else dropout
        self.uses_pooler = task not in TOKEN_TASKS and getattr(encoder, "pooler", None) is not None
        head = TokenClassificationHead if task in TOKEN_TASKS or self.uses_pooler else SentencePairHead
        self.head = head(config.hidden_size, len(LABELS[task]), dropout)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None and getattr(self.encoder.config, "type_vocab_size", 1) > 1:
            inputs["token_type_ids"] = token_type_ids
        out = self.encoder(**inputs)
        return self.head(out.pooler_output if self.uses_pooler else out.last_hidden_state)

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = self(batch["input_ids"], batch["attention_mask"], batch.get("token_type_ids"))
        if self.task in TOKEN_TASKS:
            return nn.functional.cross_entropy(
                logits.flatten(0, 1).float(), batch["labels"].flatten(), ignore_index=IGNORE
            )
        return nn.functional.cross_entropy(logits.float(), batch["label"])


def finetune_optimizer(
    params, lr: float, total_steps: int, warmup: float
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """A fresh Adam with linear decay to zero after ``warmup`` (a fraction) of the steps, as the paper."""
    optimizer = adam(params, lr)
    warmup_steps = int(round(warmup * total_steps))
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup_steps, max(total_steps, 1))

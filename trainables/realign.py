"""Sentence-level contrastive realignment: the method whose language subsets the search explores.

For a batch of N English/translation pairs every sentence is encoded by the shared encoder, pooled at
layer L, projected by a small head, and must pick out its own counterpart among the other 2N - 1
sentences (InfoNCE over cosine similarity / temperature, in both directions). The projection head exists
only for this loss, so fine-tuning never sees it.

Pooling (``pooling``):

- ``mean`` (default): the mean over every real subword (no padding, no special tokens);
- ``first_subword``: the mean over the first subword of each word, which is what the paper's code set
  out to do: its data pipeline records each word's first-subword position
  (``multilingual_eval/datasets/realignment_task.py: AdaptAlignmentToTokenizerMapper``,
  ``first_subword_only=True``);
- ``paper_prefix``: what the paper's code actually averaged. Its sentence-level loss ignores those
  positions and averages the first ``n_words`` POSITIONS of the sequence, [CLS] included
  (``models/realignment_loss.py: compute_realignment_loss``, ``build_mask_from_lengths(
  alignment_left_length, ...)``, the length being the sentence's number of words), which drops the tail
  of every sentence whose words split into several subwords. Only the paper presets use it, to
  reproduce the published numbers.

Layer (``layer``): an index into ``hidden_states`` (0 = embeddings, -1 = the last layer's output). The
paper's ``layers=[-1]`` is ``hidden_states[n_layers - 1]``, i.e. ``layer = -2`` here: the last encoder
layer receives no realignment gradient (see ``spaces.defaults``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from spaces.vocab import POOLING


def content_mask(input_ids: torch.Tensor, attention_mask: torch.Tensor, special_ids: Iterable[int]) -> torch.Tensor:
    """1 where a position holds a real subword: attended to and not [CLS]/[SEP]/<s>/</s>/[PAD]/...

    Derived from the ids (not a tokenizer-produced special-tokens mask) so it holds for cached
    encodings and for any batch, whoever tokenised it.
    """
    special = torch.as_tensor(sorted(set(special_ids)), dtype=input_ids.dtype, device=input_ids.device)
    return attention_mask.bool() & ~torch.isin(input_ids, special)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``hidden`` [B, T, d] over positions where ``mask`` [B, T] is true -> [B, d].

    A sentence with no content token (empty after truncation) pools to zeros instead of NaN.
    """
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


class ProjectionHead(nn.Module):
    """Linear(d, d, no bias) -> ReLU -> Linear(d, p, no bias), as in the paper's realignment code."""

    def __init__(self, hidden_size: int, proj_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(hidden_size, hidden_size, bias=False),
            nn.ReLU(),
            nn.Linear(hidden_size, proj_dim, bias=False),
        )

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net(pooled)


def contrastive_loss(src: torch.Tensor, tgt: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE over 2N candidates: row i of ``src`` must match row i of ``tgt`` and back.

    Each of the 2N sentences scores every other sentence (itself excluded) by cosine / temperature;
    the loss is the cross-entropy of picking its counterpart, averaged over all 2N sentences (which is
    the mean of the English->translation and translation->English directions).
    """
    if src.shape != tgt.shape or src.dim() != 2:
        raise ValueError(f"src and tgt must both be [N, p]; got {tuple(src.shape)} and {tuple(tgt.shape)}")
    n = src.shape[0]
    z = F.normalize(torch.cat([src, tgt], dim=0).float(), dim=-1)
    logits = z @ z.T / temperature
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    index = torch.arange(n, device=z.device)
    targets = torch.cat([index + n, index])
    return F.cross_entropy(logits, targets)


def encoder_layer_states(
    encoder: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, layer: int = -1
) -> torch.Tensor:
    """Hidden states [B, T, d] of ``layer`` (0 = embeddings, -1 = last encoder layer, -2 = the paper's).

    Asks the encoder for every layer only when a non-final layer is wanted: the common case costs no
    extra memory.
    """
    n_layers = encoder.config.num_hidden_layers
    index = layer if layer >= 0 else n_layers + 1 + layer
    if not 0 <= index <= n_layers:
        from spaces.errors import ConfigError

        raise ConfigError(
            "realign.layer",
            f"layer {layer} does not exist in a {n_layers}-layer encoder",
            [*range(-(n_layers + 1), n_layers + 1)],
        )
    if index == n_layers:
        return encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    out = encoder(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
    return out.hidden_states[index]


class Realigner(nn.Module):
    """The realignment loss as a module: shared ``encoder`` plus its own projection head.

    ``forward`` takes one padded batch holding the N source sentences followed by their N translations
    (one encoder call for all 2N, which is what makes a step cheap) and returns the scalar loss;
    ``word_start`` [2N, T] (1 at each word's first subword) is needed unless ``pooling="mean"``.
    """

    def __init__(
        self,
        encoder: nn.Module,
        special_ids: Iterable[int],
        *,
        proj_dim: int = 128,
        temperature: float = 0.1,
        layer: int = -1,
        length_groups: int = 1,
        pooling: str = "mean",
    ) -> None:
        super().__init__()
        if pooling not in POOLING:
            from spaces.errors import ConfigError

            raise ConfigError("realign.pooling", f"{pooling!r} is not allowed", POOLING)
        self.encoder = encoder
        self.head = ProjectionHead(encoder.config.hidden_size, proj_dim)
        self.special_ids = sorted(set(special_ids))
        self.temperature = temperature
        self.layer = layer
        self.length_groups = length_groups
        self.pooling = pooling

    def pooling_mask(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, word_start: torch.Tensor | None
    ) -> torch.Tensor:
        """The positions a sentence vector averages: real subwords, or each word's first subword."""
        if self.pooling == "mean":
            return content_mask(input_ids, attention_mask, self.special_ids)
        if word_start is None:
            raise ValueError(f"pooling={self.pooling!r} needs word_start flags (trainables.data.encode_parallel)")
        if self.pooling == "first_subword":
            return attention_mask.bool() & word_start.bool()
        n_words = word_start.sum(dim=1, keepdim=True)
        return attention_mask.bool() & (torch.arange(input_ids.shape[1], device=input_ids.device) < n_words)

    def pooled(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, word_start: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Pooled layer-L states [B, d] of one padded batch."""
        hidden = encoder_layer_states(self.encoder, input_ids, attention_mask, self.layer)
        return mean_pool(hidden, self.pooling_mask(input_ids, attention_mask, word_start))

    def embed(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, word_start: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Projected sentence embeddings [B, p].

        With ``length_groups`` > 1 the batch is encoded in that many length-sorted slices, each cut to
        its own longest sentence. Padding changes nothing (it is masked out of attention and pooling),
        so the result is the same as one call, but a translation twice as long as its English source no
        longer pads all 2N sentences to its length: on CPU, where cost follows tokens, a step gets ~1.5x
        cheaper; on GPU one big call is better (``length_groups=1``).
        """
        if self.length_groups <= 1:
            return self.head(self.pooled(input_ids, attention_mask, word_start))
        lengths = attention_mask.sum(dim=1)
        order = torch.argsort(lengths)
        parts = []
        for rows in torch.tensor_split(order, min(self.length_groups, len(order))):
            width = int(lengths[rows].max())
            starts = None if word_start is None else word_start[rows, :width]
            parts.append(self.pooled(input_ids[rows, :width], attention_mask[rows, :width], starts))
        pooled = torch.cat(parts)
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(len(order), device=order.device)
        return self.head(pooled[inverse])

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, word_start: torch.Tensor | None = None
    ) -> torch.Tensor:
        if input_ids.shape[0] % 2:
            raise ValueError("a realignment batch holds N sources then N translations (even size)")
        z = self.embed(input_ids, attention_mask, word_start)
        src, tgt = z.chunk(2, dim=0)
        return contrastive_loss(src, tgt, self.temperature)


def realign_optimizer(params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """Adam with a constant learning rate: the paper's realignment optimiser."""
    from trainables.device import adam

    return adam(params, lr)

"""How large a trial's checkpoint is, from the parameter count of the model it trains, before any trial.

A checkpoint of a running trial (``trainables.trial.TrialRun.save``) holds the fp32 weights of encoder,
task head and projection head, plus Adam's state for what fine-tuning trains: two fp32 moments per
parameter, twice the weights. A finished trial's checkpoint holds the weights alone. The model is built
on PyTorch's meta device (shapes, no memory, milliseconds even for XLM-R) from the same classes a trial
uses, so the count is exact for the architecture, not a rule of thumb.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FP32_BYTES = 4
ADAM_MOMENTS = 2  # exp_avg and exp_avg_sq, fp32, one each per trained parameter


@dataclass(frozen=True)
class CheckpointSize:
    """Sizes in bytes. ``parameters``: of encoder + task head + projection head."""

    parameters: int
    trained: int  # parameters fine-tuning's Adam holds state for

    @property
    def weights(self) -> int:
        return self.parameters * FP32_BYTES

    @property
    def optimizer(self) -> int:
        return self.trained * FP32_BYTES * ADAM_MOMENTS

    @property
    def resumable(self) -> int:
        """A running trial's checkpoint: weights and optimiser state."""
        return self.weights + self.optimizer


def encoder_config(world: str, model: str):
    """The encoder's ``transformers`` config: the built tiny world's, else the tiny world's spec; for
    the real stack the published architecture (``trainables.real.models.ARCHITECTURES``)."""
    from transformers import AutoConfig, BertConfig

    if world == "tiny":
        from trainables.tinyworld.world import world_path

        built = Path(world_path(0), "model")
        if (built / "config.json").is_file():
            return AutoConfig.from_pretrained(str(built))
        from trainables.tinyworld.pretrain import EncoderSpec

        spec = EncoderSpec()
        return BertConfig(
            vocab_size=spec.vocab_size,
            hidden_size=spec.hidden,
            num_hidden_layers=spec.layers,
            num_attention_heads=spec.heads,
            intermediate_size=spec.intermediate,
            max_position_embeddings=max(128, spec.max_length * 2),
        )
    from trainables.real.models import architecture_config

    return architecture_config(model)


def checkpoint_size(
    config, task: str, *, realign: bool = True, joint: bool = False, proj_dim: int = 128
) -> CheckpointSize:
    """The checkpoint of a trial of ``task`` on the encoder ``config`` (``encoder_config``); ``realign``:
    it has a projection head, ``joint``: fine-tuning also trains that head."""
    import torch
    from transformers import AutoModel

    from trainables.finetune import TaskModel
    from trainables.realign import ProjectionHead

    with torch.device("meta"):
        try:
            encoder = AutoModel.from_config(config, add_pooling_layer=False)
        except TypeError:  # architectures without a pooler option
            encoder = AutoModel.from_config(config)
        task_model = TaskModel(encoder, task)
        head = ProjectionHead(config.hidden_size, proj_dim) if realign else None
    model_params = sum(p.numel() for p in task_model.parameters())
    head_params = sum(p.numel() for p in head.parameters()) if head is not None else 0
    return CheckpointSize(parameters=model_params + head_params, trained=model_params + (head_params if joint else 0))

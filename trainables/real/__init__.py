"""The real stack: mBERT / XLM-R and the paper's datasets behind one declarative registry.

``RealWorld`` implements the World interface (docs/ARCHITECTURE.md); ``sources.toml`` says where every
dataset lives and how it maps onto the World schemas.
"""

from trainables.real.registry import Registry, Source, load_registry
from trainables.real.world import RealWorld

__all__ = ["RealWorld", "Registry", "Source", "load_registry"]

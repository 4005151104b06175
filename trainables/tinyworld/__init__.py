"""The tiny world: an offline multilingual benchmark shaped by real typology, with a tiny encoder.

Layout: ``scripts`` (writing systems), ``lexicon`` (concepts, names, cognate lexicons), ``languages``
(per-language surface facts from lang2vec), ``grammar`` (events and their realisation), ``generator``
(all datasets of one seed).
"""

from trainables.tinyworld.world import VERSION, TinyWorld, ensure_world, load_world, world_path

__all__ = ["VERSION", "TinyWorld", "ensure_world", "load_world", "world_path"]

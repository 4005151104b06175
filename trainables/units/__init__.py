"""The trainables, side by side: one module per name in ``spaces.vocab.TRAINABLES``.

Every unit is one fidelity of the same experiment and honours one contract, so a search can mix them
(pre-screen with the proxy, confirm with real trials) without comparing different quantities:

* ``trainable(config)``: the Ray Tune function trainable; ``config`` is a ``TrialConfig.to_dict()``;
  it reports through ``ray.tune.report``;
* ``result(config)``: the trial's final metrics, in-process, without Ray.

The final metrics hold ``score/<code>`` for every scored target, every aggregate of ``spaces.vocab``
(computed by ``trainables.metrics.aggregate`` from those scores), ``n_languages``, ``n_pairs`` and
``phase = "final"``; ``tests/trainables/test_contract.py`` holds every registered unit to it.

* ``realign``   trains: realign, fine-tune on English, evaluate (tiny world on CPU, or the real stack);
* ``published`` replays the paper's measurements for a subset it ran;
* ``proxy``     predicts any subset's scores from the published results, in milliseconds.

``published`` and ``proxy`` share one path from per-benchmark scores to a result (``units.paper``).
"""

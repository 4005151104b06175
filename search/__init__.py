"""How trials are chosen, run and reported: Ray Tune + Optuna, resume, the CLI, Pareto reports."""

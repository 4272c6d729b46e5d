"""Hyper-parameter presets per task family, from the reference's Table 3 (paper App. D) and script defaults;
and each task's evaluation decoding, from its record.

Each entry is ``PRESETS[family][algo] = (values, note)``; the note says where the preset differs from
the reference and why. A preset is named by its family (``--preset maze``) or by any env id of the
family (``maze-po-v0``: the family is the task record's, ``lmrl_envs.spec(id).task.family``). A
registered task whose family has no row gets `DEFAULT_PRESET` (the settings every row shares for a
tiny model from scratch, and the Table 3 values most tasks use), so a new task trains without a
row here; a name that is neither a family nor a registered env is an error. Common differences,
applied to every task:

* batch 128 -> 32: the reference used TPU pods; 32 segments fit one consumer GPU or a CPU.
* BC lr 1e-4 -> 1e-3 when training ``--model tiny`` from scratch: a 0.5 M-parameter model started
  from random weights (the reference fine-tunes a pretrained gpt2) learns Maze BC in ~300 steps at
  1e-3 and barely moves at 1e-4 in the same budget. Use ``--lr 1e-4`` for pretrained models.
* BC and %BC add ``non_action_weight 1``: a next-token loss on the observation tokens (the
  reference's `bc_loss` option, 0 in its scripts). A pretrained gpt2 already reads its observations;
  a tiny model from scratch does not learn it from the actions alone when they depend little on the
  observation. Measured on Maze FO (seed 0, quick budget): without it the BC model's outputs and
  the ILQL values trained from it were the same for every cell with the same walls (ILQL's V -6.3
  everywhere, score 67.8 over 3 seeds); with it ILQL's V follows the distance to the goal and ILQL
  scores 92.4 (seed 0; 90.7 over 3 seeds in the quick budget, RESULTS.md). Use
  ``--non-action-weight 0`` for pretrained models.
* MC / ILQL decode free generation with ``support_p 0.9``: the value term re-weighs only the tokens of
  pi_beta's top-0.9 nucleus (the reference: the whole vocabulary). Tokens the data never holds keep
  their initial Q of 0, above every trained negative return, and beta multiplies the gap: a Wordle
  MC checkpoint gave 100 % invalid guesses without the nucleus and 0.03 % with it. Maze re-ranks its 4
  moves, where this does not apply.
* MC / ILQL train their value network from the value losses only and decode with a frozen copy of
  the BC model as pi_beta, as the reference (`lmrl_algos.common.value`).

Example:
    >>> preset_values("ilql", "maze")["tau"]
    0.95
    >>> preset_values("ilql", "maze-po-v0") == preset_values("ilql", "maze")
    True
    >>> sorted(PRESETS)[:3]
    ['car-dealer', 'chess', 'endgames']
"""

from __future__ import annotations

from lmrl_algos.common.config import ConfigError

__all__ = ["DEFAULT_PRESET", "PRESETS", "decoding", "describe", "preset_family", "preset_task", "preset_values"]

_TINY = "lr 1e-3 and batch 32 for a tiny model from scratch (reference: gpt2 fine-tuned at 1e-4, batch 128)"
_SUPPORT = "; free generation adds beta * value only within pi_beta's top-0.9 nucleus (reference: whole vocabulary)"
_COSINE = ("; lr_schedule cosine (reference: constant): the Q head regresses onto sampled returns, and only a "
           "decaying rate ends near their mean")
_READ = "; non_action_weight 1 so that it learns to read its observations (reference: 0, pretrained gpt2)"


def _task(bc_lr, pct, mc, ilql, ppo, *, gamma_ppo=0.99, bc_note=_TINY, online_keep=0.3, archer=None):
    """mc=(lr, beta, gamma, cql); ilql=(lr, beta, cql, tau, gamma); ppo=(lr, rollouts, lambda, kl, bc_w);
    online_keep: online %BC's filter, a top fraction or "success"; archer: (values, note) replacing ArCHer's."""
    pct_vals = {"success_only": True} if pct == "success" else {"top_fraction": pct, "success_only": False}
    online_vals, online_note = (({"success_only": True}, "keep the successful episodes, as the reference's script")
                                if online_keep == "success" else
                                ({"keep_fraction": online_keep, "success_only": False}, "keep the top 30 %"))
    return {
        "bc": ({"lr": bc_lr, "batch_size": 32, "non_action_weight": 1.0}, bc_note + _READ),
        "filtered_bc": ({"lr": bc_lr, "batch_size": 32, "non_action_weight": 1.0, **pct_vals},
                        bc_note + _READ + "; filter as Table 3"),
        "mc": ({"lr": mc[0], "batch_size": 32, "beta": mc[1], "gamma": mc[2], "cql_weight": mc[3], "support_p": 0.9,
                "lr_schedule": "cosine"},
               "Table 3 values; batch 32 (reference 64-128)" + _SUPPORT + _COSINE),
        "ilql": ({"lr": ilql[0], "batch_size": 32, "beta": ilql[1], "cql_weight": ilql[2], "tau": ilql[3],
                  "gamma": ilql[4], "support_p": 0.9}, "Table 3 values; batch 32 (reference 128)" + _SUPPORT),
        "ppo": ({"lr": ppo[0], "n_rollouts": ppo[1], "lam": ppo[2], "gamma": gamma_ppo, "kl_coef": ppo[3],
                 "bc_weight": ppo[4], "batch_size": 32},
                "Table 3 lr/lambda/KL; rollouts per round capped at 128 for single-machine runs"),
        "online_filtered_bc": ({"lr": 1e-4, "n_rollouts": 128, **online_vals, "batch_size": 32},
                               f"script defaults (128 rollouts, {online_note}); batch 32 (reference 128)"),
        **{algo: ({"lr": ppo[0], "n_rollouts": 128, "group_size": 8, "batch_size": 32, "kl_coef": 0.01,
                   "gamma": 1.0 if gamma_ppo == 1.0 else 0.95},
                  "not in the paper: PPO's lr; 16 groups of 8; kl 0.01 (k3, in the loss) and gamma 0.95 per step as "
                  "GiGPO, 1 where the reference's PPO does not discount")
           for algo in ("grpo", "rloo", "gigpo")},
        "archer": ({"lr": ppo[0], "critic_lr": 1e-4, "n_rollouts": 128, "buffer_size": 512, "critic_steps": 100,
                    "batch_size": 32, "gamma": 0.95, **(archer[0] if archer else {})},
                   "not in the paper: PPO's lr for the actor, the MC / ILQL lr (1e-4) for the critic; 128 rollouts a "
                   "round, the last 4 rounds in the buffer; gamma 0.95 everywhere (the critic bootstraps episodes cut "
                   "by the step limit, which gamma 1 would not bound)" + (archer[1] if archer else "")),
    }


PRESETS: dict[str, dict[str, tuple[dict, str]]] = {
    # Maze: the maze scripts (tau 0.95, cql 0, beta 8) rather than the ambiguous Table 3 cells.
    # Maze MC beta 1 (scripts: 8; Table 3: 16). The maze data's trajectories are cut at random horizons, and
    # MC regresses onto the partial sums, which carry no route to the goal outside its stem: the Q differences
    # between moves there are noise that a large beta amplifies. Tabular MC on the quick dataset (mean partial
    # return per cell and move, decoded as pi_beta exp(beta Q), 1000 rollouts): beta 0.5 / 1 / 2 / 4 / 8 return
    # -34 / -40 / -61 / -76 / -88 (the frequency policy: -83). A trained quick-budget MC scored 58.6 at beta 1
    # and 33.6 at beta 8 (200 episodes). With the cosine schedule (every task's MC preset) the quick-budget MC of seed 0
    # scored 77.7 against 53.3 at a constant rate (800 episodes, the same data and BC init). ILQL's advantages are stitched by its Bellman backups: beta 8 kept
    # (the same quick ILQL run: beta 2 / 8 / 16 scored 54.6 / 65.2 / 59.5).
    # Maze online %BC keeps the successful rollouts (`maze/online_filtered_bc/*.py` filters on the final reward
    # 0): the top 30 % by return of a weak policy's rollouts are mostly ties at -101, i.e. loops.
    "maze": _task(1e-3, "success", (1e-4, 1.0, 0.99, 0.0), (1e-4, 8.0, 0.0, 0.95, 0.99), (1e-6, 128, 0.95, 0.1, 0.0),
                  online_keep="success",
                  archer=({"lr": 1e-4, "critic_lr": 1e-3, "critic_steps": 200, "tau": 0.05, "critic_warmup_rounds": 1},
                          "; maze: the tiny model's settings of the quick benchmark (actor lr 1e-4, critic lr 1e-3, "
                          "200 critic steps, tau 0.05, one critic-only round; seed 0 scored 91.5, its BC 35.6)")),
    "text-nav": _task(1e-3, "success", (1e-4, 4.0, 0.99, 0.001), (1e-4, 1.0, 0.001, 0.7, 0.99),
                      (5e-6, 128, 0.95, 0.01, 1.0), gamma_ppo=1.0),
    "wordle": _task(1e-3, 0.3, (3e-5, 64.0, 0.99, 0.01), (3e-5, 32.0, 0.01, 0.7, 0.99),
                    (3e-5, 128, 0.95, 0.001, 1.0), gamma_ppo=1.0),
    "chess": _task(1e-3, "success", (1e-4, 8.0, 0.99, 1e-4), (1e-4, 8.0, 1e-4, 0.7, 0.99), (1e-5, 128, 0.95, 0.01, 0.0)),
    "endgames": _task(1e-3, "success", (1e-4, 8.0, 0.99, 1e-4), (1e-4, 8.0, 1.0, 0.7, 0.99),
                      (1e-5, 128, 0.95, 0.01, 0.0), gamma_ppo=1.0, online_keep="success"),
    "twenty-questions": _task(1e-3, 0.1, (1e-4, 16.0, 0.99, 0.001), (1e-4, 4.0, 0.001, 0.7, 0.99),
                              (1e-6, 128, 0.95, 0.001, 1.0), gamma_ppo=1.0),
    "guess-my-city": _task(1e-3, 0.1, (1e-4, 16.0, 0.99, 0.001), (1e-4, 4.0, 0.001, 0.7, 0.99),
                           (3e-5, 128, 0.95, 0.001, 1.0), gamma_ppo=1.0),
    "car-dealer": _task(1e-3, 0.1, (1e-4, 16.0, 0.99, 0.001), (1e-4, 4.0, 0.001, 0.7, 0.99),
                        (5e-6, 128, 0.95, 0.01, 1.0)),
}
"""Wordle MC gamma: Table 3 prints 1.0 (?) for MC; kept 0.99 like every other task. Wordle MC beta 64 is
the Table 3 cell marked '?'."""


DEFAULT_PRESET: dict[str, tuple[dict, str]] = _task(1e-3, 0.3, (1e-4, 16.0, 0.99, 0.001), (1e-4, 4.0, 0.001, 0.7, 0.99),
                                                  (1e-5, 128, 0.95, 0.01, 1.0), gamma_ppo=1.0)
"""The preset of a registered task whose family has no row in `PRESETS` (a new task): the tiny-model
settings every row shares (BC lr 1e-3, batch 32, ``non_action_weight 1``; MC / ILQL ``support_p 0.9``),
%BC and online %BC on the top 30 % by return, and the Table 3 values most tasks share: MC lr 1e-4,
beta 16, cql 0.001; ILQL lr 1e-4, beta 4, cql 0.001, tau 0.7; PPO lr 1e-5, lambda 0.95, KL 0.01, BC
weight 1, gamma 1. Measure and add a row for a task you report."""


def preset_family(name: str) -> str:
    """The `PRESETS` key of a preset name: a family as it is (``"maze"``), an env id its record's family
    (``"maze-po-v0"`` and ``"maze-fo"`` -> ``"maze"``).

    Raises:
        KeyError: `name` is neither a family nor a registered env id.

    Example:
        >>> preset_family("text-nav-po-v0"), preset_family("wordle"), preset_family("maze")
        ('text-nav', 'wordle', 'maze')
    """
    if name in PRESETS:
        return name
    import lmrl_envs  # light (no torch); imported here so that `lmrl-algos --help` stays fast

    return lmrl_envs.spec(name).task.family


def preset_task(name: str) -> str:
    """`preset_family`, but never raising: a name that is neither a family nor a registered env id comes back
    without its version (``"mazes"`` -> ``"mazes"``), for callers that say "unknown preset" themselves.

    Example:
        >>> preset_task("maze-po-v0"), preset_task("mazes")
        ('maze', 'mazes')
    """
    try:
        return preset_family(name)
    except KeyError:
        import lmrl_envs

        return lmrl_envs.task_name(name)


def decoding(env_id: str) -> dict:
    """How a policy decodes on the task: its record's `lmrl_envs.Decoding` as `LMPolicy` keyword arguments
    (``{}``: free generation up to ``"\\n"``; re-ranking: ``rerank`` and ``candidates``).

    Maze re-ranks the 4 moves, as the reference's Maze evaluation does for ILQL / MC / PPO: with
    ``cql_weight 0`` (the maze preset) a Q head is only trained on the tokens the data contains, so in
    free generation ``LM + beta * Q`` favours never-trained tokens (Q stays near its 0 init while every
    trained Q is negative). Measured: an MC run that re-ranking scores at -93 scored -401 with 99 %
    invalid moves in free generation. For bc the two agree (same numbers on 100 episodes).

    Example:
        >>> decoding("maze-po-v0")["candidates"], decoding("wordle")
        (['move up\\n', 'move down\\n', 'move left\\n', 'move right\\n'], {})
    """
    import lmrl_envs

    hint = lmrl_envs.spec(env_id).task.decoding
    if not hint.rerank:
        return {}
    if hint.candidates is not None:
        return {"rerank": True, "candidates": list(hint.candidates)}
    env = lmrl_envs.make(env_id)
    try:
        env.reset(seed=0)
        candidates = env.valid_actions()
    finally:
        env.close()
    if not candidates:
        raise ValueError(f"{env_id}: its record asks to re-rank valid_actions(), but the env lists none; give "
                         f"Decoding(rerank=True, candidates=(...)) in its TaskRecord")
    return {"rerank": True, "candidates": list(candidates)}


def preset_values(algo: str, preset: str) -> dict:
    """The flag values of `preset` (a family or an env id, `preset_family`) for `algo`: the family's row, or
    `DEFAULT_PRESET` for a registered task whose family has none (error lists the known presets)."""
    try:
        family = preset_family(preset)
    except (KeyError, TypeError):
        raise ConfigError(f"--preset {preset!r}: unknown; choose one of {', '.join(sorted(PRESETS))}, or a registered "
                          f"env id (a task without a row gets the defaults, presets.DEFAULT_PRESET)") from None
    row = PRESETS.get(family, DEFAULT_PRESET)
    if algo not in row:
        raise ConfigError(f"--preset {preset!r} has no values for {algo}")
    return dict(row[algo][0])


def describe() -> str:
    """A table of every preset, for ``lmrl-algos presets``."""
    lines = []
    for task, algos in [*PRESETS.items(), ("(other tasks)", DEFAULT_PRESET)]:
        for algo, (values, note) in algos.items():
            vals = " ".join(f"{k}={v}" for k, v in values.items())
            lines.append(f"{task:18s} {algo:20s} {vals}\n{'':39s}({note})")
    return "\n".join(lines)

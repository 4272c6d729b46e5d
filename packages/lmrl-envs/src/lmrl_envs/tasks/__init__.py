"""The LMRL-Gym tasks; each module's docstring is its documentation page.

`register_builtin` registers them: one `lmrl_envs.register` call per env, with its task record
(`lmrl_envs.task.TaskRecord`: preset family, evaluation protocol, normalisation constants with
their sources, decoding hints, place in the paper's table). The records name the tasks' own
helpers by ``"module:function"`` strings, so registering imports no task module.

Normalisation constants. Where our environment is faithful to the original (Maze, Wordle, Chess,
Endgames) they are the paper's (Table 5). Where we rebuilt the simulator (Text-Nav engine, the
knowledge-based 20Q and Guess-My-City oracles, the rule-based car buyer) the paper's average and
maximum describe a different environment, so ours are derived (``derived=True``), all measured
on 2026-11-24 (lmrl-envs 0.1.0, lmrl-data 0.1.0):

* **min**: the worst return under the reward rule: Text-Nav 0 (quest not completed), 20Q / Guess
  My City -20 (20 questions, none right), Car Dealer 0 (no sale: the paper's; the "fancy" reward of
  a refusal can reach -17, which would put a policy that never sells at about 48).
* **avg**: the mean return of our full-size dataset, seed 0, rounded to 4 decimals
  (``lmrl-data generate TASK --episodes N --out DIR --workers 2 && lmrl-data stats DIR``; N = the
  paper's sizes: 2,500 Text-Nav, 100,000 20Q and Guess My City, 19,000 Car Dealer).
* **max**: the mean return of the task's expert over 1,000 evaluation episodes, seed 0, rounded
  to 4 decimals (``lmrl-eval evaluate --env TASK --policy expert --episodes 1000 --seed 0``).

The table of every constant, with sources, is ``packages/lmrl-eval/CONSTANTS.md``.
"""

from __future__ import annotations

from lmrl_envs.task import Decoding, EvalProtocol, Normalization, TaskRecord

__all__ = ["register_builtin"]

_PAPER = "paper Table 5 (LMRL-Gym App. E); our env is faithful to the original"
_DATE = "2026-11-24"
_GEN = "lmrl-data generate {task} --episodes {n} --out DIR --workers 2 && lmrl-data stats DIR"
_EXPERT = "lmrl-eval evaluate --env {task} --policy expert --episodes 1000 --seed 0"


def _derived(task: str, min_: float, avg: float, max_: float, n: int, min_rule: str, expert: str) -> Normalization:
    """Constants measured on our rebuilt simulator, with the commands that measure them."""
    source = (f"derived {_DATE} (rebuilt simulator): min = {min_rule}; avg = mean return of our {n:,}-episode "
              f"dataset (`{_GEN.format(task=task, n=n)}`, seed 0); max = mean return of the expert, {expert} "
              f"(`{_EXPERT.format(task=task)}`)")
    return Normalization(min_, avg, max_, source, derived=True)


_MAZE = "lmrl_envs.tasks.maze"
_MAZE_PROTOCOL = EvalProtocol("per_option", 800, options=f"{_MAZE}:start_options",
                              optimal_first_actions=f"{_MAZE}:optimal_first_actions")
"""The paper's: 32 episodes from each of the 25 start cells; the greedy move accuracy over them."""
_MAZE_DECODING = Decoding(rerank=True, candidates=("move up\n", "move down\n", "move left\n", "move right\n"))
"""Re-rank the 4 moves, as the reference's Maze evaluation does (`lmrl_algos.presets` says why)."""
_TEXT_NAV_MIN = "0, the reward rule (1 only when the quest is completed)"
_TEXT_NAV_EXPERT = "the TextWorld walkthrough from the current room (success 1.000, 1,000 episodes)"
_QUESTIONS_MIN = "-20, the reward rule (-1 per question, 20 questions, none right)"


def register_builtin() -> None:
    """Register the ten LMRL-Gym envs with their task records (`lmrl_envs.registry` calls it at import)."""
    from lmrl_envs.registry import register

    register("maze-fo-v0", f"{_MAZE}:MazeEnv", observability="full",
             description="Double-T maze, fully observed: goal and position in every observation.",
             task=TaskRecord("maze", _MAZE_PROTOCOL, Normalization(
                 -101.0, -83.0, -6.84, _PAPER + "; max = BFS-optimal policy over the 25 starts (tested)"),
                 _MAZE_DECODING, paper_order=0))
    register("maze-po-v0", f"{_MAZE}:MazeEnv", observability="partial",
             description="Double-T maze, partially observed: only the walls around the agent.",
             task=TaskRecord("maze", _MAZE_PROTOCOL, Normalization(-101.0, -83.0, -25.75, _PAPER), _MAZE_DECODING,
                             paper_order=1))
    register("text-nav-fo-v0", "lmrl_envs.tasks.text_nav:TextNavEnv", observability="full",
             description="Text-Nav house, fully observed: location and inventory shown.",
             task=TaskRecord("text-nav", normalization=_derived(
                 "text-nav-fo", 0.0, 0.2616, 1.0, 2500, _TEXT_NAV_MIN, _TEXT_NAV_EXPERT), paper_order=2))
    register("text-nav-po-v0", "lmrl_envs.tasks.text_nav:TextNavEnv", observability="partial",
             description="Text-Nav house, partially observed: no location, no inventory.",
             task=TaskRecord("text-nav", normalization=_derived(
                 "text-nav-po", 0.0, 0.2616, 1.0, 2500, _TEXT_NAV_MIN, _TEXT_NAV_EXPERT), paper_order=3))
    register("wordle-v0", "lmrl_envs.tasks.wordle:WordleEnv", description="Wordle with letter feedback, 6 guesses.",
             task=TaskRecord("wordle", EvalProtocol("seeds", 4096), Normalization(-6.0, -4.12, -1.94, _PAPER),
                             paper_order=4))
    register("chess-v0", "lmrl_envs.tasks.chess:ChessEnv", description="Full chess games as White against Stockfish.",
             task=TaskRecord("chess", EvalProtocol("seeds", 1000), Normalization(-401.0, 0.21, 1.0, _PAPER),
                             paper_order=5))
    register("endgames-v0", "lmrl_envs.tasks.chess:EndgamesEnv",
             description="Chess endgames (K+Q, K+R, K+Q+R, K+R+R vs K) against Stockfish.",
             task=TaskRecord("endgames", EvalProtocol("option_set", None, options="lmrl_envs.tasks.chess:eval_options"),
                             Normalization(-1.0, 0.586, 1.0, _PAPER), paper_order=6))
    register("twenty-questions-v0", "lmrl_envs.tasks.twenty_questions:TwentyQuestionsEnv",
             description="Twenty Questions with a knowledge-based yes/no oracle.",
             task=TaskRecord("twenty-questions", normalization=_derived(
                 "twenty-questions", -20.0, -17.4673, -7.409, 100_000, _QUESTIONS_MIN,
                 "greedy information gain over the question bank (success 1.000, mean length 8.41)"), paper_order=7))
    register("guess-my-city-v0", "lmrl_envs.tasks.guess_my_city:GuessMyCityEnv",
             description="Guess My City: find a city by asking questions of a knowledge-based oracle.",
             task=TaskRecord("guess-my-city", normalization=_derived(
                 "guess-my-city", -20.0, -18.6517, -1.0, 100_000, _QUESTIONS_MIN,
                 "information gain with open questions, which identify the city at once in our knowledge-based "
                 "simulator (success 1.000, always 2 questions)"), paper_order=8))
    register("car-dealer-v0", "lmrl_envs.tasks.car_dealer:CarDealerEnv",
             description="Car Dealer: sell a car to a simulated buyer with a personality and a budget.",
             task=TaskRecord("car-dealer", normalization=_derived(
                 "car-dealer", 0.0, 0.5442, 0.7344, 19_000,
                 "0, the paper's (no sale); the fancy reward can reach -17 on a refusal (see module doc)",
                 "the 'features' seller style (success 0.709, mean length 4.57)"), paper_order=9))

"""`lmrl-envs`: list the registered tasks, run the conformance checker, play a task yourself.

Examples::

    lmrl-envs list
    lmrl-envs check --env maze-fo
    lmrl-envs check --all
    lmrl-envs play --env wordle --seed 3     # then type guesses; :help shows the rules, :quit ends the game

The task is ``--env ID``, as in every lmrl CLI; the older positional form (``lmrl-envs play wordle``,
``lmrl-envs check maze-fo wordle``) is an alias.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import re
import sys

from lmrl_envs.core import history_text


def _cmd_list(args: argparse.Namespace) -> int:
    from lmrl_envs.registry import list_envs, spec

    for env_id in list_envs():
        print(f"{env_id:24s} {spec(env_id).description}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from lmrl_envs.checker import ConformanceError, check_env
    from lmrl_envs.registry import list_envs

    ids = list_envs() if args.all else args.env
    if not ids:
        print("lmrl-envs check: name one or more env ids (--env maze-fo,wordle), or pass --all", file=sys.stderr)
        return 2
    failed = 0
    for env_id in ids:
        try:
            report = check_env(env_id, n_episodes=args.episodes, seed=args.seed)
        except ConformanceError as e:
            failed += 1
            print(f"FAIL {env_id}: {e}")
        except (KeyError, ValueError, FileNotFoundError, RuntimeError) as e:
            failed += 1
            print(f"ERROR {env_id}: {e}")
        else:
            print(f"ok   {env_id}: {report['episodes']} episodes, {report['steps']} steps, "
                  f"mean return {report['mean_return']:.3f}" + (f"\n     {json.dumps(report)}" if args.verbose else ""))
    return 1 if failed else 0


COMMANDS = {":help": "show the rules and these commands", ":quit": "end the game (exit code 0)"}
"""What `lmrl-envs play` reads as a command, not a move: a line that is ``:`` and a word (``:)`` or ``: hi`` are moves)."""

_COMMAND_RE = re.compile(r":[A-Za-z]+")


def _task_rules(env, env_id: str) -> str:
    """The env's ``play_rules`` if it has them, else its documentation page's summary line and table."""
    rules = getattr(env, "play_rules", None)
    if rules:
        return rules.rstrip("\n")
    from lmrl_envs.registry import spec

    entry = spec(env_id).entry_point
    module = entry.partition(":")[0] if isinstance(entry, str) else type(env).__module__
    doc = inspect.cleandoc(sys.modules[module].__doc__ or "") if module in sys.modules else ""
    if not doc:
        return spec(env_id).description or env_id
    paragraphs = doc.split("\n\n")  # the summary line, then the table (a PettingZoo-style page)
    return "\n\n".join(paragraphs[:2] if len(paragraphs) > 1 and paragraphs[1].startswith("====") else paragraphs[:1])


def _help_text(env, env_id: str) -> str:
    commands = "\n".join(f"  {name:7s} {what}" for name, what in COMMANDS.items())
    return (f"{_task_rules(env, env_id)}\n\nCommands (a line of its own; anything else is your action):\n{commands}\n"
            "  Ctrl-D  end of input: ends the game too")


def _end_of_game(env, actions: int, total: float, finished: str | None, success: bool | None) -> None:
    """The closing lines: how the episode ended, its return and success, and what the task hid (``play_reveal``)."""
    if finished:
        print(f"episode over ({finished}) after {actions} action{'s' * (actions != 1)}: return {total:+g}, "
              f"success {'yes' if success else 'no'}")
    else:
        print(f"episode not finished, {actions} action{'s' * (actions != 1)}: return so far {total:+g}, success no")
    reveal = getattr(env, "play_reveal", None)
    if callable(reveal):
        print(reveal())


def _enable_line_editing() -> None:
    """Arrow keys and history for `input` in a terminal (GNU readline or libedit, where Python has it)."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):  # e.g. Windows without pyreadline
            import readline  # noqa: F401 (importing it is what turns line editing on for input())


def _cmd_play(args: argparse.Namespace) -> int:
    from lmrl_envs.registry import make

    env = make(args.env)
    env_id = env.env_id
    _enable_line_editing()
    try:
        env.reset(seed=args.seed)
        print(f"{env_id}, seed {env.seed}" if env.seed is not None else env_id)
        if getattr(env, "play_rules", None):
            print(_task_rules(env, env_id))
        print("Type your action and press Enter; :help shows the rules and the commands, :quit ends the game.")
        total, actions = 0.0, 0
        while True:
            print("=" * 30 + " the model sees " + "=" * 30)
            sys.stdout.write(history_text(env.history))
            print("=" * 76)
            valid = env.valid_actions()
            if valid is not None and len(valid) <= 20:
                print("valid actions: " + " | ".join(v.rstrip("\n") for v in valid))
            while True:
                try:
                    line = input("your action> ")
                except EOFError:
                    print("\n(end of input)")
                    _end_of_game(env, actions, total, None, None)
                    return 0
                command = line.strip()
                if not _COMMAND_RE.fullmatch(command):
                    break
                if command == ":quit":
                    _end_of_game(env, actions, total, None, None)
                    return 0
                if command == ":help":
                    print(_help_text(env, env_id))
                else:
                    print(f"unknown command {command}; commands: {', '.join(COMMANDS)}")
            _, reward, terminated, truncated, info = env.step(line + "\n")
            total, actions = total + reward, actions + 1
            print(f"reward {reward:+g}   return {total:+g}" + ("   (invalid action)" if info.get("invalid") else ""))
            if terminated or truncated:
                print(env.episode_texts[-1].text, end="")
                _end_of_game(env, actions, total, "terminated" if terminated else "truncated",
                             bool(info.get("success", terminated)))
                return 0
    finally:
        env.close()


def _ids(value: str) -> list[str]:
    """``--env maze-fo,wordle`` -> ['maze-fo', 'wordle']."""
    return [v.strip() for v in value.split(",") if v.strip()]


class TaskIdAction(argparse.Action):
    """``--env ID`` and its alias, the older positional ID: one value, however it was spelled (the `lmrl-envs`
    and `lmrl-data` CLIs)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values is None:  # the positional left out
            return
        if namespace.env not in (None, values):
            parser.error(f"the task is given twice ({namespace.env} and {values}): pass it once, as --env ID")
        namespace.env = values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmrl-envs", description="lmrl text environments: list, check, play.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list the registered env ids").set_defaults(fn=_cmd_list)
    p = sub.add_parser("check", help="run the conformance checker on envs")
    p.add_argument("--env", action="extend", type=_ids, default=[],
                   help="env ids, comma-separated or the flag repeated (e.g. --env maze-fo,wordle); "
                        "`lmrl-envs check maze-fo wordle` (positional, the older form) is the same")
    p.add_argument("env", nargs="*", action="extend", help=argparse.SUPPRESS)  # the alias: positional ids
    p.add_argument("--all", action="store_true", help="check every registered env")
    p.add_argument("--episodes", type=int, default=3, help="episodes per env (default 3)")
    p.add_argument("--seed", type=int, default=0, help="first episode seed (default 0)")
    p.add_argument("--verbose", action="store_true", help="print the full report")
    p.set_defaults(fn=_cmd_check)
    p = sub.add_parser("play", help="play a task in the terminal, seeing exactly the text the model sees "
                                    "(:help for the rules, :quit to stop)")
    p.add_argument("--env", action=TaskIdAction, help="env id (e.g. maze-po); `lmrl-envs play maze-po` (positional, "
                                                 "the older form) is the same")
    p.add_argument("env", nargs="?", action=TaskIdAction, help=argparse.SUPPRESS)  # the alias: a positional id
    p.add_argument("--seed", type=int, default=None, help="episode seed (default: random)")
    p.set_defaults(fn=_cmd_play)
    args = parser.parse_args(argv)
    if args.cmd == "play" and args.env is None:
        p.error("the following arguments are required: --env")
    try:
        return args.fn(args)
    except KeyError as e:
        print(f"lmrl-envs: {e.args[0]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

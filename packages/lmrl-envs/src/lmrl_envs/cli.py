"""`lmrl-envs`: list the registered tasks, run the conformance checker, play a task yourself.

Examples::

    lmrl-envs list
    lmrl-envs check maze-fo
    lmrl-envs check --all
    lmrl-envs play wordle --seed 3
"""

from __future__ import annotations

import argparse
import json
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

    ids = list_envs() if args.all else args.env_ids
    if not ids:
        print("lmrl-envs check: name one or more env ids, or pass --all", file=sys.stderr)
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


def _cmd_play(args: argparse.Namespace) -> int:
    from lmrl_envs.registry import make

    env = make(args.env_id)
    try:
        env.reset(seed=args.seed)
        total = 0.0
        while True:
            print("=" * 30 + " the model sees " + "=" * 30)
            sys.stdout.write(history_text(env.history))
            print("=" * 76)
            valid = env.valid_actions()
            if valid is not None and len(valid) <= 20:
                print("valid actions: " + " | ".join(v.rstrip("\n") for v in valid))
            try:
                action = input("your action> ")
            except EOFError:
                print("\n(end of input)")
                return 0
            _, reward, terminated, truncated, info = env.step(action + "\n")
            total += reward
            print(f"reward {reward:+g}   return {total:+g}" + ("   (invalid action)" if info.get("invalid") else ""))
            if terminated or truncated:
                print(env.episode_texts[-1].text, end="")
                print(f"episode over ({'terminated' if terminated else 'truncated'}), return {total:+g}, "
                      f"success {bool(info.get('success', terminated))}")
                return 0
    finally:
        env.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmrl-envs", description="lmrl text environments: list, check, play.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list the registered env ids").set_defaults(fn=_cmd_list)
    p = sub.add_parser("check", help="run the conformance checker on envs")
    p.add_argument("env_ids", nargs="*", help="env ids (e.g. maze-fo wordle)")
    p.add_argument("--all", action="store_true", help="check every registered env")
    p.add_argument("--episodes", type=int, default=3, help="episodes per env (default 3)")
    p.add_argument("--seed", type=int, default=0, help="first episode seed (default 0)")
    p.add_argument("--verbose", action="store_true", help="print the full report")
    p.set_defaults(fn=_cmd_check)
    p = sub.add_parser("play", help="play a task in the terminal, seeing exactly the text the model sees")
    p.add_argument("env_id", help="env id (e.g. maze-po)")
    p.add_argument("--seed", type=int, default=None, help="episode seed (default: random)")
    p.set_defaults(fn=_cmd_play)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except KeyError as e:
        print(f"lmrl-envs: {e.args[0]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""``lmrl-algos``: train an algorithm, or list presets. Every config field is a flag.

Example:
    $ lmrl-algos train bc --env maze-fo-v0 --data maze.jsonl --out runs/bc --model tiny --steps 300
    $ lmrl-algos train ilql --env maze-fo-v0 --data maze.jsonl --out runs/ilql --init runs/bc --preset maze
    $ lmrl-algos train filtered-bc --env maze-fo-v0 --data maze.jsonl --out runs/pbc --preset maze
    $ lmrl-algos train gigpo --env maze-fo-v0 --init runs/bc --out runs/gigpo --preset maze
    $ lmrl-algos train archer --env maze-fo-v0 --init runs/bc --data maze.jsonl --out runs/archer --preset maze
    $ lmrl-algos presets
    $ lmrl-algos merge runs/bc-lora runs/bc-merged      # a checkpoint's LM (LoRA merged) as a plain HF directory

Algorithm names are spelled with hyphens (``filtered-bc``, ``online-filtered-bc``), as ``lmrl-eval benchmark
--algos`` spells them; the underscore spellings (``filtered_bc``) are aliases. ``--cpu-threads`` (alias
``--threads``) sets torch's CPU threads, as in ``lmrl-eval benchmark``.

The parser is built without importing torch (``lmrl-algos --help`` and ``train ALGO --help`` take a fraction of
a second): the config classes' fields are read from their source with `ast`; training imports the real classes.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import importlib.util
import sys
import types
import typing
from functools import cache
from pathlib import Path

__all__ = ["TRAIN_COMMANDS", "ConfigField", "build_parser", "config_fields", "main"]

TRAIN_COMMANDS = {
    "bc": "lmrl_algos.bc:BCConfig",
    "filtered-bc": "lmrl_algos.filtered_bc:FilteredBCConfig",
    "mc": "lmrl_algos.mc:MCConfig",
    "ilql": "lmrl_algos.ilql:ILQLConfig",
    "ppo": "lmrl_algos.ppo:PPOConfig",
    "online-filtered-bc": "lmrl_algos.online_filtered_bc:OnlineFilteredBCConfig",
    "grpo": "lmrl_algos.grpo:GRPOConfig",
    "rloo": "lmrl_algos.grpo:RLOOConfig",
    "gigpo": "lmrl_algos.grpo:GiGPOConfig",
    "archer": "lmrl_algos.archer:ArCHerConfig",
}
"""``lmrl-algos train NAME``: the canonical name -> its config class as a lazy ``module:Class`` entry point. The
names are `lmrl_algos.train.ALGORITHMS`' with ``-`` for ``_`` (whose spellings stay as aliases)."""

_FLAG_ALIASES = {"cpu_threads": ("--threads",)}
"""Config field -> further spellings of its flag (``--threads``: lmrl-eval's older name of ``--cpu-threads``)."""


def _algo_key(name: str) -> str:
    """The `lmrl_algos.train.ALGORITHMS` key of a command name or alias (``filtered-bc`` -> ``filtered_bc``)."""
    return name.replace("-", "_")


@dataclasses.dataclass(frozen=True)
class ConfigField:
    """One field of a config dataclass, as the parser needs it."""

    name: str
    """The field's name (``cpu_threads``; the flag is ``--cpu-threads``)."""
    type: typing.Any
    """Its annotation: a string such as ``'int | None'`` (read from the source) or a type."""
    default: typing.Any
    """Its default value."""
    doc: str
    """The docstring under it, whitespace collapsed (`lmrl_algos.common.config.field_docs`)."""


class _Unreadable(Exception):
    """A config class whose fields cannot be read from its source alone (the class is imported instead)."""


@cache
def _module_tree(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)  # imports the parent packages only (lmrl_algos' __init__ is lazy)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise _Unreadable(f"no source file for {module}")
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def _is_dataclass(node: ast.ClassDef) -> bool:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if ast.unparse(target) in ("dataclass", "dataclasses.dataclass"):
            return True
    return False


def _imported_from(tree: ast.Module, name: str) -> str | None:
    """The module a top-level ``from MODULE import name`` (absolute, not renamed) takes `name` from."""
    for node in tree.body:
        if (isinstance(node, ast.ImportFrom) and node.level == 0
                and any(alias.name == name and alias.asname in (None, name) for alias in node.names)):
            return node.module
    return None


@cache
def _read_class(module: str, name: str) -> tuple[str, tuple[ConfigField, ...]]:
    """(docstring, fields in dataclass order) of the dataclass `name` in `module`, from the source alone."""
    tree = _module_tree(module)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    node = classes.get(name)
    if node is None or not _is_dataclass(node) or len(node.bases) > 1 or node.keywords:
        raise _Unreadable(f"{module}:{name} is not a plain dataclass")
    fields: dict[str, ConfigField] = {}
    for base in node.bases:
        if not isinstance(base, ast.Name):
            raise _Unreadable(f"{module}:{name}: base {ast.unparse(base)}")
        where = module if base.id in classes else _imported_from(tree, base.id)
        if where is None:
            raise _Unreadable(f"{module}:{name}: base {base.id} not found")
        fields.update((f.name, f) for f in _read_class(where, base.id)[1])
    body = node.body
    for stmt, nxt in zip(body, [*body[1:], None], strict=True):
        if not isinstance(stmt, ast.AnnAssign):
            continue
        annotation = ast.unparse(stmt.annotation)
        if not isinstance(stmt.target, ast.Name) or stmt.value is None or "ClassVar" in annotation \
                or "InitVar" in annotation:
            raise _Unreadable(f"{module}:{name}: field {ast.unparse(stmt.target)}")
        try:
            default = ast.literal_eval(stmt.value)
        except (ValueError, TypeError, SyntaxError):  # field(default_factory=...), a name, a call
            raise _Unreadable(f"{module}:{name}: default of {stmt.target.id}") from None
        doc = ""
        if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
            doc = " ".join(nxt.value.value.split())
        elif stmt.target.id in fields:  # a redefinition without a docstring keeps its base's
            doc = fields[stmt.target.id].doc
        fields[stmt.target.id] = ConfigField(stmt.target.id, annotation, default, doc)  # keeps a base's position
    return ast.get_docstring(node) or "", tuple(fields.values())


def config_fields(entry: str) -> tuple[str, tuple[ConfigField, ...]]:
    """(docstring, fields) of the config dataclass at `entry` (``module:Class``), without importing its module.

    The fields come in `dataclasses.fields` order with their defaults and docstrings, read from the source (the
    algorithm modules import torch). A class too unusual for that (a ``field(default_factory=...)``, several
    bases) is imported instead: slower, never wrong.

    Example:
        >>> doc, fields = config_fields("lmrl_algos.ilql:ILQLConfig")
        >>> fields[0].name, [(f.type, f.default) for f in fields if f.name == "tau"]
        ('env', [('float', 0.7)])
    """
    module, _, name = entry.partition(":")
    try:
        return _read_class(module, name)
    except (_Unreadable, OSError, SyntaxError):
        from lmrl_algos.common.config import field_docs
        from lmrl_envs.task import load_entry_point

        cls = load_entry_point(entry)
        docs = field_docs(cls)
        return cls.__doc__ or "", tuple(ConfigField(f.name, f.type, f.default, docs.get(f.name, ""))
                                        for f in dataclasses.fields(cls))


def _flag_type(tp):
    """(python type, optional) of an annotation like ``int | None``."""
    if isinstance(tp, str):
        tp = eval(tp, {"None": None})  # annotations are plain builtins (str, int, float, bool, None)
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return inner[0], True
    return tp, False


def _escape(text: str) -> str:
    """argparse formats help strings with ``%``: a literal one ("%BC") must be doubled."""
    return text.replace("%", "%%")


def _add_config_flags(parser: argparse.ArgumentParser, fields: tuple[ConfigField, ...]) -> None:
    for f in fields:
        flags = ["--" + f.name.replace("_", "-"), *_FLAG_ALIASES.get(f.name, ())]
        tp, _ = _flag_type(f.type)
        help_ = _escape(f"{f.doc} (default: {f.default})")
        if tp is bool:
            parser.add_argument(*flags, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help_)
        else:
            parser.add_argument(*flags, dest=f.name, type=tp, default=argparse.SUPPRESS, help=help_,
                                metavar=f.name.upper())


def build_parser() -> argparse.ArgumentParser:
    """The ``lmrl-algos`` parser; building it imports neither torch nor the algorithm modules."""
    parser = argparse.ArgumentParser(prog="lmrl-algos", description="Train RL algorithms on lmrl text tasks.")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train an algorithm",
                        description="Train an algorithm (`lmrl-algos train ALGO --help` lists its flags). The "
                                    "underscore spellings of the names (filtered_bc, online_filtered_bc) are aliases.")
    algos = tr.add_subparsers(dest="algo", required=True, metavar="algo")  # not the choices: aliases would show
    for name, entry in TRAIN_COMMANDS.items():
        doc, fields = config_fields(entry)
        alias = _algo_key(name)
        p = algos.add_parser(name, aliases=[alias] if alias != name else [], help=_escape(doc.splitlines()[0]),
                             formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        _add_config_flags(p, fields)
    sub.add_parser("presets", help="list the hyper-parameter presets")
    mg = sub.add_parser("merge", help="write a checkpoint's language model, its LoRA adapter merged, as a plain "
                                      "transformers model directory (value heads are left out)")
    mg.add_argument("checkpoint", help="a run's --out directory or its checkpoint/")
    mg.add_argument("out", help="the model directory to write (new or empty)")
    mg.add_argument("--dtype", choices=("fp32", "bf16", "fp16"), default=None,
                    help="dtype of the written weights (default: the run's --dtype)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    command = args.pop("command")
    if command == "presets":
        from lmrl_algos.presets import describe

        print(describe())
        return 0
    from lmrl_algos.checkpoint import CheckpointError
    from lmrl_algos.common.config import ConfigError
    from lmrl_algos.common.mdp import MDPError
    from lmrl_algos.common.trainer import TrainingError
    from lmrl_algos.models import ModelError
    from lmrl_algos.train import make_config, train

    if command == "merge":
        from lmrl_algos.checkpoint import export_model

        try:
            out = export_model(args["checkpoint"], args["out"], dtype=args["dtype"])
        except (CheckpointError, ModelError) as e:
            print(f"lmrl-algos: error: {e}", file=sys.stderr)
            return 2
        print(f"wrote {out} (load it with AutoModelForCausalLM.from_pretrained, or --model {out})")
        return 0
    algo = _algo_key(args.pop("algo"))
    preset = args.pop("preset", None)
    try:
        cfg = make_config(algo, preset=preset, **args)
        train(cfg)
    except (ConfigError, ModelError, CheckpointError, MDPError, TrainingError) as e:
        print(f"lmrl-algos: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

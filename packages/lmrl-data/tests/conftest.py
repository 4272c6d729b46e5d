"""Shared fixtures of lmrl-data's tests."""

import pytest

from lmrl_data.cli import main


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: ``cli(argv) -> (exit code, stderr)``. An uncaught exception (a traceback) fails
    the test."""

    def run(argv):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse's own errors
            rc = e.code
        return rc, capsys.readouterr().err

    return run

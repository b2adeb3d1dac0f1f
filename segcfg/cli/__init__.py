"""The ``segcfg`` command line: a thin wrapper over the library, the only place that prints."""

from __future__ import annotations

import sys
import traceback

from segcfg.cli import compile_cmd as _compile_cmd  # noqa: F401  (registers the command)
from segcfg.cli import diff_cmd as _diff_cmd  # noqa: F401
from segcfg.cli import drift_cmd as _drift_cmd  # noqa: F401
from segcfg.cli import history_cmd as _history_cmd  # noqa: F401
from segcfg.cli import prove_cmd as _prove_cmd  # noqa: F401
from segcfg.cli import validate_cmd as _validate_cmd  # noqa: F401
from segcfg.cli.app import app, state
from segcfg.errors import SegcfgError

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point: library errors become diagnostics and exit code 2."""
    try:
        app()  # usage errors: exit 2 with click's message
    except SystemExit:
        raise
    except SegcfgError as exc:
        if state.debug:
            traceback.print_exc()
        for d in exc.diagnostics:
            print(d.format(), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, traceback only with --debug
        if state.debug:
            traceback.print_exc()
        else:
            print(
                f"segcfg: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback)",
                file=sys.stderr,
            )
        sys.exit(2)


if __name__ == "__main__":
    main()

"""The ``qimscale`` command line: a thin click layer over the library.

Commands are registered lazily (by module path) so that ``qimscale --help``
never imports numpy, pandas or scipy. Each command module parses its options,
makes one library call and renders the result; statistics never live here.

Error contract (``cli-contract.md``): a :class:`~qimscale.errors.QimscaleError`
becomes one line ``Error: ...`` on stderr with exit code 1; usage errors exit 2
(click's default); a traceback is printed only with ``--debug``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from qimscale import __version__

# command name -> "module:attribute". A command appears only if its module exists,
# so capabilities can land one at a time without touching this file's logic.
COMMANDS: dict[str, str] = {
    "instrument": "qimscale.cli.instrument_cmd:instrument",
    "score": "qimscale.cli.score_cmd:score",
    "reliability": "qimscale.cli.reliability_cmd:reliability",
    "omega": "qimscale.cli.reliability_cmd:omega",
    "corr": "qimscale.cli.reliability_cmd:corr",
    "factorability": "qimscale.cli.efa_cmd:factorability",
    "nfactors": "qimscale.cli.efa_cmd:nfactors",
    "efa": "qimscale.cli.efa_cmd:efa",
    "cfa": "qimscale.cli.cfa_cmd:cfa",
    "invariance": "qimscale.cli.cfa_cmd:invariance",
    "compare": "qimscale.cli.relate_cmd:compare",
    "relate": "qimscale.cli.relate_model_cmd:relate",
    "validate": "qimscale.cli.validate_cmd:validate",
    "simulate": "qimscale.cli.simulate_cmd:simulate",
    "demo": "qimscale.cli.simulate_cmd:demo",
    "content-validity": "qimscale.cli.content_validity_cmd:content_validity",
    "power": "qimscale.cli.power_cmd:power",
    "hypotheses": "qimscale.cli.hypotheses_cmd:hypotheses",
    "items": "qimscale.cli.items_cmd:items",
    "themes": "qimscale.cli.themes_cmd:themes",
    "teams": "qimscale.cli.teams_cmd:teams",
    "profile": "qimscale.cli.profile_cmd:profile",
}


def _available() -> list[str]:
    names = []
    for name, target in COMMANDS.items():
        module = target.split(":", 1)[0]
        if importlib.util.find_spec(module) is not None:
            names.append(name)
    return names


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_available())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or cmd_name not in _available():
            return None
        module, attr = target.split(":", 1)
        # None (click then leaves it out) while a module holds only some of its commands
        return getattr(importlib.import_module(module), attr, None)

    def invoke(self, ctx: click.Context):  # noqa: D401 - click API
        from qimscale.errors import QimscaleError

        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except QimscaleError as exc:
            if debug:
                raise
            _fail(str(exc))
        except BrokenPipeError:
            # stdout closed early (e.g. piped into `head`): stop quietly, as Unix tools do.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except KeyboardInterrupt:
            if debug:
                raise
            _fail("interrupted")
        except Exception as exc:  # pragma: no cover - last-resort guard
            if debug:
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback "
                  "and report it as a bug)")


def _fail(message: str) -> None:
    """Print ``Error: <first line>`` and exit 1.

    The first line of the message is the one-line error. Any further lines are
    context that only makes sense laid out as written -- a model-syntax line
    with a caret under the fault -- and are printed verbatim beneath it.
    """
    first, _, context = str(message).partition("\n")
    first = " ".join(first.split()) or "unknown error"
    click.echo(f"Error: {first}", err=True)
    if context.strip():
        click.echo(context.rstrip(), err=True)
    sys.exit(1)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="qimscale")
@click.option("--debug", is_flag=True, help="Show a full traceback on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """qimscale: measure the competencies of healthcare QI managers.

    Export the instrument to survey platforms, score the exports they produce,
    and run the psychometrics of a validation study (reliability, EFA, CFA with
    ML/MLR/WLSMV, measurement invariance) with numbers that match R's psych,
    lavaan and semTools.

    Run 'qimscale COMMAND --help' for the options of a command.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


if __name__ == "__main__":  # pragma: no cover
    main()

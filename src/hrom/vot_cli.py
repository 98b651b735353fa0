"""Run the official VOT toolkit (``vot-toolkit`` 0.9) from hrom's environment.

``python -m hrom.vot_cli evaluate --workspace WS hrom`` is ``vot evaluate ...`` with two
compatibility fixes applied first, nothing else changed:

1. ``attributee`` (a vot-toolkit dependency) uses ``typing.dataclass_transform`` as a bare
   decorator, which raises ``TypeError`` on Python 3.11+ before the toolkit starts
   (:func:`install_attributee_shim`).
2. vot-toolkit 0.8/0.9's supervised experiment (the VOT2013-2019 "baseline" with
   re-initialisation) hands a single-object TraX runtime one ``ObjectStatus`` where the runtime
   expects a list, and asks for updates without one, so every TraX tracker stops at the first
   frame with "Tracker does not support multiple objects, but multiple objects were provided
   for initialization". :func:`install_supervised_fix` wraps the object in a list and unwraps
   the single answer (unsupervised experiments are unaffected).
"""

from __future__ import annotations

import sys
import typing

_SHIMMED = False


def install_attributee_shim() -> None:
    """Let ``@typing.dataclass_transform`` (without a call) decorate a class, as attributee
    0.1.x does; the normal ``@dataclass_transform(...)`` form keeps working."""
    global _SHIMMED
    original = getattr(typing, "dataclass_transform", None)
    if original is None or _SHIMMED:
        return

    def dataclass_transform(*args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], type):
            return args[0]
        return original(*args, **kwargs)

    typing.dataclass_transform = dataclass_transform
    _SHIMMED = True


def install_supervised_fix() -> None:
    """Let single-object TraX trackers run vot-toolkit's supervised experiment (see above)."""
    install_attributee_shim()
    from vot.tracker import ObjectStatus
    from vot.tracker.trax import TraxTrackerRuntime

    if getattr(TraxTrackerRuntime, "_hrom_fixed", False):
        return
    initialize, update = TraxTrackerRuntime.initialize, TraxTrackerRuntime.update

    def fixed_initialize(self, frame, new=None, properties=None):
        if isinstance(new, ObjectStatus) and not self.multiobject:  # supervised: one bare object
            status, elapsed = initialize(self, frame, [new], properties)
            return status[0], elapsed
        return initialize(self, frame, new, properties)

    def fixed_update(self, frame, new=None, properties=None):
        if new is None and not self.multiobject:  # supervised: no new objects, one answer expected
            status, elapsed = update(self, frame, [], properties)
            return status[0], elapsed
        return update(self, frame, new, properties)

    TraxTrackerRuntime.initialize, TraxTrackerRuntime.update = fixed_initialize, fixed_update
    TraxTrackerRuntime._hrom_fixed = True


def main(argv: list[str] | None = None) -> int:
    """The ``vot`` command line (``vot.utilities.cli.main``) with both fixes installed."""
    install_attributee_shim()
    try:
        from vot.utilities.cli import main as vot_main

        install_supervised_fix()
    except ImportError:
        print("hrom.vot_cli: error: the VOT toolkit is not installed; pip install --no-deps vot-toolkit==0.9.0 "
              "(plus vot-trax; see README 'Running hrom in the VOT toolkit')", file=sys.stderr)
        return 2
    sys.argv = ["vot", *(sys.argv[1:] if argv is None else argv)]
    result = vot_main()
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m conformance`: the command line (conformance.cli.main)."""

from conformance.interrupts import ctrl_c_seen, interrupted, own_ctrl_c

own_ctrl_c()  # Ctrl-C while the program loads gets main()'s sentence and exit code too
try:
    from conformance.cli import main
except BaseException as exc:
    if not (isinstance(exc, KeyboardInterrupt) or ctrl_c_seen()):
        raise
    raise SystemExit(interrupted()) from None

raise SystemExit(main())

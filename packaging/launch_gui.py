"""The bundle's windowed executable (`inphotos-gui`, the double-click app): `inphotos.app.main`.

`--self-test` is answered here before the app starts, so `make bundle-test` can check the very
executable a user double-clicks.
"""

import multiprocessing
import sys


def main() -> int:
    if "--self-test" in sys.argv[1:]:
        from inphotos import selftest

        return selftest.run()
    from inphotos import app

    return app.main()


if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen app must call this before anything else runs
    sys.exit(main())

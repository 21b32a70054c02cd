"""The bundle's console executable (`inphotos`): the same command line as `pip install`'s."""

import multiprocessing
import sys

from inphotos.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen app must call this before anything else runs
    sys.exit(main())

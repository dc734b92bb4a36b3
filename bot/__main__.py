"""`python -m bot` does what the `regjistri` command does."""

import sys

from bot.cli import main

sys.exit(main())

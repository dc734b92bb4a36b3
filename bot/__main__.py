"""`python -m bot` does what the `regjistri` command does."""

import sys

try:
    from bot.cli import main
except KeyboardInterrupt:  # Ctrl-C while the imports load: leave as quietly as main() does
    sys.exit(130)

sys.exit(main())

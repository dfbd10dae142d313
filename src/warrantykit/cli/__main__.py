import sys

from warrantykit.cli import main

sys.exit(main())

"""python -m forcedsync_kit"""

from .cli import main

main()

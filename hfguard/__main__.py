from hfguard.cli import run

run()

from kbgen.cli import run

run()

#!/usr/bin/env python3
"""check_output.py PROGRAM ARG PATTERN...: runs PROGRAM ARG, which must exit 0
and print a line matching each regular expression PATTERN."""
import re
import subprocess
import sys

prog, arg, patterns = sys.argv[1], sys.argv[2], sys.argv[3:]
p = subprocess.run([prog, arg], capture_output=True, text=True, timeout=120)
sys.stdout.write(p.stdout)
sys.stderr.write(p.stderr)
if p.returncode != 0:
    sys.exit(f"{prog} exited with {p.returncode}")
missing = [pat for pat in patterns if not re.search(pat, p.stdout, re.M)]
if missing:
    sys.exit(f"{prog}: no output line matches {missing}")

#!/usr/bin/env python3
# Turns a text file into a C++ raw string literal include, so that the ABI
# header stays a real file and lucetc still carries its exact text.
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding='utf-8') as f:
    text = f.read()
delim = 'LUCETEMBED'
if ')' + delim + '"' in text:
    sys.exit('embed_text.py: delimiter occurs in ' + src)
with open(dst, 'w', encoding='utf-8') as f:
    f.write('R"' + delim + '(' + text + ')' + delim + '"\n')

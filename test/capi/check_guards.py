#!/usr/bin/env python3
"""Every C API body must be a function-try-block ending in a LUCET_CAPI_CATCH
handler (src/capi/capi_internal.h), so that no C++ exception crosses
extern "C". Lists each LUCET_API definition without one; exit 1 if any."""
import pathlib
import re
import sys

capi = pathlib.Path(sys.argv[1])
definition = re.compile(r'^LUCET_API\b[^;{]*?(\w+)\s*\(([^;{]*?)\)\s*(try\s*)?\{', re.M | re.S)
bad, count = [], 0
for path in sorted(capi.glob('*.cpp')):
    text = path.read_text()
    for m in definition.finditer(text):
        count += 1
        name = m.group(1)
        if not m.group(3):
            bad.append(f'{path.name}: {name}: body is not a function-try-block')
            continue
        # The handler right after the body's closing brace (brace-matched).
        depth, i = 0, m.end() - 1
        while True:
            if text[i] == '{':
                depth += 1
            elif text[i] == '}':
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if not re.match(r'\s*LUCET_CAPI_CATCH', text[i + 1:]):
            bad.append(f'{path.name}: {name}: no LUCET_CAPI_CATCH handler after the body')
for b in bad:
    print(b)
print(f'{count} C API definitions, {len(bad)} unguarded')
sys.exit(1 if bad or count == 0 else 0)

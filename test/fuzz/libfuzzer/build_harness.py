#!/usr/bin/env python3
"""Builds a libFuzzer harness with clang++ while the project builds with g++.

The sources of the given Meson static libraries (as Meson compiles them, from
compile_commands.json: so new files and include paths follow automatically)
and the harness are compiled again with clang++ and
-fsanitize=fuzzer-no-link,address,undefined, then linked with
-fsanitize=fuzzer. The work is described in a small ninja file next to the
output and run by ninja, so a rebuild only recompiles what changed (clang's
depfiles).

  build_harness.py --cxx clang++ --ninja ninja --build-root DIR --out HARNESS
      --harness SRC.cpp --lib path/to/libfoo.a [--lib ...] [--link-arg -lbar ...]
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

SAN = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer',
       '-g', '-O1', '-D_GLIBCXX_ASSERTIONS', '-w']


def compile_flags(command):
    """The -I/-D/-std flags of a Meson compile command (paths stay relative to the build root)."""
    args = shlex.split(command)
    keep = []
    i = 1
    while i < len(args):
        a = args[i]
        if a in ('-I', '-D', '-isystem'):  # one token each, so flags can be deduplicated
            keep.append(a + args[i + 1])
            i += 2
            continue
        if a.startswith(('-I', '-D', '-std=', '-isystem')):
            keep.append(a)
        i += 1
    return keep


def ninja_escape(s):
    return s.replace('$', '$$').replace(' ', '$ ').replace(':', '$:')


def ninja_args(args):
    return ' '.join(shlex.quote(a) for a in args).replace('$', '$$')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cxx', required=True)
    ap.add_argument('--ninja', required=True)
    ap.add_argument('--build-root', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--harness', required=True)
    ap.add_argument('--lib', action='append', default=[])
    ap.add_argument('--link-arg', action='append', default=[])
    opts = ap.parse_args()

    root = os.path.abspath(opts.build_root)
    with open(os.path.join(root, 'compile_commands.json')) as f:
        commands = json.load(f)
    prefixes = [os.path.relpath(os.path.abspath(lib), root) + '.p/' for lib in opts.lib]
    units = [e for e in commands if any(e['output'].startswith(p) for p in prefixes)]
    if not units:
        sys.exit('build_harness.py: no compile commands for ' + ', '.join(opts.lib))

    out = os.path.abspath(opts.out)
    work = out + '.d'
    os.makedirs(work, exist_ok=True)
    lines = [
        'ninja_required_version = 1.8',
        'rule cxx',
        '  command = %s $flags -MD -MF $out.d -c $in -o $out' % shlex.quote(opts.cxx),
        '  depfile = $out.d',
        '  deps = gcc',
        '  description = clang++ (libFuzzer) $in',
        'rule link',
        '  command = %s -fsanitize=fuzzer %s $in -o $out %s' % (
            shlex.quote(opts.cxx), ' '.join(SAN), ' '.join(shlex.quote(a) for a in opts.link_arg)),
        '  description = link $out',
    ]
    objects = []
    harness_flags = []
    for e in units:
        src = os.path.normpath(os.path.join(e['directory'], e['file']))
        obj = os.path.join(work, e['output'].replace('/', '_') + '.o')
        # Meson's include paths are relative to its build root: make them absolute.
        flags = [('-I' + os.path.join(root, a[2:])) if a.startswith('-I') and not os.path.isabs(a[2:]) else a
                 for a in compile_flags(e['command'])]
        harness_flags += [a for a in flags if a not in harness_flags]
        lines += ['build %s: cxx %s' % (ninja_escape(obj), ninja_escape(src)),
                  '  flags = ' + ninja_args(flags + ['-fsanitize=fuzzer-no-link'] + SAN)]
        objects.append(obj)
    hobj = os.path.join(work, 'harness.o')
    lines += ['build %s: cxx %s' % (ninja_escape(hobj), ninja_escape(os.path.abspath(opts.harness))),
              '  flags = ' + ninja_args(harness_flags + ['-fsanitize=fuzzer'] + SAN)]
    objects.append(hobj)
    lines.append('build %s: link %s' % (ninja_escape(out), ' '.join(ninja_escape(o) for o in objects)))
    build_file = os.path.join(work, 'build.ninja')
    text = '\n'.join(lines) + '\n'
    old = open(build_file).read() if os.path.exists(build_file) else None
    if old != text:
        with open(build_file, 'w') as f:
            f.write(text)
    return subprocess.call([opts.ninja, '-C', work])


if __name__ == '__main__':
    sys.exit(main())

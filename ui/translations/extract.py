#!/usr/bin/env python3
"""Lists every @tr("...") string of ui/**/*.slint as a gettext template
(courier-terminal.pot), the same shape slint-tr-extractor writes with
--no-default-translation-context. Run from the repository root."""
import pathlib, re, sys

STR = r'"((?:[^"\\]|\\.)*)"'
PAT = re.compile(r'@tr\(\s*' + STR + r'(?:\s*\|\s*' + STR + r'\s*%)?')

def main():
    seen = {}
    for path in sorted(pathlib.Path('ui').rglob('*.slint')):
        text = path.read_text(encoding='utf-8')
        for m in PAT.finditer(text):
            line = text.count('\n', 0, m.start()) + 1
            key = (m.group(1), m.group(2))
            seen.setdefault(key, []).append(f'{path}:{line}')
    out = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '']
    for (singular, plural), refs in seen.items():
        out.append('#: ' + ' '.join(refs))
        out.append(f'msgid "{singular}"')
        if plural is not None:
            out.append(f'msgid_plural "{plural}"')
            out.append('msgstr[0] ""')
            out.append('msgstr[1] ""')
        else:
            out.append('msgstr ""')
        out.append('')
    sys.stdout.write('\n'.join(out))

main()

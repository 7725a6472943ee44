"""Everything a person reads is marked for translation and has a Chinese translation (issue 17).

Three checks, each printing what fails and where:
(a) templates: no user-visible text outside ``{% translate %}`` / ``{% blocktranslate %}``, attributes a
    person reads (placeholder, title, aria-label, alt, a submit input's value) included;
(b) scripts: no prose string literal outside ``gettext`` / ``ngettext`` / ``pgettext`` (a line may say
    ``// i18n: not shown`` for a string nobody reads);
(c) every marked string (templates, Python, scripts) has a non-empty, non-fuzzy ``zh_Hans`` msgstr in
    ``locale/zh_Hans/LC_MESSAGES/django.po`` or ``djangojs.po``, with the same placeholders.

No GNU gettext needed: the catalogs are read with Babel, templates with Django's own ``templatize``.
The scanners are plain functions, so the tests at the bottom prove each one fails on a bad snippet.
"""

from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
PYTHON_PACKAGES = ("shelfai", "analytics", "forecasting")
JS_DIR = ROOT / "static" / "js"
NOT_SCRIPTS = {"sw.js"}  # the service worker says nothing to anyone

# Latin words a Chinese page may show as they are: names of the product and of formats and standards.
ALLOWED_WORDS = {
    "ShelfAI", "SKU", "SKUs", "CSV", "PDF", "API", "ERP", "GPS", "EXIF", "ID", "XLSX", "JSON", "ROI", "MB", "KB",
    "HEIC", "JPEG", "PNG", "URL", "UTC", "IANA", "YOLO", "Prophet", "English", "ReDoc", "Swagger", "OpenAPI",
    "Email", "SMTP", "QR", "x", "px",
    "CNY", "EUR", "USD", "CST", "CET", "CEST",  # currency codes and time-zone names are standards, not English
}
WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*")
USER_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "aria-description", "aria-roledescription")
CALLS = ("gettext", "gettext_lazy", "_", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy", "npgettext",
         "npgettext_lazy", "gettext_noop")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def english_words(text: str) -> list[str]:
    """The Latin-letter words of ``text`` that are not on the allow-list."""
    words = WORD.findall(html.unescape(text))
    return [w for w in words if w not in ALLOWED_WORDS and w.strip("'’-") not in ALLOWED_WORDS]


# --- (a) templates ---------------------------------------------------------------------------------

def template_leftovers(source: str) -> list[str]:
    """User-visible text in a template that no translate tag covers: each fragment with its English words."""
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}", " ", text, flags=re.S)
    # A marked block is translated whole, HTML and all.
    text = re.sub(r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}", " ", text, flags=re.S)
    # A body class is a CSS hook, not text.
    text = re.sub(r"\{%\s*block\s+bodyclass\s*%\}.*?\{%\s*endblock[^%]*%\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b[^>]*>.*?</\1\s*>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    found = []
    for tag in re.findall(r"<[a-zA-Z][^>]*>", text):
        pairs = re.findall(r'([\w:-]+)\s*=\s*"([^"]*)"', tag) + re.findall(r"([\w:-]+)\s*=\s*'([^']*)'", tag)
        for name, value in pairs:
            # A <button>'s value is sent, not shown; an <input type="submit">'s value is its label.
            shown = name.lower() in USER_ATTRIBUTES or (
                name.lower() == "value" and tag.lower().startswith("<input")
                and re.search(r'type\s*=\s*["\']?(submit|button|reset)', tag, re.I))
            if shown and english_words(value):
                found.append(f'{name}="{value.strip()}"')
    text = re.sub(r"<[^>]*>", "\n", text)
    for fragment in text.split("\n"):
        if english_words(fragment):
            found.append(" ".join(fragment.split()))
    return found


def template_files() -> list[Path]:
    roots = [ROOT / "templates"] + [p for pkg in PYTHON_PACKAGES for p in (ROOT / pkg).rglob("templates") if p.is_dir()]
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in (".html", ".txt"))


# --- (b) scripts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    start: int
    end: int
    text: str  # the content, without quotes; a template literal's ${...} removed
    line: int


def js_literals(source: str) -> list[Literal]:
    """Every string and template literal of a script, skipping comments (a small scanner, not a parser)."""
    out, i, n = [], 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i) if source.find("\n", i) != -1 else n
        elif source.startswith("/*", i):
            i = source.find("*/", i + 2) + 2 if source.find("*/", i + 2) != -1 else n
        elif c in "\"'`":
            j, depth = i + 1, 0
            while j < n:
                if source[j] == "\\":
                    j += 2
                    continue
                if c == "`" and source.startswith("${", j):
                    depth += 1
                elif c == "`" and depth and source[j] == "}":
                    depth -= 1
                elif source[j] == c and not depth:
                    break
                j += 1
            body = source[i + 1:j]
            if c == "`":
                body = re.sub(r"\$\{.*?\}", "", body, flags=re.S)
            out.append(Literal(i, j + 1, body, source.count("\n", 0, i) + 1))
            i = j + 1
        else:
            i += 1
    return out


def _call_spans(source: str, literals: list[Literal]) -> list[tuple[int, int]]:
    """Where each gettext-family call's arguments lie (string-aware paren matching)."""
    inside = sorted((lit.start, lit.end) for lit in literals)
    spans = []
    for match in re.finditer(r"\b(?:n?p?gettext|gettext_noop)\s*\(", source):
        depth, i = 1, match.end()
        while i < len(source) and depth:
            hit = next((e for s, e in inside if s == i), None)
            if hit:
                i = hit
                continue
            depth += {"(": 1, ")": -1}.get(source[i], 0)
            i += 1
        spans.append((match.end(), i))
    return spans


PROSE_END = re.compile(r"[A-Za-z][.!?:…]$")
NOT_TEXT_BEFORE = re.compile(
    r"(className\s*[+]?=|querySelector(?:All)?\(|classList\.\w+\(|getElementById\(|closest\(|matches\(|"
    r"createElement(?:NS)?\(|addEventListener\(|setAttribute\(|dataset\.\w+\s*=|\.open\(|fetch\(|"
    r"setAttribute\(\s*[\"'](?:class|id|href|src|type|name|role|d|transform|data-[\w-]+)[\"']\s*,)\s*$")


def looks_like_prose(text: str) -> bool:
    visible = re.sub(r"<[^>]*>", " ", text).strip()
    # HTML written by a script: the attributes a person reads count as text too.
    attributes = re.findall(r"(?:" + "|".join(USER_ATTRIBUTES) + r")\s*=\s*[\"']([^\"']*)", text)
    if any(english_words(value) for value in attributes):
        return True
    if visible == "use strict" or visible[:1] in "/?#":  # a directive, a path or query, a selector
        return False
    words = re.search(r"[A-Za-z]\S*\s+\S", visible)
    return bool(re.search(r"[A-Za-z]", visible) and (words or PROSE_END.search(visible)))


def js_leftovers(source: str) -> list[tuple[int, str]]:
    """(line, literal) of each prose string outside a gettext call."""
    literals = js_literals(source)
    spans = _call_spans(source, literals)
    lines = source.splitlines()
    found = []
    for lit in literals:
        if not looks_like_prose(lit.text) or any(s <= lit.start < e for s, e in spans):
            continue
        line_text = lines[lit.line - 1] if lit.line - 1 < len(lines) else ""
        if "i18n: not shown" in line_text:
            continue
        before = source[source.rfind("\n", 0, lit.start) + 1:lit.start]
        if NOT_TEXT_BEFORE.search(before):
            continue
        found.append((lit.line, lit.text.strip()))
    return found


def script_files() -> list[Path]:
    return sorted(p for p in JS_DIR.glob("*.js") if p.name not in NOT_SCRIPTS)


# --- (c) the catalog ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Marked:
    msgid: str
    plural: str | None
    context: str | None
    where: str


def _call_args(name: str, args: list[str]) -> tuple[str | None, str, str | None] | None:
    """(context, msgid, plural) from a gettext-family call's leading string arguments."""
    base = name.removesuffix("_lazy")
    if base in ("gettext", "_", "gettext_noop") and len(args) >= 1:
        return None, args[0], None
    if base == "ngettext" and len(args) >= 2:
        return None, args[0], args[1]
    if base == "pgettext" and len(args) >= 2:
        return args[0], args[1], None
    if base == "npgettext" and len(args) >= 3:
        return args[0], args[1], args[2]
    return None


def python_marked(source: str, where: str) -> list[Marked]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in CALLS:
            continue
        strings = []
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            strings.append(arg.value)
        parsed = _call_args(name, strings)
        if parsed:
            context, msgid, plural = parsed
            out.append(Marked(msgid, plural, context, f"{where}:{node.lineno}"))
    return out


def template_marked(source: str, where: str) -> list[Marked]:
    code = templatize(source)
    out = []
    for match in re.finditer(r"\b(n?p?gettext)\(", code):
        end = match.end()
        while True:
            end = code.find(")", end)
            if end == -1:
                break
            end += 1
            try:
                call = ast.parse(code[match.start():end], mode="eval").body
            except SyntaxError:
                continue
            line = f"{where}:{code.count(chr(10), 0, match.start()) + 1}"
            out += [Marked(m.msgid, m.plural, m.context, line) for m in python_marked(ast.unparse(call), where)]
            break
    return out


def js_marked(source: str, where: str) -> list[Marked]:
    literals = js_literals(source)
    by_start = {lit.start: lit for lit in literals}
    out = []
    for match in re.finditer(r"\b(n?p?gettext)\s*\(", source):
        args, i = [], match.end()
        while True:
            while i < len(source) and source[i] in " \t\r\n":
                i += 1
            lit = by_start.get(i)
            if lit is None or source[i] == "`":
                break
            args.append(lit.text.encode().decode("unicode_escape") if "\\" in lit.text else lit.text)
            i = lit.end
            while i < len(source) and source[i] in " \t\r\n":
                i += 1
            if i < len(source) and source[i] == ",":
                i += 1
                continue
            break
        parsed = _call_args(match.group(1), args)
        if parsed:
            context, msgid, plural = parsed
            out.append(Marked(msgid, plural, context, f"{where}:{source.count(chr(10), 0, match.start()) + 1}"))
    return out


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text.replace("%%", "")))


def catalog_problems(marked: list[Marked], catalog) -> list[str]:
    problems = []
    for m in marked:
        message = catalog.get(m.msgid, context=m.context)
        label = f"{m.where}: {m.msgid!r}" + (f" (context {m.context!r})" if m.context else "")
        if message is None:
            problems.append(f"{label}: not in the catalog")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"{label}: fuzzy")
        elif not all(strings):
            problems.append(f"{label}: no Chinese translation")
        else:
            expected = placeholders(m.plural if m.plural else m.msgid)
            for s in strings:
                if placeholders(s) != expected:
                    problems.append(f"{label}: placeholders {placeholders(s)} in {s!r}, expected {expected}")
    return problems


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale="zh_Hans")


def all_python_marked() -> list[Marked]:
    out = []
    for package in PYTHON_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            out += python_marked(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return out


def _report(title: str, problems: list[str]) -> str:
    print(f"\n{title}: {len(problems)}")
    for p in problems:
        print("  " + p)
    return f"{title}: {len(problems)} (listed in the captured output), first: {problems[:5]}"


# --- The repository's own files -----------------------------------------------------------------------

def test_every_template_says_its_text_through_translate_tags():
    problems = [f"{path.relative_to(ROOT)}: {leftover}" for path in template_files()
                for leftover in template_leftovers(path.read_text(encoding="utf-8"))]
    assert not problems, _report("Untranslated template text", problems)


def test_every_script_says_its_prose_through_gettext():
    problems = [f"{path.relative_to(ROOT)}:{line}: {text!r}" for path in script_files()
                for line, text in js_leftovers(path.read_text(encoding="utf-8"))]
    assert not problems, _report("Script strings outside gettext", problems)


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_marked_string_has_a_chinese_translation(domain):
    po = LOCALE / f"{domain}.po"
    assert po.exists(), f"{po} is missing: the translations are part of the repository"
    if domain == "django":
        marked = all_python_marked() + [m for path in template_files()
                                        for m in template_marked(path.read_text(encoding="utf-8"),
                                                                 str(path.relative_to(ROOT)))]
    else:
        marked = [m for path in script_files() for m in js_marked(path.read_text(encoding="utf-8"),
                                                                   str(path.relative_to(ROOT)))]
    assert len(marked) > 50, "the scanner found almost nothing marked: it is broken"
    problems = catalog_problems(marked, read_catalog(po))
    assert not problems, _report(f"Strings without a zh_Hans translation ({po.name})", problems)


# --- The checks themselves fail where they should -----------------------------------------------------

def test_the_template_check_finds_bare_text_and_attributes():
    bad = ('{% load i18n %}<h1>Claims</h1><input placeholder="Search stores" type="text">'
           '<img alt="Shelf photo" src="{{ x }}"><input type="submit" value="Send">'
           '<button type="submit" name="do" value="confirm">{% translate "Confirm" %}</button>')
    assert template_leftovers(bad) == ['placeholder="Search stores"', 'alt="Shelf photo"', 'value="Send"', "Claims"]


def test_the_template_check_passes_marked_text_code_and_brand_names():
    good = ('{% load i18n %}{# a note #}<h1 class="big">{% translate "Claims" %}</h1> ShelfAI · CSV'
            '{% blocktranslate with n=3 %}<strong>{{ n }}</strong> photos{% endblocktranslate %}'
            '<script>const a = "not checked here";</script><style>.a { color: red }</style>'
            '<img alt="{% translate \'Shelf photo\' %}" src="{{ url|default:"none" }}">'
            '{% block bodyclass %}phone{% endblock %}<input type="hidden" value="secret">'
            '{% comment %}Old text{% endcomment %}&nbsp;')
    assert template_leftovers(good) == []


def test_the_script_check_finds_prose_outside_gettext():
    bad = '''
      el.textContent = "Nearest first.";
      li.innerHTML = `<button class="thumb" aria-label="Open the photo"><img alt=""></button>`;
      alert(`Visit at ${name} ended`);
      ok.textContent = gettext("Checked in.");
      b.setAttribute("aria-label", fmt(gettext("%(n)s more"), { n: "x" }));
      note.textContent = ngettext("one photo", "two photos", n);
      throw new Error("network down"); // i18n: not shown
      li.className = "small claim-link";
      rect.setAttribute("class", "box drawn");
      document.querySelectorAll("#stores button");
      const type = "image/jpeg", key = "shelfai.visit";
      // a comment that says "Hello world." is no string
    '''
    assert [line for line, _text in js_leftovers(bad)] == [2, 3, 4]
    assert js_leftovers(bad)[2] == (4, "Visit at  ended")


def test_the_catalog_check_finds_missing_fuzzy_and_mismatched_translations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                  '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
                  'msgid "Sign in"\nmsgstr "登录"\n\n'
                  'msgid "Visit at %(store)s"\nmsgstr "%(name)s 的拜访"\n\n'
                  '#, fuzzy\nmsgid "Store"\nmsgstr "门店"\n\n'
                  'msgid "Empty"\nmsgstr ""\n\n'
                  'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s 天"\n', encoding="utf-8")
    marked = (template_marked('{% load i18n %}{% translate "Sign in" %}{% blocktranslate with store=s %}'
                              'Visit at {{ store }}{% endblocktranslate %}', "t.html")
              + python_marked('from django.utils.translation import gettext as _, ngettext\n'
                              '_("Store"); _("Empty"); _("Nowhere"); ngettext("%(n)s day", "%(n)s days", 2)', "m.py")
              + js_marked('x(gettext("Sign in"));', "a.js"))
    problems = catalog_problems(marked, read_catalog(po))
    assert [p.split(": ", 1)[0] for p in problems] == ["t.html:1", "m.py:2", "m.py:2", "m.py:2"]
    assert "placeholders ['%(name)s']" in problems[0]
    assert problems[1].endswith("fuzzy") and problems[2].endswith("no Chinese translation")
    assert problems[3].endswith("not in the catalog")

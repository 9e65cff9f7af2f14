"""Tokenising scripts per language, so that copies compare equal whatever their layout and comments."""

from __future__ import annotations

import hashlib
import keyword
import re

_STRING = r"""'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*\""""
_TEMPLATE = r"`(?:\\.|[^`\\])*`"
_WORD = r"[A-Za-z_$][A-Za-z0-9_$]*"
_NUMBER = r"\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?"
_PUNCT = r"[^\sA-Za-z0-9_$]"

# Comments are matched as their own alternative so they are dropped, never mistaken for code.
_COMMENTS = {
    "python": r"\#[^\n]*",
    "shell": r"(?:(?<=\s)|^)\#[^\n]*",
    "javascript": r"//[^\n]*|/\*[\s\S]*?\*/",
    "typescript": r"//[^\n]*|/\*[\s\S]*?\*/",
}
_STRINGS = {"python": _STRING, "shell": _STRING, "javascript": f"{_STRING}|{_TEMPLATE}"}
_STRINGS["typescript"] = _STRINGS["javascript"]

_LEXERS = {
    language: re.compile(
        rf"(?P<comment>{comment})|(?P<string>{_STRINGS[language]})|(?P<number>{_NUMBER})"
        rf"|(?P<word>{_WORD})|(?P<punct>{_PUNCT})",
        re.MULTILINE,
    )
    for language, comment in _COMMENTS.items()
}

_KEYWORDS = {
    "python": {*keyword.kwlist, "self", "print", "len", "range", "open", "str", "int", "float", "dict"},
    "javascript": {
        "async", "await", "break", "case", "catch", "class", "const", "continue", "default", "delete", "do",
        "else", "export", "extends", "finally", "for", "from", "function", "if", "import", "in", "instanceof",
        "let", "new", "null", "of", "return", "super", "switch", "this", "throw", "true", "false", "try",
        "typeof", "undefined", "var", "void", "while", "yield", "require", "module", "exports", "console",
    },
    "shell": {
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in",
        "function", "return", "exit", "local", "export", "echo", "set", "source", "shift",
    },
}  # fmt: skip
_KEYWORDS["typescript"] = _KEYWORDS["javascript"] | {"interface", "type", "enum", "implements", "readonly"}


def tokens(text: str, language: str) -> list[str]:
    """Code tokens in order, comments and whitespace dropped, strings kept whole."""
    return [match.group() for match in _LEXERS[language].finditer(text) if match.lastgroup != "comment"]


def structure(code_tokens: list[str], language: str) -> list[str]:
    """Tokens with identifiers, strings and numbers abstracted, so renamed copies still match."""
    keywords = _KEYWORDS[language]
    abstracted = []
    for token in code_tokens:
        if token[0] in "'\"`":
            abstracted.append("STR")
        elif token[0].isdigit():
            abstracted.append("NUM")
        elif (token[0].isalpha() or token[0] in "_$") and token not in keywords:
            abstracted.append("ID")
        else:
            abstracted.append(token)
    return abstracted


def fingerprint(code_tokens: list[str]) -> str:
    """Identical for scripts that differ only in whitespace and comments."""
    return hashlib.sha256("\x1f".join(code_tokens).encode("utf-8")).hexdigest()


def shingles(sequence: list[str], size: int = 5) -> frozenset[int]:
    """Hashes of every run of `size` consecutive tokens (the whole sequence when shorter)."""
    if len(sequence) <= size:
        return frozenset({hash(tuple(sequence))}) if sequence else frozenset()
    return frozenset(hash(tuple(sequence[index : index + size])) for index in range(len(sequence) - size + 1))

"""Spec text → NetSpec.

Grammar (layers separated by `|` or newlines, `#` starts a comment):

    spec   := shape ( SEP item )*
    item   := layer | block
    layer  := NAME arg*             arg := value | k5 | k3x5 | s2 | psame | key=value | flag
    block  := [N*] res[ spec-body ] | N*[ spec-body ]

`res[ ... ]` adds a shortcut (identity, or a 1×1 conv + batchnorm projection when
the shapes differ); `3*[ ... ]` repeats its body; `2*res[ ... ]` repeats a block.
Every error names the token and its offset so the message can point at it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from cnntool import budgets
from cnntool.budgets import BudgetError
from cnntool.errors import SpecError
from cnntool.spec.catalog import BY_NAME, REQUIRED, SHORT, LayerDef, Opt
from cnntool.spec.nodes import LayerSpec, NetSpec, Node, ResidualSpec
from cnntool.text import did_you_mean, excerpt

_MAX_DIGITS = len(str(budgets.NUMBER.limit))
#: Options whose value multiplies the work of the arithmetic itself.
_OPTION_BUDGETS = {"layers": budgets.RECURRENT_LAYERS}
_TOKEN = re.compile(
    r"(?P<space>[ \t\r]+)|(?P<comment>#[^\n]*)|(?P<sep>[|\n])|(?P<lb>\[)|(?P<rb>\])|(?P<word>[^\s|\[\]#]+)"
)
_BLOCK_HEAD = re.compile(r"(?:(?P<count>\d+)\s*\*)?\s*(?P<res>res)?", re.IGNORECASE)
_DIMS = re.compile(r"\d+(?:x\d+)*", re.IGNORECASE)
_SHORT = re.compile(r"(?P<letter>[ksdgp])(?P<value>\d+(?:x\d+)*|same|valid)", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    kind: str  # word, sep, lb, rb, end
    text: str
    offset: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or ""
        if kind in ("space", "comment"):
            continue
        tokens.append(Token(kind, match.group(), match.start()))
    tokens.append(Token("end", "", len(source)))
    return _merge_block_heads(tokens)


def _merge_block_heads(tokens: list[Token]) -> list[Token]:
    """Join `3 * res [` style heads into one word so the parser sees `3*res` then `[`."""
    out: list[Token] = []
    for tok in tokens:
        if (
            tok.kind == "word"
            and out
            and out[-1].kind == "word"
            and (tok.text.startswith("*") or out[-1].text.endswith("*"))
        ):
            prev = out.pop()
            tok = Token("word", prev.text + tok.text, prev.offset)
        out.append(tok)
    return out


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0
        self.depth = 0

    # -- token helpers ---------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def error(self, message: str, tok: Token, hint: str = "") -> SpecError:
        return SpecError(message, self.source, tok.offset, len(tok.text) or 1, hint)

    def skip_seps(self) -> None:
        while self.tok.kind == "sep":
            self.pos += 1

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> tuple[tuple[int, ...], Token, tuple[Node, ...]]:
        self.skip_seps()
        first = self.tok
        if first.kind == "end":
            raise SpecError(
                "the spec is empty",
                hint='write the input shape first, then layers: "3x32x32 | conv 10 k5 p2 | relu"',
            )
        shape = self.parse_shape(first)
        self.pos += 1
        if self.tok.kind == "word":
            raise self.error(
                f"unexpected '{self.tok.text}' after the input shape",
                self.tok,
                "separate the input shape from the first layer with '|'",
            )
        body = self.parse_body(closing=False)
        return shape, first, body

    def parse_shape(self, tok: Token) -> tuple[int, ...]:
        if tok.kind != "word" or not _DIMS.fullmatch(tok.text):
            name = tok.text.lower()
            hint = 'start with the input shape, e.g. "3x32x32 | ..." (C×H×W), "20 | ..." (a vector), "50x32 | lstm 64" (T×F)'
            if name in BY_NAME:
                raise self.error(
                    f"the spec starts with the layer '{tok.text}', but the input shape must come first",
                    tok,
                    hint,
                )
            raise self.error(f"expected the input shape, got '{tok.text}'", tok, hint)
        dims = _whole_numbers(tok.text, "input size")
        if any(d <= 0 for d in dims):
            raise self.error(f"input sizes must be positive, got '{tok.text}'", tok)
        if len(dims) > 3:
            raise self.error(
                f"input shape '{tok.text}' has {len(dims)} dimensions; cnntool takes 1 to 3 (no batch dimension)",
                tok,
            )
        return dims

    def parse_body(self, closing: bool) -> tuple[Node, ...]:
        items: list[Node] = []
        while True:
            self.skip_seps()
            if self.tok.kind == "end":
                if closing:
                    raise self.error("missing ']' to close the block", self.tok, "close every '[' with ']'")
                return tuple(items)
            if self.tok.kind == "rb":
                if not closing:
                    raise self.error("unexpected ']' with no matching '['", self.tok)
                return tuple(items)
            items.extend(self.parse_item())
            if self.tok.kind not in ("sep", "end", "rb"):
                raise self.error(f"unexpected '{self.tok.text}'", self.tok, "separate layers with '|'")

    def parse_item(self) -> list[Node]:
        tok = self.tok
        if tok.kind == "lb" or (
            tok.kind == "word" and self.peek().kind == "lb" and self.peek().offset >= tok.offset
        ):
            return self.parse_block()
        if tok.kind != "word":
            raise self.error(f"expected a layer, got '{tok.text}'", tok)
        words = [tok]
        self.pos += 1
        while self.tok.kind == "word":
            words.append(self.tok)
            self.pos += 1
        if self.tok.kind == "lb":
            raise self.error(
                "'[' must follow 'res' or a repeat count such as '3*'",
                self.tok,
                "write res[ ... ] or 3*[ ... ]",
            )
        return [self.parse_layer(words)]

    def parse_block(self) -> list[Node]:
        head = self.tok if self.tok.kind == "word" else Token("word", "", self.tok.offset)
        match = _BLOCK_HEAD.fullmatch(head.text.replace(" ", ""))
        if not match:
            raise self.error(
                f"unknown block '{head.text}['",
                head,
                "blocks are res[ ... ] (residual), 3*[ ... ] (repeat) or 2*res[ ... ]",
            )
        if head.text:
            self.pos += 1
        opening = self.tok
        self.pos += 1  # '['
        self.depth += 1
        if self.depth > budgets.NESTING.limit:
            raise BudgetError(budgets.message(budgets.NESTING, self.depth, "nesting these blocks"))
        body = self.parse_body(closing=True)
        self.depth -= 1
        closing = self.tok
        self.pos += 1  # ']'
        if not body:
            raise self.error(
                "empty block", opening, "put layers inside the brackets: res[ conv 64 k3 p1 | relu ]"
            )
        text = self.source[head.offset if head.text else opening.offset : closing.offset + 1]
        (count,) = _whole_numbers(match.group("count") or "1", "the repeat count")
        if count < 1:
            raise self.error(
                "the repeat count must be at least 1", head, "write e.g. 3*[ conv 16 k3 | relu ]"
            )
        size = count * expanded_size(body)
        if size > budgets.LAYERS.limit:
            raise BudgetError(budgets.message(budgets.LAYERS, size, f"'{head.text}[...]'"))
        if match.group("res"):
            node: list[Node] = [ResidualSpec(body, text, head.offset if head.text else opening.offset)]
        else:
            node = list(body)
        return node * count

    def parse_layer(self, words: list[Token]) -> LayerSpec:
        name_tok = words[0]
        definition = BY_NAME.get(name_tok.text.lower())
        if definition is None:
            raise self.error(
                f"unknown layer {excerpt(name_tok.text)}",
                name_tok,
                did_you_mean(name_tok.text, list(BY_NAME)),
            )
        values: dict[str, object] = {}
        given: set[str] = set()
        positional = list(definition.positional)
        for tok in words[1:]:
            name, raw = self.split_arg(definition, tok, positional)
            opt = definition.opt(name)
            if opt is None:
                known = [o.name for o in definition.opts]
                hint = did_you_mean(name, known + [a for o in definition.opts for a in o.aliases]) or (
                    f"'{definition.kind}' takes: {', '.join(known) or 'no options'}"
                )
                raise self.error(f"'{definition.kind}' has no option '{name}'", tok, hint)
            if opt.name in given:
                raise self.error(f"option '{opt.name}' given twice", tok)
            values[opt.name] = convert_value(opt, raw, lambda msg, hint="", t=tok: self.error(msg, t, hint))
            given.add(opt.name)
        for opt in definition.opts:
            if opt.name not in values:
                if opt.default is REQUIRED:
                    raise self.error(
                        f"'{definition.kind}' needs {opt.name.replace('_', ' ')}",
                        name_tok,
                        _example_hint(definition, opt),
                    )
                values[opt.name] = opt.default
        text = self.source[name_tok.offset : words[-1].offset + len(words[-1].text)]
        options = tuple((o.name, values[o.name]) for o in definition.opts)
        return LayerSpec(definition.kind, options, text, name_tok.offset, frozenset(given))

    def split_arg(self, definition: LayerDef, tok: Token, positional: list[str]) -> tuple[str, str]:
        text = tok.text
        if "=" in text:
            key, _, value = text.partition("=")
            if not key or not value:
                raise self.error(f"malformed option '{text}'", tok, "write key=value, e.g. stride=2")
            return key.lower(), value
        short = _SHORT.fullmatch(text)
        if short and definition.opt(SHORT[short.group("letter").lower()]) is not None:
            return SHORT[short.group("letter").lower()], short.group("value")
        negative = re.fullmatch(r"([ksdgp])-\d+", text, re.IGNORECASE)
        if negative and definition.opt(SHORT[negative.group(1).lower()]) is not None:
            option = SHORT[negative.group(1).lower()]
            raise self.error(
                f"{option} cannot be negative, got '{text}'", tok, f"write e.g. {negative.group(1)}1"
            )
        opt = definition.opt(text.lower())
        if opt is not None and opt.type == "bool":
            return opt.name, "true"  # a bare flag: `lstm 64 bidirectional`
        if positional:
            return positional.pop(0), text
        if text.lower() in ("nobias", "no_bias") and definition.opt("bias"):
            return "bias", "false"
        hint = (
            f"'{definition.kind}' options: " + ", ".join(o.name for o in definition.opts)
            if definition.opts
            else f"'{definition.kind}' takes no arguments"
        )
        raise self.error(f"unexpected argument '{text}' for '{definition.kind}'", tok, hint)


def _example_hint(definition: LayerDef, opt: Opt) -> str:
    examples = {
        "conv": "e.g. conv 16 k3 p1",
        "convT": "e.g. convT 16 k2 s2",
        "dwconv": "e.g. dwconv k3 p1",
        "maxpool": "e.g. maxpool 2 (a 2×2 window, stride 2)",
        "avgpool": "e.g. avgpool 2",
        "dense": "e.g. dense 10",
        "embedding": "e.g. embedding 10000 128 (vocabulary, dimension)",
        "adaptiveavgpool": "e.g. adaptiveavgpool 6x6",
        "upsample": "e.g. upsample 2",
    }
    return examples.get(definition.kind, f"e.g. {definition.kind} 64")


def convert_value(opt: Opt, raw: str, fail) -> object:  # noqa: C901 - one branch per value type
    """Turn the text of an option into its typed value, or raise via `fail(message, hint)`."""
    kind = opt.type
    low = raw.lower()
    if isinstance(kind, tuple):
        if low in kind:
            return low
        raise fail(f"{opt.name} must be one of {', '.join(kind)}, got '{raw}'", did_you_mean(raw, list(kind)))
    if kind == "bool":
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise fail(f"{opt.name} must be true or false, got '{raw}'")
    if kind in ("prob", "float"):
        try:
            value = float(raw)
        except ValueError:
            raise fail(f"{opt.name} must be a number, got '{raw}'") from None
        if math.isnan(value):
            raise fail(f"{opt.name} must be a number, got '{raw}'")
        if abs(value) > budgets.NUMBER.limit:
            raise BudgetError(
                f"{opt.name} {raw[:20]} is larger than cnntool's budget of {budgets.NUMBER.limit:,} "
                f"({budgets.NUMBER.name}); {budgets.NUMBER.fix}"
            )
        if kind == "prob" and not 0 <= value < 1:
            raise fail(f"{opt.name} must be in [0, 1), got {raw}")
        return value
    if kind == "padding" and low in ("same", "valid"):
        return low
    if not _DIMS.fullmatch(raw):
        what = "a whole number" if kind in ("count", "int0") else "a whole number or AxB"
        hint = "padding can also be 'same' or 'valid'" if kind == "padding" else ""
        if re.fullmatch(r"-?\d+(\.\d+)?", raw):
            hint = hint or f"{opt.name} counts things, so it must be a positive whole number"
        raise fail(f"{opt.name} must be {what}, got '{raw}'", hint)
    parts = _whole_numbers(raw, opt.name)
    budget = _OPTION_BUDGETS.get(opt.name)
    if budget is not None and max(parts) > budget.limit:
        raise BudgetError(budgets.message(budget, max(parts), f"{opt.name}={raw}"))
    if kind in ("count", "int0") and len(parts) > 1:
        raise fail(f"{opt.name} must be a single number, got '{raw}'")
    minimum = 0 if kind in ("dims0", "padding", "int0") else 1
    if any(p < minimum for p in parts):
        raise fail(f"{opt.name} must be {'≥ 0' if minimum == 0 else 'positive'}, got '{raw}'")
    if len(parts) > 2:
        raise fail(f"{opt.name} has {len(parts)} sizes; give one (3) or two (3x5)")
    return parts[0] if len(parts) == 1 else parts


def _whole_numbers(text: str, what: str) -> tuple[int, ...]:
    """'3x32x32' → (3, 32, 32), each at most budgets.NUMBER (checked on the digits, before int())."""
    parts = re.split("[xX]", text)
    for part in parts:
        if len(part.lstrip("0")) > _MAX_DIGITS or int(part) > budgets.NUMBER.limit:
            shown = part if len(part) <= 20 else f"{part[:12]}… ({len(part):,} digits)"
            raise BudgetError(
                f"{what} {shown} is larger than cnntool's budget of {budgets.NUMBER.limit:,} "
                f"({budgets.NUMBER.name}); {budgets.NUMBER.fix}"
            )
    return tuple(int(part) for part in parts)


def expanded_size(nodes: tuple[Node, ...] | list[Node]) -> int:
    """How many rows the layers make once expanded (a residual block adds its add and a possible
    two-layer projection shortcut), computed without expanding anything."""
    return sum(expanded_size(n.body) + 3 if isinstance(n, ResidualSpec) else 1 for n in nodes)


def parse(source: str, name: str = "") -> NetSpec:
    """Parse spec text into a NetSpec; raises SpecError pointing at the bad token (or at the budget)."""
    shape, _, layers = _Parser(source).parse()
    size = expanded_size(layers)
    if size > budgets.LAYERS.limit:
        raise BudgetError(budgets.message(budgets.LAYERS, size, "the spec"))
    return NetSpec(shape, layout_of(shape, layers), layers, source, name)


def layout_of(shape: tuple[int, ...], layers: tuple[Node, ...]) -> str:
    """Rank 2 is ambiguous: the first layer that cares decides (T×F sequence or C×L signal)."""
    if len(shape) == 1:
        return "vector"
    if len(shape) == 3:
        return "image"
    signal_kinds = {
        "conv",
        "convT",
        "dwconv",
        "maxpool",
        "avgpool",
        "globalavgpool",
        "adaptiveavgpool",
        "upsample",
        "batchnorm",
    }
    sequence_kinds = {"rnn", "gru", "lstm", "dense", "layernorm", "flatten", "embedding"}
    stack = list(layers)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ResidualSpec):
            stack = list(node.body) + stack
            continue
        if node.kind in signal_kinds:
            return "signal"
        if node.kind in sequence_kinds:
            return "sequence"
    return "sequence"

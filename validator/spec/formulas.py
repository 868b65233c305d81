"""Whitelisting of Wilkinson formulas before formulaic ever sees them.

formulaic evaluates every function call in a formula with Python's ``eval``, in
a namespace that holds numpy and Python's builtins, so a formula from an
untrusted spec could run any code. :func:`check_formula` therefore splits the
formula with formulaic's own tokenizer (so the pieces are exactly those formulaic
will evaluate) and accepts only:

- ``outcome ~ predictors`` with a single variable name as the outcome;
- the operators ``+ - * : **`` and parentheses, and the numbers ``0``/``1``
  (the intercept) and whole-number exponents after ``**`` (formulaic's ``**``
  is an interaction power: ``(a + b) ** 2``; write a square as ``I(x ** 2)``);
- variable names (plain identifiers; backtick-quoted names are refused);
- the calls in :data:`FORMULA_FUNCTIONS`: ``C(var)`` or
  ``C(var, levels=[...])``, ``I(expr)``, and ``log``, ``log10``, ``exp``,
  ``sqrt``, ``abs``, ``center``, ``scale`` of a variable or expression. ``expr``
  follows the expression language of :mod:`validator.spec.expressions` except
  for the constructs whose meaning differs when Python evaluates them on pandas
  Series (``and``, ``or``, ``not``, ``in``, chained comparisons).

Fit with ``context=formula_context()``, the only names such expressions may
reach besides the data; formulaic itself provides ``C``, ``I``, ``center`` and
``scale``.
"""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Collection, Mapping, NoReturn

from formulaic import Formula
from formulaic.errors import FormulaicError
from formulaic.parser import DefaultFormulaParser
from formulaic.parser.algos.tokenize import tokenize
from formulaic.parser.types import ASTNode, Token

from validator.errors import ExpressionError
from validator.spec.expressions import CONSTANTS, FUNCTIONS, MAX_LENGTH, check_tree, quote_for_message

__all__ = ["FORMULA_FUNCTIONS", "FormulaInfo", "check_formula", "formula_context"]

#: The functions a formula may call directly, with what each does.
FORMULA_FUNCTIONS: Mapping[str, str] = MappingProxyType(
    {
        "C": "C(var) or C(var, levels=[...]): var as categorical; the first level is the reference",
        "I": "I(expr): expr computed as a number (arithmetic, comparisons, expression functions)",
        "abs": "absolute value",
        "center": "subtracts the mean (formulaic)",
        "exp": "e to the power x",
        "log": "natural logarithm",
        "log10": "base-10 logarithm",
        "scale": "subtracts the mean, divides by the standard deviation (formulaic)",
        "sqrt": "square root",
    }
)

# Longest first, so that "**" is not read as two "*".
_OPERATORS: tuple[str, ...] = ("**", "~", "+", "-", "*", ":")
_ALLOWED_OPERATORS_TEXT = "~ + - * : ** ( )"

#: Largest exponent after ``**``, and most terms a formula may expand to.
#: formulaic expands ``a*b*c...`` into every interaction (2**n - 1 terms) and
#: ``(...) ** k`` by enumerating k-fold products, so a short formula can ask
#: for billions of terms; these bounds are refused before formulaic expands.
MAX_EXPONENT = 10
MAX_TERMS = 1000


@dataclass(frozen=True)
class FormulaInfo:
    """A checked formula: its outcome variable and every variable it reads."""

    text: str
    outcome: str
    variables: frozenset[str]


def _split_operator(token: str) -> tuple[list[str], str | None]:
    """Split an operator token (formulaic glues adjacent operators: ``~-``) into operators.

    Returns the operators and, if a piece is not an allowed operator, that piece.
    """
    atoms: list[str] = []
    rest = token
    while rest:
        for candidate in _OPERATORS:
            if rest.startswith(candidate):
                atoms.append(candidate)
                rest = rest[len(candidate) :]
                break
        else:
            return atoms, rest
    return atoms, None


class _FormulaChecker:
    def __init__(
        self,
        text: str,
        known: Collection[str] | None,
        source: str | None,
        path: str | None,
        text_variables: Collection[str] = (),
    ) -> None:
        self.text_variables = frozenset(text_variables)
        self.text = text
        self.known = None if known is None else frozenset(known)
        self.source = source
        self.path = path
        self.subject = f"formula {quote_for_message(text)}"
        self.variables: set[str] = set()

    def fail(self, message: str) -> NoReturn:
        raise ExpressionError(f"{self.subject} {message}", source=self.source, path=self.path)

    def check(self) -> FormulaInfo:
        try:
            tokens = list(tokenize(self.text))
        except FormulaicError as exc:
            self.fail(f"does not parse: {_first_line(exc)}")
        # (kind, text, column) with operator tokens split into single operators.
        items: list[tuple[Token.Kind, str, int]] = []
        for token in tokens:
            items.extend(self.check_token(token))

        for (kind, value, column), previous in zip(items, [None, *items]):
            exponent = previous is not None and previous[0] is Token.Kind.OPERATOR and previous[1] == "**"
            if kind is Token.Kind.VALUE and value not in ("0", "1") and not exponent:
                self.fail(
                    f"uses the number {value!r} at column {column + 1}; a formula may hold only the numbers "
                    "0 and 1 (the intercept) and whole-number exponents after '**'"
                )
            if kind is Token.Kind.VALUE and exponent and int(value) > MAX_EXPONENT:
                self.fail(
                    f"raises to the power {value} at column {column + 1}; "
                    f"the largest allowed is {MAX_EXPONENT}"
                )

        tildes = [
            i for i, (kind, value, _) in enumerate(items) if kind is Token.Kind.OPERATOR and value == "~"
        ]
        if len(tildes) != 1:
            self.fail(f"has {len(tildes)} '~'; a formula is 'outcome ~ predictors' with exactly one '~'")
        lhs = items[: tildes[0]]
        if len(lhs) != 1 or lhs[0][0] is not Token.Kind.NAME:
            self.fail("must have a single variable name left of '~' (the outcome)")
        outcome = lhs[0][1]

        # The pieces are all allowed; formulaic now checks how they are put
        # together. Neither step evaluates anything; only the second expands terms.
        try:
            tree = DefaultFormulaParser().get_ast(self.text)
            if _term_bound(tree) > MAX_TERMS:
                self.fail(f"expands to more than {MAX_TERMS} terms; write the interactions out")
            Formula(self.text)
        except (FormulaicError, SyntaxError, ValueError) as exc:
            self.fail(f"is not a valid formula: {_first_line(exc)}")
        return FormulaInfo(self.text, outcome, frozenset(self.variables))

    def check_token(self, token: Token) -> list[tuple[Token.Kind, str, int]]:
        start = token.source_start or 0
        end = token.source_end if token.source_end is not None else start
        raw = self.text[start : end + 1]
        where = f"at column {start + 1}"
        kind = token.kind
        if kind is Token.Kind.OPERATOR:
            if raw.startswith("%"):
                self.fail(f"uses the operator '%{token.token}%' {where}; allowed: {_ALLOWED_OPERATORS_TEXT}")
            atoms, bad = _split_operator(token.token)
            if bad is not None:
                self.fail(f"uses the operator {bad[0]!r} {where}; allowed: {_ALLOWED_OPERATORS_TEXT}")
            return [(kind, atom, start) for atom in atoms]
        if kind is Token.Kind.CONTEXT:
            if token.token not in "()":
                self.fail(f"uses {token.token!r} {where}; only ( and ) may group terms")
            return [(kind, token.token, start)]
        if kind is Token.Kind.VALUE:
            self.check_value(token.token, where)
            return [(kind, token.token, start)]
        if kind is Token.Kind.NAME:
            if raw.startswith("`"):
                self.fail(
                    f"uses the backtick-quoted name `{token.token}` {where}; "
                    "name variables with plain identifiers"
                )
            self.check_name(token.token, where)
            return [(kind, token.token, start)]
        if kind is Token.Kind.PYTHON:
            if raw.startswith("{"):
                self.fail(
                    f"uses the Python block '{{{token.token}}}' {where}, which specs may not use; use I(...)"
                )
            self.check_call(token.token, where)
            return [(kind, token.token, start)]
        self.fail(f"uses {raw!r} {where}, which formulas may not use")

    def check_value(self, value: str, where: str) -> None:
        if value.isascii() and value.isdigit():
            return  # whole numbers other than 0/1 must follow '**'; check() knows the previous token
        if value == ".":
            self.fail(f"uses '.' (all other columns) {where}; list the predictors by name")
        self.fail(
            f"uses the value {value!r} {where}; a formula may hold only the numbers 0 and 1 (the intercept) "
            "and whole-number exponents after '**'"
        )

    def check_name(self, name: str, where: str) -> None:
        if not name.isidentifier() or keyword.iskeyword(name):
            self.fail(f"uses {name!r} {where}, which is not a plain variable name")
        if name in CONSTANTS:
            self.fail(f"uses the constant '{name}' as a term {where}; terms are variables")
        self.variables |= check_tree(
            ast.Name(id=name, ctx=ast.Load()),
            code=name,
            subject=self.subject,
            known=self.known,
            source=self.source,
            path=self.path,
        )

    def check_call(self, code: str, where: str) -> None:
        try:
            node = ast.parse(code, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            self.fail(f"uses {code!r} {where}, which does not parse as a function call")
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            # Name the construct (attribute access, subscript, ...) if it is one.
            self.check_expression(node, code)
            self.fail(f"uses {code!r} {where}, which is not a call of an allowed formula function")
        name = node.func.id
        if name not in FORMULA_FUNCTIONS:
            self.fail(
                f"calls '{name}' {where}, which is not an allowed formula function; "
                f"allowed: {', '.join(sorted(FORMULA_FUNCTIONS))}"
            )
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            self.fail(f"calls '{name}' with star unpacking {where}, which specs may not use")
        allowed_keywords = {"levels"} if name == "C" else set()
        for keyword_ in node.keywords:
            if keyword_.arg not in allowed_keywords:
                given = f"{keyword_.arg}=" if keyword_.arg else "**"
                self.fail(
                    f"calls '{name}' with the keyword argument '{given}' {where}, which formulas may not use"
                )
        if len(node.args) != 1:
            self.fail(f"calls '{name}' with {len(node.args)} positional arguments {where}; it takes one")
        argument = node.args[0]
        if name == "C":
            if not isinstance(argument, ast.Name):
                self.fail(f"calls C() on {ast.unparse(argument)!r} {where}; C() takes a variable name")
            for keyword_ in node.keywords:
                self.check_levels(keyword_.value, where)
        self.check_expression(argument, code)

    def check_levels(self, node: ast.AST, where: str) -> None:
        if not isinstance(node, (ast.List, ast.Tuple)) or not all(
            isinstance(element, ast.Constant) and type(element.value) in (str, int, float, bool)
            for element in node.elts
        ):
            self.fail(f"gives C() levels={ast.unparse(node)} {where}; levels must be a list of constants")

    def check_expression(self, node: ast.AST, code: str) -> None:
        self.variables |= check_tree(
            node,
            code=code,
            subject=self.subject,
            known=self.known,
            source=self.source,
            path=self.path,
            python_semantics=True,
            text_names=self.text_variables,
        )


def _term_bound(tree: ASTNode | Token | None) -> int:
    """An upper bound on the work of expanding ``tree`` into terms (capped just above MAX_TERMS).

    Post-order without recursion: formulas of a thousand terms nest that deep.
    """
    cap = MAX_TERMS + 1
    bounds: dict[int, int] = {}
    stack: list[tuple[object, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if not isinstance(node, ASTNode):
            bounds[id(node)] = 1
            continue
        args = list(node.args)
        if not expanded:
            stack.append((node, True))
            stack.extend((arg, False) for arg in args)
            continue
        values = [bounds[id(arg)] for arg in args]
        symbol = node.operator.symbol
        if len(values) == 1:
            bound = 0 if symbol == "-" else values[0]
        elif symbol == "*":
            bound = values[0] + values[1] + values[0] * values[1]
        elif symbol == ":":
            bound = values[0] * values[1]
        elif symbol == "**":
            power = args[1]
            digits = isinstance(power, Token) and power.token.isascii() and power.token.isdigit()
            exponent = int(power.token) if digits else 1
            bound = values[0] ** min(exponent, MAX_EXPONENT)  # itertools.product enumerates them all
        elif symbol == "-":
            bound = values[0]
        elif symbol == "~":
            bound = values[-1]
        else:
            bound = sum(values)
        bounds[id(node)] = min(bound, cap)
    return bounds[id(tree)]


def _first_line(exc: BaseException) -> str:
    # formulaic appends the formula with the offending token highlighted by
    # terminal colour codes on later lines; the first line says what is wrong.
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def check_formula(
    text: str,
    known: Collection[str] | None = None,
    *,
    source: str | None = None,
    path: str | None = None,
    text_variables: Collection[str] = (),
) -> FormulaInfo:
    """Reject any formula outside the whitelist (ExpressionError naming source and path).

    The whitelist is described in the module docstring. With ``known``, every
    variable, the outcome included, must be one of ``known``. ``text_variables``
    are the variables that hold text (text and categorical columns, text-valued
    derived variables): inside ``I()`` only ``+`` may join them, exactly as in a
    derived variable. Returns the
    outcome and every variable read (outcome, terms, and inside ``C()``/``I()``).

    >>> info = check_formula("abort ~ belief_t1 + C(valuation)", ["abort", "belief_t1", "valuation"])
    >>> info.outcome, sorted(info.variables)
    ('abort', ['abort', 'belief_t1', 'valuation'])
    """
    if not isinstance(text, str):
        raise ExpressionError(
            f"a formula must be text, not {type(text).__name__} ({text!r})", source=source, path=path
        )
    if not text.strip():
        raise ExpressionError("the formula is empty", source=source, path=path)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"formula of {len(text)} characters is longer than the limit of {MAX_LENGTH}",
            source=source,
            path=path,
        )
    return _FormulaChecker(text, known, source, path, text_variables).check()


def formula_context() -> Mapping[str, Any]:
    """The only functions a formula may call, as the evaluation context for formulaic.

    Pass it to formulaic, e.g. ``formulaic.model_matrix(text, data,
    context=formula_context())``; without an explicit context formulaic reads the
    caller's variables. It maps every expression function (numpy-based, NaN
    propagating, without floating-point warnings) and the constants ``nan`` and
    ``inf``; ``C``, ``I``, ``center`` and ``scale`` come from formulaic itself.
    """
    context: dict[str, Any] = {name: function.implementation for name, function in FUNCTIONS.items()}
    context.update(CONSTANTS)
    return MappingProxyType(context)

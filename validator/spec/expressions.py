"""The safe expression language of derived variables, subsets and constraints.

A spec may come from an untrusted source, so its expressions are never handed to
``eval``. :func:`parse_expression` parses the text with :func:`ast.parse` and
accepts only a whitelist of node types; :meth:`Expression.evaluate` then walks
that checked tree itself, one pandas operation per node.

The language
------------
- variables (columns of the data or derived variables) and the constants
  ``nan`` and ``inf``; numbers, text in quotes, ``True``, ``False``, ``None``;
- arithmetic ``+ - * / // % **`` and unary ``-`` / ``+``; ``+`` on two texts
  joins them; ``**`` is computed in floating point;
- comparisons ``== != < <= > >=`` (chains such as ``0 <= x < 10`` allowed) and
  ``x in [...]`` / ``x not in [...]`` against a list of constants;
- ``and``, ``or``, ``not`` (elementwise);
- the functions in :data:`FUNCTIONS`, called by name with positional arguments.

Missing values (decision)
-------------------------
Missing stays missing. Arithmetic and functions propagate NaN as numpy does. A
comparison, ``in`` or ``between`` with a missing operand is missing (``<NA>``),
never an error and never False: comparing with ``nan`` is therefore always
missing; test for missing values with ``isnull``/``notnull``. Every true/false
result has pandas' nullable ``boolean`` dtype, whose ``and``/``or``/``not``
follow three-valued (Kleene) logic: ``False and <NA>`` is False, ``True or
<NA>`` is True, anything else involving ``<NA>`` is ``<NA>``. A caller using a
result as a row filter (a subset, a constraint) decides what a missing truth
value means, typically ``mask.fillna(False)``.

Numbers and true/false values: ``and``/``or``/``not``/``where`` read a number as
true when it is non-zero; arithmetic reads True as 1.0 and False as 0.0.
Division by zero gives ``inf``/``nan`` as in numpy, silently.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NoReturn, Union, cast

import numpy as np
import pandas as pd

from validator.errors import ExpressionError

__all__ = [
    "CONSTANTS",
    "CONSTRAINT_TOLERANCE",
    "FUNCTIONS",
    "Expression",
    "Function",
    "check_tree",
    "is_text_expression",
    "parse_expression",
    "quote_for_message",
]

#: Longest expression text accepted; longer ones are refused before parsing,
#: because Python's parser and our tree walk recurse once per nesting level.
MAX_LENGTH = 4000

#: Relative tolerance of the comparisons in a *constraint* (see ``Expression.evaluate``):
#: decimal data summed in binary floating point misses by about 1e-14 (30.1 + 34.2 +
#: 36.7 is 101.00000000000001), so ``abs(sum - 100) <= 1`` must not hinge on it.
CONSTRAINT_TOLERANCE = 1e-9

#: Named constants an expression may use without their being variables.
CONSTANTS: Mapping[str, float] = MappingProxyType({"nan": math.nan, "inf": math.inf})

# A value while evaluating: a Series aligned on the frame's index, or a scalar
# (a constant, or a function applied to constants only).
Value = Union[pd.Series, Any]  # noqa: UP007 - a runtime alias; Python 3.10 cannot "|" Any


class _EvaluationProblem(ValueError):
    """Data that an expression cannot be evaluated on (text where numbers are needed)."""


# --------------------------------------------------------------------------
# Elementwise helpers shared by the interpreter and the function table
# --------------------------------------------------------------------------

_ONE_ROW = pd.RangeIndex(1)


def _broadcast(value: Value, index: pd.Index) -> pd.Series:
    """A Series on ``index``: a Series as it is, a scalar repeated on every row."""
    if isinstance(value, pd.Series):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return pd.Series(value, index=index if len(value) == len(index) else None)
    if value is None or value is pd.NA:
        value = np.nan  # a float column of NaN, not an object column of None
    return pd.Series(value, index=index)


def _is_text(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "string"


def _numeric(series: pd.Series, what: str) -> pd.Series:
    """Numbers for arithmetic: True/False become 1.0/0.0; text is refused."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    if _is_text(series):
        raise _EvaluationProblem(f"{what} needs numbers but got text")
    try:
        return pd.to_numeric(series)
    except (TypeError, ValueError):
        raise _EvaluationProblem(f"{what} needs numbers but got values of type {series.dtype}") from None


def _as_boolean(series: pd.Series, what: str) -> pd.Series:
    """True/false values of nullable ``boolean`` dtype; a number is true when non-zero."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return cast("pd.Series", (series != 0).astype("boolean").where(series.notna()))
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("boolean", "empty"):
        return series.astype("boolean")
    raise _EvaluationProblem(f"{what} needs true/false values but got values of type {series.dtype}")


def _as_text(series: pd.Series) -> pd.Series:
    # astype("str") keeps missing values missing in pandas >= 3 and writes
    # numbers as str() does (1.0 -> "1.0").
    if isinstance(series.dtype, pd.CategoricalDtype):
        # The categories' text taken by code: the same values as converting every
        # row (which took half a second per 1,000,000 rows).
        categories = series.cat.categories.astype("str").array
        return cast("pd.Series", pd.Series(categories.take(series.cat.codes.to_numpy(), allow_fill=True), index=series.index))
    return cast("pd.Series", series.astype("str"))


def _missing_to_na(result: pd.Series, *operands: pd.Series) -> pd.Series:
    """``result`` as nullable boolean, ``<NA>`` wherever an operand is missing."""
    missing = functools.reduce(operator.or_, (operand.isna() for operand in operands))
    return cast("pd.Series", result.astype("boolean").where(~missing))


def _is_category_label(left: pd.Series, right: Value) -> bool:
    return isinstance(left.dtype, pd.CategoricalDtype) and isinstance(right, str)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _within(op: Callable[[Any, Any], Any], left: pd.Series, right: pd.Series, tolerance: float) -> pd.Series:
    """``op(left, right)`` with numbers closer than ``tolerance * max(1, |left|, |right|)`` taken as equal."""
    slack = tolerance * np.maximum(1.0, np.maximum(left.abs(), right.abs()))
    gap = (left - right).abs()
    result: pd.Series
    if op is operator.eq:
        result = gap <= slack
    elif op is operator.ne:
        result = gap > slack
    elif op in (operator.le, operator.gt):
        result = op(left, right + slack)
    else:  # lt, ge
        result = op(left, right - slack)
    return result


def _compare(
    op: Callable[[Any, Any], Any], symbol: str, left: pd.Series, right: pd.Series, tolerance: float = 0.0
) -> pd.Series:
    if tolerance and _is_number(left) and _is_number(right):
        return _missing_to_na(_within(op, left.astype("float64"), right.astype("float64"), tolerance), left, right)
    try:
        result = op(left, right)
    except TypeError:
        raise _EvaluationProblem(
            f"cannot compare values of type {left.dtype} and {right.dtype} with '{symbol}'"
        ) from None
    return _missing_to_na(result, left, right)


def _elementwise(function: Callable[..., pd.Series]) -> Callable[..., Value]:
    """Let a Series implementation take any mix of Series and scalars.

    Scalars are broadcast on the index of the first Series argument; with scalars
    only, the function runs on one row and returns that row's value, so scalars
    and Series follow exactly the same rules.
    """

    @functools.wraps(function)
    def wrapper(*args: Value) -> Value:
        index = next((arg.index for arg in args if isinstance(arg, pd.Series)), None)
        with np.errstate(all="ignore"):
            if index is None:
                return function(*(_broadcast(arg, _ONE_ROW) for arg in args)).iloc[0]
            return function(*(_broadcast(arg, index) for arg in args))

    return wrapper


def _ufunc(ufunc: np.ufunc, name: str) -> Callable[..., Value]:
    def apply(x: pd.Series) -> pd.Series:
        return cast("pd.Series", ufunc(_numeric(x, f"{name}()")))

    apply.__name__ = name
    return _elementwise(apply)


def _round(x: Value, digits: int = 0) -> Value:
    digits = int(digits)  # a literal: parse_expression and check_formula insist on it

    @_elementwise
    def apply(series: pd.Series) -> pd.Series:
        return _numeric(series, "round()").round(digits)

    return apply(x)


def _reduce(ufunc: np.ufunc, name: str) -> Callable[..., Value]:
    def apply(*args: pd.Series) -> pd.Series:
        return functools.reduce(ufunc, (_numeric(arg, f"{name}()") for arg in args))

    apply.__name__ = name
    return _elementwise(apply)


@_elementwise
def _clip(x: pd.Series, lo: pd.Series, hi: pd.Series) -> pd.Series:
    return cast("pd.Series", np.minimum(np.maximum(_numeric(x, "clip()"), _numeric(lo, "clip()")), _numeric(hi, "clip()")))


@_elementwise
def _where(condition: pd.Series, if_true: pd.Series, if_false: pd.Series) -> pd.Series:
    truth = _as_boolean(condition, "where()")
    return cast("pd.Series", if_false.mask(truth.fillna(False), if_true).where(truth.notna()))


@_elementwise
def _isnull(x: pd.Series) -> pd.Series:
    return x.isna().astype("boolean")


@_elementwise
def _notnull(x: pd.Series) -> pd.Series:
    return x.notna().astype("boolean")


@_elementwise
def _between(x: pd.Series, lo: pd.Series, hi: pd.Series) -> pd.Series:
    return _compare(operator.ge, ">=", x, lo) & _compare(operator.le, "<=", x, hi)


@_elementwise
def _concat(*args: pd.Series) -> pd.Series:
    return functools.reduce(operator.add, (_as_text(arg) for arg in args))


def _to_number(series: pd.Series, what: str) -> pd.Series:
    if _is_text(series):
        try:
            return pd.to_numeric(series)
        except (TypeError, ValueError) as exc:
            raise _EvaluationProblem(f"{what} cannot read text as a number ({exc})") from None
    return _numeric(series, what)


@_elementwise
def _int(x: pd.Series) -> pd.Series:
    number = _to_number(x, "int()")
    if pd.api.types.is_integer_dtype(number.dtype):
        return number.astype("Int64")
    # Truncation toward zero, as Python's int(); missing stays missing (Int64).
    return cast("pd.Series", np.trunc(number.astype("float64")).astype("Int64"))


@_elementwise
def _float(x: pd.Series) -> pd.Series:
    return _to_number(x, "float()").astype("float64")


@_elementwise
def _str(x: pd.Series) -> pd.Series:
    return _as_text(x)


@dataclass(frozen=True)
class Function:
    """One whitelisted function: its implementation, arity and a one-line summary."""

    name: str
    implementation: Callable[..., Any] = field(repr=False)
    min_args: int
    max_args: int | None
    summary: str


#: Every function an expression may call, by name. The one table behind the
#: evaluator, the "allowed: ..." error messages and :func:`formula_context`.
FUNCTIONS: Mapping[str, Function] = MappingProxyType(
    {
        function.name: function
        for function in (
            Function("abs", _ufunc(np.abs, "abs"), 1, 1, "absolute value"),
            Function("sqrt", _ufunc(np.sqrt, "sqrt"), 1, 1, "square root (nan below 0)"),
            Function("log", _ufunc(np.log, "log"), 1, 1, "natural logarithm"),
            Function("log10", _ufunc(np.log10, "log10"), 1, 1, "base-10 logarithm"),
            Function("exp", _ufunc(np.exp, "exp"), 1, 1, "e to the power x"),
            Function("floor", _ufunc(np.floor, "floor"), 1, 1, "round down"),
            Function("ceil", _ufunc(np.ceil, "ceil"), 1, 1, "round up"),
            Function("round", _round, 1, 2, "round(x[, digits]) to digits decimals, half to even"),
            Function("min", _reduce(np.minimum, "min"), 2, None, "elementwise minimum of its arguments"),
            Function("max", _reduce(np.maximum, "max"), 2, None, "elementwise maximum of its arguments"),
            Function("clip", _clip, 3, 3, "clip(x, lo, hi) limits x to [lo, hi]"),
            Function("where", _where, 3, 3, "where(cond, a, b): a where cond holds, else b"),
            Function("isnull", _isnull, 1, 1, "true where x is missing"),
            Function("notnull", _notnull, 1, 1, "true where x is not missing"),
            Function("between", _between, 3, 3, "between(x, lo, hi): lo <= x <= hi"),
            Function("concat", _concat, 1, None, "joins its arguments as text"),
            Function("int", _int, 1, 1, "whole number, truncated toward zero"),
            Function("float", _float, 1, 1, "floating-point number (text is read as a number)"),
            Function("str", _str, 1, 1, "text"),
        )
    }
)

_ROUND_DIGITS_LIMIT = 15

# --------------------------------------------------------------------------
# Checking: the whitelist
# --------------------------------------------------------------------------

_BINARY_OPERATORS: Mapping[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow),
}
_COMPARISONS: Mapping[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
_OTHER_SYMBOLS: Mapping[type, str] = {
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
}
# Python constructs a spec may not use, named the way an error message says it.
_FORBIDDEN: Mapping[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Slice: "a slice",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.IfExp: "a conditional expression (use where(cond, a, b))",
    ast.NamedExpr: "an assignment expression",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Dict: "a dict literal",
    ast.Set: "a set literal",
    ast.Starred: "star unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


def _snippet(code: str, node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f".{node.attr}"
    text = ast.get_source_segment(code, node) or ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def quote_for_message(text: str, limit: int = 80) -> str:
    """``text`` quoted for an error message, shortened when long."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _unknown_name_message(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"unknown variable '{name}' (did you mean '{close[0]}'?)"
    listed = sorted(known)
    shown = ", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "")
    return f"unknown variable '{name}'; known variables: {shown or '(none)'}"


def _is_constant_literal(node: ast.AST) -> bool:
    """A literal constant, a negative number included (``-1`` parses as a unary minus)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
        return isinstance(node, ast.Constant) and type(node.value) in (int, float)
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, str, bool, type(None))


def _literal_value(node: ast.AST) -> Any:
    if isinstance(node, ast.UnaryOp):
        value = _literal_value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    assert isinstance(node, ast.Constant)
    return node.value


def _uses_variables(node: ast.AST) -> bool:
    return any(isinstance(child, ast.Name) and child.id not in CONSTANTS for child in ast.walk(node))


class _Checker:
    """Walks a parsed tree and raises ExpressionError at the first construct off the whitelist.

    With ``python_semantics`` the tree will be evaluated by Python itself (inside a
    formula's ``I()``, by formulaic), so constructs whose Python meaning on a pandas
    Series differs from ours (``and``, ``not``, ``in``, chained comparisons) are
    refused, and so is arithmetic on constants alone, which Python would compute
    with unbounded integers and strings.
    """

    def __init__(
        self,
        *,
        code: str,
        subject: str,
        known: Collection[str] | None,
        source: str | None,
        path: str | None,
        python_semantics: bool,
        text_names: Collection[str] = frozenset(),
    ) -> None:
        self.text_names = frozenset(text_names)
        self.code = code
        self.subject = subject
        self.known = known
        self.source = source
        self.path = path
        self.python_semantics = python_semantics
        self.names: set[str] = set()

    def fail(self, message: str) -> NoReturn:
        raise ExpressionError(f"{self.subject} {message}", source=self.source, path=self.path)

    def forbid(self, what: str, node: ast.AST) -> NoReturn:
        self.fail(f"uses {what} ({_snippet(self.code, node)!r}), which specs may not use")

    def check(self, node: ast.AST) -> None:
        method = getattr(self, f"check_{type(node).__name__}", None)
        if method is not None:
            method(node)
        elif type(node) in _FORBIDDEN:
            self.forbid(_FORBIDDEN[type(node)], node)
        else:
            self.forbid(f"the Python construct {type(node).__name__}", node)

    # leaves ---------------------------------------------------------------

    def check_Constant(self, node: ast.Constant) -> None:
        if type(node.value) not in (int, float, str, bool, type(None)):
            self.forbid(f"a constant of type {type(node.value).__name__}", node)

    def check_Name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("_"):
            self.fail(
                f"uses the name '{name}', which starts with an underscore; specs may not use such names"
            )
        if name in CONSTANTS:
            return
        if self.known is not None and name not in self.known:
            self.fail(f"uses {_unknown_name_message(name, self.known)}")
        self.names.add(name)

    def check_List(self, node: ast.List | ast.Tuple) -> None:
        kind = "list" if isinstance(node, ast.List) else "tuple"
        self.fail(
            f"uses a {kind} literal ({_snippet(self.code, node)!r}) outside 'in [...]'; "
            "specs may use lists only after 'in' or 'not in'"
        )

    check_Tuple = check_List

    # operators ------------------------------------------------------------

    def check_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in _BINARY_OPERATORS:
            self.forbid(f"the operator '{_OTHER_SYMBOLS.get(type(node.op), type(node.op).__name__)}'", node)
        symbol = _BINARY_OPERATORS[type(node.op)][0]
        for side in (node.left, node.right):
            # Python repeats a text times a number ('ab' * 3): inside a formula's I(),
            # str(x) * 1000000000 would build gigabytes. The interpreter refuses any
            # arithmetic but '+' on text too; refusing it here, before anything runs,
            # gives both the same language.
            if not isinstance(node.op, ast.Add) and _is_text_node(side, self.text_names):
                self.fail(f"uses '{symbol}' on text ({_snippet(self.code, node)!r}); only '+' joins texts")
        if self.python_semantics and not (_uses_variables(node.left) or _uses_variables(node.right)):
            self.fail(
                f"computes with constants only ({_snippet(self.code, node)!r}) inside a formula; "
                "write the resulting number instead"
            )
        self.check(node.left)
        self.check(node.right)

    def check_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            if self.python_semantics:
                self.fail("uses 'not' inside a formula; define a derived variable instead")
        elif not isinstance(node.op, (ast.USub, ast.UAdd)):
            self.forbid(f"the operator '{_OTHER_SYMBOLS.get(type(node.op), type(node.op).__name__)}'", node)
        elif _is_text_node(node.operand, self.text_names):
            self.fail(f"uses a sign on text ({_snippet(self.code, node)!r}); signs apply to numbers")
        self.check(node.operand)

    def check_BoolOp(self, node: ast.BoolOp) -> None:
        if self.python_semantics:
            word = "and" if isinstance(node.op, ast.And) else "or"
            self.fail(f"uses '{word}' inside a formula; define a derived variable instead")
        for value in node.values:
            self.check(value)

    def check_Compare(self, node: ast.Compare) -> None:
        membership = [op for op in node.ops if isinstance(op, (ast.In, ast.NotIn))]
        for op in node.ops:
            if type(op) not in _COMPARISONS and not isinstance(op, (ast.In, ast.NotIn)):
                self.forbid(f"the operator '{_OTHER_SYMBOLS.get(type(op), type(op).__name__)}'", node)
        if self.python_semantics and (membership or len(node.ops) > 1):
            what = "'in'" if membership else "a chained comparison"
            self.fail(
                f"uses {what} ({_snippet(self.code, node)!r}) inside a formula; "
                "define a derived variable instead"
            )
        if membership and len(node.ops) > 1:
            self.fail(f"chains 'in' with other comparisons ({_snippet(self.code, node)!r}); use 'and'")
        self.check(node.left)
        for comparator in node.comparators:
            if membership:
                self._check_membership_list(comparator)
            else:
                self.check(comparator)

    def _check_membership_list(self, node: ast.AST) -> None:
        if not isinstance(node, (ast.List, ast.Tuple)):
            self.fail(
                f"uses 'in' with {_snippet(self.code, node)!r}; 'in' must be followed by a list "
                "of constants, e.g. x in ['a', 'b']"
            )
        for element in node.elts:
            if not _is_constant_literal(element):
                self.fail(
                    f"uses {_snippet(self.code, element)!r} in an 'in' list; the list may hold "
                    "only constants (numbers, quoted text, True, False, None)"
                )

    # calls ----------------------------------------------------------------

    def check_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            self.check(node.func)  # names the attribute access, lambda, ... if there is one
            self.fail(f"calls {_snippet(self.code, node.func)!r}, which is not a function name")
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            self.fail(
                f"calls '{name}', which is not an allowed function; allowed: {', '.join(sorted(FUNCTIONS))}"
            )
        for keyword_ in node.keywords:
            given = f"{keyword_.arg}=" if keyword_.arg else "**"
            self.fail(f"calls '{name}' with the keyword argument '{given}'; pass arguments by position")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.forbid(_FORBIDDEN[ast.Starred], arg)
        count = len(node.args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            if function.max_args is None:
                expected = f"at least {function.min_args}"
            elif function.min_args == function.max_args:
                expected = str(function.min_args)
            else:
                expected = f"{function.min_args} to {function.max_args}"
            self.fail(f"calls '{name}' with {count} argument(s); it takes {expected}")
        if name == "round" and count == 2:
            digits = node.args[1]
            if not (_is_constant_literal(digits) and type(_literal_value(digits)) is int):
                self.fail(
                    "calls 'round' with digits that are not a whole number written out, e.g. round(x, 2)"
                )
            if abs(_literal_value(digits)) > _ROUND_DIGITS_LIMIT:
                self.fail(f"calls 'round' with more than {_ROUND_DIGITS_LIMIT} digits")
        for arg in node.args:
            self.check(arg)


#: Functions whose result is text whatever their arguments.
_TEXT_FUNCTIONS = frozenset({"str", "concat"})


def _is_text_node(node: ast.AST, text_names: Collection[str]) -> bool:
    """Whether ``node`` is text before any data is seen: a quoted constant, str()/concat(),
    a variable named in ``text_names``, texts joined by '+', or where() choosing a text."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id in text_names
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in _TEXT_FUNCTIONS:
            return True
        if node.func.id == "where" and len(node.args) == 3:
            return any(_is_text_node(arg, text_names) for arg in node.args[1:])
        return False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text_node(node.left, text_names) or _is_text_node(node.right, text_names)
    return False


def is_text_expression(text: str, text_names: Collection[str] = ()) -> bool:
    """Whether an (already checked) expression is text whatever the data, given the text variables.

    >>> is_text_expression("concat(g, '-', x)"), is_text_expression("x + 1")
    (True, False)
    """
    try:
        tree = ast.parse(" ".join(text.split()), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return _is_text_node(tree.body, text_names)


def check_tree(
    node: ast.AST,
    *,
    code: str,
    subject: str,
    known: Collection[str] | None = None,
    source: str | None = None,
    path: str | None = None,
    python_semantics: bool = False,
    text_names: Collection[str] = (),
) -> frozenset[str]:
    """Check a parsed (sub)tree against the whitelist; return the variable names it reads.

    ``code`` is the text the tree was parsed from (quoted in messages) and
    ``subject`` how a message names the whole thing (``"expression 'a + b'"``).
    ``python_semantics`` is for trees that Python itself will evaluate: a
    formula's ``I(...)`` and function arguments (see :mod:`validator.spec.formulas`).
    ``text_names`` are the variables known to hold text; arithmetic other than
    ``+`` on them, as on any other text, is refused.
    """
    checker = _Checker(
        code=code,
        subject=subject,
        known=None if known is None else frozenset(known),
        source=source,
        path=path,
        python_semantics=python_semantics,
        text_names=text_names,
    )
    try:
        checker.check(node)
    except RecursionError:
        checker.fail("is too deeply nested")
    return frozenset(checker.names)


def _prepare(text: object, source: str | None, path: str | None) -> str:
    """The text as Python will parse it: one line, no surrounding blanks."""
    if not isinstance(text, str):
        raise ExpressionError(
            f"an expression must be text, not {type(text).__name__} ({text!r})", source=source, path=path
        )
    # YAML block scalars bring newlines; eval mode wants a single line.
    code = " ".join(text.split())
    if not code:
        raise ExpressionError("the expression is empty", source=source, path=path)
    if len(code) > MAX_LENGTH:
        raise ExpressionError(
            f"expression of {len(code)} characters is longer than the limit of {MAX_LENGTH}",
            source=source,
            path=path,
        )
    return code


def _parse(text: str, subject: str, source: str | None, path: str | None) -> ast.Expression:
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        column = f" at column {exc.offset}" if exc.offset else ""
        reason = (exc.msg or "invalid syntax").split(" (")[0]
        raise ExpressionError(
            f"{subject} does not parse: {reason}{column}", source=source, path=path
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"{subject} is too deeply nested to parse", source=source, path=path) from None


def _parse_checked(
    text: object, known: Collection[str] | None, source: str | None, path: str | None
) -> tuple[ast.Expression, frozenset[str]]:
    code = _prepare(text, source, path)
    subject = f"expression {quote_for_message(code)}"
    tree = _parse(code, subject, source, path)
    names = check_tree(tree.body, code=code, subject=subject, known=known, source=source, path=path)
    return tree, names


# --------------------------------------------------------------------------
# Evaluation: an interpreter over the checked node types
# --------------------------------------------------------------------------


def _constant(value: Any) -> Any:
    # Integers beyond int64 would make object columns; read them as floats.
    if type(value) is int and not -(2**63) <= value < 2**63:
        return float(value)
    return value


class _Interpreter:
    """Evaluates a checked tree on a frame; every node becomes a Series or a scalar."""

    def __init__(self, frame: pd.DataFrame, tolerance: float = 0.0) -> None:
        self.frame = frame
        self.index = frame.index
        self.tolerance = tolerance

    def series(self, node: ast.AST) -> pd.Series:
        return _broadcast(self.visit(node), self.index)

    def visit(self, node: ast.AST) -> Value:
        if _is_constant_literal(node):  # -2 too: round(x, -2) needs its digits as a number
            return _constant(_literal_value(node))
        if isinstance(node, ast.Name):
            return self.variable(node.id)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BoolOp):
            values = [_as_boolean(self.series(value), "'and'/'or'") for value in node.values]
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            return functools.reduce(combine, values)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            return FUNCTIONS[node.func.id].implementation(*(self.visit(arg) for arg in node.args))
        raise AssertionError(f"unchecked node {type(node).__name__}")  # the checker refuses all others

    def variable(self, name: str) -> Value:
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name not in self.frame.columns:
            close = difflib.get_close_matches(name, [str(column) for column in self.frame.columns], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _EvaluationProblem(f"variable '{name}' is not in the data{hint}")
        column = self.frame[name]
        if isinstance(column, pd.DataFrame):
            raise _EvaluationProblem(f"variable '{name}' names more than one column of the data")
        return column

    def binary(self, node: ast.BinOp) -> pd.Series:
        symbol, op = _BINARY_OPERATORS[type(node.op)]
        left, right = self.series(node.left), self.series(node.right)
        text_left, text_right = _is_text(left), _is_text(right)
        if isinstance(node.op, ast.Add) and (text_left or text_right):
            if text_left and text_right:
                return left + right
            raise _EvaluationProblem("'+' joins text only with text; use concat() to join text and numbers")
        what = f"'{symbol}'"
        left, right = _numeric(left, what), _numeric(right, what)
        if isinstance(node.op, ast.Pow):
            # Integer powers overflow silently and refuse negative exponents.
            left, right = left.astype("float64"), right.astype("float64")
        return cast("pd.Series", op(left, right))

    def unary(self, node: ast.UnaryOp) -> pd.Series:
        operand = self.series(node.operand)
        if isinstance(node.op, ast.Not):
            return ~_as_boolean(operand, "'not'")
        number = _numeric(operand, "unary minus" if isinstance(node.op, ast.USub) else "unary plus")
        return -number if isinstance(node.op, ast.USub) else number

    def compare(self, node: ast.Compare) -> pd.Series:
        left = self.series(node.left)
        op = node.ops[0]
        if isinstance(op, (ast.In, ast.NotIn)):
            comparator = node.comparators[0]
            assert isinstance(comparator, (ast.List, ast.Tuple))
            values = [_constant(_literal_value(element)) for element in comparator.elts]
            found = _missing_to_na(left.isin(values), left)
            return ~found if isinstance(op, ast.NotIn) else found
        result: pd.Series | None = None
        for op, comparator in zip(node.ops, node.comparators):
            symbol, function = _COMPARISONS[type(op)]
            label = self.visit(comparator)
            if _is_category_label(left, label) and isinstance(op, (ast.Eq, ast.NotEq)):
                # A categorical against one text: pandas compares the codes, where a
                # column of that text repeated on every row is compared row by row.
                step = _missing_to_na(function(left, label), left)
                result = step if result is None else result & step
                left = _broadcast(label, self.index)
                continue
            right = _broadcast(label, self.index)
            step = _compare(function, symbol, left, right, self.tolerance)
            result = step if result is None else result & step
            left = right
        assert result is not None
        return result


@dataclass(frozen=True)
class Expression:
    """A parsed, whitelisted expression; ``names`` are the variables it reads.

    Construct it with :func:`parse_expression`. Constructing it directly checks
    ``text`` against the whitelist again, so an Expression never holds code that
    was not checked. ``source`` and ``path`` only serve error messages.
    """

    text: str
    names: frozenset[str]
    source: str | None = field(default=None, compare=False, kw_only=True)
    path: str | None = field(default=None, compare=False, kw_only=True)
    _tree: ast.Expression = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        tree, names = _parse_checked(self.text, None, self.source, self.path)
        if names != self.names:
            raise ValueError(f"Expression names {sorted(self.names)} differ from those read by {self.text!r}")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "_tree", tree)

    def evaluate(self, frame: pd.DataFrame, *, tolerance: float = 0.0) -> pd.Series:
        """Evaluate elementwise on ``frame`` (one value per row, index kept).

        Names are read as columns of ``frame``; constants are repeated on every
        row. See the module docstring for the treatment of missing values.
        With ``tolerance`` (constraints use :data:`CONSTRAINT_TOLERANCE`), numbers
        compared by ``== != < <= > >=`` count as equal when they differ by at most
        ``tolerance * max(1, |a|, |b|)``: ``a <= b`` holds when ``a <= b + slack``,
        ``a < b`` when ``a < b - slack``.
        Raises ExpressionError when a variable is not a column of ``frame`` or
        the values do not suit an operation (text in arithmetic).
        """
        try:
            with np.errstate(all="ignore"):
                value = _Interpreter(frame, tolerance).visit(self._tree.body)
        except (_EvaluationProblem, TypeError, ValueError, ArithmeticError) as exc:
            message = f"expression {quote_for_message(self.text)} cannot be evaluated: {exc}"
            raise ExpressionError(message, source=self.source, path=self.path) from None
        result = _broadcast(value, frame.index).copy(deep=False)
        result.name = None
        return cast("pd.Series", result)


def parse_expression(
    text: str,
    known: Collection[str] | None = None,
    *,
    source: str | None = None,
    path: str | None = None,
) -> Expression:
    """Parse ``text``, reject anything outside the whitelist (ExpressionError naming source and path).

    The whitelist is the language of the module docstring. With ``known``,
    every variable must be one of ``known`` (an unknown one is reported with the
    closest known name). Nothing in ``text`` is ever executed.

    >>> sorted(parse_expression("(belief_t1 + belief_both) / 100", ["belief_t1", "belief_both"]).names)
    ['belief_both', 'belief_t1']
    """
    _, names = _parse_checked(text, known, source, path)
    return Expression(text, names, source=source, path=path)

"""Validated string types shared by the recipe models.

Each type is an ``Annotated[str, ...]`` whose validators raise pydantic custom
errors with the project's messages, so pydantic reports them together with the
schema errors, each at the field's own location.
"""

from __future__ import annotations

import re
import shlex
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from llb.recipe import json_rules as J
from llb.recipe import limits
from llb.recipe.interpolation import TemplateError, parse_template, starts_reference

RESERVED_PREFIX = "DEVZERO_"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\$?\Z")
_PERMISSIONS = re.compile(r"(?:[0-7]{3,4}|(?:[r-][w-][x-]){3})\Z")
_SUB_PATH = re.compile(r"[A-Za-z0-9._-]+\Z")
_PACKAGE = re.compile(r"[^\s-]\S*\Z")

REFERENCE_PLACES = (
    "secret references are only allowed in environment values, file content, "
    "secret_mounts values and credentials; commands read secrets through 'environment' and $NAME"
)


def fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("recipe", message)


def no_references(text: str) -> str:
    if starts_reference(text):
        raise fail(REFERENCE_PLACES)
    return text


def template(text: str) -> str:
    try:
        parse_template(text)
    except TemplateError as exc:
        raise fail(str(exc)) from None
    return text


def not_empty(text: str) -> str:
    if not text.strip():
        raise fail("must not be empty")
    return text


def gpu_count(value: object) -> bool | int:
    """``true``/``false`` or a number of GPUs; text such as "2" is an error, not parsed."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and value >= 0:
        return value
    raise fail(f"expected true, false or a number of GPUs (0 or more), not {value!r}")


def empty_is_unset(value: object) -> object:
    return None if value == "" else value


def absolute_path(text: str) -> str:
    check_no_expansion(text)
    if not text.startswith("/"):
        raise fail(f"path must be absolute (start with '/'): {text!r}")
    return text


def check_no_expansion(text: str) -> str:
    if "\0" in text:
        raise fail("paths must not contain NUL characters")
    if len(text) > limits.MAX_PATH_LENGTH:
        raise fail(f"path is longer than {limits.MAX_PATH_LENGTH} characters")
    if text.startswith("~") or "$" in text:
        raise fail(
            "'~' and '$' are not expanded in paths; write the absolute path, e.g. /home/devzero/..."
        )
    return text


def env_name(text: str) -> str:
    if not _ENV_NAME.match(text):
        raise fail(f"invalid variable name {text!r}; names match [A-Za-z_][A-Za-z0-9_]*")
    if text.startswith(RESERVED_PREFIX):
        raise fail(f"the prefix {RESERVED_PREFIX} is reserved for the platform: {text!r}")
    return text


def user_name(text: str) -> str:
    if not _USER_NAME.match(text):
        raise fail(f"invalid user or group name {text!r}")
    return text


def permissions(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise fail('quote the permissions value, e.g. "0644"')
    if isinstance(value, str) and not _PERMISSIONS.match(value):
        raise fail(
            f'invalid permissions {value!r}; use octal like "0644" or symbolic like "rw-r--r--"'
        )
    return value


def shell_template(text: str) -> str:
    if "{}" not in text:
        raise fail("shell must contain '{}' where the script path goes, e.g. /bin/bash -l {}")
    try:
        argv = shlex.split(text.replace("{}", "/tmp/script"))
    except ValueError as exc:
        raise fail(f"shell cannot be split into arguments: {exc}") from None
    if not argv:
        raise fail("shell must name an interpreter")
    return no_references(text)


def script(text: str) -> str:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_SCRIPT_BYTES:
        raise fail(f"script is {size} bytes; at most {limits.MAX_SCRIPT_BYTES} are allowed")
    return no_references(not_empty(text))


def file_content(text: str) -> str:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_FILE_CONTENT_BYTES:
        raise fail(f"content is {size} bytes; at most {limits.MAX_FILE_CONTENT_BYTES} are allowed")
    return template(text)


def package_name(text: str) -> str:
    if not _PACKAGE.match(text):
        raise fail(f"invalid package {text!r}: no whitespace, must not start with '-'")
    return no_references(text)


def sub_path(text: str) -> str:
    if not _SUB_PATH.match(text):
        raise fail(f"invalid sub_path {text!r}; use letters, digits, '.', '_' and '-'")
    return text


_NO_REF = J.rules(J.NO_REFERENCE)
PlainText = Annotated[str, AfterValidator(no_references), _NO_REF]
Label = Annotated[str, AfterValidator(no_references), _NO_REF]
TemplateText = Annotated[str, AfterValidator(template), J.rules(J.TEMPLATE)]
AbsolutePath = Annotated[
    str,
    AfterValidator(no_references),
    AfterValidator(absolute_path),
    J.rules(J.NO_REFERENCE, J.PATH, J.ABSOLUTE, maxLength=limits.MAX_PATH_LENGTH),
]
RelativeOrAbsolutePath = Annotated[
    str,
    AfterValidator(no_references),
    AfterValidator(check_no_expansion),
    J.rules(J.NO_REFERENCE, J.PATH, maxLength=limits.MAX_PATH_LENGTH),
]
EnvName = Annotated[str, AfterValidator(env_name), J.rules(J.ENV_NAME)]
UserName = Annotated[
    str, AfterValidator(no_references), AfterValidator(user_name), J.rules(J.USER_NAME)
]
Permissions = Annotated[str, BeforeValidator(permissions), J.rules(J.PERMISSIONS)]
ShellTemplate = Annotated[str, AfterValidator(shell_template), J.rules(J.NO_REFERENCE, J.SHELL)]
Script = Annotated[str, AfterValidator(script), J.rules(J.NO_REFERENCE, J.NOT_EMPTY)]
FileContent = Annotated[str, AfterValidator(file_content), J.rules(J.TEMPLATE)]
PackageName = Annotated[str, AfterValidator(package_name), J.rules(J.NO_REFERENCE, J.PACKAGE)]
SubPath = Annotated[str, AfterValidator(sub_path), J.rules(J.SUB_PATH)]
NonEmptyPlain = Annotated[
    str,
    AfterValidator(no_references),
    AfterValidator(not_empty),
    J.rules(J.NO_REFERENCE, J.NOT_EMPTY),
]
Url = Annotated[
    str,
    AfterValidator(no_references),
    AfterValidator(not_empty),
    Field(max_length=2048),
    J.rules(J.NO_REFERENCE, J.NOT_EMPTY),
]
GpuCount = Annotated[
    bool | int,
    PlainValidator(gpu_count),
    WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0}]}),
]

"""AWS CloudFormation / SAM templates (docs/SEMANTICS.md#aws-lambda-via-sam): the template as one object whose
``Parameters`` and ``Resources`` the Lambda properties read (intrinsics in their long form, ``{"Ref": …}``)."""

from __future__ import annotations

from typing import Any, ClassVar

from cnverify.model.base import Node, Resource, register_kind
from pydantic import Field, field_validator

CFN_GROUP = "cloudformation.amazonaws.com"  # not an API group: the kind cnverify gives a template
SAM_FUNCTION, LAMBDA_FUNCTION = "AWS::Serverless::Function", "AWS::Lambda::Function"
LAMBDA_ALIAS, LAMBDA_VERSION = "AWS::Lambda::Alias", "AWS::Lambda::Version"


def with_globals(props: dict[str, Any], defaults: Any) -> dict[str, Any]:
    """A SAM function's properties after SAM merges ``Globals.Function`` into them: maps merge key by key, the
    function's own value wins otherwise (samtranslator/plugins/globals)."""
    if not isinstance(defaults, dict):
        return props
    out = dict(defaults)
    for key, value in props.items():
        given = out.get(key)
        out[key] = with_globals(value, given) if isinstance(value, dict) and isinstance(given, dict) else value
    return out


@register_kind(CFN_GROUP, "Template")
class Template(Resource):
    """One template; its name is the file's name, its namespace ``aws``."""

    APPLY_IDENTITY: ClassVar[bool] = False
    parameters: dict[str, Any] = Field(default_factory=dict, alias="Parameters")
    resources: dict[str, Any] = Field(default_factory=dict, alias="Resources")
    globals_: dict[str, Any] = Field(default_factory=dict, alias="Globals")

    def of_type(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        """(logical id, properties) of the resources of these types, in template order (a SAM function's with
        ``Globals.Function`` merged in)."""
        return [
            (rid, self.properties(r.get("Properties") or {}, r.get("Type")))
            for rid, r in self.resources.items()
            if isinstance(r, dict) and r.get("Type") in types and isinstance(r.get("Properties") or {}, dict)
        ]

    def properties(self, props: dict[str, Any], kind: Any) -> dict[str, Any]:
        return with_globals(props, self.globals_.get("Function")) if kind == SAM_FUNCTION else props


ACCOUNT_GROUP = "lambda.cnverify.io"  # cnverify's own input kind, not an AWS API


class AccountSpec(Node):
    concurrent_executions: int  # the account's Lambda concurrency quota in the region (GetAccountSettings)

    @field_validator("concurrent_executions")
    @classmethod
    def _not_negative(cls, v: int) -> int:
        if v < 0:
            raise ValueError(f"concurrentExecutions {v} is negative")
        return v


@register_kind(ACCOUNT_GROUP, "Account")
class LambdaAccount(Resource):
    """The AWS account (one region) the templates deploy to, declared for cnverify: its Lambda concurrency quota
    (``ConcurrentExecutions`` of GetAccountSettings; 1,000 by default, raised on request), which no template shows."""

    spec: AccountSpec

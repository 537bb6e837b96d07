"""AWS CloudFormation / SAM templates (docs/SEMANTICS.md#aws-lambda-via-sam): the template as one object whose
``Parameters`` and ``Resources`` the Lambda properties read (intrinsics in their long form, ``{"Ref": …}``)."""

from __future__ import annotations

from typing import Any, ClassVar

from cnverify.model.base import Resource, register_kind
from pydantic import Field

CFN_GROUP = "cloudformation.amazonaws.com"  # not an API group: the kind cnverify gives a template
SAM_FUNCTION, LAMBDA_FUNCTION = "AWS::Serverless::Function", "AWS::Lambda::Function"
LAMBDA_ALIAS, LAMBDA_VERSION = "AWS::Lambda::Alias", "AWS::Lambda::Version"


@register_kind(CFN_GROUP, "Template")
class Template(Resource):
    """One template; its name is the file's name, its namespace ``aws``."""

    APPLY_IDENTITY: ClassVar[bool] = False
    parameters: dict[str, Any] = Field(default_factory=dict, alias="Parameters")
    resources: dict[str, Any] = Field(default_factory=dict, alias="Resources")
    globals_: dict[str, Any] = Field(default_factory=dict, alias="Globals")

    def of_type(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        """(logical id, properties) of the resources of these types, in template order."""
        return [
            (rid, r.get("Properties") or {})
            for rid, r in self.resources.items()
            if isinstance(r, dict) and r.get("Type") in types and isinstance(r.get("Properties") or {}, dict)
        ]

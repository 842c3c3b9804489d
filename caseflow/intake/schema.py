"""drf-spectacular: how the partner token appears in the OpenAPI schema (loaded in
``IntakeConfig.ready``)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "caseflow.intake.authentication.PartnerTokenAuthentication"
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The partner's token, as `Token <token>`. One active token per partner; "
            "issuing a new one revokes the old.",
        }

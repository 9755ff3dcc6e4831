"""Online prediction and prediction tokens in the OpenAPI document."""

from controllers.openapi.building import TEXT, body, json_response, list_of, obj, operation, ref
from entity.token import DEFAULT_EXPIRY, EXPIRY_CHOICES


def paths():
    """{path: {method: operation}} of this area."""
    rows = obj(["rows"], rows={"type": "array", "items": {"type": "object"}})
    split = obj(
        ["columns", "data"],
        columns={"type": "array", "items": TEXT},
        data={"type": "array", "items": {"type": "array"}},
    )
    answer = obj(
        ["model_version", "request_id", "predictions"],
        model_version={"type": "integer"},
        request_id=TEXT,
        predictions={"type": "array"},
        probabilities={},
    )
    return {
        "/projects/{project_id}/predict": {
            "post": operation(
                "Predict rows with the production model (a prediction token works too).",
                "admin",
                {"200": json_response(answer)},
                request=body({"oneOf": [rows, split]}),
                errors=("409", "422"),
            )
        },
        "/projects/{project_id}/prediction-tokens": {
            "post": operation(
                "Create a project prediction token.",
                "admin",
                {"201": json_response(ref("NewToken"), "Created")},
                request=body(
                    obj(
                        name=TEXT, expires={"enum": list(EXPIRY_CHOICES), "default": DEFAULT_EXPIRY}
                    )
                ),
            ),
            "get": operation(
                "The project's prediction tokens.",
                "admin",
                {"200": json_response(list_of(ref("Token"), "tokens"))},
            ),
        },
        "/projects/{project_id}/prediction-tokens/{token_id}": {
            "delete": operation(
                "Revoke a prediction token.", "admin", {"204": {"description": "Revoked"}}
            )
        },
    }

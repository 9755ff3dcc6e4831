"""Storage connections and their files in the OpenAPI document."""

from controllers.openapi.building import (
    TEXT,
    body,
    file_response,
    json_response,
    obj,
    operation,
    parameter,
    ref,
)


def paths():
    """{path: {method: operation}} of this area."""
    path = parameter(
        "path",
        "query",
        TEXT,
        required=True,
        description="Relative to the connection's root, '/' between folders.",
    )
    connection_body = obj(
        ["name", "provider", "settings"],
        name=TEXT,
        provider={"enum": ["s3", "azure", "gcs", "local"]},
        settings={"type": "object", "additionalProperties": TEXT},
    )
    return {
        "/connections": {
            "get": operation(
                "The workspace's storage connections.",
                "viewer",
                {"200": json_response({"type": "array", "items": ref("Connection")})},
            ),
            "post": operation(
                "Add a storage connection.",
                "owner",
                {"201": json_response(ref("Connection"), "Created")},
                request=body(connection_body),
                errors=("409",),
            ),
        },
        "/connections/{connection_id}": {
            "get": operation(
                "One connection, secrets masked.",
                "owner",
                {"200": json_response(ref("Connection"))},
            ),
            "patch": operation(
                "Change a connection.",
                "owner",
                {"200": json_response(ref("Connection"))},
                request=body(obj(name=TEXT, settings={"type": "object"})),
                errors=("409",),
            ),
            "delete": operation(
                "Delete a connection (its files stay).",
                "owner",
                {"204": {"description": "Deleted"}},
                errors=("409",),
            ),
        },
        "/connections/{connection_id}/test": {
            "post": operation(
                "Check that the connection works.",
                "owner",
                {"200": json_response(obj(["ok", "message"], ok={}, message=TEXT))},
                errors=("502",),
            )
        },
        "/connections/{connection_id}/files": {
            "get": operation(
                "One level of a folder.",
                "viewer",
                {"200": json_response(ref("Listing"))},
                query=[
                    {**path, "required": False},
                    parameter("page", "query", TEXT),
                    parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
                ],
                errors=("502",),
            ),
            "put": operation(
                "Upload a file (the raw bytes are the body).",
                "admin",
                {
                    "201": json_response(
                        obj(["path", "size"], path=TEXT, size={"type": "integer"}), "Stored"
                    )
                },
                request=body({"type": "string", "format": "binary"}, "application/octet-stream"),
                query=[path],
                errors=("409", "502"),
            ),
            "delete": operation(
                "Delete a file, or a folder with all it holds.",
                "admin",
                {"204": {"description": "Deleted"}},
                query=[path],
                errors=("502",),
            ),
        },
        "/connections/{connection_id}/files/content": {
            "get": operation(
                "Download a file.",
                "viewer",
                {"200": file_response("*/*", "The file's bytes")},
                query=[path],
                errors=("502",),
            )
        },
        "/connections/{connection_id}/folders": {
            "post": operation(
                "Create a folder (and its parents).",
                "admin",
                {"201": json_response(obj(["path"], path=TEXT), "Created")},
                request=body(obj(["path"], path=TEXT)),
                errors=("409", "502"),
            ),
        },
    }

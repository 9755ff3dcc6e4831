"""The pieces the OpenAPI document is written with: schemas, responses, parameters and
operations, so each area's paths read as a short table."""

from entity.validation import BATCHES
from entity.validators import INT64_MAX

COMMON_ERRORS = ("400", "401", "403", "404", "413", "429", "503")
ERROR_WORDS = {
    "400": "Invalid input: the message says which and why.",
    "401": "No token, or a wrong, revoked or expired one.",
    "403": "Your role in this workspace does not allow it.",
    "404": "Not found (an id of another workspace too).",
    "409": "Conflicts with the current state.",
    "413": "The body is larger than allowed.",
    "422": "Rows that break the prediction schema; every problem located.",
    "429": "Too many requests.",
    "502": "The storage provider failed.",
    "503": "Unavailable: the database is unreachable, or the model was refused.",
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind):
    return {"type": [kind, "null"]}


def obj(required=(), **properties):
    return {"type": "object", "required": list(required), "properties": properties}


def list_of(schema, key):
    return obj([key], **{key: {"type": "array", "items": schema}})


TEXT = {"type": "string"}
TIME = nullable("string")
ID = {"type": "string"}


def json_response(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def file_response(media_type, description):
    return {"description": description, "content": {media_type: {"schema": TEXT}}}


def parameter(name, where, schema, required=False, description=""):
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


def path_parameters(path):
    """The parameters a path template names: ids are text, a model version is a whole
    number, a batch kind is training or prediction."""
    kinds = {
        "kind": {"type": "string", "enum": list(BATCHES)},
        "version": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
    }
    names = [part[1:].split("}")[0] for part in path.split("/") if part.startswith("{")]
    return [parameter(name, "path", kinds.get(name, ID)) for name in names]


def operation(summary, role, ok, *, request=None, query=(), errors=(), public=False):
    """One operation: ``ok`` is {status: response}; every operation may answer the common
    errors, ``errors`` adds its own (409, 422, 502)."""
    responses = dict(ok)
    for status in sorted({*COMMON_ERRORS, *errors}):
        responses[status] = {"$ref": f"#/components/responses/E{status}"}
    described = {
        "summary": summary,
        "description": f"Needs the {role} role." if role else "",
        "parameters": list(query),
        "responses": responses,
    }
    if request is not None:
        described["requestBody"] = request
    if public:
        described["security"] = []
    return described


def body(schema, media_type="application/json"):
    return {"required": True, "content": {media_type: {"schema": schema}}}

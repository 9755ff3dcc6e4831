"""The audit trail: who did what, where, with which outcome, in a hash chain per workspace.

``record`` is the one way to write an event (it redacts secrets); ``verify`` walks the
chains; ``query`` and the exports read them back for the Audit page, the API and the CLI.
"""

from project_library.audit.export import export_csv, export_jsonl
from project_library.audit.query import ALL, PAGE_SIZE, query
from project_library.audit.recording import actor_of, record, system_actor, target_of
from project_library.audit.states import changed, connection_state, project_state
from project_library.audit.verification import verify

__all__ = [
    "ALL",
    "actor_of",
    "changed",
    "connection_state",
    "PAGE_SIZE",
    "export_csv",
    "export_jsonl",
    "project_state",
    "query",
    "record",
    "system_actor",
    "target_of",
    "verify",
]

"""Deletion that leaves nothing behind: a project, a model version, a run, a workspace.

``requests`` checks that a deletion may happen and records its job (``entity.deletion``);
``steps`` are what the job does, in order, each safe to run again; ``files`` deletes a
folder's files in listed batches and confirms they are gone; ``records`` drops the records.
``thread_layer.deletion`` runs the jobs, and resumes the ones whose process died.
"""

"""Every repository's indexes, created idempotently when the app starts."""

from entity.connection import ConnectionRepository
from entity.model_version import ModelVersionRepository
from entity.project import ProjectRepository
from entity.run import RunRepository
from entity.token import TokenRepository
from entity.user import UserRepository
from entity.validation import ValidationRepository
from entity.workspace import WorkspaceRepository
from logging_layer.run_log import RunLog

INDEX_CREATORS = [
    UserRepository.ensure_indexes,
    WorkspaceRepository.ensure_indexes,
    TokenRepository.ensure_indexes,
    ProjectRepository.ensure_indexes,
    ValidationRepository.ensure_indexes,
    RunRepository.ensure_indexes,
    ModelVersionRepository.ensure_indexes,
    RunLog.ensure_indexes,
    ConnectionRepository.ensure_indexes,
]


def ensure_indexes(db):
    for create in INDEX_CREATORS:
        create(db)

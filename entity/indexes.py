"""Every repository's indexes, created idempotently when the app starts."""

from entity.project import ProjectRepository
from entity.token import TokenRepository
from entity.user import UserRepository
from entity.validation import ValidationRepository
from entity.workspace import WorkspaceRepository

INDEX_CREATORS = [
    UserRepository.ensure_indexes,
    WorkspaceRepository.ensure_indexes,
    TokenRepository.ensure_indexes,
    ProjectRepository.ensure_indexes,
    ValidationRepository.ensure_indexes,
]


def ensure_indexes(db):
    for create in INDEX_CREATORS:
        create(db)

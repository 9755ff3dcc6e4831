"""Every repository's indexes, created idempotently when the app starts."""

from entity.token import TokenRepository
from entity.user import UserRepository
from entity.workspace import WorkspaceRepository

INDEX_CREATORS = [
    UserRepository.ensure_indexes,
    WorkspaceRepository.ensure_indexes,
    TokenRepository.ensure_indexes,
]


def ensure_indexes(db):
    for create in INDEX_CREATORS:
        create(db)

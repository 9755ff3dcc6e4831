"""The repositories of one database, handed to use cases as one argument.

Built once per process by the application factory (or a worker) from explicit settings; a
use case, a job or a test receives it and reaches every collection through it. Repositories
are cheap views over the process's one MongoClient, so each property builds a fresh one.
"""

from entity.audit import DEFAULT_RETENTION_DAYS, AuditRepository
from entity.connection import ConnectionRepository
from entity.db import database
from entity.deletion import DeletionRepository
from entity.model_version import ModelVersionRepository
from entity.outbox import OutboxRepository
from entity.project import ProjectRepository
from entity.run import RunRepository
from entity.run_log import RunLogRepository
from entity.schedule import ScheduleRepository
from entity.serving import ServingRepository
from entity.token import TokenRepository
from entity.user import UserRepository
from entity.validation import ValidationRepository
from entity.watcher import WatcherRepository
from entity.workspace import WorkspaceRepository

REPOSITORIES = (
    UserRepository,
    WorkspaceRepository,
    TokenRepository,
    ProjectRepository,
    ValidationRepository,
    RunRepository,
    RunLogRepository,
    ModelVersionRepository,
    ConnectionRepository,
    OutboxRepository,
    ScheduleRepository,
    WatcherRepository,
    ServingRepository,
    AuditRepository,
    DeletionRepository,
)


class Store:
    def __init__(
        self,
        uri,
        name,
        *,
        encryptor=None,
        files_root=None,
        provider_class=None,
        timeout_s=None,
        audit_retention_days=DEFAULT_RETENTION_DAYS,
    ):
        self.uri = uri
        self.name = name
        self.timeout_s = timeout_s  # seconds an operation waits for an unreachable database
        self.encryptor = encryptor
        self.files_root = files_root
        self.provider_class = provider_class
        self.audit_retention_days = audit_retention_days

    @property
    def db(self):
        return database(self.uri, self.name, self.timeout_s)

    def ensure_indexes(self):
        db = self.db
        for repository in REPOSITORIES:
            repository.ensure_indexes(db)
        AuditRepository.ensure_retention(db, self.audit_retention_days)

    @property
    def users(self):
        return UserRepository(self.db)

    @property
    def workspaces(self):
        return WorkspaceRepository(self.db)

    @property
    def tokens(self):
        return TokenRepository(self.db)

    @property
    def projects(self):
        return ProjectRepository(self.db)

    @property
    def validations(self):
        return ValidationRepository(self.db)

    @property
    def runs(self):
        return RunRepository(self.db)

    @property
    def run_logs(self):
        return RunLogRepository(self.db)

    @property
    def models(self):
        return ModelVersionRepository(self.db)

    @property
    def outbox(self):
        return OutboxRepository(self.db)

    @property
    def schedules(self):
        return ScheduleRepository(self.db)

    @property
    def watchers(self):
        return WatcherRepository(self.db)

    @property
    def serving(self):
        return ServingRepository(self.db)

    @property
    def audit(self):
        return AuditRepository(self.db)

    @property
    def deletions(self):
        return DeletionRepository(self.db)

    @property
    def connections(self):
        return ConnectionRepository(
            self.db, self.encryptor, self.files_root, provider_class=self.provider_class
        )

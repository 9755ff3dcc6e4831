"""Azure Blob Storage through azure-storage-blob (connection string, account key or SAS)."""

import logging

from cloud_storage.base import (
    CloudStorage,
    CountingReader,
    Entry,
    GuardedReader,
    Listing,
    SettingField,
    read_full,
)
from cloud_storage.paths import clean_path
from exception_layer.errors import Conflict, NotFound, StorageError, ValidationError

logger = logging.getLogger(__name__)

BLOCK_SIZE = 8 * 1024 * 1024
_UNREACHABLE = (
    "Cannot reach the storage endpoint. Check the account URL and that the service is up."
)
_DENIED = "Access denied. Check the account key, connection string or SAS token."
_NO_CONTAINER = "Container not found. Check the container name."


def translate(error, subject=""):
    from azure.core import exceptions as ax

    if isinstance(error, ax.ResourceNotFoundError):
        code = getattr(error, "error_code", None) or ""
        if code == "ContainerNotFound":
            logger.warning("azure request failed code=%s status=404", code)
            return StorageError(_NO_CONTAINER)
        logger.debug("azure blob not found code=%s", code)
        return NotFound(f"There is no file '{subject}'." if subject else "Not found.")
    if isinstance(error, ax.ClientAuthenticationError):
        logger.warning("azure authentication failed")
        return StorageError(_DENIED)
    if isinstance(error, ax.HttpResponseError):
        code = getattr(error, "error_code", None) or ""
        logger.warning("azure request failed code=%s status=%s", code, error.status_code)
        if error.status_code == 403:
            return StorageError(_DENIED)
        if code in ("InvalidResourceName", "OutOfRangeInput"):
            return StorageError("The container name is not valid.")
        return StorageError(
            f"The storage service refused the request ({code or error.status_code})."
        )
    if isinstance(error, ax.ServiceRequestError | ax.ServiceResponseError):
        logger.warning("azure endpoint unreachable error=%s", type(error).__name__)
        return StorageError(_UNREACHABLE)
    if isinstance(error, ValueError):
        return StorageError("The connection settings are not valid (check the connection string).")
    logger.warning("azure request failed error=%s", type(error).__name__)
    return StorageError("The storage service could not complete the request.")


def _errors():
    from azure.core.exceptions import AzureError

    return (AzureError, ValueError)


class AzureBlobStorage(CloudStorage):
    provider = "azure"
    label = "Azure Blob Storage"
    settings_schema = (
        SettingField("container", "Container", required=True, placeholder="team-data"),
        SettingField(
            "connection_string",
            "Connection string",
            secret=True,
            help="From the account's 'Access keys' page; or use account name + key, or a SAS.",
        ),
        SettingField("account_name", "Account name"),
        SettingField("account_key", "Account key", secret=True),
        SettingField("sas_token", "SAS token", secret=True, help="A container or account SAS."),
        SettingField(
            "account_url",
            "Account URL",
            help="Defaults to https://<account name>.blob.core.windows.net.",
        ),
    )

    def __init__(
        self,
        container,
        *,
        client=None,
        connection_string=None,
        account_name=None,
        account_key=None,
        sas_token=None,
        account_url=None,
        connect_timeout=3,
        read_timeout=20,
        attempts=2,
        block_size=BLOCK_SIZE,
        concurrency=3,
        api_version=None,
    ):
        self.container = container
        self._service = client
        self._settings = {
            "connection_string": connection_string,
            "account_name": account_name,
            "account_key": account_key,
            "sas_token": sas_token,
            "account_url": account_url,
        }
        self._options = {
            "connection_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "retry_total": max(0, attempts - 1),
            "retry_connect": max(0, attempts - 1),
            "retry_read": max(0, attempts - 1),
            "max_block_size": block_size,
            "max_single_put_size": block_size,
            "max_single_get_size": block_size,
            "max_chunk_get_size": block_size,
        }
        if api_version:
            self._options["api_version"] = api_version
        self.concurrency = concurrency
        self.block_size = block_size
        self._container_client = None

    @classmethod
    def from_settings(cls, settings, **options):
        return cls(
            settings["container"],
            **{k: v for k, v in settings.items() if k != "container"},
            **options,
        )

    @classmethod
    def check_settings(cls, settings):
        if settings.get("connection_string"):
            return
        if settings.get("account_name") and settings.get("account_key"):
            return
        if settings.get("sas_token") and (
            settings.get("account_url") or settings.get("account_name")
        ):
            return
        raise ValidationError(
            "Enter a connection string, or an account name and key, or a SAS token with the "
            "account name or URL."
        )

    @property
    def container_client(self):
        if self._container_client is None:
            if self._service is None:
                self._service = self._build_service()
            self._container_client = self._service.get_container_client(self.container)
        return self._container_client

    def _build_service(self):
        from azure.storage.blob import BlobServiceClient

        s = self._settings
        try:
            if s["connection_string"]:
                return BlobServiceClient.from_connection_string(
                    s["connection_string"], **self._options
                )
            url = s["account_url"] or f"https://{s['account_name']}.blob.core.windows.net"
            if s["account_name"] and s["account_key"]:
                credential = {"account_name": s["account_name"], "account_key": s["account_key"]}
            else:
                credential = s["sas_token"].lstrip("?")
            return BlobServiceClient(url, credential=credential, **self._options)
        except (ValueError, TypeError) as error:
            raise StorageError(
                "The connection settings are not valid (check the connection string)."
            ) from error

    def _run(self, func, subject="", **kwargs):
        try:
            return func(**kwargs)
        except _errors() as error:
            raise translate(error, subject) from error

    # -- listing ----------------------------------------------------------------------
    def list(self, folder="", page=None, page_size=1000):
        folder = clean_path(folder)
        prefix = f"{folder}/" if folder else ""

        def first_page():
            pages = self.container_client.walk_blobs(
                name_starts_with=prefix or None, delimiter="/", results_per_page=page_size
            ).by_page(continuation_token=page or None)
            items = list(next(pages, []))
            return items, pages.continuation_token

        items, token = self._run(first_page, folder)
        listing = Listing(next=token or None)
        for item in items:
            if item.name.endswith("/"):
                path = item.name.rstrip("/")
                if item.name == prefix:
                    continue
                listing.folders.append(Entry(path.rsplit("/", 1)[-1], path, True))
            else:
                listing.files.append(
                    Entry(item.name[len(prefix) :], item.name, False, item.size, item.last_modified)
                )
        if folder and not page and not listing.folders and not listing.files and not listing.next:
            self.stat(folder)
        return listing

    def _blobs(self, prefix):
        return self._run(
            lambda: list(self.container_client.list_blobs(name_starts_with=prefix or None))
        )

    def _walk_files(self, folder):
        prefix = f"{folder}/" if folder else ""
        for item in self._blobs(prefix):
            if item.name.endswith("/"):
                continue
            yield Entry(
                item.name.rsplit("/", 1)[-1], item.name, False, item.size, item.last_modified
            )

    def stat(self, path):
        path = clean_path(path)
        if path == "":
            self._run(self.container_client.get_container_properties)
            return Entry("", "", True)
        try:
            props = self.container_client.get_blob_client(path).get_blob_properties()
            return Entry(path.rsplit("/", 1)[-1], path, False, props.size, props.last_modified)
        except _errors() as error:
            translated = translate(error, path)
            if not isinstance(translated, NotFound):
                raise translated from error

        def any_below():
            pages = self.container_client.list_blobs(
                name_starts_with=f"{path}/", results_per_page=1
            ).by_page()
            return bool(list(next(pages, [])))

        if self._run(any_below, path):
            return Entry(path.rsplit("/", 1)[-1], path, True)
        raise NotFound(f"There is no file or folder '{path}'.")

    # -- reading ----------------------------------------------------------------------
    def open_read(self, path):
        path = clean_path(path)
        blob = self.container_client.get_blob_client(path)
        downloader = self._run(blob.download_blob, path, max_concurrency=1)
        return GuardedReader(downloader.read, lambda error: translate(error, path), _errors())

    # -- writing ----------------------------------------------------------------------
    def write(self, path, stream, length=None):
        path = clean_path(path)
        if path == "":
            raise ValidationError("A file needs a name.")
        blob = self.container_client.get_blob_client(path)
        head = read_full(stream, self.block_size)
        if len(head) < self.block_size:
            # Small (or empty) files go in one request; the SDK's parallel path spins
            # forever on an empty stream of unknown length.
            self._run(blob.upload_blob, path, data=head, overwrite=True)
            return len(head)
        counter = CountingReader(_Prepend(head, stream))
        # Blocks are staged and committed at the end: a failed upload leaves nothing visible.
        self._run(
            blob.upload_blob,
            path,
            data=counter,
            overwrite=True,
            max_concurrency=self.concurrency,
        )
        return counter.count

    def delete_file(self, path):
        path = clean_path(path)
        if self.stat(path).is_folder:
            raise ValidationError(f"'{path}' is a folder; delete it as a folder.")
        self._run(self.container_client.delete_blob, path, blob=path)

    def delete_files(self, paths):
        """One request per blob, without the stat ``delete_file`` makes first."""
        for path in paths:
            self._delete_blob(clean_path(path))

    def _delete_blob(self, name):
        try:
            self.container_client.delete_blob(name)
        except _errors() as error:
            translated = translate(error, name)
            if not isinstance(translated, NotFound):
                raise translated from error

    def delete_folder(self, path):
        path = clean_path(path)
        if path == "":
            raise ValidationError("The root folder cannot be deleted.")
        names = [item.name for item in self._blobs(f"{path}/")]
        if not names:
            raise NotFound(f"There is no folder '{path}'.")
        for name in names:
            self._delete_blob(name)

    def make_folder(self, path):
        path = clean_path(path)
        if path == "":
            return
        try:
            self.container_client.get_blob_client(path).get_blob_properties()
        except _errors() as error:
            if not isinstance(translate(error, path), NotFound):
                raise translate(error, path) from error
        else:
            raise Conflict(f"A file named '{path}' already exists.")
        self._run(
            self.container_client.upload_blob, path, name=f"{path}/", data=b"", overwrite=True
        )

    def test_connection(self):
        self._run(self.container_client.get_container_properties)
        self._run(lambda: next(iter(self.container_client.list_blobs(results_per_page=1)), None))


class _Prepend:
    """A stream that yields ``head`` and then the rest of ``stream``."""

    def __init__(self, head, stream):
        self._head = head
        self._stream = stream

    def read(self, size=-1):
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)

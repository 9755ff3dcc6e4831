"""Google Cloud Storage through google-cloud-storage (service account, or an emulator)."""

import json
import logging

from cloud_storage.base import (
    CloudStorage,
    CountingReader,
    Entry,
    GuardedReader,
    Listing,
    SettingField,
)
from cloud_storage.paths import clean_path
from exception_layer.errors import Conflict, NotFound, StorageError, ValidationError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 8 * 1024 * 1024  # a multiple of 256 KiB, as resumable uploads require
_UNREACHABLE = "Cannot reach the storage endpoint. Check the endpoint and that the service is up."
_DENIED = "Access denied. Check the service account's permissions on this bucket."
_NO_BUCKET = "Bucket not found. Check the bucket name."


def translate(error, subject="", missing=None):
    """Map a Google client error to StorageError; ``missing`` is the error for a 404."""
    import requests
    from google.api_core import exceptions as gx
    from google.auth import exceptions as auth_errors

    if isinstance(error, gx.RetryError) and error.cause is not None:
        return translate(error.cause, subject, missing)
    if isinstance(error, gx.NotFound):
        if missing is not None:
            logger.warning("gcs request failed status=404")
            return missing
        logger.debug("gcs object not found")
        return NotFound(f"There is no file '{subject}'." if subject else "Not found.")
    if isinstance(error, gx.Forbidden | gx.Unauthorized):
        logger.warning("gcs access denied status=%s", error.code)
        return StorageError(_DENIED)
    if isinstance(error, auth_errors.RefreshError):
        return StorageError("Access denied: Google refused the service-account credentials.")
    if isinstance(error, auth_errors.TransportError | requests.ConnectionError | requests.Timeout):
        logger.warning("gcs endpoint unreachable error=%s", type(error).__name__)
        return StorageError(_UNREACHABLE)
    if isinstance(error, gx.RetryError):
        return StorageError(_UNREACHABLE)
    if isinstance(error, gx.GoogleAPICallError):
        logger.warning("gcs request failed status=%s", error.code)
        return StorageError(f"The storage service refused the request ({error.code}).")
    logger.warning("gcs request failed error=%s", type(error).__name__)
    return StorageError("The storage service could not complete the request.")


def _errors():
    import requests
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError

    try:
        from google.resumable_media.common import InvalidResponse
    except ImportError:  # pragma: no cover - moved in newer releases
        from google.cloud.storage._media.common import InvalidResponse
    return (GoogleAPIError, GoogleAuthError, requests.RequestException, InvalidResponse)


class GCSStorage(CloudStorage):
    provider = "gcs"
    label = "Google Cloud Storage"
    settings_schema = (
        SettingField("bucket", "Bucket", required=True, placeholder="my-team-data"),
        SettingField("project", "Project ID", placeholder="my-project"),
        SettingField(
            "endpoint",
            "Endpoint",
            help="Leave empty for Google Cloud; set it for an emulator or a private endpoint.",
            placeholder="http://127.0.0.1:9023",
        ),
        SettingField(
            "credentials_json",
            "Service-account key (JSON)",
            secret=True,
            multiline=True,
            help="Paste the JSON key file of a service account with access to the bucket.",
        ),
    )

    def __init__(
        self,
        bucket,
        *,
        client=None,
        project=None,
        endpoint=None,
        credentials_json=None,
        connect_timeout=3,
        read_timeout=20,
        retry_seconds=8,
        chunk_size=CHUNK_SIZE,
    ):
        self.bucket_name = bucket
        self._client = client
        self._project = project
        self._endpoint = endpoint
        self._credentials_json = credentials_json
        self._timeout = (connect_timeout, read_timeout)
        self._retry_seconds = retry_seconds
        self.chunk_size = chunk_size
        self._bucket = None

    @classmethod
    def from_settings(cls, settings, **options):
        return cls(
            settings["bucket"],
            project=settings.get("project"),
            endpoint=settings.get("endpoint"),
            credentials_json=settings.get("credentials_json"),
            **options,
        )

    @classmethod
    def check_settings(cls, settings):
        endpoint = settings.get("endpoint", "")
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise ValidationError("The endpoint must start with http:// or https://.")
        if not endpoint and not settings.get("credentials_json"):
            raise ValidationError(
                "Paste a service-account key (JSON), or set an emulator endpoint."
            )
        if settings.get("credentials_json"):
            _parse_credentials(settings["credentials_json"])

    @property
    def retry(self):
        from google.cloud.storage.retry import DEFAULT_RETRY

        return DEFAULT_RETRY.with_timeout(self._retry_seconds)

    @property
    def bucket(self):
        if self._bucket is None:
            if self._client is None:
                self._client = self._build_client()
            self._bucket = self._client.bucket(self.bucket_name)
        return self._bucket

    def _build_client(self):
        from google.cloud import storage

        options = {"api_endpoint": self._endpoint} if self._endpoint else None
        if self._credentials_json:
            from google.oauth2 import service_account

            info = _parse_credentials(self._credentials_json)
            try:
                credentials = service_account.Credentials.from_service_account_info(info)
            except (ValueError, KeyError) as error:
                raise StorageError("The service-account key is not a valid key file.") from error
            project = self._project or info.get("project_id")
        else:
            from google.auth.credentials import AnonymousCredentials

            credentials = AnonymousCredentials()
            project = self._project or "emulator"
        return storage.Client(project=project, credentials=credentials, client_options=options)

    def _run(self, func, subject="", missing=None, **kwargs):
        try:
            return func(**kwargs)
        except _errors() as error:
            raise translate(error, subject, missing) from error

    def _calls(self):
        return {"retry": self.retry, "timeout": self._timeout}

    # -- listing ----------------------------------------------------------------------
    def list(self, folder="", page=None, page_size=1000):
        folder = clean_path(folder)
        prefix = f"{folder}/" if folder else ""
        skip, server_token = _parse_token(page)

        def one_page():
            iterator = self.bucket.client.list_blobs(
                self.bucket,
                prefix=prefix or None,
                delimiter="/",
                max_results=page_size,
                page_token=server_token,
                **self._calls(),
            )
            page_obj = next(iterator.pages)
            return list(page_obj), sorted(page_obj.prefixes), iterator.next_page_token

        blobs, prefixes, token = self._run(one_page, folder, StorageError(_NO_BUCKET))
        entries = [Entry(p.rstrip("/").rsplit("/", 1)[-1], p.rstrip("/"), True) for p in prefixes]
        entries += [
            Entry(blob.name[len(prefix) :], blob.name, False, blob.size or 0, blob.updated)
            for blob in blobs
            if blob.name != prefix and not blob.name.endswith("/")
        ]
        # Some servers (the emulator) ignore maxResults: page through their answer ourselves.
        window = entries[skip : skip + page_size]
        if skip + page_size < len(entries):
            next_token = f"{skip + page_size}:{server_token or ''}"
        else:
            next_token = f"0:{token}" if token else None
        listing = Listing(
            folders=[e for e in window if e.is_folder],
            files=[e for e in window if not e.is_folder],
            next=next_token,
        )
        if folder and not page and not entries and not listing.next:
            self.stat(folder)
        return listing

    def _blobs(self, prefix, limit=None):
        return self._run(
            lambda: list(
                self.bucket.client.list_blobs(
                    self.bucket, prefix=prefix or None, max_results=limit, **self._calls()
                )
            ),
            missing=StorageError(_NO_BUCKET),
        )

    def _walk_files(self, folder):
        for blob in self._blobs(f"{folder}/" if folder else ""):
            if blob.name.endswith("/"):
                continue
            yield Entry(
                blob.name.rsplit("/", 1)[-1], blob.name, False, blob.size or 0, blob.updated
            )

    def _get_blob(self, path):
        return self._run(self.bucket.get_blob, path, blob_name=path, **self._calls())

    def stat(self, path):
        path = clean_path(path)
        if path == "":
            self._run(self.bucket.reload, missing=StorageError(_NO_BUCKET), **self._calls())
            return Entry("", "", True)
        blob = self._get_blob(path)
        if blob is not None:
            return Entry(path.rsplit("/", 1)[-1], path, False, blob.size or 0, blob.updated)
        if self._blobs(f"{path}/", limit=1):
            return Entry(path.rsplit("/", 1)[-1], path, True)
        raise NotFound(f"There is no file or folder '{path}'.")

    # -- reading ----------------------------------------------------------------------
    def open_read(self, path):
        path = clean_path(path)
        blob = self._get_blob(path)
        if blob is None:
            if self.exists(path):
                raise ValidationError(f"'{path}' is a folder, not a file.")
            raise NotFound(f"There is no file '{path}'.")
        reader = self._run(blob.open, path, mode="rb", chunk_size=self.chunk_size, **self._calls())
        return GuardedReader(
            reader.read, lambda error: translate(error, path), _errors(), reader.close
        )

    # -- writing ----------------------------------------------------------------------
    def write(self, path, stream, length=None):
        path = clean_path(path)
        if path == "":
            raise ValidationError("A file needs a name.")
        counter = CountingReader(stream)
        blob = self.bucket.blob(path, chunk_size=self.chunk_size)
        # A resumable upload only becomes visible when its last chunk is sent.
        self._run(
            blob.upload_from_file,
            path,
            StorageError(_NO_BUCKET),
            file_obj=counter,
            rewind=False,
            size=None,
            content_type="application/octet-stream",
            **self._calls(),
        )
        return counter.count

    def delete_file(self, path):
        path = clean_path(path)
        if self.stat(path).is_folder:
            raise ValidationError(f"'{path}' is a folder; delete it as a folder.")
        self._run(self.bucket.delete_blob, path, blob_name=path, **self._calls())

    def delete_files(self, paths):
        """One request per object, without the stat ``delete_file`` makes first."""
        for path in paths:
            self._delete_blob(clean_path(path))

    def _delete_blob(self, name):
        try:
            self.bucket.delete_blob(name, **self._calls())
        except _errors() as error:
            translated = translate(error, name)
            if not isinstance(translated, NotFound):
                raise translated from error

    def delete_folder(self, path):
        path = clean_path(path)
        if path == "":
            raise ValidationError("The root folder cannot be deleted.")
        blobs = self._blobs(f"{path}/")
        if not blobs:
            raise NotFound(f"There is no folder '{path}'.")
        for blob in blobs:
            self._delete_blob(blob.name)

    def make_folder(self, path):
        path = clean_path(path)
        if path == "":
            return
        if self._get_blob(path) is not None:
            raise Conflict(f"A file named '{path}' already exists.")
        marker = self.bucket.blob(f"{path}/")
        self._run(
            marker.upload_from_string, path, StorageError(_NO_BUCKET), data=b"", **self._calls()
        )

    def test_connection(self):
        self._run(self.bucket.reload, missing=StorageError(_NO_BUCKET), **self._calls())
        self._blobs("", limit=1)


def _parse_credentials(text):
    try:
        info = json.loads(text)
    except ValueError:
        raise ValidationError("The service-account key is not valid JSON.") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValidationError("Paste a service-account key file (its 'type' is 'service_account').")
    for key in ("client_email", "private_key"):
        if not info.get(key):
            raise ValidationError(f"The service-account key has no '{key}'.")
    return info


def _parse_token(page):
    """Our page token is '<skip>:<server token>'; the skip is 0 on servers that page."""
    if not page:
        return 0, None
    skip, _, server_token = page.partition(":")
    if not skip.isdigit():
        raise ValidationError("The page token is not valid.")
    return int(skip), server_token or None

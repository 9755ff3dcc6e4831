"""Amazon S3 and S3-compatible stores (MinIO, moto, ...) through boto3."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from cloud_storage.base import (
    CloudStorage,
    Entry,
    GuardedReader,
    Listing,
    SettingField,
    read_part,
)
from cloud_storage.paths import clean_path
from exception_layer.errors import Conflict, NotFound, StorageError, ValidationError

logger = logging.getLogger(__name__)

PART_SIZE = 8 * 1024 * 1024

_UNREACHABLE = (
    "Cannot reach the storage endpoint. Check the endpoint URL and that the service is up."
)
_CODES = {
    "NoSuchBucket": "Bucket not found. Check the bucket name and region.",
    "AccessDenied": "Access denied. Check the access key's permissions on this bucket.",
    "InvalidAccessKeyId": "Access denied: the access key ID is not known to the service.",
    "SignatureDoesNotMatch": "Access denied: the secret access key does not match the key ID.",
    "InvalidBucketName": "The bucket name is not valid.",
    "AllAccessDisabled": "Access denied: all access to this bucket has been disabled.",
    "ExpiredToken": "Access denied: the credentials have expired.",
    "PermanentRedirect": "The bucket is in another region. Check the region setting.",
    "AuthorizationHeaderMalformed": "The region setting does not match the bucket's region.",
}


def translate(error, subject=""):
    """Map a boto3/botocore error to StorageError (or NotFound for a missing key)."""
    from botocore import exceptions as bx

    if isinstance(error, bx.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchKey", "NotFound") or (status == 404 and code != "NoSuchBucket"):
            logger.debug("s3 object not found code=%s", code)
            return NotFound(f"There is no file '{subject}'." if subject else "Not found.")
        logger.warning("s3 request failed code=%s status=%s", code, status)
        if code in _CODES:
            return StorageError(_CODES[code])
        if status == 403:
            return StorageError(_CODES["AccessDenied"])
        return StorageError(f"The storage service refused the request ({code or status}).")
    if isinstance(error, bx.NoCredentialsError | bx.PartialCredentialsError):
        return StorageError("No credentials: enter an access key ID and secret access key.")
    if isinstance(error, bx.ParamValidationError):
        return StorageError("The bucket name or a setting is not valid for S3.")
    if isinstance(
        error,
        bx.EndpointConnectionError
        | bx.ConnectTimeoutError
        | bx.ReadTimeoutError
        | bx.ConnectionClosedError
        | bx.ResponseStreamingError
        | bx.HTTPClientError,
    ):
        logger.warning("s3 endpoint unreachable error=%s", type(error).__name__)
        return StorageError(_UNREACHABLE)
    if isinstance(error, ValueError):  # e.g. a malformed endpoint URL
        return StorageError("The endpoint URL is not valid.")
    logger.warning("s3 request failed error=%s", type(error).__name__)
    return StorageError("The storage service could not complete the request.")


def _errors():
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, ValueError)


class S3Storage(CloudStorage):
    provider = "s3"
    label = "Amazon S3 (or S3-compatible)"
    settings_schema = (
        SettingField("bucket", "Bucket", required=True, placeholder="my-team-data"),
        SettingField(
            "endpoint_url",
            "Endpoint URL",
            help="Leave empty for Amazon S3; set it for MinIO or another S3-compatible store.",
            placeholder="https://s3.example.com",
        ),
        SettingField("region", "Region", placeholder="us-east-1"),
        SettingField("access_key_id", "Access key ID"),
        SettingField("secret_access_key", "Secret access key", secret=True),
    )

    def __init__(
        self,
        bucket,
        *,
        client=None,
        endpoint_url=None,
        region=None,
        access_key_id=None,
        secret_access_key=None,
        connect_timeout=3,
        read_timeout=20,
        attempts=2,
        part_size=PART_SIZE,
        concurrency=3,
    ):
        self.bucket = bucket
        self._client = client
        self._options = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or "us-east-1",
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
        }
        self._timeouts = (connect_timeout, read_timeout, attempts)
        self.part_size = part_size
        self.concurrency = concurrency
        self._completion_client = client

    @classmethod
    def from_settings(cls, settings, **options):
        return cls(
            settings["bucket"],
            endpoint_url=settings.get("endpoint_url"),
            region=settings.get("region"),
            access_key_id=settings.get("access_key_id"),
            secret_access_key=settings.get("secret_access_key"),
            **options,
        )

    @classmethod
    def check_settings(cls, settings):
        url = settings.get("endpoint_url", "")
        if url and not url.startswith(("http://", "https://")):
            raise ValidationError("The endpoint URL must start with http:// or https://.")
        if bool(settings.get("access_key_id")) != bool(settings.get("secret_access_key")):
            raise ValidationError("Enter both the access key ID and the secret access key.")

    @property
    def client(self):
        if self._client is None:
            self._client = self._build_client(self._timeouts[1], self._timeouts[2])
        return self._client

    @property
    def completion_client(self):
        """Completing a large multipart upload can take minutes; it is never retried blind."""
        if self._completion_client is None:
            self._completion_client = self._build_client(max(self._timeouts[1], 600), 1)
        return self._completion_client

    def _build_client(self, read_timeout, attempts):
        import boto3
        from botocore.config import Config

        config = Config(
            connect_timeout=self._timeouts[0],
            read_timeout=read_timeout,
            retries={"max_attempts": attempts, "mode": "standard"},
            s3={"addressing_style": "path"} if self._options["endpoint_url"] else {},
            max_pool_connections=max(10, self.concurrency * 2),
        )
        try:
            return boto3.session.Session().client("s3", config=config, **self._options)
        except ValueError as error:
            raise StorageError("The endpoint URL is not valid.") from error

    def _call(self, method, subject="", **kwargs):
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except _errors() as error:
            translated = translate(error, subject)
            if method == "head_bucket" and isinstance(translated, NotFound):
                translated = StorageError(_CODES["NoSuchBucket"])
            raise translated from error

    # -- listing ----------------------------------------------------------------------
    def list(self, folder="", page=None, page_size=1000):
        folder = clean_path(folder)
        prefix = f"{folder}/" if folder else ""
        kwargs = {"Prefix": prefix, "Delimiter": "/", "MaxKeys": page_size}
        if page:
            kwargs["ContinuationToken"] = page
        response = self._call("list_objects_v2", folder, **kwargs)
        listing = Listing(
            next=response.get("NextContinuationToken") if response.get("IsTruncated") else None
        )
        for item in response.get("CommonPrefixes", []):
            path = item["Prefix"].rstrip("/")
            listing.folders.append(Entry(path.rsplit("/", 1)[-1], path, True))
        for item in response.get("Contents", []):
            if item["Key"] == prefix:
                continue  # the folder's own marker
            name = item["Key"][len(prefix) :]
            listing.files.append(
                Entry(name, item["Key"], False, item["Size"], item["LastModified"])
            )
        if folder and not page and not listing.folders and not listing.files and not listing.next:
            self.stat(folder)  # NotFound for a folder that does not exist
        return listing

    def _objects(self, prefix):
        token = None
        while True:
            kwargs = {"Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            response = self._call("list_objects_v2", **kwargs)
            yield from response.get("Contents", [])
            if not response.get("IsTruncated"):
                return
            token = response["NextContinuationToken"]

    def _walk_files(self, folder):
        prefix = f"{folder}/" if folder else ""
        for item in self._objects(prefix):
            if item["Key"].endswith("/"):
                continue
            name = item["Key"].rsplit("/", 1)[-1]
            yield Entry(name, item["Key"], False, item["Size"], item["LastModified"])

    def stat(self, path):
        path = clean_path(path)
        if path == "":
            self._call("head_bucket")
            return Entry("", "", True)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=path)
            return Entry(
                path.rsplit("/", 1)[-1], path, False, head["ContentLength"], head["LastModified"]
            )
        except _errors() as error:
            translated = translate(error, path)
            if not isinstance(translated, NotFound):
                raise translated from error
        response = self._call("list_objects_v2", path, Prefix=f"{path}/", MaxKeys=1)
        if response.get("KeyCount", 0) or response.get("Contents"):
            return Entry(path.rsplit("/", 1)[-1], path, True)
        self._call("head_bucket")  # a missing bucket says so, rather than "no such file"
        raise NotFound(f"There is no file or folder '{path}'.")

    # -- reading ----------------------------------------------------------------------
    def open_read(self, path):
        path = clean_path(path)
        body = self._call("get_object", path, Key=path)["Body"]
        return GuardedReader(
            lambda size: body.read(None if size < 0 else size),
            lambda error: translate(error, path),
            _errors(),
            close=body.close,
        )

    # -- writing ----------------------------------------------------------------------
    def write(self, path, stream, length=None):
        path = clean_path(path)
        if path == "":
            raise ValidationError("A file needs a name.")
        # S3 allows 10,000 parts: a file of known size gets parts big enough to fit.
        part_size = max(self.part_size, -(-(length or 0) // 9_000))
        head = read_part(stream, part_size)
        if len(head) < part_size:
            self._call("put_object", path, Key=path, Body=bytes(head))
            return len(head)
        upload_id = self._call("create_multipart_upload", path, Key=path)["UploadId"]
        try:
            parts, total = self._upload_parts(path, upload_id, head, stream, part_size)
            try:
                self.completion_client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=path,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            except _errors() as error:
                raise translate(error, path) from error
        except BaseException:
            # an incomplete multipart upload is invisible; abort it so it holds no space
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=path, UploadId=upload_id)
            except _errors():
                logger.warning(
                    "s3 abort of a failed upload failed; the bucket's lifecycle rule cleans it"
                )
            raise
        return total

    def _upload_parts(self, path, upload_id, head, stream, part_size):
        """Send parts on a few threads; at most ``concurrency`` parts are held in memory."""
        slots = threading.BoundedSemaphore(self.concurrency)
        futures = []
        total = 0

        def send(number, data):
            try:
                response = self._call(
                    "upload_part", path, Key=path, UploadId=upload_id, PartNumber=number, Body=data
                )
                return {"PartNumber": number, "ETag": response["ETag"]}
            finally:
                slots.release()

        with ThreadPoolExecutor(self.concurrency) as pool:
            try:
                chunk, number = head, 1
                while chunk:
                    slots.acquire()
                    failed = [f for f in futures if f.done() and f.exception()]
                    if failed:
                        slots.release()
                        raise failed[0].exception()
                    futures.append(pool.submit(send, number, chunk))
                    total += len(chunk)
                    chunk, number = read_part(stream, part_size), number + 1
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            parts = [future.result() for future in futures]
        return parts, total

    def delete_file(self, path):
        path = clean_path(path)
        entry = self.stat(path)
        if entry.is_folder:
            raise ValidationError(f"'{path}' is a folder; delete it as a folder.")
        self._call("delete_object", path, Key=path)

    def delete_folder(self, path):
        path = clean_path(path)
        if path == "":
            raise ValidationError("The root folder cannot be deleted.")
        batch = []
        found = False
        for item in self._objects(f"{path}/"):
            found = True
            batch.append({"Key": item["Key"]})
            if len(batch) == 1000:
                self._delete_batch(batch)
                batch = []
        if batch:
            self._delete_batch(batch)
        if not found:
            raise NotFound(f"There is no folder '{path}'.")

    def delete_files(self, paths):
        """One DeleteObjects request per 1,000 keys (S3 answers a missing key as deleted)."""
        keys = [{"Key": clean_path(path)} for path in paths]
        for start in range(0, len(keys), 1000):
            self._delete_batch(keys[start : start + 1000])

    def _delete_batch(self, keys):
        response = self._call("delete_objects", Delete={"Objects": keys, "Quiet": True})
        if response.get("Errors"):
            raise StorageError(f"{len(response['Errors'])} files could not be deleted.")

    def _copy_file(self, src, dst):
        try:
            self.client.copy({"Bucket": self.bucket, "Key": src}, self.bucket, dst)
        except _errors() as error:
            raise translate(error, src) from error

    def make_folder(self, path):
        path = clean_path(path)
        if path == "":
            return
        try:
            self.client.head_object(Bucket=self.bucket, Key=path)
        except _errors() as error:
            if not isinstance(translate(error, path), NotFound):
                raise translate(error, path) from error
        else:
            raise Conflict(f"A file named '{path}' already exists.")
        self._call("put_object", path, Key=f"{path}/", Body=b"")

    def test_connection(self):
        self._call("head_bucket")
        self._call("list_objects_v2", MaxKeys=1)

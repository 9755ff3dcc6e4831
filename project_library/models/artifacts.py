"""Versioned model artifacts: a pickled model plus a signed JSON manifest.

Only the platform writes artifacts. The manifest carries the artifact's SHA-256 and is
signed with HMAC-SHA256 under a key derived from the app's secret, so a model file changed
or dropped in by anyone else is refused with a clear message and never unpickled.
"""

import hashlib
import hmac
import json
import logging
import pickle
import platform
import tempfile
from datetime import UTC, datetime
from importlib import metadata

from exception_layer.errors import AppError, Conflict, NotFound
from integration.layout import project_path

logger = logging.getLogger(__name__)

ARTIFACT = "model.pkl"
MANIFEST = "manifest.json"
FORMAT = 1
SIGNATURE_ALGORITHM = "HMAC-SHA256"
SPOOL_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024
LIBRARIES = ("scikit-learn", "numpy", "pandas", "scipy", "joblib")


class ModelRejected(AppError):
    status_code = 409
    code = "model_rejected"
    default_message = "The model file was refused: its signature does not verify."


def signing_key(secret):
    if not secret:
        raise ValueError("a secret is required to sign or verify models")
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(raw, b"ml-platform/model-signing/v1", hashlib.sha256).digest()


def canonical(manifest):
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def sign(manifest, secret):
    return hmac.new(signing_key(secret), canonical(manifest), hashlib.sha256).hexdigest()


def library_versions():
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def version_folder(models_folder, version):
    return project_path(models_folder, f"v{int(version)}")


class _HashingWriter:
    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        view = memoryview(data)
        self.digest.update(view)
        self.size += view.nbytes
        return self.raw.write(view)


def save_model(storage, models_folder, version, model, manifest, secret, attachments=None):
    """Write ``v<version>/model.pkl``, its attachments, then the signed manifest; return it.

    ``manifest`` holds the caller's facts (metrics, estimator, schema, lineage, ids); this
    adds the artifact digest, library versions, creation time and the signature.
    ``attachments`` maps a file name to its bytes (report figures, the drift profile): each
    is written beside the model and its digest signed in the manifest, so it is verified on
    every read like the model itself.
    """
    folder = version_folder(models_folder, version)
    manifest_path = project_path(folder, MANIFEST)
    if storage.exists(manifest_path):
        raise Conflict(f"Model version {version} already exists; versions are immutable.")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        writer = _HashingWriter(spool)
        pickle.dump(model, writer, protocol=5)
        spool.seek(0)
        storage.write(project_path(folder, ARTIFACT), spool, length=writer.size)
        digest, size = writer.digest.hexdigest(), writer.size
    attached = write_attachments(storage, folder, attachments or {})
    signed = {
        **manifest,
        "format": FORMAT,
        "version": int(version),
        "created_at": manifest.get("created_at") or datetime.now(UTC).isoformat(),
        "libraries": library_versions(),
        "artifact": {"file": ARTIFACT, "sha256": digest, "bytes": size, "serializer": "pickle"},
        "attachments": attached,
    }
    signed["signature"] = {"algorithm": SIGNATURE_ALGORITHM, "value": sign(signed, secret)}
    storage.write_bytes(manifest_path, json.dumps(signed, indent=2, default=str).encode())
    logger.info("model_saved folder=%s version=%s bytes=%d", folder, version, size)
    return signed


def write_attachments(storage, folder, attachments):
    """Write each attachment into the version folder; return {name: {sha256, bytes}}."""
    written = {}
    for name, body in attachments.items():
        if name in (ARTIFACT, MANIFEST) or "/" in name:
            raise ValueError(f"attachment name {name!r} is reserved or not a plain file name")
        storage.write_bytes(project_path(folder, name), body)
        written[name] = {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
    return written


def read_attachment(storage, models_folder, version, name, secret, expected=None):
    """An attachment's bytes, refused unless the signed manifest lists it with this digest."""
    manifest = read_manifest(storage, models_folder, version, secret, expected)
    entry = (manifest.get("attachments") or {}).get(name)
    if entry is None:
        raise NotFound(f"Model version {version} has no {name}.")
    try:
        body = storage.read_bytes(project_path(version_folder(models_folder, version), name))
    except NotFound:
        raise _refuse(version, f"its {name} is missing") from None
    if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), str(entry.get("sha256"))):
        raise _refuse(version, f"its {name} does not match the signed manifest")
    return body


def _refuse(version, why):
    return ModelRejected(
        f"Model version {version} was refused and not loaded: {why}. "
        "Only models written by this platform can be used; train a new version."
    )


def verify_manifest(manifest, secret, version="?", expected=None):
    signature = manifest.get("signature") if isinstance(manifest, dict) else None
    if not isinstance(signature, dict) or not signature.get("value"):
        raise _refuse(version, "it carries no signature")
    if signature.get("algorithm") != SIGNATURE_ALGORITHM or not hmac.compare_digest(
        str(signature["value"]), sign(manifest, secret)
    ):
        raise _refuse(version, "its signature does not verify (the files were changed)")
    for key, value in (expected or {}).items():
        if str(manifest.get(key)) != str(value):
            raise _refuse(version, f"it belongs to another {key.replace('_id', '')}")
    return manifest


def read_manifest(storage, models_folder, version, secret, expected=None):
    path = project_path(version_folder(models_folder, version), MANIFEST)
    try:
        raw = storage.read_bytes(path)
    except NotFound:
        raise NotFound(f"Model version {version} has no files in the models folder.") from None
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise _refuse(version, "its manifest is not valid JSON") from None
    return verify_manifest(manifest, secret, version, expected)


def _copy_verified(storage, models_folder, version, manifest, spool):
    """Stream the artifact into ``spool``; refuse it unless its digest is the signed one."""
    artifact = manifest.get("artifact") or {}
    path = project_path(version_folder(models_folder, version), ARTIFACT)
    digest = hashlib.sha256()
    try:
        with storage.open_read(path) as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                spool.write(chunk)
    except NotFound:
        raise _refuse(version, "its model file is missing") from None
    if not hmac.compare_digest(digest.hexdigest(), str(artifact.get("sha256", ""))):
        raise _refuse(version, "its model file does not match the signed manifest")


class _Discard:
    def write(self, data):
        return len(data)


def verify_model(storage, models_folder, version, secret, expected=None):
    """Check manifest signature and artifact digest without unpickling; return the manifest."""
    manifest = read_manifest(storage, models_folder, version, secret, expected)
    _copy_verified(storage, models_folder, version, manifest, _Discard())
    return manifest


def load_model(storage, models_folder, version, secret, expected=None):
    """Verify the manifest and the artifact digest, then unpickle; return (model, manifest)."""
    manifest = read_manifest(storage, models_folder, version, secret, expected)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        _copy_verified(storage, models_folder, version, manifest, spool)
        spool.seek(0)
        model = pickle.load(spool)  # noqa: S301 - digest verified against the signed manifest
    current = library_versions()
    for name, wanted in (manifest.get("libraries") or {}).items():
        if name in current and current[name] != wanted and name != "python":
            logger.warning(
                "model_library_mismatch library=%s trained=%s now=%s", name, wanted, current[name]
            )
    return model, manifest

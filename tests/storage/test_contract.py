"""One contract for every storage adapter, run against the real emulators (and a tmp folder)."""

import hashlib
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from exception_layer.errors import NotFound, StorageError, ValidationError
from integration.registry import build_storage
from tests.plugins.storage_services import PROVIDERS, start_storage_service

MiB = 1024 * 1024
TRAVERSALS = [
    "../outside.txt",
    "a/../../outside.txt",
    "/etc/passwd",
    "a\\b.txt",
    "a/./b.txt",
    "a//b.txt",
    "nul\x00byte.txt",
    "line\nbreak.txt",
    "C:/windows.txt",
    "..",
    "x" * 256,
]


@pytest.fixture(params=PROVIDERS)
def storage(request, storage_factory):
    return storage_factory(request.param)


@pytest.fixture(params=PROVIDERS)
def provider(request):
    return request.param


class GeneratedStream(io.RawIOBase):
    """Deterministic pseudo-random bytes of a given size, produced as they are read."""

    def __init__(self, size, seed=b"mlp", on_read=None):
        self.remaining = size
        self.block = hashlib.sha256(seed).digest() * (64 * 1024 // 32)
        self.offset = 0
        self.digest = hashlib.sha256()
        self.on_read = on_read

    def readable(self):
        return True

    def read(self, size=-1):
        if self.on_read:
            self.on_read(self.offset)
        if size is None or size < 0:
            size = self.remaining
        size = min(size, self.remaining, len(self.block))
        chunk = self.block[:size]
        # vary the content along the stream so misplaced parts change the hash
        chunk = (
            (self.offset // len(self.block)).to_bytes(8, "big") + chunk[8:] if size > 8 else chunk
        )
        self.remaining -= len(chunk)
        self.offset += len(chunk)
        self.digest.update(chunk)
        return chunk


def names(listing):
    return [e.name for e in listing.folders], [e.name for e in listing.files]


def test_write_list_stat_read(storage):
    assert storage.write_bytes("data/train one.csv", b"a,b\n1,2\n") == 8
    storage.write_bytes("data/sub/deep.csv", b"x")
    folders, files = names(storage.list("data"))
    assert folders == ["sub"] and files == ["train one.csv"]
    entry = storage.list("data").files[0]
    assert entry.path == "data/train one.csv" and entry.size == 8 and entry.modified is not None
    stat = storage.stat("data/train one.csv")
    assert not stat.is_folder and stat.size == 8
    assert storage.stat("data/sub").is_folder
    assert storage.read_bytes("data/train one.csv") == b"a,b\n1,2\n"
    assert storage.exists("data") and not storage.exists("data/missing.csv")
    with pytest.raises(NotFound):
        storage.stat("nothing/here.csv")
    with pytest.raises(NotFound):
        storage.read_bytes("data/missing.csv")
    with pytest.raises(NotFound):
        storage.list("no-such-folder")


def test_names_with_spaces_and_non_ascii_letters(storage):
    path = "Überblick 2024/données d'été – ß.csv"
    storage.write_bytes(path, "ünïcödé".encode())
    folders, _ = names(storage.list(""))
    assert folders == ["Überblick 2024"]
    _, files = names(storage.list("Überblick 2024"))
    assert files == ["données d'été – ß.csv"]
    assert storage.read_bytes(path).decode() == "ünïcödé"


def test_zero_byte_file_is_stored_as_one(storage):
    assert storage.write_bytes("empty.csv", b"") == 0
    entry = storage.stat("empty.csv")
    assert not entry.is_folder and entry.size == 0
    assert storage.read_bytes("empty.csv") == b""
    assert names(storage.list(""))[1] == ["empty.csv"]


def test_paging_past_one_page(storage):
    for i in range(7):
        storage.write_bytes(f"many/f{i:02d}.csv", b"x" * i)
    storage.make_folder("many/folder")
    seen, page, pages = [], None, 0
    while True:
        listing = storage.list("many", page=page, page_size=3)
        pages += 1
        assert len(listing.folders) + len(listing.files) <= 3
        seen += [e.name for e in listing.folders + listing.files]
        page = listing.next
        if not page:
            break
    assert pages >= 3
    assert sorted(seen) == sorted(["folder"] + [f"f{i:02d}.csv" for i in range(7)])


def test_walk_lists_every_file_sorted(storage):
    for path in ("b/2.csv", "a/1.csv", "a/deep/3.csv", "top.csv"):
        storage.write_bytes(path, b"1")
    assert [e.path for e in storage.walk("")] == ["a/1.csv", "a/deep/3.csv", "b/2.csv", "top.csv"]
    assert [e.path for e in storage.walk("a")] == ["a/1.csv", "a/deep/3.csv"]


def test_concurrent_writes_into_one_new_folder_all_land(storage):
    paths = [f"fresh/deep/file_{i:02d}.csv" for i in range(24)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda path: storage.write_bytes(path, path.encode()), paths))
    assert [e.path for e in storage.walk("fresh")] == paths
    assert all(storage.read_bytes(path) == path.encode() for path in paths)


def test_make_folder_delete_and_recursive_delete(storage):
    storage.make_folder("new/inner")
    assert names(storage.list(""))[0] == ["new"]
    assert names(storage.list("new"))[0] == ["inner"]
    assert storage.list("new/inner").files == []
    storage.write_bytes("new/inner/a.csv", b"1")
    storage.write_bytes("new/b.csv", b"2")
    storage.write_bytes("keep.csv", b"3")
    storage.delete_file("new/b.csv")
    assert not storage.exists("new/b.csv")
    storage.delete("new")
    assert not storage.exists("new") and not storage.exists("new/inner/a.csv")
    assert [e.path for e in storage.walk("")] == ["keep.csv"]
    with pytest.raises(NotFound):
        storage.delete("new")
    with pytest.raises(ValidationError):
        storage.delete_folder("")


def test_copy_and_move_files_and_folders(storage):
    storage.write_bytes("src/a.csv", b"A")
    storage.write_bytes("src/deep/b.csv", b"B")
    storage.make_folder("src/empty")
    storage.copy("src/a.csv", "copy.csv")
    storage.copy("src", "dup")
    assert storage.read_bytes("copy.csv") == b"A"
    assert storage.read_bytes("dup/deep/b.csv") == b"B"
    storage.move("dup", "moved")
    storage.move("copy.csv", "moved/renamed.csv")
    assert not storage.exists("dup") and not storage.exists("copy.csv")
    assert storage.stat("moved/empty").is_folder
    assert [e.path for e in storage.walk("moved")] == [
        "moved/a.csv",
        "moved/deep/b.csv",
        "moved/renamed.csv",
    ]
    assert storage.read_bytes("src/a.csv") == b"A"


@pytest.mark.parametrize("bad", TRAVERSALS)
def test_every_traversal_attempt_is_refused(storage, bad):
    for call in (
        lambda: storage.write_bytes(bad, b"x"),
        lambda: storage.list(bad),
        lambda: storage.read_bytes(bad),
        lambda: storage.delete(bad),
        lambda: storage.make_folder(bad),
        lambda: storage.copy("ok.csv", bad),
    ):
        with pytest.raises(ValidationError):
            call()
    assert storage.walk("") == []


def test_local_refuses_a_link_out_of_its_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "escape")
    os.symlink(outside / "secret.txt", root / "link.txt")
    storage = build_storage("local", {"path": str(root)})
    for call in (
        lambda: storage.list("escape"),
        lambda: storage.read_bytes("escape/secret.txt"),
        lambda: storage.read_bytes("link.txt"),
        lambda: storage.write_bytes("escape/new.txt", b"x"),
        lambda: storage.delete("escape/secret.txt"),
    ):
        with pytest.raises(ValidationError):
            call()
    assert storage.list("").folders == [] and storage.list("").files == []
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_a_failing_source_leaves_nothing_half_written(storage):
    class Broken(io.RawIOBase):
        sent = 0

        def read(self, size=-1):
            if self.sent > 12 * MiB:
                raise OSError("client went away")
            self.sent += MiB
            return b"y" * MiB

    with pytest.raises(OSError):
        storage.write("partial/big.bin", Broken())
    assert not storage.exists("partial/big.bin")
    assert storage.walk("") == []
    assert storage.list("").folders == []


def test_unknown_bucket_is_a_clear_storage_error(provider, storage_service, tmp_path):
    if provider == "local":
        storage = build_storage("local", {"path": str(tmp_path / "missing")})
        message = "does not exist"
    else:
        storage = storage_service(provider).storage(bucket="no-such-bucket", create=False)
        message = "not found"
    with pytest.raises(StorageError, match=message):
        storage.test_connection()
    if provider != "local":
        with pytest.raises(StorageError, match=message):
            storage.list("")
        with pytest.raises(StorageError, match=message):
            storage.write_bytes("a.csv", b"1")


def test_wrong_credentials_are_a_clear_storage_error(azurite_service, gcs_service):
    wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ=="
    azure = azurite_service.storage(
        connection_string=azurite_service.connection_string(key=wrong_key)
    )
    with pytest.raises(StorageError, match="Access denied"):
        azure.test_connection()
    with pytest.raises(StorageError, match="Access denied"):
        azure.write_bytes("a.csv", b"1")
    gcs = build_storage("gcs", {"bucket": "b", "credentials_json": '{"type": "service_account"}'})
    with pytest.raises((StorageError, ValidationError), match="client_email"):
        gcs.test_connection()


@pytest.mark.parametrize("remote", ["s3", "azure", "gcs"])
def test_stopped_endpoint_is_a_clear_storage_error(remote, tmp_path):
    service = start_storage_service(remote, tmp_path)
    try:
        storage = service.storage(fast=True)
        storage.write_bytes("a.csv", b"1")
        service.process.stop()
        started = time.monotonic()
        for call in (
            storage.test_connection,
            lambda: storage.list(""),
            lambda: storage.write_bytes("b.csv", b"2"),
            lambda: storage.read_bytes("a.csv"),
        ):
            with pytest.raises(StorageError, match="Cannot reach the storage endpoint"):
                call()
        assert time.monotonic() - started < 60  # fails in seconds, not the SDK's 120 s
    finally:
        service.process.stop()


@pytest.mark.parametrize("remote", ["s3", "azure", "gcs"])
def test_endpoint_paused_mid_upload_leaves_nothing_visible(remote, storage_service):
    service = storage_service(remote)
    small_parts = {
        "s3": {"part_size": 5 * MiB},
        "azure": {"block_size": 4 * MiB},
        "gcs": {"chunk_size": 4 * MiB},
    }[remote]
    storage = service.storage(fast=True)
    storage = build_storage(
        remote, service.settings(storage_bucket(storage)), **{**_fast(remote), **small_parts}
    )
    paused = []

    def pause_after_first_parts(offset):
        if offset >= 9 * MiB and not paused:
            service.process.pause()
            paused.append(True)

    try:
        with pytest.raises(StorageError):
            storage.write(
                "upload/big.bin", GeneratedStream(24 * MiB, on_read=pause_after_first_parts)
            )
    finally:
        if paused:
            service.process.resume()
    assert paused
    time.sleep(1)  # let the resumed emulator drain the requests queued while it was stopped
    assert not storage.exists("upload/big.bin")
    assert [e.path for e in storage.walk("")] == []


def storage_bucket(storage):
    return (
        getattr(storage, "bucket_name", None)
        or getattr(storage, "container", None)
        or storage.bucket
    )


def _fast(provider):
    from tests.plugins.storage_services import FAST_GCS_OPTIONS, FAST_OPTIONS

    return dict(FAST_GCS_OPTIONS if provider == "gcs" else FAST_OPTIONS)


@pytest.mark.slow
def test_streaming_round_trip_of_a_large_file(storage):
    size = 200 * MiB + 12345
    source = GeneratedStream(size)
    assert storage.write("big/generated.bin", source) == size
    assert storage.stat("big/generated.bin").size == size
    digest = hashlib.sha256()
    with storage.open_read("big/generated.bin") as stream:
        for chunk in iter(lambda: stream.read(MiB), b""):
            digest.update(chunk)
    assert digest.hexdigest() == source.digest.hexdigest()

"""Indexing on a cluster, the parts that need no cluster: where workers find the photos, the
fingerprint of sent bytes, the setting, and a clear refusal when Ray is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inphotos.config import Settings
from inphotos.core.imaging import fingerprint, fingerprint_bytes
from inphotos.errors import ClusterError
from inphotos.records import ClusterOptions, parse_path_map
from tests.conftest import make_photo


def test_the_longest_mapped_prefix_wins_and_other_paths_stay_as_they_are() -> None:
    options = ClusterOptions("h:1", "shared", parse_path_map(
        ["/home/me=/mnt/me", "/home/me/Photos=/data/photos/"]))
    assert options.remote_path("/home/me/Photos/2024/a.jpg") == "/data/photos/2024/a.jpg"
    assert options.remote_path("/home/me/Photosets/b.jpg") == "/mnt/me/Photosets/b.jpg"
    assert options.remote_path("/home/mexico/c.jpg") == "/home/mexico/c.jpg"
    assert options.remote_path("/srv/d.jpg") == "/srv/d.jpg"


@pytest.mark.parametrize("bad", ["/home/me", "=/mnt", "/home/me=", " = "])
def test_a_path_map_without_both_sides_is_refused_with_what_was_given(bad: str) -> None:
    with pytest.raises(ValueError, match="LOCAL=REMOTE"):
        parse_path_map([bad])


@pytest.mark.parametrize("size", [(40, 30), (900, 700)])
def test_sent_bytes_get_the_fingerprint_the_file_would(tmp_path: Path, size: tuple[int, int]) -> None:
    photo = make_photo(tmp_path / "a.png", seed=3, size=size, fmt="PNG")  # PNG: > 128 KiB when big
    assert fingerprint_bytes(photo.read_bytes()) == fingerprint(photo, full=True)


def test_the_setting_gives_the_cluster_only_when_on_with_an_address() -> None:
    s = Settings(cluster_address="10.0.0.5:6379")
    assert s.cluster_options() is None  # off
    s.cluster_enabled = True
    s.cluster_read, s.cluster_path_map = "send", "/home/me/Photos=/mnt/p; /media/x=/mnt/x"
    assert s.cluster_options() == ClusterOptions(
        "10.0.0.5:6379", "send", (("/home/me/Photos", "/mnt/p"), ("/media/x", "/mnt/x")))
    s.cluster_path_map, s.cluster_read = "no equals sign", "sideways"
    assert s.cluster_options() == ClusterOptions("10.0.0.5:6379", "auto", ())  # bad parts ignored
    s.cluster_address = " "
    assert s.cluster_options() is None


def test_without_ray_indexing_on_a_cluster_says_how_to_install_it_and_writes_nothing(
    library, photos: Path, monkeypatch: pytest.MonkeyPatch, counter
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    library.cluster = ClusterOptions("127.0.0.1:6379")
    library.add_folder(photos)
    with pytest.raises(ClusterError, match=r"pip install 'inphotos\[cluster\]'"):
        library.index()
    assert library.store.count() == 0
    assert counter.images == 0  # no fallback to a long local run the user did not ask for


@pytest.mark.parametrize("address", ["no-port", "host:http", "ray://"])
def test_an_address_that_is_not_one_is_refused_before_any_connection(address: str) -> None:
    from inphotos.core.cluster import probe

    with pytest.raises(ClusterError, match="Not a Ray cluster address"):
        probe(address)


def test_an_address_where_nothing_listens_is_refused_at_once(tmp_path: Path) -> None:
    import socket

    from inphotos.core.cluster import probe

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ClusterError, match=rf"Nothing answers at 127.0.0.1:{port} .*ray start --head"):
        probe(f"127.0.0.1:{port}")


def test_a_shipped_model_is_kept_once_per_content_on_a_worker(tmp_path, monkeypatch) -> None:
    """Every actor start used to leave a new copy of the model (~600 MB) in the temp folder."""
    import tempfile

    from inphotos.core.cluster_worker import shipped_model_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    files = {"open_clip_config.json": b"{}", "open_clip_pytorch_model.bin": b"w" * 1000}
    first = shipped_model_folder(files)
    again = shipped_model_folder(dict(files))
    assert first == again
    assert sorted(p.name for p in first.iterdir()) == sorted(files)
    assert (first / "open_clip_pytorch_model.bin").read_bytes() == files["open_clip_pytorch_model.bin"]
    other = shipped_model_folder({**files, "open_clip_pytorch_model.bin": b"v" * 1000})
    assert other != first
    assert len(list((tmp_path / "inphotos-cluster-models").iterdir())) == 2  # no leftovers

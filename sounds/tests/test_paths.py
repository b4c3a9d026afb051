from pathlib import Path

import pytest

from sounds.paths import UnsafePath, contained, is_contained


def test_a_file_inside_the_root_is_allowed(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.mp3").write_bytes(b"x")
    assert contained(tmp_path / "a" / "x.mp3", tmp_path) == (tmp_path / "a" / "x.mp3").resolve()


@pytest.mark.parametrize("name", ["../secret", "a/../../secret", "/etc/passwd"])
def test_paths_that_climb_out_are_refused(tmp_path: Path, name: str):
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(UnsafePath):
        contained(root / name, root)
    assert not is_contained(root / name, root)


def test_a_link_that_points_out_of_the_root_is_refused(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.mp3").write_bytes(b"x")
    (root / "in.mp3").symlink_to(tmp_path / "outside.mp3")
    assert not is_contained(root / "in.mp3", root)


def test_a_sibling_folder_sharing_the_prefix_is_not_inside(tmp_path: Path):
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds-evil").mkdir()
    assert not is_contained(tmp_path / "sounds-evil" / "x", tmp_path / "sounds")

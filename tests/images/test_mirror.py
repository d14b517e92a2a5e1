"""The second file of a download, written as its bytes arrive (images.mirror)."""
from __future__ import annotations

import pytest

from telescope_query.images import mirror, placing
from telescope_query.images.product import Product

from helpers import demo_jids


def test_a_mirror_holds_every_block_and_starts_again_with_the_download(tmp_path):
    copy = mirror.start_mirror(tmp_path, 'x.fits')
    assert copy is not None and copy.path.name.startswith('.x.fits.')
    copy.write(b'abc')
    copy.drop()                          # the download starts again from byte 0
    for block in (b'SIMPLE', b' = T', b'!' * 5000):
        copy.write(block)
    assert copy.close(6 + 4 + 5000)
    assert copy.path.read_bytes() == b'SIMPLE = T' + b'!' * 5000


def test_a_mirror_of_another_length_is_not_used(tmp_path):
    copy = mirror.start_mirror(tmp_path, 'x.fits')
    copy.write(b'abc')
    assert not copy.close(4)


def test_a_mirror_that_cannot_write_is_not_used(tmp_path):
    copy = mirror.start_mirror(tmp_path, 'x.fits')
    copy._file.close()                   # every write now fails (as on a full disk)
    copy.write(b'abc')
    assert not copy.close(3)


def test_no_mirror_where_the_folder_is_gone(tmp_path):
    assert mirror.start_mirror(tmp_path / 'missing', 'x.fits') is None


@pytest.mark.parametrize('mirrored', [True, False])
def test_download_data_renames_the_mirror_instead_of_copying(telescope, simulator, quick,
                                                             tmp_path, monkeypatch, mirrored):
    """The user's file is the mirror, renamed: no copy of the cached file (fails
    without images.mirror, which copied every new product); without a mirror, the
    copy is made as before. Either way the file has the product's bytes and
    nothing else stays in the folder."""
    copies = []
    real = placing.clone_or_copy
    monkeypatch.setattr(placing, 'clone_or_copy',
                        lambda *args: copies.append(args) or real(*args))
    if not mirrored:
        monkeypatch.setattr('telescope_query.images.staging.start_mirror',
                            lambda folder, name: None)
    jid = demo_jids(simulator)[21]
    out = tmp_path / 'out'
    table = telescope.download_data([jid], path=out, show_progress=False)
    assert list(table['status']) == ['COMPLETE']
    assert len(copies) == (0 if mirrored else 1)
    cached = telescope.get_images([jid], show_progress=False, wcs=False)
    cached[0].close()
    name = Product(jid).file_name
    assert sorted(p.name for p in out.iterdir()) == [name]
    from telescope_query.images import cache
    assert (out / name).read_bytes() == cache.cached_path(telescope, Product(jid)).read_bytes()
    assert (out / name).stat().st_ino != cache.cached_path(telescope, Product(jid)).stat().st_ino

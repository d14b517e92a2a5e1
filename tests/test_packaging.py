"""The files a release ships besides the code: license, changelog, project URLs.

An sdist is built from a copy of the project's packaging files (nothing is written
into the checkout), and its metadata and file list are read as pip and PyPI would.
"""
from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import telescope_query

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ('setup.cfg', 'pyproject.toml', 'MANIFEST.in', 'README.rst', 'CHANGELOG.rst',
           'LICENSE.rst')


@pytest.fixture(scope='module')
def sdist(tmp_path_factory) -> tuple[email.message.Message, set[str]]:
    """The metadata (PKG-INFO) and the file names of an sdist of the project."""
    work = tmp_path_factory.mktemp('project')
    for name in SHIPPED:
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, work / name)
    shutil.copytree(ROOT / 'telescope_query', work / 'telescope_query',
                    ignore=shutil.ignore_patterns('__pycache__'))
    out = work / 'dist'
    subprocess.run([sys.executable, '-c', 'import sys, setuptools.build_meta as b; '
                    'b.build_sdist(sys.argv[1])', str(out)],
                   cwd=work, check=True, capture_output=True, timeout=120)
    archive, = out.glob('*.tar.gz')
    with tarfile.open(archive) as tar:
        names = {name.split('/', 1)[1] for name in tar.getnames() if '/' in name}
        top = tar.getnames()[0].split('/')[0]
        info = tar.extractfile(f'{top}/PKG-INFO')
        assert info is not None
        metadata = email.message_from_bytes(info.read())
    return metadata, names


def test_the_license_file_is_the_license_setup_cfg_names(sdist):
    metadata, names = sdist
    assert metadata['License'] == 'BSD-3-Clause'
    assert 'License :: OSI Approved :: BSD License' in metadata.get_all('Classifier')
    assert 'LICENSE.rst' in names
    text = (ROOT / 'LICENSE.rst').read_text(encoding='utf-8')
    # The three clauses of the BSD 3-clause license, and its disclaimer.
    for clause in ('Redistributions of source code must retain',
                   'Redistributions in binary form must reproduce',
                   'Neither the name of the copyright holder',
                   'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"'):
        assert clause in ' '.join(text.split()), clause
    header = (ROOT / 'telescope_query' / '__init__.py').read_text().splitlines()[0]
    assert 'BSD' in header and 'LICENSE.rst' in header


def test_the_project_urls_are_in_the_metadata(sdist):
    metadata, _ = sdist
    urls = dict(line.split(', ', 1) for line in metadata.get_all('Project-URL') or [])
    assert urls.get('telescope.org') == 'https://www.telescope.org/'
    assert all(url.startswith('https://') for url in urls.values())


def test_the_changelog_ships_and_has_this_release(sdist):
    _, names = sdist
    assert 'CHANGELOG.rst' in names
    text = (ROOT / 'CHANGELOG.rst').read_text(encoding='utf-8')
    assert f'\n{telescope_query.__version__} (' in text

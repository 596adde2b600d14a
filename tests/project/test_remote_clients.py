"""Which client moves the remote cache's bytes: ``cache_remote_client`` and what "auto" picks."""

from __future__ import annotations

import pytest

from tests.conftest import REMOTE_CLIENT_OF
from tfjs_build.errors import RemoteCacheError
from tfjs_build.project.remote_clients import choose
from tfjs_build.project.remote_fsspec import FsspecTransport
from tfjs_build.project.remote_obstore import ObstoreTransport
from tfjs_build.project.remote_store import RemoteStore

KEYS = {"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"}


@pytest.mark.parametrize(
    ("url", "environ", "client"),
    [
        ("s3://bucket/cache", KEYS, "obstore"),
        ("s3a://bucket/cache", KEYS, "obstore"),
        ("s3://bucket/cache", {"AWS_WEB_IDENTITY_TOKEN_FILE": "/token"}, "obstore"),
        ("s3://bucket/cache", {}, "fsspec"),  # profiles, SSO, the instance: botocore's search
        ("s3://bucket/cache", {**KEYS, "AWS_PROFILE": "team"}, "fsspec"),
        ("s3://bucket/cache", {**KEYS, "FSSPEC_S3_ANON": "true"}, "fsspec"),
        ("s3://bucket/cache", {**KEYS, "FSSPEC_S3": "{}"}, "fsspec"),
        ("gs://bucket/cache", KEYS, "fsspec"),
        ("az://box/cache", KEYS, "fsspec"),
        ("file:///shared/cache", KEYS, "fsspec"),
    ],
)
def test_auto_takes_obstore_for_s3_only_when_it_reads_the_credentials_itself(url, environ, client):
    assert choose(url, "auto", environ).name == client


def test_a_named_client_is_taken_whatever_the_environment():
    assert choose("s3://bucket/cache", "fsspec", KEYS).name == "fsspec"
    assert choose("s3://bucket/cache", "obstore", {"AWS_PROFILE": "team"}).name == "obstore"


def test_obstore_asked_for_a_url_it_does_not_serve_says_what_to_set():
    with pytest.raises(RemoteCacheError) as raised:
        RemoteStore("gs://bucket/cache", client="obstore")
    assert str(raised.value) == (
        "cache_remote gs://bucket/cache: cache_remote_client = 'obstore' serves s3:// URLs; set "
        "it to 'auto' or 'fsspec' for this one"
    )


def test_each_kind_of_remote_in_the_tests_goes_through_the_client_it_stands_for(
    remote_url, request
):
    transport = RemoteStore(remote_url).transport
    expected = REMOTE_CLIENT_OF[request.node.callspec.params["remote_url"]]
    assert type(transport) is {"obstore": ObstoreTransport, "fsspec": FsspecTransport}[expected]

"""An S3-compatible store for the tests: moto's server mode (`python -m moto.server`) in its own
process on 127.0.0.1, spoken to over real HTTP by boto3, as the sync server speaks to a real one.

No production-grade S3 server installs here (MinIO and the like are not in the package sources);
moto implements the S3 REST API (PUT/GET/HEAD object, ListObjectsV2; it does not check Content-MD5) in
memory, which is what the store in sync_server/blobs/s3.py uses. docs/DEPLOY.md says so."""
from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
from botocore.config import Config

from tests.support.server import answers_ok, free_port

KEY_ID, SECRET, REGION = "suijian-test", "suijian-test-secret", "us-east-1"


class MotoServer:
    def __init__(self, log: Path) -> None:
        self.port, self.log = free_port(), log
        self.proc: subprocess.Popen | None = None
        self._client = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "MotoServer":
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not answers_ok(self.url + "/moto-api/"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto server did not start: {self.log.read_text(errors='replace')}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self):
        """An independent boto3 client (not the product's store) to look into the buckets; made once
        (a boto3 client costs a few hundred milliseconds to make: it loads the service's model)."""
        if self._client is None:
            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self.url, region_name=REGION, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        return self._client

    def new_bucket(self) -> str:
        name = f"suijian-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str, prefix: str = "photos") -> dict[str, str]:
        """The sync server's settings for this store (docs/DEPLOY.md)."""
        return {"SUIJIAN_BLOB_URL": f"s3://{bucket}/{prefix}", "SUIJIAN_S3_ENDPOINT": self.url,
                "SUIJIAN_S3_REGION": REGION, "SUIJIAN_S3_ACCESS_KEY_ID": KEY_ID,
                "SUIJIAN_S3_SECRET_ACCESS_KEY": SECRET, "SUIJIAN_S3_ADDRESSING": "path"}

"""S3-compatible stores: ``s3://bucket/prefix`` on AWS S3, MinIO, Ceph RGW, Cloudflare R2, Backblaze B2, Wasabi...

Configuration is boto3's own (credential chain, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, region), plus Scrapy's
``AWS_*`` settings, plus ``ARCHIVE_S3_*`` (``S3Options``, in ``pipelines/store/s3options.py``), all read by
``S3Store.from_uri``. Each store makes its own boto3 session and client, once, on first use.

``persist`` uploads with ``upload_file`` and a ``TransferConfig`` (multipart from the part size on, parts in
parallel), asks the server to verify a SHA-256 of every part (``ChecksumAlgorithm``), then compares
``head_object`` with the local file (size, and the SHA-256 checksum the server keeps: the file's own for a single
PUT; for a multipart upload, the composite of the parts' SHA-256, each verified by the server on receipt) before
the caller may delete its copy. The file's SHA-256 (for the manifest) is computed while the upload runs, so it
costs no time before the first byte leaves. Keys are
deterministic, so a file sent again after a crash lands on the same object: every record is stored once. Retries
with backoff on throttling, 5xx and connection errors are botocore's (``retries``); connect and read timeouts make
a dead endpoint fail instead of hang.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pipelines.store.base import StoreConfigError, StoredObject, StoreUnavailable, check_range, safe_key
from pipelines.store.checksums import CHUNK, file_sha256
from pipelines.store.s3options import S3Options, client_options_from_settings, new_client

# Error codes that mean "fix the configuration", not "try later".
CONFIG_ERROR_CODES = {
    "NoSuchBucket": "does not exist",
    "404": "does not exist",
    "AccessDenied": "denied access (wrong credentials, or no permission)",
    "403": "denied access (wrong credentials, or no permission)",
    "InvalidAccessKeyId": "does not know the access key id (wrong credentials)",
    "SignatureDoesNotMatch": "rejected the signature (wrong secret key)",
    "InvalidBucketName": "says the bucket name is not valid",
    "AllAccessDisabled": "has disabled all access to the bucket",
}


def composite_sha256(path: Path, part_size: int) -> str:
    """Base64 SHA-256 of the concatenated binary SHA-256 of each ``part_size`` part (S3's multipart checksum)."""
    parts = []
    with open(path, "rb") as fh:
        while True:
            part, left = hashlib.sha256(), part_size
            while left and (chunk := fh.read(min(CHUNK, left))):
                part.update(chunk)
                left -= len(chunk)
            if left == part_size and parts:
                break
            parts.append(part.digest())
            if left:
                break
    return base64.b64encode(hashlib.sha256(b"".join(parts)).digest()).decode()


class S3Store:
    """An S3 bucket and prefix on any S3-compatible server.

    ``client_options`` are passed to ``boto3`` (``endpoint_url``, ``region_name``, keys); left empty, boto3's own
    configuration chain applies (``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, instance roles...). ``options`` tune the
    client and transfers.
    """

    def __init__(self, uri: str, client_options: dict[str, Any] | None = None, options: S3Options | None = None):
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"Incorrect URI {uri!r}, expected s3://bucket/prefix")
        if "@" in parsed.netloc:
            # never echo the URI: it holds a secret
            raise ValueError("Credentials do not belong in the store URI; use AWS_* settings or boto3's environment")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        if self.prefix:
            safe_key(self.prefix)
        self.uri = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        self.client_options = {k: v for k, v in (client_options or {}).items() if v}
        self.options = options or S3Options()
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_uri(cls, uri: str, settings: Any | None = None) -> S3Store:
        """The bucket and prefix at ``uri``, with the ``AWS_*`` and ``ARCHIVE_S3_*`` settings (None: boto3's own)."""
        if settings is None:
            return cls(uri)
        return cls(uri, client_options_from_settings(settings), S3Options.from_settings(settings))

    @property
    def client(self) -> Any:
        """The store's boto3 client, made on first use (with a session of its own)."""
        with self._lock:  # threads (uploads, the loop) may ask at once: make one client
            if self._client is None:
                self._client = new_client(self.client_options, self.options)
        return self._client

    @property
    def endpoint(self) -> str:
        """The endpoint the client talks to (for messages)."""
        return self.client.meta.endpoint_url

    def _key(self, key: str) -> str:
        safe_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _part_size(self, size: int) -> int | None:
        """The part size s3transfer will use for a file of ``size`` bytes, or None for a single PUT."""
        if size < self.options.part_size:
            return None
        from s3transfer.utils import ChunksizeAdjuster  # the rule s3transfer applies

        return ChunksizeAdjuster().adjust_chunksize(self.options.part_size, size)

    def persist(self, local_path: Path, key: str) -> StoredObject:
        size = local_path.stat().st_size
        with ThreadPoolExecutor(1) as pool:
            # Hashing 1 GB takes about a second: do it while the parts travel, not before
            sha256 = pool.submit(file_sha256, local_path)
            if self._holds(key, size, sha256, local_path):
                return StoredObject(key, size, sha256.result())  # sent by a run killed before it deleted its copy
            extra = {"ChecksumAlgorithm": self.options.checksum_algorithm} if self.options.checksum_algorithm else {}
            try:
                self.client.upload_file(
                    str(local_path), self.bucket, self._key(key), ExtraArgs=extra, Config=self.options.transfer_config()
                )
            except Exception as exc:  # botocore/s3transfer errors become the two kinds callers act on
                raise self.translate(exc, f"upload of {self.uri_for(key)}") from None
            if not self._holds(key, size, sha256):
                raise OSError(f"{self.uri_for(key)} does not match the local file after upload (size or SHA-256)")
            return StoredObject(key, size, sha256.result())

    def _holds(self, key: str, size: int, sha256: Future[str], local_path: Path | None = None) -> bool:
        """Whether ``key`` exists with this size and, where the server keeps a SHA-256 checksum, this content.

        A single-part object's checksum is the SHA-256 of the whole file. A multipart object's is the composite of
        its parts' (written ``<base64>-<parts>`` by AWS): right after our upload, its presence says the server
        verified every part against the SHA-256 s3transfer computed from the file; for an object found before
        uploading (``local_path`` given), the composite is computed from the local file and compared. Servers
        without the checksum API are checked on size alone.
        """
        head = self._head(key)
        if head is None or head["ContentLength"] != size:
            return False
        if head.get("Metadata", {}).get("sha256", "") not in ("", sha256.result()):
            return False
        checksum = (head.get("ChecksumSHA256") or "").split("-", 1)[0]
        if not checksum:
            return True
        if "-" in head.get("ETag", "") or head.get("PartsCount"):
            part_size = self._part_size(size)
            return local_path is None or (part_size is not None and checksum == composite_sha256(local_path, part_size))
        return checksum == base64.b64encode(bytes.fromhex(sha256.result())).decode()

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key), ChecksumMode="ENABLED")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self.translate(exc, f"look-up of {self.uri_for(key)}") from None
        except Exception as exc:
            raise self.translate(exc, f"look-up of {self.uri_for(key)}") from None

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        sha256 = hashlib.sha256(data).hexdigest()
        extra = {"ChecksumAlgorithm": self.options.checksum_algorithm} if self.options.checksum_algorithm else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
        except Exception as exc:
            raise self.translate(exc, f"write of {self.uri_for(key)}") from None
        return StoredObject(key, len(data), sha256)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """A conditional ``PutObject`` (``IfNoneMatch="*"``: the server answers 412 when the key exists).

        Some S3-compatible servers ignore ``If-None-Match`` and overwrite: the object is then read back, and a
        call that does not find its own bytes lost to a writer that came after it.
        """
        from botocore.exceptions import ClientError

        extra = {"ChecksumAlgorithm": self.options.checksum_algorithm} if self.options.checksum_algorithm else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*", **extra)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise self.translate(exc, f"conditional write of {self.uri_for(key)}") from None
        except Exception as exc:
            raise self.translate(exc, f"conditional write of {self.uri_for(key)}") from None
        try:
            return self.get_bytes(key) == data
        except FileNotFoundError:  # deleted by another run between the two requests
            return False

    def delete(self, key: str) -> None:
        try:  # S3 answers a delete of a missing key with success too
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise self.translate(exc, f"delete of {self.uri_for(key)}") from None

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        check_range(offset, length)
        if length == 0:  # no range request can ask for nothing; a missing key still raises, as for a file
            if self._head(key) is None:
                raise FileNotFoundError(self.uri_for(key))
            return b""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            kwargs["Range"] = f"bytes={offset}-{end}"
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(**kwargs)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                raise FileNotFoundError(self.uri_for(key)) from None
            if code == "InvalidRange":  # reading past the end gives nothing, as a local file does
                return b""
            raise self.translate(exc, f"read of {self.uri_for(key)}") from None

    def list_keys(self, prefix: str = "") -> list[str]:
        if prefix:  # a folder, as on a file system: "warc" does not list "warc2/..."
            prefix = safe_key(prefix.rstrip("/")) + "/"
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        strip = len(f"{self.prefix}/") if self.prefix else 0
        keys: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
                keys.extend(obj["Key"][strip:] for obj in page.get("Contents", []))
        except Exception as exc:
            raise self.translate(exc, f"listing of {self.uri}") from None
        return sorted(keys)

    def uri_for(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def stat(self, key: str) -> StoredObject | None:
        """Size and SHA-256 of ``key``; the SHA-256 is empty when the server only knows a multipart checksum."""
        head = self._head(key)
        if head is None:
            return None
        checksum = head.get("ChecksumSHA256") or ""
        single = checksum and "-" not in checksum and not head.get("PartsCount") and "-" not in head.get("ETag", "")
        sha256 = base64.b64decode(checksum).hex() if single else head.get("Metadata", {}).get("sha256", "")
        return StoredObject(key, head["ContentLength"], sha256)

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise self.translate(exc, f"check of {self.uri}") from None

    def abort_incomplete(self, prefix: str, before: float) -> int:
        """Abort multipart uploads under ``prefix`` a killed run left behind (started before ``before``)."""
        full = self._key(prefix.rstrip("/")) + "/" if prefix else (f"{self.prefix}/" if self.prefix else "")
        aborted = 0
        try:
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=full):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"].timestamp() < before:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        except Exception as exc:
            raise self.translate(exc, f"clean-up of unfinished uploads under {self.uri_for(prefix or 'x')}") from None
        return aborted

    def translate(self, exc: BaseException, action: str) -> BaseException:
        """``StoreConfigError``, ``StoreUnavailable`` or ``exc`` itself, with a message free of secrets."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        cause = exc
        if not isinstance(exc, ClientError | BotoCoreError):  # s3transfer wraps the botocore error
            inner = exc.__cause__ or exc.__context__
            cause = inner if isinstance(inner, ClientError | BotoCoreError) else exc
        endpoint = self.client_options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL") or "AWS"
        where = f"{self.uri} at {endpoint}"
        if isinstance(cause, NoCredentialsError):
            return StoreConfigError(f"No S3 credentials found for {where} (set AWS_ACCESS_KEY_ID/AWS_PROFILE)")
        if isinstance(cause, ClientError):
            error = cause.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in CONFIG_ERROR_CODES:
                return StoreConfigError(f"The S3 server {CONFIG_ERROR_CODES[code]}: bucket {self.bucket!r} ({where})")
            if status >= 500 or code in ("SlowDown", "Throttling", "RequestTimeout"):
                return StoreUnavailable(self.redact(f"{action} failed after retries: {code} (HTTP {status})"))
            return OSError(self.redact(f"{action} failed: {code} {error.get('Message', '')}".strip()))
        if isinstance(cause, BotoCoreError | OSError):
            return StoreUnavailable(self.redact(f"{action} failed after retries: {cause}"))
        return exc

    def redact(self, text: str) -> str:
        """``text`` with every credential this store knows of replaced by ``***``."""
        for name in ("aws_secret_access_key", "aws_session_token", "aws_access_key_id"):
            for secret in (self.client_options.get(name), os.environ.get(name.upper())):
                if secret and len(secret) >= 4:
                    text = text.replace(secret, "***")
        return text

"""How the S3 store's boto3 client talks to the server, read from Scrapy settings.

``S3Options`` (the ``ARCHIVE_S3_*`` settings, ``AWS_VERIFY`` and ``AWS_USE_SSL``) tune the client and transfers
for what S3-compatible servers and unattended jobs need: path-style addressing, checksums only "when required", TLS
verification off only when asked, part size, retries and timeouts. ``client_options_from_settings`` reads the
endpoint, region and credentials from Scrapy's ``AWS_*`` settings; left unset, boto3's own chain applies
(``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, instance roles...). ``new_client`` builds a client from both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

MiB = 1024**2
# boto3 and urllib3 log request headers (the access key id is in Authorization) at DEBUG, and chatter at INFO
# ("Found credentials in environment variables"): keep them to warnings.
CHATTY_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")
# Scrapy's AWS_* settings -> boto3 client keywords (the same names Scrapy's S3 feed storage reads).
CLIENT_SETTINGS = {
    "AWS_ENDPOINT_URL": "endpoint_url",
    "AWS_REGION_NAME": "region_name",
    "AWS_ACCESS_KEY_ID": "aws_access_key_id",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
    "AWS_SESSION_TOKEN": "aws_session_token",
}


def _tls_verify(value: Any) -> bool | str | None:
    """``AWS_VERIFY``: unset (verify), a boolean (also as text from ``-s``), or a CA bundle path."""
    if value is None or value == "" or isinstance(value, bool):
        return None if value == "" else value
    text = str(value).strip()
    if text.lower() in ("0", "false", "no", "off"):
        return False
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    return text


@dataclass(frozen=True)
class S3Options:
    """How the S3 client talks to the server; ``from_settings`` reads the ``ARCHIVE_S3_*`` and ``AWS_*`` settings."""

    addressing_style: str = ""  # "path" for most S3-compatible servers; "" = boto3's choice
    request_checksum: str = ""  # "when_required" for servers that reject boto3's default checksums
    checksum_algorithm: str = "SHA256"  # "" = send none (servers without the checksum API)
    part_size: int = 64 * MiB  # multipart from this size on, in parts of this size (S3's minimum is 5 MiB)
    part_concurrency: int = 4  # parts of one file in flight at once
    retry_mode: str = "standard"
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    verify: bool | str | None = None  # False turns TLS verification off; a path names a CA bundle
    use_ssl: bool | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> S3Options:
        """Options from Scrapy settings (defaults where a setting is missing)."""

        def number(name: str, default: float, kind: type = int) -> Any:
            value = settings.get(name)
            return default if value in (None, "") else kind(value)

        use_ssl = settings.get("AWS_USE_SSL")
        return cls(
            addressing_style=settings.get("ARCHIVE_S3_ADDRESSING_STYLE") or "",
            request_checksum=settings.get("ARCHIVE_S3_REQUEST_CHECKSUM") or "",
            checksum_algorithm=(settings.get("ARCHIVE_S3_CHECKSUM_ALGORITHM", "SHA256") or "").upper(),
            part_size=number("ARCHIVE_S3_PART_SIZE", cls.part_size),
            part_concurrency=number("ARCHIVE_S3_PART_CONCURRENCY", cls.part_concurrency),
            retry_mode=settings.get("ARCHIVE_S3_RETRY_MODE") or cls.retry_mode,
            max_attempts=number("ARCHIVE_S3_MAX_ATTEMPTS", cls.max_attempts),
            connect_timeout=number("ARCHIVE_S3_CONNECT_TIMEOUT", cls.connect_timeout, float),
            read_timeout=number("ARCHIVE_S3_READ_TIMEOUT", cls.read_timeout, float),
            verify=_tls_verify(settings.get("AWS_VERIFY")),
            use_ssl=None if use_ssl in (None, "") else settings.getbool("AWS_USE_SSL"),
        )

    def transfer_config(self) -> Any:
        """The boto3 ``TransferConfig`` for uploads (the benchmark gives bare boto3 the same one)."""
        from boto3.s3.transfer import TransferConfig  # boto3 only when S3 is used

        return TransferConfig(
            multipart_threshold=self.part_size,
            multipart_chunksize=self.part_size,
            max_concurrency=self.part_concurrency,
        )

    def client_config(self) -> Any:
        """The botocore ``Config``: retries with backoff, timeouts, addressing and checksum modes."""
        from botocore.config import Config

        return Config(
            retries={"mode": self.retry_mode, "max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            s3={"addressing_style": self.addressing_style} if self.addressing_style else None,
            request_checksum_calculation=self.request_checksum or None,
            response_checksum_validation=self.request_checksum or None,
            # files upload in parallel and each in parallel parts: keep a connection for each
            max_pool_connections=max(10, 4 * self.part_concurrency),
        )


def client_options_from_settings(settings: Any) -> dict[str, Any]:
    """boto3 client keywords from Scrapy's ``AWS_*`` settings, the unset ones left out (boto3's chain fills them)."""
    return {keyword: value for name, keyword in CLIENT_SETTINGS.items() if (value := settings.get(name))}


def new_client(client_options: dict[str, Any], options: S3Options) -> Any:
    """A boto3 S3 client from a session of its own (each store makes one, once: the lead shares its store).

    A session is not thread-safe, the clients it makes are: the session is used here only, and then dropped.
    """
    import boto3  # boto3 only when S3 is used

    for name in CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    extra: dict[str, Any] = {}
    if options.verify is not None:
        extra["verify"] = options.verify
    if options.use_ssl is not None:
        extra["use_ssl"] = options.use_ssl
    return boto3.session.Session().client("s3", config=options.client_config(), **extra, **client_options)

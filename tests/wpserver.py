"""A real WordPress for the tests: Debian's package on Apache + mod_php and MariaDB, all on 127.0.0.1.

Everything lives in one private folder (database files, the socket, Apache's config and logs, wp-content with
its uploads); the only file written outside it is Debian's per-site config, ``/etc/wordpress/config-NAME.php``,
which Debian's ``wp-config.php`` reads by the ``WORDPRESS_CONFIG`` name that Apache passes with ``SetEnv``. The
content is written through WordPress's own PHP API (``tests/wordpress/content.php``) and read back from WordPress
(``tests/wordpress/dump.php``), so a test's expected values are WordPress's, never typed by hand.

The packages are installed by ``.ci/run`` (``apt-get install wordpress wordpress-theme-* mariadb-server apache2
libapache2-mod-php php-mysql php-gd``); ``missing()`` names what is absent so the tests can say why they skip.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

PHP = Path(__file__).resolve().parent / "wordpress"
WORDPRESS = Path("/usr/share/wordpress")
CONFIGS = Path("/etc/wordpress")
THEMES = WORDPRESS / "wp-content" / "themes"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
NEEDED = {
    "wordpress": WORDPRESS / "wp-load.php",
    "apache2": Path("/usr/sbin/apache2"),
    "mod_php": APACHE_MODULES / "libphp8.2.so",
    "mariadbd": Path("/usr/sbin/mariadbd"),
    "mariadb-install-db": Path("/usr/bin/mariadb-install-db"),
    "php": Path("/usr/bin/php"),
}
MODULES = ["mpm_prefork", "authz_core", "dir", "mime", "rewrite", "alias", "env"]


def missing() -> list[str]:
    """The harness's prerequisites absent on this machine (empty when it can run)."""
    absent = [name for name, path in NEEDED.items() if not path.exists()]
    if os.geteuid() != 0:
        absent.append("root (Apache drops to www-data, MariaDB runs as root in a private folder)")
    return absent


def free_port() -> int:
    """A port free on 127.0.0.1 now (Apache cannot be told to take port 0 and say which it got)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WordPress:
    """One WordPress site, installed and filled, served on ``base`` until ``stop()``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="blogarc-wp-"))
        self.root.chmod(0o755)  # Apache's workers (www-data) read wp-content and the socket here
        self.name = "blogarc-test-" + secrets.token_hex(4)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.config = CONFIGS / f"config-{self.name}.php"
        self.socket = self.root / "mysql.sock"
        self.db_password = secrets.token_hex(12)
        self.admin_password = secrets.token_hex(12)
        self.processes: list[subprocess.Popen] = []

    # ------------------------------------------------------------ lifecycle

    def start(self) -> WordPress:
        """Database, config, content folder and Apache up; WordPress installed and its content written."""
        try:
            self._start_database()
            self._write_config()
            self._make_content_dir()
            self._start_apache()
            self.php("install.php")
            self.php("content.php")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Every server stopped, the per-site config removed, the private folder deleted."""
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        self.config.unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> WordPress:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ WordPress's own view

    def php(self, script: str, *args: str) -> str:
        """Run one of the harness's PHP scripts inside this WordPress; its standard output."""
        env = dict(os.environ, WORDPRESS_CONFIG=self.name, WORDPRESS_HOST=f"127.0.0.1:{self.port}")
        env["WORDPRESS_ADMIN_PASSWORD"] = self.admin_password
        done = subprocess.run(
            ["php", str(PHP / script), *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0 or "Fatal error" in done.stdout:
            raise RuntimeError(f"{script} failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
        return done.stdout

    def themes(self) -> list[dict]:
        """Every installed theme: [{"stylesheet": name, "block": bool}]."""
        return json.loads(self.php("themes.php"))

    def switch_theme(self, stylesheet: str) -> None:
        """Make ``stylesheet`` the active theme, through WordPress's own theme switch."""
        self.php("theme.php", stylesheet)

    def edit(self, post_id: int, paragraph: str) -> None:
        """Append a paragraph to a post as its author would (``wp_update_post``: its modified date is now)."""
        self.php("edit.php", str(post_id), paragraph)

    def truth(self) -> dict:
        """WordPress's own data: published posts and pages, hidden posts, unapproved comments (dump.php)."""
        return json.loads(self.php("dump.php"))

    def access_log(self) -> list[str]:
        """The request lines Apache served so far ("GET /path HTTP/1.1")."""
        log = self.root / "access.log"
        return [line.split('"')[1] for line in log.read_text("utf-8", "replace").splitlines() if '"' in line]

    # ------------------------------------------------------------ the parts

    def _start_database(self) -> None:
        data = self.root / "db"
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db"],
            check=True,
            capture_output=True,
            timeout=300,
        )
        self._spawn(
            ["mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={self.socket}", "--skip-networking",
             "--user=root", f"--pid-file={self.root / 'db.pid'}", f"--log-error={self.root / 'db.err'}"]
        )  # fmt: skip
        self._wait(lambda: self.socket.exists(), "MariaDB's socket")
        sql = (
            "CREATE DATABASE wordpress CHARACTER SET utf8mb4;"
            f"CREATE USER 'wordpress'@'localhost' IDENTIFIED BY '{self.db_password}';"
            "GRANT ALL ON wordpress.* TO 'wordpress'@'localhost';"
        )
        subprocess.run(["mariadb", f"--socket={self.socket}", "-uroot", "-e", sql], check=True, timeout=60)

    def _write_config(self) -> None:
        content = self.root / "wp-content"
        self.config.write_text(
            "<?php\n"
            "define('DB_NAME', 'wordpress');\ndefine('DB_USER', 'wordpress');\n"
            f"define('DB_PASSWORD', '{self.db_password}');\ndefine('DB_HOST', 'localhost:{self.socket}');\n"
            f"define('WP_HOME', 'http://127.0.0.1:{self.port}');\ndefine('WP_SITEURL', 'http://127.0.0.1:{self.port}');\n"
            f"define('WP_CONTENT_DIR', '{content}');\ndefine('WP_CONTENT_URL', 'http://127.0.0.1:{self.port}/wp-content');\n"
            "define('WP_HTTP_BLOCK_EXTERNAL', true);\n"  # nothing leaves the machine (oEmbed, update checks)
            "define('DISABLE_WP_CRON', true);\ndefine('AUTOMATIC_UPDATER_DISABLED', true);\n"
            "define('WP_ENVIRONMENT_TYPE', 'local');\n"
            "$table_prefix = 'wp_';\n",
            "utf-8",
        )  # fmt: skip

    def _make_content_dir(self) -> None:
        content = self.root / "wp-content"
        (content / "themes").mkdir(parents=True)
        (content / "plugins").mkdir()
        for theme in THEMES.iterdir():
            (content / "themes" / theme.name).symlink_to(theme)
        (content / "uploads").mkdir()
        shutil.chown(content / "uploads", "www-data", "www-data")

    def _start_apache(self) -> None:
        conf = self.root / "apache2.conf"
        loads = "\n".join(f"LoadModule {m}_module {APACHE_MODULES / f'mod_{m}.so'}" for m in MODULES)
        conf.write_text(
            f"""ServerRoot "{self.root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
PidFile {self.root}/apache.pid
Mutex file:{self.root}
User www-data
Group www-data
{loads}
LoadModule php_module {NEEDED["mod_php"]}
TypesConfig /etc/mime.types
ErrorLog {self.root}/error.log
LogFormat "%h \\"%r\\" %>s %b" short
CustomLog {self.root}/access.log short
StartServers 2
MaxRequestWorkers 8
DocumentRoot {WORDPRESS}
DirectoryIndex index.php
SetEnv WORDPRESS_CONFIG {self.name}
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
Alias /wp-content {self.root}/wp-content
<Directory {self.root}/wp-content>
    Options FollowSymLinks
    Require all granted
</Directory>
<Directory {WORDPRESS}>
    Options FollowSymLinks
    AllowOverride None
    Require all granted
    RewriteEngine On
    RewriteBase /
    RewriteRule ^index\\.php$ - [L]
    RewriteCond %{{REQUEST_FILENAME}} !-f
    RewriteCond %{{REQUEST_FILENAME}} !-d
    RewriteRule . /index.php [L]
</Directory>
""",
            "utf-8",
        )
        self._spawn(["apache2", "-f", str(conf), "-DFOREGROUND"])
        self._wait(self._answers, "Apache")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "wp-includes/css/dashicons.min.css", timeout=5):
                return True
        except OSError:
            return False

    def _logs_tail(self) -> str:
        """The last lines the servers wrote, for an error message."""
        logs = [*self.root.glob("*.out"), self.root / "error.log", self.root / "db.err"]
        return " | ".join(p.read_text("utf-8", "replace")[-800:] for p in logs if p.exists())

    def _spawn(self, argv: list[str]) -> None:
        # the child writes to its own copy of the log's descriptor: ours is closed at once (an unclosed file is a
        # ResourceWarning, an error under the suite's filterwarnings)
        with open(self.root / f"{Path(argv[0]).name}.out", "wb") as log:
            # a session of its own: Apache's parent, told to stop, sends SIGTERM to its whole process group, which
            # would otherwise be the test run's (killpg(getpgrp()) in the prefork MPM's shutdown)
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)

    def _wait(self, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"{what} did not start: {self._logs_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not ready after {timeout} s")
            time.sleep(0.2)

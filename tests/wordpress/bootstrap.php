<?php
/**
 * Loads WordPress for a command-line script of the test harness.
 *
 * Debian's wp-config.php picks /etc/wordpress/config-$WORDPRESS_CONFIG.php; the harness passes that name and the
 * site's host in the environment, as Apache's SetEnv does for web requests.
 */
$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
$_SERVER['HTTP_HOST'] = getenv('WORDPRESS_HOST');
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
if (!empty($installing)) {
    define('WP_INSTALLING', true);
}
require_once '/usr/share/wordpress/wp-load.php';

<?php
/** Switches the site to the theme named on the command line. */
require __DIR__ . '/bootstrap.php';
$name = $argv[1];
$theme = wp_get_theme($name);
if (!$theme->exists()) {
    fwrite(STDERR, "no such theme: $name\n");
    exit(1);
}
switch_theme($name);
echo get_stylesheet(), "\n";

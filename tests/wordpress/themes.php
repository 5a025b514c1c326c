<?php
/** Lists the installed themes (stylesheet, block or classic) as JSON. */
require __DIR__ . '/bootstrap.php';
$themes = [];
foreach (wp_get_themes() as $stylesheet => $theme) {
    $themes[] = ['stylesheet' => $stylesheet, 'block' => $theme->is_block_theme()];
}
echo json_encode($themes), "\n";

<?php
/** Appends a paragraph to the post whose id is given, through wp_update_post() (which stamps its modified date). */
require __DIR__ . '/bootstrap.php';
$id = (int) $argv[1];
$post = get_post($id);
if (!$post) {
    fwrite(STDERR, "no post $id\n");
    exit(1);
}
$added = "<!-- wp:paragraph -->\n<p>" . $argv[2] . "</p>\n<!-- /wp:paragraph -->\n";
$result = wp_update_post(wp_slash(['ID' => $id, 'post_content' => $post->post_content . "\n\n" . $added]), true);
if (is_wp_error($result)) {
    fwrite(STDERR, $result->get_error_message() . "\n");
    exit(1);
}
echo get_post_modified_time('c', true, $id), "\n";

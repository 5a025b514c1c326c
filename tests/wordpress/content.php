<?php
/**
 * Writes the test blog's content through WordPress's own API: users with bios, posts of every kind, pages,
 * threaded comments (and pending and spam ones), terms, images, galleries, embeds.
 *
 * Deterministic: the same words, dates and ids on every run. The expected values a test checks are read back
 * from WordPress afterwards (dump.php), never from this file.
 */
require __DIR__ . '/bootstrap.php';
require_once ABSPATH . 'wp-admin/includes/image.php';

mt_srand(20231);

const WORDS = ['tide', 'harbour', 'gull', 'dune', 'lighthouse', 'fisher', 'salt', 'marsh', 'heron', 'pebble', 'ferry',
    'estuary', 'kelp', 'mist', 'cliff', 'oyster', 'lantern', 'rope', 'anchor', 'sail', 'current', 'shell', 'wind',
    'morning', 'evening', 'village', 'market', 'bread', 'coffee', 'letter', 'window', 'garden', 'bicycle', 'river',
    'forest', 'winter', 'summer', 'storm', 'boat', 'island', 'shore', 'wave', 'sand', 'rock', 'bridge', 'path'];
const VERBS = ['watched', 'carried', 'followed', 'remembered', 'painted', 'crossed', 'counted', 'gathered', 'mended',
    'described', 'photographed', 'collected', 'visited', 'measured', 'noticed', 'repaired'];

/** A sentence of plain words, different on every call. */
function sentence(): string {
    $n = mt_rand(9, 18);
    $words = [];
    for ($i = 0; $i < $n; $i++) {
        $words[] = ($i % 4 == 2) ? VERBS[mt_rand(0, count(VERBS) - 1)] : WORDS[mt_rand(0, count(WORDS) - 1)];
    }
    return ucfirst(implode(' ', $words)) . '.';
}

function paragraph_text(int $sentences = 4): string {
    $out = [];
    for ($i = 0; $i < $sentences; $i++) {
        $out[] = sentence();
    }
    return implode(' ', $out);
}

function p_block(string $text): string {
    return "<!-- wp:paragraph -->\n<p>$text</p>\n<!-- /wp:paragraph -->\n\n";
}

function h_block(string $text): string {
    return "<!-- wp:heading -->\n<h2>$text</h2>\n<!-- /wp:heading -->\n\n";
}

function list_block(array $items): string {
    $li = implode('', array_map(fn($i) => "<li>$i</li>", $items));
    return "<!-- wp:list -->\n<ul>$li</ul>\n<!-- /wp:list -->\n\n";
}

function quote_block(string $text): string {
    return "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>$text</p></blockquote>\n<!-- /wp:quote -->\n\n";
}

/** A block-editor body of a few paragraphs, with a heading and a list now and then. */
function block_body(int $paragraphs): string {
    $body = '';
    for ($i = 0; $i < $paragraphs; $i++) {
        if ($i == 2) {
            $body .= h_block(ucfirst(WORDS[mt_rand(0, count(WORDS) - 1)]) . ' and ' . WORDS[mt_rand(0, count(WORDS) - 1)]);
        }
        if ($i == 3) {
            $body .= list_block([sentence(), sentence(), sentence()]);
        }
        $body .= p_block(paragraph_text(mt_rand(3, 5)));
    }
    return $body;
}

function make_user(string $login, string $name, string $bio): int {
    $id = wp_insert_user([
        'user_login' => $login, 'user_pass' => wp_generate_password(), 'user_email' => "$login@example.org",
        'display_name' => $name, 'nickname' => $name, 'first_name' => explode(' ', $name)[0],
        'last_name' => explode(' ', $name, 2)[1], 'role' => 'author', 'description' => $bio,
    ]);
    if (is_wp_error($id)) {
        throw new RuntimeException($id->get_error_message());
    }
    return $id;
}

/** A PNG drawn with GD, stored through WordPress's media API; its attachment id. */
function make_image(string $name, int $w, int $h, array $rgb, string $caption, int $parent): int {
    $upload = wp_upload_dir('2023/05');
    wp_mkdir_p($upload['path']);
    $file = $upload['path'] . "/$name.png";
    $im = imagecreatetruecolor($w, $h);
    imagefill($im, 0, 0, imagecolorallocate($im, ...$rgb));
    imagepng($im, $file);
    imagedestroy($im);
    $id = wp_insert_attachment([
        'post_mime_type' => 'image/png', 'post_title' => $name, 'post_excerpt' => $caption,
        'post_status' => 'inherit', 'post_date' => '2023-05-01 09:00:00',
    ], $file, $parent);
    wp_update_attachment_metadata($id, wp_generate_attachment_metadata($id, $file));
    update_post_meta($id, '_wp_attachment_image_alt', "A $name");
    return $id;
}

function image_block(int $id, string $caption): string {
    $url = wp_get_attachment_image_url($id, 'large');
    return "<!-- wp:image {\"id\":$id,\"sizeSlug\":\"large\"} -->\n<figure class=\"wp-block-image size-large\">"
        . "<img src=\"$url\" alt=\"\" class=\"wp-image-$id\"/><figcaption class=\"wp-element-caption\">$caption"
        . "</figcaption></figure>\n<!-- /wp:image -->\n\n";
}

function gallery_block(array $images): string {
    $inner = '';
    foreach ($images as [$id, $caption]) {
        $inner .= image_block($id, $caption);
    }
    return "<!-- wp:gallery {\"linkTo\":\"none\"} -->\n<figure class=\"wp-block-gallery has-nested-images "
        . "columns-default is-cropped\">$inner</figure>\n<!-- /wp:gallery -->\n\n";
}

function make_post(array $fields, array $cats = [], array $tags = []): int {
    $gmt = $fields['post_date_gmt'];
    $fields += [
        'post_status' => 'publish', 'post_type' => 'post',
        'post_date' => get_date_from_gmt($gmt), 'comment_status' => 'open',
    ];
    $id = wp_insert_post(wp_slash($fields), true);
    if (is_wp_error($id)) {
        throw new RuntimeException($id->get_error_message());
    }
    if ($cats) {
        wp_set_post_terms($id, array_map('term_id_of', $cats), 'category');
    }
    if ($tags) {
        wp_set_post_terms($id, $tags, 'post_tag');
    }
    return $id;
}

function term_id_of(string $name): int {
    $term = term_exists($name, 'category') ?: wp_insert_term($name, 'category');
    return (int) (is_array($term) ? $term['term_id'] : $term);
}

/** Sets when a post was last modified (WordPress stamps "now" on insert). */
function set_modified(int $id, string $gmt): void {
    global $wpdb;
    $wpdb->update($wpdb->posts, ['post_modified_gmt' => $gmt, 'post_modified' => get_date_from_gmt($gmt)], ['ID' => $id]);
    clean_post_cache($id);
}

function comment(int $post, string $author, string $text, string $gmt, int $parent = 0, $approved = 1): int {
    return wp_insert_comment([
        'comment_post_ID' => $post, 'comment_author' => $author, 'comment_content' => $text,
        'comment_author_email' => sanitize_title($author) . '@example.net', 'comment_parent' => $parent,
        'comment_date_gmt' => $gmt, 'comment_date' => get_date_from_gmt($gmt), 'comment_approved' => $approved,
    ]);
}

require __DIR__ . '/content-posts.php';

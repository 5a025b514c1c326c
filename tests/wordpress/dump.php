<?php
/**
 * WordPress's own view of the test blog, as JSON: what a crawl must have recorded (published posts and pages with
 * their rendered content, authors, dates, terms, approved comments) and what it must never have fetched.
 */
require __DIR__ . '/bootstrap.php';

function iso(string $gmt): string {
    return str_replace(' ', 'T', $gmt) . 'Z';
}

/** The_content of every part of a post (each <!--nextpage--> part rendered as WordPress renders it). */
function rendered(WP_Post $post): array {
    $GLOBALS['post'] = $post;
    setup_postdata($post);
    $parts = [];
    foreach ($GLOBALS['pages'] as $part) {
        $parts[] = apply_filters('the_content', $part);
    }
    return $parts;
}

function comments_of(int $id): array {
    $out = [];
    foreach (get_comments(['post_id' => $id, 'status' => 'approve', 'order' => 'ASC']) as $c) {
        $out[] = ['id' => (int) $c->comment_ID, 'parent' => (int) $c->comment_parent, 'author' => $c->comment_author,
            'text' => $c->comment_content, 'published' => iso($c->comment_date_gmt)];
    }
    return $out;
}

/**
 * Text WordPress prints around a post that is not the post: the comment form of the active theme, the tagline,
 * the password form's prompt. None of it may reach a text record.
 */
function chrome(): array {
    $post = get_posts(['numberposts' => 1])[0];
    $GLOBALS['post'] = $post;
    setup_postdata($post);
    ob_start();
    comment_form([], $post->ID);
    $html = ob_get_clean() . get_the_password_form($post);
    $texts = preg_split('/\s*<[^>]+>\s*/', $html);
    $texts = array_filter(array_map(fn($t) => trim(html_entity_decode($t, ENT_QUOTES | ENT_HTML5)), $texts),
        fn($t) => strlen($t) > 3 && strpos($t, '*') === false && preg_match('/[a-z]{3}/', $t));
    $texts[] = get_bloginfo('description');
    return array_values(array_unique($texts));
}

$published = [];
foreach (get_posts(['post_type' => ['post', 'page'], 'post_status' => 'publish', 'numberposts' => -1]) as $p) {
    $published[] = [
        'id' => $p->ID, 'type' => $p->post_type, 'url' => get_permalink($p), 'title' => $p->post_title,
        'author' => get_the_author_meta('display_name', $p->post_author),
        'author_bio' => get_the_author_meta('description', $p->post_author),
        'published' => iso($p->post_date_gmt), 'modified' => iso($p->post_modified_gmt),
        'categories' => $p->post_type == 'post' ? wp_get_post_terms($p->ID, 'category', ['fields' => 'names']) : [],
        'tags' => wp_get_post_terms($p->ID, 'post_tag', ['fields' => 'names']),
        'sticky' => is_sticky($p->ID), 'protected' => $p->post_password !== '',
        'parts' => rendered($p), 'comments' => comments_of($p->ID),
    ];
}
$hidden = [];
foreach (get_posts(['post_type' => 'post', 'post_status' => ['draft', 'pending', 'private', 'future'], 'numberposts' => -1]) as $p) {
    $hidden[] = ['id' => $p->ID, 'status' => $p->post_status, 'slug' => $p->post_name ?: sanitize_title($p->post_title),
        'title' => $p->post_title, 'text' => wp_strip_all_tags($p->post_content)];
}
$unapproved = [];
foreach (get_comments(['status' => ['hold', 'spam']]) as $c) {
    $unapproved[] = ['post' => (int) $c->comment_post_ID, 'author' => $c->comment_author, 'text' => $c->comment_content];
}
echo json_encode(['home' => home_url('/'), 'theme' => get_stylesheet(), 'published' => $published,
    'hidden' => $hidden, 'unapproved' => $unapproved, 'chrome' => chrome()], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";

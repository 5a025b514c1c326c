<?php
/** The posts, pages and comments of the test blog (loaded by content.php, which defines the helpers). */

$amelie = make_user('amelie', 'Amélie Durand', 'Amélie writes about tides and harbours from a house by the estuary.');
$jonas = make_user('jonas', 'Jonas Berg', 'Jonas photographs lighthouses and mends old sails in winter.');
$keiko = make_user('keiko', 'Keiko Tanaka', '');  // an author without a bio
$authors = [$amelie, $jonas, $keiko];
$categories = ['Voyages', 'Économie locale', '日本語の記事', 'Notes'];
$tags = ['mer', 'été', '東京', 'photo', 'phare', 'marée'];

// Ordinary block-editor posts, by every author, over 2023.
$posts = [];
for ($i = 0; $i < 12; $i++) {
    $day = sprintf('2023-%02d-%02d %02d:15:00', 1 + $i % 12, 3 + 2 * $i, 8 + $i % 9);
    $posts[] = make_post([
        'post_author' => $authors[$i % 3],
        'post_title' => ucfirst(WORDS[($i * 7) % count(WORDS)]) . ' at the ' . WORDS[($i * 5 + 3) % count(WORDS)] . " ($i)",
        'post_content' => block_body(mt_rand(4, 7)),
        'post_date_gmt' => $day,
    ], [$categories[$i % 4]], [$tags[$i % 6], $tags[($i + 2) % 6]]);
}
foreach ([1, 4, 7] as $i) {
    set_modified($posts[$i], sprintf('2024-02-%02d 10:30:00', 10 + $i));
}
stick_post($posts[2]);

// A classic-editor post: no block markup, paragraphs made by wpautop from blank lines.
$classic = make_post([
    'post_author' => $jonas, 'post_title' => 'Le phare, écrit à l’ancienne',
    'post_content' => paragraph_text(4) . "\n\n" . paragraph_text(5) . "\n\n<h3>Un détour</h3>\n\n" . paragraph_text(3)
        . "\n\n<em>" . sentence() . "</em> " . paragraph_text(2),
    'post_date_gmt' => '2023-06-18 17:40:00',
], ['Voyages'], ['phare', 'marée']);

// A post split into three parts with <!--nextpage-->.
$split = make_post([
    'post_author' => $amelie, 'post_title' => 'A long walk along the estuary',
    'post_content' => block_body(4) . "<!-- wp:nextpage -->\n<!--nextpage-->\n<!-- /wp:nextpage -->\n\n" . block_body(4)
        . "<!-- wp:nextpage -->\n<!--nextpage-->\n<!-- /wp:nextpage -->\n\n" . block_body(3),
    'post_date_gmt' => '2023-07-02 06:05:00',
], ['Voyages', 'Notes'], ['mer', 'été']);

// Images with captions, a gallery, embeds.
$pictures = make_post([
    'post_author' => $jonas, 'post_title' => 'Three lighthouses in May',
    'post_content' => '', 'post_date_gmt' => '2023-05-20 12:00:00',
], ['Notes'], ['photo', 'phare']);
$red = make_image('red-lighthouse', 640, 400, [200, 40, 40], 'The red lighthouse at dawn', $pictures);
$blue = make_image('blue-harbour', 640, 400, [40, 60, 200], 'Boats in the blue harbour', $pictures);
$green = make_image('green-dune', 400, 640, [40, 160, 80], 'Grass on the green dune', $pictures);
wp_update_post(['ID' => $pictures, 'post_content' => block_body(2) . image_block($red, 'The red lighthouse at dawn')
    . block_body(2) . gallery_block([[$blue, 'Boats in the blue harbour'], [$green, 'Grass on the green dune']])
    . block_body(1)]);
set_post_thumbnail($pictures, $red);
set_modified($pictures, '2023-05-21 07:00:00');  // wp_update_post() stamped "now"

$embeds = make_post([
    'post_author' => $keiko, 'post_title' => 'Embedded elsewhere',
    'post_content' => block_body(2)
        . "<!-- wp:embed {\"url\":\"" . get_permalink($posts[0]) . "\",\"type\":\"wp-embed\",\"providerNameSlug\":\"carnets\"} -->\n"
        . "<figure class=\"wp-block-embed is-type-wp-embed\"><div class=\"wp-block-embed__wrapper\">\n" . get_permalink($posts[0])
        . "\n</div></figure>\n<!-- /wp:embed -->\n\n" . block_body(2),
    'post_date_gmt' => '2023-08-09 19:20:00',
], ['日本語の記事'], ['東京']);

// A password-protected post.
$protected = make_post([
    'post_author' => $amelie, 'post_title' => 'Letters from the ferry', 'post_password' => 'harbour-secret',
    'post_content' => block_body(3), 'post_date_gmt' => '2023-09-12 09:45:00',
], ['Notes'], ['mer']);

// Never to be archived: draft, pending review, private, scheduled.
make_post(['post_author' => $amelie, 'post_title' => 'Draft about the marsh', 'post_status' => 'draft',
    'post_content' => block_body(2), 'post_date_gmt' => '2023-10-01 10:00:00'], ['Notes']);
make_post(['post_author' => $jonas, 'post_title' => 'Pending note on kelp', 'post_status' => 'pending',
    'post_content' => block_body(2), 'post_date_gmt' => '2023-10-02 10:00:00'], ['Notes']);
make_post(['post_author' => $keiko, 'post_title' => 'Private diary of a heron', 'post_status' => 'private',
    'post_content' => block_body(2), 'post_date_gmt' => '2023-10-03 10:00:00'], ['Notes']);
make_post(['post_author' => $amelie, 'post_title' => 'Scheduled storm warning', 'post_status' => 'future',
    'post_content' => block_body(2), 'post_date_gmt' => '2099-01-01 10:00:00'], ['Notes']);

// Pages: two top-level, one child.
$about = make_post(['post_type' => 'page', 'post_author' => $amelie, 'post_title' => 'About these notes',
    'post_content' => block_body(3), 'post_date_gmt' => '2022-12-24 08:00:00', 'comment_status' => 'closed']);
make_post(['post_type' => 'page', 'post_author' => $amelie, 'post_title' => 'How we take pictures',
    'post_parent' => $about, 'post_content' => block_body(2), 'post_date_gmt' => '2022-12-26 08:00:00',
    'comment_status' => 'closed']);
make_post(['post_type' => 'page', 'post_author' => $jonas, 'post_title' => 'Contact and colophon',
    'post_content' => block_body(2), 'post_date_gmt' => '2022-12-28 08:00:00', 'comment_status' => 'closed']);

// Threaded comments on a few posts, plus pending and spam ones that must never appear.
$readers = ['Maria Kowalski', 'Tomás Ruiz', '李雷', 'Olu Adeyemi'];
foreach ([$posts[0], $posts[3], $split, $classic, $pictures] as $n => $post) {
    $top = comment($post, $readers[$n % 4], paragraph_text(2), sprintf('2023-11-%02d 08:00:00', 1 + $n));
    $reply = comment($post, $readers[($n + 1) % 4], paragraph_text(1), sprintf('2023-11-%02d 09:00:00', 1 + $n), $top);
    comment($post, $readers[$n % 4], paragraph_text(1), sprintf('2023-11-%02d 10:00:00', 1 + $n), $reply);
    comment($post, $readers[($n + 2) % 4], paragraph_text(2), sprintf('2023-11-%02d 11:00:00', 1 + $n));
    comment($post, 'Patient Reader', 'Awaiting moderation: ' . paragraph_text(1), sprintf('2023-11-%02d 12:00:00', 1 + $n), 0, 0);
    comment($post, 'Cheap Pills', 'Spam spam: ' . paragraph_text(1), sprintf('2023-11-%02d 13:00:00', 1 + $n), 0, 'spam');
}
// A comment by a post's own author (WordPress marks it bypostauthor).
comment($posts[0], get_the_author_meta('display_name', $amelie), paragraph_text(1), '2023-11-20 08:00:00');
// The rewrite rules flushed by install.php were made while WordPress was installing, before the category and tag
// taxonomies registered theirs (their archives answered 404): make them again in a normal load.
flush_rewrite_rules(false);
echo "content written\n";

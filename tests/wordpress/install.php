<?php
/** Installs a fresh WordPress into the harness's empty database (as the web installer would). */
$installing = true;
require __DIR__ . '/bootstrap.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

global $wpdb;
$result = wp_install('Carnets du Littoral', 'admin', 'admin@example.org', true, '', getenv('WORDPRESS_ADMIN_PASSWORD'));
update_option('permalink_structure', '/%year%/%monthnum%/%day%/%postname%/');
update_option('thread_comments', 1);
update_option('thread_comments_depth', 5);
update_option('comment_moderation', 0);
update_option('posts_per_page', 5);
update_option('timezone_string', 'Europe/Paris');
update_option('blogdescription', 'Notes from the shore');
flush_rewrite_rules(false);
// wp_install() dated its sample post, page and comment "now", in UTC before the time zone was set: date them on a
// fixed day in the site's own time zone, as a real install is (else a page shows UTC times with Paris's offset).
// Dated on a fixed day, so that every run of the harness has the same content.
$installed = '2022-12-20 09:30:00';
foreach (get_posts(['post_type' => ['post', 'page'], 'post_status' => 'any', 'numberposts' => -1]) as $p) {
    $local = get_date_from_gmt($installed);
    $wpdb->update($wpdb->posts, ['post_date' => $local, 'post_date_gmt' => $installed, 'post_modified' => $local,
        'post_modified_gmt' => $installed], ['ID' => $p->ID]);
}
foreach (get_comments(['status' => 'all']) as $c) {
    $wpdb->update($wpdb->comments, ['comment_date' => get_date_from_gmt($installed), 'comment_date_gmt' => $installed],
        ['comment_ID' => $c->comment_ID]);
}
echo json_encode(['user_id' => $result['user_id']]), "\n";

"""The compact duplicate filter decides as Scrapy's RFPDupeFilter does, and shares its job-directory file."""

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from crawler.dupefilter import CompactDupeFilter


def test_it_filters_what_scrapys_filter_filters():
    urls = [f"http://blog.example.org/{year}/post-{i}/" for year in (2024, 2025) for i in range(200)]
    ours, scrapys = CompactDupeFilter(), RFPDupeFilter()
    for url in (
        urls
        + urls[::7]
        + ["http://blog.example.org/2024/post-1/?a=1&b=2", "http://blog.example.org/2024/post-1/?b=2&a=1"]
    ):
        request = Request(url)
        assert ours.request_seen(request) == scrapys.request_seen(request), url
    assert len(ours.keys) == len(urls) + 1


def test_its_job_file_is_scrapys(tmp_path):
    first, second = Request("http://blog.example.org/a/"), Request("http://blog.example.org/b/")
    ours = CompactDupeFilter(str(tmp_path))
    assert not ours.request_seen(first)
    ours.close("finished")
    scrapys = RFPDupeFilter(str(tmp_path))  # resumes from the file ours wrote
    assert scrapys.request_seen(first) and not scrapys.request_seen(second)
    scrapys.close("finished")
    again = CompactDupeFilter(str(tmp_path))  # and ours from the file Scrapy's wrote
    assert again.request_seen(first) and again.request_seen(second)
    assert not again.request_seen(Request("http://blog.example.org/c/"))
    again.close("finished")

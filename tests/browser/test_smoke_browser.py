"""Smoke tests for the browser fixtures, against a throwaway app written to a temp directory.

They also document how to drive Streamlit 1.67 widgets from Playwright; the page tests against the
real app.py copy these patterns:
- file upload: ``set_input_files`` on the hidden ``input[type=file]`` inside the uploader;
- slider: focus ``[role="slider"]`` and press arrow keys;
- download: click the download button inside ``page.expect_download()``;
- any interaction that reruns the script: wrap it in ``expect_rerun(page)``, then assert.
"""

import textwrap

import pytest

from tests.browser.helpers import expect_rerun, screenshot, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect

SMOKE_APP = textwrap.dedent(
    """
    import streamlit as st

    st.title("hello")

    upload = st.file_uploader("Upload a sales spreadsheet")
    if upload is not None:
        data = upload.getvalue()
        header = data.decode("utf-8").splitlines()[0]
        st.markdown(f"Uploaded **{upload.name}**: {len(data)} bytes, header `{header}`")

    rate = st.slider("Discount rate (%)", 0, 100, 10)
    st.markdown(f"Discount rate is {rate}%")

    st.download_button("Download CSV", "a,b\\n1,2\\n", "x.csv", mime="text/csv")
    """
)


@pytest.fixture(scope="session")
def smoke_url(make_app_server, tmp_path_factory):
    app = tmp_path_factory.mktemp("smoke_app") / "app.py"
    app.write_text(SMOKE_APP)
    return make_app_server(app)


@pytest.fixture
def smoke_page(page, smoke_url):
    page.goto(smoke_url)
    wait_for_app(page)
    return page


def test_title_renders(smoke_page):
    expect(smoke_page.get_by_role("heading", name="hello")).to_be_visible()
    expect(smoke_page.get_by_text("Discount rate is 10%")).to_be_visible()


def test_upload_reaches_the_script(smoke_page, tmp_path):
    csv = tmp_path / "sales.csv"
    content = "客户编号,金额\nC1,12.5\n"
    csv.write_text(content, encoding="utf-8")
    uploader = smoke_page.get_by_test_id("stFileUploader")
    with expect_rerun(smoke_page):
        uploader.locator('input[type="file"]').set_input_files(csv)
    expect(smoke_page.get_by_test_id("stMarkdown").filter(has_text="Uploaded")).to_have_text(
        f"Uploaded sales.csv: {len(content.encode())} bytes, header 客户编号,金额"
    )
    # The uploader lists the file it holds.
    expect(uploader.get_by_text("sales.csv")).to_be_visible()
    screenshot(smoke_page, "smoke_upload")


def test_slider_moves_with_keyboard(smoke_page):
    slider = smoke_page.get_by_test_id("stSlider")
    # In 1.67 the thumb is a visually hidden native <input type="range"> (react-aria).
    thumb = slider.get_by_role("slider")
    expect(thumb).to_have_value("10")
    thumb.focus()
    with expect_rerun(smoke_page):
        smoke_page.keyboard.press("ArrowRight")
    expect(thumb).to_have_value("11")
    expect(slider.get_by_test_id("stSliderThumbValue")).to_have_text("11")
    expect(smoke_page.get_by_text("Discount rate is 11%")).to_be_visible()
    expect(smoke_page.get_by_text("Discount rate is 10%")).to_have_count(0)


def test_download_button_serves_the_file(smoke_page):
    button = smoke_page.get_by_test_id("stDownloadButton").get_by_role("button")
    with smoke_page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == "x.csv"
    with open(download.path(), encoding="utf-8") as f:
        assert f.read() == "a,b\n1,2\n"

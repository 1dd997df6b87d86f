"""Browser test of prospect scoring: on the demo data, open the Segments page's "Traits of
valuable customers", upload a lead list, check its guessed columns, download the scored
list."""

import csv
import io

import pytest

from tests.browser.helpers import expect_rerun, open_tab, open_with_demo, screenshot

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_lead_list_is_uploaded_scored_and_downloaded(page, app_server, tmp_path):
    open_with_demo(page, app_server, "Segments")
    open_tab(page, "Traits of valuable customers")  # the tab computes its tree when opened
    expect(page.get_by_text("as likely to be Platinum").first).to_be_visible(timeout=120_000)
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "Company,Industry,Source\n"
        "Hotel Adler,Hospitality,Referral\n"
        "Anna Berg,Private,Paid search\n"
        "Mine GmbH,Mining,Referral\n",
        encoding="utf-8",
    )
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Lead list with any of")
    with expect_rerun(page, timeout_ms=120_000):
        uploader.locator('input[type="file"]').set_input_files(str(leads))
    expect(page.get_by_text("2 leads scored, 1 flagged")).to_be_visible(timeout=60_000)
    # The columns were guessed ("Source" reads as the acquisition channel) and can be changed.
    panel = page.get_by_role("tabpanel").filter(has_text="Score a lead list")
    expect(panel.get_by_role("combobox", name="Acquisition channel")).to_have_value("Source")
    screenshot(page, "prospects_scored")
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Scored leads (CSV)").click()
    download = info.value
    assert download.suggested_filename == "scored_leads.csv"
    with open(download.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert [r["Company"] for r in rows] == ["Hotel Adler", "Anna Berg", "Mine GmbH"]
    assert rows[0]["expected_tier"] and float(rows[0]["lifetime_value"]) > float(
        rows[1]["lifetime_value"]
    )
    assert rows[2]["note"] == "Industry 'Mining' not seen among customers"
    assert rows[2]["lifetime_value"] == ""

"""The papers handed over on site: what each says (pure), and the PDF's own text, read back with an
independent reader (pypdf), field by field; the QR code compared module by module with segno's
encoding of the expected verification address."""
from __future__ import annotations

import hashlib
import io
import re

import pypdf
import pytest
import segno

from demo import words
from field_app import documents
from field_app.documents import content, pdf
from schemas import contract
from schemas.record import InspectionRecord
from tests.support import documents as sample, pdf_text

URL = f"{sample.SERVER}/public/records/{sample.RECORD_ID}"


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_text(data: bytes) -> list[str]:
    return [squeezed(text) for text in pdf_text.pages(data)]


@pytest.fixture(scope="module")
def signed() -> tuple[dict, dict, bytes, documents.Made]:
    job, png = sample.assignment(), sample.signature()
    record = sample.record(job, sig_sha=hashlib.sha256(png).hexdigest())
    return job, record, png, documents.make(record, job, sample.SERVER, png)


def test_the_record_and_the_opinion_print_every_field(signed) -> None:
    job, record, _, made = signed
    assert made.kinds == ("site_record", "opinion")
    assert made.sha256 == hashlib.sha256(made.data).hexdigest()
    text = "".join(pages_text(made.data))
    site, opinion = text.split("卫生监督意见书", 1)
    for paper in (site, opinion):
        assert "云溪县丽人美容美发店（〔U+5803〕）" in paper     # 堃 is not in the bundled font: shown, not blank
        for expected in ("91370303MA3C4LXK2P", "云溪县城关镇人民路88号", "2026-11-2009:30至17:40（北京时间）",
                         "刘颖（执法证号37030320000001）", "董英（执法证号37030321000002）",
                         "当事人（签名）：王芳", "检查人员（签名）：刘颖、董英", "2026年11月20日", squeezed(URL),
                         sample.RECORD_ID):
            assert expected in paper, expected
    for n, item in enumerate(job["items"]):
        assert squeezed(item["name"]) in site and squeezed(item["legal_basis"]) in site
        in_opinion = squeezed(item["name"]) in opinion
        assert in_opinion == (n < 3), item["name"]      # the opinion lists the three problems only
    for n in (1, 2, 3):
        assert f"不合格：第{n}项现场发现问题：记录不全" in site
    assert site.count("合格") - site.count("不合格") == 7
    for deadline in ("2026-12-05", "2026-12-06"):
        assert f"责令整改，整改期限：{deadline}" in site and f"责令整改，整改期限：{deadline}" in opinion
    assert "立案调查（案号云卫公罚〔2026〕18号）" in opinion
    assert squeezed(content.OPINION_INTRO) in opinion and squeezed(content.OPINION_CLOSE) in opinion


def test_the_qr_code_is_the_verification_address(signed) -> None:
    """Every page's QR code, read back from the drawn squares, is segno's code for the address."""
    expected = {(r, c) for r, row in enumerate(segno.make(URL, error="m").matrix) for c, dark in enumerate(row) if dark}
    for page in pypdf.PdfReader(io.BytesIO(signed[3].data)).pages:
        stream = page.get_contents().get_data().decode("latin-1")
        squares = [(float(x), float(y), float(w)) for x, y, w, h in
                   re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (-[\d.]+) re f", stream) if float(w) == -float(h) < 5]
        size = squares[0][2]
        left, top = min(s[0] for s in squares), max(s[1] for s in squares)
        found = {(round((top - y) / size), round((x - left) / size)) for x, y, _ in squares}
        shift = (min(r for r, _ in expected), min(c for _, c in expected))
        assert found == {(r - shift[0], c - shift[1]) for r, c in expected}


def test_a_refusal_without_problems_is_one_paper(signed) -> None:
    job = signed[0]
    record = sample.record(job, problems=0, refused=True)
    made = documents.make(record, job, sample.SERVER, None)
    assert made.kinds == ("site_record",)
    (text,) = pages_text(made.data)
    assert "当事人拒绝签字：负责人拒绝签字，已由两名执法人员见证" in text and "当事人（签名）" not in text
    assert "卫生监督意见书" not in text and "不合格" not in text


def test_an_unreachable_visit_has_no_papers(signed) -> None:
    job = signed[0]
    record = InspectionRecord(sample.RECORD_ID, job["id"], ["37030320000001"], sample.ARRIVED_AT, sample.SIGNED_AT,
                              None, "unreachable").as_json()
    assert content.papers(record, job, URL) == [] and documents.make(record, job, sample.SERVER, None) is None


def test_the_same_record_gives_the_same_bytes(signed) -> None:
    job, record, png, made = signed
    assert documents.make(record, job, sample.SERVER, png).data == made.data
    papers = content.papers(record, job, URL)
    assert pdf.render(papers, png, shortcut=False) == made.data, "skipping fpdf2's unused font write changes nothing"


def test_the_hash_goes_into_the_record_and_older_records_stay_valid(signed) -> None:
    _, record, _, made = signed
    contract.validate("inspection-record", record)           # an app version before the papers: no key
    assert "documents" not in record
    with_pdf = {**record, "documents": {"pdf": made.sha256, "kinds": list(made.kinds)}}
    contract.validate("inspection-record", with_pdf)
    assert InspectionRecord.from_json(with_pdf).as_json() == with_pdf
    with pytest.raises(Exception, match="documents"):
        contract.validate("inspection-record", {**with_pdf, "documents": {"pdf": "x", "kinds": ["site_record"]}})


def test_the_font_has_every_character_of_the_item_list_and_the_labels() -> None:
    """What the papers print from the item list, the units' kinds of text and our own labels is in
    the bundled subset; a character that is not (a rare one in a name) prints as its code."""
    texts = [t for rows in words.ITEMS.values() for row in rows for t in row[:2]]
    texts += [*content.TITLES.values(), content.OPINION_INTRO, content.OPINION_CLOSE, content.REFUSED, *pdf.COLUMNS,
              "记录编号：被检查单位统一社会信用代码地址检查时间检查人员执法证号北京时间至年月日", "扫码核验",
              "责令整改，整改期限：立案调查（案号）当事人（签名）：检查人员（签名）：", *content.OUTCOMES.values()]
    assert pdf.missing_characters(texts) == set()
    assert pdf.missing_characters(["王堃"]) == {"堃"}


def test_a_sample_sent_to_a_lab_is_on_the_paper() -> None:
    """委托检验检测: the party keeps the sample's number, lab and tests on the on-site record."""
    job = sample.assignment(4)
    record = sample.record(job, problems=0)
    key = 0
    finding = dict(record["findings"][key], outcome="pending_lab",
                   sample={"sample_no": "YP-2026-0117", "lab": "市疾控中心", "tests": "菌落总数、大肠菌群",
                           "photos": []})
    record = dict(record, findings=[finding, *record["findings"][1:]])
    made = documents.make(record, job, sample.SERVER, sample.signature())
    text = "".join(pages_text(made.data))
    assert made.kinds == ("site_record",)
    assert "抽样送检，检验结果待出（样品编号YP-2026-0117，检验机构市疾控中心，检验项目菌落总数、大肠菌群）" in text

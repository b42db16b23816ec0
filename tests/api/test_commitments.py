"""GET /v1/commitments through FastAPI's TestClient over the real service."""

from __future__ import annotations

from rag.service import DafuService
from tests.factories import api_client


def test_commitments_with_status_evidence_and_changed_figures(service: DafuService) -> None:
    response = api_client(service).get("/v1/commitments")
    assert response.status_code == 200
    body = response.json()
    first = body["commitments"][0]
    assert set(first) == {"commitment", "status", "evidence", "later_letters"}
    assert {"quote", "start", "end", "doc_number", "topic", "figures", "dates", "units"} <= set(
        first["commitment"]
    )
    assert any({c["earlier_value"], c["later_value"]} == {"216家", "203家"} for c in body["changed_figures"])


def test_filters_narrow_the_list(service: DafuService) -> None:
    client = api_client(service)
    lists = client.get("/v1/commitments", params={"topic": "三张清单"}).json()["commitments"]
    assert len(lists) == 1
    done = client.get("/v1/commitments", params={"status": "done", "year": 2023}).json()["commitments"]
    assert done and all(e["status"] == "done" and e["commitment"]["year"] == 2023 for e in done)
    one = client.get("/v1/commitments", params={"doc_id": "003_082073f0f45fee86"}).json()
    assert {e["commitment"]["doc_id"] for e in one["commitments"]} == {"003_082073f0f45fee86"}
    assert all(
        "003_082073f0f45fee86" in (c["earlier"]["doc_id"], c["later"]["doc_id"])
        for c in one["changed_figures"]
    )


def test_a_bad_status_is_a_422_in_chinese(service: DafuService) -> None:
    response = api_client(service).get("/v1/commitments", params={"status": "finished"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidInput" and "status" in body["detail"]

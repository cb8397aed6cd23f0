"""HTTP resources of records, photos, documents, reviews and lab results: authorize, validate, call the service, serialize."""
from __future__ import annotations

from starlette.routing import Route

from sync_server.records.routes import documents, labresults, photos, records, reviews, uploads

ROUTES = [
    Route("/v1/photos/{sha256}", photos.put_photo, methods=["PUT"]),
    Route("/v1/photos/{sha256}", photos.get_photo, methods=["GET"]),
    Route("/v1/documents/{sha256}", documents.put_document, methods=["PUT"]),
    Route("/v1/uploads/{sha256}", uploads.put_upload, methods=["PUT"]),
    Route("/v1/uploads/{sha256}", uploads.upload_offset, methods=["GET", "HEAD"]),
    Route("/v1/documents/{sha256}", documents.get_document, methods=["GET"]),
    Route("/v1/records/batch", records.push_batch, methods=["POST"]),
    Route("/v1/records/{record_id}", records.put_record, methods=["PUT"]),
    Route("/v1/records/{record_id}/receipt", records.get_receipt),
    Route("/v1/reviews/batch", reviews.push_decisions, methods=["POST"]),
    Route("/v1/reviews/queue", reviews.review_queue),
    Route("/v1/lab-results/batch", labresults.push_lab_results, methods=["POST"]),
    Route("/v1/admin/results/{ref}/lab-results", labresults.enter_lab_result, methods=["POST"]),
]

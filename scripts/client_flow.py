"""A platform's whole integration, through a client generated from
crates/server/openapi.yaml by openapi-python-client (nothing of ours):
service key -> candidate -> application (with an Idempotency-Key, sent twice)
-> capture link -> capture session -> consent -> session -> uploads -> end ->
poll until `analysed` -> events and summary -> evidence export.

Usage: PYTHONPATH=<generated> python client_flow.py SERVER_URL SERVICE_KEY
"""

import base64
import io
import sys
import time
import uuid
import zipfile

from PIL import Image, ImageDraw

from im_client import AuthenticatedClient, Client
from im_client.api.default import (
    create_capture_link, end_session, export_evidence, get_application, get_consent_terms,
    list_events, list_images, open_capture_session, provision_application, provision_candidate,
    record_consent, start_session, upload_image,
)
from im_client.models import (
    CreateCaptureLinkBody, EndSessionBody, ExportEvidenceBody, GetApplicationBody,
    GetConsentTermsBody, ImageKind, InterviewState, ListEventsBody, ListImagesBody,
    OpenCaptureSessionBody, ProvisionApplicationBody, ProvisionCandidateBody, RecordConsentBody,
    StartSessionBody, UploadImageBody,
)


def expect(condition, what):
    if not condition:
        sys.exit(f"generated client flow: {what}")


def jpeg(shade):
    """A 640x480 JPEG with a shape on it (quality 80)."""
    image = Image.new("RGB", (640, 480), (shade, 120, 200 - shade))
    ImageDraw.Draw(image).ellipse((200, 120, 440, 360), fill=(230, 190, 160))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return base64.b64encode(out.getvalue()).decode()


def main(server, key):
    platform = AuthenticatedClient(base_url=server, token=key, raise_on_unexpected_status=True)
    email = f"generated-{uuid.uuid4().hex[:12]}@example.test"
    candidate = provision_candidate.sync(client=platform, body=ProvisionCandidateBody(email=email, name="Grace"))
    expect(candidate.email == email, f"candidate {candidate}")

    # Twice with one Idempotency-Key: one application.
    idempotency = f"ats-{uuid.uuid4().hex}"
    body = ProvisionApplicationBody(candidate_email=email, title="Generated client interview",
                                    camera_interval=5, screen_interval=5)
    first = provision_application.sync(client=platform, body=body, idempotency_key=idempotency)
    again = provision_application.sync(client=platform, body=body, idempotency_key=idempotency)
    expect(first.id == again.id, f"the Idempotency-Key made two applications: {first.id} {again.id}")
    application = first.id
    state = get_application.sync(client=platform, body=GetApplicationBody(application_id=application)).state
    expect(state == InterviewState.INVITED, f"a new application is {state}")

    link = create_capture_link.sync(client=platform, body=CreateCaptureLinkBody(application_id=application))
    expect(link.url.endswith("/capture/" + link.token), f"the link's token {link}")
    session = open_capture_session.sync(
        client=Client(base_url=server, raise_on_unexpected_status=True),
        body=OpenCaptureSessionBody(token=link.token))
    expect(session.application_id == application, "the session is for another application")

    # The candidate's side, as an embedded panel does it, with the session's bearer token.
    candidate = AuthenticatedClient(base_url=server, token=session.session_token, raise_on_unexpected_status=True)
    terms = get_consent_terms.sync(client=candidate, body=GetConsentTermsBody(application_id=application))
    record_consent.sync(client=candidate, body=RecordConsentBody(application_id=application,
                                                                 consent_version=terms.consent_version))
    started = start_session.sync(client=candidate, body=StartSessionBody(
        application_id=application, camera_interval=5, screen_interval=5))
    state = get_application.sync(client=platform, body=GetApplicationBody(application_id=application)).state
    expect(state == InterviewState.IN_PROGRESS, f"after session/start: {state}")
    for n, kind in enumerate([ImageKind.CAMERA, ImageKind.SCREEN, ImageKind.CAMERA]):
        receipt = upload_image.sync(client=candidate, body=UploadImageBody(
            application_id=application, image_data=jpeg(40 * n), image_type=kind, capture_id=uuid.uuid4()))
        expect(receipt.success, f"upload {n}: {receipt}")
    ended = end_session.sync(client=candidate, body=EndSessionBody(
        application_id=application, session_id=started.session_id))
    expect(ended.session_id == started.session_id, f"end: {ended}")

    # The platform waits for the summary to be final.
    deadline = time.monotonic() + 60
    while True:
        state = get_application.sync(client=platform, body=GetApplicationBody(application_id=application)).state
        if state in (InterviewState.ANALYSED, InterviewState.REVIEWED):
            break
        expect(time.monotonic() < deadline, f"never analysed: {state}")
        time.sleep(0.5)
    images = list_images.sync(client=platform, body=ListImagesBody(application_id=application))
    expect(len(images.camera) == 2 and len(images.screen) == 1, f"images {images}")
    events = list_events.sync(client=platform, body=ListEventsBody(application_id=application))
    expect(events.summary.monitored_seconds >= 0, f"summary {events.summary}")

    # The generator types the zip as raw bytes: its status is checked here, not by the client.
    raw = AuthenticatedClient(base_url=server, token=key, raise_on_unexpected_status=False)
    answer = export_evidence.sync_detailed(client=raw, body=ExportEvidenceBody(application_id=application))
    expect(answer.status_code == 200, f"export answered {answer.status_code}")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
    expect("manifest.json" in names and sum(n.endswith(".jpg") for n in names) == 3, f"export {names}")
    print(f"generated client flow: application {application} went invited -> in_progress -> {state.value}; "
          f"{len(names)} files exported")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

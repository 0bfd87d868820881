"""A platform's whole integration, through a client generated from
crates/server/openapi.yaml by openapi-python-client (nothing of ours):
service key -> webhook endpoint -> candidate -> application (with an
Idempotency-Key, sent twice) -> invitation -> capture session -> consent ->
session -> uploads -> end -> told `interview.analysed` by a signed webhook (no
polling) -> events and summary -> evidence export.

The webhook receiver is scripts/webhook_receiver.py: it verifies every message
with the standardwebhooks package. The server must run with
WEBHOOK_ALLOW_PRIVATE=1 (the receiver listens on loopback, over http).

Usage: PYTHONPATH=<generated> python client_flow.py SERVER_URL SERVICE_KEY
"""

import base64
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile

from PIL import Image, ImageDraw

from im_client import AuthenticatedClient, Client
from im_client.api.default import (
    create_invitation, end_session, export_evidence, get_application, get_consent_terms,
    list_events, list_images, list_webhook_deliveries, open_capture_session,
    provision_application, provision_candidate, record_consent, register_webhook,
    start_session, upload_image,
)
from im_client.models import (
    CreateInvitationBody, EndSessionBody, ExportEvidenceBody, GetApplicationBody,
    GetConsentTermsBody, ImageKind, InterviewState, ListEventsBody, ListImagesBody,
    OpenCaptureSessionBody, ProvisionApplicationBody, ProvisionCandidateBody, RecordConsentBody,
    RegisterWebhookBody, StartSessionBody, UploadImageBody, WebhookEvent, WebhookRef,
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


class Receiver:
    """scripts/webhook_receiver.py, started for this flow."""

    def __init__(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "webhook_receiver.py")
        self.process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.process.stdout.readline().strip()}"

    def control(self, settings):
        request = urllib.request.Request(f"{self.url}/control", data=json.dumps(settings).encode(),
                                         headers={"content-type": "application/json"})
        urllib.request.urlopen(request).read()

    def wait_for(self, event, application, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for attempt in json.load(urllib.request.urlopen(f"{self.url}/received")):
                payload = attempt["payload"] or {}
                if (attempt["status"] == 200 and payload.get("type") == event
                        and payload["data"]["applicationId"] == str(application)):
                    return attempt
            time.sleep(0.2)
        sys.exit(f"generated client flow: no verified {event} webhook within {seconds} s")


def main(server, key):
    platform = AuthenticatedClient(base_url=server, token=key, raise_on_unexpected_status=True)
    # The platform is told what happens: a webhook endpoint, its secret kept.
    receiver = Receiver()
    endpoint = register_webhook.sync(client=platform, body=RegisterWebhookBody(
        url=f"{receiver.url}/interview-monitor", events=[WebhookEvent.INTERVIEW_STARTED,
                                                         WebhookEvent.INTERVIEW_ANALYSED]))
    expect(endpoint.secret.startswith("whsec_"), f"webhook {endpoint}")
    receiver.control({"secrets": [endpoint.secret]})
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

    # An invitation for the email: valid for days, it opens a session each time.
    link = create_invitation.sync(client=platform, body=CreateInvitationBody(application_id=application,
                                                                             valid_days=3))
    expect(link.url.endswith("/capture/" + link.token), f"the invitation's token {link}")
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

    # The platform is told when the summary is final: no polling.
    receiver.wait_for("interview.started", application)
    analysed = receiver.wait_for("interview.analysed", application)
    state = get_application.sync(client=platform, body=GetApplicationBody(application_id=application)).state
    expect(state in (InterviewState.ANALYSED, InterviewState.REVIEWED), f"told analysed, but {state}")
    log = list_webhook_deliveries.sync(client=platform, body=WebhookRef(id=endpoint.id))
    expect(any(d.message_id == analysed["id"] and d.status.value == "delivered" for d in log.deliveries),
           f"the delivery log {log}")
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
    receiver.process.terminate()
    print(f"generated client flow: application {application} went invited -> in_progress -> {state.value} "
          f"(told by a verified webhook); {len(names)} files exported")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

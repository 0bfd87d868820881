//! The upload queue's copy in IndexedDB, so a reload, a closed tab or a crash
//! loses nothing: a capture or an event is written here before it is queued,
//! and removed once the server has stored it (or refused it for good). web-sys directly:
//! the four operations needed are smaller than any IndexedDB crate's wasm.

use js_sys::{Array, Object, Promise, Reflect};
use shared::{ApplicationId, ImageKind};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, IdbDatabase, IdbObjectStoreParameters, IdbOpenDbRequest, IdbRequest, IdbTransaction,
    IdbTransactionMode,
};

const DATABASE: &str = "interview-monitor";
const STORE: &str = "captures";
const VERSION: u32 = 1;

/// A capture or an event as kept until the server has it.
#[derive(Clone)]
pub struct StoredCapture {
    /// The key here: a capture's id (the server's idempotency key), or an event's
    /// id with its state (`…:open`, `…:ended`), so an event's end never
    /// overwrites or deletes its start while that is being sent.
    pub id: String,
    /// The application it was taken for.
    pub application: ApplicationId,
    /// RFC 3339, on the server's clock.
    pub captured_at: String,
    /// What is kept.
    pub item: StoredItem,
}

/// What a kept entry holds.
#[derive(Clone)]
pub enum StoredItem {
    /// A snapshot: its kind, its record as the upload's query, and its JPEG.
    Capture {
        /// Camera or screen.
        kind: ImageKind,
        /// Its `CaptureFields` as `upload-binary`'s query, made once when it
        /// was taken ([`crate::transport::capture_query`]): kept and sent as
        /// is, so nothing here reads or knows its fields.
        query: String,
        /// The JPEG as taken.
        blob: Blob,
    },
    /// An event as its JSON body, and the monitoring session it happened in.
    Event {
        /// The event as sent to `/api/monitoring/events`.
        json: String,
        /// The monitoring session's id, when one was open.
        session: Option<String>,
    },
}

thread_local! {
    static OPENED: std::cell::RefCell<Option<IdbDatabase>> = const { std::cell::RefCell::new(None) };
}

/// Waits for a request's success (its result) or error.
async fn settle(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let mut handlers = None;
    let promise = Promise::new(&mut |resolve, reject| handlers = Some((resolve, reject)));
    let Some((resolve, reject)) = handlers else {
        return Err(JsValue::from_str("no promise"));
    };
    let done = request.clone();
    let on_success = Closure::<dyn FnMut()>::new(move || {
        let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
    });
    let failed = request.clone();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        let error = failed
            .error()
            .ok()
            .flatten()
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL);
        let _ = reject.call1(&JsValue::NULL, &error);
    });
    request.set_onsuccess(Some(on_success.as_ref().unchecked_ref()));
    request.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let result = JsFuture::from(promise).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    result
}

async fn database() -> Result<IdbDatabase, JsValue> {
    if let Some(db) = OPENED.with(|opened| opened.borrow().clone()) {
        return Ok(db);
    }
    let factory = web_sys::window()
        .ok_or("no window")?
        .indexed_db()?
        .ok_or("this browser keeps no IndexedDB (private mode?)")?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DATABASE, VERSION)?;
    let upgrading = request.clone();
    let on_upgrade = Closure::<dyn FnMut()>::new(move || {
        if let Ok(db) = upgrading
            .result()
            .and_then(|db| db.dyn_into::<IdbDatabase>())
        {
            if !db.object_store_names().contains(STORE) {
                let parameters = IdbObjectStoreParameters::new();
                parameters.set_key_path(&JsValue::from_str("id"));
                let _ = db.create_object_store_with_optional_parameters(STORE, &parameters);
            }
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let db: IdbDatabase = settle(&request).await?.dyn_into()?;
    request.set_onupgradeneeded(None);
    OPENED.with(|opened| *opened.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// A transaction's completion, with the handlers it must outlive.
type Settling = (JsFuture, [Closure<dyn FnMut()>; 2]);

/// Watches `transaction` for its commit: a request's success alone is not
/// durable, and a page that unloads before the commit loses the write. The
/// handlers are set at once (before anything is awaited), so the event cannot
/// be missed; they must live until the returned future is done.
fn commit_watch(transaction: &IdbTransaction) -> Result<Settling, JsValue> {
    let mut handlers = None;
    let promise = Promise::new(&mut |resolve, reject| handlers = Some((resolve, reject)));
    let Some((resolve, reject)) = handlers else {
        return Err(JsValue::from_str("no promise"));
    };
    let on_complete = Closure::<dyn FnMut()>::new(move || {
        let _ = resolve.call0(&JsValue::NULL);
    });
    let on_failure = Closure::<dyn FnMut()>::new(move || {
        let _ = reject.call1(
            &JsValue::NULL,
            &JsValue::from_str("the IndexedDB transaction did not commit"),
        );
    });
    transaction.set_oncomplete(Some(on_complete.as_ref().unchecked_ref()));
    transaction.set_onerror(Some(on_failure.as_ref().unchecked_ref()));
    transaction.set_onabort(Some(on_failure.as_ref().unchecked_ref()));
    Ok((JsFuture::from(promise), [on_complete, on_failure]))
}

async fn in_store(
    mode: IdbTransactionMode,
    act: impl FnOnce(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
) -> Result<JsValue, JsValue> {
    let db = database().await?;
    let transaction = db.transaction_with_str_and_mode(STORE, mode)?;
    let store = transaction.object_store(STORE)?;
    let (commit, handlers) = commit_watch(&transaction)?;
    let request = act(&store)?;
    let result = settle(&request).await;
    let committed = commit.await;
    transaction.set_oncomplete(None);
    transaction.set_onerror(None);
    transaction.set_onabort(None);
    drop(handlers);
    committed?;
    result
}

/// Writes a capture or an event; done when IndexedDB has committed it.
pub async fn keep(capture: &StoredCapture) -> Result<(), JsValue> {
    let record = Object::new();
    Reflect::set(&record, &"id".into(), &capture.id.as_str().into())?;
    Reflect::set(
        &record,
        &"application".into(),
        &capture.application.to_string().into(),
    )?;
    Reflect::set(
        &record,
        &"capturedAt".into(),
        &capture.captured_at.as_str().into(),
    )?;
    match &capture.item {
        StoredItem::Capture { kind, query, blob } => {
            Reflect::set(&record, &"kind".into(), &kind.as_str().into())?;
            Reflect::set(&record, &"query".into(), &query.as_str().into())?;
            Reflect::set(&record, &"blob".into(), blob)?;
        }
        StoredItem::Event { json, session } => {
            Reflect::set(&record, &"event".into(), &json.as_str().into())?;
            if let Some(session) = session {
                Reflect::set(&record, &"session".into(), &session.as_str().into())?;
            }
        }
    }
    in_store(IdbTransactionMode::Readwrite, |store| store.put(&record))
        .await
        .map(|_| ())
}

/// Forgets what the server stored (or refused for good).
pub async fn forget(id: &str) -> Result<(), JsValue> {
    in_store(IdbTransactionMode::Readwrite, |store| {
        store.delete(&JsValue::from_str(id))
    })
    .await
    .map(|_| ())
}

/// Everything kept for `application`, in no particular order.
pub async fn kept_for(application: ApplicationId) -> Result<Vec<StoredCapture>, JsValue> {
    let all: Array = in_store(IdbTransactionMode::Readonly, |store| store.get_all())
        .await?
        .dyn_into()?;
    let text = |record: &JsValue, field: &str| {
        Reflect::get(record, &field.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    Ok(all
        .iter()
        .filter_map(|record| {
            let application = text(&record, "application")?
                .parse::<ApplicationId>()
                .ok()?;
            let item = match text(&record, "event") {
                Some(json) => StoredItem::Event {
                    json,
                    session: text(&record, "session"),
                },
                None => StoredItem::Capture {
                    kind: text(&record, "kind")?.parse().ok()?,
                    query: text(&record, "query")?,
                    blob: Reflect::get(&record, &"blob".into())
                        .ok()?
                        .dyn_into()
                        .ok()?,
                },
            };
            Some(StoredCapture {
                id: text(&record, "id")?,
                application,
                captured_at: text(&record, "capturedAt")?,
                item,
            })
        })
        .filter(|capture| capture.application == application)
        .collect())
}

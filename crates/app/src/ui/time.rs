//! Times in the viewer's zone, and the browser's confirm dialog. Both need the
//! browser; on the server they fall back to UTC and "no".

use chrono::{DateTime, Utc};

/// `2026-11-25 10:30:15` in the viewer's time zone.
pub fn local(time: DateTime<Utc>) -> String {
    #[cfg(feature = "browser")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            time.timestamp_millis() as f64
        ));
        let pad = |n: u32| format!("{n:02}");
        format!(
            "{}-{}-{} {}:{}:{}",
            date.get_full_year(),
            pad(date.get_month() + 1),
            pad(date.get_date()),
            pad(date.get_hours()),
            pad(date.get_minutes()),
            pad(date.get_seconds())
        )
    }
    #[cfg(not(feature = "browser"))]
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A `datetime-local` input's value (the viewer's zone) as UTC; empty is `None`.
pub fn from_local_input(value: &str) -> Option<DateTime<Utc>> {
    if value.is_empty() {
        return None;
    }
    #[cfg(feature = "browser")]
    {
        let millis = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
        if millis.is_nan() {
            return None;
        }
        DateTime::from_timestamp_millis(millis as i64)
    }
    #[cfg(not(feature = "browser"))]
    None
}

pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "browser")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "browser"))]
    {
        let _ = message;
        false
    }
}

/// "4 min 10 s" for the length of a gap.
pub fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let seconds = (to - from).num_seconds().max(0);
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

//! Every text the candidate reads, replaceable by the host: pass a [`Texts`]
//! to the panel (or provide one in context) with the fields you want changed.
//! `{name}` in a text is filled in by the panel (the default of each field shows
//! which it has).
//!
//! ```
//! use interview_monitor_panel::Texts;
//!
//! let texts = Texts {
//!     consent_accept: "J'accepte, commencer".into(),
//!     ..Texts::default()
//! };
//! assert_eq!(texts.fill(&texts.camera_every, &[("seconds", "30")]), " · a snapshot every 30 s");
//! ```

use std::borrow::Cow;

macro_rules! texts {
    ($($name:ident = $default:literal,)*) => {
        /// The panel's words. Each field's documentation is its default.
        #[derive(Debug, Clone)]
        pub struct Texts {
            $(
                #[doc = concat!("Default: “", $default, "”")]
                pub $name: Cow<'static, str>,
            )*
            /// A duration in words ("1 hour", "90 days"), for the consent text.
            pub duration: fn(u64) -> String,
            /// A moment in words, for "You agreed to this on …" (default: the
            /// browser's local time, `YYYY-MM-DD HH:MM`).
            pub moment: fn(chrono::DateTime<chrono::Utc>) -> String,
            /// The language of these texts (`en`, `de`): consent records which
            /// language's text the candidate agreed to.
            pub language: shared::language::Language,
        }

        impl Texts {
            /// Sets the field called `name` (as in `texts/de.json`); false
            /// when there is no such field.
            pub fn set(&mut self, name: &str, text: String) -> bool {
                match name {
                    $(stringify!($name) => self.$name = Cow::Owned(text),)*
                    _ => return false,
                }
                true
            }

            /// The names of the fields [`Texts::set`] knows.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];
        }

        /// Each field's name and text (for tests).
        #[cfg(test)]
        fn fields(texts: &Texts) -> Vec<(&'static str, String)> {
            vec![$((stringify!($name), texts.$name.to_string()),)*]
        }

        impl Default for Texts {
            fn default() -> Self {
                Texts {
                    $($name: Cow::Borrowed($default),)*
                    duration: in_words,
                    moment: local_time,
                    language: shared::language::Language::En,
                }
            }
        }
    };
}

texts! {
    connecting = "Connecting to the interview…",
    link_ended = "This interview session has ended. Open a new interview link from the platform that sent you this one; captures waiting in this browser upload then.",
    interview_ended = "The interview has ended. Thank you.",
    consent_title = "Before you start",
    consent_intro = "This interview is monitored. While this page is open:",
    consent_camera = "a photo from your camera is taken every {seconds} seconds;",
    consent_screen = "a screenshot of the screen you share is taken every {seconds} seconds while you share it;",
    consent_buttons = "you can also take a snapshot yourself with the buttons;",
    consent_id = "before monitoring starts, one photo of an ID document you hold up to the camera: reviewers compare it with your camera snapshots by eye, nothing compares faces automatically, and it is deleted {period} after the interview;",
    consent_events = "the page records when you switch to another tab or window, leave full screen, stop sharing or share a window instead of the screen, lose the camera or the network, reload, and paste or copy (how many characters, never what). Coming back to this page and pasting also take a camera and a screen snapshot.",
    consent_who = "Who can see them: you, the recruiters of {organization}, and the platform's administrators. Links to the images expire after {link_lifetime}.",
    consent_kept_for = "How long they are kept: they are deleted automatically {period} after they are taken, or earlier if {organization} deletes them. They are stored encrypted. You cannot delete them yourself.",
    consent_kept_until = "How long they are kept: until {organization} deletes them. They are stored encrypted. You cannot delete them yourself.",
    consent_signal = "What is recorded is a signal for the reviewer to look at, not a verdict: a person reviews it.",
    consent_nothing_after = "Nothing is captured when you close or leave this page.",
    consent_previously = "You agreed to this on {moment}.",
    consent_accept = "I agree, start monitoring",
    consent_failed = "Your consent could not be recorded: {error}",
    id_title = "Show an ID document",
    id_intro = "Hold a photo ID (passport, ID card or driving licence) up to the camera so that your photo and name can be read, then take the photo. Monitoring starts after it.",
    id_note = "Only the reviewers of this application see it, beside your first camera snapshots; nothing compares faces automatically. It is deleted {period} after the interview.",
    id_take = "Take the ID photo",
    camera = "Camera",
    camera_every = " · a snapshot every {seconds} s",
    camera_retry = "Try the camera again",
    camera_snapshot = "Take camera snapshot",
    camera_refused = "Camera access was refused. Allow the camera for this site in your browser, then try again.",
    camera_missing = "No camera was found. Connect a camera, then try again.",
    camera_busy = "The camera is in use by another program. Close it, then try again.",
    camera_failed = "The camera could not be started ({error}).",
    camera_unplugged = "Camera disconnected: it was unplugged, or its permission was withdrawn. Connect it and try again.",
    camera_stopped = "The camera stopped sending pictures.",
    screen = "Screen",
    screen_every = " · a snapshot every {seconds} s while shared",
    screen_choosing = "Choose what to share…",
    screen_prompt = "Share your screen to start the interview.",
    screen_stopped = "Screen sharing has stopped. Share your screen again to continue the interview.",
    screen_share = "Share screen",
    screen_share_again = "Share screen again",
    screen_snapshot = "Take screen snapshot",
    screen_failed = "Screen sharing did not start ({error}).",
    snapshot_failed = "A {kind} snapshot failed: {error}",
    full_screen = "Full screen",
    full_screen_note = " Work in full screen: leaving it, switching tabs or windows and pasting are recorded for the reviewer.",
    leaving = "Captures are still waiting to upload.",
    announce_camera_on = "The camera is on.",
    announce_camera_off = "The camera is off.",
    announce_screen_shared = "Your screen is shared.",
    announce_screen_not_shared = "Your screen is not shared.",
    announce_waiting = "Some captures are waiting to upload.",
    announce_uploaded = "Every capture is uploaded.",
    status_now = "Now",
    status_uploading = "uploading…",
    status_idle = "idle",
    status_last = "Last upload",
    status_none_yet = "none yet",
    status_counts = "{uploaded} uploaded of {taken} taken",
    status_events = "Events",
    status_events_counts = "{sent} recorded, {waiting} waiting",
    status_waiting = "Waiting",
    status_waiting_counts = "{queued} (at most {bound} or {megabytes} MB wait; {dropped} dropped)",
    restored_done = "{restored} captures from your last visit uploaded.",
    restored_progress = "Uploading {restored} captures from your last visit ({uploaded} done)…",
    ended_with_link = "Your session has ended. Captures continue and are kept; open a new interview link from the platform that sent you this one, and they upload from where they stopped.",
    ended_signed_in = "Your session has ended. Captures continue and are kept; sign in again in a new tab, then come back here, and they upload from where they stopped. If you came by an interview link, open a new one in this tab instead: nothing is lost.",
    sign_in_again = "Sign in again (new tab)",
    sign_in_url = "/login",
    queue_full = "{bound} captures or {megabytes} MB are waiting to upload; newer ones are dropped until they go through",
    not_kept = "captures cannot be kept across a reload in this browser ({error}); keep this page open",
    capture_refused = "a {kind} capture was refused: {error}",
    events_refused = "{count} events were refused: {error}",
    upload_session_ended = "your session has ended: every capture is kept and uploads when it is renewed",
    retrying = "uploads are failing (offline, or the server is unavailable); retrying in {seconds} s",
}

/// The panel's texts in each language but English (the defaults), as JSON
/// objects of field → text. A server hands the one a page needs to it
/// ([`Texts::translated`]), so a browser never downloads the others.
pub fn translation(language: shared::language::Language) -> Option<&'static str> {
    match language {
        shared::language::Language::En => None,
        shared::language::Language::De => Some(include_str!("../texts/de.json")),
    }
}

impl Texts {
    /// The defaults in `language`, with the fields of `translation` (field →
    /// text, e.g. what [`translation`] gives) in place of the English ones;
    /// names it does not know are ignored.
    pub fn translated(
        language: shared::language::Language,
        translation: &std::collections::BTreeMap<String, String>,
    ) -> Texts {
        let mut texts = Texts {
            language,
            ..Texts::default()
        };
        if language == shared::language::Language::De {
            texts.duration = in_words_de;
        }
        for (name, text) in translation {
            texts.set(name, text.clone());
        }
        texts
    }

    /// `template` with each `{name}` replaced by its value.
    pub fn fill(&self, template: &str, values: &[(&str, &str)]) -> String {
        fill(template, values)
    }
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// "1 Stunde", "90 Tage": [`in_words`] in German.
pub fn in_words_de(seconds: u64) -> String {
    let unit = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match seconds {
        s if s > 0 && s % 86_400 == 0 => unit(s / 86_400, "Tag", "Tage"),
        s if s > 0 && s % 3600 == 0 => unit(s / 3600, "Stunde", "Stunden"),
        s if s > 0 && s % 60 == 0 => unit(s / 60, "Minute", "Minuten"),
        s => unit(s, "Sekunde", "Sekunden"),
    }
}

/// "1 hour", "90 days": a duration as the consent text states it.
pub fn in_words(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match seconds {
        0 => "0 seconds".into(),
        s if s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s % 3600 == 0 => plural(s / 3600, "hour"),
        s if s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

/// `at` in the browser's time zone (UTC elsewhere), to the minute.
pub fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at.timestamp_millis() as f64
        ));
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            date.get_full_year(),
            date.get_month() + 1,
            date.get_date(),
            date.get_hours(),
            date.get_minutes()
        )
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(in_words(3600), "1 hour");
        assert_eq!(in_words(90 * 86_400), "90 days");
        assert_eq!(in_words(90), "90 seconds");
        assert_eq!(in_words(120), "2 minutes");
        assert_eq!(in_words(0), "0 seconds");
    }

    #[test]
    fn the_german_texts_cover_every_field_with_the_same_placeholders() {
        use std::collections::BTreeMap;
        let de = translation(shared::language::Language::De).expect("German");
        let de: BTreeMap<String, String> = serde_json::from_str(de).expect("JSON");
        let english = Texts::default();
        for name in Texts::NAMES {
            if *name == "sign_in_url" {
                assert!(!de.contains_key(*name), "an address, not a text");
                continue;
            }
            let text = de
                .get(*name)
                .unwrap_or_else(|| panic!("{name} has no German text"));
            let placeholders = |t: &str| {
                let mut found: Vec<String> = t
                    .split('{')
                    .skip(1)
                    .filter_map(|rest| rest.split_once('}').map(|(n, _)| n.to_string()))
                    .collect();
                found.sort();
                found
            };
            // The English text of the field, read back through `set`'s names.
            let mut english_text = String::new();
            for (n, t) in fields(&english) {
                if n == *name {
                    english_text = t;
                }
            }
            assert_eq!(placeholders(text), placeholders(&english_text), "{name}");
        }
        assert!(
            de.keys().all(|k| Texts::NAMES.contains(&k.as_str())),
            "no unknown names"
        );
        let texts = Texts::translated(shared::language::Language::De, &de);
        assert_eq!(texts.consent_accept, "Ich stimme zu, Überwachung starten");
        assert_eq!(texts.language, shared::language::Language::De);
        assert_eq!((texts.duration)(90 * 86_400), "90 Tage");
        assert_eq!(in_words_de(3600), "1 Stunde");
        assert_eq!(in_words_de(120), "2 Minuten");
        assert!(!Texts::default().set("no_such_text", "x".into()));
    }

    #[test]
    fn placeholders_are_filled_and_others_left() {
        let texts = Texts::default();
        assert_eq!(
            texts.fill(&texts.status_counts, &[("uploaded", "3"), ("taken", "4")]),
            "3 uploaded of 4 taken"
        );
        assert_eq!(texts.fill("{a} {b}", &[("a", "x")]), "x {b}");
    }
}

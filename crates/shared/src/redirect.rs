//! Where a sign-in may send the browser afterwards: a path on this site, never
//! another origin. Used by the sign-in page and by the server's form handler.

/// The page after sign-in when `next` is absent or refused.
pub const DEFAULT_AFTER_SIGN_IN: &str = "/applications";

/// `next` when it is a path on this site, else `None`.
///
/// Browsers read `\` as `/` and drop tabs and newlines anywhere in a URL, so
/// `/\evil.example` and `/<TAB>/evil.example` would leave the site; anything
/// with a backslash, a control character or whitespace is refused, as is every
/// text that does not start with exactly one `/`.
pub fn local_path(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let starts_local = chars.next() == Some('/') && !matches!(chars.next(), Some('/') | Some('\\'));
    let clean = !next
        .chars()
        .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    (starts_local && clean && next.len() <= 2048).then_some(next)
}

/// Where a signed-out visitor to `path` goes: sign-in, then back to `path`
/// (encoded, so it stays one value of the query).
pub fn sign_in_then(path: &str) -> String {
    let mut next = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                next.push(b as char)
            }
            _ => next.push_str(&format!("%{b:02X}")),
        }
    }
    format!("/login?next={next}")
}

/// Where to go after signing in.
pub fn after_sign_in(next: Option<&str>) -> String {
    next.and_then(local_path)
        .unwrap_or(DEFAULT_AFTER_SIGN_IN)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_after_sign_in_is_one_value() {
        assert_eq!(
            sign_in_then("/applications/abc/interview"),
            "/login?next=/applications/abc/interview"
        );
        assert_eq!(
            sign_in_then("/applications/a&b=c/interview"),
            "/login?next=/applications/a%26b%3Dc/interview"
        );
    }

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(
            after_sign_in(Some("/applications/1/review?x=1")),
            "/applications/1/review?x=1"
        );
        assert_eq!(after_sign_in(Some("/")), "/");
        for bad in [
            "//evil.example",
            "/\\evil.example/x",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/a\u{0000}b",
            "/a\u{2028}b",
        ] {
            assert_eq!(after_sign_in(Some(bad)), DEFAULT_AFTER_SIGN_IN, "{bad:?}");
        }
        assert_eq!(
            after_sign_in(Some(&format!("/{}", "a".repeat(5000)))),
            DEFAULT_AFTER_SIGN_IN
        );
        assert_eq!(after_sign_in(None), DEFAULT_AFTER_SIGN_IN);
    }

    proptest::proptest! {
        /// Whatever is accepted starts with one `/` and has nothing a browser would rewrite.
        #[test]
        fn accepted_paths_stay_on_the_site(text in "\\PC{0,40}|[/\\\\\t ]{1,3}[a-z.]{0,10}") {
            if let Some(path) = local_path(&text) {
                proptest::prop_assert!(path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'));
                proptest::prop_assert!(!path.chars().any(|c| c.is_control() || c.is_whitespace()));
            }
        }
    }
}

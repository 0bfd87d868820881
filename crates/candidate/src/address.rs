//! What the page reads from its own address: the application, the language
//! asked for (`?lang=`), the intervals a link may carry (`?cameraInterval=`),
//! and the page in the other language. Plain functions on strings.

/// The application of `/applications/{id}/interview` (not checked here: the
/// server refuses an id that is not one).
pub fn application_id(path: &str) -> Option<&str> {
    path.strip_prefix("/applications/")?
        .strip_suffix("/interview")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

/// The query's `name=value` pairs as they were written (still encoded), from
/// a `location.search` (with or without its `?`).
pub fn pairs(search: &str) -> Vec<(&str, &str)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

/// The first value of `name` in the query.
pub fn value<'a>(search: &'a str, name: &str) -> Option<&'a str> {
    pairs(search)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A whole number of seconds from the query (`?cameraInterval=10`); any other
/// text is no value.
pub fn seconds(search: &str, name: &str) -> Option<u32> {
    value(search, name)?.parse().ok()
}

/// The same page in `language` (`?lang=de`): the query's other pairs kept as
/// they were written, any earlier `lang` replaced.
pub fn with_language(search: &str, language: &str) -> String {
    let mut kept: Vec<String> = pairs(search)
        .into_iter()
        .filter(|(name, _)| *name != "lang")
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    kept.push(format!("lang={language}"));
    format!("?{}", kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_is_the_middle_of_the_path_and_nothing_else() {
        assert_eq!(application_id("/applications/abc/interview"), Some("abc"));
        assert_eq!(application_id("/applications//interview"), None);
        assert_eq!(application_id("/applications/a/b/interview"), None);
        assert_eq!(application_id("/applications/abc/review"), None);
        assert_eq!(application_id("/login"), None);
    }

    #[test]
    fn the_query_keeps_its_other_pairs_when_the_language_changes() {
        assert_eq!(with_language("", "de"), "?lang=de");
        assert_eq!(with_language("?lang=en", "de"), "?lang=de");
        assert_eq!(
            with_language("?cameraInterval=10&lang=en&x=a%26b", "de"),
            "?cameraInterval=10&x=a%26b&lang=de"
        );
        assert_eq!(with_language("?flag&&lang=de", "en"), "?flag=&lang=en");
    }

    #[test]
    fn values_are_read_from_the_query_as_written() {
        let search = "?cameraInterval=10&screenInterval=x&lang=de&lang=en";
        assert_eq!(seconds(search, "cameraInterval"), Some(10));
        assert_eq!(seconds(search, "screenInterval"), None);
        assert_eq!(seconds(search, "missing"), None);
        assert_eq!(
            seconds("?cameraInterval=4294967296", "cameraInterval"),
            None
        );
        assert_eq!(value(search, "lang"), Some("de"));
    }
}

//! The dashboard keeps each view's state in the URL's query string, so that a link shows a
//! colleague the same view: reading it, and building links that change one parameter.

use leptos_router::params::ParamsMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is percent-encoded in a query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value or a path segment.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// `k=v&…` for the given keys that have a non-empty value, in the given order.
pub fn query_string(params: &ParamsMap, keys: &[&str]) -> String {
    keys.iter()
        .filter_map(|k| {
            params
                .get_str(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A link to the same page with `changes` applied (`None` removes a parameter); any change of
/// a filter also goes back to the first page.
pub fn with_changes(
    path: &str,
    params: &ParamsMap,
    keys: &[&str],
    changes: &[(&str, Option<String>)],
) -> String {
    let mut pairs: Vec<(String, String)> = keys
        .iter()
        .filter_map(|k| params.get(k).map(|v| ((*k).to_owned(), v)))
        .collect();
    let touches_page = changes.iter().any(|(k, _)| *k == "page");
    if !touches_page {
        pairs.retain(|(k, _)| k != "page");
    }
    for (key, value) in changes {
        pairs.retain(|(k, _)| k != key);
        if let Some(v) = value {
            pairs.push(((*key).to_owned(), v.clone()));
        }
    }
    let query = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_only_unreserved_characters() {
        assert_eq!(encode("a b/ä~-_."), "a%20b%2F%C3%A4~-_.");
        assert_eq!(encode("x=1&y"), "x%3D1%26y");
    }
}

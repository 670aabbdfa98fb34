//! Cursor paging: `Link` headers (separate lines or comma-joined) and body `_links.next`.
//!
//! A [`Pager`] walks a list page by page and exposes the cursor (the next URL) so a checkpoint
//! can store it and resume later. Only same-origin next links are followed; a link seen twice
//! is a loop and an error.

use std::collections::HashSet;

use futures::Stream;
use reqwest::header::HeaderMap;
use serde_json::Value;
use url::Url;

use super::client::OktaClient;
use super::error::Error;

/// Finds the `rel="next"` target in `Link` headers.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let Ok(s) = value.to_str() else { continue };
        for part in split_links(s) {
            let Some((target, params)) = part.trim().split_once('>') else { continue };
            let target = target.trim().trim_start_matches('<');
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                let Some((k, v)) = p.split_once('=') else { return false };
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim().trim_matches('"').split_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return Some(target.to_string());
            }
        }
    }
    None
}

/// Splits a Link value on commas outside `<…>`.
fn split_links(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(s.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s.get(start..).unwrap_or(""));
    out
}

/// The next link in a body-paged response (`/iam/roles`, `/iam/assignees/users`).
pub fn body_next(body: &Value) -> Option<String> {
    body.pointer("/_links/next/href").and_then(Value::as_str).map(str::to_string)
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    /// The elements.
    pub items: Vec<Value>,
    /// Where the next page is, already checked to be same-origin.
    pub next: Option<Url>,
}

/// How a list ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EndRule {
    /// No next link ends the list.
    NoNext,
    /// System Log polling: an empty page ends this pass even though a next link exists.
    EmptyPage,
}

/// Refuses a next link seen before in the same walk (a cursor loop).
#[derive(Default)]
struct LoopGuard(HashSet<String>);

impl LoopGuard {
    fn check(&mut self, url: &Url) -> Result<(), Error> {
        if self.0.insert(url.to_string()) {
            Ok(())
        } else {
            Err(Error::CursorLoop { endpoint: format!("GET {}", url.path()) })
        }
    }
}

/// Walks a JSON-array list to its end, reading each page straight into `T` and keeping what
/// `keep` makes of each element (so large lists are never held as raw JSON).
pub async fn collect_as<T: serde::de::DeserializeOwned, U>(
    client: &OktaClient,
    url: Url,
    keep: impl FnMut(T) -> Option<U>,
) -> Result<Vec<U>, Error> {
    let mut out = Vec::new();
    each_page_as(client, url, keep, |kept| {
        out.extend(kept);
        std::future::ready(true)
    })
    .await?;
    Ok(out)
}

/// Walks a JSON-array list to its end, reading each page straight into `T`, and hands what
/// `keep` makes of a page's elements to `each` as the page arrives, so a long list is never
/// held whole. `each` answering `false` stops the walk: `Ok(false)`.
pub async fn each_page_as<T: serde::de::DeserializeOwned, U, Fut: std::future::Future<Output = bool>>(
    client: &OktaClient,
    url: Url,
    mut keep: impl FnMut(T) -> Option<U>,
    mut each: impl FnMut(Vec<U>) -> Fut,
) -> Result<bool, Error> {
    let mut guard = LoopGuard::default();
    let mut next = Some(url);
    while let Some(u) = next.take() {
        guard.check(&u)?;
        let (items, n) = client.get_list_as::<T>(&u).await?;
        if !each(items.into_iter().filter_map(&mut keep).collect()).await {
            return Ok(false);
        }
        next = n;
    }
    Ok(true)
}

/// Walks a list page by page.
pub struct Pager {
    client: OktaClient,
    next: Option<Url>,
    seen: LoopGuard,
    end: EndRule,
}

impl Pager {
    /// Starts at `url` (a first page, or a stored cursor).
    pub fn new(client: OktaClient, url: Url, end: EndRule) -> Self {
        Pager { client, next: Some(url), seen: LoopGuard::default(), end }
    }

    /// The URL of the page that will be fetched next: the resumable cursor.
    pub fn cursor(&self) -> Option<&Url> {
        self.next.as_ref()
    }

    /// Fetches the next page; `Ok(None)` once the list is over.
    pub async fn next_page(&mut self) -> Result<Option<Page>, Error> {
        let Some(url) = self.next.take() else { return Ok(None) };
        self.seen.check(&url)?;
        let page = self.client.get_page(&url).await?;
        self.next = match (&self.end, page.items.is_empty()) {
            (EndRule::EmptyPage, true) => None,
            _ => page.next.clone(),
        };
        Ok(Some(page))
    }

    /// The pages as a stream, each paired with the cursor to resume after it.
    pub fn into_stream(self) -> impl Stream<Item = Result<(Page, Option<Url>), Error>> {
        futures::stream::unfold(self, |mut p| async move {
            match p.next_page().await {
                Ok(Some(page)) => {
                    let cursor = p.cursor().cloned();
                    Some((Ok((page, cursor)), p))
                }
                Ok(None) => None,
                Err(e) => {
                    p.next = None;
                    Some((Err(e), p))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, LINK};

    #[test]
    fn next_is_found_in_separate_and_joined_headers() {
        let mut h = HeaderMap::new();
        h.append(LINK, HeaderValue::from_static("<https://a.okta.com/api/v1/users?limit=2>; rel=\"self\""));
        h.append(LINK, HeaderValue::from_static("<https://a.okta.com/api/v1/users?after=x,y&limit=2>; rel=\"next\""));
        assert_eq!(next_link(&h).unwrap(), "https://a.okta.com/api/v1/users?after=x,y&limit=2");
        let mut h = HeaderMap::new();
        h.insert(LINK, HeaderValue::from_static("<https://a/x?a=1>; rel=\"self\", <https://a/x?after=2>; REL=next"));
        assert_eq!(next_link(&h).unwrap(), "https://a/x?after=2");
        let mut h = HeaderMap::new();
        h.insert(LINK, HeaderValue::from_static("<https://a/x?a=1>; rel=\"self\""));
        assert!(next_link(&h).is_none());
    }
}

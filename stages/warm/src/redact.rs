//! Secrets out of URLs before they reach a log line, an error message or a file.
//!
//! The one place that knows where a URL keeps a secret: the password of its
//! userinfo (`redis://user:PASSWORD@host`, `https://user:PASSWORD@host/…`) and
//! password-like query parameters (`redis+unix:///run/redis.sock?pass=PASSWORD`).
//! User names, hosts, ports, paths and other parameters stay readable: they are
//! what an operator needs to tell which server or file a message is about.

/// Query parameters whose value is a secret (compared case-insensitively).
const SECRET_PARAMS: [&str; 8] = [
    "pass",
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "access_token",
    "auth",
];

/// What replaces a secret.
const MASK: &str = "***";

/// `url` with the password of its userinfo and the values of password-like query
/// parameters replaced by `***`; anything that is not a URL comes back unchanged.
///
/// ```
/// use hexmatrix_warm::redact_url;
/// assert_eq!(redact_url("redis://bob:s3cret@h:6379/0"), "redis://bob:***@h:6379/0");
/// assert_eq!(redact_url("redis+unix:///r.sock?db=1&pass=s3cret"), "redis+unix:///r.sock?db=1&pass=***");
/// ```
#[must_use]
pub fn redact_url(url: &str) -> String {
    let (head, query, fragment) = split_query(url);
    let mut out = redact_userinfo(head);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `text` (an error message from a library, say) with every secret of `url` masked:
/// a safety net for messages that quote the URL, or parts of it, themselves.
#[must_use]
pub fn redact_in(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact_url(url));
    for secret in secrets(url) {
        // Very short secrets would mask unrelated text and tell little anyway.
        if secret.len() >= 3 {
            out = out.replace(secret, MASK);
        }
    }
    out
}

/// The secrets `url` holds, as written in it.
fn secrets(url: &str) -> Vec<&str> {
    let (head, query, _) = split_query(url);
    let mut found = Vec::new();
    if let Some((_, userinfo, _)) = userinfo(head)
        && let Some((_, password)) = userinfo.split_once(':')
        && !password.is_empty()
    {
        found.push(password);
    }
    for param in query.into_iter().flat_map(|q| q.split('&')) {
        if let Some((name, value)) = param.split_once('=')
            && is_secret_param(name)
            && !value.is_empty()
        {
            found.push(value);
        }
    }
    found
}

/// `(before '?', query, fragment)`.
fn split_query(url: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    match rest.split_once('?') {
        Some((head, query)) => (head, Some(query), fragment),
        None => (rest, None, fragment),
    }
}

/// `(scheme + "://", userinfo, "@" + the rest)` when the authority has a userinfo.
fn userinfo(head: &str) -> Option<(&str, &str, &str)> {
    let scheme_end = head.find("://")? + 3;
    let rest = &head[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    // The last '@' of the authority: a password may hold an unencoded '@'.
    let at = rest[..authority_end].rfind('@')?;
    Some((&head[..scheme_end], &rest[..at], &rest[at..]))
}

fn redact_userinfo(head: &str) -> String {
    match userinfo(head) {
        Some((scheme, info, rest)) => match info.split_once(':') {
            Some((user, _password)) => format!("{scheme}{user}:{MASK}{rest}"),
            // A lone name is a user name (Redis and HTTP both read it so): kept.
            None => head.to_owned(),
        },
        None => head.to_owned(),
    }
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((name, _)) if is_secret_param(name) => format!("{name}={MASK}"),
            _ => param.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_11_every_url_form_is_masked() {
        let cases = [
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            ("redis://:s3cret@h:1/0", "redis://:***@h:1/0"),
            ("redis://bob:s3cret@h:1/0", "redis://bob:***@h:1/0"),
            ("rediss://bob:s3:cr@t@h:1", "rediss://bob:***@h:1"),
            ("redis://bob@h:1", "redis://bob@h:1"),
            (
                "redis+unix:///run/r.sock?pass=s3cret",
                "redis+unix:///run/r.sock?pass=***",
            ),
            (
                "redis+unix:///run/r.sock?db=2&user=u&PASSWORD=s3cret",
                "redis+unix:///run/r.sock?db=2&user=u&PASSWORD=***",
            ),
            (
                "https://u:s3cret@host/europe/x.osm.pbf",
                "https://u:***@host/europe/x.osm.pbf",
            ),
            (
                "https://host/a@b/x.osm.pbf?token=s3cret#frag",
                "https://host/a@b/x.osm.pbf?token=***#frag",
            ),
            ("not a url", "not a url"),
            ("", ""),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
            assert!(!redact_url(url).contains("s3cret"), "{url}");
        }
    }

    #[test]
    fn secrets_quoted_in_messages_are_masked() {
        let url = "redis+unix:///r.sock?pass=s3cret";
        assert_eq!(
            redact_in("cannot open redis+unix:///r.sock?pass=s3cret: no", url),
            "cannot open redis+unix:///r.sock?pass=***: no"
        );
        assert_eq!(
            redact_in("auth s3cret refused", "https://u:s3cret@h/x"),
            "auth *** refused"
        );
        assert_eq!(redact_in("plain", "https://h/x"), "plain");
    }
}

//! The page frame (header, navigation, sign-out) and the formatting every page shares.

use actix_web::http::StatusCode;
use std::fmt::Write;

use super::session::Viewer;

/// The pages in the navigation: path and label.
const NAV: [(&str, &str); 7] = [
    ("/", "Forecast"),
    ("/pipeline", "Pipeline"),
    ("/churn", "Churn"),
    ("/kpis", "KPIs"),
    ("/accuracy", "Accuracy"),
    ("/models", "Models"),
    ("/quotas", "Quotas"),
];

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An amount in the company's currency, short: `1.24 M`, `356 k`, `820`.
pub fn money(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0} k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// A share 0..=1 as a percentage with one decimal.
pub fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A figure the browser test reads back: the shown text, with the exact value in `data-value`.
pub fn figure(name: &str, value: f64, shown: &str) -> String {
    format!(
        "<span data-figure=\"{}\" data-value=\"{value}\">{}</span>",
        esc(name),
        esc(shown)
    )
}

/// A `<select>` with a label; `options` are (value, label).
pub fn select(name: &str, label: &str, options: &[(String, String)], current: &str) -> String {
    let mut s = format!("<label>{}<select name=\"{}\">", esc(label), esc(name));
    for (v, l) in options {
        let sel = if v == current { " selected" } else { "" };
        let _ = write!(s, "<option value=\"{}\"{sel}>{}</option>", esc(v), esc(l));
    }
    s.push_str("</select></label>");
    s
}

/// A text input with a label.
pub fn input(name: &str, label: &str, value: &str, kind: &str) -> String {
    format!(
        "<label>{}<input type=\"{kind}\" name=\"{}\" value=\"{}\"></label>",
        esc(label),
        esc(name),
        esc(value)
    )
}

/// A table's header row; every column sorts when clicked (see `assets/app.js`).
pub fn thead(cols: &[&str]) -> String {
    let mut s = String::from("<thead><tr>");
    for c in cols {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc(c));
    }
    s.push_str("</tr></thead>");
    s
}

/// A sortable table cell holding a number: sorts by `value`, shows `shown`.
pub fn num_td(value: f64, shown: &str) -> String {
    format!(
        "<td class=\"num\" data-sort=\"{value}\">{}</td>",
        esc(shown)
    )
}

fn frame(title: &str, active: &str, nav: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · revcast</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/style.css\">\
         <script src=\"/assets/app.js\" defer></script></head><body>\
         <header><a class=\"brand\" href=\"/\">revcast</a>{nav}</header>\
         <main id=\"main\" data-page=\"{a}\"><h1>{t}</h1>{body}</main>\
         <footer>Amounts are in the company's currency. Every figure comes from the same service \
         call as the API's.</footer></body></html>",
        t = esc(title),
        a = esc(active),
    )
}

/// A signed-in page: navigation, who is signed in, and the sign-out form.
pub fn page(title: &str, active: &str, v: &Viewer, body: &str) -> String {
    let mut nav = String::from("<nav aria-label=\"Pages\"><ul>");
    for (href, label) in NAV {
        let current = if href == active {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(nav, "<li><a href=\"{href}\"{current}>{label}</a></li>");
    }
    let role = if v.is_admin() { "admin" } else { "read" };
    let _ = write!(
        nav,
        "</ul></nav><form class=\"signout\" method=\"post\" action=\"/signout\">\
         <span class=\"who\">{} ({role})</span>\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">Sign out</button></form>",
        esc(&v.principal.name),
        esc(&v.csrf)
    );
    frame(title, active, &nav, body)
}

/// A page without a session (sign-in, errors).
pub fn bare(title: &str, body: &str) -> String {
    frame(title, "", "", body)
}

pub fn error_page(status: StatusCode, message: &str) -> String {
    bare(
        status.canonical_reason().unwrap_or("Error"),
        &format!(
            "<p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\">Back to the forecast</a></p>",
            esc(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn money_is_short_and_keeps_the_sign() {
        assert_eq!(money(1_234_567.0), "1.23 M");
        assert_eq!(money(-45_600.0), "-46 k");
        assert_eq!(money(2_500.0), "2.5 k");
        assert_eq!(money(12.4), "12");
    }
}

//! Pages rendered on the server: the templates of `reference-server/templates/`
//! (built into the binary, escaped as HTML), the frame every page shares
//! (language, direction, the operator, the CSRF token of its forms) and the
//! error pages.

use std::sync::OnceLock;

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, UndefinedBehavior, Value, context};

use super::i18n::Lang;
use crate::display_zone::DisplayZone;

/// The templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("fleet.html", include_str!("../../templates/fleet.html")),
    ("device.html", include_str!("../../templates/device.html")),
    (
        "revoke_confirm.html",
        include_str!("../../templates/revoke_confirm.html"),
    ),
    ("claims.html", include_str!("../../templates/claims.html")),
    ("claim.html", include_str!("../../templates/claim.html")),
    ("depots.html", include_str!("../../templates/depots.html")),
    ("orders.html", include_str!("../../templates/orders.html")),
    ("message.html", include_str!("../../templates/message.html")),
    (
        "enrollment.html",
        include_str!("../../templates/enrollment.html"),
    ),
    (
        "supervisors.html",
        include_str!("../../templates/supervisors.html"),
    ),
    ("badge.html", include_str!("../../templates/badge.html")),
    (
        "day_sheet.html",
        include_str!("../../templates/day_sheet.html"),
    ),
];

/// The style sheet every page links.
pub const STYLE_CSS: &str = include_str!("../../templates/style.css");

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "a back-office template does not parse");
            }
        }
        env
    })
}

/// What every page's frame shows: the language, the signed-in operator (if
/// any), the CSRF token of its forms and the path (for the language switcher).
#[derive(Debug, Clone)]
pub struct Frame {
    /// The page's language.
    pub lang: Lang,
    /// The operator's name, when signed in.
    pub operator: Option<String>,
    /// The CSRF token of the session's forms.
    pub csrf: String,
    /// The page's path, for the language switcher's way back.
    pub path: String,
    /// The zone the page shows times in.
    pub zone: DisplayZone,
}

impl Frame {
    /// A time on this page: `2026-12-07 09:12 (UTC+01:00)`.
    pub fn when(&self, utc_ms: i64) -> String {
        self.zone.format(utc_ms)
    }

    fn value(&self) -> Value {
        let langs: Vec<Value> = Lang::ALL
            .iter()
            .map(
                |l| context! { code => l.code(), name => l.own_name(), current => *l == self.lang },
            )
            .collect();
        context! {
            lang => self.lang.code(),
            dir => self.lang.dir(),
            t => Value::from_serialize(self.lang.texts()),
            operator => self.operator,
            csrf => self.csrf,
            path => self.path,
            langs => langs,
        }
    }
}

/// Renders `template` in `frame` with the page's own values, as `status`.
pub fn page(status: StatusCode, frame: &Frame, template: &str, values: Value) -> Response {
    let ctx = context! { ..values, ..frame.value() };
    match env().get_template(template).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "a back-office page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!doctype html><title>500</title><p>The page failed to render.</p>",
            )
                .into_response()
        }
    }
}

/// A page with one message: `key` of the table, and details in the server's words.
pub fn message(status: StatusCode, frame: &Frame, key: &str, detail: &str) -> Response {
    page(
        status,
        frame,
        "message.html",
        context! { key => key, detail => detail },
    )
}

/// The style sheet.
pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE_CSS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_the_sign_in_page_renders_in_each_language() {
        let env = env();
        for (name, _) in TEMPLATES {
            env.get_template(name)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
        for lang in Lang::ALL {
            let frame = Frame {
                lang,
                operator: None,
                csrf: "c".into(),
                path: "/back-office/sign-in".into(),
                zone: DisplayZone::System,
            };
            let ctx = context! { refused => true, ..frame.value() };
            let html = env
                .get_template("sign_in.html")
                .and_then(|t| t.render(ctx))
                .unwrap_or_else(|e| panic!("{e:#}"));
            assert!(html.contains(&format!("dir=\"{}\"", lang.dir())));
        }
    }
}
